package meta

import (
	"context"
	"time"
)

// Account owns a registry, as an AWS account owns its ECR registry.
type Account struct {
	// ID is the 12-digit account (registry) id.
	ID   string
	Name string
	// Email is the account's root email address; unique among accounts when set.
	Email string
	// RegistryHost is the host clients use for this account's registry; "" means the
	// host each client used.
	RegistryHost string
	// Default marks the account /v2 requests go to when no account claims their host.
	Default   bool
	CreatedAt time.Time
}

// Accounts manages accounts and their settings.
type Accounts interface {
	// CreateAccount stores a new account; ErrConflict if the id, the email (or the
	// default) exists.
	CreateAccount(ctx context.Context, a Account) error
	// GetAccount returns an account, or ErrNotFound.
	GetAccount(ctx context.Context, id string) (Account, error)
	// DefaultAccount returns the default account, or ErrNotFound before the first start.
	DefaultAccount(ctx context.Context) (Account, error)
	// AccountByHost returns the account whose registry host is host, or ErrNotFound.
	AccountByHost(ctx context.Context, host string) (Account, error)
	// SetRegistryHost changes an account's registry host.
	SetRegistryHost(ctx context.Context, id, host string) error
	// AccountSetting returns a setting's value, or ErrNotFound if it was never set.
	AccountSetting(ctx context.Context, accountID, name string) (string, error)
	// PutAccountSetting sets a setting.
	PutAccountSetting(ctx context.Context, accountID, name, value string) error
}

// AccessKey is an access key pair of a principal. The secret is sealed with a key
// kept outside the metadata store, never stored in clear.
type AccessKey struct {
	ID        string
	AccountID string
	// UserName is the IAM user that owns the key; "" is the account's root.
	UserName     string
	SecretSealed []byte
	// Status is Active or Inactive.
	Status    string
	CreatedAt time.Time
}

// AccessKeys manages access keys.
type AccessKeys interface {
	// CreateAccessKey stores a key; ErrConflict if the id exists.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// GetAccessKey returns a key, or ErrNotFound.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns the keys of a user ("" = the account's root), oldest first.
	ListAccessKeys(ctx context.Context, accountID, userName string) ([]AccessKey, error)
	// SetAccessKeyStatus sets a key's status (Active or Inactive); ErrNotFound unless
	// the key belongs to that user of that account.
	SetAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error
	// DeleteAccessKey deletes a key; ErrNotFound unless it belongs to that user of that
	// account.
	DeleteAccessKey(ctx context.Context, accountID, userName, id string) error
}
