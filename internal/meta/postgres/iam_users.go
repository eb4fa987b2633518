package postgres

import (
	"context"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
)

// IAM names (of users, groups, roles, managed and inline policies) are looked up by
// their name_lc column, lower(name) under the "C" collation: "name_lc = lower($n)",
// "name_lc > lower($n)" and "ORDER BY name_lc" ignore ASCII case, as SQLite's NOCASE.

// pathPrefixArg is the path prefix to match: "" and "/" match every path.
func pathPrefixArg(prefix string) string {
	if prefix == "/" {
		return ""
	}
	return prefix
}

// inUseCheck is a dependency that keeps an entity from being deleted: query tells
// whether it has dependents, from the same arguments as the delete.
type inUseCheck struct {
	dependents string
	query      string
}

// deleteUnlessInUse deletes one row as an auth write unless it is missing
// (ErrNotFound) or a check finds dependents (an *InUseError, the first check that
// does). what names the row in errors. The transaction is SERIALIZABLE: no dependent
// can appear between the checks and the delete.
func (s *Store) deleteUnlessInUse(ctx context.Context, what, exists string, checks []inUseCheck, deletes []string, args ...any) error {
	return s.authTx(ctx, func(tx pgx.Tx) error {
		var found bool
		if err := tx.QueryRow(ctx, exists, args...).Scan(&found); err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		if !found {
			return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
		}
		for _, c := range checks {
			var has bool
			if err := tx.QueryRow(ctx, c.query, args...).Scan(&has); err != nil {
				return fmt.Errorf("delete %s: %w", what, err)
			}
			if has {
				return fmt.Errorf("delete %s: %w", what, &meta.InUseError{Dependents: c.dependents})
			}
		}
		for _, q := range deletes {
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("delete %s: %w", what, err)
			}
		}
		return nil
	})
}

// ownedChecks are the checks of inline and attached policies of an owner of a kind,
// from the arguments (account id, name).
func ownedChecks(kind meta.IAMKind) []inUseCheck {
	return []inUseCheck{
		{"policies", `SELECT EXISTS (SELECT 1 FROM iam_inline_policies
			WHERE account_id = $1 AND owner_kind = '` + string(kind) + `' AND owner_lc = lower($2))`},
		{"attached policies", `SELECT EXISTS (SELECT 1 FROM iam_attachments
			WHERE account_id = $1 AND owner_kind = '` + string(kind) + `' AND owner_lc = lower($2))`},
	}
}

const userColumns = "account_id, name, id, path, created_at"

func scanUser(row scanner) (meta.User, error) {
	var u meta.User
	var created int64
	if err := row.Scan(&u.AccountID, &u.Name, &u.ID, &u.Path, &created); err != nil {
		return meta.User{}, err
	}
	u.CreatedAt = fromNanos(created)
	return u, nil
}

// CreateUser stores an IAM user.
func (s *Store) CreateUser(ctx context.Context, u meta.User) error {
	_, err := s.authExec(ctx, "INSERT INTO iam_users ("+userColumns+") VALUES ($1, $2, $3, $4, $5)",
		u.AccountID, u.Name, u.ID, u.Path, nanos(u.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create user %s: %w", u.Name, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	return nil
}

// GetUser returns an IAM user by name, in any case.
func (s *Store) GetUser(ctx context.Context, accountID, name string) (meta.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+
		" FROM iam_users WHERE account_id = $1 AND name_lc = lower($2)", accountID, name))
	if err != nil {
		return meta.User{}, notFound(err, "user "+name, "get user "+name)
	}
	return u, nil
}

// ListUsers lists the users of an account under a path, by name.
func (s *Store) ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+` FROM iam_users WHERE account_id = $1 AND name_lc > lower($2)
		AND starts_with(path, $3) ORDER BY name_lc LIMIT $4`, accountID, after, pathPrefixArg(pathPrefix), limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser deletes an IAM user that nothing depends on.
func (s *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	checks := append([]inUseCheck{{"access keys", `SELECT EXISTS (SELECT 1 FROM access_keys
		WHERE account_id = $1 AND lower(user_name) = lower($2))`}}, ownedChecks(meta.KindUser)...)
	checks = append(checks, inUseCheck{"groups", `SELECT EXISTS (SELECT 1 FROM iam_group_members
		WHERE account_id = $1 AND user_lc = lower($2))`})
	return s.deleteUnlessInUse(ctx, "user "+name,
		"SELECT EXISTS (SELECT 1 FROM iam_users WHERE account_id = $1 AND name_lc = lower($2))", checks,
		[]string{"DELETE FROM iam_users WHERE account_id = $1 AND name_lc = lower($2)"}, accountID, name)
}

const groupColumns = "account_id, name, id, path, created_at"

func scanGroup(row scanner) (meta.Group, error) {
	var g meta.Group
	var created int64
	if err := row.Scan(&g.AccountID, &g.Name, &g.ID, &g.Path, &created); err != nil {
		return meta.Group{}, err
	}
	g.CreatedAt = fromNanos(created)
	return g, nil
}

// CreateGroup stores an IAM group.
func (s *Store) CreateGroup(ctx context.Context, g meta.Group) error {
	_, err := s.authExec(ctx, "INSERT INTO iam_groups ("+groupColumns+") VALUES ($1, $2, $3, $4, $5)",
		g.AccountID, g.Name, g.ID, g.Path, nanos(g.CreatedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create group %s: %w", g.Name, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create group %s: %w", g.Name, err)
	}
	return nil
}

// GetGroup returns an IAM group by name, in any case.
func (s *Store) GetGroup(ctx context.Context, accountID, name string) (meta.Group, error) {
	g, err := scanGroup(s.pool.QueryRow(ctx, "SELECT "+groupColumns+
		" FROM iam_groups WHERE account_id = $1 AND name_lc = lower($2)", accountID, name))
	if err != nil {
		return meta.Group{}, notFound(err, "group "+name, "get group "+name)
	}
	return g, nil
}

// ListGroups lists the groups of an account under a path, by name.
func (s *Store) ListGroups(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.Group, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+groupColumns+` FROM iam_groups WHERE account_id = $1 AND name_lc > lower($2)
		AND starts_with(path, $3) ORDER BY name_lc LIMIT $4`, accountID, after, pathPrefixArg(pathPrefix), limit)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	out, err := scanAll(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// DeleteGroup deletes an IAM group that nothing depends on.
func (s *Store) DeleteGroup(ctx context.Context, accountID, name string) error {
	checks := append([]inUseCheck{{"users", `SELECT EXISTS (SELECT 1 FROM iam_group_members
		WHERE account_id = $1 AND group_lc = lower($2))`}}, ownedChecks(meta.KindGroup)...)
	return s.deleteUnlessInUse(ctx, "group "+name,
		"SELECT EXISTS (SELECT 1 FROM iam_groups WHERE account_id = $1 AND name_lc = lower($2))", checks,
		[]string{"DELETE FROM iam_groups WHERE account_id = $1 AND name_lc = lower($2)"}, accountID, name)
}

// AddUserToGroup makes a user a member of a group; a member already is one.
func (s *Store) AddUserToGroup(ctx context.Context, accountID, group, user string) error {
	return s.authTx(ctx, func(tx pgx.Tx) error {
		var hasGroup, hasUser bool
		if err := tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM iam_groups WHERE account_id = $1 AND name_lc = lower($2)),
			EXISTS (SELECT 1 FROM iam_users WHERE account_id = $1 AND name_lc = lower($3))`,
			accountID, group, user).Scan(&hasGroup, &hasUser); err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		if !hasGroup {
			return fmt.Errorf("group %s: %w", group, meta.ErrNotFound)
		}
		if !hasUser {
			return fmt.Errorf("user %s: %w", user, meta.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_group_members (account_id, group_lc, user_lc)
			VALUES ($1, lower($2), lower($3)) ON CONFLICT DO NOTHING`, accountID, group, user); err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		return nil
	})
}

// RemoveUserFromGroup removes a member from a group.
func (s *Store) RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error {
	n, err := s.authExec(ctx, `DELETE FROM iam_group_members
		WHERE account_id = $1 AND group_lc = lower($2) AND user_lc = lower($3)`, accountID, group, user)
	if err != nil {
		return fmt.Errorf("remove user from group: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("user %s in group %s: %w", user, group, meta.ErrNotFound)
	}
	return nil
}

// ListGroupMembers returns the users of a group by name. The first row of the query
// says the group exists; the members follow.
func (s *Store) ListGroupMembers(ctx context.Context, accountID, group string) ([]meta.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT 0, ''::text COLLATE "C", '', '', '', '', 0::bigint FROM iam_groups
		WHERE account_id = $1 AND name_lc = lower($2)
		UNION ALL
		SELECT 1, u.name_lc, u.account_id, u.name, u.id, u.path, u.created_at FROM iam_group_members m
		JOIN iam_users u ON u.account_id = m.account_id AND u.name_lc = m.user_lc
		WHERE m.account_id = $1 AND m.group_lc = lower($2)
		ORDER BY 1, 2`, accountID, group)
	if err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	out, found, err := scanAfterMarker(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("group %s: %w", group, meta.ErrNotFound)
	}
	return out, nil
}

// ListGroupsForUser returns the groups a user is in, by name (see ListGroupMembers).
func (s *Store) ListGroupsForUser(ctx context.Context, accountID, user string) ([]meta.Group, error) {
	rows, err := s.pool.Query(ctx, `SELECT 0, ''::text COLLATE "C", '', '', '', '', 0::bigint FROM iam_users
		WHERE account_id = $1 AND name_lc = lower($2)
		UNION ALL
		SELECT 1, g.name_lc, g.account_id, g.name, g.id, g.path, g.created_at FROM iam_group_members m
		JOIN iam_groups g ON g.account_id = m.account_id AND g.name_lc = m.group_lc
		WHERE m.account_id = $1 AND m.user_lc = lower($2)
		ORDER BY 1, 2`, accountID, user)
	if err != nil {
		return nil, fmt.Errorf("list groups for user: %w", err)
	}
	out, found, err := scanAfterMarker(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("list groups for user: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("user %s: %w", user, meta.ErrNotFound)
	}
	return out, nil
}
