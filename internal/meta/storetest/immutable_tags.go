package storetest

import (
	"errors"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var immutableTagTests = []test{
	{"ImmutableTagRefusesMoveAndWritesNothing", testImmutableTagRefusesMove},
	{"ImmutableTagRefusesMoveToStoredManifest", testImmutableTagRefusesMoveToStoredManifest},
	{"ImmutableTagSameManifest", testImmutableTagSameManifest},
	{"ImmutableTagCreated", testImmutableTagCreated},
	{"ImmutableTagOthersMayMove", testImmutableTagOthersMayMove},
}

// wantTagImmutable fails the test unless err is a *meta.TagImmutableError for tag at d.
func wantTagImmutable(t *testing.T, what string, err error, tag string, d digest.Digest) {
	t.Helper()
	var ti *meta.TagImmutableError
	if !errors.As(err, &ti) {
		t.Fatalf("%s: error %v, want a *meta.TagImmutableError", what, err)
	}
	wantErrIs(t, what, err, meta.ErrTagImmutable)
	if ti.Tag != tag || ti.Digest != d {
		t.Errorf("%s: TagImmutableError{Tag: %q, Digest: %s}, want {%q, %s}", what, ti.Tag, ti.Digest, tag, d)
	}
}

// wantTags fails the test unless the repository's tags point exactly as want says.
func wantTags(t *testing.T, s meta.Store, what string, repoID int64, want map[string]digest.Digest) {
	t.Helper()
	tags, err := s.ListTags(ctx(t), repoID, "", 1000)
	wantNoErr(t, what+": ListTags", err)
	if len(tags) != len(want) {
		t.Errorf("%s: ListTags = %q, want %d tags %v", what, tags, len(want), want)
	}
	for tag, d := range want {
		got, err := s.ResolveTag(ctx(t), repoID, tag)
		if err != nil {
			t.Errorf("%s: ResolveTag(%s): %v", what, tag, err)
			continue
		}
		if got.Digest != d {
			t.Errorf("%s: ResolveTag(%s) = %s, want %s", what, tag, got.Digest, d)
		}
	}
}

func testImmutableTagRefusesMove(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	layer := dgst("new layer")
	mustLink(t, s, repo.ID, layer)
	m1 := newManifest(repo.ID, `{"n":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m1, Tags: []string{"v1", "latest"}, ImmutableTags: []string{"v1"}})
	before := map[string]digest.Digest{"v1": m1.Digest, "latest": m1.Digest}

	m2 := newManifest(repo.ID, `{"n":2}`)
	m2.Subject = m1.Digest
	_, err := s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m2, Blobs: refs(layer),
		Tags: []string{"latest", "v1", "new"}, ImmutableTags: []string{"v1"}})
	wantTagImmutable(t, "PutManifest moving an immutable tag", err, "v1", m1.Digest)

	// Nothing was written: no manifest, no tag moved or created, no reference, no referrer.
	_, err = s.GetManifest(ctx(t), repo.ID, m2.Digest, false)
	wantErrIs(t, "GetManifest of the refused manifest", err, meta.ErrNotFound)
	wantTags(t, s, "after a refused put", repo.ID, before)
	mt, err := s.BlobMediaTypes(ctx(t), repo.ID, []digest.Digest{layer})
	wantNoErr(t, "BlobMediaTypes", err)
	wantMediaTypes(t, "BlobMediaTypes of the refused manifest's layer", mt, nil)
	refs, err := s.Referrers(ctx(t), repo.ID, m1.Digest, "")
	wantNoErr(t, "Referrers", err)
	if len(refs) != 0 {
		t.Errorf("Referrers lists the refused manifest: %+v", refs)
	}
	images, err := s.ListImages(ctx(t), repo.ID, meta.AnyTagStatus, "", 100)
	wantNoErr(t, "ListImages", err)
	if len(images) != 1 || images[0].Digest != m1.Digest {
		t.Errorf("ListImages after a refused put = %v, want only %s", imageDigests(images), m1.Digest)
	}
	wantNoErr(t, "UnlinkBlob of the refused manifest's layer", s.UnlinkBlob(ctx(t), repo.ID, layer))

	// Of several immutable tags, the one that would move is named.
	m3 := newManifest(repo.ID, `{"n":3}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m3, Tags: []string{"v3"}, ImmutableTags: []string{"v3"}})
	before["v3"] = m3.Digest
	_, err = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m2, Tags: []string{"fresh", "latest", "v3"},
		ImmutableTags: []string{"fresh", "v3"}})
	wantTagImmutable(t, "PutManifest moving the second of two immutable tags", err, "v3", m3.Digest)
	wantTags(t, s, "after a second refused put", repo.ID, before)

	// Once the tag is deleted, the name is free.
	wantNoErr(t, "DeleteTag(v1)", s.DeleteTag(ctx(t), repo.ID, "v1"))
	res := mustPut(t, s, meta.ManifestPut{Manifest: m2, Tags: []string{"v1"}, ImmutableTags: []string{"v1"}})
	wantPutResult(t, "PutManifest of a deleted immutable tag", res, true, []string{"v1"})
}

func testImmutableTagRefusesMoveToStoredManifest(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m1 := newManifest(repo.ID, `{"n":1}`)
	m2 := newManifest(repo.ID, `{"n":2}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m1, Tags: []string{"v1", "latest"}})
	mustPut(t, s, meta.ManifestPut{Manifest: m2, Tags: []string{"v2"}})
	before := map[string]digest.Digest{"v1": m1.Digest, "latest": m1.Digest, "v2": m2.Digest}

	_, err := s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m2, Tags: []string{"latest", "new", "v1"},
		ImmutableTags: []string{"v1", "v2", "new"}})
	wantTagImmutable(t, "PutManifest of a stored manifest moving an immutable tag", err, "v1", m1.Digest)
	wantTags(t, s, "after the refused put", repo.ID, before)
}

func testImmutableTagSameManifest(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"n":1}`)
	res := mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1"}, ImmutableTags: []string{"v1"}})
	wantPutResult(t, "first put", res, true, []string{"v1"})
	res = mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1"}, ImmutableTags: []string{"v1"}})
	wantPutResult(t, "re-put of the same manifest under its immutable tag", res, false, nil)
	res = mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1", "v1.0"}, ImmutableTags: []string{"v1", "v1.0"}})
	wantPutResult(t, "re-put adding another immutable tag", res, false, []string{"v1.0"})
	wantTags(t, s, "after re-puts", repo.ID, map[string]digest.Digest{"v1": m.Digest, "v1.0": m.Digest})
}

func testImmutableTagCreated(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	other := mustRepo(t, s, "other")
	// The same tag in another repository does not count.
	mo := newManifest(other.ID, `{"other":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mo, Tags: []string{"v1"}, ImmutableTags: []string{"v1"}})

	m := newManifest(repo.ID, `{"n":1}`)
	res, err := s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Tags: []string{"v1", "latest"}, ImmutableTags: []string{"v1"}})
	wantNoErr(t, "PutManifest with an immutable tag that does not exist yet", err)
	wantPutResult(t, "PutManifest with a new immutable tag", res, true, []string{"latest", "v1"})
	wantTags(t, s, "after creating an immutable tag", repo.ID, map[string]digest.Digest{"v1": m.Digest, "latest": m.Digest})
}

func testImmutableTagOthersMayMove(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m1 := newManifest(repo.ID, `{"n":1}`)
	m2 := newManifest(repo.ID, `{"n":2}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m1, Tags: []string{"v1", "latest"}, ImmutableTags: []string{"v1"}})
	// A mutable tag still moves; the immutable one a put does not name stays.
	res := mustPut(t, s, meta.ManifestPut{Manifest: m2, Tags: []string{"latest", "v2"}, ImmutableTags: []string{"v2"}})
	wantPutResult(t, "PutManifest moving a mutable tag beside a new immutable one", res, true, []string{"latest", "v2"})
	wantTags(t, s, "after moving latest", repo.ID,
		map[string]digest.Digest{"v1": m1.Digest, "latest": m2.Digest, "v2": m2.Digest})
}

// imageDigests returns the digests of images, in order.
func imageDigests(images []meta.Image) []digest.Digest {
	out := make([]digest.Digest, len(images))
	for i, img := range images {
		out[i] = img.Digest
	}
	return out
}
