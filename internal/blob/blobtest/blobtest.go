// Package blobtest is the one conformance suite for blob.Store and its UploadStore.
// Every implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return newEmptyStore(t) })
//	}
//
// Each subtest calls open for a fresh, empty store. The suite checks what blob.go
// documents; upload ids are UUIDs, as the registry makes them.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "crypto/sha512" // sha512 digests are valid registry digests
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

// Run runs the conformance suite. open must return a new, empty store each time.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Blobs", blobTests},
		{"Append", appendTests},
		{"Commit", commitTests},
		{"Uploads", uploadTests},
		{"Concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, open(t))
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	fn   func(t *testing.T, s blob.Store)
}

func ctx(t *testing.T) context.Context { return t.Context() }

// NewUploadID returns a random (version 4) UUID, the form of the registry's upload ids.
func NewUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// mustAppend appends data at offset or fails the test.
func mustAppend(t *testing.T, s blob.Store, id string, offset int64, data []byte) {
	t.Helper()
	n, err := s.Uploads().Append(ctx(t), id, offset, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Append(%s, %d, %d bytes): %v", id, offset, len(data), err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Append(%s, %d, %d bytes) = %d, want %d", id, offset, len(data), n, len(data))
	}
}

// newUpload makes an upload holding data and returns its id.
func newUpload(t *testing.T, s blob.Store, data []byte) string {
	t.Helper()
	id := NewUploadID()
	mustAppend(t, s, id, 0, data)
	return id
}

// mustCommit commits an upload as the digest of its first size bytes, data[:size].
func mustCommit(t *testing.T, s blob.Store, id string, data []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(data)
	if err := s.Uploads().Commit(ctx(t), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit(%s, %d, %s): %v", id, len(data), d, err)
	}
	return d
}

// wantUploadData fails the test unless the upload holds exactly want, by Size and by Reader.
func wantUploadData(t *testing.T, what string, s blob.Store, id string, want []byte) {
	t.Helper()
	size, err := s.Uploads().Size(ctx(t), id)
	if err != nil {
		t.Fatalf("%s: Size: %v", what, err)
	}
	if size != int64(len(want)) {
		t.Errorf("%s: Size = %d, want %d", what, size, len(want))
	}
	r, err := s.Uploads().Reader(ctx(t), id)
	if err != nil {
		t.Fatalf("%s: Reader: %v", what, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: reading the upload: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: upload holds %q, want %q", what, clip(got), clip(want))
	}
}

// wantBlob fails the test unless the committed blob d is exactly want, by Stat and by Open.
func wantBlob(t *testing.T, what string, s blob.Store, d digest.Digest, want []byte) {
	t.Helper()
	size, err := s.Stat(ctx(t), d)
	if err != nil {
		t.Fatalf("%s: Stat(%s): %v", what, d, err)
	}
	if size != int64(len(want)) {
		t.Errorf("%s: Stat(%s) = %d, want %d", what, d, size, len(want))
	}
	rc, err := s.Open(ctx(t), d)
	if err != nil {
		t.Fatalf("%s: Open(%s): %v", what, d, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: reading %s: %v", what, d, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: blob %s holds %q, want %q", what, d, clip(got), clip(want))
	}
}

// wantNoUpload fails the test unless the store no longer holds upload id.
func wantNoUpload(t *testing.T, what string, s blob.Store, id string) {
	t.Helper()
	if _, err := s.Uploads().Size(ctx(t), id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("%s: Size(%s) error %v, want ErrNotFound", what, id, err)
	}
	ups, err := s.Uploads().List(ctx(t))
	if err != nil {
		t.Fatalf("%s: List: %v", what, err)
	}
	if slices.ContainsFunc(ups, func(u blob.Upload) bool { return u.ID == id }) {
		t.Errorf("%s: List still shows upload %s", what, id)
	}
}

// clip shortens data for messages.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "…"...)
	}
	return b
}
