package policy

// Input is everything that bears on one request.
type Input struct {
	// Identity are the principal's identity-based policies. Ignored when Root is
	// true.
	Identity []*Document
	// Root is true for an account's root user: its own account's identity
	// policies always allow it (only explicit denies in resource policies, or in
	// Session, stop it).
	Root bool
	// Session, when non-nil, are session policies (the Policy of STS AssumeRole):
	// an identity-based allow counts only if a session policy allows too.
	//
	// A resource policy that names the session's own ARN grants regardless of
	// Session, as AWS documents. AWS limits a resource policy that names the role
	// ARN by the session policy; Decide goes further and limits every other
	// MatchPrincipal allow ("*", NotPrincipal) too, which can only deny more.
	Session []*Document
	// Resource are the resource-based policies of the resource (repository
	// policy and registry policy; a role's trust policy for sts:AssumeRole).
	//
	// A role can be assumed only if its trust policy allows it, even from the
	// role's own account (AWS: "role trust policies ... must explicitly allow
	// access for principals"): when any of these is a Trust document, an
	// identity allow in the same account counts only if a trust policy names
	// the principal's account (MatchAccount); one that names the principal
	// itself grants on its own, as for other resource-based policies.
	Resource []*Document
	// ResourceAccount owns the resource.
	ResourceAccount string
}

// Reason says why a request was denied, in the words of AWS's AccessDenied
// messages.
type Reason int

const (
	Allowed              Reason = iota
	ExplicitDenyIdentity        // "with an explicit deny in an identity-based policy"
	ExplicitDenyResource        // "with an explicit deny in a resource-based policy"
	ExplicitDenySession         // "with an explicit deny in a session policy"
	NoIdentityAllow             // "because no identity-based policy allows the <action> action"
	NoResourceAllow             // "because no resource-based policy allows the <action> action"
	NoSessionAllow              // "because no session policy allows the <action> action"
)

func (r Reason) String() string {
	switch r {
	case Allowed:
		return "Allowed"
	case ExplicitDenyIdentity:
		return "ExplicitDenyIdentity"
	case ExplicitDenyResource:
		return "ExplicitDenyResource"
	case ExplicitDenySession:
		return "ExplicitDenySession"
	case NoIdentityAllow:
		return "NoIdentityAllow"
	case NoResourceAllow:
		return "NoResourceAllow"
	case NoSessionAllow:
		return "NoSessionAllow"
	}
	return "Reason(?)"
}

// Decision is the outcome of Decide.
type Decision struct {
	Reason   Reason
	Volatile bool // some evaluated document read a volatile key: do not cache
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Reason == Allowed }

// Decide applies AWS's evaluation logic, without SCPs and permission boundaries:
//
//  1. An explicit Deny in any applying identity, resource or session policy
//     denies; identity policies are evaluated first, then resource policies, then
//     session policies, and the first deny found is the Reason.
//  2. In the same account (Principal.AccountID == ResourceAccount) the request is
//     allowed if a resource policy allows it with MatchPrincipal, or if an
//     identity policy allows it (the root user: always), subject to Session as
//     described there. A resource allow with only MatchAccount delegates to the
//     identity policies and does not grant on its own. Otherwise NoIdentityAllow
//     (NoSessionAllow if only the session policy was missing). A role's trust
//     policy is the exception: see Input.Resource.
//  3. Across accounts, both sides must allow: the identity side (the root user:
//     always) and some resource policy, with MatchAccount or MatchPrincipal.
//     Otherwise NoIdentityAllow if the identity side does not allow (or
//     NoSessionAllow if only the session policy was missing), else
//     NoResourceAllow.
//
// An Anonymous principal has no identity side: it is allowed only by a resource
// policy that allows with MatchPrincipal ("*"), and otherwise denied with
// NoResourceAllow.
//
// Documents are evaluated only until the decision is known, so Volatile is set
// only by keys the decision depended on.
func Decide(in Input, req *Request) Decision {
	if req == nil {
		return Decision{Reason: NoIdentityAllow}
	}
	e := evaluator{req: req}
	anonymous := req.Principal.Type == typeAnonymous

	identityAllow := in.Root
	if !anonymous && !in.Root {
		for _, d := range in.Identity {
			r := d.evaluate(&e)
			if r.Deny {
				return Decision{ExplicitDenyIdentity, e.volatile}
			}
			if r.Allow != NoMatch {
				identityAllow = true
			}
		}
	}

	resourceAllow, trust := NoMatch, false
	for _, d := range in.Resource {
		trust = trust || d != nil && d.kind == Trust
		r := d.evaluate(&e)
		if r.Deny {
			return Decision{ExplicitDenyResource, e.volatile}
		}
		resourceAllow = max(resourceAllow, r.Allow)
	}

	sessionAllow := in.Session == nil
	for _, d := range in.Session {
		r := d.evaluate(&e)
		if r.Deny {
			return Decision{ExplicitDenySession, e.volatile}
		}
		if r.Allow != NoMatch {
			sessionAllow = true
		}
	}

	sameAccount := req.Principal.AccountID == in.ResourceAccount
	reason := decide(anonymous, sameAccount, trust, identityAllow, resourceAllow, sessionAllow)
	return Decision{reason, e.volatile}
}

// decide combines what each kind of policy said; see Decide.
func decide(anonymous, sameAccount, trust, identityAllow bool, resourceAllow Match, sessionAllow bool) Reason {
	switch {
	case anonymous:
		if resourceAllow >= MatchPrincipal {
			return Allowed
		}
		return NoResourceAllow
	case resourceAllow == matchSession && sameAccount:
		return Allowed
	case sameAccount:
		// A trust policy must allow even in its own account: naming the
		// principal grants on its own, naming the account delegates to the
		// identity policies, naming neither denies.
		if resourceAllow >= MatchPrincipal || identityAllow && (!trust || resourceAllow == MatchAccount) {
			if sessionAllow {
				return Allowed
			}
			return NoSessionAllow
		}
		if identityAllow {
			return NoResourceAllow
		}
		return NoIdentityAllow
	case !identityAllow:
		return NoIdentityAllow
	case !sessionAllow:
		return NoSessionAllow
	case resourceAllow == NoMatch:
		return NoResourceAllow
	}
	return Allowed
}

// DenyMessage is AWS's AccessDenied message for a request denied for reason:
//
//	User: <principal ARN> is not authorized to perform: <action> on resource: <resource> <reason clause>
//
// For an Anonymous principal the principal is "anonymous". It is "" for Allowed.
func DenyMessage(req *Request, reason Reason) string {
	if req == nil {
		return ""
	}
	var clause string
	switch reason {
	case ExplicitDenyIdentity:
		clause = "with an explicit deny in an identity-based policy"
	case ExplicitDenyResource:
		clause = "with an explicit deny in a resource-based policy"
	case ExplicitDenySession:
		clause = "with an explicit deny in a session policy"
	case NoIdentityAllow:
		clause = "because no identity-based policy allows the " + req.Action + " action"
	case NoResourceAllow:
		clause = "because no resource-based policy allows the " + req.Action + " action"
	case NoSessionAllow:
		clause = "because no session policy allows the " + req.Action + " action"
	default:
		return ""
	}
	who := req.Principal.ARN
	if req.Principal.Type == typeAnonymous {
		who = "anonymous"
	}
	return "User: " + who + " is not authorized to perform: " + req.Action + " on resource: " + req.Resource + " " + clause
}
