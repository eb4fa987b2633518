package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

const roleColumns = "account_id, name, id, path, description, trust_policy, max_session_duration, created_at"

func scanRole(row interface{ Scan(...any) error }) (meta.Role, error) {
	var r meta.Role
	var created int64
	if err := row.Scan(&r.AccountID, &r.Name, &r.ID, &r.Path, &r.Description, &r.TrustPolicy,
		&r.MaxSessionDuration, &created); err != nil {
		return meta.Role{}, err
	}
	r.CreatedAt = fromNanos(created)
	return r, nil
}

// CreateRole stores an IAM role.
func (s *Store) CreateRole(ctx context.Context, r meta.Role) error {
	_, err := s.authExec(ctx, "INSERT INTO iam_roles ("+roleColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.AccountID, r.Name, r.ID, r.Path, r.Description, r.TrustPolicy, r.MaxSessionDuration, nanos(r.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create role %s: %w", r.Name, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create role %s: %w", r.Name, err)
	}
	return nil
}

// GetRole returns an IAM role by name, in any case.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (meta.Role, error) {
	r, err := scanRole(s.read.QueryRowContext(ctx, "SELECT "+roleColumns+
		" FROM iam_roles WHERE account_id = ? AND name = ?", accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Role{}, fmt.Errorf("role %s: %w", name, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Role{}, fmt.Errorf("get role %s: %w", name, err)
	}
	return r, nil
}

// ListRoles lists the roles of an account under a path, by name.
func (s *Store) ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.Role, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+roleColumns+" FROM iam_roles WHERE account_id = ? AND name > ? AND "+
		pathMatches+" ORDER BY name LIMIT ?", accountID, after, pathPrefixArg(pathPrefix), limit)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out, err := scanAll(rows, scanRole)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return out, nil
}

// DeleteRole deletes an IAM role without policies.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	return s.deleteUnlessInUse(ctx, "role "+name,
		"SELECT count(*) FROM iam_roles WHERE account_id = ?1 AND name = ?2", ownedChecks(meta.KindRole),
		[]string{"DELETE FROM iam_roles WHERE account_id = ?1 AND name = ?2"}, accountID, name)
}

// UpdateTrustPolicy replaces a role's trust policy.
func (s *Store) UpdateTrustPolicy(ctx context.Context, accountID, name, document string) error {
	res, err := s.authExec(ctx, "UPDATE iam_roles SET trust_policy = ? WHERE account_id = ? AND name = ?",
		document, accountID, name)
	if err != nil {
		return fmt.Errorf("update trust policy of %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("role %s: %w", name, meta.ErrNotFound)
	}
	return nil
}
