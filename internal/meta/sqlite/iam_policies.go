package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-registry/berth/internal/meta"
)

// awsManagedPrefix begins the ARNs of AWS managed policies, which have no row.
const awsManagedPrefix = "arn:aws:iam::aws:policy/"

func isAWSManaged(arn string) bool { return strings.HasPrefix(arn, awsManagedPrefix) }

// ownerTable returns the table of the identities of a kind.
func ownerTable(kind meta.IAMKind) (string, error) {
	switch kind {
	case meta.KindUser:
		return "iam_users", nil
	case meta.KindGroup:
		return "iam_groups", nil
	case meta.KindRole:
		return "iam_roles", nil
	}
	return "", fmt.Errorf("unknown IAM identity kind %q", kind)
}

func scanString(row interface{ Scan(...any) error }) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}

// PutInlinePolicy creates or replaces an inline policy of a user, group or role. A
// replaced policy keeps the name it was created with.
func (s *Store) PutInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name, document string) error {
	table, err := ownerTable(kind)
	if err != nil {
		return err
	}
	// One statement: the owner's row supplies its name as created, and no row means no
	// owner.
	res, err := s.authExec(ctx, `INSERT INTO iam_inline_policies (account_id, owner_kind, owner_name, name, document)
		SELECT account_id, ?, name, ?, ? FROM `+table+` WHERE account_id = ? AND name = ?
		ON CONFLICT (account_id, owner_kind, owner_name, name) DO UPDATE SET document = excluded.document`,
		string(kind), name, document, accountID, owner)
	if err != nil {
		return fmt.Errorf("put inline policy %s of %s %s: %w", name, kind, owner, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
	}
	return nil
}

// GetInlinePolicy returns the document of an inline policy.
func (s *Store) GetInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) (string, error) {
	var doc string
	err := s.read.QueryRowContext(ctx, `SELECT document FROM iam_inline_policies
		WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?`,
		accountID, string(kind), owner, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("inline policy %s of %s %s: %w", name, kind, owner, meta.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get inline policy %s of %s %s: %w", name, kind, owner, err)
	}
	return doc, nil
}

// DeleteInlinePolicy deletes an inline policy; ErrNotFound if there is none.
func (s *Store) DeleteInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) error {
	res, err := s.authExec(ctx, `DELETE FROM iam_inline_policies
		WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?`, accountID, string(kind), owner, name)
	if err != nil {
		return fmt.Errorf("delete inline policy %s of %s %s: %w", name, kind, owner, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("inline policy %s of %s %s: %w", name, kind, owner, meta.ErrNotFound)
	}
	return nil
}

// ListInlinePolicies returns the names of an owner's inline policies, sorted without
// regard to case.
func (s *Store) ListInlinePolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]string, error) {
	table, err := ownerTable(kind)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT 0, '' FROM `+table+` WHERE account_id = ?1 AND name = ?2
		UNION ALL
		SELECT 1, name FROM iam_inline_policies WHERE account_id = ?1 AND owner_kind = ?3 AND owner_name = ?2
		ORDER BY 1, 2 COLLATE NOCASE`, accountID, owner, string(kind))
	if err != nil {
		return nil, fmt.Errorf("list inline policies of %s %s: %w", kind, owner, err)
	}
	out, found, err := scanAfterMarker(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("list inline policies of %s %s: %w", kind, owner, err)
	}
	if !found {
		return nil, fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
	}
	return out, nil
}

// AttachPolicy attaches a managed policy to a user, group or role. A customer managed
// policy must exist in the owner's account.
func (s *Store) AttachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error {
	table, err := ownerTable(kind)
	if err != nil {
		return err
	}
	return s.authTx(ctx, func(tx *txn) error {
		var ownerName string
		err := tx.QueryRowContext(ctx, "SELECT name FROM "+table+" WHERE account_id = ? AND name = ?",
			accountID, owner).Scan(&ownerName)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("attach policy: %w", err)
		}
		if !isAWSManaged(policyARN) {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM iam_policies WHERE arn = ? AND account_id = ?",
				policyARN, accountID).Scan(&n); err != nil {
				return fmt.Errorf("attach policy: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("policy %s: %w", policyARN, meta.ErrNotFound)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO iam_attachments (account_id, owner_kind, owner_name, policy_arn)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, accountID, string(kind), ownerName, policyARN); err != nil {
			return fmt.Errorf("attach policy: %w", err)
		}
		return nil
	})
}

// DetachPolicy detaches a managed policy; ErrNotFound if it is not attached.
func (s *Store) DetachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error {
	res, err := s.authExec(ctx, `DELETE FROM iam_attachments
		WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND policy_arn = ?`,
		accountID, string(kind), owner, policyARN)
	if err != nil {
		return fmt.Errorf("detach policy %s from %s %s: %w", policyARN, kind, owner, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("policy %s attached to %s %s: %w", policyARN, kind, owner, meta.ErrNotFound)
	}
	return nil
}

// ListAttachedPolicies returns the ARNs attached to an owner, sorted.
func (s *Store) ListAttachedPolicies(ctx context.Context, accountID string, kind meta.IAMKind, owner string) ([]string, error) {
	table, err := ownerTable(kind)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT 0, '' FROM `+table+` WHERE account_id = ?1 AND name = ?2
		UNION ALL
		SELECT 1, policy_arn FROM iam_attachments WHERE account_id = ?1 AND owner_kind = ?3 AND owner_name = ?2
		ORDER BY 1, 2`, accountID, owner, string(kind))
	if err != nil {
		return nil, fmt.Errorf("list attached policies of %s %s: %w", kind, owner, err)
	}
	out, found, err := scanAfterMarker(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("list attached policies of %s %s: %w", kind, owner, err)
	}
	if !found {
		return nil, fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
	}
	return out, nil
}

// identityPoliciesQuery returns the query of IdentityPolicies for the identities in
// owners, a CTE of (kind, name) rows whose first is the identity itself, from the
// arguments ?1 account id, ?2 name, ?3 kind. Its rows are (0, "") once if the identity
// exists, (1, document) for each document, (2, arn) for each AWS managed ARN.
func identityPoliciesQuery(owners string) string {
	// CROSS JOIN keeps the join order as written (SQLite does not reorder it): from the
	// few owners to their rows by primary key, never the other way round.
	return `WITH owners(kind, name) AS (` + owners + `),
		attached(arn) AS (
			SELECT DISTINCT a.policy_arn FROM owners o CROSS JOIN iam_attachments a
			ON a.account_id = ?1 AND a.owner_kind = o.kind AND a.owner_name = o.name)
		SELECT 0, '' FROM owners WHERE kind = ?3
		UNION ALL
		SELECT 1, i.document FROM owners o CROSS JOIN iam_inline_policies i
			ON i.account_id = ?1 AND i.owner_kind = o.kind AND i.owner_name = o.name
		UNION ALL
		SELECT 1, v.document FROM attached t
			CROSS JOIN iam_policies p ON p.arn = t.arn AND p.account_id = ?1
			CROSS JOIN iam_policy_versions v ON v.policy_arn = p.arn AND v.version = p.default_version
		UNION ALL
		SELECT 2, t.arn FROM attached t WHERE substr(t.arn, 1, ` + fmt.Sprint(len(awsManagedPrefix)) + `) = '` + awsManagedPrefix + `'
		ORDER BY 1, 2`
}

// IdentityPolicies returns the documents and AWS managed ARNs of every policy that
// applies to an identity, in one query.
func (s *Store) IdentityPolicies(ctx context.Context, accountID string, kind meta.IAMKind, name string) (documents, awsManagedARNs []string, err error) {
	table, err := ownerTable(kind)
	if err != nil {
		return nil, nil, err
	}
	owners := "SELECT ?3, name FROM " + table + " WHERE account_id = ?1 AND name = ?2"
	if kind == meta.KindUser {
		// A user's groups; a user that does not exist has none, since it could not be
		// deleted while it had any.
		owners += " UNION ALL SELECT 'group', group_name FROM iam_group_members WHERE account_id = ?1 AND user_name = ?2"
	}
	rows, err := s.read.QueryContext(ctx, identityPoliciesQuery(owners), accountID, name, string(kind))
	if err != nil {
		return nil, nil, fmt.Errorf("policies of %s %s: %w", kind, name, err)
	}
	defer rows.Close()
	found := false
	documents, awsManagedARNs = []string{}, []string{}
	for rows.Next() {
		var what int
		var v string
		if err := rows.Scan(&what, &v); err != nil {
			return nil, nil, fmt.Errorf("policies of %s %s: %w", kind, name, err)
		}
		switch what {
		case 0:
			found = true
		case 1:
			documents = append(documents, v)
		case 2:
			awsManagedARNs = append(awsManagedARNs, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("policies of %s %s: %w", kind, name, err)
	}
	if !found {
		return nil, nil, fmt.Errorf("%s %s: %w", kind, name, meta.ErrNotFound)
	}
	return documents, awsManagedARNs, nil
}
