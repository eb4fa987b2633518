package policy

import (
	"fmt"
	"strings"
)

const (
	version2008 = "2008-10-17"
	version2012 = "2012-10-17"
)

// Parse parses and validates a policy document of kind k. A document that is not
// valid yields an *Error whose Message is AWS's.
//
// The checks run in the order IAM runs them, as moto reproduces it (syntax,
// version, legacy parsing, Sids, actions, resources, then the rules of k), so
// that a document with several faults is reported by its first fault in IAM's
// eyes.
func Parse(text string, k Kind) (*Document, error) {
	if k < Identity || k > Trust {
		return nil, fmt.Errorf("policy: invalid Kind %d", int(k))
	}
	root, err := parseJSON(text)
	if err != nil {
		return nil, &Error{msgSyntax}
	}
	p := parser{kind: k}
	if msg := p.check(root); msg != "" {
		return nil, &Error{msg}
	}
	return p.compile(), nil
}

// parser holds a document between validation and compilation.
type parser struct {
	kind    Kind
	version string // "" when absent
	vars    bool   // Version 2012-10-17: ${…} are policy variables
	stmts   []*jvalue
	// resourceErr is the first Resource format error, which IAM reports only
	// after Sid and Action errors.
	resourceErr string
}

func (p *parser) check(root *jvalue) string {
	if !p.checkSyntax(root) {
		return msgSyntax
	}
	checks := [...]func() string{
		p.checkVersion,
		p.checkPrincipalPresence,
		p.checkLegacy,
		p.checkSids,
		p.checkActionsPresent,
		func() string { return p.resourceErr },
		p.checkVendors,
		p.checkResourcesPresent,
		p.checkTrustActions,
		p.checkPrincipalValues,
	}
	for _, c := range checks {
		if msg := c(); msg != "" {
			return msg
		}
	}
	return ""
}

// stringList returns a string-or-array-of-strings value as a list.
func stringList(v *jvalue) ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.s}, true
	case jArray:
		l := make([]string, len(v.arr))
		for i, e := range v.arr {
			if e.kind != jString {
				return nil, false
			}
			l[i] = e.s
		}
		return l, true
	}
	return nil, false
}

// conditionValues returns a condition value as a list: strings, and numbers and
// booleans as their JSON text.
func conditionValues(v *jvalue) ([]string, bool) {
	scalar := func(v *jvalue) bool { return v.kind == jString || v.kind == jNumber || v.kind == jBool }
	if scalar(v) {
		return []string{v.s}, true
	}
	if v.kind != jArray {
		return nil, false
	}
	l := make([]string, len(v.arr))
	for i, e := range v.arr {
		if !scalar(e) {
			return nil, false
		}
		l[i] = e.s
	}
	return l, true
}

// checkSyntax checks the shape of the document: which elements exist and what
// JSON types they have.
func (p *parser) checkSyntax(root *jvalue) bool {
	if root.kind != jObject {
		return false
	}
	for i, key := range root.keys {
		v := root.vals[i]
		switch key {
		case "Version":
			if v.kind != jString || (v.s != version2008 && v.s != version2012) {
				return false
			}
			p.version = v.s
			p.vars = v.s == version2012
		case "Id":
			if v.kind != jString {
				return false
			}
		case "Statement":
			switch v.kind {
			case jObject:
				p.stmts = []*jvalue{v}
			case jArray:
				p.stmts = v.arr
			default:
				return false
			}
		default:
			return false
		}
	}
	if len(p.stmts) == 0 {
		return false
	}
	for _, st := range p.stmts {
		if !checkStatementSyntax(st) {
			return false
		}
	}
	return true
}

func checkStatementSyntax(st *jvalue) bool {
	if st.kind != jObject {
		return false
	}
	for i, key := range st.keys {
		v := st.vals[i]
		switch key {
		case "Sid":
			if v.kind != jString {
				return false
			}
		case "Effect":
			if v.kind != jString || (!strings.EqualFold(v.s, "Allow") && !strings.EqualFold(v.s, "Deny")) {
				return false
			}
		case "Action", "NotAction", "Resource", "NotResource":
			if _, ok := stringList(v); !ok {
				return false
			}
		case "Principal", "NotPrincipal":
			if !checkPrincipalSyntax(v) {
				return false
			}
		case "Condition":
			if !checkConditionSyntax(v) {
				return false
			}
		default:
			return false
		}
	}
	return st.has("Effect") &&
		!(st.has("Action") && st.has("NotAction")) &&
		!(st.has("Resource") && st.has("NotResource")) &&
		!(st.has("Principal") && st.has("NotPrincipal"))
}

// checkPrincipalSyntax accepts "*" or a non-empty object whose members are
// non-empty strings or arrays of strings.
func checkPrincipalSyntax(v *jvalue) bool {
	if v.kind == jString {
		return v.s == "*"
	}
	if v.kind != jObject || len(v.keys) == 0 {
		return false
	}
	for _, m := range v.vals {
		if l, ok := stringList(m); !ok || len(l) == 0 {
			return false
		}
	}
	return true
}

func checkConditionSyntax(v *jvalue) bool {
	if v.kind != jObject {
		return false
	}
	for i, opName := range v.keys {
		block := v.vals[i]
		if block.kind != jObject {
			return false
		}
		if _, ok := parseOperator(opName); !ok {
			return false
		}
		for _, m := range block.vals {
			if _, ok := conditionValues(m); !ok {
				return false
			}
		}
	}
	return true
}

// checkVersion refuses Version 2008-10-17 in identity policies, which IAM
// requires to be 2012-10-17. A document without Version is accepted, as AWS
// documents, and means 2008-10-17: its ${…} are literal text.
func (p *parser) checkVersion() string {
	if p.kind == Identity && p.version == version2008 {
		return msgVersion
	}
	return ""
}

// checkPrincipalPresence enforces where Principal and NotPrincipal may appear.
func (p *parser) checkPrincipalPresence() string {
	for _, st := range p.stmts {
		hasP, hasNP := st.has("Principal"), st.has("NotPrincipal")
		switch p.kind {
		case Identity:
			if hasP || hasNP {
				return msgPrincipalForbidden
			}
		case Resource:
			if !hasP && !hasNP {
				return msgPrincipalMissing
			}
		case Trust:
			if hasNP {
				return msgTrustNotPrincipal
			}
			if !hasP {
				return msgPrincipalMissing
			}
		}
	}
	return ""
}

// checkLegacy is IAM's "legacy parsing": Effect spelled exactly, condition values
// that can be parsed as what their operator compares, and resources shaped like
// ARNs. It also records the first Resource format error for later.
func (p *parser) checkLegacy() string {
	for _, st := range p.stmts {
		if eff, _ := st.get("Effect"); eff.s != "Allow" && eff.s != "Deny" {
			return msgLegacy
		}
		if c, ok := st.get("Condition"); ok {
			for i, opName := range c.keys {
				op, _ := parseOperator(opName)
				for _, v := range c.vals[i].vals {
					vals, _ := conditionValues(v)
					for _, s := range vals {
						if !op.validValue(s) {
							return msgLegacy
						}
					}
				}
			}
		}
		if p.kind == Trust {
			continue // Resource is refused outright later
		}
		for _, key := range [...]string{"Resource", "NotResource"} {
			v, ok := st.get(key)
			if !ok {
				continue
			}
			list, _ := stringList(v)
			for _, r := range list {
				if msg := resourceFormat(r); msg != "" && p.resourceErr == "" {
					p.resourceErr = msg
				}
			}
			if p.resourceErr != "" {
				continue
			}
			for _, r := range list {
				if r == "*" {
					continue
				}
				parts := strings.Split(r, ":")
				if (len(parts) < 6 && strings.Contains(r, "::")) || len(parts) < 3 || parts[2] == "" {
					return msgLegacy
				}
			}
		}
	}
	return ""
}

// checkSids enforces, in identity policies, Sids that are unique and
// alphanumeric. Resource and trust policies may repeat Sids and use any
// characters, as ECR accepts.
func (p *parser) checkSids() string {
	if p.kind != Identity {
		return ""
	}
	seen := make(map[string]bool)
	for _, st := range p.stmts {
		sid, ok := st.get("Sid")
		if !ok || sid.s == "" {
			continue
		}
		if seen[sid.s] {
			return msgSidUnique
		}
		seen[sid.s] = true
	}
	for _, st := range p.stmts {
		if sid, ok := st.get("Sid"); ok && !isAlnum(sid.s) {
			return msgSidAlnum
		}
	}
	return ""
}

func (p *parser) checkActionsPresent() string {
	for _, st := range p.stmts {
		v, ok := st.get("Action")
		if !ok {
			v, ok = st.get("NotAction")
		}
		if !ok {
			return msgNoActions
		}
		if l, _ := stringList(v); len(l) == 0 {
			return msgNoActions
		}
	}
	return ""
}

// checkVendors checks that actions and condition keys are prefixed by a service.
func (p *parser) checkVendors() string {
	for _, st := range p.stmts {
		for _, key := range [...]string{"Action", "NotAction"} {
			v, ok := st.get(key)
			if !ok {
				continue
			}
			list, _ := stringList(v)
			for _, a := range list {
				if msg := actionFormat(a); msg != "" {
					return msg
				}
			}
		}
	}
	for _, st := range p.stmts {
		c, ok := st.get("Condition")
		if !ok {
			continue
		}
		for _, block := range c.vals {
			for _, key := range block.keys {
				if i := strings.IndexByte(key, ':'); i <= 0 {
					return msgVendor
				}
			}
		}
	}
	return ""
}

// checkResourcesPresent applies each kind's rule for Resource and NotResource.
func (p *parser) checkResourcesPresent() string {
	for _, st := range p.stmts {
		v, ok := st.get("Resource")
		notV, notOK := st.get("NotResource")
		switch p.kind {
		case Trust:
			if ok {
				return msgTrustResource
			}
			if notOK {
				return msgTrustNotResource
			}
			continue
		case Identity:
			if !ok && !notOK {
				return msgNoResources
			}
		}
		if !ok {
			v, ok = notV, notOK
		}
		if !ok {
			continue
		}
		if l, _ := stringList(v); len(l) == 0 {
			return msgNoResources
		}
	}
	return ""
}

// checkTrustActions refuses, in trust policies, actions (or NotActions) that
// match none of the actions that assume a role.
func (p *parser) checkTrustActions() string {
	if p.kind != Trust {
		return ""
	}
	trustActions := [...]string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}
	for _, st := range p.stmts {
		v, ok := st.get("Action")
		if !ok {
			v, _ = st.get("NotAction")
		}
		list, _ := stringList(v)
		for _, a := range list {
			pat := compilePattern(a, true, false, true)
			matched := false
			for _, t := range trustActions {
				if pat.match(t, nil) {
					matched = true
					break
				}
			}
			if !matched {
				return msgTrustAction
			}
		}
	}
	return ""
}

// checkPrincipalValues validates the values of Principal and NotPrincipal.
func (p *parser) checkPrincipalValues() string {
	for _, st := range p.stmts {
		v, ok := st.get("Principal")
		if !ok {
			v, ok = st.get("NotPrincipal")
		}
		if !ok {
			continue
		}
		if _, msg := compilePrincipal(v); msg != "" {
			return msg
		}
	}
	return ""
}

// compile turns the validated document into its evaluable form.
func (p *parser) compile() *Document {
	d := &Document{kind: p.kind, maxAllow: MatchPrincipal, statements: make([]statement, len(p.stmts))}
	for i, st := range p.stmts {
		s := &d.statements[i]
		eff, _ := st.get("Effect")
		s.deny = eff.s == "Deny"

		av, ok := st.get("Action")
		if !ok {
			av, _ = st.get("NotAction")
			s.notAction = true
		}
		actions, _ := stringList(av)
		s.actions = make([]pattern, len(actions))
		for j, a := range actions {
			s.actions[j] = compilePattern(a, true, false, true)
		}

		rv, ok := st.get("Resource")
		if !ok {
			rv, ok = st.get("NotResource")
			s.notResource = ok
		}
		if ok {
			resources, _ := stringList(rv)
			s.resources = make([]pattern, len(resources))
			for j, r := range resources {
				s.resources[j] = compilePattern(r, true, p.vars, false)
			}
		} else {
			s.anyResource = true
		}

		pv, ok := st.get("Principal")
		if !ok {
			pv, ok = st.get("NotPrincipal")
			s.notPrincipal = ok
		}
		if ok {
			s.principals, _ = compilePrincipal(pv)
			for _, e := range s.principals {
				if e.kind == pSession && !s.deny && !s.notPrincipal {
					d.maxAllow = matchSession
				}
			}
		}

		if c, ok := st.get("Condition"); ok {
			s.conditions = compileConditions(c, p.vars)
		}
	}
	return d
}
