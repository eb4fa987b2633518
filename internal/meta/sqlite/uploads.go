package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// CreateUpload records a new upload session.
func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) error {
	// Upload progress is what a client can redo: it need not wait for the disk.
	err := s.lightTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO uploads (id, repository_id, size, hash_state, chunks, last_chunk,
			smallest_chunk, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.RepositoryID, u.Size,
			u.HashState, u.Chunks, u.LastChunk, u.SmallestChunk, nanos(u.StartedAt), nanos(u.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, err)
	}
	return nil
}

// GetUpload returns an upload session.
func (s *Store) GetUpload(ctx context.Context, id string) (meta.Upload, error) {
	u := meta.Upload{ID: id}
	var started, updated int64
	err := s.read.QueryRowContext(ctx, `SELECT repository_id, size, hash_state, chunks, last_chunk, smallest_chunk,
		started_at, updated_at FROM uploads WHERE id = ?`, id).Scan(&u.RepositoryID, &u.Size, &u.HashState,
		&u.Chunks, &u.LastChunk, &u.SmallestChunk, &started, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Upload{}, fmt.Errorf("upload %s: %w", id, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Upload{}, fmt.Errorf("get upload %s: %w", id, err)
	}
	u.StartedAt, u.UpdatedAt = fromNanos(started), fromNanos(updated)
	return u, nil
}

// AdvanceUpload moves a session from fromSize to u.Size, if nobody else moved it first.
func (s *Store) AdvanceUpload(ctx context.Context, id string, fromSize int64, u meta.Upload) error {
	return s.lightTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE uploads SET size = ?, hash_state = ?, chunks = ?, last_chunk = ?,
			smallest_chunk = ?, updated_at = ? WHERE id = ? AND size = ?`, u.Size, u.HashState, u.Chunks, u.LastChunk,
			u.SmallestChunk, nanos(u.UpdatedAt), id, fromSize)
		if err != nil {
			return fmt.Errorf("advance upload %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var size int64
		err = tx.QueryRowContext(ctx, "SELECT size FROM uploads WHERE id = ?", id).Scan(&size)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("upload %s: %w", id, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("advance upload %s: %w", id, err)
		}
		return fmt.Errorf("upload %s is at %d, not %d: %w", id, size, fromSize, meta.ErrConflict)
	})
}

// DeleteUpload removes an upload session.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	return s.lightTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM uploads WHERE id = ?", id)
		if err != nil {
			return fmt.Errorf("delete upload %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("upload %s: %w", id, meta.ErrNotFound)
		}
		return nil
	})
}

// ExpiredUploads lists sessions idle since before cutoff.
func (s *Store) ExpiredUploads(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id FROM uploads WHERE updated_at < ? ORDER BY updated_at LIMIT ?",
		nanos(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("list expired uploads: %w", err)
	}
	return scanStrings(rows)
}

// UploadExists reports whether a session exists.
func (s *Store) UploadExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM uploads WHERE id = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("check upload %s: %w", id, err)
	}
	return n > 0, nil
}
