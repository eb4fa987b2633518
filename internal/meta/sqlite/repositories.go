package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// CreateRepository creates name, or returns the existing repository.
func (s *Store) CreateRepository(ctx context.Context, name string) (meta.Repository, bool, error) {
	repo := meta.Repository{Name: name}
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var at int64
		err := tx.QueryRowContext(ctx, "SELECT id, created_at FROM repositories WHERE name = ?", name).Scan(&repo.ID, &at)
		if err == nil {
			repo.CreatedAt = fromNanos(at)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := time.Now()
		res, err := tx.ExecContext(ctx, "INSERT INTO repositories (name, created_at) VALUES (?, ?)", name, nanos(now))
		if err != nil {
			return err
		}
		if repo.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		repo.CreatedAt = fromNanos(nanos(now))
		created = true
		return nil
	})
	if err != nil {
		return meta.Repository{}, false, fmt.Errorf("create repository %q: %w", name, err)
	}
	return repo, created, nil
}

// GetRepository returns the repository called name.
func (s *Store) GetRepository(ctx context.Context, name string) (meta.Repository, error) {
	repo := meta.Repository{Name: name}
	var at int64
	err := s.read.QueryRowContext(ctx, "SELECT id, created_at FROM repositories WHERE name = ?", name).Scan(&repo.ID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Repository{}, fmt.Errorf("repository %q: %w", name, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Repository{}, fmt.Errorf("get repository %q: %w", name, err)
	}
	repo.CreatedAt = fromNanos(at)
	return repo, nil
}

// ListRepositories lists repository names in ascending order after after.
func (s *Store) ListRepositories(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return scanStrings(rows)
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
