package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The authorization epoch counts the writes that may change what authorization
// depends on (IAM identities and policies, access keys, resource policies,
// repositories and their resource tags, accounts, account settings).
//
// It is an in-memory counter, read on every request without I/O. This process's own
// writes advance it as soon as their transaction ends. Writes by another process on the
// same database (berth account, run beside a server) advance the persistent counter in
// the auth_epoch row in the same transaction as the change; a poller sees that row
// move within epochPollInterval and advances the in-memory epoch.
//
// It is advanced after the write's transaction ends, never before its commit: a reader
// that reads the epoch and then the data can cache data that is newer than the epoch
// it read (harmless: the epoch moves on just after), never older. A write that fails
// advances it too, which costs a cache refill and keeps the code simple.

// epochPollInterval bounds how long another process's change takes to reach this one.
const epochPollInterval = time.Second

const bumpEpoch = "UPDATE auth_epoch SET value = value + 1 WHERE id = 1"

// AuthEpoch returns the current authorization epoch.
func (s *Store) AuthEpoch() uint64 { return s.epoch.Load() }

// authTx runs fn in a durable write transaction, then advances the epoch.
func (s *Store) authTx(ctx context.Context, fn func(*txn) error) error {
	defer s.epoch.Add(1)
	return s.tx(ctx, func(tx *txn) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, bumpEpoch); err != nil {
			return fmt.Errorf("advance auth epoch: %w", err)
		}
		return nil
	})
}

// authExec runs one durable statement in its own transaction, then advances the epoch.
func (s *Store) authExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.authTx(ctx, func(tx *txn) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// pollEpoch advances the epoch whenever the persistent counter moves, until stop is
// closed.
func (s *Store) pollEpoch(stop <-chan struct{}) {
	t := time.NewTicker(epochPollInterval)
	defer t.Stop()
	var last int64 = -1
	for {
		var v int64
		err := s.read.QueryRowContext(context.Background(), "SELECT value FROM auth_epoch WHERE id = 1").Scan(&v)
		if err == nil && v != last {
			if last >= 0 {
				s.epoch.Add(1)
			}
			last = v
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
