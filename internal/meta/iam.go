package meta

import (
	"context"
	"errors"
	"time"
)

// ErrLimitExceeded is a write that would pass a quota the store enforces (five versions
// of a managed policy).
var ErrLimitExceeded = errors.New("limit exceeded")

// InUseError is a delete refused because other entities still depend on the target, as
// IAM's DeleteConflict. Dependents says what must go first: "access keys", "policies",
// "attached policies", "groups", "users", "versions", "attachments", "default version".
type InUseError struct {
	Dependents string
}

func (e *InUseError) Error() string { return "in use: delete its " + e.Dependents + " first" }

// Is makes errors.Is(err, ErrConflict) true for an InUseError.
func (e *InUseError) Is(target error) bool { return target == ErrConflict }

// IAMKind names an owner of inline policies and policy attachments.
type IAMKind string

// The kinds of IAM identities that own policies.
const (
	KindUser  IAMKind = "user"
	KindGroup IAMKind = "group"
	KindRole  IAMKind = "role"
)

// User is an IAM user of an account. Names are unique per account without regard to
// case, and every lookup by name ignores case, as in IAM.
type User struct {
	AccountID string
	Name      string
	// ID is the unique id IAM shows as UserId (AIDA…).
	ID        string
	Path      string
	CreatedAt time.Time
}

// Group is an IAM group of users.
type Group struct {
	AccountID string
	Name      string
	// ID is the unique id IAM shows as GroupId (AGPA…).
	ID        string
	Path      string
	CreatedAt time.Time
}

// Role is an IAM role: an identity that principals named by its trust policy assume.
type Role struct {
	AccountID string
	Name      string
	// ID is the unique id IAM shows as RoleId (AROA…).
	ID          string
	Path        string
	Description string
	// TrustPolicy is the assume-role policy document, verbatim.
	TrustPolicy string
	// MaxSessionDuration is the longest session AssumeRole grants, in seconds.
	MaxSessionDuration int
	CreatedAt          time.Time
}

// ManagedPolicy is a customer managed policy: a named, versioned policy document that
// users, groups and roles of its account attach. AWS managed policies are not stored.
type ManagedPolicy struct {
	ARN       string
	AccountID string
	Name      string
	// ID is the unique id IAM shows as PolicyId (ANPA…).
	ID             string
	Path           string
	Description    string
	DefaultVersion string
	// AttachmentCount is how many users, groups and roles have it attached (read only).
	AttachmentCount int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	// VersionID is v1, v2, …; a deleted version's id is never reused.
	VersionID string
	Document  string
	IsDefault bool
	CreatedAt time.Time
}

// IAMUsers manages IAM users.
type IAMUsers interface {
	// CreateUser stores a user; ErrConflict if the name (in any case) exists.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user by name, or ErrNotFound.
	GetUser(ctx context.Context, accountID, name string) (User, error)
	// ListUsers returns up to limit users whose path starts with pathPrefix, sorted by
	// name (case-insensitively), all after the name after.
	ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]User, error)
	// DeleteUser deletes a user; ErrNotFound, or an *InUseError while it has access
	// keys, inline policies, attached policies or group memberships.
	DeleteUser(ctx context.Context, accountID, name string) error
}

// IAMGroups manages IAM groups and their members.
type IAMGroups interface {
	// CreateGroup stores a group; ErrConflict if the name (in any case) exists.
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, accountID, name string) (Group, error)
	ListGroups(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]Group, error)
	// DeleteGroup deletes a group; ErrNotFound, or an *InUseError while it has members,
	// inline policies or attached policies.
	DeleteGroup(ctx context.Context, accountID, name string) error
	// AddUserToGroup adds a member (adding one twice is not an error); ErrNotFound if
	// either does not exist.
	AddUserToGroup(ctx context.Context, accountID, group, user string) error
	// RemoveUserFromGroup removes a member; ErrNotFound if either does not exist or the
	// user is not a member.
	RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error
	// ListGroupMembers returns a group's users sorted by name; ErrNotFound for no group.
	ListGroupMembers(ctx context.Context, accountID, group string) ([]User, error)
	// ListGroupsForUser returns the groups a user is in, sorted by name; ErrNotFound for
	// no user.
	ListGroupsForUser(ctx context.Context, accountID, user string) ([]Group, error)
}

// IAMRoles manages IAM roles.
type IAMRoles interface {
	// CreateRole stores a role; ErrConflict if the name (in any case) exists.
	CreateRole(ctx context.Context, r Role) error
	GetRole(ctx context.Context, accountID, name string) (Role, error)
	ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]Role, error)
	// DeleteRole deletes a role; ErrNotFound, or an *InUseError while it has inline or
	// attached policies.
	DeleteRole(ctx context.Context, accountID, name string) error
	// UpdateTrustPolicy replaces a role's trust policy; ErrNotFound for no role.
	UpdateTrustPolicy(ctx context.Context, accountID, name, document string) error
}

// IAMPolicies manages the policies of users, groups and roles: inline policies (named
// documents embedded in one identity) and attachments of managed policies.
type IAMPolicies interface {
	// PutInlinePolicy creates or replaces an inline policy; ErrNotFound if the owner
	// does not exist.
	PutInlinePolicy(ctx context.Context, accountID string, kind IAMKind, owner, name, document string) error
	// GetInlinePolicy returns an inline policy's document; ErrNotFound.
	GetInlinePolicy(ctx context.Context, accountID string, kind IAMKind, owner, name string) (string, error)
	DeleteInlinePolicy(ctx context.Context, accountID string, kind IAMKind, owner, name string) error
	// ListInlinePolicies returns the names of an owner's inline policies, sorted;
	// ErrNotFound if the owner does not exist.
	ListInlinePolicies(ctx context.Context, accountID string, kind IAMKind, owner string) ([]string, error)
	// AttachPolicy attaches a managed policy by ARN (attaching twice is not an error).
	// ErrNotFound if the owner does not exist, or if policyARN is not an AWS managed ARN
	// and no customer managed policy of the owner's account has it; AWS managed ARNs
	// (arn:aws:iam::aws:policy/…) are the caller's to check.
	AttachPolicy(ctx context.Context, accountID string, kind IAMKind, owner, policyARN string) error
	// DetachPolicy detaches a policy; ErrNotFound if it is not attached.
	DetachPolicy(ctx context.Context, accountID string, kind IAMKind, owner, policyARN string) error
	// ListAttachedPolicies returns the ARNs attached to an owner, sorted; ErrNotFound
	// if the owner does not exist.
	ListAttachedPolicies(ctx context.Context, accountID string, kind IAMKind, owner string) ([]string, error)
	// IdentityPolicies returns, in one read, every policy that applies to a user or a
	// role: the documents of its inline policies and of the default versions of its
	// attached customer managed policies and, for a user, the same of each of its
	// groups; and the ARNs of the AWS managed policies attached to any of them, whose
	// documents berth knows without storing them. ErrNotFound if the identity does not
	// exist.
	IdentityPolicies(ctx context.Context, accountID string, kind IAMKind, name string) (documents, awsManagedARNs []string, err error)
}

// IAMManagedPolicies manages customer managed policies and their versions.
type IAMManagedPolicies interface {
	// CreatePolicy stores a policy with document as its default version v1;
	// ErrConflict if a policy of that name exists in the account.
	CreatePolicy(ctx context.Context, p ManagedPolicy, document string) error
	// GetPolicy returns a policy by ARN, with its AttachmentCount; ErrNotFound.
	GetPolicy(ctx context.Context, arn string) (ManagedPolicy, error)
	// ListPolicies returns up to limit policies of an account whose path starts with
	// pathPrefix, sorted by name, all after after; onlyAttached keeps those attached.
	ListPolicies(ctx context.Context, accountID, pathPrefix string, onlyAttached bool, after string, limit int) ([]ManagedPolicy, error)
	// DeletePolicy deletes a policy; ErrNotFound, or an *InUseError while it is
	// attached ("attachments") or has versions besides the default ("versions").
	DeletePolicy(ctx context.Context, arn string) error
	// CreatePolicyVersion adds a version, the default one if setDefault (which sets
	// the policy's UpdatedAt to now; a version that is not the default leaves it);
	// ErrNotFound for no policy, ErrLimitExceeded when the policy already has five.
	CreatePolicyVersion(ctx context.Context, arn, document string, setDefault bool, now time.Time) (PolicyVersion, error)
	GetPolicyVersion(ctx context.Context, arn, versionID string) (PolicyVersion, error)
	// ListPolicyVersions returns a policy's versions, newest first; ErrNotFound for no
	// policy.
	ListPolicyVersions(ctx context.Context, arn string) ([]PolicyVersion, error)
	// DeletePolicyVersion deletes a version; ErrNotFound, or an *InUseError ("default
	// version") for the default one.
	DeletePolicyVersion(ctx context.Context, arn, versionID string) error
	// SetDefaultPolicyVersion makes a version the default and sets the policy's
	// UpdatedAt to now; ErrNotFound.
	SetDefaultPolicyVersion(ctx context.Context, arn, versionID string, now time.Time) error
	// AttachmentCount returns how many identities of an account have policyARN
	// attached (for AWS managed policies, which have no row).
	AttachmentCount(ctx context.Context, accountID, policyARN string) (int, error)
}

// ResourcePolicies holds ECR's resource-based policies: one per repository and one per
// registry. A repository's policy is deleted with the repository.
type ResourcePolicies interface {
	// SetRepositoryPolicy sets a repository's policy; ErrNotFound for no repository.
	SetRepositoryPolicy(ctx context.Context, repoID int64, text string) error
	// RepositoryPolicy returns a repository's policy, or ErrNotFound if it has none.
	RepositoryPolicy(ctx context.Context, repoID int64) (string, error)
	// DeleteRepositoryPolicy deletes and returns a repository's policy; ErrNotFound.
	DeleteRepositoryPolicy(ctx context.Context, repoID int64) (string, error)
	PutRegistryPolicy(ctx context.Context, accountID, text string) error
	// RegistryPolicy returns a registry's policy, or ErrNotFound if it has none.
	RegistryPolicy(ctx context.Context, accountID string) (string, error)
	// DeleteRegistryPolicy deletes and returns a registry's policy; ErrNotFound.
	DeleteRegistryPolicy(ctx context.Context, accountID string) (string, error)
}

// CreateAccountStatus is an Organizations CreateAccount request and its outcome.
type CreateAccountStatus struct {
	// ID is car-<32 hex>.
	ID          string
	AccountName string
	Email       string
	// AccountID is set once the account exists.
	AccountID string
	// State is IN_PROGRESS, SUCCEEDED or FAILED.
	State string
	// FailureReason is Organizations' reason code when State is FAILED
	// (EMAIL_ALREADY_EXISTS, …).
	FailureReason string
	RequestedAt   time.Time
	CompletedAt   time.Time
}

// Organization lists accounts and records CreateAccount requests. Every account berth
// holds is in the one organization, whose management account is the default account.
type Organization interface {
	// ListAccounts returns up to limit accounts sorted by id, all after after.
	ListAccounts(ctx context.Context, after string, limit int) ([]Account, error)
	// PutCreateAccountStatus creates or replaces a request's status.
	PutCreateAccountStatus(ctx context.Context, s CreateAccountStatus) error
	// GetCreateAccountStatus returns a request's status, or ErrNotFound.
	GetCreateAccountStatus(ctx context.Context, id string) (CreateAccountStatus, error)
	// ListCreateAccountStatus returns up to limit requests, newest first, whose state
	// is one of states (all if none), all older than the request after ("" = newest;
	// an id that names no request lists none).
	ListCreateAccountStatus(ctx context.Context, states []string, after string, limit int) ([]CreateAccountStatus, error)
}

// AuthEpochs tells when anything that authorization depends on may have changed: IAM
// identities, policies, access keys, repository and registry policies, repositories and
// their resource tags, accounts. Caches of authorization data are valid while the
// epoch they were filled under is current.
type AuthEpochs interface {
	// AuthEpoch returns the current epoch. It is cheap (no I/O): a replica learns of
	// other replicas' changes by its store's own means (SQLite has no other writers).
	// Read it before reading what a cache will hold.
	AuthEpoch() uint64
}
