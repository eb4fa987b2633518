package iam

import (
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/iam/policy"
)

// PrincipalType is the kind of identity that made a request, as aws:PrincipalType
// names it.
type PrincipalType string

// The types of principals.
const (
	TypeRoot        PrincipalType = "Account"
	TypeUser        PrincipalType = "User"
	TypeAssumedRole PrincipalType = "AssumedRole"
)

// Principal is who made a request: an account's root, one of its IAM users, or a
// session of one of its roles.
type Principal struct {
	Type      PrincipalType
	AccountID string
	// ARN is arn:aws:iam::<account>:root, …:user/<path><name>, or
	// arn:aws:sts::<account>:assumed-role/<role>/<session>.
	ARN string
	// UserID is aws:userid: the account id for root, AIDA… for a user, AROA…:<session>
	// for a session.
	UserID      string
	AccessKeyID string
	// UserName is set for users.
	UserName string
	// RoleName, RoleARN and SessionName are set for role sessions.
	RoleName    string
	RoleARN     string
	SessionName string
	// Expires is when a session's temporary credentials expire.
	Expires time.Time
	// SessionPolicy is the session policy AssumeRole was given, if any.
	SessionPolicy string
}

// IsRoot reports whether p is an account's root.
func (p Principal) IsRoot() bool { return p.Type == TypeRoot }

// policyPrincipal is p as the policy evaluator sees it.
func (p Principal) policyPrincipal(orgID string) policy.Principal {
	return policy.Principal{Type: string(p.Type), AccountID: p.AccountID, ARN: p.ARN, RoleARN: p.RoleARN,
		UserID: p.UserID, UserName: p.UserName, OrgID: orgID}
}

// RootPrincipal is the root of an account.
func RootPrincipal(accountID, accessKeyID string) Principal {
	return Principal{Type: TypeRoot, AccountID: accountID, ARN: RootARN(accountID), UserID: accountID,
		AccessKeyID: accessKeyID}
}

// RootARN is the ARN of an account's root.
func RootARN(accountID string) string { return "arn:aws:iam::" + accountID + ":root" }

// EntityARN is the ARN of an IAM user, group, role or policy: kind is "user",
// "group", "role" or "policy", path "/" or "/a/b/".
func EntityARN(accountID, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + accountID + ":" + kind + path + name
}

// SessionARN is the ARN of a role session.
func SessionARN(accountID, roleName, sessionName string) string {
	return "arn:aws:sts::" + accountID + ":assumed-role/" + roleName + "/" + sessionName
}

// Sentinel errors of authentication.
var (
	ErrUnknownAccessKey = errors.New("unknown access key")
	ErrTokenInvalid     = errors.New("authorization token is invalid")
	ErrTokenExpired     = errors.New("authorization token has expired")
)

const (
	accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	uniqueIDAlphabet  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, _ := rand.Int(rand.Reader, max)
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// NewAccessKeyID returns an access key id shaped like AWS's long-term ones (AKIA…).
func NewAccessKeyID() string { return "AKIA" + randomString(accessKeyAlphabet, 16) }

// NewTemporaryAccessKeyID returns an access key id shaped like AWS's temporary ones
// (ASIA…).
func NewTemporaryAccessKeyID() string { return "ASIA" + randomString(accessKeyAlphabet, 16) }

// isTemporaryKey reports whether an access key id is of temporary credentials.
func isTemporaryKey(id string) bool { return strings.HasPrefix(id, "ASIA") }

// NewSecretAccessKey returns a 40-character secret access key, as AWS issues.
func NewSecretAccessKey() string { return randomString(secretAlphabet, 40) }

// NewAccountID returns a random 12-digit account id.
func NewAccountID() string {
	return randomString("123456789", 1) + randomString("0123456789", 11)
}

// newUniqueID returns an IAM unique id with prefix (AIDA users, AGPA groups, AROA
// roles, ANPA policies): 21 characters, as AWS's.
func newUniqueID(prefix string) string { return prefix + randomString(uniqueIDAlphabet, 17) }
