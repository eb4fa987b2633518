// Package pgtest gives tests fresh, empty PostgreSQL databases.
//
// A test binary starts one throwaway PostgreSQL cluster (initdb into a temporary
// directory, pg_ctl start on a free loopback port, fsync off) the first time a test
// asks for a database, and creates a new database for each call of Start. The binary's
// TestMain stops the cluster:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// A cluster whose test binary died before stopping it is stopped and removed by the
// next test binary that starts one.
//
// With BERTH_TEST_POSTGRES_URL set (postgres://user:pass@host:port/db of a role that
// may CREATE DATABASE), the databases are created on that server instead and dropped
// when their test ends.
//
// A machine without PostgreSQL fails the test: install it with make tools.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable of an existing server to use.
const EnvURL = "BERTH_TEST_POSTGRES_URL"

// Server is a PostgreSQL server that gives out databases: a throwaway cluster this
// package started, or the server EnvURL names.
type Server struct {
	admin  string // URL of the maintenance database
	dir    string // the throwaway cluster's directory, "" for an external server
	pgCtl  string
	asUser []string // the command prefix that runs a program as the postgres user
}

// Options shape a throwaway cluster.
type Options struct {
	// Durable keeps PostgreSQL's crash-safe defaults (fsync, synchronous commit, full
	// page writes), as a production server runs: for benchmarks. Tests turn them off.
	Durable bool
}

// shared is the one server of the test binary. It is package state because the
// cluster outlives each test: it is started once, by whichever test comes first.
var shared struct {
	mu      sync.Mutex
	started bool
	err     error
	server  *Server
}

// Start returns the URL of a new, empty database. It fails the test if no server can
// be had.
func Start(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	if !shared.started {
		shared.started = true
		if u := os.Getenv(EnvURL); u != "" {
			shared.server = &Server{admin: u}
		} else {
			shared.server, shared.err = StartServer(Options{})
		}
	}
	srv, err := shared.server, shared.err
	shared.mu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, u, err := srv.newDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if srv.dir == "" {
		t.Cleanup(func() { dropDatabase(t, srv.admin, name) })
	}
	return u
}

// NewDatabase creates a new, empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	_, u, err := s.newDatabase(ctx)
	return u, err
}

func (s *Server) newDatabase(ctx context.Context) (name, dbURL string, err error) {
	name = "berth_test_" + randomHex(6)
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return "", "", fmt.Errorf("connect to %s: %w", redact(s.admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(s.admin)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

// Main runs the tests and then stops the cluster, for TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Stop stops the test binary's throwaway cluster, if one was started, and removes its
// files.
func Stop() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	srv := shared.server
	shared.server, shared.started, shared.err = nil, false, nil
	if srv == nil {
		return nil
	}
	return srv.Stop()
}

// Stop stops a throwaway cluster and removes its files; an external server is left
// alone.
func (s *Server) Stop() error {
	if s.dir == "" {
		return nil
	}
	out, err := run(append(s.asUser, s.pgCtl, "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop"))
	if rmErr := os.RemoveAll(s.dir); err == nil && rmErr != nil {
		err = rmErr
	}
	s.dir = ""
	if err != nil {
		return fmt.Errorf("stop postgres: %v: %s", err, out)
	}
	return nil
}

func dropDatabase(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("pgtest: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop %s: %v", name, err)
	}
}

// StartServer starts a throwaway cluster on a free loopback port (for programs that
// are not tests too: the benchmark). Stop it with Stop.
func StartServer(o Options) (*Server, error) {
	bin, err := binDir(binGlob)
	if err != nil {
		return nil, err
	}
	s := &Server{pgCtl: filepath.Join(bin, "pg_ctl")}
	asUser := []string(nil)
	if os.Geteuid() == 0 {
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	reapOrphans(asUser, s.pgCtl)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	// Whose cluster it is: a process killed before it could stop it leaves it to the
	// next one to reap.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres
	// user and its programs run through runuser.
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs a postgres user: %w (install postgresql (make tools))", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = asUser
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := run(append(s.asUser, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", port, dir)
	if !o.Durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := run(append(s.asUser, s.pgCtl, "-D", data, "-l", filepath.Join(dir, "log"), "-w",
		"-t", "60", "-o", opts, "start")); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	s.dir = dir
	s.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return s, nil
}

// dirPrefix begins the names of the clusters' temporary directories; ownerFile, in
// one, holds the process id of the test binary that started it.
const (
	dirPrefix = "berth-pgtest-"
	ownerFile = "owner.pid"
)

// reapOrphans stops and removes the clusters of test binaries that died without
// stopping them (killed by a timeout, say).
func reapOrphans(asUser []string, pgCtl string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // starting, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // its owner lives
		}
		run(append(asUser, pgCtl, "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop"))
		os.RemoveAll(dir)
	}
}

// binGlob matches the bin directories of Debian's PostgreSQL versions.
const binGlob = "/usr/lib/postgresql/*/bin"

// binDir returns the newest directory that glob matches holding pg_ctl, else the
// directory of pg_ctl on PATH.
func binDir(glob string) (string, error) {
	dirs, _ := filepath.Glob(glob)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server found (no /usr/lib/postgresql/*/bin/pg_ctl): install postgresql (make tools)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func run(argv []string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
