package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The root credentials of every berth the benchmark starts (set through the environment on
// first start, so the benchmark can sign ECR calls).
const (
	rootAccessKeyID = "AKIABERTHBENCH000001"
	rootSecret      = "berth-bench-root-secret-not-for-production"
	region          = "us-east-1"

	distributionBin = "docker-registry"
	startTimeout    = 60 * time.Second
	stopTimeout     = 15 * time.Second
)

// server is one registry process started on a fresh data dir.
type server struct {
	target  string
	base    string // http://127.0.0.1:PORT
	auth    string // Authorization header for /v2 ("" for none)
	ecr     *ecrClient
	dataDir string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	// replicas are the other berth processes of a cluster target, serving the same
	// registry; cleanup stops what they share (PostgreSQL, S3), after them.
	replicas []*server
	cleanup  func()
}

// pids are the server's processes: itself and its other replicas.
func (s *server) pids() []int {
	pids := []int{s.cmd.Process.Pid}
	for _, r := range s.replicas {
		pids = append(pids, r.cmd.Process.Pid)
	}
	return pids
}

// bases are the URLs of the server and its other replicas.
func (s *server) bases() []string {
	bases := []string{s.base}
	for _, r := range s.replicas {
		bases = append(bases, r.base)
	}
	return bases
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// launch starts cmd with its output in logPath and a goroutine that reaps it.
func launch(target string, cmd *exec.Cmd, dataDir, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the benchmark dies, the server dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	s := &server{target: target, cmd: cmd, dataDir: dataDir, logPath: logPath, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// distributionConfig is the configuration of the peer: filesystem storage, delete enabled,
// the in-memory blob descriptor cache (as in the Debian package's default), no auth, no access
// log, log level warn.
func distributionConfig(dataDir, addr string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: %s
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  headers:
    X-Content-Type-Options: [nosniff]
`, dataDir, addr)
}

// distributionMissing explains how to get the peer when its command is not installed.
func distributionMissing() error {
	if _, err := exec.LookPath(distributionBin); err == nil {
		return nil
	}
	return fmt.Errorf("%s (CNCF Distribution, Debian package docker-registry) is not installed: "+
		"run scripts/install-test-tools.sh (make bench-quick does), or apt-get install docker-registry; "+
		"or leave it out with -targets berth", distributionBin)
}

// startDistribution runs `docker-registry serve config.yml` on a free port and a fresh data
// dir under workDir and waits until GET /v2/ answers 200.
func startDistribution(ctx context.Context, workDir string, run int) (*server, error) {
	if err := distributionMissing(); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before the peer binds it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		dataDir, err := os.MkdirTemp(workDir, fmt.Sprintf("distribution-run%d-data-", run))
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cfgPath := filepath.Join(workDir, fmt.Sprintf("distribution-run%d.yml", run))
		if err := os.WriteFile(cfgPath, []byte(distributionConfig(dataDir, addr)), 0o644); err != nil {
			return nil, err
		}
		cmd := exec.Command(distributionBin, "serve", cfgPath)
		s, err := launch(targetDistribution, cmd, dataDir, filepath.Join(workDir, fmt.Sprintf("distribution-run%d.log", run)))
		if err != nil {
			os.RemoveAll(dataDir)
			return nil, err
		}
		s.base = "http://" + addr
		if lastErr = s.waitHTTP(ctx, "/v2/", time.Now().Add(startTimeout)); lastErr == nil {
			return s, nil
		}
		lastErr = fmt.Errorf("%w\n--- docker-registry log (last lines) ---\n%s", lastErr, s.logTail(20))
		s.stop()
	}
	return nil, lastErr
}

// waitHTTP polls GET path until it answers 200, the process exits, or the deadline passes.
func (s *server) waitHTTP(ctx context.Context, path string, deadline time.Time) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
		resp, err := hc.Do(req)
		if err == nil {
			drain(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if s.exited() {
			return fmt.Errorf("%s exited before it was ready: %v", s.target, s.waitErr)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready: GET %s: %v", s.target, path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM, waits, then SIGKILL if needed, and deletes the data dir.
func (s *server) stop() {
	for _, r := range s.replicas {
		r.stop()
	}
	defer func() {
		if s.cleanup != nil {
			s.cleanup()
		}
	}()
	if !s.exited() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dataDir)
}

// logWarnings returns up to n log lines of level WARN or ERROR (berth's text log).
func (s *server) logWarnings(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return strings.Join(out[:min(n, len(out))], "\n")
}

func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// parseStartupLine recognises berth's `msg="berth serving" addr=…` log line and returns addr.
func parseStartupLine(line string) (string, bool) {
	kv := logfmt(line)
	if kv["msg"] != "berth serving" || kv["addr"] == "" {
		return "", false
	}
	return kv["addr"], true
}

// logfmt splits a slog text line (key=value, values optionally double-quoted with \-escapes).
func logfmt(line string) map[string]string {
	out := map[string]string{}
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimLeft(rest, " ") {
		eq := strings.IndexByte(rest, '=')
		sp := strings.IndexByte(rest, ' ')
		if eq < 0 || (sp >= 0 && sp < eq) { // a bare word: skip it
			if sp < 0 {
				break
			}
			rest = rest[sp+1:]
			continue
		}
		key := rest[:eq]
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			out[key] = b.String()
			rest = rest[min(i+1, len(rest)):]
			continue
		}
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		out[key] = rest[:end]
		rest = rest[end:]
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// envWithout returns the environment minus the variables whose names start with prefix.
func envWithout(prefix string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// buildBerth builds ./cmd/berth of the module at root into dir.
func buildBerth(root, dir string) (string, error) {
	bin := filepath.Join(dir, "berth")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/berth")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/berth: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the berth module's directory at or above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/berth-registry/berth\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark inside the berth checkout (no berth go.mod above the working directory)")
		}
		dir = parent
	}
}

// versionOf describes what is measured: berth's commit (with -dirty), or the peer's version.
func versionOf(target, root, berthBin string, builtHere bool) string {
	if target == targetDistribution {
		out, err := exec.Command(distributionBin, "--version").Output()
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(out))
	}
	if !builtHere {
		return "binary " + berthBin
	}
	rev, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit"
	}
	v := strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", "cmd", "internal", "go.mod", "go.sum").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += "-dirty"
	}
	return v
}
