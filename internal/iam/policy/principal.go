package policy

import "strings"

// principalKind is what a Principal value names.
type principalKind uint8

const (
	pAny     principalKind = iota // "*" or {"AWS":"*"}
	pAccount                      // an account id or its root ARN; value is the id
	pUser                         // a user ARN
	pRole                         // a role ARN: matches the role's sessions
	pSession                      // an assumed-role session ARN
	pOther                        // Service, Federated, CanonicalUser: never a berth principal
)

type principalEntry struct {
	kind  principalKind
	value string
}

// compilePrincipal compiles a syntactically valid Principal or NotPrincipal
// value, or returns IAM's message for the first value it refuses.
func compilePrincipal(v *jvalue) ([]principalEntry, string) {
	if v.kind == jString { // "*", checked by checkPrincipalSyntax
		return []principalEntry{{kind: pAny}}, ""
	}
	var entries []principalEntry
	for i, key := range v.keys {
		values, _ := stringList(v.vals[i])
		for _, s := range values {
			var e principalEntry
			ok := true
			switch key {
			case "AWS":
				e, ok = awsPrincipal(s)
			case "Service", "Federated", "CanonicalUser":
				e, ok = principalEntry{kind: pOther, value: s}, s != ""
			default:
				ok = false
			}
			if !ok {
				return nil, msgInvalidPrincipal(key, s)
			}
			entries = append(entries, e)
		}
	}
	return entries, ""
}

// awsPrincipal parses a value of {"AWS": …}: "*", an account id, or the ARN of
// an account's root, a user, a role or a role session, in partition aws.
// Wildcards are not allowed anywhere else, as in AWS.
func awsPrincipal(s string) (principalEntry, bool) {
	if s == "*" {
		return principalEntry{kind: pAny}, true
	}
	if isAccountID(s) {
		return principalEntry{kind: pAccount, value: s}, true
	}
	if strings.ContainsAny(s, "*?") {
		return principalEntry{}, false
	}
	if rest, ok := strings.CutPrefix(s, "arn:aws:iam::"); ok {
		account, res, ok := strings.Cut(rest, ":")
		if !ok || !isAccountID(account) {
			return principalEntry{}, false
		}
		switch {
		case res == "root":
			return principalEntry{kind: pAccount, value: account}, true
		case len(res) > len("user/") && strings.HasPrefix(res, "user/") && !strings.HasSuffix(res, "/"):
			return principalEntry{kind: pUser, value: s}, true
		case len(res) > len("role/") && strings.HasPrefix(res, "role/") && !strings.HasSuffix(res, "/"):
			return principalEntry{kind: pRole, value: s}, true
		}
		return principalEntry{}, false
	}
	if rest, ok := strings.CutPrefix(s, "arn:aws:sts::"); ok {
		account, res, ok := strings.Cut(rest, ":")
		if !ok || !isAccountID(account) {
			return principalEntry{}, false
		}
		session, ok := strings.CutPrefix(res, "assumed-role/")
		role, name, ok2 := strings.Cut(session, "/")
		if ok && ok2 && role != "" && name != "" && !strings.Contains(name, "/") {
			return principalEntry{kind: pSession, value: s}, true
		}
	}
	return principalEntry{}, false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// matchPrincipal is how the strongest of entries names p.
func matchPrincipal(entries []principalEntry, p *Principal) Match {
	best := NoMatch
	for i := range entries {
		if m := entries[i].match(p); m > best {
			best = m
		}
	}
	return best
}

func (e *principalEntry) match(p *Principal) Match {
	switch e.kind {
	case pAny:
		return MatchPrincipal
	case pAccount:
		if p.Type == typeAnonymous || p.AccountID != e.value {
			return NoMatch
		}
		// An account's root ARN and its id name the same principal, the root
		// user; for anyone else in the account they delegate to the account.
		if p.Type == typeAccount {
			return MatchPrincipal
		}
		return MatchAccount
	case pUser:
		if p.Type == typeUser && p.ARN == e.value {
			return MatchPrincipal
		}
	case pRole:
		if p.Type == typeAssumedRole && p.RoleARN == e.value {
			return MatchPrincipal
		}
	case pSession:
		if p.Type == typeAssumedRole && p.ARN == e.value {
			return matchSession
		}
	}
	return NoMatch
}
