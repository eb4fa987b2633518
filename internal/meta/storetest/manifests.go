package storetest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var manifestTests = []test{
	{"PutManifestMissingReferencesWritesNothing", testPutManifestMissing},
	{"PutManifestIsIdempotent", testPutManifestIsIdempotent},
	{"PutManifestMovesTags", testPutManifestMovesTags},
	{"PutManifestPayloadRoundTrip", testPayloadRoundTrip},
	{"PutManifestFieldsRoundTrip", testManifestFieldsRoundTrip},
	{"GetManifestNotFound", testGetManifestNotFound},
	{"DeleteManifestRemovesItsTags", testDeleteManifestRemovesTags},
	{"DeleteManifestReferencedByIndex", testDeleteManifestReferenced},
	{"Referrers", testReferrers},
	{"ReferrersEmpty", testReferrersEmpty},
}

func testPutManifestMissing(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	config, layer1, layer2, layer3 := dgst("config"), dgst("layer1"), dgst("layer2"), dgst("layer3")
	mustLink(t, s, a.ID, config)
	mustLink(t, s, a.ID, layer1)
	mustLink(t, s, b.ID, layer2) // linked, but not to a
	c1 := newManifest(a.ID, `{"child":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: c1})
	c2 := newManifest(b.ID, `{"child":2}`) // exists, but not in a
	mustPut(t, s, meta.ManifestPut{Manifest: c2})
	c3 := dgst("child 3, never pushed")
	old := newManifest(a.ID, `{"old":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: old, Tags: []string{"latest"}})

	cases := []struct {
		name          string
		blobs         []digest.Digest
		children      []digest.Digest
		wantBlobs     []digest.Digest
		wantManifests []digest.Digest
	}{
		{"blobs", []digest.Digest{config, layer1, layer2, layer3}, nil, []digest.Digest{layer2, layer3}, nil},
		{"one blob", []digest.Digest{layer3, config}, nil, []digest.Digest{layer3}, nil},
		{"children", nil, []digest.Digest{c1.Digest, c2.Digest, c3}, nil, []digest.Digest{c2.Digest, c3}},
		{"both", []digest.Digest{config, layer3}, []digest.Digest{c1.Digest, c3}, []digest.Digest{layer3}, []digest.Digest{c3}},
	}
	for i, c := range cases {
		m := newManifest(a.ID, `{"refused":`+itoa(i)+`}`)
		m.Subject = old.Digest
		_, err := s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Blobs: refs(c.blobs...), Children: c.children,
			Tags: []string{"latest", "new"}})
		var missing *meta.MissingError
		if !errors.As(err, &missing) {
			t.Fatalf("%s: PutManifest error %v, want a *meta.MissingError", c.name, err)
		}
		wantDigestSet(t, c.name+": MissingError.Blobs", missing.Blobs, c.wantBlobs)
		wantDigestSet(t, c.name+": MissingError.Manifests", missing.Manifests, c.wantManifests)

		// Nothing was written: no manifest, no tag, no moved tag, no referrer.
		_, err = s.GetManifest(ctx(t), a.ID, m.Digest, false)
		wantErrIs(t, c.name+": GetManifest of a refused manifest", err, meta.ErrNotFound)
		_, err = s.ResolveTag(ctx(t), a.ID, "new")
		wantErrIs(t, c.name+": ResolveTag of a tag of a refused manifest", err, meta.ErrNotFound)
		got, err := s.ResolveTag(ctx(t), a.ID, "latest")
		wantNoErr(t, c.name+": ResolveTag(latest)", err)
		if got.Digest != old.Digest {
			t.Errorf("%s: a refused put moved latest to %s", c.name, got.Digest)
		}
		tags, err := s.ListTags(ctx(t), a.ID, "", 100)
		wantNoErr(t, c.name+": ListTags", err)
		wantStrings(t, c.name+": ListTags", tags, []string{"latest"})
		refs, err := s.Referrers(ctx(t), a.ID, old.Digest, "")
		wantNoErr(t, c.name+": Referrers", err)
		if len(refs) != 0 {
			t.Errorf("%s: Referrers lists a refused manifest: %+v", c.name, refs)
		}
	}

	// No reference was recorded either: what the refused puts named can go.
	wantNoErr(t, "UnlinkBlob(config) after refused puts", s.UnlinkBlob(ctx(t), a.ID, config))
	wantNoErr(t, "UnlinkBlob(layer1) after refused puts", s.UnlinkBlob(ctx(t), a.ID, layer1))
	wantNoErr(t, "DeleteManifest(c1) after refused puts", s.DeleteManifest(ctx(t), a.ID, c1.Digest))
}

func testPutManifestIsIdempotent(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	layer := dgst("layer")
	mustLink(t, s, repo.ID, layer)
	m := newManifest(repo.ID, `{"layers":["layer"]}`)
	m.PushedAt = base.Add(1234567 * time.Microsecond)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Blobs: refs(layer), Tags: []string{"v1"}})

	again := m
	again.PushedAt = base.Add(time.Hour)
	mustPut(t, s, meta.ManifestPut{Manifest: again, Blobs: refs(layer), Tags: []string{"v2"}})
	mustPut(t, s, meta.ManifestPut{Manifest: again, Blobs: refs(layer)})

	got, err := s.GetManifest(ctx(t), repo.ID, m.Digest, true)
	wantNoErr(t, "GetManifest", err)
	wantManifest(t, "GetManifest after re-puts", got, m)
	wantTime(t, "PushedAt after re-puts (the first push)", got.PushedAt, m.PushedAt)
	if !bytes.Equal(got.Payload, m.Payload) {
		t.Errorf("Payload after re-puts = %q, want %q", got.Payload, m.Payload)
	}
	for _, tag := range []string{"v1", "v2"} {
		r, err := s.ResolveTag(ctx(t), repo.ID, tag)
		wantNoErr(t, "ResolveTag("+tag+")", err)
		if r.Digest != m.Digest {
			t.Errorf("ResolveTag(%s) = %s, want %s", tag, r.Digest, m.Digest)
		}
	}
	// The references survive re-puts.
	err = s.UnlinkBlob(ctx(t), repo.ID, layer)
	wantErrIs(t, "UnlinkBlob of a blob the re-put manifest references", err, meta.ErrReferenced)
}

func testPutManifestMovesTags(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m1 := newManifest(repo.ID, `{"n":1}`)
	m2 := newManifest(repo.ID, `{"n":2}`)
	m3 := newManifest(repo.ID, `{"n":3}`)
	steps := []struct {
		put  meta.Manifest
		tags []string
		want map[string]digest.Digest
	}{
		{m1, []string{"latest", "stable", "1.0"}, map[string]digest.Digest{"latest": m1.Digest, "stable": m1.Digest, "1.0": m1.Digest}},
		{m2, []string{"latest"}, map[string]digest.Digest{"latest": m2.Digest, "stable": m1.Digest, "1.0": m1.Digest}},
		{m3, []string{"latest", "stable", "3.0"}, map[string]digest.Digest{"latest": m3.Digest, "stable": m3.Digest, "1.0": m1.Digest, "3.0": m3.Digest}},
		{m1, []string{"latest"}, map[string]digest.Digest{"latest": m1.Digest, "stable": m3.Digest, "1.0": m1.Digest, "3.0": m3.Digest}},
		{m2, nil, map[string]digest.Digest{"latest": m1.Digest, "stable": m3.Digest, "1.0": m1.Digest, "3.0": m3.Digest}},
	}
	for i, st := range steps {
		mustPut(t, s, meta.ManifestPut{Manifest: st.put, Tags: st.tags})
		for tag, want := range st.want {
			got, err := s.ResolveTag(ctx(t), repo.ID, tag)
			wantNoErr(t, "step "+itoa(i)+": ResolveTag("+tag+")", err)
			if got.Digest != want {
				t.Errorf("step %d: ResolveTag(%s) = %s, want %s", i, tag, got.Digest, want)
			}
		}
		tags, err := s.ListTags(ctx(t), repo.ID, "", 100)
		wantNoErr(t, "ListTags", err)
		if len(tags) != len(st.want) {
			t.Errorf("step %d: ListTags = %q, want %d tags", i, tags, len(st.want))
		}
	}
	// Moving tags leaves the manifests they left.
	for _, m := range []meta.Manifest{m1, m2, m3} {
		_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		wantNoErr(t, "GetManifest of a manifest whose tags moved", err)
	}
}

// randomBytes returns n bytes that are the same in every run.
func randomBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0] = byte(seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func testPayloadRoundTrip(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	cases := []struct {
		name    string
		payload []byte
	}{
		{"json", []byte("{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"\n}")},
		{"one byte", []byte("x")},
		{"binary", []byte("\x00\xff\xfe{}\x00\r\n\t\x80 not utf-8 \xc3\x28 trailing NUL\x00")},
		{"trailing spaces", []byte("{\"a\": 1}   \n\n")},
		{"4 MiB", randomBytes(4<<20, 1)},
	}
	for i, c := range cases {
		m := newManifest(repo.ID, "")
		m.Payload, m.Digest, m.Size = c.payload, digest.FromBytes(c.payload), int64(len(c.payload))
		tag := "t" + itoa(i)
		mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{tag}})

		got, err := s.GetManifest(ctx(t), repo.ID, m.Digest, true)
		wantNoErr(t, c.name+": GetManifest with payload", err)
		if !bytes.Equal(got.Payload, c.payload) {
			t.Errorf("%s: payload of %d bytes came back as %d bytes, not byte-exact", c.name, len(c.payload), len(got.Payload))
		}
		wantManifest(t, c.name+": GetManifest with payload", got, m)

		got, err = s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		wantNoErr(t, c.name+": GetManifest without payload", err)
		if got.Payload != nil {
			t.Errorf("%s: GetManifest without payload returned %d bytes of payload", c.name, len(got.Payload))
		}
		wantManifest(t, c.name+": GetManifest without payload", got, m)

		got, err = s.ResolveTag(ctx(t), repo.ID, tag)
		wantNoErr(t, c.name+": ResolveTag", err)
		if got.Payload != nil {
			t.Errorf("%s: ResolveTag returned %d bytes of payload, want none", c.name, len(got.Payload))
		}
	}
}

func testManifestFieldsRoundTrip(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	subject := newManifest(repo.ID, `{"subject":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: subject})

	plain := newManifest(repo.ID, `{"plain":true}`)
	full := newManifest(repo.ID, `{"full":true}`)
	full.MediaType = "application/vnd.oci.image.manifest.v1+json"
	full.ArtifactType = "application/vnd.example.sbom.v1+json"
	full.ConfigMediaType = "application/vnd.example.sbom.config.v1+json"
	full.Subject = subject.Digest
	full.Annotations = map[string]string{
		"org.opencontainers.image.created": "2026-03-14T15:09:26Z",
		"empty":                            "",
		"unicode":                          "ünïcødé ✓ 日本",
		"quote\"key":                       "line\nbreak\ttab \\ backslash",
	}
	full.Size, full.ImageSize = 1<<20, 5<<40
	full.PushedAt = base.Add(987654321 * time.Nanosecond)
	docker := newManifest(repo.ID, `{"docker":true}`)
	docker.MediaType = "application/vnd.docker.distribution.manifest.v2+json"
	docker.ConfigMediaType = "application/vnd.docker.container.image.v1+json"
	docker.Annotations = map[string]string{}
	index := newIndex(repo.ID, `{"index":true}`)
	index.ImageSize = 0

	cases := []struct {
		name     string
		m        meta.Manifest
		children []digest.Digest
	}{
		{"plain", plain, nil},
		{"artifact with subject and annotations", full, nil},
		{"docker with empty annotations", docker, nil},
		{"index", index, []digest.Digest{plain.Digest, docker.Digest}},
	}
	for _, c := range cases {
		mustPut(t, s, meta.ManifestPut{Manifest: c.m, Children: c.children})
	}
	for _, c := range cases {
		got, err := s.GetManifest(ctx(t), repo.ID, c.m.Digest, true)
		wantNoErr(t, c.name+": GetManifest", err)
		wantManifest(t, c.name+": GetManifest", got, c.m)
		wantTime(t, c.name+": PushedAt", got.PushedAt, c.m.PushedAt)
		if !bytes.Equal(got.Payload, c.m.Payload) {
			t.Errorf("%s: Payload = %q, want %q", c.name, got.Payload, c.m.Payload)
		}
	}
}

func testGetManifestNotFound(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	m := newManifest(a.ID, `{"in":"a"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m})
	for _, withPayload := range []bool{true, false} {
		_, err := s.GetManifest(ctx(t), a.ID, dgst("absent"), withPayload)
		wantErrIs(t, "GetManifest of an absent digest", err, meta.ErrNotFound)
		_, err = s.GetManifest(ctx(t), b.ID, m.Digest, withPayload)
		wantErrIs(t, "GetManifest of another repository's manifest", err, meta.ErrNotFound)
	}
	err := s.DeleteManifest(ctx(t), a.ID, dgst("absent"))
	wantErrIs(t, "DeleteManifest of an absent digest", err, meta.ErrNotFound)
	err = s.DeleteManifest(ctx(t), b.ID, m.Digest)
	wantErrIs(t, "DeleteManifest of another repository's manifest", err, meta.ErrNotFound)
}

func testDeleteManifestRemovesTags(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"doomed":true}`)
	keep := newManifest(repo.ID, `{"kept":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"a", "b", "latest"}})
	mustPut(t, s, meta.ManifestPut{Manifest: keep, Tags: []string{"c"}})

	wantNoErr(t, "DeleteManifest", s.DeleteManifest(ctx(t), repo.ID, m.Digest))
	_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, true)
	wantErrIs(t, "GetManifest after DeleteManifest", err, meta.ErrNotFound)
	for _, tag := range []string{"a", "b", "latest"} {
		_, err := s.ResolveTag(ctx(t), repo.ID, tag)
		wantErrIs(t, "ResolveTag("+tag+") after deleting its manifest", err, meta.ErrNotFound)
	}
	tags, err := s.ListTags(ctx(t), repo.ID, "", 100)
	wantNoErr(t, "ListTags", err)
	wantStrings(t, "ListTags after DeleteManifest", tags, []string{"c"})
	err = s.DeleteManifest(ctx(t), repo.ID, m.Digest)
	wantErrIs(t, "DeleteManifest twice", err, meta.ErrNotFound)

	// Pushing it again does not bring the old tags back.
	mustPut(t, s, meta.ManifestPut{Manifest: m})
	tags, err = s.ListTags(ctx(t), repo.ID, "", 100)
	wantNoErr(t, "ListTags", err)
	wantStrings(t, "ListTags after pushing the deleted manifest again", tags, []string{"c"})
}

func testDeleteManifestReferenced(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	amd64 := newManifest(a.ID, `{"platform":"amd64"}`)
	arm64 := newManifest(a.ID, `{"platform":"arm64"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: amd64, Tags: []string{"amd64"}})
	mustPut(t, s, meta.ManifestPut{Manifest: arm64})
	index := newIndex(a.ID, `{"manifests":["amd64","arm64"]}`)
	mustPut(t, s, meta.ManifestPut{Manifest: index, Children: []digest.Digest{amd64.Digest, arm64.Digest}, Tags: []string{"multi"}})
	// The same child in b, referenced by nothing there.
	amd64InB := amd64
	amd64InB.RepositoryID = b.ID
	mustPut(t, s, meta.ManifestPut{Manifest: amd64InB})

	wantReferenced := func(what string, err error, by digest.Digest) {
		t.Helper()
		var ref *meta.ReferencedError
		if !errors.As(err, &ref) {
			t.Fatalf("%s: error %v, want a *meta.ReferencedError", what, err)
		}
		if ref.By != by {
			t.Errorf("%s: ReferencedError.By = %s, want %s", what, ref.By, by)
		}
		wantErrIs(t, what, err, meta.ErrReferenced)
	}
	wantReferenced("DeleteManifest of an index child", s.DeleteManifest(ctx(t), a.ID, amd64.Digest), index.Digest)
	got, err := s.GetManifest(ctx(t), a.ID, amd64.Digest, false)
	wantNoErr(t, "GetManifest after a refused delete", err)
	wantManifest(t, "GetManifest after a refused delete", got, amd64)
	r, err := s.ResolveTag(ctx(t), a.ID, "amd64")
	wantNoErr(t, "ResolveTag after a refused delete", err)
	if r.Digest != amd64.Digest {
		t.Errorf("ResolveTag(amd64) = %s after a refused delete", r.Digest)
	}

	wantNoErr(t, "DeleteManifest of the child in another repository", s.DeleteManifest(ctx(t), b.ID, amd64.Digest))

	// A second index keeps arm64 after the first goes.
	index2 := newIndex(a.ID, `{"manifests":["arm64"]}`)
	mustPut(t, s, meta.ManifestPut{Manifest: index2, Children: []digest.Digest{arm64.Digest}})
	wantNoErr(t, "DeleteManifest of the first index", s.DeleteManifest(ctx(t), a.ID, index.Digest))
	_, err = s.ResolveTag(ctx(t), a.ID, "multi")
	wantErrIs(t, "ResolveTag of the deleted index's tag", err, meta.ErrNotFound)
	wantNoErr(t, "DeleteManifest of a child no index references any more", s.DeleteManifest(ctx(t), a.ID, amd64.Digest))
	wantReferenced("DeleteManifest of a child of the second index", s.DeleteManifest(ctx(t), a.ID, arm64.Digest), index2.Digest)
	wantNoErr(t, "DeleteManifest of the second index", s.DeleteManifest(ctx(t), a.ID, index2.Digest))
	wantNoErr(t, "DeleteManifest of the last child", s.DeleteManifest(ctx(t), a.ID, arm64.Digest))
}

func testReferrers(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	subject := newManifest(a.ID, `{"image":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: subject, Tags: []string{"latest"}})

	const sbom, sig = "application/vnd.example.sbom.v1+json", "application/vnd.example.signature.v1+json"
	referrer := func(repoID int64, name, artifactType string, subj digest.Digest, pushed time.Duration) meta.Manifest {
		m := newManifest(repoID, `{"referrer":"`+name+`"}`)
		m.ArtifactType, m.Subject, m.PushedAt = artifactType, subj, base.Add(pushed)
		m.Annotations = map[string]string{"name": name}
		return m
	}
	r1 := referrer(a.ID, "r1", sbom, subject.Digest, time.Second)
	r2 := referrer(a.ID, "r2", sig, subject.Digest, 2*time.Second)
	r3 := referrer(a.ID, "r3", sbom, subject.Digest, 3*time.Second)
	r3.Annotations = nil
	r3.MediaType = "application/vnd.oci.artifact.manifest.v1+json"
	// Pushed out of time order, so that insertion order is not the answer.
	for _, m := range []meta.Manifest{r3, r1, r2} {
		mustPut(t, s, meta.ManifestPut{Manifest: m})
	}
	mustPut(t, s, meta.ManifestPut{Manifest: referrer(a.ID, "other subject", sbom, dgst("other"), 0)})
	mustPut(t, s, meta.ManifestPut{Manifest: referrer(b.ID, "in b", sbom, subject.Digest, 0)})
	// A referrer may arrive before its subject.
	early := referrer(a.ID, "early", sig, dgst("not pushed yet"), 0)
	mustPut(t, s, meta.ManifestPut{Manifest: early})

	desc := func(m meta.Manifest) meta.Descriptor {
		return meta.Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size,
			ArtifactType: m.ArtifactType, Annotations: m.Annotations}
	}
	cases := []struct {
		subject      digest.Digest
		artifactType string
		want         []meta.Descriptor // oldest push first
	}{
		{subject.Digest, "", []meta.Descriptor{desc(r1), desc(r2), desc(r3)}},
		{subject.Digest, sbom, []meta.Descriptor{desc(r1), desc(r3)}},
		{subject.Digest, sig, []meta.Descriptor{desc(r2)}},
		{subject.Digest, "application/vnd.example.unknown", nil},
		{dgst("not pushed yet"), "", []meta.Descriptor{desc(early)}},
	}
	for _, c := range cases {
		what := "Referrers(" + c.subject.String()[:15] + ", " + c.artifactType + ")"
		got, err := s.Referrers(ctx(t), a.ID, c.subject, c.artifactType)
		wantNoErr(t, what, err)
		wantDescriptors(t, what, got, c.want)
	}

	wantNoErr(t, "DeleteManifest(r2)", s.DeleteManifest(ctx(t), a.ID, r2.Digest))
	got, err := s.Referrers(ctx(t), a.ID, subject.Digest, "")
	wantNoErr(t, "Referrers", err)
	wantDescriptors(t, "Referrers after deleting one", got, []meta.Descriptor{desc(r1), desc(r3)})
}

func testReferrersEmpty(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"lonely":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m})
	for _, c := range []struct {
		subject      digest.Digest
		artifactType string
	}{
		{m.Digest, ""},
		{m.Digest, "application/vnd.example.sbom.v1+json"},
		{dgst("absent"), ""},
	} {
		got, err := s.Referrers(ctx(t), repo.ID, c.subject, c.artifactType)
		wantNoErr(t, "Referrers", err)
		if got == nil || len(got) != 0 {
			t.Errorf("Referrers(%s, %q) = %#v, want an empty, non-nil slice", c.subject, c.artifactType, got)
		}
	}
}

// wantDescriptors compares referrers in order.
func wantDescriptors(t *testing.T, what string, got, want []meta.Descriptor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want a non-nil slice", what)
	}
	if len(got) != len(want) {
		t.Fatalf("%s = %d descriptors %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.MediaType != w.MediaType || g.Digest != w.Digest || g.Size != w.Size || g.ArtifactType != w.ArtifactType {
			t.Errorf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
		wantAnnotations(t, what+"["+itoa(i)+"].Annotations", g.Annotations, w.Annotations)
	}
}
