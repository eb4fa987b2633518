// Package e2e runs real registry clients and the OCI conformance suite against a real berth process.
//
// Run it with `make e2e` (or `go test -count=1 ./test/e2e/...`; `make e2e E2E_RUN=TestClientDocker`
// for one test). The tools it drives are installed, at pinned versions, by
// scripts/install-test-tools.sh; a missing tool is a test failure, never a skip.
//
// # The server harness
//
// TestMain builds the berth binary once (`go build ./cmd/berth` from the module root) into a temporary
// directory. A test starts its own server with StartServer:
//
//	s := StartServer(t)                          // fresh t.TempDir() data dir, free port on 127.0.0.1
//	s := StartServer(t, WithArgs("--some-flag", "v"), WithEnv("BERTH_X=1"), WithDataDir(dir), WithAddr(a))
//	resp, err := s.Client().Get(s.URL() + "/v2/") // s.Addr is host:port, s.DataDir the data directory
//	s.Kill()                                     // SIGKILL and wait, like a power cut
//	s.Restart(t)                                 // same data dir, same address (stops it first if running)
//	err := s.Stop()                              // SIGTERM, waits up to 30 s; returns the exit error
//	s.Log()                                      // everything it wrote, over all restarts
//
// More options: WithStartTimeout (default 60 s), WithHTTPS (probe /readyz and build Client() with a TLS
// config; URL() becomes https://…), WithRawArgs (exact argument list, for config-precedence tests; Addr
// and DataDir are then taken from the startup line). The server inherits the test's environment minus
// every BERTH_* variable.
//
// StartServer waits for the startup log line (msg="berth serving" addr=…) and for GET /readyz to answer
// 200, and fails the test with the tail of the server's log if either does not happen in time. The
// server is killed when the test ends; if the test failed, the last 50 lines of its log are printed.
//
// # Files
//
//	harness_test.go     self-test of the StartServer API (and of /v2 authentication)
//	credentials_test.go the root credentials every server gets, Server.ECR and Server.Token
//	conformance_test.go the OCI distribution-spec conformance suite, every API switch on
//	clients_test.go     crane, skopeo, oras, regctl
//	containers_test.go  podman, buildah, the docker engine, containerd/ctr
//	signing_test.go     cosign, notation
//	helpers_test.go     clientEnv (private client state, command runner), image fixtures, and
//	                    registry, a small HTTP client the tests use to check what the tools did
//
// Client tests share one lazily started berth (sharedRegistry) and each uses its own repository prefix,
// so they run in parallel (make e2e passes -parallel 8).
//
// # Credentials
//
// As on Amazon ECR, every /v2 request needs HTTP Basic auth: user AWS and the password of an ECR
// authorization token (what `aws ecr get-login-password` prints, valid 12 h), else 401 with
// `WWW-Authenticate: Basic realm="http://HOST/",service="ecr.amazonaws.com"`. Every server the harness
// starts has the root credentials of credentials_test.go (RootAccessKeyID, RootSecretAccessKey);
// s.Token(t) calls GetAuthorizationToken with them (SigV4) and returns a password, s.Credentials(t) the
// pair AWS/password, and s.ECR(t, op, input) calls any ECR operation. Tokens are stateless: one issued
// before a restart (or a kill -9) is still valid after it.
//
//	host, cred := sharedRegistry(t)   // the shared berth and its credentials (one token for the whole run)
//	reg := newRegistry(host, cred)    // the checking client of helpers_test.go sends them on every request
//	c.login(t, cred, "docker", "login", "-u", cred.User, "--password-stdin", host) // password on stdin
//
// Each client logs in the way its users log in to ECR, in its private client environment (clientEnv):
// docker, podman, buildah, oras, crane, regctl, skopeo and cosign with their login command and the
// password on stdin, ctr with --user, notation with NOTATION_USERNAME/NOTATION_PASSWORD (its login
// stores nothing without a credential helper), the conformance suite with OCI_USERNAME/OCI_PASSWORD. Tests for berth's own behaviour (kill -9, restart, TLS,
// configuration) start their own server and take a token from it.
//
// # Environment
//
//	E2E_REGISTRY=host:port  Client tests and the conformance test target this plain-HTTP registry instead
//	                        of berth (to develop against CNCF Distribution, or to compare with peers).
//	                        Tests that need to kill or restart berth call StartServer and are unaffected.
//	E2E_REGISTRY_USER,      Credentials for E2E_REGISTRY (for another berth: AWS and a password from
//	E2E_REGISTRY_PASSWORD   `aws ecr get-login-password`). Unset, the clients do not log in, and the
//	                        checks that a registry refuses clients without valid credentials are skipped.
//	E2E_BERTH_BINARY=path   Use this berth binary instead of building ./cmd/berth.
//	E2E_ARTIFACTS=dir       Keep reports (conformance junit.xml, results.yaml, report.html) under
//	                        dir/<TestName>; without it they go to a temporary directory that is removed.
//	OCI_CONFORMANCE_BIN     Path of a prebuilt conformance binary (default: the installer's cache,
//	                        $OCI_CONFORMANCE_CACHE or ~/.cache/oci-conformance; built there if missing).
package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/testutil/pgtest"
	"github.com/berth-registry/berth/internal/testutil/s3test"
)

// Package state set up once by TestMain and read-only afterwards.
var (
	berthBinary   string // path of the berth binary under test
	berthBuildErr error  // why berthBinary could not be built (reported by every StartServer)
	moduleRoot    string // directory holding the berth go.mod
	goEnv         goEnvironment
)

type goEnvironment struct {
	GOPATH, GOBIN, GOCACHE, GOMODCACHE, GOROOT string
}

const (
	defaultStartTimeout = 60 * time.Second
	stopTimeout         = 30 * time.Second
	logTailLines        = 50
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if moduleRoot, err = findModuleRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if err := loadGoEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	extendPath()

	tmp, err := os.MkdirTemp("", "berth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if bin := os.Getenv("E2E_BERTH_BINARY"); bin != "" {
		berthBinary = bin
	} else {
		berthBinary, berthBuildErr = buildBerth(tmp)
		if berthBuildErr != nil {
			// Do not abort: with E2E_REGISTRY set, the client tests need no berth binary.
			fmt.Fprintf(os.Stderr, "e2e: WARNING: %v\n", berthBuildErr)
		}
	}

	code := m.Run()
	stopSharedServer()
	s3test.StopShared()
	if err := pgtest.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
	}
	return code
}

func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(b, []byte("module github.com/berth-registry/berth")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the berth module root (go.mod) above the working directory")
		}
		dir = parent
	}
}

func loadGoEnv() error {
	out, err := exec.Command("go", "env", "-json", "GOPATH", "GOBIN", "GOCACHE", "GOMODCACHE", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env: %w", err)
	}
	return json.Unmarshal(out, &goEnv)
}

// extendPath makes tools installed by scripts/install-test-tools.sh findable: it appends GOBIN,
// GOPATH/bin, /usr/local/go/bin and the sbin directories (runc lives in /usr/sbin) to PATH, for this
// process and every command it starts.
func extendPath() {
	path := os.Getenv("PATH")
	have := map[string]bool{}
	for _, d := range filepath.SplitList(path) {
		have[d] = true
	}
	var extra []string
	for _, d := range []string{goEnv.GOBIN, filepath.Join(goEnv.GOPATH, "bin"), filepath.Join(goEnv.GOROOT, "bin"),
		"/usr/local/go/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if d != "" && d != "bin" && !have[d] {
			have[d] = true
			extra = append(extra, d)
		}
	}
	if len(extra) > 0 {
		os.Setenv("PATH", strings.Join(append([]string{path}, extra...), string(os.PathListSeparator)))
	}
}

func buildBerth(dir string) (string, error) {
	bin := filepath.Join(dir, "berth")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/berth")
	cmd.Dir = moduleRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/berth failed (tests that start berth will fail): %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "e2e: built berth in %s\n", time.Since(start).Round(100*time.Millisecond))
	return bin, nil
}

// tool returns the path of an external command, or fails the test: the e2e suite never skips.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH (%s): run scripts/install-test-tools.sh", name, os.Getenv("PATH"))
	}
	return p
}

// ---------------------------------------------------------------------------------------------------
// Server

// Server is one berth process started by StartServer. Addr and DataDir are filled in from the server's
// startup line, so they are the real values even when the address was 127.0.0.1:0 or the data directory
// came from a config file (WithRawArgs).
type Server struct {
	Addr      string // host:port the server listens on, e.g. "127.0.0.1:41234"
	DataDir   string // data directory of the server
	AccountID string // id of the default account, from the startup line

	cfg    serverConfig
	output *logBuffer // everything the process wrote, over all restarts

	tailShown atomic.Bool // the log tail was already printed in a failure message

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process has exited
	waitErr error         // exit error of the last process (valid once done is closed)
}

type serverConfig struct {
	addr         string
	dataDir      string
	args         []string
	rawArgs      []string
	env          []string
	startTimeout time.Duration
	tlsClient    *tls.Config
}

// Option configures StartServer.
type Option func(*serverConfig)

// WithArgs appends extra command-line arguments after `serve --addr … --data-dir …`.
func WithArgs(args ...string) Option {
	return func(c *serverConfig) { c.args = append(c.args, args...) }
}

// WithEnv adds KEY=VALUE environment variables. The server inherits the test's environment minus every
// BERTH_* variable, so a developer's shell cannot change what a test sees.
func WithEnv(kv ...string) Option {
	return func(c *serverConfig) { c.env = append(c.env, kv...) }
}

// WithDataDir uses dir as the data directory instead of a fresh t.TempDir().
func WithDataDir(dir string) Option {
	return func(c *serverConfig) { c.dataDir = dir }
}

// WithAddr listens on addr instead of 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *serverConfig) { c.addr = addr }
}

// WithStartTimeout changes how long StartServer and Restart wait for the startup line and /readyz
// (default 60 s).
func WithStartTimeout(d time.Duration) Option {
	return func(c *serverConfig) { c.startTimeout = d }
}

// WithHTTPS tells the harness that the server serves TLS (configured through WithArgs or WithEnv):
// readiness is probed over https with this client configuration, URL() returns https://…, and Client()
// uses it.
func WithHTTPS(client *tls.Config) Option {
	return func(c *serverConfig) { c.tlsClient = client }
}

// WithRawArgs replaces the whole default argument list (`serve --addr A --data-dir D` plus WithArgs):
// the binary is run with exactly these arguments. Use it to test configuration precedence. Addr and
// DataDir are still read from the startup line. Restart reuses the arguments unchanged, so give a
// fixed address if the test restarts the server and needs the same one.
func WithRawArgs(args ...string) Option {
	return func(c *serverConfig) { c.rawArgs = append([]string{}, args...) }
}

// StartServer starts berth and waits until it serves. The process is killed when the test ends; if the
// test failed, the last 50 lines of its log are printed.
func StartServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := serverConfig{addr: "127.0.0.1:0", startTimeout: defaultStartTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dataDir == "" && cfg.rawArgs == nil {
		cfg.dataDir = t.TempDir()
	}
	s, err := launch(cfg)
	if s != nil {
		t.Cleanup(func() {
			s.Kill()
			if t.Failed() && !s.tailShown.Load() {
				t.Logf("berth log (last %d lines):\n%s", logTailLines, s.tail(logTailLines))
			}
		})
	}
	if err != nil {
		if s != nil {
			s.tailShown.Store(true)
			t.Fatalf("start berth: %v\n--- berth log (last %d lines) ---\n%s", err, logTailLines, s.tail(logTailLines))
		}
		t.Fatalf("start berth: %v", err)
	}
	return s
}

// launch starts a server without tying it to a test; callers own its lifetime.
func launch(cfg serverConfig) (*Server, error) {
	if berthBuildErr != nil {
		return nil, berthBuildErr
	}
	s := &Server{cfg: cfg, DataDir: cfg.dataDir, output: &logBuffer{}}
	if err := s.startWithRetry(cfg.addr); err != nil {
		return s, err
	}
	return s, nil
}

// startWithRetry retries a start whose fixed address is still held by a dying socket.
func (s *Server) startWithRetry(addr string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		from := s.output.Len()
		err = s.start(addr)
		if err == nil || !strings.Contains(s.output.Since(from), "address already in use") || strings.HasSuffix(addr, ":0") {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
	return err
}

func (s *Server) args(addr string) []string {
	if s.cfg.rawArgs != nil {
		return s.cfg.rawArgs
	}
	a := []string{"serve", "--addr", addr, "--data-dir", s.DataDir}
	return append(a, s.cfg.args...)
}

func (s *Server) start(addr string) error {
	args := s.args(addr)
	fmt.Fprintf(s.output, "=== e2e harness: starting %s %s\n", berthBinary, strings.Join(args, " "))
	from := s.output.Len()

	cmd := exec.Command(berthBinary, args...)
	// Root credentials known to the tests, unless the test sets its own (the last
	// value of a variable wins).
	cmd.Env = serverEnv(append([]string{"BERTH_ROOT_ACCESS_KEY_ID=" + RootAccessKeyID,
		"BERTH_ROOT_SECRET_ACCESS_KEY=" + RootSecretAccessKey}, s.cfg.env...))
	cmd.Stdout = s.output
	cmd.Stderr = s.output
	// If the test binary dies, take the server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", berthBinary, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.waitErr = cmd, done, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		fmt.Fprintf(s.output, "=== e2e harness: berth pid %d exited: %v\n", cmd.Process.Pid, exitString(err))
		close(done)
	}()

	timeout := s.cfg.startTimeout
	deadline := time.Now().Add(timeout)
	fields, err := s.output.waitStartupLine(from, deadline, done)
	if err != nil {
		s.Kill()
		if errors.Is(err, errStartupTimeout) {
			return fmt.Errorf("%w: no %s line within %s", err, startupMsg, timeout)
		}
		return err
	}
	if fields["addr"] == "" {
		s.Kill()
		return errors.New("the startup line has no addr field")
	}
	s.Addr = fields["addr"]
	s.AccountID = fields["account"]
	if d := fields["data_dir"]; d != "" {
		s.DataDir = d
	}
	if err := s.waitReady(deadline, done); err != nil {
		s.Kill()
		return err
	}
	return nil
}

func exitString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// serverEnv is the test's environment without BERTH_* variables, plus extra.
func serverEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BERTH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func (s *Server) waitReady(deadline time.Time, done <-chan struct{}) error {
	client := s.Client()
	client.Timeout = 2 * time.Second
	url := s.URL() + "/readyz"
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-done:
			return fmt.Errorf("berth exited before GET /readyz answered 200 (last answer: %s)", last)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s did not answer 200 in time (last answer: %s)", url, last)
		}
	}
}

// URL is the base URL of the server, "http://127.0.0.1:PORT" (https with WithHTTPS), no trailing slash.
func (s *Server) URL() string {
	if s.cfg.tlsClient != nil {
		return "https://" + s.Addr
	}
	return "http://" + s.Addr
}

// Client returns a new HTTP client for the server (with the WithHTTPS TLS configuration, if any). It
// does not keep idle connections, so it never holds up a graceful shutdown.
func (s *Server) Client() *http.Client {
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: s.cfg.tlsClient}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// Log returns everything the server wrote to stdout and stderr so far, over all of its restarts, with
// harness lines ("=== e2e harness: …") marking each start and exit.
func (s *Server) Log() string { return s.output.String() }

func (s *Server) tail(n int) string { return lastLines(s.output.String(), n) }

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to exit. It does nothing if the process is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Stop sends SIGTERM and waits up to 30 s for a graceful exit. It returns the process's exit error (nil
// for exit status 0); if the process does not exit in time it is killed and an error says so. Stop on a
// server that already exited returns that exit's error.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("server was never started")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("berth did not exit within %s of SIGTERM; killed it", stopTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Restart starts the server again on the same data directory and the same address. A server that is
// still running is first stopped gracefully (the test fails if that stop fails); call Kill first to
// simulate a crash.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.Running() {
		if err := s.Stop(); err != nil {
			s.tailShown.Store(true)
			t.Fatalf("restart: graceful stop failed: %v\n--- berth log (last %d lines) ---\n%s", err, logTailLines, s.tail(logTailLines))
		}
	}
	if err := s.startWithRetry(s.Addr); err != nil {
		s.tailShown.Store(true)
		t.Fatalf("restart berth: %v\n--- berth log (last %d lines) ---\n%s", err, logTailLines, s.tail(logTailLines))
	}
}

// ---------------------------------------------------------------------------------------------------
// Log capture

const startupMsg = `msg="berth serving"`

var errStartupTimeout = errors.New("timed out waiting for berth's startup line")

// logBuffer collects process output and lets readers wait for new lines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Since returns what was written after offset from.
func (b *logBuffer) Since(from int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > b.buf.Len() {
		return ""
	}
	return string(b.buf.Bytes()[from:])
}

func (b *logBuffer) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return b.changed
}

// waitStartupLine waits for the startup line written after offset from and returns its logfmt fields.
func (b *logBuffer) waitStartupLine(from int, deadline time.Time, exited <-chan struct{}) (map[string]string, error) {
	for {
		changed := b.wait()
		sc := bufio.NewScanner(strings.NewReader(b.Since(from)))
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), startupMsg) {
				return parseLogfmt(sc.Text()), nil
			}
		}
		select {
		case <-changed:
		case <-exited:
			// The process is gone; check once more for a line written just before exit.
			if strings.Contains(b.Since(from), startupMsg) {
				continue
			}
			return nil, errors.New("berth exited before logging its startup line")
		case <-time.After(time.Until(deadline)):
			return nil, errStartupTimeout
		}
	}
}

var logfmtRE = regexp.MustCompile(`([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// parseLogfmt parses the key=value and key="quoted value" pairs of one slog text-handler line.
func parseLogfmt(line string) map[string]string {
	out := map[string]string{}
	for _, m := range logfmtRE.FindAllStringSubmatch(line, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		out[m[1]] = v
	}
	return out
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------------------------
// The registry the client tests talk to

var shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error

	mu       sync.Mutex
	password string // of an authorization token of the shared berth's root; valid for 12 h
}

// creds are what a client logs in to a registry with. For berth, as for ECR, the user is AWS and
// the password an authorization token's. The zero value means none: the clients do not log in.
type creds struct {
	User, Password string
}

// anonymous reports whether there are no credentials (an E2E_REGISTRY without E2E_REGISTRY_USER).
func (c creds) anonymous() bool { return c.User == "" && c.Password == "" }

// Credentials returns user AWS and the password of a new authorization token of the server's root, what
// `aws ecr get-login-password` prints.
func (s *Server) Credentials(t testing.TB) creds {
	t.Helper()
	return creds{User: "AWS", Password: s.Token(t)}
}

// sharedRegistry returns host:port of the plain-HTTP registry the client tests use and the credentials
// to log in to it with: $E2E_REGISTRY with $E2E_REGISTRY_USER and $E2E_REGISTRY_PASSWORD if set, else
// one berth shared by the whole package (started on first use, stopped by TestMain) and user AWS with
// the password of one authorization token taken on first use. On failure of the calling test, the
// shared server's log written during the test is printed.
func sharedRegistry(t testing.TB) (string, creds) {
	t.Helper()
	if r := externalRegistry(); r != "" {
		return r, externalCredentials()
	}
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "berth-e2e-shared-")
		if shared.err != nil {
			return
		}
		shared.srv, shared.err = launch(serverConfig{addr: "127.0.0.1:0", dataDir: shared.dir, startTimeout: defaultStartTimeout})
	})
	if shared.err != nil {
		tail := ""
		if shared.srv != nil {
			tail = fmt.Sprintf("\n--- berth log (last %d lines) ---\n%s", logTailLines, shared.srv.tail(logTailLines))
		}
		t.Fatalf("start the shared berth: %v%s", shared.err, tail)
	}
	from := shared.srv.output.Len()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared berth log during this test (last %d lines; parallel tests interleave):\n%s",
				logTailLines, lastLines(shared.srv.output.Since(from), logTailLines))
		}
	})
	return shared.srv.Addr, creds{User: "AWS", Password: sharedPassword(t)}
}

// sharedPassword returns the shared berth's token password, taking it on first use. If that fails the
// test fails, and the next test tries again.
func sharedPassword(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock() // also when Token fails the test (runtime.Goexit runs deferred calls)
	if shared.password == "" {
		shared.password = shared.srv.Token(t)
	}
	return shared.password
}

// externalRegistry is $E2E_REGISTRY as host:port, or "".
func externalRegistry() string {
	r := strings.TrimSpace(os.Getenv("E2E_REGISTRY"))
	r = strings.TrimPrefix(strings.TrimPrefix(r, "http://"), "https://")
	return strings.TrimRight(r, "/")
}

// externalCredentials are $E2E_REGISTRY_USER and $E2E_REGISTRY_PASSWORD (both may be empty).
func externalCredentials() creds {
	return creds{User: os.Getenv("E2E_REGISTRY_USER"), Password: os.Getenv("E2E_REGISTRY_PASSWORD")}
}

func stopSharedServer() {
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: shared berth did not stop cleanly: %v\n%s\n", err, shared.srv.tail(logTailLines))
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// artifactsDir is where a test keeps reports: $E2E_ARTIFACTS/<test name> (kept), or a temporary
// directory removed after the test.
func artifactsDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("E2E_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts dir: %v", err)
	}
	return dir
}
