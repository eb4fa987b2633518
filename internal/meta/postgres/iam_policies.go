package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
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

// PutInlinePolicy creates or replaces an inline policy of a user, group or role. A
// replaced policy keeps the name it was created with.
func (s *Store) PutInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name, document string) error {
	table, err := ownerTable(kind)
	if err != nil {
		return err
	}
	// One statement: no row of the owner means no owner.
	n, err := s.authExec(ctx, `INSERT INTO iam_inline_policies (account_id, owner_kind, owner_lc, name, document)
		SELECT account_id, $1, name_lc, $2, $3 FROM `+table+` WHERE account_id = $4 AND name_lc = lower($5)
		ON CONFLICT (account_id, owner_kind, owner_lc, name_lc) DO UPDATE SET document = excluded.document`,
		string(kind), name, document, accountID, owner)
	if err != nil {
		return fmt.Errorf("put inline policy %s of %s %s: %w", name, kind, owner, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
	}
	return nil
}

// GetInlinePolicy returns the document of an inline policy.
func (s *Store) GetInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) (string, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT document FROM iam_inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_lc = lower($3) AND name_lc = lower($4)`,
		accountID, string(kind), owner, name).Scan(&doc)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("inline policy %s of %s %s", name, kind, owner),
			fmt.Sprintf("get inline policy %s of %s %s", name, kind, owner))
	}
	return doc, nil
}

// DeleteInlinePolicy deletes an inline policy; ErrNotFound if there is none.
func (s *Store) DeleteInlinePolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, name string) error {
	n, err := s.authExec(ctx, `DELETE FROM iam_inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_lc = lower($3) AND name_lc = lower($4)`,
		accountID, string(kind), owner, name)
	if err != nil {
		return fmt.Errorf("delete inline policy %s of %s %s: %w", name, kind, owner, err)
	}
	if n == 0 {
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
	rows, err := s.pool.Query(ctx, `SELECT 0, ''::text COLLATE "C", ''::text FROM `+table+` WHERE account_id = $1 AND name_lc = lower($2)
		UNION ALL
		SELECT 1, name_lc, name FROM iam_inline_policies WHERE account_id = $1 AND owner_kind = $3 AND owner_lc = lower($2)
		ORDER BY 1, 2`, accountID, owner, string(kind))
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
	return s.authTx(ctx, func(tx pgx.Tx) error {
		var hasOwner, hasPolicy bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE account_id = $1 AND name_lc = lower($2)),
			EXISTS (SELECT 1 FROM iam_policies WHERE arn = $3 AND account_id = $1)`,
			accountID, owner, policyARN).Scan(&hasOwner, &hasPolicy); err != nil {
			return fmt.Errorf("attach policy: %w", err)
		}
		if !hasOwner {
			return fmt.Errorf("%s %s: %w", kind, owner, meta.ErrNotFound)
		}
		if !hasPolicy && !isAWSManaged(policyARN) {
			return fmt.Errorf("policy %s: %w", policyARN, meta.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_attachments (account_id, owner_kind, owner_lc, policy_arn)
			VALUES ($1, $2, lower($3), $4) ON CONFLICT DO NOTHING`, accountID, string(kind), owner, policyARN); err != nil {
			return fmt.Errorf("attach policy: %w", err)
		}
		return nil
	})
}

// DetachPolicy detaches a managed policy; ErrNotFound if it is not attached.
func (s *Store) DetachPolicy(ctx context.Context, accountID string, kind meta.IAMKind, owner, policyARN string) error {
	n, err := s.authExec(ctx, `DELETE FROM iam_attachments
		WHERE account_id = $1 AND owner_kind = $2 AND owner_lc = lower($3) AND policy_arn = $4`,
		accountID, string(kind), owner, policyARN)
	if err != nil {
		return fmt.Errorf("detach policy %s from %s %s: %w", policyARN, kind, owner, err)
	}
	if n == 0 {
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
	rows, err := s.pool.Query(ctx, `SELECT 0, ''::text COLLATE "C", ''::text FROM `+table+` WHERE account_id = $1 AND name_lc = lower($2)
		UNION ALL
		SELECT 1, policy_arn, policy_arn FROM iam_attachments WHERE account_id = $1 AND owner_kind = $3 AND owner_lc = lower($2)
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
// owners, a CTE of (kind, name_lc) rows whose first is the identity itself, from the
// arguments $1 account id, $2 name, $3 kind. Its rows are (0, "") once if the identity
// exists, (1, document) for each document, (2, arn) for each AWS managed ARN.
func identityPoliciesQuery(owners string) string {
	return `WITH owners(kind, name_lc) AS (` + owners + `),
		attached(arn) AS (
			SELECT DISTINCT a.policy_arn FROM owners o JOIN iam_attachments a
			ON a.account_id = $1 AND a.owner_kind = o.kind AND a.owner_lc = o.name_lc)
		SELECT 0, ''::text COLLATE "C" FROM owners WHERE kind = $3::text
		UNION ALL
		SELECT 1, i.document FROM owners o JOIN iam_inline_policies i
			ON i.account_id = $1 AND i.owner_kind = o.kind AND i.owner_lc = o.name_lc
		UNION ALL
		SELECT 1, v.document FROM attached t
			JOIN iam_policies p ON p.arn = t.arn AND p.account_id = $1
			JOIN iam_policy_versions v ON v.policy_arn = p.arn AND v.version = p.default_version
		UNION ALL
		SELECT 2, t.arn FROM attached t WHERE starts_with(t.arn, '` + awsManagedPrefix + `')
		ORDER BY 1, 2`
}

// IdentityPolicies returns the documents and AWS managed ARNs of every policy that
// applies to an identity, in one query.
func (s *Store) IdentityPolicies(ctx context.Context, accountID string, kind meta.IAMKind, name string) (documents, awsManagedARNs []string, err error) {
	table, err := ownerTable(kind)
	if err != nil {
		return nil, nil, err
	}
	owners := `SELECT $3::text COLLATE "C", name_lc FROM ` + table + " WHERE account_id = $1 AND name_lc = lower($2)"
	if kind == meta.KindUser {
		// A user's groups; a user that does not exist has none, since it could not be
		// deleted while it had any.
		owners += ` UNION ALL SELECT 'group', group_lc FROM iam_group_members WHERE account_id = $1 AND user_lc = lower($2)`
	}
	rows, err := s.pool.Query(ctx, identityPoliciesQuery(owners), accountID, name, string(kind))
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
