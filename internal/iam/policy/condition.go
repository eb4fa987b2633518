package policy

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// family is what a condition operator compares.
type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// comparison is how a request value is compared with a policy value.
type comparison uint8

const (
	cmpEq comparison = iota
	cmpLike
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// setOp is a condition's set operator.
type setOp uint8

const (
	setNone setOp = iota
	setAll        // ForAllValues:
	setAny        // ForAnyValue:
)

// operator is a parsed condition operator name.
type operator struct {
	fam        family
	cmp        comparison
	negated    bool // …Not…, NotIpAddress
	ignoreCase bool
	ifExists   bool
	set        setOp
}

// parseOperator parses a condition operator: an operator, optionally suffixed
// with IfExists (not Null) and prefixed with ForAllValues: or ForAnyValue:.
// Operator names are case-sensitive, as in AWS.
func parseOperator(name string) (operator, bool) {
	var op operator
	if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		op.set, name = setAll, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		op.set, name = setAny, rest
	}
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok && rest != "Null" {
		op.ifExists, name = true, rest
	}
	switch name {
	case "StringEquals":
		op.fam = famString
	case "StringNotEquals":
		op.fam, op.negated = famString, true
	case "StringEqualsIgnoreCase":
		op.fam, op.ignoreCase = famString, true
	case "StringNotEqualsIgnoreCase":
		op.fam, op.ignoreCase, op.negated = famString, true, true
	case "StringLike":
		op.fam, op.cmp = famString, cmpLike
	case "StringNotLike":
		op.fam, op.cmp, op.negated = famString, cmpLike, true
	case "NumericEquals":
		op.fam = famNumeric
	case "NumericNotEquals":
		op.fam, op.negated = famNumeric, true
	case "NumericLessThan":
		op.fam, op.cmp = famNumeric, cmpLt
	case "NumericLessThanEquals":
		op.fam, op.cmp = famNumeric, cmpLe
	case "NumericGreaterThan":
		op.fam, op.cmp = famNumeric, cmpGt
	case "NumericGreaterThanEquals":
		op.fam, op.cmp = famNumeric, cmpGe
	case "DateEquals":
		op.fam = famDate
	case "DateNotEquals":
		op.fam, op.negated = famDate, true
	case "DateLessThan":
		op.fam, op.cmp = famDate, cmpLt
	case "DateLessThanEquals":
		op.fam, op.cmp = famDate, cmpLe
	case "DateGreaterThan":
		op.fam, op.cmp = famDate, cmpGt
	case "DateGreaterThanEquals":
		op.fam, op.cmp = famDate, cmpGe
	case "Bool":
		op.fam = famBool
	case "BinaryEquals":
		op.fam = famBinary
	case "IpAddress":
		op.fam = famIP
	case "NotIpAddress":
		op.fam, op.negated = famIP, true
	case "ArnEquals", "ArnLike":
		op.fam = famArn
	case "ArnNotEquals", "ArnNotLike":
		op.fam, op.negated = famArn, true
	case "Null":
		op.fam = famNull
	default:
		return operator{}, false
	}
	return op, true
}

// validValue reports whether s can be compared by op. Numbers, dates and IP
// addresses are parsed when the document is, so that a value that could never
// match is refused instead of silently never matching. AWS substitutes no policy
// variables in these operators, so their values are always literal.
func (op operator) validValue(s string) bool {
	switch op.fam {
	case famNumeric:
		_, err := strconv.ParseFloat(s, 64)
		return err == nil
	case famDate:
		_, ok := parseTime(strings.ToUpper(s))
		return ok
	case famIP:
		_, ok := parsePrefix(s)
		return ok
	}
	return true
}

// condition is one context key under one operator; a statement's conditions
// are ANDed.
type condition struct {
	operator
	key ctxKey
	// The policy values, in the form the family compares.
	pats  []pattern // famString, famBool, famBinary
	arns  []arnPattern
	nums  []float64
	times []time.Time
	nets  []netip.Prefix
	// Null: whether "true" (key absent) and "false" (key present) were listed.
	nullAbsent, nullPresent bool
}

// compileConditions compiles a validated Condition element.
func compileConditions(c *jvalue, vars bool) []condition {
	var conds []condition
	for i, opName := range c.keys {
		op, _ := parseOperator(opName)
		block := c.vals[i]
		for j, key := range block.keys {
			values, _ := conditionValues(block.vals[j])
			cond := condition{operator: op, key: newCtxKey(key)}
			for _, s := range values {
				cond.add(s, vars)
			}
			conds = append(conds, cond)
		}
	}
	return conds
}

// add compiles one policy value. Policy variables are substituted only where AWS
// documents them: string, Bool and ARN operators.
func (c *condition) add(s string, vars bool) {
	switch c.fam {
	case famString:
		c.pats = append(c.pats, compilePattern(s, c.cmp == cmpLike, vars, c.ignoreCase))
	case famBool:
		c.pats = append(c.pats, compilePattern(s, false, vars, true))
	case famBinary:
		c.pats = append(c.pats, compilePattern(s, false, false, false))
	case famArn:
		c.arns = append(c.arns, compileArnPattern(s, vars))
	case famNumeric:
		f, _ := strconv.ParseFloat(s, 64)
		c.nums = append(c.nums, f)
	case famDate:
		t, _ := parseTime(strings.ToUpper(s))
		c.times = append(c.times, t)
	case famIP:
		p, _ := parsePrefix(s)
		c.nets = append(c.nets, p)
	case famNull:
		switch strings.ToLower(s) {
		case "true":
			c.nullAbsent = true
		case "false":
			c.nullPresent = true
		}
	}
}

// eval evaluates the condition.
//
// A key that is absent (or has no values) makes positive operators false and
// negated ones true; …IfExists and ForAllValues: make it true, ForAnyValue:
// false. With values present, ForAllValues: needs every request value to
// satisfy the operator and ForAnyValue: one. Without a set operator, a key with
// several values is treated as ForAnyValue: for positive operators (some
// request value matches some policy value) and as the exact negation of that
// for negated ones (no request value matches any policy value), which for a
// single value is AWS's OR of policy values for positive operators and NOR for
// negated ones.
func (c *condition) eval(e *evaluator) bool {
	vals, _ := e.lookup(&c.key)
	n := vals.len()
	if c.fam == famNull {
		return n == 0 && c.nullAbsent || n > 0 && c.nullPresent
	}
	if n == 0 {
		switch {
		case c.ifExists, c.set == setAll:
			return true
		case c.set == setAny:
			return false
		}
		return c.negated
	}
	switch {
	case c.set == setAll, c.set == setNone && c.negated:
		for i := 0; i < n; i++ {
			if !c.satisfied(e, vals.at(i)) {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		if c.satisfied(e, vals.at(i)) {
			return true
		}
	}
	return false
}

// satisfied reports whether one request value satisfies the operator: matches
// some policy value, or for a negated operator, none.
func (c *condition) satisfied(e *evaluator, v string) bool {
	return c.matchAny(e, v) != c.negated
}

// matchAny reports whether v matches some policy value under the positive form
// of the operator. A request value that cannot be parsed as what the operator
// compares matches nothing.
func (c *condition) matchAny(e *evaluator, v string) bool {
	switch c.fam {
	case famString, famBool, famBinary:
		for i := range c.pats {
			if c.pats[i].match(v, e) {
				return true
			}
		}
	case famArn:
		for i := range c.arns {
			if c.arns[i].match(v, e) {
				return true
			}
		}
	case famNumeric:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, y := range c.nums {
			if compare(c.cmp, cmpFloat(x, y)) {
				return true
			}
		}
	case famDate:
		t, ok := parseTime(v)
		if !ok {
			return false
		}
		for _, y := range c.times {
			if compare(c.cmp, t.Compare(y)) {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	return 2 // NaN: no comparison holds
}

// compare applies a comparison to the result of comparing the request value
// with the policy value.
func compare(c comparison, r int) bool {
	switch c {
	case cmpEq:
		return r == 0
	case cmpLt:
		return r == -1
	case cmpLe:
		return r == -1 || r == 0
	case cmpGt:
		return r == 1
	case cmpGe:
		return r == 1 || r == 0
	}
	return false
}

// parsePrefix parses an IpAddress value: a CIDR block or a single address,
// IPv4 or IPv6.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseTime parses a date as AWS accepts it: ISO 8601 / RFC 3339 (a date, or a
// date and time with or without seconds, fraction and zone; UTC if no zone), or
// seconds since the epoch.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isEpoch reports whether s looks like a number of seconds: digits with at most
// one dot.
func isEpoch(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return s != "."
}
