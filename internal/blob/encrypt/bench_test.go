package encrypt_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/encrypt"
	"github.com/berth-registry/berth/internal/blob/fs"
	"github.com/opencontainers/go-digest"
)

const benchSize = 64 << 20

// benchStores are plain fs and encrypt(fs), to compare.
func benchStores(b *testing.B) []struct {
	name string
	s    blob.Store
} {
	plain, err := fs.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	enc, _ := newStore(b, b.TempDir(), newMaster(b), encrypt.Options{})
	return []struct {
		name string
		s    blob.Store
	}{{"fs", plain}, {"encrypt-fs", enc}}
}

// BenchmarkPush is Append (one 64 MiB chunk) and Commit.
func BenchmarkPush(b *testing.B) {
	data := make([]byte, benchSize)
	rand.Read(data)
	d := digest.FromBytes(data)
	for _, st := range benchStores(b) {
		b.Run(st.name, func(b *testing.B) {
			b.SetBytes(benchSize)
			for b.Loop() {
				id := blobtest.NewUploadID()
				if _, err := st.s.Uploads().Append(b.Context(), id, 0, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				if err := st.s.Uploads().Commit(b.Context(), id, benchSize, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPull is Open and reading the 64 MiB blob with a 32 KiB buffer, as
// net/http copies a non-file body.
func BenchmarkPull(b *testing.B) {
	data := make([]byte, benchSize)
	rand.Read(data)
	d := digest.FromBytes(data)
	for _, st := range benchStores(b) {
		id := blobtest.NewUploadID()
		if _, err := st.s.Uploads().Append(b.Context(), id, 0, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := st.s.Uploads().Commit(b.Context(), id, benchSize, d); err != nil {
			b.Fatal(err)
		}
		b.Run(st.name, func(b *testing.B) {
			b.SetBytes(benchSize)
			buf := make([]byte, 32<<10)
			b.ReportAllocs()
			for b.Loop() {
				rc, err := st.s.Open(b.Context(), d)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, buf); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}
