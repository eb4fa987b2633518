package postgres

import (
	"context"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
)

// SetRepositoryPolicy sets a repository's policy.
func (s *Store) SetRepositoryPolicy(ctx context.Context, repoID int64, text string) error {
	// The repository's row is the source of the insert: none means no repository.
	n, err := s.authExec(ctx, `INSERT INTO repository_policies (repository_id, text)
		SELECT id, $1 FROM repositories WHERE id = $2
		ON CONFLICT (repository_id) DO UPDATE SET text = excluded.text`, text, repoID)
	if err != nil {
		return fmt.Errorf("set repository policy: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("repository %d: %w", repoID, meta.ErrNotFound)
	}
	return nil
}

// RepositoryPolicy returns a repository's policy.
func (s *Store) RepositoryPolicy(ctx context.Context, repoID int64) (string, error) {
	var text string
	err := s.pool.QueryRow(ctx, "SELECT text FROM repository_policies WHERE repository_id = $1", repoID).Scan(&text)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("policy of repository %d", repoID), "get repository policy")
	}
	return text, nil
}

// DeleteRepositoryPolicy deletes and returns a repository's policy.
func (s *Store) DeleteRepositoryPolicy(ctx context.Context, repoID int64) (string, error) {
	text, err := s.deleteReturning(ctx, "DELETE FROM repository_policies WHERE repository_id = $1 RETURNING text", repoID)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("policy of repository %d", repoID), "delete repository policy")
	}
	return text, nil
}

// PutRegistryPolicy sets a registry's policy.
func (s *Store) PutRegistryPolicy(ctx context.Context, accountID, text string) error {
	if _, err := s.authExec(ctx, `INSERT INTO registry_policies (account_id, text) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET text = excluded.text`, accountID, text); err != nil {
		return fmt.Errorf("put registry policy: %w", err)
	}
	return nil
}

// RegistryPolicy returns a registry's policy.
func (s *Store) RegistryPolicy(ctx context.Context, accountID string) (string, error) {
	var text string
	err := s.pool.QueryRow(ctx, "SELECT text FROM registry_policies WHERE account_id = $1", accountID).Scan(&text)
	if err != nil {
		return "", notFound(err, "policy of registry "+accountID, "get registry policy")
	}
	return text, nil
}

// DeleteRegistryPolicy deletes and returns a registry's policy.
func (s *Store) DeleteRegistryPolicy(ctx context.Context, accountID string) (string, error) {
	text, err := s.deleteReturning(ctx, "DELETE FROM registry_policies WHERE account_id = $1 RETURNING text", accountID)
	if err != nil {
		return "", notFound(err, "policy of registry "+accountID, "delete registry policy")
	}
	return text, nil
}

// deleteReturning runs a DELETE … RETURNING of one text column as an auth write and
// returns it, or pgx.ErrNoRows if it deleted nothing.
func (s *Store) deleteReturning(ctx context.Context, query string, args ...any) (string, error) {
	var text string
	err := s.authTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, query, args...).Scan(&text)
	})
	return text, err
}
