package meta

import (
	"context"
	"time"
)

// KMSKey is a key of berth's key service (internal/kms) in one account.
type KMSKey struct {
	AccountID string
	// ID is the key's id, a UUID; its ARN is arn:aws:kms:<region>:<account>:key/<ID>.
	ID          string
	Description string
	// Manager is CUSTOMER, or AWS for the managed keys berth creates (aws/ecr).
	Manager string
	// State is Enabled or Disabled.
	State           string
	RotationEnabled bool
	// RotationPeriodDays is how often automatic rotation adds a version (AWS: 90 to 2560).
	RotationPeriodDays int
	CreatedAt          time.Time
	// RotatedAt is when the newest version was made (CreatedAt for the first).
	RotatedAt time.Time
	Tags      []ResourceTag
	// Versions are the key's material, sealed with the master key, oldest first: version
	// n is Versions[n-1]; the last encrypts, all decrypt.
	Versions [][]byte
}

// KMSKeys stores KMS keys and their aliases.
type KMSKeys interface {
	// CreateKMSKey stores a new key with its first version and, if alias is not "",
	// the alias naming it, in one transaction. ErrConflict: the alias (or id) is taken.
	CreateKMSKey(ctx context.Context, key KMSKey, alias string) error
	// GetKMSKey returns a key with all its versions, or ErrNotFound.
	GetKMSKey(ctx context.Context, accountID, id string) (KMSKey, error)
	// ListKMSKeys returns up to limit keys of the account sorted by id, all after after.
	ListKMSKeys(ctx context.Context, accountID, after string, limit int) ([]KMSKey, error)
	// UpdateKMSKey stores a key's description, state, rotation setting and period.
	UpdateKMSKey(ctx context.Context, key KMSKey) error
	// AddKMSKeyVersion stores version (which must be the key's next) of a key, made at
	// at (the key's RotatedAt). ErrConflict: another writer added that version first;
	// ErrNotFound: no such key.
	AddKMSKeyVersion(ctx context.Context, accountID, id string, version int, sealed []byte, at time.Time) error
	// CreateKMSAlias names a key; ErrConflict: the alias is taken; ErrNotFound: no key.
	CreateKMSAlias(ctx context.Context, accountID, alias, keyID string) error
	// KMSAlias returns the id of the key an alias (alias/…) names, or ErrNotFound.
	KMSAlias(ctx context.Context, accountID, alias string) (string, error)
}
