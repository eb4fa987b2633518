package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var repositoryTests = []test{
	{"CreateRepositoryIsIdempotent", testCreateRepositoryIsIdempotent},
	{"GetRepository", testGetRepository},
	{"GetRepositoryNotFound", testGetRepositoryNotFound},
	{"ListRepositoriesEmpty", testListRepositoriesEmpty},
	{"ListRepositoriesOrderAndPages", testListRepositoriesOrderAndPages},
}

func testCreateRepositoryIsIdempotent(t *testing.T, s meta.Store) {
	before := time.Now()
	first, created, err := s.CreateRepository(ctx(t), "team/app")
	after := time.Now()
	wantNoErr(t, "first CreateRepository", err)
	if !created {
		t.Errorf("first CreateRepository: created = false, want true")
	}
	if first.Name != "team/app" || first.ID == 0 {
		t.Errorf("first CreateRepository = %+v, want name team/app and a non-zero ID", first)
	}
	if first.CreatedAt.Before(before.Add(-timeTolerance)) || first.CreatedAt.After(after.Add(timeTolerance)) {
		t.Errorf("CreatedAt = %v, want between %v and %v", first.CreatedAt, before, after)
	}

	again, created, err := s.CreateRepository(ctx(t), "team/app")
	wantNoErr(t, "second CreateRepository", err)
	if created {
		t.Errorf("second CreateRepository: created = true, want false")
	}
	if again.ID != first.ID || again.Name != first.Name {
		t.Errorf("second CreateRepository = %+v, want the first one %+v", again, first)
	}
	wantTime(t, "second CreateRepository CreatedAt", again.CreatedAt, first.CreatedAt)

	other, created, err := s.CreateRepository(ctx(t), "team/app/sub")
	wantNoErr(t, "CreateRepository of a nested name", err)
	if !created || other.ID == first.ID {
		t.Errorf("CreateRepository(team/app/sub) = %+v, created %v; want a new repository", other, created)
	}
}

func testGetRepository(t *testing.T, s meta.Store) {
	want := mustRepo(t, s, "library/alpine")
	mustRepo(t, s, "library/alpine-extra")
	got, err := s.GetRepository(ctx(t), "library/alpine")
	wantNoErr(t, "GetRepository", err)
	if got.ID != want.ID || got.Name != want.Name {
		t.Errorf("GetRepository = %+v, want %+v", got, want)
	}
	wantTime(t, "GetRepository CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testGetRepositoryNotFound(t *testing.T, s meta.Store) {
	mustRepo(t, s, "a/b")
	for _, name := range []string{"", "a", "a/b/c", "A/B", "a/b "} {
		_, err := s.GetRepository(ctx(t), name)
		wantErrIs(t, "GetRepository("+name+")", err, meta.ErrNotFound)
	}
}

func testListRepositoriesEmpty(t *testing.T, s meta.Store) {
	got, err := s.ListRepositories(ctx(t), "", 100)
	wantNoErr(t, "ListRepositories", err)
	wantStrings(t, "ListRepositories of an empty store", got, nil)
}

func testListRepositoriesOrderAndPages(t *testing.T, s meta.Store) {
	// Byte order, as Go and the OCI catalog sort: "-" < "/" < "0" < "_" < "a".
	names := []string{"b", "a/b/c", "a", "ab", "a-b", "a/b", "a_b", "a/c", "a0", "z/y/x"}
	for _, n := range names {
		mustRepo(t, s, n)
	}
	all := slices.Clone(names)
	slices.Sort(all)

	cases := []struct {
		after string
		limit int
		want  []string
	}{
		{"", 100, all},
		{"", len(all), all},
		{"", 3, []string{"a", "a-b", "a/b"}},
		{"a", 2, []string{"a-b", "a/b"}},
		{"a/b", 100, []string{"a/b/c", "a/c", "a0", "a_b", "ab", "b", "z/y/x"}},
		{"a/b/c", 1, []string{"a/c"}},
		{"a/bb", 2, []string{"a/c", "a0"}}, // after need not exist
		{"aa", 100, []string{"ab", "b", "z/y/x"}},
		{"z/y/x", 100, nil},
		{"zzz", 100, nil},
		{"", 1, []string{"a"}},
	}
	for _, c := range cases {
		got, err := s.ListRepositories(ctx(t), c.after, c.limit)
		wantNoErr(t, "ListRepositories", err)
		wantStrings(t, "ListRepositories(after "+c.after+", limit "+itoa(c.limit)+")", got, c.want)
	}

	// Walking the pages gives every name once, in order.
	for _, limit := range []int{1, 2, 3, 4} {
		var walked []string
		after := ""
		for range len(all) + 1 {
			page, err := s.ListRepositories(ctx(t), after, limit)
			wantNoErr(t, "ListRepositories", err)
			if len(page) > limit {
				t.Fatalf("ListRepositories(limit %d) returned %d names", limit, len(page))
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
