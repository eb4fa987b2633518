package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/iam"
)

// TestServerHarness checks the StartServer API that the other e2e tests build on: the startup line is
// parsed, /readyz is waited for, Restart keeps the address and the data, Kill is a crash, Stop is
// graceful, and the options do what they say.
func TestServerHarness(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || strings.HasSuffix(s.Addr, ":0") {
		t.Fatalf("Addr %q is not the bound loopback address", s.Addr)
	}
	if s.DataDir == "" || !strings.Contains(s.Log(), startupMsg) {
		t.Fatalf("DataDir %q; log:\n%s", s.DataDir, s.Log())
	}
	if s.AccountID == "" {
		t.Errorf("AccountID is empty: the startup line has no account field")
	}
	// /v2 asks for ECR's credentials: 401 with a Basic challenge without them, 200 with a token.
	resp, err := s.Client().Get(s.URL() + "/v2/")
	if err != nil {
		t.Fatalf("GET /v2/: %v", err)
	}
	resp.Body.Close()
	if want := `Basic realm="http://` + s.Addr + `/",service="ecr.amazonaws.com"`; resp.StatusCode != http.StatusUnauthorized ||
		resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("GET /v2/ without credentials: %d, WWW-Authenticate %q; want 401 and %q",
			resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	cred := s.Credentials(t)
	for _, bad := range []creds{{"AWS", "not-a-token"}, {"AWS", cred.Password + "x"}, {"root", cred.Password}} {
		if code := v2Status(t, s, bad); code != http.StatusUnauthorized {
			t.Errorf("GET /v2/ as %q with a wrong password: %d, want 401", bad.User, code)
		}
	}
	if code := v2Status(t, s, cred); code != http.StatusOK {
		t.Fatalf("GET /v2/ with a token: %d", code)
	}
	t.Run("expired token is denied", func(t *testing.T) {
		// A token of the root issued 13 h ago (tokens last 12 h), signed with this server's master key.
		master, err := iam.LoadMasterKey("", filepath.Join(s.DataDir, "master.key"))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := iam.NewKeyring(master)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := keys.IssueToken(iam.Principal{AccountID: s.AccountID, ARN: iam.RootARN(s.AccountID), AccessKeyID: RootAccessKeyID},
			time.Now().Add(-13*time.Hour))
		resp, body := newRegistry(s.Addr, creds{"AWS", old}).get(t, "http://"+s.Addr+"/v2/")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"DENIED"`) || !strings.Contains(string(body), "expired") {
			t.Fatalf("GET /v2/ with an expired token: %s, want 403 DENIED saying the token expired", httpErr(resp, body))
		}
	})
	reg := newRegistry(s.Addr, cred)
	img := newImage(t, map[string][]byte{"f.txt": randomBytes(4096)})
	dig := reg.pushImage(t, "harness/app", "v1", img)
	addr := s.Addr

	t.Run("graceful restart keeps address and data", func(t *testing.T) {
		s.Restart(t)
		if s.Addr != addr {
			t.Fatalf("restarted on %s, want %s", s.Addr, addr)
		}
		assertDigest(t, reg, "harness/app", "v1", dig)
	})
	t.Run("kill, then restart", func(t *testing.T) {
		s.Kill()
		if s.Running() {
			t.Fatal("still running after Kill")
		}
		if _, err := s.Client().Get(s.URL() + "/v2/"); err == nil {
			t.Fatal("server still answers after Kill")
		}
		s.Restart(t)
		if s.Addr != addr {
			t.Fatalf("restarted on %s, want %s", s.Addr, addr)
		}
		assertDigest(t, reg, "harness/app", "v1", dig)
		assertFile(t, reg.imageFiles(t, "harness/app", "v1"), "f.txt", img.Files["f.txt"])
	})
	t.Run("stop is graceful", func(t *testing.T) {
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop: %v (berth should exit 0 on SIGTERM)", err)
		}
		if s.Running() {
			t.Fatal("still running after Stop")
		}
		if n := strings.Count(s.Log(), startupMsg); n != 3 {
			t.Fatalf("log shows %d startups, want 3", n)
		}
	})
	t.Run("WithDataDir and WithAddr", func(t *testing.T) {
		s2 := StartServer(t, WithDataDir(s.DataDir), WithAddr(addr))
		if s2.Addr != addr || s2.DataDir != s.DataDir {
			t.Fatalf("got %s %s, want %s %s", s2.Addr, s2.DataDir, addr, s.DataDir)
		}
		// Same data directory, same master key: the token of the first server is valid here too.
		assertDigest(t, newRegistry(s2.Addr, cred), "harness/app", "v1", dig)
		if err := s2.Stop(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WithRawArgs", func(t *testing.T) {
		dir := t.TempDir()
		s3 := StartServer(t, WithRawArgs("serve", "--addr", "127.0.0.1:0", "--data-dir", dir))
		if s3.DataDir != dir || strings.HasSuffix(s3.Addr, ":0") {
			t.Fatalf("Addr %s DataDir %s, want a bound port and %s", s3.Addr, s3.DataDir, dir)
		}
	})
}
