package blobtest

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

var blobTests = []test{
	{"AbsentBlob", testAbsentBlob},
	{"DeleteBlob", testDeleteBlob},
}

var commitTests = []test{
	{"CommitMakesBlobReadable", testCommitReadable},
	{"OpenSeeks", testOpenSeeks},
	{"CommitEmptyBlob", testCommitEmpty},
	{"CommitSHA512", testCommitSHA512},
	{"CommitExistingContent", testCommitExisting},
	{"CommitTruncatesToSize", testCommitTruncates},
	{"CommitBeyondTheDataFails", testCommitBeyondData},
	{"CommitAbsentUploadFails", testCommitAbsent},
}

var uploadTests = []test{
	{"AbortIsIdempotent", testAbort},
	{"List", testList},
}

func testAbsentBlob(t *testing.T, s blob.Store) {
	for _, d := range []digest.Digest{
		digest.FromString("absent"),
		digest.SHA512.FromString("absent"),
	} {
		if rc, err := s.Open(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("Open(%s) of an absent blob: error %v, want ErrNotFound", d, err)
		}
		if _, err := s.Stat(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat(%s) of an absent blob: error %v, want ErrNotFound", d, err)
		}
		if err := s.Delete(ctx(t), d); err != nil {
			t.Errorf("Delete(%s) of an absent blob: %v, want nil", d, err)
		}
	}
}

func testDeleteBlob(t *testing.T, s blob.Store) {
	doomed := []byte("doomed")
	kept := []byte("kept")
	d := mustCommit(t, s, newUpload(t, s, doomed), doomed)
	k := mustCommit(t, s, newUpload(t, s, kept), kept)
	if err := s.Delete(ctx(t), d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after Delete: error %v, want ErrNotFound", err)
	}
	if rc, err := s.Open(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Open after Delete: error %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx(t), d); err != nil {
		t.Errorf("Delete twice: %v, want nil", err)
	}
	wantBlob(t, "the other blob after Delete", s, k, kept)

	// Deleted content can be committed again.
	d2 := mustCommit(t, s, newUpload(t, s, doomed), doomed)
	wantBlob(t, "content committed again after Delete", s, d2, doomed)
}

func testCommitReadable(t *testing.T, s blob.Store) {
	data := []byte("the quick brown fox jumps over the lazy dog\n\x00\xff")
	id := NewUploadID()
	mustAppend(t, s, id, 0, data[:10])
	mustAppend(t, s, id, 10, data[10:])
	d := mustCommit(t, s, id, data)
	wantBlob(t, "after Commit", s, d, data)
	wantNoUpload(t, "after Commit", s, id)
	if r, err := s.Uploads().Reader(ctx(t), id); err == nil {
		r.Close()
		t.Errorf("Reader of a committed upload succeeded")
	}
	// The id is free again.
	mustAppend(t, s, id, 0, []byte("new"))
	wantUploadData(t, "an upload reusing a committed id", s, id, []byte("new"))
	wantBlob(t, "after reusing its upload id", s, d, data)
}

func testOpenSeeks(t *testing.T, s blob.Store) {
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	d := mustCommit(t, s, newUpload(t, s, data), data)
	rc, err := s.Open(ctx(t), d)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()

	end, err := rc.Seek(0, io.SeekEnd)
	if err != nil || end != int64(len(data)) {
		t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, len(data))
	}
	cases := []struct {
		offset int64
		whence int
		at     int64 // where the read starts
		n      int
	}{
		{0, io.SeekStart, 0, 10},
		{12345, io.SeekStart, 12345, 1000},
		{-10, io.SeekEnd, int64(len(data)) - 10, 10},
	}
	for _, c := range cases {
		pos, err := rc.Seek(c.offset, c.whence)
		if err != nil || pos != c.at {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", c.offset, c.whence, pos, err, c.at)
		}
		got := make([]byte, c.n)
		if _, err := io.ReadFull(rc, got); err != nil {
			t.Fatalf("read %d bytes at %d: %v", c.n, c.at, err)
		}
		if want := data[c.at : c.at+int64(c.n)]; !slices.Equal(got, want) {
			t.Errorf("%d bytes at %d = %v, want %v", c.n, c.at, clip(got), clip(want))
		}
	}
	// Relative seeks and reading to the end.
	if pos, err := rc.Seek(-100, io.SeekCurrent); err != nil || pos != int64(len(data))-100 {
		t.Fatalf("Seek(-100, SeekCurrent) at the end = %d, %v; want %d", pos, err, len(data)-100)
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !slices.Equal(rest, data[len(data)-100:]) {
		t.Errorf("reading the last 100 bytes after a relative seek = %d bytes, %v", len(rest), err)
	}
}

func testCommitEmpty(t *testing.T, s blob.Store) {
	id := newUpload(t, s, nil)
	d := mustCommit(t, s, id, nil)
	if d != digest.Digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
		t.Fatalf("digest of nothing = %s", d)
	}
	wantBlob(t, "the empty blob", s, d, nil)
	wantNoUpload(t, "after committing the empty blob", s, id)
}

func testCommitSHA512(t *testing.T, s blob.Store) {
	data := []byte("hashed with sha512")
	id := newUpload(t, s, data)
	d := digest.SHA512.FromBytes(data)
	if err := s.Uploads().Commit(ctx(t), id, int64(len(data)), d); err != nil {
		t.Fatalf("Commit(%s): %v", d, err)
	}
	wantBlob(t, "a sha512 blob", s, d, data)
	if _, err := s.Stat(ctx(t), digest.FromBytes(data)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat of the sha256 digest of a blob committed as sha512: %v, want ErrNotFound", err)
	}
}

func testCommitExisting(t *testing.T, s blob.Store) {
	data := []byte("pushed twice")
	first := newUpload(t, s, data)
	d := mustCommit(t, s, first, data)
	rc, err := s.Open(ctx(t), d) // a reader open across the second commit
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()

	second := newUpload(t, s, data)
	if got := mustCommit(t, s, second, data); got != d {
		t.Fatalf("digest changed: %s, %s", got, d)
	}
	wantBlob(t, "after committing existing content", s, d, data)
	wantNoUpload(t, "the second upload after its commit", s, second)
	got, err := io.ReadAll(rc)
	if err != nil || !slices.Equal(got, data) {
		t.Errorf("a reader opened before the second commit read %q, %v; want %q", got, err, data)
	}
}

func testCommitTruncates(t *testing.T, s blob.Store) {
	data := []byte("hello world")
	id := newUpload(t, s, data)
	d := mustCommit(t, s, id, data[:5])
	wantBlob(t, "a blob committed from the first 5 of 11 bytes", s, d, data[:5])
	wantNoUpload(t, "after a truncating commit", s, id)
}

func testCommitBeyondData(t *testing.T, s blob.Store) {
	data := []byte("short")
	id := newUpload(t, s, data)
	d := digest.FromString("short and then some")
	if err := s.Uploads().Commit(ctx(t), id, 19, d); err == nil {
		t.Errorf("Commit of 19 bytes from a 5-byte upload succeeded")
	}
	if _, err := s.Stat(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after a refused Commit: %v, want ErrNotFound", err)
	}
}

func testCommitAbsent(t *testing.T, s blob.Store) {
	d := digest.FromString("never uploaded")
	if err := s.Uploads().Commit(ctx(t), NewUploadID(), 14, d); err == nil {
		t.Errorf("Commit of an absent upload succeeded")
	}
	if _, err := s.Stat(ctx(t), d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after a refused Commit: %v, want ErrNotFound", err)
	}
}

func testAbort(t *testing.T, s blob.Store) {
	id := newUpload(t, s, []byte("abandoned"))
	other := newUpload(t, s, []byte("still going"))
	kept := []byte("committed")
	d := mustCommit(t, s, newUpload(t, s, kept), kept)

	for i := range 2 {
		if err := s.Uploads().Abort(ctx(t), id); err != nil {
			t.Fatalf("Abort #%d: %v", i+1, err)
		}
		wantNoUpload(t, "after Abort", s, id)
	}
	if err := s.Uploads().Abort(ctx(t), NewUploadID()); err != nil {
		t.Errorf("Abort of an upload never made: %v, want nil", err)
	}
	wantUploadData(t, "another upload after Abort", s, other, []byte("still going"))
	wantBlob(t, "a committed blob after Abort", s, d, kept)
}

func testList(t *testing.T, s blob.Store) {
	ups, err := s.Uploads().List(ctx(t))
	if err != nil || len(ups) != 0 {
		t.Fatalf("List of an empty store = %+v, %v; want none", ups, err)
	}

	// Filesystems keep modification times coarsely; allow a few seconds either way.
	before := time.Now().Add(-3 * time.Second)
	ids := []string{newUpload(t, s, []byte("one")), newUpload(t, s, nil), newUpload(t, s, []byte("three"))}
	after := time.Now().Add(3 * time.Second)
	ups, err = s.Uploads().List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := make([]string, 0, len(ups))
	for _, u := range ups {
		got = append(got, u.ID)
		mod := time.Unix(0, u.ModTime)
		if mod.Before(before) || mod.After(after) {
			t.Errorf("upload %s ModTime = %v, want between %v and %v", u.ID, mod, before, after)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}

	mustCommit(t, s, ids[0], []byte("one"))
	if err := s.Uploads().Abort(ctx(t), ids[1]); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	ups, err = s.Uploads().List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(ups) != 1 || ups[0].ID != ids[2] {
		t.Errorf("List after a Commit and an Abort = %+v, want only %s", ups, ids[2])
	}
}
