package postgres

import (
	"context"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

const roleColumns = "account_id, name, id, path, description, trust_policy, max_session_duration, created_at"

func scanRole(row scanner) (meta.Role, error) {
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
	_, err := s.authExec(ctx, "INSERT INTO iam_roles ("+roleColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
	r, err := scanRole(s.pool.QueryRow(ctx, "SELECT "+roleColumns+
		" FROM iam_roles WHERE account_id = $1 AND name_lc = lower($2)", accountID, name))
	if err != nil {
		return meta.Role{}, notFound(err, "role "+name, "get role "+name)
	}
	return r, nil
}

// ListRoles lists the roles of an account under a path, by name.
func (s *Store) ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.Role, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+roleColumns+` FROM iam_roles WHERE account_id = $1 AND name_lc > lower($2)
		AND starts_with(path, $3) ORDER BY name_lc LIMIT $4`, accountID, after, pathPrefixArg(pathPrefix), limit)
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
		"SELECT EXISTS (SELECT 1 FROM iam_roles WHERE account_id = $1 AND name_lc = lower($2))", ownedChecks(meta.KindRole),
		[]string{"DELETE FROM iam_roles WHERE account_id = $1 AND name_lc = lower($2)"}, accountID, name)
}

// UpdateTrustPolicy replaces a role's trust policy.
func (s *Store) UpdateTrustPolicy(ctx context.Context, accountID, name, document string) error {
	n, err := s.authExec(ctx, "UPDATE iam_roles SET trust_policy = $1 WHERE account_id = $2 AND name_lc = lower($3)",
		document, accountID, name)
	if err != nil {
		return fmt.Errorf("update trust policy of %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("role %s: %w", name, meta.ErrNotFound)
	}
	return nil
}
