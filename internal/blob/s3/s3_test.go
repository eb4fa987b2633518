package s3_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/s3"
	"github.com/berth-registry/berth/internal/testutil/s3test"
	"github.com/opencontainers/go-digest"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, s3test.Start(t), "") })
}

func TestConformanceUnderPrefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, s3test.Start(t), "some/prefix") })
}

// storeConfig is the store configuration of a test bucket.
func storeConfig(c s3test.Config, prefix string) s3.Config {
	return s3.Config{
		Bucket:     c.Bucket,
		Prefix:     prefix,
		Endpoint:   c.Endpoint,
		Region:     c.Region,
		AccessKey:  c.AccessKey,
		SecretKey:  c.SecretKey,
		PathStyle:  true,
		MaxBackoff: 50 * time.Millisecond,
	}
}

func newStore(t testing.TB, c s3test.Config, prefix string) *s3.Store {
	t.Helper()
	s, err := s3.New(t.Context(), storeConfig(c, prefix))
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	return s
}

// appendChunk appends data at offset or fails the test.
func appendChunk(t *testing.T, s blob.UploadStore, id string, offset int64, data []byte) {
	t.Helper()
	n, err := s.Append(t.Context(), id, offset, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Append(%d bytes at %d) = %d, %v", len(data), offset, n, err)
	}
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// readAll reads the blob d back whole.
func readAll(t *testing.T, s blob.Store, d digest.Digest) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open(%s): %v", d, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", d, err)
	}
	return got
}

// filesUnder lists the files under dir, relative to it.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

// TestCommitOfChunksAroundASmallOne commits chunks of 8, 3 and 10 MiB: S3 refuses a
// 3 MiB part that is not the last, so it is streamed together with the front of the
// next chunk while the large chunks are copied on the server.
func TestCommitOfChunksAroundASmallOne(t *testing.T) {
	c := s3test.Start(t)
	s := newStore(t, c, "reg")
	sizes := []int{8 << 20, 3 << 20, 10 << 20}
	var data []byte
	id := blobtest.NewUploadID()
	for i, n := range sizes {
		chunk := randomBytes(n, byte(i))
		appendChunk(t, s, id, int64(len(data)), chunk)
		data = append(data, chunk...)
	}
	d := digest.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, d); !bytes.Equal(got, data) {
		t.Fatalf("the committed blob differs from the %d bytes appended (read %d bytes)", len(data), len(got))
	}
	// On disk: the blob at its content address under the prefix, nothing else.
	want := filepath.Join("reg", "blobs", "sha256", d.Encoded()[:2], d.Encoded())
	if files := filesUnder(t, c.Dir); !slices.Equal(files, []string{want}) {
		t.Errorf("bucket holds %q, want only %q", files, want)
	}
}

// TestCommitTruncatingAcrossChunks commits fewer bytes than appended, ending inside a
// large chunk after a small one.
func TestCommitTruncatingAcrossChunks(t *testing.T) {
	s := newStore(t, s3test.Start(t), "")
	data := randomBytes(1<<20+(12<<20), 9)
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, data[:1<<20])
	appendChunk(t, s, id, 1<<20, data[1<<20:])
	size := len(data) - 100
	d := digest.FromBytes(data[:size])
	if err := s.Commit(t.Context(), id, int64(size), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, d); !bytes.Equal(got, data[:size]) {
		t.Fatalf("the committed blob differs from the first %d bytes appended", size)
	}
}

// TestAppendCutsALargeChunk appends at an offset inside an earlier 9 MiB chunk, as
// after a chunk whose success the registry did not record.
func TestAppendCutsALargeChunk(t *testing.T) {
	s := newStore(t, s3test.Start(t), "")
	first := randomBytes(9<<20, 1)
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, first)
	cut := int64(6<<20 + 5)
	second := randomBytes(1000, 2)
	appendChunk(t, s, id, cut, second)
	want := append(slices.Clip(first[:cut]), second...)
	if n, err := s.Size(t.Context(), id); err != nil || n != int64(len(want)) {
		t.Fatalf("Size = %d, %v; want %d", n, err, len(want))
	}
	d := digest.FromBytes(want)
	if err := s.Commit(t.Context(), id, int64(len(want)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, d); !bytes.Equal(got, want) {
		t.Fatalf("the committed blob differs from the data kept")
	}
}

// countingTransport counts the GET requests it sends.
type countingTransport struct {
	gets atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		c.gets.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestRangeReads reads ranges through Open and Seek, and through http.ServeContent
// as the blob GET handler does: each contiguous read is one GET, whatever the size
// of the reads.
func TestRangeReads(t *testing.T) {
	c := s3test.Start(t)
	var tr countingTransport
	cfg := storeConfig(c, "")
	cfg.HTTPClient = &http.Client{Transport: &tr}
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(3<<20+17, 3)
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, data)
	d := digest.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if end, err := rc.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("Seek(0, SeekEnd) = %d, %v", end, err)
	}
	ranges := []struct{ at, n int64 }{{1 << 20, 1 << 20}, {0, 10}, {int64(len(data)) - 5, 5}, {12345, 2 << 20}}
	for _, r := range ranges {
		before := tr.gets.Load()
		if _, err := rc.Seek(r.at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, r.n)
		// Small reads, as io.Copy and ServeContent make.
		for off := 0; off < len(got); {
			n, err := rc.Read(got[off:min(off+32<<10, len(got))])
			off += n
			if err != nil && off < len(got) {
				t.Fatalf("read at %d: %v", r.at+int64(off), err)
			}
		}
		if !bytes.Equal(got, data[r.at:r.at+r.n]) {
			t.Errorf("%d bytes at %d differ from the data", r.n, r.at)
		}
		if gets := tr.gets.Load() - before; gets != 1 {
			t.Errorf("reading %d bytes at %d took %d GETs, want 1", r.n, r.at, gets)
		}
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, err := s.Open(r.Context(), d)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rc.Close()
		// Set, as the blob handler does: ServeContent would otherwise read the
		// start of the blob to guess it.
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, rc)
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	req.Header.Set("Range", "bytes=1000-2999")
	before := tr.gets.Load()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:3000]) {
		t.Errorf("ServeContent of bytes=1000-2999 = %s, %d bytes, %v; want 206 and the 2000 bytes", resp.Status, len(body), err)
	}
	if gets := tr.gets.Load() - before; gets != 1 {
		t.Errorf("ServeContent of a range took %d GETs from S3, want 1", gets)
	}
}

func TestRedirectURL(t *testing.T) {
	s := newStore(t, s3test.Start(t), "p")
	data := []byte("fetched straight from the bucket")
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, data)
	d := digest.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	get := func(u string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET presigned URL: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	u, err := s.RedirectURL(t.Context(), d, 20*time.Minute)
	if err != nil {
		t.Fatalf("RedirectURL: %v", err)
	}
	if code, body := get(u); code != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("GET %s = %d %q, want 200 %q", u, code, body, data)
	}

	short, err := s.RedirectURL(t.Context(), d, time.Second)
	if err != nil {
		t.Fatalf("RedirectURL: %v", err)
	}
	time.Sleep(2 * time.Second)
	if code, _ := get(short); code != http.StatusForbidden {
		t.Errorf("GET of a presigned URL after it expired = %d, want 403", code)
	}
}

// TestAnotherReplicaContinuesAnUpload: nothing of an upload is kept in a Store, so a
// second one (another replica) continues what the first started.
func TestAnotherReplicaContinuesAnUpload(t *testing.T) {
	c := s3test.Start(t)
	first, second := newStore(t, c, "x"), newStore(t, c, "x")
	data := randomBytes(6<<20, 4)
	id := blobtest.NewUploadID()
	appendChunk(t, first, id, 0, data[:100])
	appendChunk(t, second, id, 100, data[100:5<<20])
	if n, err := first.Size(t.Context(), id); err != nil || n != 5<<20 {
		t.Fatalf("Size through the first store = %d, %v; want %d", n, err, 5<<20)
	}
	appendChunk(t, first, id, 5<<20, data[5<<20:])
	d := digest.FromBytes(data)
	if err := second.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit through the second store: %v", err)
	}
	if got := readAll(t, first, d); !bytes.Equal(got, data) {
		t.Errorf("the blob read through the first store differs")
	}
}

// flakyProxy forwards to an S3 server but answers 503 SlowDown, as S3 does under
// load: to the first attempt of every distinct request when failFirst is set, and to
// every request while failAll is.
type flakyProxy struct {
	next      http.Handler
	failFirst bool
	failAll   atomic.Bool
	// status and code make the error answered (default 503 SlowDown), to requests of
	// method only if it is set.
	status int
	code   string
	method string

	mu     sync.Mutex
	seen   map[string]bool // requests failed once
	failed map[string]int  // operation (method and query keys) -> 503s sent
}

func (p *flakyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A retry repeats the method, URL and headers that select the data, not the
	// signature's date.
	req := r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("X-Amz-Copy-Source") + " " + r.Header.Get("Range")
	q := r.URL.Query()
	q.Del("x-id") // the SDK names some operations so
	op := r.Method + " " + strings.Join(slices.Sorted(maps.Keys(q)), "&")
	if r.Header.Get("X-Amz-Copy-Source") != "" {
		op += " (copy)"
	}
	p.mu.Lock()
	fail := (p.failAll.Load() || (p.failFirst && !p.seen[req])) && (p.method == "" || r.Method == p.method)
	if fail {
		p.seen[req] = true
		p.failed[op]++
	}
	p.mu.Unlock()
	if !fail {
		p.next.ServeHTTP(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	if p.status != 0 {
		w.WriteHeader(p.status)
		io.WriteString(w, `<Error><Code>`+p.code+`</Code><Message>injected</Message></Error>`)
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
}

func newFlakyStore(t *testing.T, c s3test.Config, failFirst bool) (*s3.Store, *flakyProxy) {
	t.Helper()
	target, err := url.Parse(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{next: httputil.NewSingleHostReverseProxy(target), failFirst: failFirst,
		seen: map[string]bool{}, failed: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c.Endpoint = srv.URL
	return newStore(t, c, ""), p
}

// TestRetriesOnVanishedDirectory: versitygw's posix backend answers a PUT whose parent
// directory another request just pruned with 409 ExistingObjectIsDirectory; the store
// retries it.
func TestRetriesOnVanishedDirectory(t *testing.T) {
	s, p := newFlakyStore(t, s3test.Start(t), true)
	p.status, p.code, p.method = http.StatusConflict, "ExistingObjectIsDirectory", http.MethodPut
	data := randomBytes(4096, 9)
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, data)
	if err := s.Commit(t.Context(), id, int64(len(data)), digest.FromBytes(data)); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed["PUT "] == 0 {
		t.Fatalf("no PUT was answered 409 (failed: %v): the test tested nothing", p.failed)
	}
}

// TestRetriesOn503: every request of a push in chunks, its commit, a read and an
// abort fails once with 503 and succeeds when retried.
func TestRetriesOn503(t *testing.T) {
	s, p := newFlakyStore(t, s3test.Start(t), true)
	// 9 MiB is a multipart chunk upload; the 2 MiB chunk is streamed into a part at
	// commit with the front of the last one.
	sizes := []int{9 << 20, 2 << 20, 6 << 20}
	var data []byte
	id := blobtest.NewUploadID()
	for i, n := range sizes {
		chunk := randomBytes(n, byte(i))
		appendChunk(t, s, id, int64(len(data)), chunk)
		data = append(data, chunk...)
	}
	d := digest.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, d); !bytes.Equal(got, data) {
		t.Errorf("the blob read back differs from the data appended")
	}
	abandoned := blobtest.NewUploadID()
	appendChunk(t, s, abandoned, 0, []byte("abandoned"))
	if err := s.Abort(t.Context(), abandoned); err != nil {
		t.Errorf("Abort: %v", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	for _, op := range []string{
		"GET list-type&prefix",           // ListObjectsV2
		"PUT ",                           // PutObject
		"POST uploads",                   // CreateMultipartUpload
		"PUT partNumber&uploadId",        // UploadPart
		"POST uploadId",                  // CompleteMultipartUpload
		"HEAD ",                          // HeadObject
		"PUT partNumber&uploadId (copy)", // UploadPartCopy
		"GET ",                           // GetObject
		"POST delete",                    // DeleteObjects
	} {
		if p.failed[op] == 0 {
			t.Errorf("no %q request was failed: %v", op, p.failed)
		}
	}
}

// TestAppendFailingOnEveryTry: when S3 keeps failing, Append gives up with an error
// and the upload has not changed.
func TestAppendFailingOnEveryTry(t *testing.T) {
	s, p := newFlakyStore(t, s3test.Start(t), false)
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, []byte("kept"))
	p.failAll.Store(true)
	n, err := s.Append(t.Context(), id, 4, bytes.NewReader(randomBytes(6<<20, 6)))
	if err == nil || n != 0 {
		t.Errorf("Append while S3 answers 503 = %d, %v; want 0 and an error", n, err)
	}
	p.failAll.Store(false)
	if size, err := s.Size(t.Context(), id); err != nil || size != 4 {
		t.Errorf("Size after the failed Append = %d, %v; want 4", size, err)
	}
}

// TestInvalidUploadIDsAreRefused: an id that would reach outside its own key prefix
// is refused by every operation, and touches nothing.
func TestInvalidUploadIDsAreRefused(t *testing.T) {
	c := s3test.Start(t)
	s := newStore(t, c, "")
	keep := blobtest.NewUploadID()
	appendChunk(t, s, keep, 0, []byte("kept"))
	d := digest.FromString("x")
	ops := []struct {
		name string
		call func(id string) error
	}{
		{"Append", func(id string) error {
			_, err := s.Append(t.Context(), id, 0, bytes.NewReader([]byte("x")))
			return err
		}},
		{"Reader", func(id string) error {
			r, err := s.Reader(t.Context(), id)
			if err == nil {
				r.Close()
			}
			return err
		}},
		{"Size", func(id string) error { _, err := s.Size(t.Context(), id); return err }},
		{"Commit", func(id string) error { return s.Commit(t.Context(), id, 4, d) }},
		{"Abort", func(id string) error { return s.Abort(t.Context(), id) }},
	}
	for _, op := range ops {
		for _, id := range []string{"", ".", "..", "a/b", "../" + keep, keep + "/x", `a\b`} {
			if err := op.call(id); err == nil {
				t.Errorf("%s(%q) succeeded, want the id refused", op.name, id)
			}
		}
	}
	if n, err := s.Size(t.Context(), keep); err != nil || n != 4 {
		t.Errorf("Size of the other upload = %d, %v; want 4", n, err)
	}
	if ups, err := s.List(t.Context()); err != nil || len(ups) != 1 || ups[0].ID != keep {
		t.Errorf("List = %+v, %v; want only %s", ups, err, keep)
	}
}

// TestChunksBeyondAGapAreIgnored: a chunk that does not follow the ones before it (as
// an interrupted truncation can leave) is not part of the upload, and the next Append
// removes it.
func TestChunksBeyondAGapAreIgnored(t *testing.T) {
	c := s3test.Start(t)
	s := newStore(t, c, "")
	id := blobtest.NewUploadID()
	appendChunk(t, s, id, 0, []byte("hello"))
	// versitygw keeps an object as a file at its key.
	stray := filepath.Join(c.Dir, "uploads", id, fmt.Sprintf("%020d", 100))
	if err := os.WriteFile(stray, []byte("stray"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(t.Context(), id); err != nil || n != 5 {
		t.Fatalf("Size with a chunk beyond a gap = %d, %v; want 5", n, err)
	}
	appendChunk(t, s, id, 5, []byte(" world"))
	if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the chunk beyond the gap is still there after an Append: %v", err)
	}
	data := []byte("hello world")
	d := digest.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, d); !bytes.Equal(got, data) {
		t.Errorf("blob = %q, want %q", got, data)
	}
}
