package oci

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// streamBlob sends the whole blob, in 1 MiB writes, with its length.
func TestStreamBlob(t *testing.T) {
	for _, size := range []int{0, 1, 1<<20 - 1, 1 << 20, 3<<20 + 17} {
		data := make([]byte, size)
		rand.Read(data)
		w := httptest.NewRecorder()
		streamBlob(w, meta.Blob{Digest: digest.FromBytes(data), Size: int64(size)}, bytes.NewReader(data))
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), data) {
			t.Errorf("%d bytes: status %d, body of %d bytes equal %v", size, w.Code, w.Body.Len(), bytes.Equal(w.Body.Bytes(), data))
		}
		if got := w.Header().Get("Content-Length"); got != strconv.Itoa(size) {
			t.Errorf("%d bytes: Content-Length %q", size, got)
		}
	}
}
