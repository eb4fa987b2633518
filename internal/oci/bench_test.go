package oci

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

const benchBlobSize = 256 << 20

// benchBlobs returns n distinct 256 MiB blobs sharing one buffer: each differs in its
// first 4 KiB, so no two digests are equal.
func benchBlobs(b *testing.B, n int) ([][]byte, []digest.Digest) {
	b.Helper()
	shared := make([]byte, benchBlobSize)
	rand.Read(shared)
	blobs := make([][]byte, n)
	digests := make([]digest.Digest, n)
	for i := range n {
		blob := make([]byte, benchBlobSize)
		copy(blob, shared)
		rand.Read(blob[:4096])
		blobs[i], digests[i] = blob, digest.FromBytes(blob)
	}
	return blobs, digests
}

func (tr *testRegistry) benchRequest(b *testing.B, method, url string, body io.Reader, header ...string) *http.Response {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.Fatal(err)
	}
	req.SetBasicAuth("AWS", tr.password)
	if br, ok := body.(*bytes.Reader); ok {
		req.ContentLength = int64(br.Len())
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// BenchmarkPushBlob pushes 256 MiB blobs through the HTTP handler over loopback: POST
// then one PUT with the whole body (as docker and crane push), and in 16 MiB PATCHes.
func BenchmarkPushBlob(b *testing.B) {
	for _, chunk := range []int{0, 16 << 20} {
		name := "monolithic"
		if chunk > 0 {
			name = fmt.Sprintf("chunked-%dMiB", chunk>>20)
		}
		b.Run(name, func(b *testing.B) {
			tr := newTestRegistry(b, registry.Config{CreateOnPush: true})
			blobs, digests := benchBlobs(b, 2)
			b.SetBytes(benchBlobSize)
			b.ResetTimer()
			for i := range b.N {
				data, d := blobs[i%2], digests[i%2]
				resp := tr.benchRequest(b, http.MethodPost, tr.srv.URL+fmt.Sprintf("/v2/bench/r%d/blobs/uploads/", i), nil)
				loc := tr.srv.URL + resp.Header.Get("Location")
				if chunk > 0 {
					for off := 0; off < len(data); off += chunk {
						end := min(off+chunk, len(data))
						resp = tr.benchRequest(b, http.MethodPatch, loc, bytes.NewReader(data[off:end]),
							"Content-Range", fmt.Sprintf("%d-%d", off, end-1))
						if resp.StatusCode != http.StatusAccepted {
							b.Fatalf("PATCH: %d", resp.StatusCode)
						}
						loc = tr.srv.URL + resp.Header.Get("Location")
					}
					data = nil
				}
				resp = tr.benchRequest(b, http.MethodPut, loc+"?digest="+d.String(), bytes.NewReader(data))
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("PUT: %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkPullBlob pulls a 256 MiB blob through the HTTP handler over loopback.
func BenchmarkPullBlob(b *testing.B) {
	tr := newTestRegistry(b, registry.Config{CreateOnPush: true})
	blobs, digests := benchBlobs(b, 1)
	resp := tr.benchRequest(b, http.MethodPost, tr.srv.URL+"/v2/bench/pull/blobs/uploads/?digest="+digests[0].String(), bytes.NewReader(blobs[0]))
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("push: %d", resp.StatusCode)
	}
	b.SetBytes(benchBlobSize)
	b.ResetTimer()
	for range b.N {
		resp := tr.benchRequest(b, http.MethodGet, tr.srv.URL+"/v2/bench/pull/blobs/"+digests[0].String(), nil)
		if resp.StatusCode != http.StatusOK || resp.ContentLength != benchBlobSize {
			b.Fatalf("GET: %d %d", resp.StatusCode, resp.ContentLength)
		}
	}
}
