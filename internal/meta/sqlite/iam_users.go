package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

// IAM names (of users, groups, roles, managed and inline policies) are COLLATE NOCASE
// columns: "name = ?", "name > ?" and "ORDER BY name" ignore case without saying so.

// pathPrefixArg is the path prefix to match: "" and "/" match every path.
func pathPrefixArg(prefix string) string {
	if prefix == "/" {
		return ""
	}
	return prefix
}

// pathMatches is the condition on a path column that the prefix argument (bound
// last) begins it; instr is 1 for an empty prefix, and compares exactly.
const pathMatches = "instr(path, ?) = 1"

// inUseCheck is a dependency that keeps an entity from being deleted: query counts its
// dependents from the same arguments as the delete.
type inUseCheck struct {
	dependents string
	query      string
}

// deleteUnlessInUse deletes one row in a transaction unless it is missing (ErrNotFound)
// or a check finds dependents (an *InUseError, the first check that does). what names
// the row in errors.
func (s *Store) deleteUnlessInUse(ctx context.Context, what, exists string, checks []inUseCheck, deletes []string, args ...any) error {
	return s.authTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, exists, args...).Scan(&n); err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
		}
		for _, c := range checks {
			if err := tx.QueryRowContext(ctx, c.query, args...).Scan(&n); err != nil {
				return fmt.Errorf("delete %s: %w", what, err)
			}
			if n > 0 {
				return fmt.Errorf("delete %s: %w", what, &meta.InUseError{Dependents: c.dependents})
			}
		}
		for _, q := range deletes {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
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
			WHERE account_id = ?1 AND owner_kind = '` + string(kind) + `' AND owner_name = ?2)`},
		{"attached policies", `SELECT EXISTS (SELECT 1 FROM iam_attachments
			WHERE account_id = ?1 AND owner_kind = '` + string(kind) + `' AND owner_name = ?2)`},
	}
}

const userColumns = "account_id, name, id, path, created_at"

func scanUser(row interface{ Scan(...any) error }) (meta.User, error) {
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
	_, err := s.authExec(ctx, "INSERT INTO iam_users ("+userColumns+") VALUES (?, ?, ?, ?, ?)",
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
	u, err := scanUser(s.read.QueryRowContext(ctx, "SELECT "+userColumns+
		" FROM iam_users WHERE account_id = ? AND name = ?", accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.User{}, fmt.Errorf("user %s: %w", name, meta.ErrNotFound)
	}
	if err != nil {
		return meta.User{}, fmt.Errorf("get user %s: %w", name, err)
	}
	return u, nil
}

// ListUsers lists the users of an account under a path, by name.
func (s *Store) ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.User, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+userColumns+" FROM iam_users WHERE account_id = ? AND name > ? AND "+
		pathMatches+" ORDER BY name LIMIT ?", accountID, after, pathPrefixArg(pathPrefix), limit)
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
		WHERE account_id = ?1 AND user_name = ?2 COLLATE NOCASE)`}}, ownedChecks(meta.KindUser)...)
	checks = append(checks, inUseCheck{"groups", `SELECT EXISTS (SELECT 1 FROM iam_group_members
		WHERE account_id = ?1 AND user_name = ?2)`})
	return s.deleteUnlessInUse(ctx, "user "+name,
		"SELECT count(*) FROM iam_users WHERE account_id = ?1 AND name = ?2", checks,
		[]string{"DELETE FROM iam_users WHERE account_id = ?1 AND name = ?2"}, accountID, name)
}

const groupColumns = "account_id, name, id, path, created_at"

func scanGroup(row interface{ Scan(...any) error }) (meta.Group, error) {
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
	_, err := s.authExec(ctx, "INSERT INTO iam_groups ("+groupColumns+") VALUES (?, ?, ?, ?, ?)",
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
	g, err := scanGroup(s.read.QueryRowContext(ctx, "SELECT "+groupColumns+
		" FROM iam_groups WHERE account_id = ? AND name = ?", accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Group{}, fmt.Errorf("group %s: %w", name, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Group{}, fmt.Errorf("get group %s: %w", name, err)
	}
	return g, nil
}

// ListGroups lists the groups of an account under a path, by name.
func (s *Store) ListGroups(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]meta.Group, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+groupColumns+" FROM iam_groups WHERE account_id = ? AND name > ? AND "+
		pathMatches+" ORDER BY name LIMIT ?", accountID, after, pathPrefixArg(pathPrefix), limit)
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
		WHERE account_id = ?1 AND group_name = ?2)`}}, ownedChecks(meta.KindGroup)...)
	return s.deleteUnlessInUse(ctx, "group "+name,
		"SELECT count(*) FROM iam_groups WHERE account_id = ?1 AND name = ?2", checks,
		[]string{"DELETE FROM iam_groups WHERE account_id = ?1 AND name = ?2"}, accountID, name)
}

// AddUserToGroup makes a user a member of a group; a member already is one.
func (s *Store) AddUserToGroup(ctx context.Context, accountID, group, user string) error {
	return s.authTx(ctx, func(tx *txn) error {
		// The names as created, whatever the case of the arguments.
		var groupName, userName string
		err := tx.QueryRowContext(ctx, "SELECT name FROM iam_groups WHERE account_id = ? AND name = ?",
			accountID, group).Scan(&groupName)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("group %s: %w", group, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		err = tx.QueryRowContext(ctx, "SELECT name FROM iam_users WHERE account_id = ? AND name = ?",
			accountID, user).Scan(&userName)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %s: %w", user, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO iam_group_members (account_id, group_name, user_name)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, accountID, groupName, userName); err != nil {
			return fmt.Errorf("add user to group: %w", err)
		}
		return nil
	})
}

// RemoveUserFromGroup removes a member from a group.
func (s *Store) RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error {
	res, err := s.authExec(ctx, "DELETE FROM iam_group_members WHERE account_id = ? AND group_name = ? AND user_name = ?",
		accountID, group, user)
	if err != nil {
		return fmt.Errorf("remove user from group: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s in group %s: %w", user, group, meta.ErrNotFound)
	}
	return nil
}

// ListGroupMembers returns the users of a group by name. The first row of the query
// says the group exists; the members follow. CROSS JOIN keeps SQLite from walking
// every user of the account instead of the group's members.
func (s *Store) ListGroupMembers(ctx context.Context, accountID, group string) ([]meta.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT 0, '', '', '', '', 0 FROM iam_groups WHERE account_id = ?1 AND name = ?2
		UNION ALL
		SELECT 1, u.account_id, u.name, u.id, u.path, u.created_at FROM iam_group_members m
		CROSS JOIN iam_users u ON u.account_id = m.account_id AND u.name = m.user_name
		WHERE m.account_id = ?1 AND m.group_name = ?2
		ORDER BY 1, 3 COLLATE NOCASE`, accountID, group)
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

// ListGroupsForUser returns the groups a user is in, by name (from its memberships:
// see ListGroupMembers).
func (s *Store) ListGroupsForUser(ctx context.Context, accountID, user string) ([]meta.Group, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT 0, '', '', '', '', 0 FROM iam_users WHERE account_id = ?1 AND name = ?2
		UNION ALL
		SELECT 1, g.account_id, g.name, g.id, g.path, g.created_at FROM iam_group_members m
		CROSS JOIN iam_groups g ON g.account_id = m.account_id AND g.name = m.group_name
		WHERE m.account_id = ?1 AND m.user_name = ?2
		ORDER BY 1, 3 COLLATE NOCASE`, accountID, user)
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

// scanAll scans every row with scan and closes rows; none is an empty, non-nil slice.
func scanAll[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// markedRow scans a row whose first column, the marker, scan does not read.
type markedRow struct {
	rows   *sql.Rows
	marker *int
}

func (r markedRow) Scan(dest ...any) error { return r.rows.Scan(append([]any{r.marker}, dest...)...) }

// scanAfterMarker reads the rows of a query whose rows have a leading marker column:
// 0 on the one row that says the parent exists, 1 on the rows of items, which it
// scans with scan. found is whether the parent row came.
func scanAfterMarker[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) (out []T, found bool, err error) {
	defer rows.Close()
	out = []T{}
	var marker int
	for rows.Next() {
		v, err := scan(markedRow{rows, &marker})
		if marker == 0 && err == nil {
			found = true
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out = append(out, v)
	}
	return out, found, rows.Err()
}
