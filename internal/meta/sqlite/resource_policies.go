package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

// SetRepositoryPolicy sets a repository's policy.
func (s *Store) SetRepositoryPolicy(ctx context.Context, repoID int64, text string) error {
	// The repository's row is the source of the insert: none means no repository.
	res, err := s.authExec(ctx, `INSERT INTO repository_policies (repository_id, text)
		SELECT id, ? FROM repositories WHERE id = ?
		ON CONFLICT (repository_id) DO UPDATE SET text = excluded.text`, text, repoID)
	if err != nil {
		return fmt.Errorf("set repository policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("repository %d: %w", repoID, meta.ErrNotFound)
	}
	return nil
}

// RepositoryPolicy returns a repository's policy.
func (s *Store) RepositoryPolicy(ctx context.Context, repoID int64) (string, error) {
	var text string
	err := s.read.QueryRowContext(ctx, "SELECT text FROM repository_policies WHERE repository_id = ?", repoID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("policy of repository %d: %w", repoID, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get repository policy: %w", err)
	}
	return text, nil
}

// DeleteRepositoryPolicy deletes and returns a repository's policy.
func (s *Store) DeleteRepositoryPolicy(ctx context.Context, repoID int64) (string, error) {
	text, err := s.deleteReturning(ctx, "DELETE FROM repository_policies WHERE repository_id = ? RETURNING text", repoID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("policy of repository %d: %w", repoID, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("delete repository policy: %w", err)
	}
	return text, nil
}

// PutRegistryPolicy sets a registry's policy.
func (s *Store) PutRegistryPolicy(ctx context.Context, accountID, text string) error {
	if _, err := s.authExec(ctx, `INSERT INTO registry_policies (account_id, text) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET text = excluded.text`, accountID, text); err != nil {
		return fmt.Errorf("put registry policy: %w", err)
	}
	return nil
}

// RegistryPolicy returns a registry's policy.
func (s *Store) RegistryPolicy(ctx context.Context, accountID string) (string, error) {
	var text string
	err := s.read.QueryRowContext(ctx, "SELECT text FROM registry_policies WHERE account_id = ?", accountID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("policy of registry %s: %w", accountID, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get registry policy: %w", err)
	}
	return text, nil
}

// DeleteRegistryPolicy deletes and returns a registry's policy.
func (s *Store) DeleteRegistryPolicy(ctx context.Context, accountID string) (string, error) {
	text, err := s.deleteReturning(ctx, "DELETE FROM registry_policies WHERE account_id = ? RETURNING text", accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("policy of registry %s: %w", accountID, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("delete registry policy: %w", err)
	}
	return text, nil
}

// deleteReturning runs a DELETE … RETURNING of one text column in a transaction and
// returns it, or sql.ErrNoRows if it deleted nothing.
func (s *Store) deleteReturning(ctx context.Context, query string, args ...any) (string, error) {
	var text string
	err := s.authTx(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, query, args...).Scan(&text)
	})
	return text, err
}
