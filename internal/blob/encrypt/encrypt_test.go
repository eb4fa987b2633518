package encrypt_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/opencontainers/go-digest"
)

func newMaster(t testing.TB) []byte {
	t.Helper()
	m := make([]byte, 32)
	rand.Read(m)
	return m
}

// newStore returns encrypt(fs) over root with master key m.
func newStore(t testing.TB, root string, m []byte, opts encrypt.Options) (*encrypt.Store, *fs.Store) {
	t.Helper()
	base, err := fs.New(root)
	if err != nil {
		t.Fatalf("fs.New: %v", err)
	}
	keys, err := encrypt.NewKeys(m, nil)
	if err != nil {
		t.Fatalf("NewKeys: %v", err)
	}
	return encrypt.New(base, keys, opts), base
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newStore(t, t.TempDir(), newMaster(t), encrypt.Options{})
		return s
	})
}

func TestConformancePlaintextAES256(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newStore(t, t.TempDir(), newMaster(t), encrypt.Options{PlaintextAES256: true})
		return s
	})
}

// commit stores data through s in chunks cut at odd offsets and returns its digest.
func commit(t *testing.T, s blob.Store, data []byte, cuts ...int) digest.Digest {
	t.Helper()
	id := blobtest.NewUploadID()
	at := 0
	for _, c := range append(cuts, len(data)) {
		if _, err := s.Uploads().Append(t.Context(), id, int64(at), bytes.NewReader(data[at:c])); err != nil {
			t.Fatalf("Append at %d: %v", at, err)
		}
		at = c
	}
	d := digest.FromBytes(data)
	if err := s.Uploads().Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return d
}

func blobFile(root string, d digest.Digest) string {
	return filepath.Join(root, "blobs", string(d.Algorithm()), d.Encoded()[:2], d.Encoded())
}

func TestStoredBytesAreCiphertext(t *testing.T) {
	root := t.TempDir()
	s, _ := newStore(t, root, newMaster(t), encrypt.Options{})
	marker := []byte("PLAINTEXT-MARKER-7f3a")
	data := bytes.Repeat(append(marker, " some layer bytes "...), 5000)
	d := commit(t, s, data, 7, 4099, 33333)

	stored, err := os.ReadFile(blobFile(root, d))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(data)+encrypt.HeaderSize {
		t.Errorf("stored %d bytes, want content %d + header %d", len(stored), len(data), encrypt.HeaderSize)
	}
	if bytes.Contains(stored, marker) {
		t.Errorf("the stored blob contains the plaintext marker %q", marker)
	}
	if size, err := s.Stat(t.Context(), d); err != nil || size != int64(len(data)) {
		t.Errorf("Stat = %d, %v; want %d", size, err, len(data))
	}
}

func TestPlaintextAES256StoresPlaintext(t *testing.T) {
	root := t.TempDir()
	s, _ := newStore(t, root, newMaster(t), encrypt.Options{PlaintextAES256: true})
	data := []byte("PLAINTEXT-MARKER stored as is")
	d := commit(t, s, data)
	stored, err := os.ReadFile(blobFile(root, d))
	if err != nil || !bytes.Equal(stored, data) {
		t.Fatalf("stored %q, %v; want the plaintext", stored, err)
	}
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open of a plaintext blob = %T, want *os.File (sendfile)", rc)
	}
}

func TestRangeReadsAtOddOffsets(t *testing.T) {
	s, _ := newStore(t, t.TempDir(), newMaster(t), encrypt.Options{})
	data := make([]byte, 300_001)
	rand.Read(data)
	d := commit(t, s, data, 1, 17, 4095, 65537)
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cases := []struct {
		off int64
		n   int
	}{{0, 1}, {1, 15}, {15, 2}, {16, 16}, {17, 1000}, {4095, 4097}, {65535, 3}, {299_990, 11}, {123_457, 77_777}, {5, 0}}
	for _, c := range cases {
		if _, err := rc.Seek(c.off, io.SeekStart); err != nil {
			t.Fatalf("Seek(%d): %v", c.off, err)
		}
		got := make([]byte, c.n)
		if _, err := io.ReadFull(rc, got); err != nil {
			t.Fatalf("read %d at %d: %v", c.n, c.off, err)
		}
		if !bytes.Equal(got, data[c.off:c.off+int64(c.n)]) {
			t.Errorf("%d bytes at %d differ from the content", c.n, c.off)
		}
	}
	// Reading on after a range read continues in the right place.
	if _, err := rc.Seek(-20, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(rest, data[len(data)-20:]) {
		t.Errorf("last 20 bytes after Seek(-20, SeekEnd) = %x, %v", rest, err)
	}
	// A section reader (what http.ServeContent uses for a Range) through ReadAt-less Seek+Read.
	if _, err := rc.Seek(99_999, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(io.LimitReader(rc, 3))
	if !bytes.Equal(part, data[99_999:100_002]) {
		t.Errorf("3 bytes at 99999 differ")
	}
}

func TestPlaintextBlobsStayReadable(t *testing.T) {
	root := t.TempDir()
	base, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	// Written before encryption existed: straight to the base store.
	data := bytes.Repeat([]byte("old layer "), 1000)
	d := commit(t, base, data)
	short := []byte("tiny")
	ds := commit(t, base, short)

	s, _ := newStore(t, root, newMaster(t), encrypt.Options{})
	for _, c := range []struct {
		d    digest.Digest
		want []byte
	}{{d, data}, {ds, short}} {
		rc, err := s.Open(t.Context(), c.d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("plaintext blob read as %q, %v", clip(got), err)
		}
		if n, err := s.Stat(t.Context(), c.d); err != nil || n != int64(len(c.want)) {
			t.Errorf("Stat = %d, %v; want %d", n, err, len(c.want))
		}
	}
}

func TestWrongMasterKeyCannotRead(t *testing.T) {
	root := t.TempDir()
	s, _ := newStore(t, root, newMaster(t), encrypt.Options{})
	d := commit(t, s, []byte("secret layer"))
	other, _ := newStore(t, root, newMaster(t), encrypt.Options{})
	if rc, err := other.Open(t.Context(), d); err == nil {
		rc.Close()
		t.Errorf("Open with another master key succeeded")
	}
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func TestSealPayload(t *testing.T) {
	keys, err := encrypt.NewKeys(newMaster(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"schemaVersion":2,"PLAINTEXT-MARKER":true}`)
	ad := []byte("sha256:abc")
	sealed, err := encrypt.SealPayload(t.Context(), keys, encrypt.AES256, payload, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("PLAINTEXT-MARKER")) || !encrypt.IsSealed(sealed) {
		t.Errorf("sealed payload shows its plaintext or lacks the magic: %q", sealed)
	}
	got, err := encrypt.OpenPayload(t.Context(), keys, sealed, ad)
	if err != nil || !bytes.Equal(got, payload) {
		t.Errorf("OpenPayload = %q, %v", got, err)
	}
	if _, err := encrypt.OpenPayload(t.Context(), keys, sealed, []byte("sha256:other")); err == nil {
		t.Errorf("OpenPayload with other associated data succeeded")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := encrypt.OpenPayload(t.Context(), keys, tampered, ad); err == nil {
		t.Errorf("OpenPayload of a tampered payload succeeded")
	}
	if got, err := encrypt.OpenPayload(t.Context(), keys, payload, ad); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("OpenPayload of a plaintext payload = %q, %v; want it as it is", got, err)
	}
}

// TestServeContentRanges serves an encrypted blob as the /v2 handler does
// (http.ServeContent) and asks for byte ranges at odd offsets.
func TestServeContentRanges(t *testing.T) {
	s, _ := newStore(t, t.TempDir(), newMaster(t), encrypt.Options{})
	data := make([]byte, 1<<20+13)
	rand.Read(data)
	d := commit(t, s, data, 999)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, err := s.Open(r.Context(), d)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rc.Close()
		http.ServeContent(w, r, "", time.Time{}, rc)
	}))
	defer srv.Close()
	for _, c := range []struct{ from, to int }{{0, 0}, {1, 30}, {17, 17}, {4095, 70000}, {1 << 20, 1<<20 + 12}, {333_333, 777_777}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", c.from, c.to))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[c.from:c.to+1]) {
			t.Errorf("Range bytes=%d-%d: %s, %d bytes, %v; want 206 with the content's bytes", c.from, c.to, resp.Status, len(got), err)
		}
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) || resp.ContentLength != int64(len(data)) {
		t.Errorf("whole blob: %d bytes (Content-Length %d), want the content", len(got), resp.ContentLength)
	}
}
