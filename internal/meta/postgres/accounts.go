package postgres

import (
	"context"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

const accountColumns = "id, name, email, registry_host, is_default, created_at"

func scanAccount(row scanner) (meta.Account, error) {
	var a meta.Account
	var created int64
	if err := row.Scan(&a.ID, &a.Name, &a.Email, &a.RegistryHost, &a.Default, &created); err != nil {
		return meta.Account{}, err
	}
	a.CreatedAt = fromNanos(created)
	return a, nil
}

func (s *Store) account(ctx context.Context, where string, arg any) (meta.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE "+where, arg))
	if err != nil {
		return meta.Account{}, notFound(err, "account", "get account")
	}
	return a, nil
}

// CreateAccount stores a new account.
func (s *Store) CreateAccount(ctx context.Context, a meta.Account) error {
	_, err := s.authExec(ctx, "INSERT INTO accounts ("+accountColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		a.ID, a.Name, a.Email, a.RegistryHost, a.Default, nanos(a.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create account %s: %w", a.ID, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, err)
	}
	return nil
}

// GetAccount returns an account by id.
func (s *Store) GetAccount(ctx context.Context, id string) (meta.Account, error) {
	return s.account(ctx, "id = $1", id)
}

// DefaultAccount returns the default account.
func (s *Store) DefaultAccount(ctx context.Context) (meta.Account, error) {
	return s.account(ctx, "is_default = $1", true)
}

// AccountByHost returns the account that claims a registry host.
func (s *Store) AccountByHost(ctx context.Context, host string) (meta.Account, error) {
	return s.account(ctx, "registry_host = $1 AND registry_host <> ''", host)
}

// SetRegistryHost changes an account's registry host.
func (s *Store) SetRegistryHost(ctx context.Context, id, host string) error {
	n, err := s.authExec(ctx, "UPDATE accounts SET registry_host = $1 WHERE id = $2", host, id)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("registry host %q is taken: %w", host, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("set registry host: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("account %s: %w", id, meta.ErrNotFound)
	}
	return nil
}

// AccountSetting returns one setting of an account.
func (s *Store) AccountSetting(ctx context.Context, accountID, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM account_settings WHERE account_id = $1 AND name = $2",
		accountID, name).Scan(&v)
	if err != nil {
		return "", notFound(err, "account setting "+name, "get account setting "+name)
	}
	return v, nil
}

// PutAccountSetting sets one setting of an account. Settings may steer authorization
// (the registry policy's scope), so it advances the epoch.
func (s *Store) PutAccountSetting(ctx context.Context, accountID, name, value string) error {
	_, err := s.authExec(ctx, `INSERT INTO account_settings (account_id, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value`, accountID, name, value)
	if err != nil {
		return fmt.Errorf("put account setting %s: %w", name, err)
	}
	return nil
}

const accessKeyColumns = "id, account_id, user_name, secret_sealed, status, created_at"

func scanAccessKey(row scanner) (meta.AccessKey, error) {
	var k meta.AccessKey
	var created int64
	if err := row.Scan(&k.ID, &k.AccountID, &k.UserName, &k.SecretSealed, &k.Status, &created); err != nil {
		return meta.AccessKey{}, err
	}
	k.CreatedAt = fromNanos(created)
	return k, nil
}

// CreateAccessKey stores an access key.
func (s *Store) CreateAccessKey(ctx context.Context, k meta.AccessKey) error {
	_, err := s.authExec(ctx, "INSERT INTO access_keys ("+accessKeyColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		k.ID, k.AccountID, k.UserName, k.SecretSealed, k.Status, nanos(k.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create access key: %w", meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create access key: %w", err)
	}
	return nil
}

// GetAccessKey returns an access key.
func (s *Store) GetAccessKey(ctx context.Context, id string) (meta.AccessKey, error) {
	k, err := scanAccessKey(s.pool.QueryRow(ctx, "SELECT "+accessKeyColumns+" FROM access_keys WHERE id = $1", id))
	if err != nil {
		return meta.AccessKey{}, notFound(err, "access key", "get access key")
	}
	return k, nil
}

// ListAccessKeys returns the keys of a user ("" = root) of an account, oldest first.
// User names compare without regard to case, as IAM's.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, userName string) ([]meta.AccessKey, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accessKeyColumns+` FROM access_keys
		WHERE account_id = $1 AND lower(user_name) = lower($2) ORDER BY created_at, id`, accountID, userName)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	out, err := scanAll(rows, scanAccessKey)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return out, nil
}

// SetAccessKeyStatus sets the status of a key of a user of an account.
func (s *Store) SetAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error {
	n, err := s.authExec(ctx, `UPDATE access_keys SET status = $1
		WHERE id = $2 AND account_id = $3 AND lower(user_name) = lower($4)`, status, id, accountID, userName)
	if err != nil {
		return fmt.Errorf("set access key status: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("access key %s: %w", id, meta.ErrNotFound)
	}
	return nil
}

// DeleteAccessKey deletes a key of a user of an account.
func (s *Store) DeleteAccessKey(ctx context.Context, accountID, userName, id string) error {
	n, err := s.authExec(ctx, `DELETE FROM access_keys
		WHERE id = $1 AND account_id = $2 AND lower(user_name) = lower($3)`, id, accountID, userName)
	if err != nil {
		return fmt.Errorf("delete access key: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("access key %s: %w", id, meta.ErrNotFound)
	}
	return nil
}
