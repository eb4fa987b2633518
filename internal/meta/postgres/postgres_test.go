package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/postgres"
	"github.com/berth-registry/berth/internal/testutil/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/opencontainers/go-digest"
)

func closeStore(t testing.TB, s *postgres.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// appliedMigrations reads schema_migrations.
func appliedMigrations(t *testing.T, url string) []string {
	t.Helper()
	rows, err := connect(t, url).Query(t.Context(), "SELECT version || '@' || applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

func migrationFiles(t *testing.T) []string {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("list migrations: %v (%d files)", err, len(files))
	}
	return files
}

func TestReopenKeepsDataAndDoesNotReapplyMigrations(t *testing.T) {
	url := pgtest.Start(t)
	s := open(t, url)
	repo, _, err := s.CreateRepository(t.Context(), meta.Repository{RegistryID: "123456789012", Name: "kept"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	layer := digest.FromString("layer")
	if err := s.LinkBlob(t.Context(), repo.ID, meta.Blob{Digest: layer, Size: 5, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	closeStore(t, s)
	first := appliedMigrations(t, url)
	if len(first) != len(migrationFiles(t)) {
		t.Fatalf("schema_migrations = %v, want one row per migration file (%d)", first, len(migrationFiles(t)))
	}
	for range 2 {
		s = open(t, url)
		if _, err := s.RepositoryBlob(t.Context(), repo.ID, layer); err != nil {
			t.Errorf("RepositoryBlob after reopening: %v", err)
		}
		closeStore(t, s)
		if again := appliedMigrations(t, url); !slices.Equal(again, first) {
			t.Errorf("schema_migrations after reopening = %v, want it unchanged %v", again, first)
		}
	}
}

// Replicas that start together on an empty database migrate it once.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.Start(t)
	const n = 6
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		closeStore(t, stores[i])
	}
	if got := appliedMigrations(t, url); len(got) != len(migrationFiles(t)) {
		t.Errorf("schema_migrations = %v, want one row per migration file", got)
	}
}

func TestOpenRefusesOtherURLs(t *testing.T) {
	for _, u := range []string{"", "/var/lib/berth/metadata.db", "mysql://u:p@h/db", "host=localhost dbname=x"} {
		if s, err := postgres.Open(t.Context(), u); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestRedactHidesThePassword(t *testing.T) {
	got := postgres.Redact("postgres://berth:s3cret@db.example.com:5432/berth?sslmode=require")
	if want := "postgres://berth:xxxxx@db.example.com:5432/berth?sslmode=require"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}

// waitEpoch returns how long s's auth epoch took to move past before, or fails.
func waitEpoch(t *testing.T, s *postgres.Store, before uint64, start time.Time) time.Duration {
	t.Helper()
	for s.AuthEpoch() == before {
		if time.Since(start) > 3*time.Second {
			t.Fatalf("the auth epoch did not move in 3 s after another store's auth write")
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// Another replica's auth write reaches this store by NOTIFY, well within the 1 s
// poll: five in a row each under 300 ms would happen to a poll alone once in 400 runs.
func TestAuthEpochReachesOtherReplicasByNotify(t *testing.T) {
	url := pgtest.Start(t)
	server := open(t, url)
	defer closeStore(t, server)
	admin := open(t, url)
	defer closeStore(t, admin)
	time.Sleep(200 * time.Millisecond) // let the listener LISTEN

	bump := func(i int) time.Duration {
		before := server.AuthEpoch()
		start := time.Now()
		if err := admin.CreateUser(t.Context(), meta.User{AccountID: "111122223333", Name: fmt.Sprint("u", i),
			ID: fmt.Sprint("AIDA", i), Path: "/", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return waitEpoch(t, server, before, start)
	}
	for i := range 5 {
		if d := bump(i); d > 300*time.Millisecond {
			t.Errorf("auth write %d reached the other store after %v, want well under the 1 s poll", i, d)
		}
	}

	// Writes that do not bear on authorization leave it alone, and the store's own
	// notifications do not count twice.
	settled := server.AuthEpoch()
	if err := admin.PutCreateAccountStatus(t.Context(), meta.CreateAccountStatus{ID: "car-1", State: "IN_PROGRESS",
		RequestedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := server.AuthEpoch(); got != settled {
		t.Errorf("auth epoch moved from %d to %d with no auth change", settled, got)
	}

	// The listener comes back after its connection dies; meanwhile the poll carries.
	c := connect(t, url)
	tag, err := c.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
		"berth auth epoch listener")
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("terminate the two listeners: %v, %d rows", err, tag.RowsAffected())
	}
	if d := bump(100); d > 1500*time.Millisecond {
		t.Errorf("with the listener down, an auth write took %v to arrive, want at most the poll interval", d)
	}
	time.Sleep(1500 * time.Millisecond) // the listener reconnects after a second
	for i := range 3 {
		if d := bump(200 + i); d > 300*time.Millisecond {
			t.Errorf("after reconnecting, auth write %d took %v to arrive", i, d)
		}
	}
}
