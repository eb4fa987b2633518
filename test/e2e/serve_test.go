package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeHelpListsEverySetting checks that `berth serve --help` documents the
// settings a user needs, with the environment and file forms.
func TestServeHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(berthBinary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("berth serve --help: %v\n%s", err, out)
	}
	for _, want := range []string{"--addr", "--data-dir", "--config", "--tls-cert", "--tls-key", "--create-on-push",
		"--upload-expiry", "--metadata", "--blobs", "BERTH_", "0.0.0.0:5000", "./berth-data"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
}

// TestConfigPrecedence starts a real process with the same settings in a file, the
// environment and flags: flag > env > file > default.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fileDir, envDir := filepath.Join(dir, "from-file"), filepath.Join(dir, "from-env")
	config := filepath.Join(dir, "berth.yaml")
	yaml := "addr: 127.0.0.1:1\n" + // overridden by the flag
		"data-dir: " + fileDir + "\n" + // overridden by the environment
		"create-on-push: false\n" + // only in the file
		"log-format: json\n"
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := StartServer(t,
		WithRawArgs("serve", "--config", config, "--addr", "127.0.0.1:0"),
		WithEnv("BERTH_DATA_DIR="+envDir, "BERTH_LOG_FORMAT=text"))
	if s.DataDir != envDir {
		t.Errorf("data dir %q, want %q from BERTH_DATA_DIR over the file", s.DataDir, envDir)
	}
	if strings.HasSuffix(s.Addr, ":1") {
		t.Errorf("addr %q: the --addr flag did not win over the file", s.Addr)
	}
	if !strings.Contains(s.Log(), `msg="berth serving"`) {
		t.Errorf("log is not text: BERTH_LOG_FORMAT did not win over the file")
	}
	if _, err := os.Stat(filepath.Join(envDir, "metadata.db")); err != nil {
		t.Errorf("no database in the data dir from the environment: %v", err)
	}
	// create-on-push: false came from the file alone.
	p := newPusher(s.Addr, s.Credentials(t))
	resp, err := p.do(t.Context(), http.MethodPost, "/v2/not/created/blobs/uploads/", nil)
	if err := expect(resp, err, http.StatusNotFound); err != nil {
		t.Errorf("push to a missing repository with create-on-push false in the file: %v", err)
	}
}

// TestInvalidConfigFailsClearly checks that a bad setting stops berth with a message
// naming it, instead of starting with a surprise.
func TestInvalidConfigFailsClearly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		env     []string
		wantErr string
	}{
		{[]string{"serve", "--addr", "nonsense"}, nil, "addr"},
		{[]string{"serve", "--tls-cert", "x.pem"}, nil, "tls-cert and tls-key"},
		{[]string{"serve", "--config", "/does/not/exist.yaml"}, nil, "config file"},
		{[]string{"serve"}, []string{"BERTH_UPLOAD_EXPIRY=forever"}, "BERTH_UPLOAD_EXPIRY"},
		{[]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--tls-cert", "/nope.pem", "--tls-key", "/nope.key"}, nil, "TLS certificate"},
	}
	for _, tt := range tests {
		cmd := exec.Command(berthBinary, tt.args...)
		cmd.Env = append(os.Environ(), tt.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.wantErr) {
			t.Errorf("berth %v (env %v): err %v, output %q; want a failure mentioning %q", tt.args, tt.env, err, out, tt.wantErr)
		}
	}
}

// TestTLS serves HTTPS with --tls-cert/--tls-key and pushes with a real client.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	s := StartServer(t, WithArgs("--tls-cert", certFile, "--tls-key", keyFile),
		WithHTTPS(&tls.Config{RootCAs: pool}))
	cred := s.Credentials(t) // GetAuthorizationToken over HTTPS
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/", nil)
	resp, err := h2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Over TLS the challenge names an https realm.
	if want := `Basic realm="https://` + s.Addr + `/",service="ecr.amazonaws.com"`; resp.StatusCode != http.StatusUnauthorized ||
		resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("GET /v2/ over TLS without credentials: %d, WWW-Authenticate %q; want 401 and %q",
			resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	req, _ = http.NewRequest(http.MethodGet, s.URL()+"/v2/", nil)
	req.SetBasicAuth(cred.User, cred.Password)
	resp, err = h2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET /v2/ over TLS: %d, tls %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2 over TLS", resp.Proto)
	}
	crane := tool(t, "crane")
	layer := filepath.Join(dir, "layer.tar")
	if err := os.WriteFile(layer, makeTar(t, map[string][]byte{"hello.txt": []byte("over tls")}), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := s.Addr + "/tls/app:v1"
	env := append(os.Environ(), "DOCKER_CONFIG="+dir, "SSL_CERT_FILE="+certFile)
	for _, args := range [][]string{{"auth", "login", s.Addr, "-u", cred.User, "--password-stdin"},
		{"append", "-f", layer, "-t", ref}, {"ls", s.Addr + "/tls/app"}, {"pull", ref, filepath.Join(dir, "img.tar")}} {
		cmd := exec.Command(crane, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(cred.Password + "\n") // read by auth login --password-stdin only
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("crane %v over TLS: %v\n%s", args, err, out)
		}
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Get("http://" + s.Addr + "/v2/"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("plain HTTP succeeded on the TLS listener")
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and localhost and its key.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "berth test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
