// Package postgres is the metadata store for clusters of berth replicas: one
// PostgreSQL database shared by every replica, through pgx's connection pool.
//
// SQLite has one writer; PostgreSQL has many. Where the SQLite store relies on its one
// writer, this one locks: a compare-and-set is one UPDATE … WHERE (PostgreSQL re-checks
// the condition on the newest row after waiting for a racing writer's row lock). The
// writes of manifests, tags and blob links run READ COMMITTED, where each statement sees
// what committed before it began, and lock what they read before relying on it: a
// manifest put holds a share lock on each blob link and child manifest it references,
// and a delete locks the row it deletes before looking for references to it, so either
// the put or the delete comes first and the second sees the first's commit. Pushes of
// one tag queue on an advisory lock of the tag. (SERIALIZABLE would need no such
// reasoning, but its conflict detection works on index pages: concurrent pushes of
// different tags to one repository failed each other until retries ran out.) The
// writes that authorization depends on, rare and full of invariants (no user deleted
// while it has keys, …), run SERIALIZABLE and are retried on serialization failures.
//
// Statements are prepared once per connection (pgx's statement cache); reads run on the
// pool without a transaction.
package postgres

import (
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_xact_lock key that serializes migrations of replicas
// starting together ("berth" in ASCII).
const migrationLock = 0x6265727468

// Store implements meta.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// epoch is the authorization epoch; epochMu guards seen, the last value of the
	// persistent counter this store knows of (see epoch.go).
	epoch   atomic.Uint64
	epochMu sync.Mutex
	seen    int64
	// stop ends the epoch listener and poller; done waits for them.
	stop context.CancelFunc
	done sync.WaitGroup
}

var _ meta.Store = (*Store)(nil)

// IsURL reports whether s names a PostgreSQL database (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns a URL with its password replaced, for logs.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// Open connects to the database at rawURL (postgres://… or postgresql://…), applies
// pending migrations and starts following the auth epoch.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	if !IsURL(rawURL) {
		return nil, fmt.Errorf("open postgres: %q is not a postgres:// or postgresql:// URL", Redact(rawURL))
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", Redact(rawURL), err)
	}
	// pgx's default (4 connections on a small machine) queues requests that a registry
	// serves at once; pool_max_conns in the URL still decides.
	if !strings.Contains(rawURL, "pool_max_conns=") {
		cfg.MaxConns = max(cfg.MaxConns, 16)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", Redact(rawURL), err)
	}
	s := &Store{pool: pool}
	s.epoch.Store(1)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.pool.QueryRow(ctx, "SELECT value FROM auth_epoch WHERE id = 1").Scan(&s.seen); err != nil {
		pool.Close()
		return nil, fmt.Errorf("read auth epoch: %w", err)
	}
	follow, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		s.listenEpoch(follow, cfg.ConnConfig)
	}()
	go func() {
		defer s.done.Done()
		s.pollEpoch(follow)
	}()
	return s, nil
}

// Close stops following the epoch and closes the pool.
func (s *Store) Close() error {
	s.stop()
	s.done.Wait()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// migrate applies the pending migrations in one transaction that holds an advisory
// lock: of N replicas starting at once, one migrates and the others wait, then find
// nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT COLLATE "C" PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, name := range names {
			version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", version).Scan(&n); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if n > 0 {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return fmt.Errorf("read migration %s: %w", name, err)
			}
			// Without arguments pgx sends the script with the simple protocol, which
			// runs several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("apply migration %s: %w", version, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
				version, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("record migration %s: %w", version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	return nil
}

// maxAttempts bounds how often a transaction is retried after serialization failures.
const maxAttempts = 40

// tx runs fn in a transaction of isolation level iso, committing if it returns nil.
// A transaction that loses a serialization conflict or a deadlock, or returns errRetry,
// is retried from the start, so fn must set its results afresh each time it runs.
func (s *Store) tx(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: iso}, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		if pause(ctx, attempt) != nil {
			return err
		}
	}
}

// serializable runs fn in a SERIALIZABLE transaction, retried on conflicts.
func (s *Store) serializable(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.tx(ctx, pgx.Serializable, fn)
}

// readCommitted runs fn in a READ COMMITTED transaction, retried on deadlocks and when
// fn returns errRetry.
func (s *Store) readCommitted(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.tx(ctx, pgx.ReadCommitted, fn)
}

// errRetry is what a transaction returns to run again from the start: a row it was
// about to rely on went away while it waited for the row's lock.
var errRetry = errors.New("retry the transaction")

// pause waits a jittered, growing while before the next attempt of a transaction,
// which spreads racing writers apart; it returns ctx's error if ctx ends first.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// lockNames takes the transaction's advisory locks of names (tags) in a repository,
// always in one order so that two transactions cannot deadlock on them.
func lockNames(ctx context.Context, tx pgx.Tx, repoID int64, names []string) error {
	if len(names) == 0 {
		return nil
	}
	keys := make([]int64, len(names))
	for i, n := range names {
		keys[i] = lockKey(repoID, n)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// unnest yields the keys in array order, and each row's lock is taken in turn.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys); err != nil {
		return fmt.Errorf("lock tags: %w", err)
	}
	return nil
}

// lockKey is the advisory lock key of a name in a repository (FNV-1a, 64 bits). Two
// names that hash alike only queue behind each other.
func lockKey(repoID int64, name string) int64 {
	h := fnv.New64a()
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(repoID))
	h.Write(id[:])
	h.Write([]byte(name))
	return int64(h.Sum64())
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// retryable reports a serialization failure, a deadlock or errRetry: the transaction
// can run again.
func retryable(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01" || errors.Is(err, errRetry)
}

func isUniqueViolation(err error) bool { return pgCode(err) == "23505" }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

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

// scanner is a row or rows to scan.
type scanner interface{ Scan(...any) error }

// scanAll scans every row with scan and closes rows; none is an empty, non-nil slice.
func scanAll[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
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

func scanString(row scanner) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}

// markedRow scans a row whose first two columns, a marker and a sort key, scan does
// not read.
type markedRow struct {
	rows   pgx.Rows
	marker *int
}

func (r markedRow) Scan(dest ...any) error {
	var key string
	return r.rows.Scan(append([]any{r.marker, &key}, dest...)...)
}

// scanAfterMarker reads the rows of a query whose rows lead with a marker column and a
// sort key: marker 0 on the one row that says the parent exists, 1 on the rows of
// items, which it scans with scan. found is whether the parent row came.
func scanAfterMarker[T any](rows pgx.Rows, scan func(scanner) (T, error)) (out []T, found bool, err error) {
	defer rows.Close()
	out = []T{}
	var marker int
	for rows.Next() {
		v, err := scan(markedRow{rows, &marker})
		if err != nil {
			return nil, false, err
		}
		if marker == 0 {
			found = true
			continue
		}
		out = append(out, v)
	}
	return out, found, rows.Err()
}

// notFound turns pgx.ErrNoRows into what wrapped with meta.ErrNotFound, and any other
// error into op wrapping it.
func notFound(err error, what, op string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}
