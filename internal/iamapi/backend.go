package iamapi

import (
	"context"
	"net/http"
	"time"

	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
)

// Backend is what the IAM, STS and Organizations faces need of the identity service
// (*iam.Service). Errors a client can act on are *errcode.Error whose message is final:
// the faces choose the wire code and status, never the words.
type Backend interface {
	// Authenticate verifies r's SigV4 signature for service ("iam", "sts",
	// "organizations") and returns the caller. Errors are *errcode.Error
	// (MissingAuthenticationToken, IncompleteSignature, InvalidSignature,
	// UnrecognizedClient, ExpiredToken) or internal.
	Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (iam.Principal, error)
	// Authorize returns nil, or an *errcode.Error with Code Denied and AWS's
	// AccessDenied message.
	Authorize(ctx context.Context, req iam.Request) error

	CreateUser(ctx context.Context, accountID, name, path string) (meta.User, error)
	GetUser(ctx context.Context, accountID, name string) (meta.User, error)
	ListUsers(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) (users []meta.User, nextMarker string, err error)
	DeleteUser(ctx context.Context, accountID, name string) error

	// CreateAccessKey creates a key of a user; userName "" is the account's root.
	CreateAccessKey(ctx context.Context, accountID, userName string) (key meta.AccessKey, secret string, err error)
	ListAccessKeys(ctx context.Context, accountID, userName string) ([]meta.AccessKey, error)
	UpdateAccessKey(ctx context.Context, accountID, userName, keyID, status string) error
	DeleteAccessKey(ctx context.Context, accountID, userName, keyID string) error

	CreateGroup(ctx context.Context, accountID, name, path string) (meta.Group, error)
	GetGroup(ctx context.Context, accountID, name string) (meta.Group, []meta.User, error)
	ListGroups(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) ([]meta.Group, string, error)
	ListGroupsForUser(ctx context.Context, accountID, userName string) ([]meta.Group, error)
	DeleteGroup(ctx context.Context, accountID, name string) error
	AddUserToGroup(ctx context.Context, accountID, group, user string) error
	RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error

	// CreateRole creates a role from r's Name, Path, Description, TrustPolicy and
	// MaxSessionDuration (0 is 3600).
	CreateRole(ctx context.Context, accountID string, r meta.Role) (meta.Role, error)
	GetRole(ctx context.Context, accountID, name string) (meta.Role, error)
	ListRoles(ctx context.Context, accountID, pathPrefix, marker string, maxItems int) ([]meta.Role, string, error)
	DeleteRole(ctx context.Context, accountID, name string) error
	UpdateAssumeRolePolicy(ctx context.Context, accountID, roleName, document string) error

	PutInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name, document string) error
	GetInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) (string, error)
	DeleteInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) error
	ListInlinePolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]string, error)
	AttachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error
	DetachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error
	ListAttachedPolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]iam.AttachedPolicy, error)

	CreatePolicy(ctx context.Context, accountID, name, path, description, document string) (meta.ManagedPolicy, error)
	// GetPolicy returns a customer managed policy of the account or an AWS managed one.
	GetPolicy(ctx context.Context, accountID, arn string) (meta.ManagedPolicy, error)
	// ListPolicies lists managed policies; scope is All, AWS or Local.
	ListPolicies(ctx context.Context, accountID, scope string, onlyAttached bool, pathPrefix, marker string, maxItems int) ([]meta.ManagedPolicy, string, error)
	DeletePolicy(ctx context.Context, accountID, arn string) error
	CreatePolicyVersion(ctx context.Context, accountID, arn, document string, setDefault bool) (meta.PolicyVersion, error)
	GetPolicyVersion(ctx context.Context, accountID, arn, versionID string) (meta.PolicyVersion, error)
	ListPolicyVersions(ctx context.Context, accountID, arn string) ([]meta.PolicyVersion, error)
	DeletePolicyVersion(ctx context.Context, accountID, arn, versionID string) error
	SetDefaultPolicyVersion(ctx context.Context, accountID, arn, versionID string) error

	// AssumeRole authorizes caller (identity policies and the role's trust policy) and
	// returns the session's credentials and principal.
	// MinSessionDuration is the shortest session AssumeRole grants.
	MinSessionDuration() time.Duration
	AssumeRole(ctx context.Context, caller iam.Principal, in iam.AssumeRoleInput) (iam.Credentials, iam.Principal, error)

	CreateAccount(ctx context.Context, caller iam.Principal, name, email, roleName string) (meta.CreateAccountStatus, error)
	DescribeCreateAccountStatus(ctx context.Context, caller iam.Principal, id string) (meta.CreateAccountStatus, error)
	ListCreateAccountStatus(ctx context.Context, caller iam.Principal, states []string, nextToken string, maxResults int) ([]meta.CreateAccountStatus, string, error)
	ListAccounts(ctx context.Context, caller iam.Principal, nextToken string, maxResults int) ([]meta.Account, string, error)
	DescribeOrganization(ctx context.Context, caller iam.Principal) (iam.Organization, error)
}
