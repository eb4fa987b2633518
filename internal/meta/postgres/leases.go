package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AcquireLease takes, renews or fails to take a lease, in one statement: the upsert
// overwrites the row only if holder holds it or it has expired, and a racing acquire
// waits for the row lock and re-checks that condition, so one holder wins. Time is
// the database server's, the one clock all replicas share.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, expires_at)
		SELECT $1, $2, (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint + $3
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.expires_at - $3
		RETURNING 1`, name, holder, int64(ttl)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return true, nil
}

// ReleaseLease frees a lease its holder holds.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
