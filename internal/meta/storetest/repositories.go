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
	{"RegistriesAreIsolated", testRegistriesAreIsolated},
}

func testCreateRepositoryIsIdempotent(t *testing.T, s meta.Store) {
	before := time.Now()
	first, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "team/app"}, nil)
	after := time.Now()
	wantNoErr(t, "first CreateRepository", err)
	if !created {
		t.Errorf("first CreateRepository: created = false, want true")
	}
	if first.Name != "team/app" || first.RegistryID != registryID || first.ID == 0 {
		t.Errorf("first CreateRepository = %+v, want name team/app in %s and a non-zero ID", first, registryID)
	}
	if first.CreatedAt.Before(before.Add(-timeTolerance)) || first.CreatedAt.After(after.Add(timeTolerance)) {
		t.Errorf("CreatedAt = %v, want between %v and %v", first.CreatedAt, before, after)
	}

	again, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "team/app"}, nil)
	wantNoErr(t, "second CreateRepository", err)
	if created {
		t.Errorf("second CreateRepository: created = true, want false")
	}
	if again.ID != first.ID || again.Name != first.Name || again.RegistryID != first.RegistryID {
		t.Errorf("second CreateRepository = %+v, want the first one %+v", again, first)
	}
	wantTime(t, "second CreateRepository CreatedAt", again.CreatedAt, first.CreatedAt)

	other, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "team/app/sub"}, nil)
	wantNoErr(t, "CreateRepository of a nested name", err)
	if !created || other.ID == first.ID {
		t.Errorf("CreateRepository(team/app/sub) = %+v, created %v; want a new repository", other, created)
	}
}

func testGetRepository(t *testing.T, s meta.Store) {
	want := mustRepo(t, s, "library/alpine")
	mustRepo(t, s, "library/alpine-extra")
	got, err := s.GetRepository(ctx(t), registryID, "library/alpine")
	wantNoErr(t, "GetRepository", err)
	wantRepository(t, "GetRepository", got, want)
}

func testGetRepositoryNotFound(t *testing.T, s meta.Store) {
	mustRepo(t, s, "a/b")
	for _, name := range []string{"", "a", "a/b/c", "A/B", "a/b "} {
		_, err := s.GetRepository(ctx(t), registryID, name)
		wantErrIs(t, "GetRepository("+name+")", err, meta.ErrNotFound)
	}
	for _, registry := range []string{otherRegistry, ""} {
		_, err := s.GetRepository(ctx(t), registry, "a/b")
		wantErrIs(t, "GetRepository(a/b) in registry "+registry, err, meta.ErrNotFound)
	}
}

func testListRepositoriesEmpty(t *testing.T, s meta.Store) {
	got, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories", err)
	wantStrings(t, "ListRepositories of an empty store", repoNames(got), nil)
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
		got, err := s.ListRepositories(ctx(t), registryID, c.after, c.limit)
		wantNoErr(t, "ListRepositories", err)
		wantStrings(t, "ListRepositories(after "+c.after+", limit "+itoa(c.limit)+")", repoNames(got), c.want)
	}

	// Walking the pages gives every name once, in order.
	for _, limit := range []int{1, 2, 3, 4} {
		var walked []string
		after := ""
		for range len(all) + 1 {
			page, err := s.ListRepositories(ctx(t), registryID, after, limit)
			wantNoErr(t, "ListRepositories", err)
			if len(page) > limit {
				t.Fatalf("ListRepositories(limit %d) returned %d names", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			walked = append(walked, repoNames(page)...)
			after = page[len(page)-1].Name
		}
		wantStrings(t, "pages of "+itoa(limit), walked, all)
	}
}

func testRegistriesAreIsolated(t *testing.T, s meta.Store) {
	mine := mustRepoIn(t, s, registryID, "shared/name")
	theirs, created, err := s.CreateRepository(ctx(t),
		meta.Repository{RegistryID: otherRegistry, Name: "shared/name", ScanOnPush: true}, nil)
	wantNoErr(t, "CreateRepository of the same name in another registry", err)
	if !created || theirs.ID == mine.ID || theirs.RegistryID != otherRegistry {
		t.Fatalf("CreateRepository(%s, shared/name) = %+v, created %v; want a new repository apart from %+v",
			otherRegistry, theirs, created, mine)
	}
	mustRepoIn(t, s, registryID, "only/mine")
	mustRepoIn(t, s, otherRegistry, "only/theirs")

	for _, c := range []struct {
		registry string
		want     meta.Repository
	}{{registryID, mine}, {otherRegistry, theirs}} {
		got, err := s.GetRepository(ctx(t), c.registry, "shared/name")
		wantNoErr(t, "GetRepository("+c.registry+", shared/name)", err)
		wantRepository(t, "GetRepository("+c.registry+", shared/name)", got, c.want)
	}
	_, err = s.GetRepository(ctx(t), registryID, "only/theirs")
	wantErrIs(t, "GetRepository of another registry's repository", err, meta.ErrNotFound)

	list, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories(mine)", err)
	wantStrings(t, "ListRepositories(mine)", repoNames(list), []string{"only/mine", "shared/name"})
	for _, r := range list {
		if r.RegistryID != registryID {
			t.Errorf("ListRepositories(%s) lists %+v of another registry", registryID, r)
		}
	}
	list, err = s.ListRepositories(ctx(t), otherRegistry, "", 100)
	wantNoErr(t, "ListRepositories(theirs)", err)
	wantStrings(t, "ListRepositories(theirs)", repoNames(list), []string{"only/theirs", "shared/name"})
	if len(list) == 2 {
		wantRepository(t, "ListRepositories(theirs)[1]", list[1], theirs)
	}
	list, err = s.ListRepositories(ctx(t), "999999999999", "", 100)
	wantNoErr(t, "ListRepositories of a registry without repositories", err)
	wantStrings(t, "ListRepositories of a registry without repositories", repoNames(list), nil)

	// Their contents are apart too: the same tag and digest in both.
	m := newManifest(mine.ID, `{"same":"content"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"latest"}})
	_, err = s.ResolveTag(ctx(t), theirs.ID, "latest")
	wantErrIs(t, "ResolveTag(latest) in the other registry's repository of that name", err, meta.ErrNotFound)

	// Deleting one leaves the other.
	wantNoErr(t, "DeleteRepository(mine, force)", s.DeleteRepository(ctx(t), mine.ID, true))
	got, err := s.GetRepository(ctx(t), otherRegistry, "shared/name")
	wantNoErr(t, "GetRepository of theirs after deleting mine", err)
	wantRepository(t, "GetRepository of theirs after deleting mine", got, theirs)
}
