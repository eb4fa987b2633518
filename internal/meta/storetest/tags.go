package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var tagTests = []test{
	{"ResolveTag", testResolveTag},
	{"ResolveTagNotFound", testResolveTagNotFound},
	{"ListTagsOrderAndPages", testListTagsOrderAndPages},
	{"DeleteTag", testDeleteTag},
	{"RepositoriesAreIsolated", testRepositoriesAreIsolated},
}

func testResolveTag(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"tagged":true}`)
	m.ArtifactType = "application/vnd.example+json"
	m.Annotations = map[string]string{"k": "v"}
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1.0.0"}})

	got, err := s.ResolveTag(ctx(t), repo.ID, "v1.0.0")
	wantNoErr(t, "ResolveTag", err)
	wantManifest(t, "ResolveTag", got, m)
	wantTime(t, "ResolveTag PushedAt", got.PushedAt, m.PushedAt)
	if got.Payload != nil {
		t.Errorf("ResolveTag returned a payload of %d bytes, want nil", len(got.Payload))
	}
}

func testResolveTagNotFound(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	mustPut(t, s, meta.ManifestPut{Manifest: newManifest(a.ID, `{}`), Tags: []string{"latest"}})
	for _, c := range []struct {
		repo meta.Repository
		tag  string
	}{
		{a, "v1"},
		{a, "Latest"},
		{a, "latest "},
		{a, ""},
		{b, "latest"},
	} {
		_, err := s.ResolveTag(ctx(t), c.repo.ID, c.tag)
		wantErrIs(t, "ResolveTag("+c.repo.Name+", "+c.tag+")", err, meta.ErrNotFound)
	}
}

func testListTagsOrderAndPages(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	empty := mustRepo(t, s, "empty")
	m1 := newManifest(a.ID, `{"n":1}`)
	m2 := newManifest(a.ID, `{"n":2}`)
	// Byte order: "-" < "." < "1" < "L" < "V" < "_" < "a" < "l" < "v".
	tags1 := []string{"v1.10", "v1.2", "latest", "V2", "a-b"}
	tags2 := []string{"a_b", "a.b", "1.0", "Latest", "v1.2-rc.1"}
	mustPut(t, s, meta.ManifestPut{Manifest: m1, Tags: tags1})
	mustPut(t, s, meta.ManifestPut{Manifest: m2, Tags: tags2})
	mb := newManifest(b.ID, `{"n":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mb, Tags: []string{"only-in-b", "latest"}})
	all := slices.Concat(tags1, tags2)
	slices.Sort(all)

	got, err := s.ListTags(ctx(t), empty.ID, "", 100)
	wantNoErr(t, "ListTags of an empty repository", err)
	wantStrings(t, "ListTags of an empty repository", got, nil)

	cases := []struct {
		after string
		limit int
		want  []string
	}{
		{"", 100, all},
		{"", 2, []string{"1.0", "Latest"}},
		{"Latest", 3, []string{"V2", "a-b", "a.b"}},
		{"a", 100, []string{"a-b", "a.b", "a_b", "latest", "v1.10", "v1.2", "v1.2-rc.1"}},
		{"v1.2", 100, []string{"v1.2-rc.1"}},
		{"v1.2-rc.1", 100, nil},
		{"w", 100, nil},
	}
	for _, c := range cases {
		got, err := s.ListTags(ctx(t), a.ID, c.after, c.limit)
		wantNoErr(t, "ListTags", err)
		wantStrings(t, "ListTags(after "+c.after+", limit "+itoa(c.limit)+")", got, c.want)
	}

	for _, limit := range []int{1, 3, 4} {
		var walked []string
		after := ""
		for range len(all) + 1 {
			page, err := s.ListTags(ctx(t), a.ID, after, limit)
			wantNoErr(t, "ListTags", err)
			if len(page) > limit {
				t.Fatalf("ListTags(limit %d) returned %d tags", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			walked = append(walked, page...)
			after = page[len(page)-1]
		}
		wantStrings(t, "pages of "+itoa(limit), walked, all)
	}
}

func testDeleteTag(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	m := newManifest(a.ID, `{"m":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"latest", "v1"}})
	mb := newManifest(b.ID, `{"m":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: mb, Tags: []string{"latest"}})

	wantNoErr(t, "DeleteTag", s.DeleteTag(ctx(t), a.ID, "latest"))
	_, err := s.ResolveTag(ctx(t), a.ID, "latest")
	wantErrIs(t, "ResolveTag after DeleteTag", err, meta.ErrNotFound)
	_, err = s.GetManifest(ctx(t), a.ID, m.Digest, false)
	wantNoErr(t, "GetManifest after deleting its tag", err)
	r, err := s.ResolveTag(ctx(t), a.ID, "v1")
	wantNoErr(t, "ResolveTag of the other tag", err)
	if r.Digest != m.Digest {
		t.Errorf("ResolveTag(v1) = %s, want %s", r.Digest, m.Digest)
	}
	_, err = s.ResolveTag(ctx(t), b.ID, "latest")
	wantNoErr(t, "ResolveTag of the same tag in another repository", err)

	err = s.DeleteTag(ctx(t), a.ID, "latest")
	wantErrIs(t, "DeleteTag twice", err, meta.ErrNotFound)
	err = s.DeleteTag(ctx(t), a.ID, "never")
	wantErrIs(t, "DeleteTag of an unknown tag", err, meta.ErrNotFound)
	tags, err := s.ListTags(ctx(t), a.ID, "", 100)
	wantNoErr(t, "ListTags", err)
	wantStrings(t, "ListTags after DeleteTag", tags, []string{"v1"})
}

func testRepositoriesAreIsolated(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "team/a")
	b := mustRepo(t, s, "team/b")
	ma := newManifest(a.ID, `{"same":"content"}`)
	mb := ma
	mb.RepositoryID = b.ID
	mb.PushedAt = base.Add(5 * time.Second)
	mustPut(t, s, meta.ManifestPut{Manifest: ma, Tags: []string{"latest", "a-only"}})
	mustPut(t, s, meta.ManifestPut{Manifest: mb, Tags: []string{"latest", "b-only"}})

	got, err := s.GetManifest(ctx(t), b.ID, mb.Digest, false)
	wantNoErr(t, "GetManifest(b)", err)
	if got.RepositoryID != b.ID {
		t.Errorf("GetManifest(b).RepositoryID = %d, want %d", got.RepositoryID, b.ID)
	}
	wantTime(t, "GetManifest(b).PushedAt (its own push)", got.PushedAt, mb.PushedAt)

	tags, err := s.ListTags(ctx(t), a.ID, "", 100)
	wantNoErr(t, "ListTags(a)", err)
	wantStrings(t, "ListTags(a)", tags, []string{"a-only", "latest"})
	_, err = s.ResolveTag(ctx(t), b.ID, "a-only")
	wantErrIs(t, "ResolveTag(b, a-only)", err, meta.ErrNotFound)

	wantNoErr(t, "DeleteManifest(a)", s.DeleteManifest(ctx(t), a.ID, ma.Digest))
	_, err = s.GetManifest(ctx(t), b.ID, mb.Digest, true)
	wantNoErr(t, "GetManifest(b) after deleting the same digest in a", err)
	tags, err = s.ListTags(ctx(t), b.ID, "", 100)
	wantNoErr(t, "ListTags(b)", err)
	wantStrings(t, "ListTags(b) after deleting the same digest in a", tags, []string{"b-only", "latest"})
	tags, err = s.ListTags(ctx(t), a.ID, "", 100)
	wantNoErr(t, "ListTags(a)", err)
	wantStrings(t, "ListTags(a) after DeleteManifest", tags, nil)
}
