package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
)

// maxPolicyVersions is how many versions a managed policy may have, as in IAM.
const maxPolicyVersions = 5

// versionID is the id of version number n.
func versionID(n int64) string { return "v" + strconv.FormatInt(n, 10) }

// versionNumber parses a version id: v and a number without leading zeros.
func versionNumber(id string) (int64, bool) {
	digits, ok := strings.CutPrefix(id, "v")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 1 || versionID(n) != id {
		return 0, false
	}
	return n, true
}

const policyColumns = `p.arn, p.account_id, p.name, p.id, p.path, p.description, p.default_version,
	(SELECT count(*) FROM iam_attachments a WHERE a.policy_arn = p.arn), p.created_at, p.updated_at`

func scanPolicy(row scanner) (meta.ManagedPolicy, error) {
	var p meta.ManagedPolicy
	var def, created, updated int64
	if err := row.Scan(&p.ARN, &p.AccountID, &p.Name, &p.ID, &p.Path, &p.Description, &def,
		&p.AttachmentCount, &created, &updated); err != nil {
		return meta.ManagedPolicy{}, err
	}
	p.DefaultVersion = versionID(def)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, nil
}

// CreatePolicy stores a customer managed policy with document as its default version
// v1. UpdatedAt is CreatedAt when zero.
func (s *Store) CreatePolicy(ctx context.Context, p meta.ManagedPolicy, document string) error {
	updated := p.UpdatedAt
	if updated.IsZero() {
		updated = p.CreatedAt
	}
	err := s.authTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO iam_policies (arn, account_id, name, id, path, description,
			default_version, next_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 2, $7, $8)`,
			p.ARN, p.AccountID, p.Name, p.ID, p.Path, p.Description, nanos(p.CreatedAt), nanos(updated)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO iam_policy_versions (policy_arn, version, document, created_at)
			VALUES ($1, 1, $2, $3)`, p.ARN, document, nanos(p.CreatedAt))
		return err
	})
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("create policy %s: %w", p.Name, meta.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create policy %s: %w", p.Name, err)
	}
	return nil
}

// GetPolicy returns a customer managed policy by ARN.
func (s *Store) GetPolicy(ctx context.Context, arn string) (meta.ManagedPolicy, error) {
	p, err := scanPolicy(s.pool.QueryRow(ctx, "SELECT "+policyColumns+" FROM iam_policies p WHERE p.arn = $1", arn))
	if err != nil {
		return meta.ManagedPolicy{}, notFound(err, "policy "+arn, "get policy "+arn)
	}
	return p, nil
}

// ListPolicies lists the customer managed policies of an account under a path, by
// name, optionally only those attached to something.
func (s *Store) ListPolicies(ctx context.Context, accountID, pathPrefix string, onlyAttached bool, after string, limit int) ([]meta.ManagedPolicy, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+policyColumns+` FROM iam_policies p
		WHERE p.account_id = $1 AND p.name_lc > lower($2) AND starts_with(p.path, $3)
		AND (NOT $4 OR EXISTS (SELECT 1 FROM iam_attachments a WHERE a.policy_arn = p.arn))
		ORDER BY p.name_lc LIMIT $5`, accountID, after, pathPrefixArg(pathPrefix), onlyAttached, limit)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	out, err := scanAll(rows, scanPolicy)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy that is attached to nothing and has
// only its default version, which goes with it.
func (s *Store) DeletePolicy(ctx context.Context, arn string) error {
	return s.deleteUnlessInUse(ctx, "policy "+arn, "SELECT EXISTS (SELECT 1 FROM iam_policies WHERE arn = $1)",
		[]inUseCheck{
			{"attachments", "SELECT EXISTS (SELECT 1 FROM iam_attachments WHERE policy_arn = $1)"},
			{"versions", `SELECT EXISTS (SELECT 1 FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn
				WHERE v.policy_arn = $1 AND v.version <> p.default_version)`},
		},
		[]string{
			"DELETE FROM iam_policy_versions WHERE policy_arn = $1",
			"DELETE FROM iam_policies WHERE arn = $1",
		}, arn)
}

// CreatePolicyVersion adds a version to a policy, numbered from its counter.
func (s *Store) CreatePolicyVersion(ctx context.Context, arn, document string, setDefault bool, now time.Time) (meta.PolicyVersion, error) {
	var v meta.PolicyVersion
	err := s.authTx(ctx, func(tx pgx.Tx) error {
		var next int64
		var count int
		err := tx.QueryRow(ctx, `SELECT next_version,
			(SELECT count(*) FROM iam_policy_versions WHERE policy_arn = p.arn) FROM iam_policies p WHERE arn = $1`,
			arn).Scan(&next, &count)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("policy %s: %w", arn, meta.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if count >= maxPolicyVersions {
			return fmt.Errorf("policy %s has %d versions: %w", arn, count, meta.ErrLimitExceeded)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_policy_versions (policy_arn, version, document, created_at)
			VALUES ($1, $2, $3, $4)`, arn, next, document, nanos(now)); err != nil {
			return err
		}
		q := "UPDATE iam_policies SET next_version = $2 + 1 WHERE arn = $1"
		args := []any{arn, next}
		if setDefault {
			q = "UPDATE iam_policies SET next_version = $2 + 1, default_version = $2, updated_at = $3 WHERE arn = $1"
			args = append(args, nanos(now))
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
		v = meta.PolicyVersion{VersionID: versionID(next), Document: document, IsDefault: setDefault,
			CreatedAt: fromNanos(nanos(now))}
		return nil
	})
	if err != nil {
		return meta.PolicyVersion{}, fmt.Errorf("create version of policy %s: %w", arn, err)
	}
	return v, nil
}

const policyVersionColumns = "v.version, v.document, v.version = p.default_version, v.created_at"

func scanPolicyVersion(row scanner) (meta.PolicyVersion, error) {
	var v meta.PolicyVersion
	var n, created int64
	if err := row.Scan(&n, &v.Document, &v.IsDefault, &created); err != nil {
		return meta.PolicyVersion{}, err
	}
	v.VersionID, v.CreatedAt = versionID(n), fromNanos(created)
	return v, nil
}

// GetPolicyVersion returns one version of a policy.
func (s *Store) GetPolicyVersion(ctx context.Context, arn, versionID string) (meta.PolicyVersion, error) {
	n, ok := versionNumber(versionID)
	if !ok {
		return meta.PolicyVersion{}, fmt.Errorf("version %s of policy %s: %w", versionID, arn, meta.ErrNotFound)
	}
	v, err := scanPolicyVersion(s.pool.QueryRow(ctx, "SELECT "+policyVersionColumns+
		" FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn WHERE v.policy_arn = $1 AND v.version = $2",
		arn, n))
	if err != nil {
		return meta.PolicyVersion{}, notFound(err, fmt.Sprintf("version %s of policy %s", versionID, arn),
			fmt.Sprintf("get version %s of policy %s", versionID, arn))
	}
	return v, nil
}

// ListPolicyVersions returns a policy's versions, newest first; ErrNotFound for no
// policy.
func (s *Store) ListPolicyVersions(ctx context.Context, arn string) ([]meta.PolicyVersion, error) {
	// A policy always has its default version: no rows means no policy.
	rows, err := s.pool.Query(ctx, "SELECT "+policyVersionColumns+
		" FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn WHERE v.policy_arn = $1 ORDER BY v.version DESC",
		arn)
	if err != nil {
		return nil, fmt.Errorf("list versions of policy %s: %w", arn, err)
	}
	out, err := scanAll(rows, scanPolicyVersion)
	if err != nil {
		return nil, fmt.Errorf("list versions of policy %s: %w", arn, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("policy %s: %w", arn, meta.ErrNotFound)
	}
	return out, nil
}

// DeletePolicyVersion deletes a version that is not the default.
func (s *Store) DeletePolicyVersion(ctx context.Context, arn, versionID string) error {
	n, ok := versionNumber(versionID)
	if !ok {
		return fmt.Errorf("version %s of policy %s: %w", versionID, arn, meta.ErrNotFound)
	}
	return s.authTx(ctx, func(tx pgx.Tx) error {
		var isDefault bool
		err := tx.QueryRow(ctx, `SELECT v.version = p.default_version FROM iam_policy_versions v
			JOIN iam_policies p ON p.arn = v.policy_arn WHERE v.policy_arn = $1 AND v.version = $2`, arn, n).Scan(&isDefault)
		if err != nil {
			return notFound(err, fmt.Sprintf("version %s of policy %s", versionID, arn),
				fmt.Sprintf("delete version %s of policy %s", versionID, arn))
		}
		if isDefault {
			return fmt.Errorf("delete version %s of policy %s: %w", versionID, arn,
				&meta.InUseError{Dependents: "default version"})
		}
		if _, err := tx.Exec(ctx, "DELETE FROM iam_policy_versions WHERE policy_arn = $1 AND version = $2", arn, n); err != nil {
			return fmt.Errorf("delete version %s of policy %s: %w", versionID, arn, err)
		}
		return nil
	})
}

// SetDefaultPolicyVersion makes a version the default, as of now.
func (s *Store) SetDefaultPolicyVersion(ctx context.Context, arn, versionID string, now time.Time) error {
	n, ok := versionNumber(versionID)
	if !ok {
		return fmt.Errorf("version %s of policy %s: %w", versionID, arn, meta.ErrNotFound)
	}
	c, err := s.authExec(ctx, `UPDATE iam_policies SET default_version = $2, updated_at = $3 WHERE arn = $1
		AND EXISTS (SELECT 1 FROM iam_policy_versions WHERE policy_arn = $1 AND version = $2)`, arn, n, nanos(now))
	if err != nil {
		return fmt.Errorf("set default version of policy %s: %w", arn, err)
	}
	if c == 0 {
		return fmt.Errorf("version %s of policy %s: %w", versionID, arn, meta.ErrNotFound)
	}
	return nil
}

// AttachmentCount counts the identities of an account that have a policy attached.
func (s *Store) AttachmentCount(ctx context.Context, accountID, policyARN string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM iam_attachments WHERE policy_arn = $1 AND account_id = $2",
		policyARN, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count attachments of %s: %w", policyARN, err)
	}
	return n, nil
}
