package iam

import (
	"time"
)

// Request is one authorization question: may Principal perform Action on Resource?
type Request struct {
	Principal Principal
	// Action is "<service>:<Operation>", e.g. "ecr:BatchGetImage".
	Action string
	// Resource is the ARN acted on, or "*" for actions without a resource.
	Resource string
	// ResourceAccount owns the resource; "" is the principal's own account.
	ResourceAccount string
	// SourceIP and Secure describe the connection (aws:SourceIp, aws:SecureTransport).
	SourceIP string
	Secure   bool
	// Context holds condition keys the request carries besides those berth derives
	// (aws:RequestTag/…, aws:TagKeys, …). A request with Context is never served from
	// the decision cache.
	Context map[string][]string
}

// AssumeRoleInput is an STS AssumeRole request.
type AssumeRoleInput struct {
	RoleARN     string
	SessionName string
	// Duration is how long the credentials last; 0 is one hour.
	Duration   time.Duration
	ExternalID string
	// Policy is an optional session policy: the session may do only what both it and
	// the role's policies allow.
	Policy   string
	SourceIP string
	Secure   bool
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AttachedPolicy names a managed policy attached to a user, group or role.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// Organization is the one organization all of berth's accounts belong to; its
// management account is the default account.
type Organization struct {
	ID                 string
	ARN                string
	MasterAccountID    string
	MasterAccountARN   string
	MasterAccountEmail string
}

// OrganizationAccountARN is the ARN Organizations gives an account of org.
func OrganizationAccountARN(org Organization, accountID string) string {
	return "arn:aws:organizations::" + org.MasterAccountID + ":account/" + org.ID + "/" + accountID
}
