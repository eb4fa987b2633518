package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------------------------------
// Running client commands

// clientEnv is a private home for one client test: every tool's configuration and state lives under
// Dir, never in ~/.docker, ~/.regctl, ~/.config or similar.
type clientEnv struct {
	Dir string
	env []string
}

// Variables that would let the developer's own configuration leak into a client.
var clientEnvDrop = []string{"HOME=", "DOCKER_", "REGCTL_", "XDG_", "REGISTRY_AUTH_FILE=", "COSIGN_", "NOTATION_",
	"ORAS_", "CONTAINERS_", "BUILDAH_", "STORAGE_", "CONTAINERD_", "SIGSTORE_", "TUF_", "SSL_CERT_"}

func newClientEnv(t testing.TB) *clientEnv {
	t.Helper()
	dir := t.TempDir()
	c := &clientEnv{Dir: dir}
	for _, kv := range os.Environ() {
		drop := false
		for _, p := range clientEnvDrop {
			if strings.HasPrefix(kv, p) {
				drop = true
				break
			}
		}
		if !drop {
			c.env = append(c.env, kv)
		}
	}
	for _, d := range []string{"home", "docker", "xdg/config", "xdg/cache", "xdg/data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	auth := filepath.Join(dir, "containers-auth.json")
	writeFile(t, auth, []byte(`{"auths":{}}`))
	writeFile(t, filepath.Join(dir, "docker", "config.json"), []byte(`{"auths":{}}`))
	c.env = append(c.env,
		"HOME="+filepath.Join(dir, "home"),
		"DOCKER_CONFIG="+filepath.Join(dir, "docker"),
		"REGCTL_CONFIG="+filepath.Join(dir, "regctl.json"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "xdg/config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "xdg/cache"),
		"XDG_DATA_HOME="+filepath.Join(dir, "xdg/data"),
		"REGISTRY_AUTH_FILE="+auth,
		// Go builds in a test (the static hello binary) keep using the real caches.
		"GOPATH="+goEnv.GOPATH, "GOCACHE="+goEnv.GOCACHE, "GOMODCACHE="+goEnv.GOMODCACHE,
	)
	return c
}

type runOpts struct {
	dir     string
	stdin   []byte
	env     []string
	timeout time.Duration
}

type runResult struct {
	Stdout, Stderr string
	Err            error
	cmdline        string
}

func (r runResult) String() string {
	return fmt.Sprintf("$ %s\nerror: %v\n--- stdout ---\n%s\n--- stderr ---\n%s", r.cmdline, r.Err,
		lastLines(r.Stdout, 60), lastLines(r.Stderr, 60))
}

// try runs a command in the client environment and returns its result without judging it.
func (c *clientEnv) try(t testing.TB, o runOpts, name string, args ...string) runResult {
	t.Helper()
	bin := tool(t, name)
	if o.timeout == 0 {
		o.timeout = 4 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(slices.Clone(c.env), o.env...)
	cmd.Dir = o.dir
	if cmd.Dir == "" {
		cmd.Dir = c.Dir
	}
	if o.stdin != nil {
		cmd.Stdin = bytes.NewReader(o.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", o.timeout, err)
	}
	r := runResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err, cmdline: name + " " + strings.Join(args, " ")}
	t.Logf("$ %s  (%s, %v)", r.cmdline, time.Since(start).Round(time.Millisecond), exitString(err))
	return r
}

// run runs a command and fails the test (with its output) if it fails; it returns stdout.
func (c *clientEnv) run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return c.runWith(t, runOpts{}, name, args...)
}

func (c *clientEnv) runWith(t testing.TB, o runOpts, name string, args ...string) string {
	t.Helper()
	r := c.try(t, o, name, args...)
	if r.Err != nil {
		t.Fatalf("command failed:\n%s", r)
	}
	return r.Stdout
}

// login runs a client's login command with the password on stdin, as users run
// `aws ecr get-login-password | <client> login --username AWS --password-stdin <host>`. With no
// credentials (an E2E_REGISTRY without E2E_REGISTRY_USER) it does nothing.
func (c *clientEnv) login(t testing.TB, cred creds, name string, args ...string) {
	t.Helper()
	if cred.anonymous() {
		return
	}
	c.runWith(t, runOpts{stdin: []byte(cred.Password + "\n"), timeout: time.Minute}, name, args...)
}

// needCredentials skips a check that a registry refuses clients without valid credentials when the
// registry under test asks for none (an E2E_REGISTRY without E2E_REGISTRY_USER).
func needCredentials(t testing.TB, cred creds) {
	t.Helper()
	if cred.anonymous() {
		t.Skip("the registry under test needs no credentials (E2E_REGISTRY without E2E_REGISTRY_USER)")
	}
}

// authFailureRE matches how clients report a registry's 401 (or 403) answer.
var authFailureRE = regexp.MustCompile(`(?i)\b401\b|unauthorized|authentication required|no basic auth credentials`)

// assertAuthFailure checks that a client run without valid credentials failed, in time, with an error
// that says the registry refused its credentials, not with a crash.
func assertAuthFailure(t testing.TB, r runResult) {
	t.Helper()
	out := r.Stdout + "\n" + r.Stderr
	switch {
	case r.Err == nil:
		t.Fatalf("the client succeeded without valid credentials:\n%s", r)
	case strings.Contains(r.Err.Error(), "timed out"):
		t.Fatalf("the client hung instead of failing on the registry's 401:\n%s", r)
	case strings.Contains(out, "panic:") || strings.Contains(out, "goroutine "):
		t.Fatalf("the client crashed instead of reporting the registry's 401:\n%s", r)
	case !authFailureRE.MatchString(out):
		t.Fatalf("the client failed, but not with an authentication error:\n%s", r)
	}
	t.Logf("refused as it should be: %s", lastLines(strings.TrimSpace(out), 3))
}

// ---------------------------------------------------------------------------------------------------
// Fixtures

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func sha256Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// repoPrefix is a fresh repository namespace for one client test, so tests never see each other's
// content (and re-runs against a long-lived E2E_REGISTRY never collide).
func repoPrefix(client string) string { return "e2e/" + client + "-" + randomHex(4) }

// makeTar builds an uncompressed tar of regular files (sorted names, fixed metadata).
func makeTar(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		hdr := &tar.Header{Name: n, Mode: 0o755, Size: int64(len(files[n])), Typeflag: tar.TypeReg,
			ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Media types.
const (
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtOCIConfig      = "application/vnd.oci.image.config.v1+json"
	mtOCILayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	mtDockerV1       = "application/vnd.docker.distribution.manifest.v1+json"
)

var manifestAccept = strings.Join([]string{mtOCIManifest, mtOCIIndex, mtDockerManifest, mtDockerList, mtDockerV1Signed, mtDockerV1}, ", ")

type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType,omitempty"`
	ArtifactType  string       `json:"artifactType,omitempty"`
	Config        *descriptor  `json:"config,omitempty"`
	Layers        []descriptor `json:"layers,omitempty"`
	Manifests     []descriptor `json:"manifests,omitempty"`
	Subject       *descriptor  `json:"subject,omitempty"`
	// Docker schema 1
	FSLayers []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers,omitempty"`
	Signatures []json.RawMessage `json:"signatures,omitempty"`
}

// image is an image built in memory: push it with registry.pushImage or write it as an OCI layout.
type image struct {
	Files        map[string][]byte
	Layer        []byte // gzip-compressed tar of Files
	LayerTar     []byte // the uncompressed tar
	Config       []byte
	Manifest     []byte
	ManifestDig  string
	ConfigDigest string
	LayerDigest  string
}

// newImage builds a linux/amd64 OCI image with one gzip layer holding files.
func newImage(t testing.TB, files map[string][]byte) *image {
	t.Helper()
	img := &image{Files: files}
	img.LayerTar = makeTar(t, files)
	img.Layer = gzipBytes(t, img.LayerTar)
	img.LayerDigest = sha256Digest(img.Layer)
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Labels": map[string]string{"e2e": "berth"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{sha256Digest(img.LayerTar)}},
		// One history entry per layer: converting to Docker schema 1 needs it.
		"history": []map[string]string{{"created": "2023-11-14T22:13:20Z", "created_by": "berth e2e fixture"}},
	}
	img.Config, _ = json.Marshal(cfg)
	img.ConfigDigest = sha256Digest(img.Config)
	m := manifest{SchemaVersion: 2, MediaType: mtOCIManifest,
		Config: &descriptor{MediaType: mtOCIConfig, Digest: img.ConfigDigest, Size: int64(len(img.Config))},
		Layers: []descriptor{{MediaType: mtOCILayerGzip, Digest: img.LayerDigest, Size: int64(len(img.Layer))}},
	}
	img.Manifest, _ = json.Marshal(m)
	img.ManifestDig = sha256Digest(img.Manifest)
	return img
}

// writeOCILayout writes img as an OCI image layout in dir, tagged tag.
func (img *image) writeOCILayout(t testing.TB, dir, tag string) {
	t.Helper()
	blob := func(d string, b []byte) {
		writeFile(t, filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")), b)
	}
	blob(img.LayerDigest, img.Layer)
	blob(img.ConfigDigest, img.Config)
	blob(img.ManifestDig, img.Manifest)
	writeFile(t, filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	idx, _ := json.Marshal(manifest{SchemaVersion: 2, MediaType: mtOCIIndex, Manifests: []descriptor{{
		MediaType: mtOCIManifest, Digest: img.ManifestDig, Size: int64(len(img.Manifest)),
		Annotations: map[string]string{"org.opencontainers.image.ref.name": tag},
	}}})
	writeFile(t, filepath.Join(dir, "index.json"), idx)
}

// ---------------------------------------------------------------------------------------------------
// A small, independent registry client used to check what the tools did.

type registry struct {
	host   string
	cred   creds // sent with every request (HTTP Basic) unless anonymous
	client *http.Client
}

func newRegistry(host string, cred creds) *registry {
	return &registry{host: host, cred: cred, client: &http.Client{Timeout: 2 * time.Minute}}
}

func (r *registry) url(format string, a ...any) string {
	return "http://" + r.host + fmt.Sprintf(format, a...)
}

func (r *registry) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if !r.cred.anonymous() && req.Header.Get("Authorization") == "" {
		req.SetBasicAuth(r.cred.User, r.cred.Password)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func (r *registry) get(t testing.TB, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return r.do(t, req)
}

func httpErr(resp *http.Response, body []byte) string {
	return fmt.Sprintf("%s %s -> %s: %s", resp.Request.Method, resp.Request.URL, resp.Status, strings.TrimSpace(string(truncate(body, 400))))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], []byte("…")...)
	}
	return b
}

// headManifest returns the digest a reference resolves to, or "" when the registry answers 404.
func (r *registry) headManifest(t testing.TB, repo, ref string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, r.url("/v2/%s/manifests/%s", repo, ref), nil)
	req.Header.Set("Accept", manifestAccept)
	resp, body := r.do(t, req)
	switch resp.StatusCode {
	case http.StatusOK:
		d := resp.Header.Get("Docker-Content-Digest")
		if d == "" {
			// Without the header, fall back to hashing the manifest.
			_, _, d = r.getManifest(t, repo, ref)
		}
		return d
	case http.StatusNotFound:
		return ""
	default:
		t.Fatalf("HEAD manifest: %s", httpErr(resp, body))
		return ""
	}
}

// getManifest fetches a manifest and returns its bytes, media type and digest; it fails the test
// unless the registry answers 200 and the bytes match the digest the registry reports.
func (r *registry) getManifest(t testing.TB, repo, ref string) ([]byte, string, string) {
	t.Helper()
	resp, body := r.get(t, r.url("/v2/%s/manifests/%s", repo, ref), "Accept", manifestAccept)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest: %s", httpErr(resp, body))
	}
	d := sha256Digest(body)
	mt := resp.Header.Get("Content-Type")
	if mt == mtDockerV1Signed {
		// A signed schema 1 manifest is identified by the digest of its payload without the signatures,
		// and registries may re-sign it on every GET.
		p, err := schema1Payload(body)
		if err != nil {
			t.Fatalf("GET manifest %s/%s: bad signed schema 1 manifest: %v", repo, ref, err)
		}
		d = sha256Digest(p)
	}
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && h != d && strings.HasPrefix(h, "sha256:") {
		t.Fatalf("GET manifest %s/%s: Docker-Content-Digest %s but the body hashes to %s", repo, ref, h, d)
	}
	if strings.HasPrefix(ref, "sha256:") && ref != d {
		t.Fatalf("GET manifest %s@%s returned content with digest %s", repo, ref, d)
	}
	return body, mt, d
}

// schema1Payload returns the signed payload of a Docker schema 1 JWS manifest (libtrust "prettyjws"):
// the bytes before the signatures plus the formatTail recorded in the protected header.
func schema1Payload(body []byte) ([]byte, error) {
	var jws struct {
		Signatures []struct {
			Protected string `json:"protected"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(body, &jws); err != nil {
		return nil, err
	}
	if len(jws.Signatures) == 0 {
		return nil, errors.New("no signatures")
	}
	prot, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(jws.Signatures[0].Protected, "="))
	if err != nil {
		return nil, fmt.Errorf("protected header: %w", err)
	}
	var h struct {
		FormatLength int    `json:"formatLength"`
		FormatTail   string `json:"formatTail"`
	}
	if err := json.Unmarshal(prot, &h); err != nil {
		return nil, fmt.Errorf("protected header: %w", err)
	}
	tail, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(h.FormatTail, "="))
	if err != nil || h.FormatLength <= 0 || h.FormatLength > len(body) {
		return nil, fmt.Errorf("protected header: formatLength %d, formatTail %q", h.FormatLength, h.FormatTail)
	}
	return append(slices.Clone(body[:h.FormatLength]), tail...), nil
}

func (r *registry) manifest(t testing.TB, repo, ref string) manifest {
	t.Helper()
	body, _, _ := r.getManifest(t, repo, ref)
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("manifest %s:%s is not JSON: %v", repo, ref, err)
	}
	return m
}

// getBlob fetches a blob and checks it against its digest.
func (r *registry) getBlob(t testing.TB, repo, dgst string) []byte {
	t.Helper()
	resp, body := r.get(t, r.url("/v2/%s/blobs/%s", repo, dgst))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blob: %s", httpErr(resp, body))
	}
	if strings.HasPrefix(dgst, "sha256:") && sha256Digest(body) != dgst {
		t.Fatalf("blob %s@%s: content hashes to %s", repo, dgst, sha256Digest(body))
	}
	return body
}

// tags lists a repository's tags (following pagination); a 404 counts as no tags.
func (r *registry) tags(t testing.TB, repo string) []string {
	t.Helper()
	var all []string
	u := r.url("/v2/%s/tags/list?n=1000", repo)
	for u != "" {
		resp, body := r.get(t, u)
		if resp.StatusCode == http.StatusNotFound {
			return nil
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("tag list: %s", httpErr(resp, body))
		}
		var tl struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(body, &tl); err != nil {
			t.Fatalf("tag list of %s: %v: %s", repo, err, truncate(body, 300))
		}
		all = append(all, tl.Tags...)
		u = r.nextLink(resp)
	}
	sort.Strings(all)
	return all
}

// catalog lists all repositories (following pagination).
func (r *registry) catalog(t testing.TB) []string {
	t.Helper()
	var all []string
	u := r.url("/v2/_catalog?n=1000")
	for u != "" {
		resp, body := r.get(t, u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("catalog: %s", httpErr(resp, body))
		}
		var c struct {
			Repositories []string `json:"repositories"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("catalog: %v", err)
		}
		all = append(all, c.Repositories...)
		u = r.nextLink(resp)
	}
	return all
}

var linkRE = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

func (r *registry) nextLink(resp *http.Response) string {
	m := linkRE.FindStringSubmatch(resp.Header.Get("Link"))
	if m == nil {
		return ""
	}
	next, err := resp.Request.URL.Parse(m[1])
	if err != nil {
		return ""
	}
	return next.String()
}

// referrers returns the referrers index of a subject; the test fails unless the registry implements
// the OCI 1.1 referrers API.
func (r *registry) referrers(t testing.TB, repo, subject string) []descriptor {
	t.Helper()
	resp, body := r.get(t, r.url("/v2/%s/referrers/%s", repo, subject))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("referrers API: %s", httpErr(resp, body))
	}
	var idx manifest
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatalf("referrers of %s@%s: %v", repo, subject, err)
	}
	return idx.Manifests
}

// pushBlob uploads a blob with a POST and a PUT.
func (r *registry) pushBlob(t testing.TB, repo string, data []byte) string {
	t.Helper()
	return finishUpload(t, r, startUpload(t, r, repo), data, data)
}

func (r *registry) pushManifest(t testing.TB, repo, ref, mediaType string, body []byte) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, r.url("/v2/%s/manifests/%s", repo, ref), bytes.NewReader(body))
	req.Header.Set("Content-Type", mediaType)
	resp, rb := r.do(t, req)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push manifest: %s", httpErr(resp, rb))
	}
	return sha256Digest(body)
}

// pushImage pushes img to repo:tag and returns its manifest digest.
func (r *registry) pushImage(t testing.TB, repo, tag string, img *image) string {
	t.Helper()
	r.pushBlob(t, repo, img.Layer)
	r.pushBlob(t, repo, img.Config)
	return r.pushManifest(t, repo, tag, mtOCIManifest, img.Manifest)
}

// imageFiles reads the regular files of an image (linux/amd64 from an index) by applying its layers.
func (r *registry) imageFiles(t testing.TB, repo, ref string) map[string][]byte {
	t.Helper()
	m := r.manifest(t, repo, ref)
	if len(m.Manifests) > 0 {
		pick := m.Manifests[0]
		for _, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
				pick = d
				break
			}
		}
		m = r.manifest(t, repo, pick.Digest)
	}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, l.Digest)
	}
	for i := len(m.FSLayers) - 1; i >= 0; i-- { // schema 1 lists the base layer last
		layers = append(layers, m.FSLayers[i].BlobSum)
	}
	files := map[string][]byte{}
	for _, d := range layers {
		for name, data := range untar(t, r.getBlob(t, repo, d)) {
			files[name] = data
		}
	}
	return files
}

// untar extracts the regular files of a (possibly gzip-compressed) tar.
func untar(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	var rd io.Reader = bytes.NewReader(b)
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			t.Fatalf("gunzip layer: %v", err)
		}
		rd = zr
	}
	files := map[string][]byte{}
	tr := tar.NewReader(rd)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read layer tar: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read layer tar: %v", err)
		}
		files[path.Clean("/" + hdr.Name)[1:]] = data
	}
	return files
}

// ---------------------------------------------------------------------------------------------------
// Assertions

func assertTags(t testing.TB, reg *registry, repo string, want ...string) {
	t.Helper()
	got := reg.tags(t, repo)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tags of %s: got %q, want exactly %q", repo, got, want)
	}
}

func assertGone(t testing.TB, reg *registry, repo, ref string) {
	t.Helper()
	if d := reg.headManifest(t, repo, ref); d != "" {
		t.Fatalf("%s:%s still resolves (to %s) after the delete", repo, ref, d)
	}
}

func assertDigest(t testing.TB, reg *registry, repo, ref, want string) {
	t.Helper()
	if got := reg.headManifest(t, repo, ref); got != want {
		if got == "" {
			got = "404 Not Found"
		}
		t.Fatalf("%s:%s resolves to %s, want %s", repo, ref, got, want)
	}
}

func assertFile(t testing.TB, files map[string][]byte, name string, want []byte) {
	t.Helper()
	got, ok := files[name]
	if !ok {
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		t.Fatalf("file %s missing from the image (files: %q)", name, names)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file %s: content differs (%d bytes, want %d)", name, len(got), len(want))
	}
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// firstDigest returns the first sha256 digest in s, or fails.
func firstDigest(t testing.TB, s, what string) string {
	t.Helper()
	d := digestRE.FindString(s)
	if d == "" {
		t.Fatalf("no digest in the output of %s:\n%s", what, s)
	}
	return d
}
