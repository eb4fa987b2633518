package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

const repositoryColumns = `id, registry_id, name, created_at, tag_mutability, mutability_exclusions,
	scan_on_push, encryption_type, kms_key`

func scanRepository(row interface{ Scan(...any) error }) (meta.Repository, error) {
	var r meta.Repository
	var created int64
	var exclusions string
	if err := row.Scan(&r.ID, &r.RegistryID, &r.Name, &created, &r.TagMutability, &exclusions,
		&r.ScanOnPush, &r.EncryptionType, &r.KMSKey); err != nil {
		return meta.Repository{}, err
	}
	r.CreatedAt = fromNanos(created)
	if exclusions != "" {
		if err := json.Unmarshal([]byte(exclusions), &r.MutabilityExclusions); err != nil {
			return meta.Repository{}, fmt.Errorf("decode exclusions of %s: %w", r.Name, err)
		}
	}
	return r, nil
}

func encodeStrings(v []string) (string, error) {
	if len(v) == 0 {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateRepository creates repo with its resource tags, or returns the existing one.
func (s *Store) CreateRepository(ctx context.Context, repo meta.Repository, tags []meta.ResourceTag) (meta.Repository, bool, error) {
	var out meta.Repository
	created := false
	// Only a new repository advances the authorization epoch: create-on-push calls this
	// for repositories that may exist already.
	defer func() {
		if created {
			s.epoch.Add(1)
		}
	}()
	err := s.tx(ctx, func(tx *txn) error {
		var err error
		out, err = scanRepository(tx.QueryRowContext(ctx, "SELECT "+repositoryColumns+
			" FROM repositories WHERE registry_id = ? AND name = ?", repo.RegistryID, repo.Name))
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		exclusions, err := encodeStrings(repo.MutabilityExclusions)
		if err != nil {
			return err
		}
		if repo.TagMutability == "" {
			repo.TagMutability = "MUTABLE"
		}
		if repo.EncryptionType == "" {
			repo.EncryptionType = "AES256"
		}
		repo.CreatedAt = fromNanos(nanos(time.Now()))
		res, err := tx.ExecContext(ctx, `INSERT INTO repositories (registry_id, name, created_at, tag_mutability,
			mutability_exclusions, scan_on_push, encryption_type, kms_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			repo.RegistryID, repo.Name, nanos(repo.CreatedAt), repo.TagMutability, exclusions, repo.ScanOnPush,
			repo.EncryptionType, repo.KMSKey)
		if err != nil {
			return err
		}
		if repo.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO repository_resource_tags (repository_id, key, value) VALUES (?, ?, ?)
				ON CONFLICT (repository_id, key) DO UPDATE SET value = excluded.value`, repo.ID, t.Key, t.Value); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, bumpEpoch); err != nil {
			return err
		}
		out, created = repo, true
		return nil
	})
	if err != nil {
		return meta.Repository{}, false, fmt.Errorf("create repository %q: %w", repo.Name, err)
	}
	return out, created, nil
}

// GetRepository returns the repository called name in registryID.
func (s *Store) GetRepository(ctx context.Context, registryID, name string) (meta.Repository, error) {
	r, err := scanRepository(s.read.QueryRowContext(ctx, "SELECT "+repositoryColumns+
		" FROM repositories WHERE registry_id = ? AND name = ?", registryID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Repository{}, fmt.Errorf("repository %q: %w", name, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Repository{}, fmt.Errorf("get repository %q: %w", name, err)
	}
	return r, nil
}

// ListRepositories lists repositories in name order after after.
func (s *Store) ListRepositories(ctx context.Context, registryID, after string, limit int) ([]meta.Repository, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+repositoryColumns+
		" FROM repositories WHERE registry_id = ? AND name > ? ORDER BY name LIMIT ?", registryID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	defer rows.Close()
	out := []meta.Repository{}
	for rows.Next() {
		r, err := scanRepository(rows)
		if err != nil {
			return nil, fmt.Errorf("list repositories: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRepository stores a repository's settings.
func (s *Store) UpdateRepository(ctx context.Context, repo meta.Repository) error {
	exclusions, err := encodeStrings(repo.MutabilityExclusions)
	if err != nil {
		return fmt.Errorf("update repository %q: %w", repo.Name, err)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE repositories SET tag_mutability = ?, mutability_exclusions = ?,
		scan_on_push = ? WHERE id = ?`, repo.TagMutability, exclusions, repo.ScanOnPush, repo.ID)
	if err != nil {
		return fmt.Errorf("update repository %q: %w", repo.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("repository %q: %w", repo.Name, meta.ErrNotFound)
	}
	return nil
}

// DeleteRepository deletes a repository and everything in it.
func (s *Store) DeleteRepository(ctx context.Context, repoID int64, force bool) error {
	return s.authTx(ctx, func(tx *txn) error {
		if !force {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM manifests WHERE repository_id = ?", repoID).Scan(&n); err != nil {
				return fmt.Errorf("delete repository: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("delete repository: %w", meta.ErrNotEmpty)
			}
		}
		// Children before parents: tags and references cascade from manifests, but the
		// index-to-child references must not block deleting children first.
		for _, q := range []string{
			"DELETE FROM tags WHERE repository_id = ?",
			"DELETE FROM manifest_references WHERE repository_id = ?",
			"DELETE FROM manifests WHERE repository_id = ?",
			"DELETE FROM repository_blobs WHERE repository_id = ?",
			"DELETE FROM uploads WHERE repository_id = ?",
			"DELETE FROM repository_resource_tags WHERE repository_id = ?",
			"DELETE FROM repository_policies WHERE repository_id = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, repoID); err != nil {
				return fmt.Errorf("delete repository: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM repositories WHERE id = ?", repoID)
		if err != nil {
			return fmt.Errorf("delete repository: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("repository %d: %w", repoID, meta.ErrNotFound)
		}
		return nil
	})
}

// ResourceTags returns a repository's resource tags sorted by key.
func (s *Store) ResourceTags(ctx context.Context, repoID int64) ([]meta.ResourceTag, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT key, value FROM repository_resource_tags WHERE repository_id = ? ORDER BY key", repoID)
	if err != nil {
		return nil, fmt.Errorf("list resource tags: %w", err)
	}
	defer rows.Close()
	out := []meta.ResourceTag{}
	for rows.Next() {
		var t meta.ResourceTag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("list resource tags: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SetResourceTags adds, overwrites and removes resource tags, within max.
func (s *Store) SetResourceTags(ctx context.Context, repoID int64, set []meta.ResourceTag, remove []string, max int) error {
	return s.authTx(ctx, func(tx *txn) error {
		for _, k := range remove {
			if _, err := tx.ExecContext(ctx, "DELETE FROM repository_resource_tags WHERE repository_id = ? AND key = ?", repoID, k); err != nil {
				return fmt.Errorf("remove resource tag: %w", err)
			}
		}
		for _, t := range set {
			if _, err := tx.ExecContext(ctx, `INSERT INTO repository_resource_tags (repository_id, key, value) VALUES (?, ?, ?)
				ON CONFLICT (repository_id, key) DO UPDATE SET value = excluded.value`, repoID, t.Key, t.Value); err != nil {
				return fmt.Errorf("set resource tag: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM repository_resource_tags WHERE repository_id = ?", repoID).Scan(&n); err != nil {
			return fmt.Errorf("count resource tags: %w", err)
		}
		if n > max {
			return fmt.Errorf("%d tags: %w", n, meta.ErrTooManyTags)
		}
		return nil
	})
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
