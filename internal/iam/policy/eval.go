package policy

import "strings"

// derivedKey is a context key that Evaluate derives from Request.Principal.
type derivedKey uint8

const (
	dNone derivedKey = iota
	dPrincipalArn
	dPrincipalAccount
	dPrincipalType
	dUserID
	dUserName
	dPrincipalOrgID
)

// ctxKey is a context key named by a document, resolved when it is parsed as far
// as it can be without a request.
type ctxKey struct {
	name string
	// lower is name in lower case: a second guess at how a caller spelled it.
	lower    string
	volatile bool // in the default volatile list
	derived  derivedKey
}

func newCtxKey(name string) ctxKey {
	k := ctxKey{name: name, lower: strings.ToLower(name)}
	switch k.lower {
	case "aws:principalarn":
		k.derived = dPrincipalArn
	case "aws:principalaccount":
		k.derived = dPrincipalAccount
	case "aws:principaltype":
		k.derived = dPrincipalType
	case "aws:userid":
		k.derived = dUserID
	case "aws:username":
		k.derived = dUserName
	case "aws:principalorgid":
		k.derived = dPrincipalOrgID
	}
	defaults := [...]string{
		"aws:SourceIp", "aws:SecureTransport", "aws:CurrentTime", "aws:EpochTime",
		"aws:TokenIssueTime", "aws:RequestTag/*", "aws:TagKeys",
		"aws:MultiFactorAuthPresent", "aws:UserAgent", "aws:Referer",
		"sts:ExternalId", "sts:RoleSessionName",
	}
	for _, p := range defaults {
		if keyMatches(p, name) {
			k.volatile = true
			break
		}
	}
	return k
}

// keyMatches reports whether a Request.Volatile entry covers a key name.
func keyMatches(pattern, name string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, name)
}

// values are the values of a context key: a caller's slice, or one derived
// string, without allocating for the latter.
type values struct {
	list   []string
	one    string
	single bool
}

func (v values) len() int {
	if v.single {
		return 1
	}
	return len(v.list)
}

func (v values) at(i int) string {
	if v.single {
		return v.one
	}
	return v.list[i]
}

// evaluator is the state of one evaluation. It lives on the stack.
type evaluator struct {
	req      *Request
	volatile bool // a volatile key was read
}

// lookup returns the values of a context key, marking the evaluation volatile
// if the key is. Request.Context is searched first, case-insensitively, then the
// keys derived from the principal.
func (e *evaluator) lookup(k *ctxKey) (values, bool) {
	if e.isVolatile(k) {
		e.volatile = true
	}
	if ctx := e.req.Context; len(ctx) > 0 {
		if v, ok := ctx[k.name]; ok {
			return values{list: v}, true
		}
		if v, ok := ctx[k.lower]; ok {
			return values{list: v}, true
		}
		for name, v := range ctx {
			if strings.EqualFold(name, k.name) {
				return values{list: v}, true
			}
		}
	}
	p := &e.req.Principal
	var s string
	switch k.derived {
	case dPrincipalArn:
		s = p.ARN
		if p.Type == typeAssumedRole && p.RoleARN != "" {
			s = p.RoleARN
		}
	case dPrincipalAccount:
		s = p.AccountID
	case dPrincipalType:
		s = p.Type
	case dUserID:
		s = p.UserID
	case dUserName:
		if p.Type == typeUser {
			s = p.UserName
		}
	case dPrincipalOrgID:
		s = p.OrgID
	}
	if s == "" {
		return values{}, false
	}
	return values{one: s, single: true}, true
}

func (e *evaluator) isVolatile(k *ctxKey) bool {
	if e.req.Volatile == nil {
		return k.volatile
	}
	for _, p := range e.req.Volatile {
		if keyMatches(p, k.name) {
			return true
		}
	}
	return false
}

// resolve returns the value of a policy variable: the key's value if it has
// exactly one, else the variable's default if it has one. A variable that
// resolves to nothing makes its pattern match nothing (AWS).
func (e *evaluator) resolve(t *token) (string, bool) {
	if v, ok := e.lookup(&t.key); ok && v.len() == 1 {
		return v.at(0), true
	}
	return t.text, t.hasDefault
}

// evaluate evaluates every statement that can change the result.
func (d *Document) evaluate(e *evaluator) Result {
	var r Result
	if d == nil {
		r.Volatile = e.volatile
		return r
	}
	for i := range d.statements {
		s := &d.statements[i]
		if s.deny && r.Deny || !s.deny && r.Allow >= d.maxAllow {
			continue
		}
		m := s.applies(e)
		if m == NoMatch {
			continue
		}
		if s.deny {
			r.Deny = true
		} else if m > r.Allow {
			r.Allow = m
		}
	}
	r.Volatile = e.volatile
	return r
}

// applies reports how s applies to the request: NoMatch if it does not, else
// how its Principal matched (MatchPrincipal in identity policies).
func (s *statement) applies(e *evaluator) Match {
	req := e.req
	if s.matchAction(req.Action) == s.notAction {
		return NoMatch
	}
	m := MatchPrincipal
	if s.principals != nil {
		m = matchPrincipal(s.principals, &req.Principal)
		if s.notPrincipal {
			if m != NoMatch {
				return NoMatch
			}
			m = MatchPrincipal
		} else if m == NoMatch {
			return NoMatch
		}
	}
	if !s.anyResource && s.matchResource(req.Resource, e) == s.notResource {
		return NoMatch
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(e) {
			return NoMatch
		}
	}
	return m
}

func (s *statement) matchAction(action string) bool {
	for i := range s.actions {
		if s.actions[i].match(action, nil) {
			return true
		}
	}
	return false
}

func (s *statement) matchResource(resource string, e *evaluator) bool {
	for i := range s.resources {
		if s.resources[i].match(resource, e) {
			return true
		}
	}
	return false
}
