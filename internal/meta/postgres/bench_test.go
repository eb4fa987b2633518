package postgres_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/berth-registry/berth/internal/testutil/pgtest"
	"github.com/opencontainers/go-digest"
)

// hotReads is a repository with a tagged manifest and a linked layer: what a pull reads.
type hotReads struct {
	store    meta.Store
	repoID   int64
	manifest digest.Digest
	layer    digest.Digest
}

func newHotReads(b *testing.B) hotReads {
	b.Helper()
	s := open(b, pgtest.Start(b))
	b.Cleanup(func() { s.Close() })
	ctx := b.Context()
	repo, _, err := s.CreateRepository(ctx, meta.Repository{RegistryID: "123456789012", Name: "bench/app"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	layer := digest.FromString("layer")
	if err := s.LinkBlob(ctx, repo.ID, meta.Blob{Digest: layer, Size: 1 << 20, CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"schemaVersion":2,"layers":[{"digest":"` + layer.String() + `"}]}`)
	m := meta.Manifest{RepositoryID: repo.ID, Digest: digest.FromBytes(payload),
		MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(payload)), Payload: payload,
		Annotations: map[string]string{"org.opencontainers.image.created": "2026-11-23T00:00:00Z"}, PushedAt: time.Now()}
	if _, err := s.PutManifest(ctx, meta.ManifestPut{Manifest: m, Tags: []string{"latest"},
		Blobs: []meta.BlobRef{{Digest: layer, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"}}}); err != nil {
		b.Fatal(err)
	}
	return hotReads{store: s, repoID: repo.ID, manifest: m.Digest, layer: layer}
}

func BenchmarkResolveTag(b *testing.B) {
	h := newHotReads(b)
	for b.Loop() {
		if _, err := h.store.ResolveTag(b.Context(), h.repoID, "latest"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetManifestWithoutPayload(b *testing.B) {
	h := newHotReads(b)
	for b.Loop() {
		if _, err := h.store.GetManifest(b.Context(), h.repoID, h.manifest, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRepositoryBlob(b *testing.B) {
	h := newHotReads(b)
	for b.Loop() {
		if _, err := h.store.RepositoryBlob(b.Context(), h.repoID, h.layer); err != nil {
			b.Fatal(err)
		}
	}
}

// The three reads of a pull from many goroutines, as concurrent requests make them.
func BenchmarkPullReadsParallel(b *testing.B) {
	h := newHotReads(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.store.ResolveTag(b.Context(), h.repoID, "latest"); err != nil {
				b.Error(err)
				return
			}
			if _, err := h.store.GetManifest(b.Context(), h.repoID, h.manifest, false); err != nil {
				b.Error(err)
				return
			}
			if _, err := h.store.RepositoryBlob(b.Context(), h.repoID, h.layer); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Pushes of different images with tags of their own into one repository, 16 per
// GOMAXPROCS at once: the manifest writes of a CI fleet.
func BenchmarkPutManifestParallel(b *testing.B) {
	h := newHotReads(b)
	var n atomic.Int64
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			payload := []byte(`{"build":` + strconv.FormatInt(i, 10) + `}`)
			m := meta.Manifest{RepositoryID: h.repoID, Digest: digest.FromBytes(payload),
				MediaType: "application/vnd.oci.image.manifest.v1+json", Size: int64(len(payload)), Payload: payload,
				PushedAt: time.Now()}
			if _, err := h.store.PutManifest(b.Context(), meta.ManifestPut{Manifest: m,
				Tags:  []string{"build-" + strconv.FormatInt(i, 10)},
				Blobs: []meta.BlobRef{{Digest: h.layer, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"}}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
