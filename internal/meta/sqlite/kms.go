package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// CreateKMSKey stores a new key, its first version and its alias.
func (s *Store) CreateKMSKey(ctx context.Context, key meta.KMSKey, alias string) error {
	tags, err := json.Marshal(nonNilTags(key.Tags))
	if err != nil {
		return fmt.Errorf("create kms key: %w", err)
	}
	err = s.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kms_keys
			(account_id, id, description, manager, state, rotation_enabled, rotation_days, created_at, rotated_at, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			key.AccountID, key.ID, key.Description, key.Manager, key.State, key.RotationEnabled, key.RotationPeriodDays,
			nanos(key.CreatedAt), nanos(key.RotatedAt), string(tags)); err != nil {
			return err
		}
		for i, v := range key.Versions {
			if _, err := tx.ExecContext(ctx, "INSERT INTO kms_key_versions (account_id, key_id, version, material) VALUES (?, ?, ?, ?)",
				key.AccountID, key.ID, i+1, v); err != nil {
				return err
			}
		}
		if alias != "" {
			if _, err := tx.ExecContext(ctx, "INSERT INTO kms_aliases (account_id, name, key_id) VALUES (?, ?, ?)",
				key.AccountID, alias, key.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("kms key %s or alias %q: %w", key.ID, alias, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create kms key: %w", err)
	}
	return nil
}

func nonNilTags(t []meta.ResourceTag) []meta.ResourceTag {
	if t == nil {
		return []meta.ResourceTag{}
	}
	return t
}

const kmsKeyColumns = "account_id, id, description, manager, state, rotation_enabled, rotation_days, created_at, rotated_at, tags"

func scanKMSKey(r interface{ Scan(...any) error }) (meta.KMSKey, error) {
	var (
		k                meta.KMSKey
		created, rotated int64
		tags             string
	)
	if err := r.Scan(&k.AccountID, &k.ID, &k.Description, &k.Manager, &k.State, &k.RotationEnabled, &k.RotationPeriodDays,
		&created, &rotated, &tags); err != nil {
		return k, err
	}
	k.CreatedAt, k.RotatedAt = fromNanos(created), fromNanos(rotated)
	if err := json.Unmarshal([]byte(tags), &k.Tags); err != nil {
		return k, fmt.Errorf("tags of kms key %s: %w", k.ID, err)
	}
	return k, nil
}

// GetKMSKey returns a key with its versions.
func (s *Store) GetKMSKey(ctx context.Context, accountID, id string) (meta.KMSKey, error) {
	k, err := scanKMSKey(s.read.QueryRowContext(ctx,
		"SELECT "+kmsKeyColumns+" FROM kms_keys WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.KMSKey{}, fmt.Errorf("kms key %s: %w", id, meta.ErrNotFound)
	}
	if err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key: %w", err)
	}
	rows, err := s.read.QueryContext(ctx,
		"SELECT material FROM kms_key_versions WHERE account_id = ? AND key_id = ? ORDER BY version", accountID, id)
	if err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m []byte
		if err := rows.Scan(&m); err != nil {
			return meta.KMSKey{}, fmt.Errorf("get kms key versions: %w", err)
		}
		k.Versions = append(k.Versions, m)
	}
	if err := rows.Err(); err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key versions: %w", err)
	}
	return k, nil
}

// ListKMSKeys lists keys by id, without their versions.
func (s *Store) ListKMSKeys(ctx context.Context, accountID, after string, limit int) ([]meta.KMSKey, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT "+kmsKeyColumns+" FROM kms_keys WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?", accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list kms keys: %w", err)
	}
	defer rows.Close()
	var out []meta.KMSKey
	for rows.Next() {
		k, err := scanKMSKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list kms keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list kms keys: %w", err)
	}
	return out, nil
}

// UpdateKMSKey stores a key's description, state and rotation setting.
func (s *Store) UpdateKMSKey(ctx context.Context, key meta.KMSKey) error {
	var n int64
	err := s.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kms_keys SET description = ?, state = ?, rotation_enabled = ?, rotation_days = ?
			WHERE account_id = ? AND id = ?`, key.Description, key.State, key.RotationEnabled, key.RotationPeriodDays, key.AccountID, key.ID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("update kms key: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("kms key %s: %w", key.ID, meta.ErrNotFound)
	}
	return nil
}

// AddKMSKeyVersion stores the next version of a key.
func (s *Store) AddKMSKeyVersion(ctx context.Context, accountID, id string, version int, sealed []byte, at time.Time) error {
	err := s.tx(ctx, func(tx *txn) error {
		var last int
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(v.version), 0) FROM kms_keys k
			LEFT JOIN kms_key_versions v ON v.account_id = k.account_id AND v.key_id = k.id
			WHERE k.account_id = ? AND k.id = ? GROUP BY k.id`, accountID, id).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("kms key %s: %w", id, meta.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if version != last+1 {
			return fmt.Errorf("version %d of kms key %s (it has %d): %w", version, id, last, meta.ErrConflict)
		}
		if _, err = tx.ExecContext(ctx, "INSERT INTO kms_key_versions (account_id, key_id, version, material) VALUES (?, ?, ?, ?)",
			accountID, id, version, sealed); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE kms_keys SET rotated_at = ? WHERE account_id = ? AND id = ?", nanos(at), accountID, id)
		return err
	})
	if err != nil && !errors.Is(err, meta.ErrNotFound) && !errors.Is(err, meta.ErrConflict) {
		return fmt.Errorf("add kms key version: %w", err)
	}
	return err
}

// CreateKMSAlias names a key.
func (s *Store) CreateKMSAlias(ctx context.Context, accountID, alias, keyID string) error {
	err := s.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO kms_aliases (account_id, name, key_id) VALUES (?, ?, ?)", accountID, alias, keyID)
		return err
	})
	switch {
	case err == nil:
		return nil
	case isUniqueViolation(err):
		return fmt.Errorf("kms alias %s: %w", alias, meta.ErrConflict)
	case strings.Contains(err.Error(), "FOREIGN KEY"):
		return fmt.Errorf("kms key %s: %w", keyID, meta.ErrNotFound)
	default:
		return fmt.Errorf("create kms alias: %w", err)
	}
}

// KMSAlias returns the key id an alias names.
func (s *Store) KMSAlias(ctx context.Context, accountID, alias string) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx, "SELECT key_id FROM kms_aliases WHERE account_id = ? AND name = ?", accountID, alias).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("kms alias %s: %w", alias, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get kms alias: %w", err)
	}
	return id, nil
}
