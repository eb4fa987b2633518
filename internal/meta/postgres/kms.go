package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
)

// CreateKMSKey stores a new key, its first version and its alias.
func (s *Store) CreateKMSKey(ctx context.Context, key meta.KMSKey, alias string) error {
	tags := key.Tags
	if tags == nil {
		tags = []meta.ResourceTag{}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return fmt.Errorf("create kms key: %w", err)
	}
	err = s.readCommitted(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO kms_keys
			(account_id, id, description, manager, state, rotation_enabled, rotation_days, created_at, rotated_at, tags)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			key.AccountID, key.ID, key.Description, key.Manager, key.State, key.RotationEnabled, key.RotationPeriodDays,
			nanos(key.CreatedAt), nanos(key.RotatedAt), string(tagsJSON)); err != nil {
			return err
		}
		for i, v := range key.Versions {
			if _, err := tx.Exec(ctx, "INSERT INTO kms_key_versions (account_id, key_id, version, material) VALUES ($1, $2, $3, $4)",
				key.AccountID, key.ID, i+1, v); err != nil {
				return err
			}
		}
		if alias != "" {
			if _, err := tx.Exec(ctx, "INSERT INTO kms_aliases (account_id, name, key_id) VALUES ($1, $2, $3)",
				key.AccountID, alias, key.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("kms key %s or alias %q: %w", key.ID, alias, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create kms key: %w", err)
	}
	return nil
}

const kmsKeyColumns = "account_id, id, description, manager, state, rotation_enabled, rotation_days, created_at, rotated_at, tags"

func scanKMSKey(r pgx.Row) (meta.KMSKey, error) {
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
	k, err := scanKMSKey(s.pool.QueryRow(ctx,
		"SELECT "+kmsKeyColumns+" FROM kms_keys WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.KMSKey{}, fmt.Errorf("kms key %s: %w", id, meta.ErrNotFound)
	}
	if err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key: %w", err)
	}
	rows, err := s.pool.Query(ctx,
		"SELECT material FROM kms_key_versions WHERE account_id = $1 AND key_id = $2 ORDER BY version", accountID, id)
	if err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key versions: %w", err)
	}
	k.Versions, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return meta.KMSKey{}, fmt.Errorf("get kms key versions: %w", err)
	}
	return k, nil
}

// ListKMSKeys lists keys by id, without their versions.
func (s *Store) ListKMSKeys(ctx context.Context, accountID, after string, limit int) ([]meta.KMSKey, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+kmsKeyColumns+" FROM kms_keys WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3", accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list kms keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (meta.KMSKey, error) { return scanKMSKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list kms keys: %w", err)
	}
	return keys, nil
}

// UpdateKMSKey stores a key's description, state and rotation setting.
func (s *Store) UpdateKMSKey(ctx context.Context, key meta.KMSKey) error {
	tag, err := s.pool.Exec(ctx, `UPDATE kms_keys SET description = $1, state = $2, rotation_enabled = $3, rotation_days = $4
		WHERE account_id = $5 AND id = $6`, key.Description, key.State, key.RotationEnabled, key.RotationPeriodDays, key.AccountID, key.ID)
	if err != nil {
		return fmt.Errorf("update kms key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("kms key %s: %w", key.ID, meta.ErrNotFound)
	}
	return nil
}

// AddKMSKeyVersion stores the next version of a key. The key's row is locked, so two
// replicas rotating at once add one version, and the other gets ErrConflict.
func (s *Store) AddKMSKeyVersion(ctx context.Context, accountID, id string, version int, sealed []byte, at time.Time) error {
	err := s.readCommitted(ctx, func(tx pgx.Tx) error {
		var locked string
		err := tx.QueryRow(ctx, "SELECT id FROM kms_keys WHERE account_id = $1 AND id = $2 FOR UPDATE", accountID, id).Scan(&locked)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("kms key %s: %w", id, meta.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var last int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM kms_key_versions WHERE account_id = $1 AND key_id = $2",
			accountID, id).Scan(&last); err != nil {
			return err
		}
		if version != last+1 {
			return fmt.Errorf("version %d of kms key %s (it has %d): %w", version, id, last, meta.ErrConflict)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO kms_key_versions (account_id, key_id, version, material) VALUES ($1, $2, $3, $4)",
			accountID, id, version, sealed); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE kms_keys SET rotated_at = $1 WHERE account_id = $2 AND id = $3", nanos(at), accountID, id)
		return err
	})
	if err != nil && !errors.Is(err, meta.ErrNotFound) && !errors.Is(err, meta.ErrConflict) {
		return fmt.Errorf("add kms key version: %w", err)
	}
	return err
}

// CreateKMSAlias names a key.
func (s *Store) CreateKMSAlias(ctx context.Context, accountID, alias, keyID string) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO kms_aliases (account_id, name, key_id) VALUES ($1, $2, $3)", accountID, alias, keyID)
	switch {
	case err == nil:
		return nil
	case isUniqueViolation(err):
		return fmt.Errorf("kms alias %s: %w", alias, meta.ErrConflict)
	case pgCode(err) == "23503": // foreign_key_violation
		return fmt.Errorf("kms key %s: %w", keyID, meta.ErrNotFound)
	default:
		return fmt.Errorf("create kms alias: %w", err)
	}
}

// KMSAlias returns the key id an alias names.
func (s *Store) KMSAlias(ctx context.Context, accountID, alias string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, "SELECT key_id FROM kms_aliases WHERE account_id = $1 AND name = $2", accountID, alias).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("kms alias %s: %w", alias, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get kms alias: %w", err)
	}
	return id, nil
}
