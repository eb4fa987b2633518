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

const repositoryColumns = `id, registry_id, name, created_at, tag_mutability, mutability_exclusions,
	scan_on_push, encryption_type, kms_key`

func scanRepository(row scanner) (meta.Repository, error) {
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
//
// It runs READ COMMITTED: the INSERT … ON CONFLICT DO NOTHING waits for a racing
// insert of the same name to end, and the SELECT that follows a conflict, a new
// statement, sees the winner's row.
func (s *Store) CreateRepository(ctx context.Context, repo meta.Repository, tags []meta.ResourceTag) (meta.Repository, bool, error) {
	exclusions, err := encodeStrings(repo.MutabilityExclusions)
	if err != nil {
		return meta.Repository{}, false, fmt.Errorf("create repository %q: %w", repo.Name, err)
	}
	if repo.TagMutability == "" {
		repo.TagMutability = "MUTABLE"
	}
	if repo.EncryptionType == "" {
		repo.EncryptionType = "AES256"
	}
	repo.CreatedAt = fromNanos(nanos(time.Now()))
	var out meta.Repository
	var created bool
	var epoch int64
	err = s.tx(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		created, epoch = false, 0
		err := tx.QueryRow(ctx, `INSERT INTO repositories (registry_id, name, created_at, tag_mutability,
			mutability_exclusions, scan_on_push, encryption_type, kms_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (registry_id, name) DO NOTHING RETURNING id`,
			repo.RegistryID, repo.Name, nanos(repo.CreatedAt), repo.TagMutability, exclusions, repo.ScanOnPush,
			repo.EncryptionType, repo.KMSKey).Scan(&repo.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			out, err = scanRepository(tx.QueryRow(ctx, "SELECT "+repositoryColumns+
				" FROM repositories WHERE registry_id = $1 AND name = $2", repo.RegistryID, repo.Name))
			return err
		}
		if err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.Exec(ctx, `INSERT INTO repository_resource_tags (repository_id, key, value) VALUES ($1, $2, $3)
				ON CONFLICT (repository_id, key) DO UPDATE SET value = excluded.value`, repo.ID, t.Key, t.Value); err != nil {
				return err
			}
		}
		// Only a new repository advances the authorization epoch: create-on-push calls
		// this for repositories that may exist already.
		if err := bumpEpoch(ctx, tx, &epoch); err != nil {
			return err
		}
		out, created = repo, true
		return nil
	})
	if err != nil {
		if epoch > 0 {
			s.wrote(0) // it may have committed
		}
		return meta.Repository{}, false, fmt.Errorf("create repository %q: %w", repo.Name, err)
	}
	if created {
		s.wrote(epoch)
	}
	return out, created, nil
}

// GetRepository returns the repository called name in registryID.
func (s *Store) GetRepository(ctx context.Context, registryID, name string) (meta.Repository, error) {
	r, err := scanRepository(s.pool.QueryRow(ctx, "SELECT "+repositoryColumns+
		" FROM repositories WHERE registry_id = $1 AND name = $2", registryID, name))
	if err != nil {
		return meta.Repository{}, notFound(err, fmt.Sprintf("repository %q", name), fmt.Sprintf("get repository %q", name))
	}
	return r, nil
}

// ListRepositories lists repositories in name order after after.
func (s *Store) ListRepositories(ctx context.Context, registryID, after string, limit int) ([]meta.Repository, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+repositoryColumns+
		" FROM repositories WHERE registry_id = $1 AND name > $2 ORDER BY name LIMIT $3", registryID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	out, err := scanAll(rows, scanRepository)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

// UpdateRepository stores a repository's settings.
func (s *Store) UpdateRepository(ctx context.Context, repo meta.Repository) error {
	exclusions, err := encodeStrings(repo.MutabilityExclusions)
	if err != nil {
		return fmt.Errorf("update repository %q: %w", repo.Name, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE repositories SET tag_mutability = $1, mutability_exclusions = $2,
		scan_on_push = $3 WHERE id = $4`, repo.TagMutability, exclusions, repo.ScanOnPush, repo.ID)
	if err != nil {
		return fmt.Errorf("update repository %q: %w", repo.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("repository %q: %w", repo.Name, meta.ErrNotFound)
	}
	return nil
}

// DeleteRepository deletes a repository and everything in it. It locks the
// repository first: a racing write into it (whose foreign key check takes a share lock
// on the repository) either committed before, and is seen by the statements below, or
// waits and then fails on the missing repository.
func (s *Store) DeleteRepository(ctx context.Context, repoID int64, force bool) error {
	return s.authTxAt(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM repositories WHERE id = $1 FOR UPDATE", repoID).Scan(&id)
		if err != nil {
			return notFound(err, fmt.Sprintf("repository %d", repoID), "delete repository")
		}
		if !force {
			var has bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM manifests WHERE repository_id = $1)", repoID).Scan(&has); err != nil {
				return fmt.Errorf("delete repository: %w", err)
			}
			if has {
				return fmt.Errorf("delete repository: %w", meta.ErrNotEmpty)
			}
		}
		// Children before parents: tags and references cascade from manifests, but the
		// index-to-child references must not block deleting children first.
		for _, q := range []string{
			"DELETE FROM tags WHERE repository_id = $1",
			"DELETE FROM manifest_references WHERE repository_id = $1",
			"DELETE FROM manifests WHERE repository_id = $1",
			"DELETE FROM repository_blobs WHERE repository_id = $1",
			"DELETE FROM uploads WHERE repository_id = $1",
			"DELETE FROM repository_resource_tags WHERE repository_id = $1",
			"DELETE FROM repository_policies WHERE repository_id = $1",
			"DELETE FROM repositories WHERE id = $1",
		} {
			if _, err := tx.Exec(ctx, q, repoID); err != nil {
				return fmt.Errorf("delete repository: %w", err)
			}
		}
		return nil
	})
}

// ResourceTags returns a repository's resource tags sorted by key.
func (s *Store) ResourceTags(ctx context.Context, repoID int64) ([]meta.ResourceTag, error) {
	rows, err := s.pool.Query(ctx, "SELECT key, value FROM repository_resource_tags WHERE repository_id = $1 ORDER BY key", repoID)
	if err != nil {
		return nil, fmt.Errorf("list resource tags: %w", err)
	}
	out, err := scanAll(rows, func(row scanner) (meta.ResourceTag, error) {
		var t meta.ResourceTag
		err := row.Scan(&t.Key, &t.Value)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list resource tags: %w", err)
	}
	return out, nil
}

// SetResourceTags adds, overwrites and removes resource tags, within max.
func (s *Store) SetResourceTags(ctx context.Context, repoID int64, set []meta.ResourceTag, remove []string, max int) error {
	keys := make([]string, len(set))
	values := make([]string, len(set))
	for i, t := range set {
		keys[i], values[i] = t.Key, t.Value
	}
	if remove == nil {
		remove = []string{}
	}
	return s.authTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM repository_resource_tags WHERE repository_id = $1 AND key = ANY($2::text[])",
			repoID, remove); err != nil {
			return fmt.Errorf("remove resource tags: %w", err)
		}
		// A key set twice takes its last value, as a loop of upserts would.
		if _, err := tx.Exec(ctx, `INSERT INTO repository_resource_tags (repository_id, key, value)
			SELECT DISTINCT ON (k) $1, k, v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(k, v, i)
			ORDER BY k, i DESC
			ON CONFLICT (repository_id, key) DO UPDATE SET value = excluded.value`, repoID, keys, values); err != nil {
			return fmt.Errorf("set resource tags: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM repository_resource_tags WHERE repository_id = $1", repoID).Scan(&n); err != nil {
			return fmt.Errorf("count resource tags: %w", err)
		}
		if n > max {
			return fmt.Errorf("%d tags: %w", n, meta.ErrTooManyTags)
		}
		return nil
	})
}
