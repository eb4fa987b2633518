package blobtest

import (
	"crypto/sha256"
	"hash"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

var concurrencyTests = []test{
	{"ConcurrentCommitsOfOneDigest", testConcurrentCommits},
	{"StreamLargeUploadInSmallPieces", testStreamLarge},
}

func testConcurrentCommits(t *testing.T, s blob.Store) {
	data := make([]byte, 256<<10)
	rand.NewChaCha8([32]byte{7}).Read(data)
	const n = 8
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newUpload(t, s, data)
	}
	d := digest.FromBytes(data)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Uploads().Commit(ctx(t), ids[i], int64(len(data)), d)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Commit %d of the same digest: %v", i, err)
		}
	}
	wantBlob(t, "after concurrent commits", s, d, data)
	for _, id := range ids {
		wantNoUpload(t, "after concurrent commits", s, id)
	}
}

// pieces is an endless, repeatable stream that returns at most a few KiB per Read, as
// a network body does, and hashes everything it returns.
type pieces struct {
	pattern []byte
	pos     int
	reads   int
	sum     hash.Hash
}

func newPieces() *pieces {
	// An odd length, so the pattern never lines up with a power-of-two buffer.
	p := make([]byte, 1<<20+7)
	rand.NewChaCha8([32]byte{42}).Read(p)
	return &pieces{pattern: p, sum: sha256.New()}
}

func (p *pieces) Read(b []byte) (int, error) {
	p.reads++
	n := min(len(b), 1+(p.reads*7919)%4096, len(p.pattern)-p.pos)
	copy(b, p.pattern[p.pos:p.pos+n])
	p.sum.Write(b[:n])
	p.pos = (p.pos + n) % len(p.pattern)
	return n, nil
}

func testStreamLarge(t *testing.T, s blob.Store) {
	const size = 64 << 20
	src := newPieces()
	id := NewUploadID()
	n, err := s.Uploads().Append(ctx(t), id, 0, io.LimitReader(src, size))
	if err != nil || n != size {
		t.Fatalf("Append(64 MiB in small pieces) = %d, %v; want %d", n, err, size)
	}
	if got, err := s.Uploads().Size(ctx(t), id); err != nil || got != size {
		t.Fatalf("Size = %d, %v; want %d", got, err, size)
	}
	d := digest.NewDigest(digest.SHA256, src.sum)
	if err := s.Uploads().Commit(ctx(t), id, size, d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got, err := s.Stat(ctx(t), d); err != nil || got != size {
		t.Fatalf("Stat = %d, %v; want %d", got, err, size)
	}
	rc, err := s.Open(ctx(t), d)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	v := digest.SHA256.Digester()
	if n, err := io.Copy(v.Hash(), rc); err != nil || n != size {
		t.Fatalf("reading the blob back = %d bytes, %v", n, err)
	}
	if got := v.Digest(); got != d {
		t.Errorf("the blob read back has digest %s, want %s: bytes were lost, reordered or changed", got, d)
	}
}
