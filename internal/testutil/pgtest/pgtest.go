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

// server is the one PostgreSQL server of the test binary. It is package state because
// the cluster outlives each test: it is started once, by whichever test comes first.
var server struct {
	mu      sync.Mutex
	started bool
	err     error
	admin   string // URL of the maintenance database
	dir     string // the throwaway cluster's directory, "" for an external server
	pgCtl   string
	asUser  []string // the command prefix that runs a program as the postgres user
}

// Start returns the URL of a new, empty database. It fails the test if no server can
// be had.
func Start(t testing.TB) string {
	t.Helper()
	server.mu.Lock()
	defer server.mu.Unlock()
	if !server.started {
		server.started = true
		server.err = start()
	}
	if server.err != nil {
		t.Fatalf("pgtest: %v", server.err)
	}
	name := "berth_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server.admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(server.admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	if server.dir == "" {
		admin := server.admin
		t.Cleanup(func() { dropDatabase(t, admin, name) })
	}
	u, err := url.Parse(server.admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
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

// Stop stops the throwaway cluster, if one was started, and removes its files.
func Stop() error {
	server.mu.Lock()
	defer server.mu.Unlock()
	if server.dir == "" {
		return nil
	}
	dir := server.dir
	server.dir, server.started, server.err = "", false, nil
	out, err := run(append(server.asUser, server.pgCtl, "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop"))
	if rmErr := os.RemoveAll(dir); err == nil && rmErr != nil {
		err = rmErr
	}
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

// start finds the server: the one EnvURL names, or a new cluster.
func start() error {
	if u := os.Getenv(EnvURL); u != "" {
		server.admin = u
		return nil
	}
	bin, err := binDir(binGlob)
	if err != nil {
		return err
	}
	server.pgCtl = filepath.Join(bin, "pg_ctl")
	asUser := []string(nil)
	if os.Geteuid() == 0 {
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	reapOrphans(asUser, server.pgCtl)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return err
	}
	// Whose cluster it is: a test binary killed before Main could stop it leaves it to
	// the next one to reap.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return err
	}
	// PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres
	// user and its programs run through runuser.
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("running as root needs a postgres user: %w (install postgresql (make tools))", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return err
		}
		server.asUser = asUser
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	data := filepath.Join(dir, "data")
	if out, err := run(append(server.asUser, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=300", port, dir)
	if out, err := run(append(server.asUser, server.pgCtl, "-D", data, "-l", filepath.Join(dir, "log"), "-w",
		"-t", "60", "-o", opts, "start")); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	server.dir = dir
	server.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
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
