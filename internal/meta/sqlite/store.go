// Package sqlite is the embedded metadata store: one SQLite database file in WAL mode,
// through the pure-Go modernc.org/sqlite driver so the binary stays static.
//
// SQLite allows one writer at a time, so writes go through a pool of one connection
// whose transactions begin IMMEDIATE (they take the write lock up front and never fail
// half-way with SQLITE_BUSY); reads use a separate pool and run concurrently.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/berth-registry/berth/internal/meta"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements meta.Store on SQLite.
type Store struct {
	write *writer
	read  *cachedDB
	// epoch is the authorization epoch (see epoch.go).
	epoch atomic.Uint64
	// stopPoll stops the epoch poller; pollDone is closed when it has stopped.
	stopPoll chan struct{}
	pollDone chan struct{}
}

var _ meta.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	// synchronous=FULL: an acknowledged write survives power loss, not only a crash.
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()

	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)

	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)

	w, err := newWriter(ctx, write)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	s := &Store{write: w, read: newCachedDB(read)}
	s.epoch.Store(1)
	if err := s.migrate(ctx); err != nil {
		s.read.close()
		s.write.close()
		return nil, err
	}
	s.stopPoll, s.pollDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.pollDone)
		s.pollEpoch(s.stopPoll)
	}()
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	close(s.stopPoll)
	<-s.pollDone
	return errorsJoin(s.read.close(), s.write.close())
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx,
		"CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if err := s.apply(ctx, version, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, version, name string) error {
	return s.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		// A migration holds several statements: run it unprepared.
		if err := tx.execScript(ctx, string(body)); err != nil {
			return fmt.Errorf("apply migration %s: %w", version, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
			version, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("record migration %s: %w", version, err)
		}
		return nil
	})
}

// tx runs fn in a durable write transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*txn) error) error {
	return s.write.run(ctx, true, fn)
}

// lightTx runs fn in a write transaction that survives a crash of the process but
// maybe not a power cut; for writes a client can redo.
func (s *Store) lightTx(ctx context.Context, fn func(*txn) error) error {
	return s.write.run(ctx, false, fn)
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
