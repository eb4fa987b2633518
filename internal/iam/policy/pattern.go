package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of one element of a compiled pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // *: any run of characters, including none
	tokOne                 // ?: exactly one character
	tokVar                 // ${key} or ${key, 'default'}: the value of a context key, taken literally
	tokBad                 // a malformed variable: never matches
)

// token is one element of a compiled pattern.
type token struct {
	kind tokKind
	// text is the literal of a tokLit and the default value of a tokVar.
	text       string
	hasDefault bool
	key        ctxKey // of a tokVar
}

// patKind says how a pattern is matched; the first two are fast paths.
type patKind uint8

const (
	patExact  patKind = iota // raw is compared as a whole
	patAll                   // a lone "*": matches everything
	patTokens                // toks are matched by matchTokens
)

// pattern is a compiled policy value: an Action, a Resource, a condition value.
// Patterns without variables or wildcards compile to patExact, and a lone "*" to
// patAll, so the common documents never reach the general matcher.
type pattern struct {
	kind patKind
	fold bool // compare case-insensitively (actions, …IgnoreCase, Bool)
	raw  string
	toks []token
}

// compilePattern compiles s. With glob, * and ? are wildcards; with vars (Version
// 2012-10-17 documents, in elements that take them), ${…} is a policy variable or
// one of the escapes ${*}, ${?}, ${$}.
func compilePattern(s string, glob, vars, fold bool) pattern {
	return newPattern(tokenize(s, glob, vars), fold)
}

// newPattern picks the fastest representation of toks.
func newPattern(toks []token, fold bool) pattern {
	switch {
	case len(toks) == 0:
		return pattern{kind: patExact, fold: fold}
	case len(toks) == 1 && toks[0].kind == tokStar:
		return pattern{kind: patAll, fold: fold, raw: "*"}
	case len(toks) == 1 && toks[0].kind == tokLit:
		return pattern{kind: patExact, fold: fold, raw: toks[0].text}
	}
	return pattern{kind: patTokens, fold: fold, toks: toks}
}

// tokenize splits s into tokens, merging adjacent literal text and runs of stars.
func tokenize(s string, glob, vars bool) []token {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case glob && c == '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
			i++
			continue
		case glob && c == '?':
			flush()
			toks = append(toks, token{kind: tokOne})
			i++
			continue
		case vars && c == '$' && strings.HasPrefix(s[i:], "${"):
			end := variableEnd(s, i+2)
			if end < 0 {
				break // no closing brace: the $ is literal text
			}
			body := s[i+2 : end]
			i = end + 1
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			flush()
			toks = append(toks, parseVariable(body))
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return toks
}

// variableEnd returns the index of the brace that closes a variable whose body
// starts at i, skipping braces inside a quoted default value, or -1.
func variableEnd(s string, i int) int {
	quoted := false
	for ; i < len(s); i++ {
		switch s[i] {
		case '\'':
			quoted = !quoted
		case '}':
			if !quoted {
				return i
			}
		}
	}
	return -1
}

// parseVariable parses the body of ${…}: a context key, optionally followed by a
// comma and a default value in single quotes, in which a doubled quote stands
// for one.
// Spaces around the key and the default are ignored.
func parseVariable(body string) token {
	name, def, hasDefault := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " '") {
		return token{kind: tokBad}
	}
	t := token{kind: tokVar, key: newCtxKey(name)}
	if hasDefault {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return token{kind: tokBad}
		}
		inner := def[1 : len(def)-1]
		if strings.Count(inner, "'")%2 != 0 {
			return token{kind: tokBad}
		}
		t.text = strings.ReplaceAll(inner, "''", "'")
		t.hasDefault = true
	}
	return t
}

// hasVariables reports whether a pattern needs a request context to match.
func (p *pattern) hasVariables() bool {
	for i := range p.toks {
		if p.toks[i].kind == tokVar || p.toks[i].kind == tokBad {
			return true
		}
	}
	return false
}

// match reports whether s matches p; e resolves policy variables.
func (p *pattern) match(s string, e *evaluator) bool {
	switch p.kind {
	case patAll:
		return true
	case patExact:
		if p.fold {
			return strings.EqualFold(s, p.raw)
		}
		return s == p.raw
	}
	return matchTokens(p.toks, s, p.fold, e)
}

// matchTokens matches s against toks. It backtracks only to the most recent star,
// which is enough for * and ? globs and keeps matching linear in practice: a
// document cannot make evaluation exponential.
func matchTokens(toks []token, s string, fold bool, e *evaluator) bool {
	ti, si := 0, 0
	star, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true
				}
				star, starSi = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					si += runeLen(s[si:])
					ti++
					continue
				}
			case tokBad:
				return false
			default:
				text := t.text
				if t.kind == tokVar {
					v, ok := e.resolve(t)
					if !ok {
						return false // AWS: a variable that has no value matches nothing
					}
					text = v
				}
				if n, ok := hasPrefix(s[si:], text, fold); ok {
					si += n
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if star < 0 || starSi >= len(s) {
			return false
		}
		starSi += runeLen(s[starSi:])
		ti, si = star+1, starSi
	}
}

func runeLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// hasPrefix reports whether s begins with prefix and how many bytes of s that
// prefix covers (under Unicode case folding the two lengths may differ).
func hasPrefix(s, prefix string, fold bool) (int, bool) {
	if !fold {
		if strings.HasPrefix(s, prefix) {
			return len(prefix), true
		}
		return 0, false
	}
	i, j := 0, 0
	for j < len(prefix) {
		if i >= len(s) {
			return 0, false
		}
		a, b := s[i], prefix[j]
		if a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && lowerASCII(a) != lowerASCII(b) {
				return 0, false
			}
			i++
			j++
			continue
		}
		r1, n1 := utf8.DecodeRuneInString(s[i:])
		r2, n2 := utf8.DecodeRuneInString(prefix[j:])
		if !equalFoldRune(r1, r2) {
			return 0, false
		}
		i += n1
		j += n2
	}
	return i, true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldRune is the rune comparison of strings.EqualFold.
func equalFoldRune(sr, tr rune) bool {
	if sr == tr {
		return true
	}
	if tr < sr {
		tr, sr = sr, tr
	}
	if tr < utf8.RuneSelf {
		return 'A' <= sr && sr <= 'Z' && tr == sr+'a'-'A'
	}
	r := unicode.SimpleFold(sr)
	for r != sr && r < tr {
		r = unicode.SimpleFold(r)
	}
	return r == tr
}

// arnPattern is an ArnEquals/ArnLike value: six colon-separated parts matched
// one by one, so that a wildcard in one part never spans into another. A value
// with fewer than six parts (a lone "*", or a single variable such as
// ${aws:PrincipalArn}) is matched as a whole.
type arnPattern struct {
	whole pattern
	parts []pattern // nil, or exactly six
}

func compileArnPattern(s string, vars bool) arnPattern {
	toks := tokenize(s, true, vars)
	groups := splitTokens(toks, 6)
	if len(groups) < 6 {
		return arnPattern{whole: newPattern(toks, false)}
	}
	parts := make([]pattern, len(groups))
	for i, g := range groups {
		parts[i] = newPattern(g, false)
	}
	return arnPattern{parts: parts}
}

// splitTokens splits toks at colons in literal text into at most n groups; the
// last group keeps any further colons.
func splitTokens(toks []token, n int) [][]token {
	groups := [][]token{nil}
	for _, t := range toks {
		if t.kind != tokLit {
			groups[len(groups)-1] = append(groups[len(groups)-1], t)
			continue
		}
		text := t.text
		for len(groups) < n {
			i := strings.IndexByte(text, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				groups[len(groups)-1] = append(groups[len(groups)-1], token{kind: tokLit, text: text[:i]})
			}
			groups = append(groups, nil)
			text = text[i+1:]
		}
		if text != "" {
			groups[len(groups)-1] = append(groups[len(groups)-1], token{kind: tokLit, text: text})
		}
	}
	return groups
}

func (a *arnPattern) match(s string, e *evaluator) bool {
	if a.parts == nil {
		return a.whole.match(s, e)
	}
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !a.parts[i].match(rest[:j], e) {
			return false
		}
		rest = rest[j+1:]
	}
	return a.parts[5].match(rest, e)
}
