package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// ListAccounts lists accounts by id, after after.
func (s *Store) ListAccounts(ctx context.Context, after string, limit int) ([]meta.Account, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id > ? ORDER BY id LIMIT ?",
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

func scanCreateAccountStatus(row interface{ Scan(...any) error }) (meta.CreateAccountStatus, error) {
	var c meta.CreateAccountStatus
	var requested, completed int64
	if err := row.Scan(&c.ID, &c.AccountName, &c.Email, &c.AccountID, &c.State, &c.FailureReason,
		&requested, &completed); err != nil {
		return meta.CreateAccountStatus{}, err
	}
	c.RequestedAt, c.CompletedAt = fromNanosOrZero(requested), fromNanosOrZero(completed)
	return c, nil
}

// nanosOrZero is nanos, with 0 for the zero time (which nanos cannot represent).
func nanosOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

func fromNanosOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// PutCreateAccountStatus creates or replaces the status of a CreateAccount request.
func (s *Store) PutCreateAccountStatus(ctx context.Context, c meta.CreateAccountStatus) error {
	_, err := s.write.ExecContext(ctx, "INSERT OR REPLACE INTO create_account_status ("+createAccountStatusColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", c.ID, c.AccountName, c.Email, c.AccountID, c.State, c.FailureReason,
		nanosOrZero(c.RequestedAt), nanosOrZero(c.CompletedAt))
	if err != nil {
		return fmt.Errorf("put create account status %s: %w", c.ID, err)
	}
	return nil
}

// GetCreateAccountStatus returns the status of a CreateAccount request.
func (s *Store) GetCreateAccountStatus(ctx context.Context, id string) (meta.CreateAccountStatus, error) {
	c, err := scanCreateAccountStatus(s.read.QueryRowContext(ctx, "SELECT "+createAccountStatusColumns+
		" FROM create_account_status WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.CreateAccountStatus{}, fmt.Errorf("create account status %s: %w", id, meta.ErrNotFound)
	}
	if err != nil {
		return meta.CreateAccountStatus{}, fmt.Errorf("get create account status %s: %w", id, err)
	}
	return c, nil
}

// ListCreateAccountStatus lists CreateAccount requests newest first (by request time,
// then id), those in states only unless it is empty, all older than the request after.
// An after that names no request lists nothing.
func (s *Store) ListCreateAccountStatus(ctx context.Context, states []string, after string, limit int) ([]meta.CreateAccountStatus, error) {
	filter := ""
	if len(states) > 0 {
		b, err := json.Marshal(states)
		if err != nil {
			return nil, fmt.Errorf("list create account status: %w", err)
		}
		filter = string(b)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+createAccountStatusColumns+` FROM create_account_status
		WHERE (?1 = '' OR state IN (SELECT value FROM json_each(?1)))
		AND (?2 = '' OR (requested_at, id) < (SELECT requested_at, id FROM create_account_status WHERE id = ?2))
		ORDER BY requested_at DESC, id DESC LIMIT ?3`, filter, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list create account status: %w", err)
	}
	out, err := scanAll(rows, scanCreateAccountStatus)
	if err != nil {
		return nil, fmt.Errorf("list create account status: %w", err)
	}
	return out, nil
}
