package oci

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/manifest"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

// TestBadInput sends requests a client can get wrong. Each must get the spec's error,
// store nothing, and leave the server serving.
func TestBadInput(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	img := tr.image("good/repo", false)
	good := mustJSON(t, img)
	tr.putManifest("good/repo", "v1", mtDockerManifest, good)
	startUploadIn := func(repo string) string {
		r := tr.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
		if r.status != http.StatusAccepted {
			t.Fatalf("start upload: %d", r.status)
		}
		return r.header.Get("Location")
	}
	startUpload := func() string { return startUploadIn("good/repo") }
	missingBlob := img
	missingBlob.Layers = append(missingBlob.Layers, desc{MediaType: mtDockerLayer, Digest: digest.FromString("absent"), Size: 6})
	badIndex := index{SchemaVersion: 2, MediaType: mtDockerList,
		Manifests: []desc{{MediaType: mtDockerManifest, Digest: digest.FromString("absent manifest"), Size: 10}}}
	oversized := []byte(`{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","annotations":{"pad":"` +
		strings.Repeat("x", manifest.MaxSize) + `"}}`)
	wrongDigest := digest.FromString("something else")

	tests := []struct {
		name       string
		method     string
		path       func() string
		body       []byte
		header     []string
		wantStatus int
		wantCode   string
		// stored, when set, must still answer 404: nothing was stored.
		stored string
	}{
		{name: "uppercase repository name", method: http.MethodGet, path: fixed("/v2/Good/Repo/tags/list"),
			wantStatus: 400, wantCode: "NAME_INVALID"},
		{name: "dot-dot in repository name", method: http.MethodPost, path: fixed("/v2/a/../b/blobs/uploads/"),
			wantStatus: 400, wantCode: "NAME_INVALID"},
		{name: "repository name too long", method: http.MethodPost, path: fixed("/v2/" + strings.Repeat("a", 257) + "/blobs/uploads/"),
			wantStatus: 400, wantCode: "NAME_INVALID"},
		{name: "repository name too short", method: http.MethodPut, path: fixed("/v2/a/manifests/v1"), body: good,
			header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "NAME_INVALID"},
		{name: "repository name with double slash", method: http.MethodGet, path: fixed("/v2/a//b/tags/list"),
			wantStatus: 400, wantCode: "NAME_INVALID"},
		{name: "unknown repository", method: http.MethodGet, path: fixed("/v2/no/such/tags/list"),
			wantStatus: 404, wantCode: "NAME_UNKNOWN"},
		{name: "invalid blob digest", method: http.MethodGet, path: fixed("/v2/good/repo/blobs/sha256:xyz"),
			wantStatus: 400, wantCode: "DIGEST_INVALID"},
		{name: "unsupported digest algorithm", method: http.MethodGet, path: fixed("/v2/good/repo/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"),
			wantStatus: 400, wantCode: "DIGEST_INVALID"},
		{name: "uppercase digest hex", method: http.MethodHead, path: fixed("/v2/good/repo/blobs/sha256:" + strings.ToUpper(strings.Repeat("ab", 32))),
			wantStatus: 400},
		{name: "unknown blob", method: http.MethodGet, path: fixed("/v2/good/repo/blobs/" + wrongDigest.String()),
			wantStatus: 404, wantCode: "BLOB_UNKNOWN"},
		{name: "monolithic upload with wrong digest", method: http.MethodPost, path: fixed("/v2/good/repo/blobs/uploads/?digest=" + wrongDigest.String()),
			body: []byte("payload"), wantStatus: 400, wantCode: "DIGEST_INVALID", stored: "/v2/good/repo/blobs/" + digest.FromString("payload").String()},
		{name: "monolithic upload with invalid digest", method: http.MethodPost, path: fixed("/v2/good/repo/blobs/uploads/?digest=sha256:nothex"),
			body: []byte("payload"), wantStatus: 400, wantCode: "DIGEST_INVALID"},
		{name: "completion with wrong digest", method: http.MethodPut, path: func() string { return startUpload() + "?digest=" + wrongDigest.String() },
			body: []byte("other payload"), wantStatus: 400, wantCode: "DIGEST_INVALID", stored: "/v2/good/repo/blobs/" + digest.FromString("other payload").String()},
		{name: "completion without digest", method: http.MethodPut, path: startUpload,
			body: []byte("x"), wantStatus: 400, wantCode: "DIGEST_INVALID"},
		{name: "unknown upload id", method: http.MethodPatch, path: fixed("/v2/good/repo/blobs/uploads/6f1c8a51-5f1e-4e57-9d0d-3c9b0c6c9e1a"),
			body: []byte("x"), wantStatus: 404, wantCode: "BLOB_UPLOAD_UNKNOWN"},
		{name: "malformed upload id", method: http.MethodGet, path: fixed("/v2/good/repo/blobs/uploads/not-a-uuid"),
			wantStatus: 404, wantCode: "BLOB_UPLOAD_UNKNOWN"},
		{name: "upload id of another repository", method: http.MethodGet,
			path:       func() string { return strings.Replace(startUploadIn("good/other"), "good/other", "good/repo", 1) },
			wantStatus: 404, wantCode: "BLOB_UPLOAD_UNKNOWN"},
		{name: "malformed Content-Range", method: http.MethodPatch, path: startUpload, body: []byte("abc"),
			header: []string{"Content-Range", "zero-two"}, wantStatus: 400, wantCode: "BLOB_UPLOAD_INVALID"},
		{name: "Content-Range disagreeing with Content-Length", method: http.MethodPatch, path: startUpload, body: []byte("abc"),
			header: []string{"Content-Range", "0-9"}, wantStatus: 400, wantCode: "BLOB_UPLOAD_INVALID"},
		{name: "out-of-order chunk", method: http.MethodPatch, path: startUpload, body: []byte("abc"),
			header: []string{"Content-Range", "3-5"}, wantStatus: 416, wantCode: "BLOB_UPLOAD_INVALID"},
		{name: "malformed manifest", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/broken"),
			body: []byte(`{"schemaVersion":2,`), header: []string{"Content-Type", mtDockerManifest},
			wantStatus: 400, wantCode: "MANIFEST_INVALID", stored: "/v2/good/repo/manifests/broken"},
		{name: "manifest with wrong schemaVersion", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/schema3"),
			body:   []byte(strings.Replace(string(good), `"schemaVersion": 2`, `"schemaVersion": 3`, 1)),
			header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "MANIFEST_INVALID",
			stored: "/v2/good/repo/manifests/schema3"},
		{name: "manifest of unknown media type", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/weird"),
			body: []byte(`{"schemaVersion":2,"mediaType":"application/x-weird"}`), header: []string{"Content-Type", "application/x-weird"},
			wantStatus: 400, wantCode: "MANIFEST_INVALID", stored: "/v2/good/repo/manifests/weird"},
		{name: "oversized manifest", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/huge"), body: oversized,
			header: []string{"Content-Type", mtOCIManifest}, wantStatus: 413, wantCode: "SIZE_INVALID",
			stored: "/v2/good/repo/manifests/huge"},
		{name: "manifest referencing a missing blob", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/missing"),
			body: mustJSON(t, missingBlob), header: []string{"Content-Type", mtDockerManifest},
			wantStatus: 400, wantCode: "MANIFEST_BLOB_UNKNOWN", stored: "/v2/good/repo/manifests/missing"},
		{name: "index referencing a missing manifest", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/list"),
			body: mustJSON(t, badIndex), header: []string{"Content-Type", mtDockerList},
			wantStatus: 400, wantCode: "MANIFEST_UNKNOWN", stored: "/v2/good/repo/manifests/list"},
		{name: "manifest put by a digest that does not match", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/" + wrongDigest.String()),
			body: good, header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "DIGEST_INVALID",
			stored: "/v2/good/repo/manifests/" + wrongDigest.String()},
		{name: "invalid tag", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/-bad"), body: good,
			header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "MANIFEST_INVALID"},
		{name: "tag too long", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/" + strings.Repeat("t", 129)), body: good,
			header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "MANIFEST_INVALID"},
		{name: "invalid tag parameter", method: http.MethodPut, path: fixed("/v2/good/repo/manifests/" + digest.FromBytes(good).String() + "?tag=.bad"),
			body: good, header: []string{"Content-Type", mtDockerManifest}, wantStatus: 400, wantCode: "MANIFEST_INVALID"},
		{name: "unknown manifest", method: http.MethodGet, path: fixed("/v2/good/repo/manifests/nope"),
			wantStatus: 404, wantCode: "MANIFEST_UNKNOWN"},
		{name: "delete unknown tag", method: http.MethodDelete, path: fixed("/v2/good/repo/manifests/nope"),
			wantStatus: 404, wantCode: "MANIFEST_UNKNOWN"},
		{name: "delete blob referenced by a manifest", method: http.MethodDelete, path: fixed("/v2/good/repo/blobs/" + img.Layers[0].Digest.String()),
			wantStatus: 409, wantCode: "DENIED"},
		{name: "invalid page size", method: http.MethodGet, path: fixed("/v2/good/repo/tags/list?n=-1"),
			wantStatus: 400, wantCode: "UNSUPPORTED"},
		{name: "unsupported method", method: http.MethodPost, path: fixed("/v2/good/repo/manifests/v1"),
			wantStatus: 405, wantCode: "UNSUPPORTED"},
		{name: "unknown endpoint", method: http.MethodGet, path: fixed("/v2/good/repo/nothing"),
			wantStatus: 404, wantCode: "NAME_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr.do(tt.method, tt.path(), tt.body, tt.header...)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if tt.method != http.MethodHead && tt.wantCode != "" {
				if got := r.errorCode(); got != tt.wantCode {
					t.Errorf("code %q, want %q; body %s", got, tt.wantCode, r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
			}
			if tt.stored != "" {
				if r := tr.do(http.MethodHead, tt.stored, nil); r.status != http.StatusNotFound && r.status != http.StatusBadRequest {
					t.Errorf("HEAD %s after the refused request: %d, want nothing stored", tt.stored, r.status)
				}
			}
			if r := tr.do(http.MethodGet, "/v2/good/repo/manifests/v1", nil); r.status != http.StatusOK {
				t.Errorf("server stopped serving: GET v1 = %d", r.status)
			}
		})
	}
	// Nothing refused above left a tag behind.
	r := tr.do(http.MethodGet, "/v2/good/repo/tags/list", nil)
	if !strings.Contains(string(r.body), `"tags":["v1"]`) {
		t.Errorf("tags after bad input: %s, want only v1", r.body)
	}
}

func fixed(p string) func() string { return func() string { return p } }
