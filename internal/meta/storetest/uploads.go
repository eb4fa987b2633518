package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var uploadTests = []test{
	{"CreateAndGetUpload", testCreateAndGetUpload},
	{"GetUploadNotFound", testGetUploadNotFound},
	{"AdvanceUpload", testAdvanceUpload},
	{"AdvanceUploadStaleSizeConflicts", testAdvanceUploadConflict},
	{"AdvanceUploadNotFound", testAdvanceUploadNotFound},
	{"DeleteUpload", testDeleteUpload},
	{"ExpiredUploads", testExpiredUploads},
	{"UploadExists", testUploadExists},
}

// Upload ids are UUIDs, as the registry makes them.
const (
	upload1 = "3f1c1e7a-4b7e-4d59-9a39-0c1e2f8a6b01"
	upload2 = "8a6d2c55-1f0b-4e0e-b8e4-5d8f0a7c9e02"
	upload3 = "c0a8b4f2-9d3e-4a61-8f27-6e1b3c5d7f03"
	upload4 = "e4f7a9c1-2b6d-4c8e-a0f3-7d9b1e5c3a04"
)

func newUpload(repoID int64, id string) meta.Upload {
	return meta.Upload{ID: id, RepositoryID: repoID, Size: 0, HashState: []byte("sha256\x00\x01\x02 initial state"),
		StartedAt: base, UpdatedAt: base}
}

func mustCreateUpload(t *testing.T, s meta.Store, u meta.Upload) {
	t.Helper()
	if err := s.CreateUpload(ctx(t), u); err != nil {
		t.Fatalf("CreateUpload(%s): %v", u.ID, err)
	}
}

// wantUpload compares every field of a stored upload.
func wantUpload(t *testing.T, what string, got, want meta.Upload) {
	t.Helper()
	if got.ID != want.ID || got.RepositoryID != want.RepositoryID || got.Size != want.Size ||
		!bytes.Equal(got.HashState, want.HashState) || got.Chunks != want.Chunks || got.LastChunk != want.LastChunk ||
		got.SmallestChunk != want.SmallestChunk {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	wantTime(t, what+".StartedAt", got.StartedAt, want.StartedAt)
	wantTime(t, what+".UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testCreateAndGetUpload(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	cases := []meta.Upload{
		newUpload(repo.ID, upload1),
		{ID: upload2, RepositoryID: repo.ID, Size: 0, HashState: nil,
			StartedAt: base.Add(1500 * time.Microsecond), UpdatedAt: base.Add(2 * time.Second)},
		{ID: upload3, RepositoryID: repo.ID, Size: 1 << 40, HashState: bytes.Repeat([]byte{0, 0xff, 0x80}, 40),
			Chunks: 1 << 20, LastChunk: 1 << 20, SmallestChunk: 5 << 20, StartedAt: base, UpdatedAt: base.Add(time.Hour)},
		// A session created with its first chunk (a PUT after POST, or a chunked POST).
		{ID: upload4, RepositoryID: repo.ID, Size: 4096, HashState: []byte("after one chunk"),
			Chunks: 1, LastChunk: 4096, StartedAt: base, UpdatedAt: base},
	}
	for _, u := range cases {
		mustCreateUpload(t, s, u)
	}
	for _, want := range cases {
		got, err := s.GetUpload(ctx(t), want.ID)
		wantNoErr(t, "GetUpload("+want.ID+")", err)
		wantUpload(t, "GetUpload("+want.ID+")", got, want)
	}
}

func testGetUploadNotFound(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	mustCreateUpload(t, s, newUpload(repo.ID, upload1))
	_, err := s.GetUpload(ctx(t), upload2)
	wantErrIs(t, "GetUpload of an unknown id", err, meta.ErrNotFound)
}

func testAdvanceUpload(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	u := newUpload(repo.ID, upload1)
	mustCreateUpload(t, s, u)
	mustCreateUpload(t, s, newUpload(repo.ID, upload2))

	steps := []struct {
		size                   int64
		state                  []byte
		at                     time.Time
		chunks, last, smallest int64
	}{
		{1024, []byte("state after 1024"), base.Add(time.Second), 1, 1024, 0},
		{1024 + 5<<20, []byte("state after 5 MiB more"), base.Add(2 * time.Second), 2, 5 << 20, 1024},
		{1024 + 5<<20, []byte("state after an empty chunk"), base.Add(3 * time.Second), 3, 0, 1024},
		{1024 + 6<<20, []byte("state after 1 MiB more"), base.Add(4 * time.Second), 4, 1 << 20, 0},
	}
	want := u
	for _, st := range steps {
		next := want
		next.Size, next.HashState, next.UpdatedAt = st.size, st.state, st.at
		next.Chunks, next.LastChunk, next.SmallestChunk = st.chunks, st.last, st.smallest
		wantNoErr(t, "AdvanceUpload from "+itoa(int(want.Size)), s.AdvanceUpload(ctx(t), u.ID, want.Size, next))
		want = next
		got, err := s.GetUpload(ctx(t), u.ID)
		wantNoErr(t, "GetUpload", err)
		wantUpload(t, "GetUpload after AdvanceUpload to "+itoa(int(st.size)), got, want)
	}
	// Other sessions do not move.
	got, err := s.GetUpload(ctx(t), upload2)
	wantNoErr(t, "GetUpload of the other session", err)
	wantUpload(t, "the other session", got, newUpload(repo.ID, upload2))
}

func testAdvanceUploadConflict(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	u := newUpload(repo.ID, upload1)
	mustCreateUpload(t, s, u)
	moved := u
	moved.Size, moved.HashState, moved.UpdatedAt = 100, []byte("at 100"), base.Add(time.Second)
	moved.Chunks, moved.LastChunk = 1, 100
	wantNoErr(t, "AdvanceUpload from 0", s.AdvanceUpload(ctx(t), u.ID, 0, moved))

	for _, from := range []int64{0, 50, 99, 101, 200} {
		stale := moved
		stale.Size, stale.HashState, stale.UpdatedAt = from+10, []byte("stale"), base.Add(time.Minute)
		stale.Chunks, stale.LastChunk, stale.SmallestChunk = 7, 10, 3
		err := s.AdvanceUpload(ctx(t), u.ID, from, stale)
		wantErrIs(t, "AdvanceUpload from a stale size "+itoa(int(from)), err, meta.ErrConflict)
	}
	got, err := s.GetUpload(ctx(t), u.ID)
	wantNoErr(t, "GetUpload", err)
	wantUpload(t, "GetUpload after refused advances", got, moved)
}

func testAdvanceUploadNotFound(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	u := newUpload(repo.ID, upload1)
	err := s.AdvanceUpload(ctx(t), upload1, 0, u)
	wantErrIs(t, "AdvanceUpload of a session never created", err, meta.ErrNotFound)

	mustCreateUpload(t, s, u)
	wantNoErr(t, "DeleteUpload", s.DeleteUpload(ctx(t), u.ID))
	next := u
	next.Size = 10
	err = s.AdvanceUpload(ctx(t), u.ID, 0, next)
	wantErrIs(t, "AdvanceUpload of a deleted session", err, meta.ErrNotFound)
	if exists, err := s.UploadExists(ctx(t), u.ID); err != nil || exists {
		t.Errorf("UploadExists after advancing a deleted session = %v, %v; want false", exists, err)
	}
}

func testDeleteUpload(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	mustCreateUpload(t, s, newUpload(repo.ID, upload1))
	mustCreateUpload(t, s, newUpload(repo.ID, upload2))

	wantNoErr(t, "DeleteUpload", s.DeleteUpload(ctx(t), upload1))
	_, err := s.GetUpload(ctx(t), upload1)
	wantErrIs(t, "GetUpload after DeleteUpload", err, meta.ErrNotFound)
	err = s.DeleteUpload(ctx(t), upload1)
	wantErrIs(t, "DeleteUpload twice", err, meta.ErrNotFound)
	err = s.DeleteUpload(ctx(t), upload3)
	wantErrIs(t, "DeleteUpload of an unknown id", err, meta.ErrNotFound)

	_, err = s.GetUpload(ctx(t), upload2)
	wantNoErr(t, "GetUpload of the session not deleted", err)
}

func testExpiredUploads(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	got, err := s.ExpiredUploads(ctx(t), base.Add(24*time.Hour), 100)
	wantNoErr(t, "ExpiredUploads of an empty store", err)
	wantStrings(t, "ExpiredUploads of an empty store", got, nil)

	updated := map[string]time.Time{
		upload1: base.Add(-3 * time.Hour),
		upload2: base.Add(-2 * time.Hour),
		upload3: base.Add(-time.Hour),
		upload4: base.Add(time.Hour),
	}
	for id, at := range updated {
		u := newUpload(repo.ID, id)
		u.StartedAt, u.UpdatedAt = base.Add(-4*time.Hour), at
		mustCreateUpload(t, s, u)
	}

	cases := []struct {
		cutoff time.Time
		limit  int
		want   []string // in any order
	}{
		{base, 100, []string{upload1, upload2, upload3}},
		{base.Add(-90 * time.Minute), 100, []string{upload1, upload2}},
		{base.Add(-2 * time.Hour), 100, []string{upload1}}, // strictly before the cutoff
		{base.Add(-4 * time.Hour), 100, nil},
		{base.Add(2 * time.Hour), 100, []string{upload1, upload2, upload3, upload4}},
	}
	for _, c := range cases {
		got, err := s.ExpiredUploads(ctx(t), c.cutoff, c.limit)
		wantNoErr(t, "ExpiredUploads", err)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		wantStrings(t, "ExpiredUploads(cutoff "+c.cutoff.Sub(base).String()+")", got, want)
	}

	// A limit caps the answer; every id returned is expired.
	for _, limit := range []int{1, 2} {
		got, err := s.ExpiredUploads(ctx(t), base, limit)
		wantNoErr(t, "ExpiredUploads with a limit", err)
		if len(got) != limit {
			t.Errorf("ExpiredUploads(limit %d) = %q, want %d ids", limit, got, limit)
		}
		for _, id := range got {
			if !updated[id].Before(base) {
				t.Errorf("ExpiredUploads(limit %d) returned %s, which is not expired", limit, id)
			}
		}
	}

	// Progress renews a session.
	u, err := s.GetUpload(ctx(t), upload1)
	wantNoErr(t, "GetUpload", err)
	next := u
	next.Size, next.UpdatedAt = 10, base.Add(30*time.Minute)
	wantNoErr(t, "AdvanceUpload", s.AdvanceUpload(ctx(t), upload1, 0, next))
	got, err = s.ExpiredUploads(ctx(t), base, 100)
	wantNoErr(t, "ExpiredUploads", err)
	slices.Sort(got)
	wantStrings(t, "ExpiredUploads after advancing the oldest session", got, []string{upload2, upload3})

	wantNoErr(t, "DeleteUpload", s.DeleteUpload(ctx(t), upload2))
	got, err = s.ExpiredUploads(ctx(t), base, 100)
	wantNoErr(t, "ExpiredUploads", err)
	wantStrings(t, "ExpiredUploads after deleting a session", got, []string{upload3})
}

func testUploadExists(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	exists, err := s.UploadExists(ctx(t), upload1)
	wantNoErr(t, "UploadExists", err)
	if exists {
		t.Errorf("UploadExists before CreateUpload = true")
	}
	mustCreateUpload(t, s, newUpload(repo.ID, upload1))
	exists, err = s.UploadExists(ctx(t), upload1)
	wantNoErr(t, "UploadExists", err)
	if !exists {
		t.Errorf("UploadExists after CreateUpload = false")
	}
	exists, err = s.UploadExists(ctx(t), upload2)
	wantNoErr(t, "UploadExists", err)
	if exists {
		t.Errorf("UploadExists of another id = true")
	}
	wantNoErr(t, "DeleteUpload", s.DeleteUpload(ctx(t), upload1))
	exists, err = s.UploadExists(ctx(t), upload1)
	wantNoErr(t, "UploadExists", err)
	if exists {
		t.Errorf("UploadExists after DeleteUpload = true")
	}
}
