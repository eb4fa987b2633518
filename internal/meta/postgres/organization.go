package postgres

import (
	"context"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
)

// ListAccounts lists accounts by id, after after.
func (s *Store) ListAccounts(ctx context.Context, after string, limit int) ([]meta.Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
		after, limit)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out, err := scanAll(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

const createAccountStatusColumns = `id, account_name, email, account_id, state, failure_reason,
	requested_at, completed_at`

func scanCreateAccountStatus(row scanner) (meta.CreateAccountStatus, error) {
	var c meta.CreateAccountStatus
	var requested, completed int64
	if err := row.Scan(&c.ID, &c.AccountName, &c.Email, &c.AccountID, &c.State, &c.FailureReason,
		&requested, &completed); err != nil {
		return meta.CreateAccountStatus{}, err
	}
	c.RequestedAt, c.CompletedAt = fromNanosOrZero(requested), fromNanosOrZero(completed)
	return c, nil
}

// PutCreateAccountStatus creates or replaces the status of a CreateAccount request.
func (s *Store) PutCreateAccountStatus(ctx context.Context, c meta.CreateAccountStatus) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO create_account_status ("+createAccountStatusColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET account_name = excluded.account_name,
		email = excluded.email, account_id = excluded.account_id, state = excluded.state,
		failure_reason = excluded.failure_reason, requested_at = excluded.requested_at,
		completed_at = excluded.completed_at`, c.ID, c.AccountName, c.Email, c.AccountID, c.State, c.FailureReason,
		nanosOrZero(c.RequestedAt), nanosOrZero(c.CompletedAt))
	if err != nil {
		return fmt.Errorf("put create account status %s: %w", c.ID, err)
	}
	return nil
}

// GetCreateAccountStatus returns the status of a CreateAccount request.
func (s *Store) GetCreateAccountStatus(ctx context.Context, id string) (meta.CreateAccountStatus, error) {
	c, err := scanCreateAccountStatus(s.pool.QueryRow(ctx, "SELECT "+createAccountStatusColumns+
		" FROM create_account_status WHERE id = $1", id))
	if err != nil {
		return meta.CreateAccountStatus{}, notFound(err, "create account status "+id, "get create account status "+id)
	}
	return c, nil
}

// ListCreateAccountStatus lists CreateAccount requests newest first (by request time,
// then id), those in states only unless it is empty, all older than the request after.
// An after that names no request lists nothing.
func (s *Store) ListCreateAccountStatus(ctx context.Context, states []string, after string, limit int) ([]meta.CreateAccountStatus, error) {
	if states == nil {
		states = []string{}
	}
	rows, err := s.pool.Query(ctx, "SELECT "+createAccountStatusColumns+` FROM create_account_status
		WHERE (cardinality($1::text[]) = 0 OR state = ANY($1::text[]))
		AND ($2 = '' OR (requested_at, id) < (SELECT requested_at, id FROM create_account_status WHERE id = $2))
		ORDER BY requested_at DESC, id DESC LIMIT $3`, states, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list create account status: %w", err)
	}
	out, err := scanAll(rows, scanCreateAccountStatus)
	if err != nil {
		return nil, fmt.Errorf("list create account status: %w", err)
	}
	return out, nil
}
