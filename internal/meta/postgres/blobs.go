package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/opencontainers/go-digest"
)

// LinkBlob records b and links it to repoID; both are idempotent. It only adds rows,
// so READ COMMITTED with ON CONFLICT DO NOTHING is enough under any race.
func (s *Store) LinkBlob(ctx context.Context, repoID int64, b meta.Blob) error {
	err := s.tx(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			"INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING",
			b.Digest.String(), b.Size, nanos(b.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			"INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
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
	err := s.pool.QueryRow(ctx, `SELECT b.size, b.created_at FROM repository_blobs rb
		JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = $1 AND rb.digest = $2`,
		repoID, dgst.String()).Scan(&b.Size, &at)
	if err != nil {
		return meta.Blob{}, notFound(err, "blob "+dgst.String(), "get blob "+dgst.String())
	}
	b.CreatedAt = fromNanos(at)
	return b, nil
}

// FindBlob returns a blob that some repository of registryID links.
func (s *Store) FindBlob(ctx context.Context, registryID string, dgst digest.Digest) (meta.Blob, error) {
	b := meta.Blob{Digest: dgst}
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT b.size, b.created_at FROM blobs b
		WHERE b.digest = $1 AND EXISTS (SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
			WHERE rb.digest = b.digest AND r.registry_id = $2)`,
		dgst.String(), registryID).Scan(&b.Size, &at)
	if err != nil {
		return meta.Blob{}, notFound(err, "blob "+dgst.String(), "find blob "+dgst.String())
	}
	b.CreatedAt = fromNanos(at)
	return b, nil
}

// UnlinkBlob removes a repository's link to a blob no manifest there references. It
// locks the link before looking for references: a put that references the blob holds a
// share lock on the link until it commits, and its references are then seen.
func (s *Store) UnlinkBlob(ctx context.Context, repoID int64, dgst digest.Digest) error {
	return s.readCommitted(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM repository_blobs WHERE repository_id = $1 AND digest = $2 FOR UPDATE",
			repoID, dgst.String()).Scan(&one)
		if err != nil {
			return notFound(err, "blob "+dgst.String(), "unlink blob "+dgst.String())
		}
		var by string
		err = tx.QueryRow(ctx, `SELECT manifest_digest FROM manifest_references
			WHERE repository_id = $1 AND child_digest = $2 AND kind = 0 LIMIT 1`, repoID, dgst.String()).Scan(&by)
		if err == nil {
			return fmt.Errorf("unlink blob %s: %w", dgst, &meta.ReferencedError{By: digest.Digest(by)})
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("unlink blob %s: %w", dgst, err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2", repoID, dgst.String()); err != nil {
			return fmt.Errorf("unlink blob %s: %w", dgst, err)
		}
		return nil
	})
}
