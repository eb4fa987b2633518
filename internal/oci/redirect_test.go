package oci

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob/s3"
	"github.com/berth-registry/berth/internal/registry"
	"github.com/berth-registry/berth/internal/testutil/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

// TestBlobGETRedirectsToS3: with redirects on, a blob GET answers 307 to a presigned
// URL that serves the bytes without credentials; HEAD is answered by berth, and
// unknown blobs and missing rights are still refused before any redirect.
func TestBlobGETRedirectsToS3(t *testing.T) {
	c := s3test.Start(t)
	blobs, err := s3.New(t.Context(), s3.Config{Bucket: c.Bucket, Endpoint: c.Endpoint, Region: c.Region,
		AccessKey: c.AccessKey, SecretKey: c.SecretKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := newTestRegistryOn(t, registry.Config{CreateOnPush: true}, t.TempDir(), blobs, func(h *Handler) {
		h.RedirectBlobs(blobs, 20*time.Minute)
	})
	data := randomBytes(t, 100_000)
	d := tr.pushBlob("app", data)

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, tr.srv.URL+"/v2/app/blobs/"+d.String(), nil)
	req.SetBasicAuth("AWS", tr.password)
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusTemporaryRedirect || loc == "" {
		t.Fatalf("GET blob = %s, Location %q; want 307 to S3", resp.Status, loc)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != d.String() {
		t.Errorf("Docker-Content-Digest = %q, want %s", got, d)
	}
	s3resp, err := http.Get(loc) // no credentials: the URL carries them
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(s3resp.Body)
	s3resp.Body.Close()
	if s3resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("GET %s = %s with %d bytes, want 200 and the blob", loc, s3resp.Status, len(body))
	}

	if r := tr.do(http.MethodHead, "/v2/app/blobs/"+d.String(), nil); r.status != http.StatusOK || r.header.Get("Content-Length") != "100000" {
		t.Errorf("HEAD blob = %d, Content-Length %q; want 200 from berth", r.status, r.header.Get("Content-Length"))
	}
	unknown := "sha256:" + string(bytes.Repeat([]byte("ab"), 32))
	if r := tr.do(http.MethodGet, "/v2/app/blobs/"+unknown, nil); r.status != http.StatusNotFound || r.errorCode() != "BLOB_UNKNOWN" {
		t.Errorf("GET of an unknown blob = %d %s, want 404 BLOB_UNKNOWN", r.status, r.errorCode())
	}
	if r := tr.do(http.MethodGet, "/v2/other/blobs/"+d.String(), nil); r.status == http.StatusTemporaryRedirect {
		t.Errorf("GET of a blob through a repository without it redirected")
	}
	tr.anonymous = true
	if r := tr.do(http.MethodGet, "/v2/app/blobs/"+d.String(), nil); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous GET blob = %d, want 401", r.status)
	}
}
