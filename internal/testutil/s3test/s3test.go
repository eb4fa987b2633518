// Package s3test runs a real S3 server for tests: one Versity S3 Gateway (versitygw)
// per test binary, on a free loopback port over a temporary directory, and a fresh,
// empty bucket for every Start.
//
// versitygw is installed by scripts/install-test-tools.sh (make tools). Without it the
// tests fail: an S3 store that was never exercised is not tested.
//
// A package whose tests use Start should end the server and remove its data with
//
//	func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
//
// Without it the server still dies with the test binary, but its directory stays until
// the next test binary that starts a server removes it.
package s3test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Credentials and region of the server.
const (
	AccessKey = "berth-test"
	SecretKey = "berth-test-secret"
	Region    = "us-east-1"
)

// Config is where a test's bucket is.
type Config struct {
	Endpoint  string // http://127.0.0.1:PORT
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
	// Dir is the bucket's directory: versitygw's posix backend keeps each object as a
	// file under it, at its key.
	Dir string
}

// Server is a running versitygw.
type Server struct {
	cmd  *exec.Cmd
	root string // temp dir: data/ holds the buckets, versitygw.log the output
	addr string
}

func (s *Server) dataDir() string { return filepath.Join(s.root, "data") }

// shared is the one versitygw of the test binary. It is package state because a test
// binary has no other place to share one process among its tests.
var (
	once     sync.Once
	shared   *Server
	startErr error
	buckets  atomic.Int64
)

// Start returns a new, empty bucket on the test binary's versitygw, starting it on the
// first call. The bucket is removed when the test ends.
func Start(t testing.TB) Config {
	t.Helper()
	once.Do(func() { shared, startErr = start() })
	if startErr != nil {
		t.Fatalf("s3test: %v", startErr)
	}
	c, err := shared.NewBucket()
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(c.Dir) })
	return c
}

// StartServer starts a versitygw of its own, for programs that are not tests (the
// benchmark). Stop it with Stop.
func StartServer() (*Server, error) { return start() }

// NewBucket creates a new, empty bucket.
func (s *Server) NewBucket() (Config, error) {
	// A directory is a bucket to the posix backend.
	bucket := fmt.Sprintf("berth-test-%d", buckets.Add(1))
	dir := filepath.Join(s.dataDir(), bucket)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return Config{}, fmt.Errorf("create bucket: %w", err)
	}
	return Config{
		Endpoint:  "http://" + s.addr,
		Region:    Region,
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		Bucket:    bucket,
		Dir:       dir,
	}, nil
}

// Main runs the tests, then stops the server and removes its directory.
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the test binary's server, if a test started it, for a TestMain that
// cannot use Main.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}

// Stop kills the server and removes its data.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	os.RemoveAll(s.root)
}

// Binary finds versitygw on PATH or in the Go bin directories.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw not found on PATH or in %s: run `make tools` (scripts/install-test-tools.sh) to install it",
		strings.Join(dirs, ", "))
}

func start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	removeLeftovers()
	var errs []error
	// A free port found by listening can be taken before versitygw binds it: try again.
	for range 3 {
		s, err := startOnce(bin)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func startOnce(bin string) (*Server, error) {
	root, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	s := &Server{root: root}
	if err := os.Mkdir(s.dataDir(), 0o755); err != nil {
		return nil, err
	}
	if s.addr, err = freeAddr(); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(root, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	s.cmd = exec.Command(bin, "--port", s.addr, "--access", AccessKey, "--secret", SecretKey,
		"--region", Region, "posix", s.dataDir())
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	setDeathSignal(s.cmd)

	exited := make(chan error, 1)
	started := make(chan error, 1)
	go func() {
		// The death signal fires when the thread that started the child ends, so
		// that thread must live as long as the child: it is locked to this
		// goroutine, which waits for the child.
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- s.cmd.Wait()
	}()
	if err := <-started; err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := waitReady(s.addr, exited); err != nil {
		out, _ := os.ReadFile(filepath.Join(root, "versitygw.log"))
		s.Stop()
		return nil, fmt.Errorf("versitygw on %s: %w; its output:\n%s", s.addr, err, out)
	}
	return s, nil
}

// dirPrefix starts the name of a server's directory, followed by the test binary's pid.
const dirPrefix = "berth-s3test-"

// removeLeftovers removes the directories of servers whose test binary is gone
// without running Main (killed, or a package without TestMain).
func removeLeftovers() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), dirPrefix), "-")
		if pid, err := strconv.Atoi(pidText); err == nil && pid != os.Getpid() && !alive(pid) {
			os.RemoveAll(d)
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady waits until the server answers HTTP at all (an anonymous request is
// refused, which is an answer).
func waitReady(addr string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not answering after 20 s")
}
