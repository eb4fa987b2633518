package e2e

// Upload sessions step by step, for tests that send each request of an upload themselves
// (to another replica, after a kill).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// startUpload opens an upload session and returns its location (a path).
func startUpload(t testing.TB, reg *registry, repo string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, reg.url("/v2/%s/blobs/uploads/", repo), nil)
	resp, body := reg.do(t, req)
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" {
		t.Fatalf("start upload on %s: %s", reg.host, httpErr(resp, body))
	}
	return locationPath(t, resp)
}

// patchChunk sends one chunk starting at offset and returns the next location.
func patchChunk(t testing.TB, reg *registry, loc string, offset int64, chunk []byte) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, reg.url("%s", loc), bytes.NewReader(chunk))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("%d-%d", offset, offset+int64(len(chunk))-1))
	resp, body := reg.do(t, req)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH %d bytes at %d on %s: %s", len(chunk), offset, reg.host, httpErr(resp, body))
	}
	if want := fmt.Sprintf("0-%d", offset+int64(len(chunk))-1); resp.Header.Get("Range") != want {
		t.Fatalf("PATCH on %s: Range %q, want %q", reg.host, resp.Header.Get("Range"), want)
	}
	return locationPath(t, resp)
}

// uploadOffset asks where an upload stands (GET on its location) and returns its size.
func uploadOffset(t testing.TB, reg *registry, loc string) int64 {
	t.Helper()
	resp, body := reg.get(t, reg.url("%s", loc))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload status on %s: %s", reg.host, httpErr(resp, body))
	}
	rng := resp.Header.Get("Range")
	if rng == "" {
		return 0
	}
	_, end, ok := strings.Cut(rng, "-")
	n, err := strconv.ParseInt(end, 10, 64)
	if !ok || err != nil {
		t.Fatalf("upload status on %s: Range %q", reg.host, rng)
	}
	return n + 1
}

// finishUpload closes an upload with the digest of data (and a last chunk, if any).
func finishUpload(t testing.TB, reg *registry, loc string, data, last []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	dig := "sha256:" + hex.EncodeToString(sum[:])
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	req, _ := http.NewRequest(http.MethodPut, reg.url("%s%sdigest=%s", loc, sep, dig), bytes.NewReader(last))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, body := reg.do(t, req)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("finish upload on %s: %s", reg.host, httpErr(resp, body))
	}
	return dig
}

func locationPath(t testing.TB, resp *http.Response) string {
	t.Helper()
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("bad Location %q", resp.Header.Get("Location"))
	}
	return loc.RequestURI()
}
