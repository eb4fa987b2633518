package iam

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/sqlite"
)

func testKeyring(t testing.TB) *Keyring {
	t.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	k, err := NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSeal(t *testing.T) {
	k := testKeyring(t)
	sealed := k.Seal([]byte("wJalrXUtnFEMI/K7MDENG"), []byte("AKIA1"))
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("sealed secret contains the secret in clear")
	}
	got, err := k.Open(sealed, []byte("AKIA1"))
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, []byte("AKIA2")); err == nil {
		t.Error("a secret sealed for one key id opened for another")
	}
	other, _ := NewKeyring(bytes.Repeat([]byte{7}, 32))
	if _, err := other.Open(sealed, []byte("AKIA1")); err == nil {
		t.Error("a secret opened with another master key")
	}
	if _, err := NewKeyring([]byte("short")); err == nil {
		t.Error("NewKeyring accepted a short key")
	}
}

func TestTokens(t *testing.T) {
	k := testKeyring(t)
	now := time.Now()
	p := RootPrincipal("123456789012", "AKIAX")
	password, expires := k.IssueToken(p, now)
	if d := expires.Sub(now); d < 12*time.Hour-time.Second || d > 12*time.Hour {
		t.Errorf("token lifetime %s, want 12h", d)
	}
	got, err := k.VerifyToken(password, now.Add(11*time.Hour))
	if err != nil || got != p {
		t.Fatalf("VerifyToken = %+v, %v", got, err)
	}
	if _, err := k.VerifyToken(password, now.Add(12*time.Hour)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("after 12h: %v, want ErrTokenExpired", err)
	}
	other, _ := NewKeyring(bytes.Repeat([]byte{7}, 32))
	forged, _ := other.IssueToken(p, now)
	body, sig, _ := strings.Cut(strings.TrimPrefix(password, tokenPrefix), ".")
	tamperedClaims := base64.RawURLEncoding.EncodeToString([]byte(`{"v":1,"a":"999999999999","k":"AKIAX","p":"x","e":9999999999999}`))
	for name, bad := range map[string]string{
		"forged with another master key": forged,
		"claims changed":                 tokenPrefix + tamperedClaims + "." + sig,
		"signature dropped":              tokenPrefix + body,
		"garbage":                        "hello",
		"empty":                          "",
	} {
		if _, err := k.VerifyToken(bad, now); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want ErrTokenInvalid", name, err)
		}
	}
}

func TestPresignedBlob(t *testing.T) {
	k := testKeyring(t)
	now := time.Now()
	q := k.PresignBlob("123456789012", "team/app", "sha256:ab", now.Add(time.Hour))
	if err := k.VerifyPresignedBlob("123456789012", "team/app", "sha256:ab", q, now); err != nil {
		t.Fatalf("valid URL: %v", err)
	}
	if err := k.VerifyPresignedBlob("123456789012", "team/app", "sha256:ab", q, now.Add(2*time.Hour)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired URL: %v", err)
	}
	for _, other := range [][3]string{{"123456789013", "team/app", "sha256:ab"}, {"123456789012", "team/other", "sha256:ab"},
		{"123456789012", "team/app", "sha256:cd"}} {
		if err := k.VerifyPresignedBlob(other[0], other[1], other[2], q, now); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("URL used for %v: %v, want ErrTokenInvalid", other, err)
		}
	}
}

func TestLoadMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	first, err := LoadMasterKey("", path)
	if err != nil || len(first) != 32 {
		t.Fatalf("create: %d bytes, %v", len(first), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	again, err := LoadMasterKey("", path)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatal("the master key changed between starts")
	}
	fromEnv := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if k, err := LoadMasterKey(fromEnv, path); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{9}, 32)) {
		t.Errorf("BERTH_MASTER_KEY not used: %v", err)
	}
	if _, err := LoadMasterKey("bm90IDMyIGJ5dGVz", path); err == nil {
		t.Error("a 12-byte master key was accepted")
	}
}

func newService(t testing.TB) (*Service, meta.Store, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return NewService(store, testKeyring(t), Options{Region: "us-east-1"}, slog.New(slog.NewTextHandler(io.Discard, nil))), store, dir
}

func TestBootstrapGeneratesCredentialsOnce(t *testing.T) {
	ctx := context.Background()
	s, store, dir := newService(t)
	creds := filepath.Join(dir, "root-credentials")
	var out bytes.Buffer
	acct, err := s.Bootstrap(ctx, BootstrapOptions{CredentialsFile: creds, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{11}$`).MatchString(acct.ID) || !acct.Default {
		t.Fatalf("default account %+v", acct)
	}
	data, err := os.ReadFile(creds)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`aws_access_key_id = (AKIA[A-Z2-7]{16})\naws_secret_access_key = (\S{40})\n`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatalf("root-credentials:\n%s", data)
	}
	if fi, _ := os.Stat(creds); fi.Mode().Perm() != 0o600 {
		t.Errorf("root-credentials mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(out.String(), m[1]) || !strings.Contains(out.String(), m[2]) {
		t.Errorf("credentials not printed:\n%s", out.String())
	}
	k, err := store.GetAccessKey(ctx, m[1])
	if err != nil || bytes.Contains(k.SecretSealed, []byte(m[2])) {
		t.Fatalf("stored key %+v, %v: want the secret sealed", k, err)
	}
	secret, p, err := s.credential(ctx, m[1], "")
	if err != nil || secret != m[2] || p.ARN != RootARN(acct.ID) || p.AccountID != acct.ID {
		t.Fatalf("AccessKey = %q %+v %v", secret, p, err)
	}
	out.Reset()
	again, err := s.Bootstrap(ctx, BootstrapOptions{CredentialsFile: creds, Out: &out, RegistryHost: "registry.example.com"})
	if err != nil || again.ID != acct.ID || again.RegistryHost != "registry.example.com" || out.Len() != 0 {
		t.Fatalf("second start: %+v %v, printed %q", again, err, out.String())
	}
	if _, _, err := s.credential(ctx, "AKIANOSUCHKEY0000000", ""); !errors.Is(err, awsproto.ErrUnknownAccessKey) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestBootstrapWithGivenCredentials(t *testing.T) {
	ctx := context.Background()
	s, _, dir := newService(t)
	var out bytes.Buffer
	acct, err := s.Bootstrap(ctx, BootstrapOptions{AccountID: "111122223333", RootAccessKeyID: "AKIAGIVEN00000000001",
		RootSecretAccessKey: "given-secret-given-secret", CredentialsFile: filepath.Join(dir, "root-credentials"), Out: &out})
	if err != nil || acct.ID != "111122223333" {
		t.Fatalf("Bootstrap = %+v, %v", acct, err)
	}
	if out.Len() != 0 {
		t.Errorf("given credentials were printed: %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "root-credentials")); !os.IsNotExist(err) {
		t.Error("root-credentials written for given credentials")
	}
	if secret, _, err := s.credential(ctx, "AKIAGIVEN00000000001", ""); err != nil || secret != "given-secret-given-secret" {
		t.Fatalf("AccessKey = %q, %v", secret, err)
	}
	for _, bad := range []BootstrapOptions{
		{AccountID: "12345"},
		{RootAccessKeyID: "AKIAONLYID0000000000"},
		{RootAccessKeyID: "lower-case", RootSecretAccessKey: "given-secret-given-secret"},
	} {
		fresh, _, _ := newService(t)
		if _, err := fresh.Bootstrap(ctx, bad); err == nil {
			t.Errorf("Bootstrap(%+v) accepted bad options", bad)
		}
	}
}

func TestAccountForHost(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newService(t)
	def, err := s.Bootstrap(ctx, BootstrapOptions{AccountID: "111122223333", RootAccessKeyID: "AKIAGIVEN00000000001",
		RootSecretAccessKey: "given-secret-given-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateAccount(ctx, meta.Account{ID: "444455556666", Name: "other", RegistryHost: "other.example.com"}); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{
		"127.0.0.1:5000":         def.ID,
		"other.example.com":      "444455556666",
		"other.example.com:5000": "444455556666",
		"OTHER.example.com":      "444455556666",
	} {
		acct, err := s.AccountForHost(ctx, host)
		if err != nil || acct.ID != want {
			t.Errorf("AccountForHost(%q) = %s, %v; want %s", host, acct.ID, err, want)
		}
	}
}
