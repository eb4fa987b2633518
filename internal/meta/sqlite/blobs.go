package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// LinkBlob records b and links it to repoID; both are idempotent.
func (s *Store) LinkBlob(ctx context.Context, repoID int64, b meta.Blob) error {
	err := s.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
			b.Digest.String(), b.Size, nanos(b.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			"INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			repoID, b.Digest.String(), nanos(b.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("link blob %s: %w", b.Digest, err)
	}
	return nil
}

// RepositoryBlob returns the blob if repoID links it.
func (s *Store) RepositoryBlob(ctx context.Context, repoID int64, dgst digest.Digest) (meta.Blob, error) {
	b := meta.Blob{Digest: dgst}
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT b.size, b.created_at FROM repository_blobs rb
		JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = ? AND rb.digest = ?`,
		repoID, dgst.String()).Scan(&b.Size, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Blob{}, fmt.Errorf("blob %s: %w", dgst, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("get blob %s: %w", dgst, err)
	}
	b.CreatedAt = fromNanos(at)
	return b, nil
}

// FindBlob returns a blob that some repository of registryID links.
func (s *Store) FindBlob(ctx context.Context, registryID string, dgst digest.Digest) (meta.Blob, error) {
	b := meta.Blob{Digest: dgst}
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT b.size, b.created_at FROM blobs b
		WHERE b.digest = ? AND EXISTS (SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
			WHERE rb.digest = b.digest AND r.registry_id = ?)`,
		dgst.String(), registryID).Scan(&b.Size, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Blob{}, fmt.Errorf("blob %s: %w", dgst, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("find blob %s: %w", dgst, err)
	}
	b.CreatedAt = fromNanos(at)
	return b, nil
}

// UnlinkBlob removes a repository's link to a blob no manifest there references.
func (s *Store) UnlinkBlob(ctx context.Context, repoID int64, dgst digest.Digest) error {
	return s.tx(ctx, func(tx *txn) error {
		var by string
		err := tx.QueryRowContext(ctx, `SELECT manifest_digest FROM manifest_references
			WHERE repository_id = ? AND child_digest = ? AND kind = 0 LIMIT 1`, repoID, dgst.String()).Scan(&by)
		if err == nil {
			return fmt.Errorf("unlink blob %s: %w", dgst, &meta.ReferencedError{By: digest.Digest(by)})
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("unlink blob %s: %w", dgst, err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?", repoID, dgst.String())
		if err != nil {
			return fmt.Errorf("unlink blob %s: %w", dgst, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("blob %s: %w", dgst, meta.ErrNotFound)
		}
		return nil
	})
}
