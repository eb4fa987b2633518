package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// cachedDB runs queries through prepared statements, prepared once per query text:
// parsing SQL was the largest cost of a request that hits the store.
type cachedDB struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newCachedDB(db *sql.DB) *cachedDB {
	return &cachedDB{db: db, stmts: map[string]*sql.Stmt{}}
}

func (c *cachedDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	c.stmts[query] = st
	return st, nil
}

func (c *cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// rowError is a *sql.Row-like result for a statement that could not be prepared.
type row interface{ Scan(...any) error }

type rowError struct{ err error }

func (r rowError) Scan(...any) error { return r.err }

func (c *cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return rowError{err}
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *cachedDB) close() error {
	c.mu.Lock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.mu.Unlock()
	return c.db.Close()
}

// writer is the one connection that writes. Transactions are begun and ended by hand
// (BEGIN IMMEDIATE … COMMIT) so that statements prepared on the connection once are
// used by every transaction: database/sql re-prepares a statement in each *sql.Tx.
type writer struct {
	mu    sync.Mutex // one transaction at a time
	db    *sql.DB
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	// full is whether the connection runs with synchronous=FULL now.
	full bool
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open the writer connection: %w", err)
	}
	return &writer{db: db, conn: conn, stmts: map[string]*sql.Stmt{}, full: true}, nil
}

func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	w.stmts[query] = st
	return st, nil
}

// run runs fn in a transaction. durable chooses synchronous=FULL (the commit is on
// disk before run returns, so it survives power loss) or NORMAL (it survives a crash
// of the process; a power cut may lose it): NORMAL suits what a client can redo, as
// the progress of an upload session.
func (w *writer) run(ctx context.Context, durable bool, fn func(*txn) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The end of a transaction must run even if the request is cancelled.
	end := context.WithoutCancel(ctx)
	if durable != w.full {
		mode := "NORMAL"
		if durable {
			mode = "FULL"
		}
		if _, err := w.conn.ExecContext(end, "PRAGMA synchronous = "+mode); err != nil {
			return fmt.Errorf("set synchronous %s: %w", mode, err)
		}
		w.full = durable
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&txn{w: w}); err != nil {
		if _, rerr := w.conn.ExecContext(end, "ROLLBACK"); rerr != nil {
			return fmt.Errorf("%w (and rollback: %v)", err, rerr)
		}
		return err
	}
	if _, err := w.conn.ExecContext(end, "COMMIT"); err != nil {
		w.conn.ExecContext(end, "ROLLBACK")
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ExecContext runs one durable statement in its own transaction.
func (w *writer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := w.run(ctx, true, func(t *txn) error {
		var err error
		res, err = t.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (w *writer) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, st := range w.stmts {
		st.Close()
	}
	return errorsJoin(w.conn.Close(), w.db.Close())
}

// txn is a transaction of the writer.
type txn struct {
	w *writer
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) row {
	st, err := t.w.stmt(ctx, query)
	if err != nil {
		return rowError{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// exec runs one statement outside prepared statements (a migration of many).
func (t *txn) execScript(ctx context.Context, script string) error {
	_, err := t.w.conn.ExecContext(ctx, script)
	return err
}
