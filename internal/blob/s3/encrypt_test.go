package s3_test

import (
	"bytes"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/testutil/s3test"
	"github.com/opencontainers/go-digest"
)

// newEncrypted is encrypt(s3) on a fresh bucket under a new master key.
func newEncrypted(t testing.TB, c s3test.Config) blob.Store {
	t.Helper()
	master := make([]byte, 32)
	rand.Read(master)
	keys, err := encrypt.NewKeys(master, nil)
	if err != nil {
		t.Fatal(err)
	}
	return encrypt.New(newStore(t, c, "enc"), keys, encrypt.Options{})
}

// TestConformanceEncrypted runs the blob store suite on encryption at rest over S3, the
// store berth runs with --blobs s3://.
func TestConformanceEncrypted(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newEncrypted(t, s3test.Start(t)) })
}

// TestEncryptedObjectsAreNotPlaintext reads every object of the bucket (versitygw keeps each
// as a file) after an upload and a commit: none holds the plaintext.
func TestEncryptedObjectsAreNotPlaintext(t *testing.T) {
	c := s3test.Start(t)
	s := newEncrypted(t, c)
	marker := []byte("berth-plaintext-marker-0123456789")
	data := bytes.Repeat(marker, 200_000) // about 6.6 MB: more than one part
	id := blobtest.NewUploadID()
	if n, err := s.Uploads().Append(t.Context(), id, 0, bytes.NewReader(data[:1<<20])); err != nil || n != 1<<20 {
		t.Fatalf("Append = %d, %v", n, err)
	}
	checkNoPlaintext(t, c.Dir, marker, 1) // an upload in progress
	if n, err := s.Uploads().Append(t.Context(), id, 1<<20, bytes.NewReader(data[1<<20:])); err != nil || n != int64(len(data)-1<<20) {
		t.Fatalf("Append = %d, %v", n, err)
	}
	d := digest.FromBytes(data)
	if err := s.Uploads().Commit(t.Context(), id, int64(len(data)), d); err != nil {
		t.Fatal(err)
	}
	checkNoPlaintext(t, c.Dir, marker, 1)
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := make([]byte, len(marker))
	if _, err := rc.Seek(int64(len(marker))*1000+7, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(got); err != nil {
		t.Fatal(err)
	}
	if want := data[len(marker)*1000+7:][:len(marker)]; !bytes.Equal(got, want) {
		t.Fatalf("ranged read of the encrypted blob = %q, want %q", got, want)
	}
}

// checkNoPlaintext fails if a file under dir holds marker, or if fewer than min files exist.
func checkNoPlaintext(t *testing.T, dir string, marker []byte, min int) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(b, marker) {
			t.Errorf("%s holds the plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < min {
		t.Fatalf("%d files under %s, want at least %d", files, dir, min)
	}
}
