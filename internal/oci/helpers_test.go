package oci

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/meta/sqlite"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

// testAccount is the account of the test registries.
const testAccount = "111122223333"

// testRegistry is a /v2 handler over real stores in a temporary directory, with
// credentials of the account's root.
type testRegistry struct {
	t        testing.TB
	srv      *httptest.Server
	dir      string
	keys     *iam.Keyring
	ids      *iam.Service
	store    meta.Store
	root     iam.Principal
	password string
	// anonymous sends requests without credentials.
	anonymous bool
}

func newTestRegistry(t testing.TB, cfg registry.Config) *testRegistry {
	t.Helper()
	dir := t.TempDir()
	blobs, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return newTestRegistryOn(t, cfg, dir, blobs, func(*Handler) {})
}

// newTestRegistryOn is newTestRegistry with blobs in the given store and the handler
// set up by configure.
func newTestRegistryOn(t testing.TB, cfg registry.Config, dir string, blobs blob.Store, configure func(*Handler)) *testRegistry {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if cfg.UploadExpiry == 0 {
		cfg.UploadExpiry = time.Hour
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, err := iam.NewKeyring(randomBytes(t, 32))
	if err != nil {
		t.Fatal(err)
	}
	ids := iam.NewService(store, keys, iam.Options{Region: "us-east-1"}, log)
	if _, err := ids.Bootstrap(context.Background(), iam.BootstrapOptions{AccountID: testAccount,
		RootAccessKeyID: "AKIATESTROOT00000001", RootSecretAccessKey: "test-secret-test-secret"}); err != nil {
		t.Fatal(err)
	}
	root := iam.RootPrincipal(testAccount, "AKIATESTROOT00000001")
	password, _ := ids.IssueToken(root)
	h := New(registry.New(store, blobs, cfg, log), ids, log)
	configure(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, srv: srv, dir: dir, keys: keys, ids: ids, store: store, root: root, password: password}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the first OCI error code of the body, or "".
func (r response) errorCode() string {
	var b errorBody
	if json.Unmarshal(r.body, &b) != nil || len(b.Errors) == 0 {
		return ""
	}
	return b.Errors[0].Code
}

func (tr *testRegistry) do(method, path string, body []byte, header ...string) response {
	tr.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, tr.srv.URL+path, rd)
	if err != nil {
		tr.t.Fatal(err)
	}
	if !tr.anonymous {
		req.SetBasicAuth("AWS", tr.password)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tr.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// pushBlob uploads data monolithically and returns its digest.
func (tr *testRegistry) pushBlob(repo string, data []byte) digest.Digest {
	tr.t.Helper()
	d := digest.FromBytes(data)
	r := tr.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), data)
	if r.status != http.StatusCreated {
		tr.t.Fatalf("push blob: %d %s", r.status, r.body)
	}
	return d
}

func (tr *testRegistry) putManifest(repo, ref, mediaType string, payload []byte) response {
	tr.t.Helper()
	return tr.do(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, payload, "Content-Type", mediaType)
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mtDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIConfig      = "application/vnd.oci.image.config.v1+json"
	mtOCILayer       = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type desc struct {
	MediaType    string            `json:"mediaType"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

type imageManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        desc              `json:"config"`
	Layers        []desc            `json:"layers"`
	Subject       *desc             `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type index struct {
	SchemaVersion int    `json:"schemaVersion"`
	MediaType     string `json:"mediaType"`
	Manifests     []desc `json:"manifests"`
}

// image pushes a config and one layer to repo and returns a Docker schema2 or OCI
// manifest for them (not yet pushed).
func (tr *testRegistry) image(repo string, oci bool) imageManifest {
	tr.t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := randomBytes(tr.t, 1024)
	m := imageManifest{SchemaVersion: 2, MediaType: mtDockerManifest,
		Config: desc{MediaType: mtDockerConfig, Digest: tr.pushBlob(repo, config), Size: int64(len(config))},
		Layers: []desc{{MediaType: mtDockerLayer, Digest: tr.pushBlob(repo, layer), Size: int64(len(layer))}}}
	if oci {
		m.MediaType, m.Config.MediaType, m.Layers[0].MediaType = mtOCIManifest, mtOCIConfig, mtOCILayer
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.MarshalIndent(v, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
