package fs_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/opencontainers/go-digest"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, t.TempDir()) })
}

func newStore(t *testing.T, root string) *fs.Store {
	t.Helper()
	s, err := fs.New(root)
	if err != nil {
		t.Fatalf("New(%s): %v", root, err)
	}
	return s
}

// commit stores data as a blob through an upload and returns its digest.
func commit(t *testing.T, s *fs.Store, data []byte, alg digest.Algorithm) digest.Digest {
	t.Helper()
	id := blobtest.NewUploadID()
	if _, err := s.Append(t.Context(), id, 0, bytes.NewReader(data)); err != nil {
		t.Fatalf("Append: %v", err)
	}
	d := alg.FromBytes(data)
	if err := s.Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return d
}

// uploadsLeft lists the entries under <root>/uploads.
func uploadsLeft(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "uploads"))
	if err != nil {
		t.Fatalf("read uploads dir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOpenReturnsOSFile(t *testing.T) {
	s := newStore(t, t.TempDir())
	d := commit(t, s, []byte("served with sendfile"), digest.SHA256)
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open returned a %T, want an *os.File so that serving uses sendfile", rc)
	}
}

func TestCommittedBlobLayout(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		t.Run(string(alg), func(t *testing.T) {
			data := []byte("laid out by " + string(alg))
			d := commit(t, s, data, alg)
			hex := d.Encoded()
			p := filepath.Join(root, "blobs", string(alg), hex[:2], hex)
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("the committed blob is not at %s: %v", p, err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%s holds %q, want %q", p, got, data)
			}
		})
	}
	if left := uploadsLeft(t, root); len(left) != 0 {
		t.Errorf("uploads/ after commits holds %q, want nothing", left)
	}
}

func TestCommitLeavesNothingInUploads(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	data := []byte("hello world")
	cases := []struct {
		name string
		size int
	}{
		{"whole", len(data)},
		{"same content again", len(data)},
		{"truncated", 5},
		{"empty", 0},
	}
	for _, c := range cases {
		id := blobtest.NewUploadID()
		if _, err := s.Append(t.Context(), id, 0, bytes.NewReader(data)); err != nil {
			t.Fatalf("%s: Append: %v", c.name, err)
		}
		if err := s.Commit(t.Context(), id, int64(c.size), digest.FromBytes(data[:c.size])); err != nil {
			t.Fatalf("%s: Commit: %v", c.name, err)
		}
		if left := uploadsLeft(t, root); len(left) != 0 {
			t.Errorf("%s: uploads/ after Commit holds %q, want nothing", c.name, left)
		}
	}
}

func TestInvalidUploadIDsAreRefused(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	// Something an escaping id could reach.
	outside := filepath.Join(root, "escape")
	if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := blobtest.NewUploadID()
	if _, err := s.Append(t.Context(), keep, 0, bytes.NewReader([]byte("kept"))); err != nil {
		t.Fatalf("Append: %v", err)
	}
	d := digest.FromString("x")

	ids := []string{"", ".", "..", "a/b", "../escape", "../blobs", "/abs", `a\b`, `..\escape`}
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
		{"Commit", func(id string) error { return s.Commit(t.Context(), id, 1, d) }},
		{"Abort", func(id string) error { return s.Abort(t.Context(), id) }},
	}
	for _, op := range ops {
		for _, id := range ids {
			if err := op.call(id); err == nil {
				t.Errorf("%s(%q) succeeded, want the id refused", op.name, id)
			}
		}
	}

	// Nothing moved outside uploads/, and uploads/ itself is intact.
	if got, err := os.ReadFile(outside); err != nil || string(got) != "keep me" {
		t.Errorf("a file beside the store = %q, %v; want it untouched", got, err)
	}
	if left := uploadsLeft(t, root); !slices.Equal(left, []string{keep}) {
		t.Errorf("uploads/ holds %q, want only %s", left, keep)
	}
	if _, err := os.Stat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Errorf("an invalid id created %s: %v", filepath.Join(root, "a"), err)
	}
	if _, err := s.Stat(t.Context(), d); err == nil {
		t.Errorf("a refused Commit made blob %s", d)
	}
}

func TestAnotherStoreOnTheSameRootSeesEverything(t *testing.T) {
	root := t.TempDir()
	first := newStore(t, root)
	data := []byte("written by one replica")
	d := commit(t, first, data, digest.SHA256)
	id := blobtest.NewUploadID()
	if _, err := first.Append(t.Context(), id, 0, bytes.NewReader([]byte("half"))); err != nil {
		t.Fatalf("Append: %v", err)
	}

	second := newStore(t, root) // New on an existing root keeps what is there
	rc, err := second.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open through a second store: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("blob through a second store = %q, %v; want %q", got, err, data)
	}
	if _, err := second.Append(t.Context(), id, 4, bytes.NewReader([]byte(" more"))); err != nil {
		t.Fatalf("continuing an upload through a second store: %v", err)
	}
	if n, err := first.Size(t.Context(), id); err != nil || n != 9 {
		t.Errorf("Size through the first store = %d, %v; want 9", n, err)
	}
}
