package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var imageIDTests = []test{
	{"ListImageIDs", testListImageIDs},
	{"ListImageIDsPages", testListImageIDsPages},
	{"ListImageIDsAfterWithinAnImage", testListImageIDsAfterWithinAnImage},
}

// ids returns the fixture's (digest, tag) rows with the tag status, sorted by digest
// then tag, all after after.
func (f imageFixture) ids(status meta.TagStatus, after meta.ImageID) []meta.ImageID {
	var out []meta.ImageID
	for _, img := range f.images {
		var rows []meta.ImageID
		switch {
		case len(img.Tags) == 0 && status != meta.Tagged:
			rows = []meta.ImageID{{Digest: img.Digest}}
		case len(img.Tags) > 0 && status != meta.Untagged:
			for _, tag := range img.Tags {
				rows = append(rows, meta.ImageID{Digest: img.Digest, Tag: tag})
			}
		}
		for _, r := range rows {
			if r.Digest > after.Digest || r.Digest == after.Digest && r.Tag > after.Tag {
				out = append(out, r)
			}
		}
	}
	return out
}

// wantImageIDs compares rows in order (nil and empty are equal).
func wantImageIDs(t *testing.T, what string, got, want []meta.ImageID) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s =\n%s\nwant\n%s", what, formatIDs(got), formatIDs(want))
	}
}

func formatIDs(ids []meta.ImageID) string {
	out := ""
	for _, id := range ids {
		out += fmt.Sprintf("  %s %q\n", short(id.Digest), id.Tag)
	}
	return out
}

func testListImageIDs(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	all := f.ids(meta.AnyTagStatus, meta.ImageID{})
	// 3 + 1 + 1 + 1 + 2 + 1 rows: one per tag, one per untagged image.
	if len(all) != 9 {
		t.Fatalf("fixture has %d image id rows, want 9:\n%s", len(all), formatIDs(all))
	}
	for _, st := range tagStatuses {
		got, err := s.ListImageIDs(ctx(t), f.repo.ID, st.status, meta.ImageID{}, 100)
		wantNoErr(t, "ListImageIDs("+st.name+")", err)
		wantImageIDs(t, "ListImageIDs("+st.name+")", got, f.ids(st.status, meta.ImageID{}))
		for _, img := range f.images {
			for _, tag := range append([]string{""}, img.Tags...) {
				after := meta.ImageID{Digest: img.Digest, Tag: tag}
				got, err := s.ListImageIDs(ctx(t), f.repo.ID, st.status, after, 100)
				wantNoErr(t, "ListImageIDs", err)
				wantImageIDs(t, fmt.Sprintf("ListImageIDs(%s, after %s %q)", st.name, short(img.Digest), tag),
					got, f.ids(st.status, after))
			}
		}
	}
	// Untagged rows have Tag "" and tagged rows never do.
	got, err := s.ListImageIDs(ctx(t), f.repo.ID, meta.Untagged, meta.ImageID{}, 100)
	wantNoErr(t, "ListImageIDs(Untagged)", err)
	for _, id := range got {
		if id.Tag != "" {
			t.Errorf("ListImageIDs(Untagged) row %s has tag %q", short(id.Digest), id.Tag)
		}
	}
	got, err = s.ListImageIDs(ctx(t), f.repo.ID, meta.Tagged, meta.ImageID{}, 100)
	wantNoErr(t, "ListImageIDs(Tagged)", err)
	for _, id := range got {
		if id.Tag == "" {
			t.Errorf("ListImageIDs(Tagged) has an untagged row %s", short(id.Digest))
		}
	}
}

func testListImageIDsPages(t *testing.T, s meta.Store) {
	f := newImageFixture(t, s)
	for _, st := range tagStatuses {
		all := f.ids(st.status, meta.ImageID{})
		for _, limit := range []int{1, 2, 3, 4} {
			var walked []meta.ImageID
			var after meta.ImageID
			for range len(all) + 1 {
				page, err := s.ListImageIDs(ctx(t), f.repo.ID, st.status, after, limit)
				wantNoErr(t, "ListImageIDs", err)
				if len(page) > limit {
					t.Fatalf("ListImageIDs(%s, limit %d) returned %d rows", st.name, limit, len(page))
				}
				if len(page) == 0 {
					break
				}
				walked = append(walked, page...)
				after = page[len(page)-1]
			}
			wantImageIDs(t, "pages of "+itoa(limit)+" of ListImageIDs("+st.name+")", walked, all)
		}
	}
}

func testListImageIDsAfterWithinAnImage(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	m := newManifest(repo.ID, `{"many":"tags"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"c", "a", "b", "d"}})
	u := newManifest(repo.ID, `{"untagged":true}`)
	mustPut(t, s, meta.ManifestPut{Manifest: u})
	row := func(d digest.Digest, tag string) meta.ImageID { return meta.ImageID{Digest: d, Tag: tag} }
	tagged := []meta.ImageID{row(m.Digest, "a"), row(m.Digest, "b"), row(m.Digest, "c"), row(m.Digest, "d")}
	untagged := []meta.ImageID{row(u.Digest, "")}
	var all []meta.ImageID
	if m.Digest < u.Digest {
		all = append(slices.Clone(tagged), untagged...)
	} else {
		all = append(slices.Clone(untagged), tagged...)
	}

	// A page that ends inside an image's tags continues with its next tag.
	page, err := s.ListImageIDs(ctx(t), repo.ID, meta.Tagged, meta.ImageID{}, 2)
	wantNoErr(t, "ListImageIDs", err)
	wantImageIDs(t, "first page of 2", page, tagged[:2])
	page, err = s.ListImageIDs(ctx(t), repo.ID, meta.Tagged, page[len(page)-1], 2)
	wantNoErr(t, "ListImageIDs", err)
	wantImageIDs(t, "second page of 2", page, tagged[2:])
	page, err = s.ListImageIDs(ctx(t), repo.ID, meta.Tagged, row(m.Digest, "d"), 2)
	wantNoErr(t, "ListImageIDs", err)
	wantImageIDs(t, "the page after the last tag", page, nil)

	// after need not be a row that exists.
	for _, c := range []struct {
		after meta.ImageID
		want  []meta.ImageID
	}{
		{row(m.Digest, ""), tagged},
		{row(m.Digest, "a0"), tagged[1:]},
		{row(m.Digest, "bb"), tagged[2:]},
		{row(m.Digest, "zzz"), nil},
	} {
		got, err := s.ListImageIDs(ctx(t), repo.ID, meta.Tagged, c.after, 100)
		wantNoErr(t, "ListImageIDs", err)
		wantImageIDs(t, fmt.Sprintf("ListImageIDs(Tagged, after %q)", c.after.Tag), got, c.want)
	}
	got, err := s.ListImageIDs(ctx(t), repo.ID, meta.AnyTagStatus, meta.ImageID{}, 100)
	wantNoErr(t, "ListImageIDs(Any)", err)
	wantImageIDs(t, "ListImageIDs(Any)", got, all)
}
