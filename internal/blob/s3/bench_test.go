package s3_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/testutil/s3test"
	"github.com/opencontainers/go-digest"
)

const benchSize = 64 << 20

// BenchmarkAppendCommit pushes a 64 MiB blob in one Append (a multipart upload of
// 8 MiB parts) and commits it (a server-side copy); the blob is deleted untimed after
// each round, so that every Commit copies.
func BenchmarkAppendCommit(b *testing.B) {
	s := newStore(b, s3test.Start(b), "")
	data := randomBytes(benchSize, 1)
	d := digest.FromBytes(data)
	b.SetBytes(benchSize)
	for b.Loop() {
		id := blobtest.NewUploadID()
		if _, err := s.Append(b.Context(), id, 0, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(b.Context(), id, benchSize, d); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Delete(b.Context(), d); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkOpenRead reads a 64 MiB blob back as a blob GET does.
func BenchmarkOpenRead(b *testing.B) {
	s := newStore(b, s3test.Start(b), "")
	data := randomBytes(benchSize, 2)
	id := blobtest.NewUploadID()
	if _, err := s.Append(b.Context(), id, 0, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	d := digest.FromBytes(data)
	if err := s.Commit(b.Context(), id, benchSize, d); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10) // io.Copy's buffer
	b.SetBytes(benchSize)
	for b.Loop() {
		rc, err := s.Open(b.Context(), d)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, buf)
		rc.Close()
		if err != nil || n != benchSize {
			b.Fatalf("read %d bytes, %v", n, err)
		}
	}
}
