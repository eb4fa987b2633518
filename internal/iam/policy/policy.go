// Package policy parses, validates and evaluates AWS IAM policy documents.
//
// It is berth's one policy evaluator: every request, whether an ECR API call, a
// /v2 registry pull or push, or an IAM, STS or Organizations call, is authorized
// through Decide. It therefore follows AWS's documented evaluation logic rather
// than a simplification of it, and it is built for the hot path: Parse compiles a
// document once, and Evaluate of a compiled document does not allocate in the
// common case.
//
// Parse refuses what AWS refuses, with AWS's messages, so that the IAM and ECR
// APIs can return them verbatim as MalformedPolicyDocument errors.
package policy

// Kind is where a document is used; it decides what validation requires.
type Kind int

const (
	// Identity is a policy attached to users, groups or roles, or an STS session
	// policy: no Principal or NotPrincipal; Action (or NotAction) and Resource (or
	// NotResource) in every statement.
	Identity Kind = iota
	// Resource is a resource-based policy (an ECR repository or registry policy):
	// Principal or NotPrincipal required; Resource optional, and when omitted the
	// statement is about the resource the policy is attached to, so it matches any
	// resource.
	Resource
	// Trust is a role's trust (assume-role) policy: Principal required, Resource
	// absent, and only the STS actions that assume a role or decorate its session.
	Trust
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "Identity"
	case Resource:
		return "Resource"
	case Trust:
		return "Trust"
	}
	return "Kind(?)"
}

// Error is a document that is not a valid policy; Message is what AWS says, so
// that IAM can return it as a MalformedPolicyDocument error.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Document is a parsed, validated policy, ready to evaluate. It is immutable and
// safe for concurrent use.
type Document struct {
	kind Kind
	// maxAllow is the strongest match an Allow statement can make: evaluation
	// skips Allow statements once it is reached.
	maxAllow   Match
	statements []statement
}

// statement is one compiled Statement element.
type statement struct {
	deny      bool
	notAction bool
	actions   []pattern
	// anyResource is set when the statement has neither Resource nor NotResource
	// (resource and trust policies): it is about the resource it is attached to.
	anyResource bool
	notResource bool
	resources   []pattern
	// principals is nil in identity policies, whose principal is implicit.
	principals   []principalEntry
	notPrincipal bool
	conditions   []condition
}

// Principal is who makes a request, with the attributes conditions read.
type Principal struct {
	// Type is "Account" for an account's root, "User" for an IAM user,
	// "AssumedRole" for a role session, "Anonymous" for none.
	Type      string
	AccountID string
	// ARN is arn:aws:iam::<acct>:root, arn:aws:iam::<acct>:user/<path><name>, or
	// arn:aws:sts::<acct>:assumed-role/<role>/<session>.
	ARN string
	// RoleARN is the ARN of a session's role, arn:aws:iam::<acct>:role/<path><name>
	// (aws:PrincipalArn of a session).
	RoleARN  string
	UserID   string // aws:userid: AIDA… for users, the account id for root, AROA…:<session> for sessions
	UserName string // aws:username, users only
	OrgID    string // aws:PrincipalOrgID, "" if none
}

// Principal types.
const (
	typeAccount     = "Account"
	typeUser        = "User"
	typeAssumedRole = "AssumedRole"
	typeAnonymous   = "Anonymous"
)

// Request is one authorization question.
type Request struct {
	Principal Principal
	Action    string // "ecr:BatchGetImage"; matched case-insensitively
	Resource  string // an ARN or "*"; matched case-sensitively
	// Context holds the condition keys the caller knows besides those derived
	// from Principal, which Evaluate supplies itself (aws:PrincipalArn,
	// aws:PrincipalAccount, aws:PrincipalType, aws:userid, aws:username,
	// aws:PrincipalOrgID) unless Context has them. Keys are matched
	// case-insensitively, so they may be stored in any case. A key with no
	// values is treated as absent.
	Context map[string][]string
	// Volatile lists context keys (case-insensitive; a trailing * matches any
	// suffix) whose values change from request to request: a decision that read
	// one of them must not be cached. If nil, the default list is used:
	// aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime,
	// aws:TokenIssueTime, aws:RequestTag/*, aws:TagKeys,
	// aws:MultiFactorAuthPresent, aws:UserAgent, aws:Referer, sts:ExternalId,
	// sts:RoleSessionName.
	Volatile []string
}

// Match is how a statement's Principal matched the request's principal
// (resource and trust policies only).
type Match int

const (
	// NoMatch is a statement whose Principal does not name the principal.
	NoMatch Match = iota
	// MatchAccount is a statement that named the principal's account (an
	// account id, or arn:aws:iam::<acct>:root). For a principal in the same
	// account as the resource this delegates to the account's identity policies
	// and does not grant on its own.
	MatchAccount
	// MatchPrincipal is a statement that named the principal itself ("*",
	// {"AWS":"*"}, its user ARN, its role ARN for a session of that role, its
	// session ARN, or the account for the account's root user), or a NotPrincipal
	// statement that did not exclude it. It grants on its own, even in the same
	// account.
	MatchPrincipal

	// matchSession is MatchPrincipal through the session's own ARN, which AWS
	// does not limit by session policies. Evaluate reports it as MatchPrincipal.
	matchSession
)

func (m Match) String() string {
	switch m {
	case NoMatch:
		return "NoMatch"
	case MatchAccount:
		return "MatchAccount"
	case MatchPrincipal, matchSession:
		return "MatchPrincipal"
	}
	return "Match(?)"
}

// Result is what one document says about a request.
type Result struct {
	Deny bool // some statement with Effect Deny applies
	// Allow is the strongest match among applying Allow statements; for Identity
	// documents an applying Allow is reported as MatchPrincipal.
	Allow Match
	// Volatile is true when evaluating read a volatile context key (see
	// Request.Volatile), whatever the outcome.
	Volatile bool
}

// Evaluate says what d says about req.
//
// Statements are checked action first, then principal, then resource, then
// conditions, and a statement that cannot change the result (a Deny once one
// applies, an Allow once the strongest match is reached) is skipped. Context
// keys are therefore read, and Volatile set, only when the outcome depends on
// them.
func (d *Document) Evaluate(req *Request) Result {
	if req == nil {
		return Result{}
	}
	e := evaluator{req: req}
	r := d.evaluate(&e)
	if r.Allow == matchSession {
		r.Allow = MatchPrincipal
	}
	return r
}

// GovernsAction reports whether some statement of d applies to action by its Action or
// NotAction element, whatever its effect, principal, resource or conditions: what a
// service checks when it allows only some actions in a policy (ECR's registry policy
// under scope V1).
func (d *Document) GovernsAction(action string) bool {
	for i := range d.statements {
		s := &d.statements[i]
		if s.matchAction(action) != s.notAction {
			return true
		}
	}
	return false
}
