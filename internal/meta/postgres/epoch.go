package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The authorization epoch counts the writes that may change what authorization
// depends on (IAM identities and policies, access keys, resource policies,
// repositories and their resource tags, accounts, account settings).
//
// AuthEpoch reads an in-memory counter, without I/O. The database keeps a persistent
// counter (the auth_epoch row) that each such write advances in its own transaction,
// which also sends the new value with NOTIFY: every replica LISTENs on a connection of
// its own and advances its in-memory epoch as soon as a notification arrives. NOTIFY
// is lost while that connection is down, so a poller also reads the row every
// epochPollInterval, and the listener reconnects.
//
// seen is the highest counter value this store knows of: a notification or a poll
// advances the epoch only for a value above it, so this store's own writes (which
// advance the epoch themselves once their transaction ends) are not counted twice.
// The epoch is advanced after the write's transaction ends, never before its commit:
// a reader that reads the epoch and then the data can cache data newer than the epoch
// it read (harmless: the epoch moves on just after), never older. A write that fails
// advances it too, which costs a cache refill.

// epochChannel is the NOTIFY channel of the auth epoch.
const epochChannel = "berth_auth_epoch"

// listenerName is the application_name of the listening connection.
const listenerName = "berth auth epoch listener"

// epochPollInterval bounds how long a change takes to reach this store when
// notifications are lost.
const epochPollInterval = time.Second

// AuthEpoch returns the current authorization epoch.
func (s *Store) AuthEpoch() uint64 { return s.epoch.Load() }

// observe records that the persistent counter reached v (from a notification or a
// poll): the epoch advances if that is news.
func (s *Store) observe(v int64) {
	s.epochMu.Lock()
	defer s.epochMu.Unlock()
	if v > s.seen {
		s.seen = v
		s.epoch.Add(1)
	}
}

// wrote records the end of this store's own auth write, which took the counter to v
// (0 if it failed): the epoch advances in any case.
func (s *Store) wrote(v int64) {
	s.epochMu.Lock()
	defer s.epochMu.Unlock()
	s.seen = max(s.seen, v)
	s.epoch.Add(1)
}

// bumpEpoch advances the persistent counter and notifies every replica, in tx; the
// notification goes out when tx commits. It stores the new value in v.
func bumpEpoch(ctx context.Context, tx pgx.Tx, v *int64) error {
	if err := tx.QueryRow(ctx, "UPDATE auth_epoch SET value = value + 1 WHERE id = 1 RETURNING value").Scan(v); err != nil {
		return fmt.Errorf("advance auth epoch: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", epochChannel, strconv.FormatInt(*v, 10)); err != nil {
		return fmt.Errorf("notify auth epoch: %w", err)
	}
	return nil
}

// authTx runs fn in a SERIALIZABLE transaction (retried on conflicts) that also
// advances the persistent epoch, then advances the epoch.
func (s *Store) authTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.authTxAt(ctx, pgx.Serializable, fn)
}

// authTxAt is authTx at isolation level iso.
func (s *Store) authTxAt(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	var v int64
	err := s.tx(ctx, iso, func(tx pgx.Tx) error {
		v = 0
		if err := fn(tx); err != nil {
			return err
		}
		return bumpEpoch(ctx, tx, &v)
	})
	if err != nil {
		v = 0
	}
	s.wrote(v)
	return err
}

// authExec runs one statement as an auth write and returns its command tag.
func (s *Store) authExec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.authTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// listenEpoch follows notifications on a connection of its own until ctx ends,
// reconnecting when the connection fails.
func (s *Store) listenEpoch(ctx context.Context, cfg *pgx.ConnConfig) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("auth epoch listener lost its connection; polling until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(epochPollInterval):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) error {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+epochChannel); err != nil {
		return err
	}
	// What changed while the listener was down.
	var v int64
	if err := conn.QueryRow(ctx, "SELECT value FROM auth_epoch WHERE id = 1").Scan(&v); err != nil {
		return err
	}
	s.observe(v)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		v, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			slog.Warn("auth epoch notification with a bad payload", "payload", n.Payload)
			continue
		}
		s.observe(v)
	}
}

// pollEpoch reads the persistent counter every epochPollInterval until ctx ends.
func (s *Store) pollEpoch(ctx context.Context) {
	t := time.NewTicker(epochPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var v int64
		if err := s.pool.QueryRow(ctx, "SELECT value FROM auth_epoch WHERE id = 1").Scan(&v); err == nil {
			s.observe(v)
		}
	}
}
