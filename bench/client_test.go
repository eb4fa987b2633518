package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeRegistry is the least of the distribution API the client uses: uploads (monolithic and
// chunked), blob HEAD/GET, and a tags list paginated with Link headers. It checks the
// Authorization header on every request.
type fakeRegistry struct {
	t        *testing.T
	auth     string
	pageSize int
	mu       sync.Mutex
	uploads  map[string][]byte
	blobs    map[string][]byte
	tags     []string
	requests map[string]int
}

func newFakeRegistry(t *testing.T, auth string) (*fakeRegistry, *httptest.Server) {
	f := &fakeRegistry{t: t, auth: auth, pageSize: 2, uploads: map[string][]byte{}, blobs: map[string][]byte{}, requests: map[string]int{}}
	return f, httptest.NewServer(f)
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[r.Method]++
	if r.Header.Get("Authorization") != f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/blobs/uploads/"):
		id := strconv.Itoa(len(f.uploads) + 1)
		f.uploads[id] = nil
		w.Header().Set("Location", "/upload/"+id+"?state=x")
		w.WriteHeader(http.StatusAccepted)
	case strings.HasPrefix(p, "/upload/"):
		id := strings.TrimPrefix(p, "/upload/")
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPatch {
			var start, end int
			if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "%d-%d", &start, &end); err != nil ||
				start != len(f.uploads[id]) || end-start+1 != len(body) {
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
				return
			}
		}
		f.uploads[id] = append(f.uploads[id], body...)
		if r.Method == http.MethodPatch {
			w.Header().Set("Location", "/upload/"+id+"?state=y")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		sum := sha256.Sum256(f.uploads[id])
		if d := "sha256:" + hex.EncodeToString(sum[:]); d != r.URL.Query().Get("digest") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.blobs[r.URL.Query().Get("digest")] = f.uploads[id]
		w.WriteHeader(http.StatusCreated)
	case strings.Contains(p, "/blobs/"):
		b, ok := f.blobs[p[strings.LastIndex(p, "/")+1:]]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	case strings.HasSuffix(p, "/tags/list"):
		last := r.URL.Query().Get("last")
		start := 0
		for i, tag := range f.tags {
			if tag == last {
				start = i + 1
			}
		}
		end := min(start+f.pageSize, len(f.tags))
		if end < len(f.tags) {
			w.Header().Set("Link", fmt.Sprintf(`<%s?last=%s&n=%d>; rel="next"`, p, f.tags[end-1], f.pageSize))
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "r", "tags": f.tags[start:end]})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestClientPushesPullsAndLists(t *testing.T) {
	const auth = "Basic QVdTOnNlY3JldA=="
	f, srv := newFakeRegistry(t, auth)
	defer srv.Close()
	c := newClient(auth, srv.URL)
	ctx := context.Background()
	rnd := newRand()
	shared := randomBytes(rnd, 10000)
	blobs := makeLargeBlobs(rnd, shared, 2, 10000)
	if blobs[0].digest == blobs[1].digest {
		t.Fatal("two large blobs share a digest")
	}
	if err := c.pushMonolithic(ctx, "r", blobs[0], true); err != nil {
		t.Fatalf("pushMonolithic: %v", err)
	}
	if err := c.pushChunked(ctx, "r", blobs[1], 3000); err != nil {
		t.Fatalf("pushChunked: %v", err)
	}
	if f.requests[http.MethodPatch] != 4 {
		t.Errorf("%d PATCHes for 10000 bytes in 3000-byte chunks, want 4", f.requests[http.MethodPatch])
	}
	for _, b := range blobs {
		if err := c.pullBlob(ctx, "r", b, true); err != nil {
			t.Errorf("pullBlob: %v", err)
		}
	}
	if ok, err := c.blobExists(ctx, "r", "sha256:"+strings.Repeat("0", 64)); ok || err != nil {
		t.Errorf("blobExists of a missing blob = %v, %v; want false, nil", ok, err)
	}
	wrong := blob{size: 10000, digest: "sha256:" + strings.Repeat("1", 64)}
	f.blobs[wrong.digest] = shared
	if err := c.pullBlob(ctx, "r", wrong, true); err == nil {
		t.Error("pullBlob did not notice a digest mismatch")
	}
	f.tags = []string{"a", "b", "c", "d", "e"}
	items, pages, err := c.listAll(ctx, "/v2/r/tags/list", "tags")
	if err != nil || items != 5 || pages != 3 {
		t.Errorf("listAll = %d items in %d pages, %v; want 5 in 3", items, pages, err)
	}
	if err := newClient("", srv.URL).ping(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("ping without credentials = %v, want a 401 error", err)
	}
}

func TestSmallImagesAndECRSet(t *testing.T) {
	rnd := newRand()
	imgs := makeSmallImages(rnd, 3, 3, 64)
	seen := map[string]bool{}
	for i, img := range imgs {
		if img.tag != fmt.Sprintf("t%05d", i) || len(img.blobs) != 4 || seen[img.digest] {
			t.Fatalf("image %d: tag %s, %d blobs, digest repeated %v", i, img.tag, len(img.blobs), seen[img.digest])
		}
		seen[img.digest] = true
		var m struct {
			Config descriptor   `json:"config"`
			Layers []descriptor `json:"layers"`
		}
		if err := json.Unmarshal(img.manifest, &m); err != nil || m.Config.Digest != img.blobs[0].digest || len(m.Layers) != 3 {
			t.Fatalf("image %d: manifest %s (%v)", i, img.manifest, err)
		}
	}
	set := makeECRImageSet(rnd)
	tag0, m0 := set.manifest(0)
	tag1, m1 := set.manifest(1)
	if tag0 != "i00000" || tag1 != "i00001" || sha256Digest(m0) == sha256Digest(m1) {
		t.Errorf("ECR images %s and %s are not distinct", tag0, tag1)
	}
}
