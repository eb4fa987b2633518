package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// Upload sessions are single statements: AdvanceUpload's compare-and-set is one
// UPDATE … WHERE size = fromSize, which PostgreSQL re-checks against the newest row
// after waiting for a racing update's lock, so exactly one of racing advances wins.

// CreateUpload records a new upload session.
func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO uploads (id, repository_id, size, hash_state, chunks, last_chunk,
		smallest_chunk, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, u.ID, u.RepositoryID, u.Size,
		u.HashState, u.Chunks, u.LastChunk, u.SmallestChunk, nanos(u.StartedAt), nanos(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload returns an upload session.
func (s *Store) GetUpload(ctx context.Context, id string) (meta.Upload, error) {
	u := meta.Upload{ID: id}
	var started, updated int64
	err := s.pool.QueryRow(ctx, `SELECT repository_id, size, hash_state, chunks, last_chunk, smallest_chunk,
		started_at, updated_at FROM uploads WHERE id = $1`, id).Scan(&u.RepositoryID, &u.Size, &u.HashState,
		&u.Chunks, &u.LastChunk, &u.SmallestChunk, &started, &updated)
	if err != nil {
		return meta.Upload{}, notFound(err, "upload "+id, "get upload "+id)
	}
	u.StartedAt, u.UpdatedAt = fromNanos(started), fromNanos(updated)
	return u, nil
}

// AdvanceUpload moves a session from fromSize to u.Size, if nobody else moved it first.
func (s *Store) AdvanceUpload(ctx context.Context, id string, fromSize int64, u meta.Upload) error {
	tag, err := s.pool.Exec(ctx, `UPDATE uploads SET size = $1, hash_state = $2, chunks = $3, last_chunk = $4,
		smallest_chunk = $5, updated_at = $6 WHERE id = $7 AND size = $8`,
		u.Size, u.HashState, u.Chunks, u.LastChunk, u.SmallestChunk, nanos(u.UpdatedAt), id, fromSize)
	if err != nil {
		return fmt.Errorf("advance upload %s: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// A new statement: it sees the session as the racing writer left it.
	var size int64
	if err := s.pool.QueryRow(ctx, "SELECT size FROM uploads WHERE id = $1", id).Scan(&size); err != nil {
		return notFound(err, "upload "+id, "advance upload "+id)
	}
	return fmt.Errorf("upload %s is at %d, not %d: %w", id, size, fromSize, meta.ErrConflict)
}

// DeleteUpload removes an upload session.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM uploads WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete upload %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("upload %s: %w", id, meta.ErrNotFound)
	}
	return nil
}

// ExpiredUploads lists sessions idle since before cutoff.
func (s *Store) ExpiredUploads(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT id FROM uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2",
		nanos(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("list expired uploads: %w", err)
	}
	out, err := scanAll(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("list expired uploads: %w", err)
	}
	return out, nil
}

// UploadExists reports whether a session exists.
func (s *Store) UploadExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM uploads WHERE id = $1)", id).Scan(&ok); err != nil {
		return false, fmt.Errorf("check upload %s: %w", id, err)
	}
	return ok, nil
}
