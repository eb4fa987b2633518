package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var untagTests = []test{
	{"UntagImageLastTagDeletesImage", testUntagImageLastTag},
	{"UntagImageKeepsImageWithOtherTags", testUntagImageKeepsTaggedImage},
	{"UntagImageKeepsIndexChild", testUntagImageKeepsIndexChild},
	{"UntagImageNotFound", testUntagImageNotFound},
}

// mustUntag untags or fails the test, and checks what UntagImage returned.
func mustUntag(t *testing.T, s meta.Store, repoID int64, tag string, wantDigest digest.Digest, wantDeleted bool) {
	t.Helper()
	d, deleted, err := s.UntagImage(ctx(t), repoID, tag)
	if err != nil {
		t.Fatalf("UntagImage(%s): %v", tag, err)
	}
	if d != wantDigest || deleted != wantDeleted {
		t.Errorf("UntagImage(%s) = %s, deleted %v; want %s, deleted %v", tag, d, deleted, wantDigest, wantDeleted)
	}
}

func testUntagImageLastTag(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	other := mustRepo(t, s, "other")
	layer := dgst("layer")
	mustLink(t, s, repo.ID, layer)
	m := newManifest(repo.ID, `{"n":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Blobs: refs(layer), Tags: []string{"v1"}})
	keep := newManifest(repo.ID, `{"n":2}`)
	mustPut(t, s, meta.ManifestPut{Manifest: keep, Tags: []string{"latest"}})
	mo := m
	mo.RepositoryID = other.ID
	mustPut(t, s, meta.ManifestPut{Manifest: mo, Tags: []string{"v1"}})

	mustUntag(t, s, repo.ID, "v1", m.Digest, true)
	_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, false)
	wantErrIs(t, "GetManifest of an image untagged of its last tag", err, meta.ErrNotFound)
	_, err = s.ResolveTag(ctx(t), repo.ID, "v1")
	wantErrIs(t, "ResolveTag of the removed tag", err, meta.ErrNotFound)
	wantTags(t, s, "after UntagImage", repo.ID, map[string]digest.Digest{"latest": keep.Digest})
	// Its references went with it.
	wantNoErr(t, "UnlinkBlob of the deleted image's layer", s.UnlinkBlob(ctx(t), repo.ID, layer))
	// The same image in another repository stays.
	wantTags(t, s, "the other repository", other.ID, map[string]digest.Digest{"v1": m.Digest})
}

func testUntagImageKeepsTaggedImage(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"n":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1", "latest", "stable"}})

	mustUntag(t, s, repo.ID, "v1", m.Digest, false)
	_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, true)
	wantNoErr(t, "GetManifest of an image that keeps other tags", err)
	wantTags(t, s, "after the first UntagImage", repo.ID, map[string]digest.Digest{"latest": m.Digest, "stable": m.Digest})
	mustUntag(t, s, repo.ID, "stable", m.Digest, false)
	mustUntag(t, s, repo.ID, "latest", m.Digest, true)
	_, err = s.GetManifest(ctx(t), repo.ID, m.Digest, true)
	wantErrIs(t, "GetManifest after its last tag is untagged", err, meta.ErrNotFound)
}

func testUntagImageKeepsIndexChild(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	amd64 := newManifest(repo.ID, `{"platform":"amd64"}`)
	arm64 := newManifest(repo.ID, `{"platform":"arm64"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: amd64, Tags: []string{"amd64"}})
	mustPut(t, s, meta.ManifestPut{Manifest: arm64, Tags: []string{"arm64"}})
	index := newIndex(repo.ID, `{"manifests":["amd64","arm64"]}`)
	mustPut(t, s, meta.ManifestPut{Manifest: index, Children: []digest.Digest{amd64.Digest, arm64.Digest},
		Tags: []string{"multi"}})

	// The index needs the child: it stays, untagged.
	mustUntag(t, s, repo.ID, "amd64", amd64.Digest, false)
	_, err := s.GetManifest(ctx(t), repo.ID, amd64.Digest, false)
	wantNoErr(t, "GetManifest of an untagged index child", err)
	_, err = s.ResolveTag(ctx(t), repo.ID, "amd64")
	wantErrIs(t, "ResolveTag of the removed tag", err, meta.ErrNotFound)
	untagged, err := s.ListImages(ctx(t), repo.ID, meta.Untagged, "", 100)
	wantNoErr(t, "ListImages(Untagged)", err)
	wantDigestSet(t, "ListImages(Untagged) after untagging a child", imageDigests(untagged), []digest.Digest{amd64.Digest})

	// Untagging the index deletes it; its children stay.
	mustUntag(t, s, repo.ID, "multi", index.Digest, true)
	_, err = s.GetManifest(ctx(t), repo.ID, index.Digest, false)
	wantErrIs(t, "GetManifest of the untagged index", err, meta.ErrNotFound)
	for _, m := range []meta.Manifest{amd64, arm64} {
		_, err = s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		wantNoErr(t, "GetManifest of a child after its index is deleted", err)
	}
	// No index holds arm64 any more: untagging it deletes it.
	mustUntag(t, s, repo.ID, "arm64", arm64.Digest, true)
	wantNoErr(t, "DeleteManifest of the untagged child", s.DeleteManifest(ctx(t), repo.ID, amd64.Digest))
}

func testUntagImageNotFound(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	other := mustRepo(t, s, "other")
	m := newManifest(repo.ID, `{"n":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1"}})
	mo := newManifest(other.ID, `{"other":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mo, Tags: []string{"only-in-other"}})

	for _, tag := range []string{"v2", "V1", "", "only-in-other", m.Digest.String()} {
		_, _, err := s.UntagImage(ctx(t), repo.ID, tag)
		wantErrIs(t, "UntagImage("+tag+")", err, meta.ErrNotFound)
	}
	wantTags(t, s, "after refused untags", repo.ID, map[string]digest.Digest{"v1": m.Digest})
	wantTags(t, s, "the other repository after refused untags", other.ID, map[string]digest.Digest{"only-in-other": mo.Digest})
	mustUntag(t, s, repo.ID, "v1", m.Digest, true)
	_, _, err := s.UntagImage(ctx(t), repo.ID, "v1")
	wantErrIs(t, "UntagImage twice", err, meta.ErrNotFound)
}
