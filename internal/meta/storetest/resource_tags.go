package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

var resourceTagTests = []test{
	{"ResourceTagsSortedByKey", testResourceTagsSortedByKey},
	{"SetResourceTags", testSetResourceTags},
	{"SetResourceTagsTooMany", testSetResourceTagsTooMany},
	{"ResourceTagsAreIsolated", testResourceTagsAreIsolated},
}

func testResourceTagsSortedByKey(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	got, err := s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags of a repository without tags", err)
	wantResourceTags(t, "ResourceTags of a repository without tags", got, nil)

	// Byte order: "-" < "0" < "A" < "_" < "a".
	set := rt("b", "2", "a_b", "x", "A", "upper", "a", "1", "0", "zero", "a-b", "y")
	wantNoErr(t, "SetResourceTags", s.SetResourceTags(ctx(t), repo.ID, set, nil, 50))
	got, err = s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags", got, rt("0", "zero", "A", "upper", "a", "1", "a-b", "y", "a_b", "x", "b", "2"))
}

func testSetResourceTags(t *testing.T, s meta.Store) {
	repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "r"},
		rt("team", "a"))
	wantNoErr(t, "CreateRepository", err)
	steps := []struct {
		name   string
		set    []meta.ResourceTag
		remove []string
		want   []meta.ResourceTag
	}{
		{"add", rt("env", "dev", "owner", "me"), nil,
			rt("env", "dev", "owner", "me", "team", "a")},
		{"overwrite", rt("team", "b"), nil,
			rt("env", "dev", "owner", "me", "team", "b")},
		{"overwrite with empty", rt("owner", ""), nil,
			rt("env", "dev", "owner", "", "team", "b")},
		{"remove", nil, []string{"env"},
			rt("owner", "", "team", "b")},
		{"remove absent keys", nil, []string{"env", "never", "Team"},
			rt("owner", "", "team", "b")},
		{"add, overwrite and remove at once", rt("cost", "42", "team", "c"), []string{"owner"},
			rt("cost", "42", "team", "c")},
		{"nothing", nil, nil,
			rt("cost", "42", "team", "c")},
		{"remove all", nil, []string{"cost", "team"}, nil},
		{"add after removing all", rt("team", "d"), nil, rt("team", "d")},
	}
	for _, st := range steps {
		wantNoErr(t, st.name+": SetResourceTags", s.SetResourceTags(ctx(t), repo.ID, st.set, st.remove, 50))
		got, err := s.ResourceTags(ctx(t), repo.ID)
		wantNoErr(t, st.name+": ResourceTags", err)
		wantResourceTags(t, st.name+": ResourceTags", got, st.want)
	}
}

func testSetResourceTagsTooMany(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	three := rt("a", "1", "b", "2", "c", "3")
	wantNoErr(t, "SetResourceTags up to max exactly", s.SetResourceTags(ctx(t), repo.ID, three, nil, 3))

	refused := []struct {
		name   string
		set    []meta.ResourceTag
		remove []string
		max    int
	}{
		{"one more", rt("d", "4"), nil, 3},
		{"one more with an overwrite", rt("a", "changed", "d", "4"), nil, 3},
		{"removing one, adding two", rt("d", "4", "e", "5"), []string{"a"}, 3},
		{"removing an absent key, adding one", rt("d", "4"), []string{"zzz"}, 3},
		{"a lower max", rt("a", "changed"), []string{"b"}, 1},
		{"max 0", nil, nil, 0},
	}
	for _, c := range refused {
		err := s.SetResourceTags(ctx(t), repo.ID, c.set, c.remove, c.max)
		wantErrIs(t, c.name+": SetResourceTags", err, meta.ErrTooManyTags)
		got, err := s.ResourceTags(ctx(t), repo.ID)
		wantNoErr(t, c.name+": ResourceTags", err)
		// A refused change changes nothing: no overwrite, no removal, no addition.
		wantResourceTags(t, c.name+": ResourceTags after a refused change", got, three)
	}

	// Changes that end within max pass, however many tags they name.
	wantNoErr(t, "SetResourceTags overwriting at max", s.SetResourceTags(ctx(t), repo.ID,
		rt("a", "x", "b", "y", "c", "z"), nil, 3))
	wantNoErr(t, "SetResourceTags removing two and adding two at max", s.SetResourceTags(ctx(t), repo.ID,
		rt("d", "4", "e", "5"), []string{"a", "b"}, 3))
	got, err := s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags", got, rt("c", "z", "d", "4", "e", "5"))
	wantNoErr(t, "SetResourceTags removing down to a lower max", s.SetResourceTags(ctx(t), repo.ID,
		nil, []string{"c", "d"}, 1))
	got, err = s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags", got, rt("e", "5"))
}

func testResourceTagsAreIsolated(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepoIn(t, s, otherRegistry, "a")
	wantNoErr(t, "SetResourceTags(a)", s.SetResourceTags(ctx(t), a.ID, rt("k", "a", "only", "a"), nil, 2))
	// b's count does not include a's tags.
	wantNoErr(t, "SetResourceTags(b)", s.SetResourceTags(ctx(t), b.ID, rt("k", "b", "x", "b"), nil, 2))
	wantNoErr(t, "SetResourceTags(b) removing k", s.SetResourceTags(ctx(t), b.ID, nil, []string{"k"}, 2))
	got, err := s.ResourceTags(ctx(t), a.ID)
	wantNoErr(t, "ResourceTags(a)", err)
	wantResourceTags(t, "ResourceTags(a)", got, rt("k", "a", "only", "a"))
	got, err = s.ResourceTags(ctx(t), b.ID)
	wantNoErr(t, "ResourceTags(b)", err)
	wantResourceTags(t, "ResourceTags(b)", got, rt("x", "b"))
}
