package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/berth-registry/berth/internal/blob"
)

var appendTests = []test{
	{"AppendCreatesAtOffsetZero", testAppendCreates},
	{"AppendAtTheEnd", testAppendAtTheEnd},
	{"AppendEmptyCreatesEmptyUpload", testAppendEmpty},
	{"AppendDiscardsBytesBeyondOffset", testAppendDiscards},
	{"AppendAfterFailedAppend", testAppendAfterFailure},
	{"AppendReturnsReaderErrUnexpectedEOF", testAppendUnexpectedEOF},
	{"AppendBeyondTheDataFails", testAppendBeyondData},
	{"AppendToAbsentUploadFails", testAppendToAbsent},
	{"AbsentUpload", testAbsentUpload},
}

// failingReader returns data, then err: with the last bytes (together) or on the next
// Read (after).
type failingReader struct {
	data     []byte
	err      error
	together bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 && r.together {
		return n, r.err
	}
	return n, nil
}

func testAppendCreates(t *testing.T, s blob.Store) {
	id := NewUploadID()
	n, err := s.Uploads().Append(ctx(t), id, 0, bytes.NewReader([]byte("hello")))
	if err != nil || n != 5 {
		t.Fatalf("Append(new upload, 0, hello) = %d, %v; want 5, nil", n, err)
	}
	wantUploadData(t, "after the first Append", s, id, []byte("hello"))
}

func testAppendAtTheEnd(t *testing.T, s blob.Store) {
	id := NewUploadID()
	chunks := [][]byte{[]byte("first "), {}, []byte("second "), bytes.Repeat([]byte{0, 1, 2, 0xff}, 3000), []byte("last")}
	var want []byte
	for i, c := range chunks {
		mustAppend(t, s, id, int64(len(want)), c)
		want = append(want, c...)
		wantUploadData(t, "after chunk "+strconv.Itoa(i), s, id, want)
	}
}

func testAppendEmpty(t *testing.T, s blob.Store) {
	id := NewUploadID()
	mustAppend(t, s, id, 0, nil)
	wantUploadData(t, "an upload created empty", s, id, nil)
	ups, err := s.Uploads().List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(ups) != 1 || ups[0].ID != id {
		t.Errorf("List = %+v, want the one empty upload %s", ups, id)
	}
}

func testAppendDiscards(t *testing.T, s blob.Store) {
	id := newUpload(t, s, []byte("hello world"))
	mustAppend(t, s, id, 5, []byte("!!"))
	wantUploadData(t, "Append at 5 of an 11-byte upload", s, id, []byte("hello!!"))
	mustAppend(t, s, id, 7, []byte("?"))
	wantUploadData(t, "Append at the end", s, id, []byte("hello!!?"))
	mustAppend(t, s, id, 0, []byte("again"))
	wantUploadData(t, "Append at 0 of an existing upload", s, id, []byte("again"))
	mustAppend(t, s, id, 5, nil)
	wantUploadData(t, "empty Append at the end", s, id, []byte("again"))
	mustAppend(t, s, id, 2, nil)
	wantUploadData(t, "empty Append at 2", s, id, []byte("ag"))
}

// appendAfterFailure appends " wor" that then fails with readErr to "hello", then
// appends " there" at 5, as the registry does after a failed chunk.
func appendAfterFailure(t *testing.T, s blob.Store, readErr error, together bool) {
	t.Helper()
	id := newUpload(t, s, []byte("hello"))
	partial := []byte(" wor")
	n, err := s.Uploads().Append(ctx(t), id, 5, &failingReader{data: partial, err: readErr, together: together})
	if err == nil {
		t.Errorf("Append from a reader that fails with %q after %d bytes = %d, nil; want the error", readErr, len(partial), n)
	}
	if n < 0 || n > int64(len(partial)) {
		t.Fatalf("Append from a failing reader = %d bytes, want 0 to %d", n, len(partial))
	}
	// n counts exactly what the upload gained.
	wantUploadData(t, "after a failed Append", s, id, append([]byte("hello"), partial[:n]...))

	mustAppend(t, s, id, 5, []byte(" there"))
	wantUploadData(t, "Append at 5 after a failed Append", s, id, []byte("hello there"))
}

func testAppendAfterFailure(t *testing.T, s blob.Store) {
	cases := []struct {
		name     string
		err      error
		together bool
	}{
		{"error after the data", errors.New("connection reset by peer"), false},
		{"error with the data", errors.New("connection reset by peer"), true},
		{"context canceled", context.Canceled, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { appendAfterFailure(t, s, c.err, c.together) })
	}
}

// testAppendUnexpectedEOF: net/http returns io.ErrUnexpectedEOF from a request body
// cut short (client gone mid-chunk). That is a failure like any other, not the end of
// the data.
func testAppendUnexpectedEOF(t *testing.T, s blob.Store) {
	for _, together := range []bool{false, true} {
		appendAfterFailure(t, s, io.ErrUnexpectedEOF, together)
	}
}

func testAppendBeyondData(t *testing.T, s blob.Store) {
	id := newUpload(t, s, []byte("abc"))
	for _, offset := range []int64{4, 10, 1 << 30} {
		n, err := s.Uploads().Append(ctx(t), id, offset, bytes.NewReader([]byte("xyz")))
		if err == nil {
			t.Errorf("Append at %d of a 3-byte upload = %d, nil; want an error", offset, n)
		}
		if n != 0 {
			t.Errorf("Append at %d of a 3-byte upload wrote %d bytes", offset, n)
		}
	}
	wantUploadData(t, "after refused Appends", s, id, []byte("abc"))
}

func testAppendToAbsent(t *testing.T, s blob.Store) {
	id := NewUploadID()
	n, err := s.Uploads().Append(ctx(t), id, 5, bytes.NewReader([]byte("xyz")))
	if err == nil || n != 0 {
		t.Errorf("Append at 5 of an absent upload = %d, %v; want 0 and an error", n, err)
	}
	wantNoUpload(t, "after a refused Append", s, id)
}

func testAbsentUpload(t *testing.T, s blob.Store) {
	id := NewUploadID()
	if _, err := s.Uploads().Size(ctx(t), id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Size of an absent upload: error %v, want ErrNotFound", err)
	}
	if r, err := s.Uploads().Reader(ctx(t), id); err == nil {
		r.Close()
		t.Errorf("Reader of an absent upload succeeded")
	}
}
