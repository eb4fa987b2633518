package storetest

import (
	"slices"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var putResultTests = []test{
	{"PutResultCreatedAndMovedTags", testPutResult},
	{"PutResultDuplicateTags", testPutResultDuplicateTags},
	{"PutResultAfterDelete", testPutResultAfterDelete},
	{"BlobMediaTypes", testBlobMediaTypes},
}

// wantPutResult fails the test unless got is want (MovedTags in any order).
func wantPutResult(t *testing.T, what string, got meta.PutResult, created bool, moved []string) {
	t.Helper()
	if got.Created != created {
		t.Errorf("%s: Created = %v, want %v", what, got.Created, created)
	}
	g, w := slices.Clone(got.MovedTags), slices.Clone(moved)
	slices.Sort(g)
	slices.Sort(w)
	wantStrings(t, what+": MovedTags (sorted)", g, w)
}

func testPutResult(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	other := mustRepo(t, s, "other")
	m1 := newManifest(repo.ID, `{"n":1}`)
	m2 := newManifest(repo.ID, `{"n":2}`)
	steps := []struct {
		name    string
		m       meta.Manifest
		tags    []string
		created bool
		moved   []string
	}{
		{"first put", m1, []string{"latest", "v1"}, true, []string{"latest", "v1"}},
		{"same manifest, same tags", m1, []string{"latest", "v1"}, false, nil},
		{"same manifest, one tag", m1, []string{"v1"}, false, nil},
		{"same manifest, no tags", m1, nil, false, nil},
		{"same manifest, a new tag and an old one", m1, []string{"v1", "stable"}, false, []string{"stable"}},
		{"another manifest, untagged", m2, nil, true, nil},
		{"another manifest moving a tag", m2, []string{"latest", "v2"}, false, []string{"latest", "v2"}},
		{"moving it back", m1, []string{"latest", "v1", "v2"}, false, []string{"latest", "v2"}},
	}
	for _, st := range steps {
		res := mustPut(t, s, meta.ManifestPut{Manifest: st.m, Tags: st.tags})
		wantPutResult(t, st.name, res, st.created, st.moved)
	}
	want := map[string]digest.Digest{"latest": m1.Digest, "v1": m1.Digest, "v2": m1.Digest, "stable": m1.Digest}
	for tag, d := range want {
		got, err := s.ResolveTag(ctx(t), repo.ID, tag)
		wantNoErr(t, "ResolveTag("+tag+")", err)
		if got.Digest != d {
			t.Errorf("ResolveTag(%s) = %s, want %s", tag, got.Digest, d)
		}
	}

	// The same manifest in another repository is new there.
	mo := m1
	mo.RepositoryID = other.ID
	res := mustPut(t, s, meta.ManifestPut{Manifest: mo, Tags: []string{"latest"}})
	wantPutResult(t, "the same manifest in another repository", res, true, []string{"latest"})
}

func testPutResultDuplicateTags(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"n":1}`)
	res := mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1", "v1", "latest"}})
	// MovedTags names each tag that moved once.
	wantPutResult(t, "a put naming a tag twice", res, true, []string{"latest", "v1"})
	res = mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1", "v1"}})
	wantPutResult(t, "a re-put naming a tag twice", res, false, nil)
	tags, err := s.ListTags(ctx(t), repo.ID, "", 100)
	wantNoErr(t, "ListTags", err)
	wantStrings(t, "ListTags", tags, []string{"latest", "v1"})
}

func testPutResultAfterDelete(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"n":1}`)
	res := mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"latest"}})
	wantPutResult(t, "first put", res, true, []string{"latest"})
	wantNoErr(t, "DeleteManifest", s.DeleteManifest(ctx(t), repo.ID, m.Digest))
	res = mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"latest"}})
	wantPutResult(t, "a put after DeleteManifest", res, true, []string{"latest"})
	wantNoErr(t, "DeleteTag", s.DeleteTag(ctx(t), repo.ID, "latest"))
	res = mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"latest"}})
	wantPutResult(t, "a put after DeleteTag", res, false, []string{"latest"})
}

func testBlobMediaTypes(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	const (
		configType = "application/vnd.oci.image.config.v1+json"
		dockerTar  = "application/vnd.docker.image.rootfs.diff.tar.gzip"
		zstdType   = "application/vnd.oci.image.layer.v1.tar+zstd"
	)
	config, layer1, layer2, linkedOnly, foreign := dgst("config"), dgst("layer1"), dgst("layer2"), dgst("linked only"), dgst("foreign")
	for _, d := range []digest.Digest{config, layer1, layer2, linkedOnly} {
		mustLink(t, s, a.ID, d)
	}
	mustLink(t, s, b.ID, foreign)
	mustLink(t, s, b.ID, layer1)

	m := newManifest(a.ID, `{"image":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Blobs: []meta.BlobRef{
		{Digest: config, MediaType: configType}, {Digest: layer1, MediaType: dockerTar}, {Digest: layer2, MediaType: zstdType}}})
	child := newManifest(a.ID, `{"child":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: child, Blobs: []meta.BlobRef{{Digest: config, MediaType: configType}}})
	index := newIndex(a.ID, `{"index":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: index, Children: []digest.Digest{child.Digest}})
	// The same blob referenced in b as something else.
	mb := newManifest(b.ID, `{"image":"b"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mb, Blobs: []meta.BlobRef{{Digest: foreign, MediaType: layerType},
		{Digest: layer1, MediaType: zstdType}}})

	got, err := s.BlobMediaTypes(ctx(t), a.ID, []digest.Digest{config, layer1, layer2, linkedOnly, foreign,
		child.Digest, dgst("unknown")})
	wantNoErr(t, "BlobMediaTypes", err)
	wantMediaTypes(t, "BlobMediaTypes(a)", got, map[digest.Digest]string{config: configType, layer1: dockerTar, layer2: zstdType})

	got, err = s.BlobMediaTypes(ctx(t), a.ID, []digest.Digest{layer2})
	wantNoErr(t, "BlobMediaTypes of one digest", err)
	wantMediaTypes(t, "BlobMediaTypes(a, layer2)", got, map[digest.Digest]string{layer2: zstdType})

	got, err = s.BlobMediaTypes(ctx(t), a.ID, nil)
	wantNoErr(t, "BlobMediaTypes of no digests", err)
	wantMediaTypes(t, "BlobMediaTypes of no digests", got, nil)

	got, err = s.BlobMediaTypes(ctx(t), b.ID, []digest.Digest{config, layer1, foreign})
	wantNoErr(t, "BlobMediaTypes(b)", err)
	wantMediaTypes(t, "BlobMediaTypes(b)", got, map[digest.Digest]string{layer1: zstdType, foreign: layerType})

	// Only what stored manifests reference: deleting the image forgets its layers.
	wantNoErr(t, "DeleteManifest", s.DeleteManifest(ctx(t), a.ID, m.Digest))
	got, err = s.BlobMediaTypes(ctx(t), a.ID, []digest.Digest{config, layer1, layer2})
	wantNoErr(t, "BlobMediaTypes after DeleteManifest", err)
	wantMediaTypes(t, "BlobMediaTypes after DeleteManifest", got, map[digest.Digest]string{config: configType})
}

// wantMediaTypes fails the test unless got equals want (nil and empty are equal).
func wantMediaTypes(t *testing.T, what string, got, want map[digest.Digest]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for d, mt := range want {
		if g, ok := got[d]; !ok || g != mt {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}
