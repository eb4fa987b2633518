package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var imageTests = []test{
	{"ListImages", testListImages},
	{"ListImagesPages", testListImagesPages},
	{"ListImagesEmpty", testListImagesEmpty},
	{"GetImages", testGetImages},
	{"RecordPull", testRecordPull},
}

// imageFixture is a repository with tagged, untagged and index images, and the same
// content in a second repository that must never show up in the first.
type imageFixture struct {
	repo, other meta.Repository
	// images are every image of repo with its tags (sorted), sorted by digest.
	images []meta.Image
}

func newImageFixture(t *testing.T, s meta.Store) imageFixture {
	t.Helper()
	f := imageFixture{repo: mustRepo(t, s, "r"), other: mustRepo(t, s, "other")}
	config := dgst("config")
	mustLink(t, s, f.repo.ID, config)
	puts := []struct {
		m        meta.Manifest
		tags     []string
		children []digest.Digest
	}{
		{newManifest(f.repo.ID, `{"image":"three tags"}`), []string{"v1.0", "latest", "v1"}, nil},
		{newManifest(f.repo.ID, `{"image":"untagged"}`), nil, nil},
		{newManifest(f.repo.ID, `{"image":"one tag"}`), []string{"stable"}, nil},
		{newManifest(f.repo.ID, `{"image":"untagged too"}`), nil, nil},
		{newManifest(f.repo.ID, `{"image":"two tags"}`), []string{"b", "a"}, nil},
	}
	puts[2].m.ConfigMediaType = "application/vnd.docker.container.image.v1+json"
	puts[2].m.MediaType = "application/vnd.docker.distribution.manifest.v2+json"
	puts[4].m.ArtifactType = "application/vnd.example.sbom.v1+json"
	puts[4].m.Subject = puts[0].m.Digest
	puts[4].m.Annotations = map[string]string{"k": "v"}
	index := newIndex(f.repo.ID, `{"index":true}`)
	puts = append(puts, struct {
		m        meta.Manifest
		tags     []string
		children []digest.Digest
	}{index, []string{"multi"}, []digest.Digest{puts[1].m.Digest, puts[2].m.Digest}})
	for i, p := range puts {
		p.m.PushedAt = base.Add(time.Duration(i) * time.Minute)
		p.m.ImageSize = int64(1000 + i)
		mustPut(t, s, meta.ManifestPut{Manifest: p.m, Blobs: refs(config), Children: p.children, Tags: p.tags})
		tags := slices.Clone(p.tags)
		slices.Sort(tags)
		f.images = append(f.images, meta.Image{Manifest: p.m, Tags: tags})
		// The same image in the other repository, with other tags.
		mo := p.m
		mo.RepositoryID = f.other.ID
		mustPut(t, s, meta.ManifestPut{Manifest: mo, Tags: []string{"other-" + itoa(i)}})
	}
	mustPut(t, s, meta.ManifestPut{Manifest: newManifest(f.other.ID, `{"only":"in other"}`)})
	slices.SortFunc(f.images, func(a, b meta.Image) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return f
}

// filter returns the fixture's images with the tag status, after afterDigest.
func (f imageFixture) filter(status meta.TagStatus, after digest.Digest) []meta.Image {
	var out []meta.Image
	for _, img := range f.images {
		if img.Digest <= after || status == meta.Tagged && len(img.Tags) == 0 || status == meta.Untagged && len(img.Tags) > 0 {
			continue
		}
		out = append(out, img)
	}
	return out
}

// wantImages compares images in order: manifest fields, PushedAt, LastPulledAt, sorted
// tags, and no payload.
func wantImages(t *testing.T, what string, got, want []meta.Image) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %d images %v, want %d %v", what, len(got), imageDigests(got), len(want), imageDigests(want))
	}
	for i := range want {
		w := what + "[" + itoa(i) + "]"
		wantManifest(t, w, got[i].Manifest, want[i].Manifest)
		wantTime(t, w+".PushedAt", got[i].PushedAt, want[i].PushedAt)
		if want[i].LastPulledAt.IsZero() {
			if !got[i].LastPulledAt.IsZero() {
				t.Errorf("%s.LastPulledAt = %v, want the zero time (never pulled)", w, got[i].LastPulledAt)
			}
		} else {
			wantTime(t, w+".LastPulledAt", got[i].LastPulledAt, want[i].LastPulledAt)
		}
		wantStrings(t, w+".Tags", got[i].Tags, want[i].Tags)
		if got[i].Payload != nil {
			t.Errorf("%s.Payload = %d bytes, want nil", w, len(got[i].Payload))
		}
	}
}

var tagStatuses = []struct {
	name   string
	status meta.TagStatus
}{{"Any", meta.AnyTagStatus}, {"Tagged", meta.Tagged}, {"Untagged", meta.Untagged}}

func testListImages(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	if n := len(f.filter(meta.Untagged, "")); n != 2 {
		t.Fatalf("fixture has %d untagged images, want 2", n)
	}
	for _, st := range tagStatuses {
		got, err := s.ListImages(ctx(t), f.repo.ID, st.status, "", 100)
		wantNoErr(t, "ListImages("+st.name+")", err)
		wantImages(t, "ListImages("+st.name+")", got, f.filter(st.status, ""))
		// After each image's digest, and after digests that are not there.
		for _, after := range []digest.Digest{f.images[0].Digest, f.images[2].Digest, f.images[len(f.images)-1].Digest,
			"sha256:0", "sha256:8", "sha256:g"} {
			got, err := s.ListImages(ctx(t), f.repo.ID, st.status, after, 100)
			wantNoErr(t, "ListImages("+st.name+", after)", err)
			wantImages(t, "ListImages("+st.name+", after "+short(after)+")", got, f.filter(st.status, after))
		}
	}
}

func testListImagesPages(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	for _, st := range tagStatuses {
		all := f.filter(st.status, "")
		for _, limit := range []int{1, 2, 3, 4} {
			var walked []meta.Image
			var after digest.Digest
			for range len(f.images) + 1 {
				page, err := s.ListImages(ctx(t), f.repo.ID, st.status, after, limit)
				wantNoErr(t, "ListImages", err)
				if len(page) > limit {
					t.Fatalf("ListImages(%s, limit %d) returned %d images", st.name, limit, len(page))
				}
				if len(page) == 0 {
					break
				}
				walked = append(walked, page...)
				after = page[len(page)-1].Digest
			}
			wantImages(t, "pages of "+itoa(limit)+" of ListImages("+st.name+")", walked, all)
		}
	}
}

func testListImagesEmpty(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "empty")
	other := mustRepo(t, s, "other")
	mustPut(t, s, meta.ManifestPut{Manifest: newManifest(other.ID, `{"n":1}`), Tags: []string{"latest"}})
	for _, st := range tagStatuses {
		got, err := s.ListImages(ctx(t), repo.ID, st.status, "", 100)
		wantNoErr(t, "ListImages("+st.name+") of an empty repository", err)
		if len(got) != 0 {
			t.Errorf("ListImages(%s) of an empty repository = %v", st.name, imageDigests(got))
		}
		ids, err := s.ListImageIDs(ctx(t), repo.ID, st.status, meta.ImageID{}, 100)
		wantNoErr(t, "ListImageIDs("+st.name+") of an empty repository", err)
		if len(ids) != 0 {
			t.Errorf("ListImageIDs(%s) of an empty repository = %v", st.name, ids)
		}
	}
}

func testGetImages(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	onlyInOther := newManifest(f.other.ID, `{"only":"in other"}`)
	cases := []struct {
		name    string
		digests []digest.Digest
		want    []meta.Image
	}{
		{"none", nil, nil},
		{"one", []digest.Digest{f.images[3].Digest}, []meta.Image{f.images[3]}},
		{"all, reversed", []digest.Digest{f.images[5].Digest, f.images[4].Digest, f.images[3].Digest,
			f.images[2].Digest, f.images[1].Digest, f.images[0].Digest}, f.images},
		{"absent ones left out", []digest.Digest{dgst("absent"), f.images[1].Digest, onlyInOther.Digest,
			f.images[4].Digest}, []meta.Image{f.images[1], f.images[4]}},
		{"only absent", []digest.Digest{dgst("absent"), onlyInOther.Digest}, nil},
		{"a digest twice", []digest.Digest{f.images[2].Digest, f.images[2].Digest}, []meta.Image{f.images[2]}},
	}
	for _, c := range cases {
		got, err := s.GetImages(ctx(t), f.repo.ID, c.digests)
		wantNoErr(t, "GetImages("+c.name+")", err)
		// In any order.
		slices.SortFunc(got, func(a, b meta.Image) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
		wantImages(t, "GetImages("+c.name+")", got, c.want)
	}
}

func testRecordPull(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	pulled := f.images[2]
	first := base.Add(48*time.Hour + 1234567*time.Microsecond)
	wantNoErr(t, "RecordPull", s.RecordPull(ctx(t), f.repo.ID, pulled.Digest, first))

	want := slices.Clone(f.images)
	want[2].LastPulledAt = first
	got, err := s.ListImages(ctx(t), f.repo.ID, meta.AnyTagStatus, "", 100)
	wantNoErr(t, "ListImages after RecordPull", err)
	wantImages(t, "ListImages after RecordPull", got, want)
	got, err = s.GetImages(ctx(t), f.repo.ID, []digest.Digest{pulled.Digest})
	wantNoErr(t, "GetImages after RecordPull", err)
	wantImages(t, "GetImages after RecordPull", got, want[2:3])
	m, err := s.GetManifest(ctx(t), f.repo.ID, pulled.Digest, false)
	wantNoErr(t, "GetManifest after RecordPull", err)
	wantTime(t, "GetManifest.LastPulledAt after RecordPull", m.LastPulledAt, first)

	// The same image in the other repository was not pulled.
	other, err := s.GetImages(ctx(t), f.other.ID, []digest.Digest{pulled.Digest})
	wantNoErr(t, "GetImages(other)", err)
	if len(other) != 1 || !other[0].LastPulledAt.IsZero() {
		t.Errorf("GetImages(other) after a pull in another repository = %+v, want one image never pulled", other)
	}

	// A later pull moves the time.
	later := first.Add(time.Hour)
	wantNoErr(t, "RecordPull again", s.RecordPull(ctx(t), f.repo.ID, pulled.Digest, later))
	want[2].LastPulledAt = later
	got, err = s.ListImages(ctx(t), f.repo.ID, meta.AnyTagStatus, "", 100)
	wantNoErr(t, "ListImages after a second RecordPull", err)
	wantImages(t, "ListImages after a second RecordPull", got, want)
}

// short abbreviates a digest for messages.
func short(d digest.Digest) string {
	if len(d) > 19 {
		return string(d[:19])
	}
	return string(d)
}
