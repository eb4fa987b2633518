package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var blobTests = []test{
	{"LinkBlobIsIdempotent", testLinkBlobIsIdempotent},
	{"BlobLinksAreIsolatedByRepository", testBlobLinksAreIsolated},
	{"FindBlob", testFindBlob},
	{"FindBlobWithinOneRegistry", testFindBlobWithinOneRegistry},
	{"UnlinkBlobNotFound", testUnlinkBlobNotFound},
	{"UnlinkBlobReferencedByManifest", testUnlinkBlobReferenced},
}

func testLinkBlobIsIdempotent(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	b := meta.Blob{Digest: dgst("layer"), Size: 5 << 30, CreatedAt: base.Add(123456 * time.Microsecond)}
	wantNoErr(t, "LinkBlob", s.LinkBlob(ctx(t), repo.ID, b))
	later := b
	later.CreatedAt = base.Add(time.Hour)
	wantNoErr(t, "LinkBlob again", s.LinkBlob(ctx(t), repo.ID, later))

	got, err := s.RepositoryBlob(ctx(t), repo.ID, b.Digest)
	wantNoErr(t, "RepositoryBlob", err)
	if got.Digest != b.Digest || got.Size != b.Size {
		t.Errorf("RepositoryBlob = %+v, want %+v", got, b)
	}
	// The blob was recorded by the first link; linking again changes nothing.
	wantTime(t, "RepositoryBlob CreatedAt", got.CreatedAt, b.CreatedAt)

	wantNoErr(t, "UnlinkBlob", s.UnlinkBlob(ctx(t), repo.ID, b.Digest))
	_, err = s.RepositoryBlob(ctx(t), repo.ID, b.Digest)
	wantErrIs(t, "RepositoryBlob after linking twice and unlinking once", err, meta.ErrNotFound)
}

func testBlobLinksAreIsolated(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	shared := dgst("shared")
	onlyA := dgst("only in a")
	mustLink(t, s, a.ID, shared)
	mustLink(t, s, a.ID, onlyA)
	mustLink(t, s, b.ID, shared)

	cases := []struct {
		repo   meta.Repository
		label  string
		linked bool
	}{
		{a, "shared", true},
		{a, "only in a", true},
		{b, "shared", true},
		{b, "only in a", false},
		{a, "never linked", false},
	}
	for _, c := range cases {
		got, err := s.RepositoryBlob(ctx(t), c.repo.ID, dgst(c.label))
		what := "RepositoryBlob(" + c.repo.Name + ", " + c.label + ")"
		if c.linked {
			wantNoErr(t, what, err)
			if got.Digest != dgst(c.label) || got.Size != 1234 {
				t.Errorf("%s = %+v", what, got)
			}
		} else {
			wantErrIs(t, what, err, meta.ErrNotFound)
		}
	}

	// Unlinking in one repository leaves the other's link alone.
	wantNoErr(t, "UnlinkBlob(a, shared)", s.UnlinkBlob(ctx(t), a.ID, shared))
	_, err := s.RepositoryBlob(ctx(t), a.ID, shared)
	wantErrIs(t, "RepositoryBlob(a, shared) after unlinking it from a", err, meta.ErrNotFound)
	_, err = s.RepositoryBlob(ctx(t), b.ID, shared)
	wantNoErr(t, "RepositoryBlob(b, shared) after unlinking it from a", err)
}

func testFindBlob(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	d := dgst("layer")
	want := meta.Blob{Digest: d, Size: 77, CreatedAt: base}

	_, err := s.FindBlob(ctx(t), registryID, d)
	wantErrIs(t, "FindBlob before any link", err, meta.ErrNotFound)

	wantNoErr(t, "LinkBlob(a)", s.LinkBlob(ctx(t), a.ID, want))
	wantNoErr(t, "LinkBlob(b)", s.LinkBlob(ctx(t), b.ID, want))
	got, err := s.FindBlob(ctx(t), registryID, d)
	wantNoErr(t, "FindBlob", err)
	if got.Digest != want.Digest || got.Size != want.Size {
		t.Errorf("FindBlob = %+v, want %+v", got, want)
	}
	wantTime(t, "FindBlob CreatedAt", got.CreatedAt, want.CreatedAt)

	_, err = s.FindBlob(ctx(t), registryID, dgst("never linked"))
	wantErrIs(t, "FindBlob of a blob never linked", err, meta.ErrNotFound)

	wantNoErr(t, "UnlinkBlob(a)", s.UnlinkBlob(ctx(t), a.ID, d))
	_, err = s.FindBlob(ctx(t), registryID, d)
	wantNoErr(t, "FindBlob while b still links it", err)

	wantNoErr(t, "UnlinkBlob(b)", s.UnlinkBlob(ctx(t), b.ID, d))
	_, err = s.FindBlob(ctx(t), registryID, d)
	wantErrIs(t, "FindBlob once no repository links it", err, meta.ErrNotFound)
}

func testUnlinkBlobNotFound(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	d := dgst("layer")
	err := s.UnlinkBlob(ctx(t), a.ID, d)
	wantErrIs(t, "UnlinkBlob of a blob never linked", err, meta.ErrNotFound)

	mustLink(t, s, b.ID, d)
	err = s.UnlinkBlob(ctx(t), a.ID, d)
	wantErrIs(t, "UnlinkBlob from a repository that does not link it", err, meta.ErrNotFound)

	mustLink(t, s, a.ID, d)
	wantNoErr(t, "UnlinkBlob", s.UnlinkBlob(ctx(t), a.ID, d))
	err = s.UnlinkBlob(ctx(t), a.ID, d)
	wantErrIs(t, "UnlinkBlob twice", err, meta.ErrNotFound)
}

func testUnlinkBlobReferenced(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	layer, config := dgst("layer"), dgst("config")
	for _, r := range []meta.Repository{a, b} {
		mustLink(t, s, r.ID, layer)
		mustLink(t, s, r.ID, config)
	}
	m := newManifest(a.ID, `{"image":"a"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Blobs: refs(config, layer)})
	// The same blobs referenced from b do not keep a's links alive, nor the reverse.
	mb := newManifest(b.ID, `{"image":"b"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mb, Blobs: refs(layer)})

	err := s.UnlinkBlob(ctx(t), a.ID, layer)
	var ref *meta.ReferencedError
	if !errors.As(err, &ref) {
		t.Fatalf("UnlinkBlob of a referenced blob: error %v, want a *meta.ReferencedError", err)
	}
	if ref.By != m.Digest {
		t.Errorf("ReferencedError.By = %s, want the manifest %s", ref.By, m.Digest)
	}
	wantErrIs(t, "UnlinkBlob of a referenced blob", err, meta.ErrReferenced)
	_, err = s.RepositoryBlob(ctx(t), a.ID, layer)
	wantNoErr(t, "RepositoryBlob after a refused unlink", err)

	wantNoErr(t, "UnlinkBlob(b, config) that only a's manifest references", s.UnlinkBlob(ctx(t), b.ID, config))

	wantNoErr(t, "DeleteManifest", s.DeleteManifest(ctx(t), a.ID, m.Digest))
	wantNoErr(t, "UnlinkBlob(a, layer) after the manifest is deleted", s.UnlinkBlob(ctx(t), a.ID, layer))
	wantNoErr(t, "UnlinkBlob(a, config) after the manifest is deleted", s.UnlinkBlob(ctx(t), a.ID, config))

	err = s.UnlinkBlob(ctx(t), b.ID, layer)
	wantErrIs(t, "UnlinkBlob(b, layer) still referenced in b", err, meta.ErrReferenced)
}

func testFindBlobWithinOneRegistry(t *testing.T, s meta.Store) {
	mine := mustRepoIn(t, s, registryID, "app")
	theirs := mustRepoIn(t, s, otherRegistry, "app")
	d := dgst("layer")
	want := meta.Blob{Digest: d, Size: 77, CreatedAt: base}
	wantNoErr(t, "LinkBlob(theirs)", s.LinkBlob(ctx(t), theirs.ID, want))

	_, err := s.FindBlob(ctx(t), registryID, d)
	wantErrIs(t, "FindBlob of a blob only another registry links", err, meta.ErrNotFound)
	got, err := s.FindBlob(ctx(t), otherRegistry, d)
	wantNoErr(t, "FindBlob in the registry that links it", err)
	if got.Digest != d || got.Size != want.Size {
		t.Errorf("FindBlob = %+v, want %+v", got, want)
	}

	wantNoErr(t, "LinkBlob(mine)", s.LinkBlob(ctx(t), mine.ID, want))
	_, err = s.FindBlob(ctx(t), registryID, d)
	wantNoErr(t, "FindBlob once a repository of the registry links it", err)
	wantNoErr(t, "UnlinkBlob(theirs)", s.UnlinkBlob(ctx(t), theirs.ID, d))
	_, err = s.FindBlob(ctx(t), otherRegistry, d)
	wantErrIs(t, "FindBlob in a registry that no longer links it", err, meta.ErrNotFound)
	_, err = s.FindBlob(ctx(t), registryID, d)
	wantNoErr(t, "FindBlob in the registry that still links it", err)
}
