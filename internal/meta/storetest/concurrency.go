package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var concurrencyTests = []test{
	{"CreateRepositoryRace", testCreateRepositoryRace},
	{"LinkBlobRace", testLinkBlobRace},
	{"PutSameManifestRace", testPutSameManifestRace},
	{"MoveTagRace", testMoveTagRace},
	{"ImmutableTagRace", testImmutableTagRace},
	{"AdvanceUploadRace", testAdvanceUploadRace},
	{"ParallelPushesOfDifferentTags", testParallelPushesOfDifferentTags},
	{"ParallelAuthWrites", testParallelAuthWrites},
}

// race runs fn(i) for i in [0, n) at once and waits for all of them.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

func testCreateRepositoryRace(t *testing.T, s meta.Store) {
	const n = 16
	repos := make([]meta.Repository, n)
	created := make([]bool, n)
	errs := make([]error, n)
	race(n, func(i int) {
		repos[i], created[i], errs[i] = s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "contended/name"}, nil)
	})
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("CreateRepository %d: %v", i, errs[i])
			continue
		}
		if created[i] {
			winners++
		}
		if repos[i].ID != repos[0].ID || repos[i].Name != "contended/name" || repos[i].RegistryID != registryID {
			t.Errorf("CreateRepository %d = %+v, want the one repository %+v", i, repos[i], repos[0])
		}
	}
	if winners != 1 {
		t.Errorf("%d racing CreateRepository calls reported created, want exactly 1", winners)
	}
	list, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories", err)
	wantStrings(t, "ListRepositories after the race", repoNames(list), []string{"contended/name"})
}

func testLinkBlobRace(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	d := dgst("popular layer")
	errs := make([]error, 16)
	race(len(errs), func(i int) {
		errs[i] = s.LinkBlob(ctx(t), repo.ID, meta.Blob{Digest: d, Size: 99, CreatedAt: base.Add(time.Duration(i) * time.Second)})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("LinkBlob %d: %v", i, err)
		}
	}
	b, err := s.RepositoryBlob(ctx(t), repo.ID, d)
	wantNoErr(t, "RepositoryBlob after racing links", err)
	if b.Size != 99 {
		t.Errorf("RepositoryBlob.Size = %d, want 99", b.Size)
	}
}

func testPutSameManifestRace(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	layer := dgst("layer")
	mustLink(t, s, repo.ID, layer)
	m := newManifest(repo.ID, `{"pushed":"by many"}`)
	errs := make([]error, 16)
	results := make([]meta.PutResult, len(errs))
	race(len(errs), func(i int) {
		mi := m
		mi.PushedAt = base.Add(time.Duration(i) * time.Second)
		results[i], errs[i] = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: mi, Blobs: refs(layer), Tags: []string{"latest"}})
	})
	created, moved := 0, 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutManifest %d of the same manifest: %v", i, err)
		}
		if results[i].Created {
			created++
		}
		if len(results[i].MovedTags) > 0 {
			moved++
			wantStrings(t, "MovedTags of racing put "+itoa(i), results[i].MovedTags, []string{"latest"})
		}
	}
	if created != 1 || moved != 1 {
		t.Errorf("%d racing puts of one manifest: %d reported Created and %d moved the tag, want 1 and 1",
			len(errs), created, moved)
	}
	got, err := s.ResolveTag(ctx(t), repo.ID, "latest")
	wantNoErr(t, "ResolveTag", err)
	if got.Digest != m.Digest {
		t.Errorf("ResolveTag(latest) = %s, want %s", got.Digest, m.Digest)
	}
}

func testMoveTagRace(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	const n = 16
	ms := make([]meta.Manifest, n)
	errs := make([]error, n)
	for i := range n {
		ms[i] = newManifest(repo.ID, `{"build":`+itoa(i)+`}`)
	}
	results := make([]meta.PutResult, n)
	race(n, func(i int) {
		results[i], errs[i] = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: ms[i], Tags: []string{"latest"}})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutManifest %d: %v", i, err)
		}
		// Each put stores a new manifest and takes the tag from whoever had it.
		if !results[i].Created {
			t.Errorf("PutManifest %d of a new manifest: Created = false", i)
		}
		wantStrings(t, "MovedTags of racing put "+itoa(i), results[i].MovedTags, []string{"latest"})
	}
	got, err := s.ResolveTag(ctx(t), repo.ID, "latest")
	wantNoErr(t, "ResolveTag after the race", err)
	found := false
	for _, m := range ms {
		if got.Digest == m.Digest {
			found = true
		}
		_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		wantNoErr(t, "GetManifest of a racing manifest", err)
	}
	if !found {
		t.Errorf("ResolveTag(latest) = %s, not one of the racing manifests", got.Digest)
	}
	tags, err := s.ListTags(ctx(t), repo.ID, "", 100)
	wantNoErr(t, "ListTags", err)
	wantStrings(t, "ListTags after the race", tags, []string{"latest"})
}

func testImmutableTagRace(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	const n = 16
	ms := make([]meta.Manifest, n)
	errs := make([]error, n)
	for i := range n {
		ms[i] = newManifest(repo.ID, `{"release":`+itoa(i)+`}`)
	}
	race(n, func(i int) {
		_, errs[i] = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: ms[i], Tags: []string{"release", "build-" + itoa(i)},
			ImmutableTags: []string{"release"}})
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("PutManifest %d and %d both took the immutable tag", winner, i)
		case err == nil:
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no PutManifest took the immutable tag: %v", errs)
	}
	for i, err := range errs {
		if i == winner {
			continue
		}
		var ti *meta.TagImmutableError
		if !errors.As(err, &ti) || !errors.Is(err, meta.ErrTagImmutable) {
			t.Errorf("PutManifest %d lost with %v, want a *meta.TagImmutableError", i, err)
			continue
		}
		if ti.Tag != "release" || ti.Digest != ms[winner].Digest {
			t.Errorf("PutManifest %d: TagImmutableError{%q, %s}, want {release, %s}", i, ti.Tag, ti.Digest, ms[winner].Digest)
		}
		// A loser wrote nothing.
		_, err := s.GetManifest(ctx(t), repo.ID, ms[i].Digest, false)
		wantErrIs(t, "GetManifest of a losing put", err, meta.ErrNotFound)
	}
	wantTags(t, s, "after the race", repo.ID, map[string]digest.Digest{
		"release": ms[winner].Digest, "build-" + itoa(winner): ms[winner].Digest})
}

func testAdvanceUploadRace(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	u := newUpload(repo.ID, upload1)
	u.Size = 512
	mustCreateUpload(t, s, u)
	const n = 8
	nexts := make([]meta.Upload, n)
	errs := make([]error, n)
	for i := range n {
		nexts[i] = u
		nexts[i].Size = u.Size + int64(i+1)*100
		nexts[i].HashState = []byte("state of writer " + itoa(i))
		nexts[i].Chunks, nexts[i].LastChunk, nexts[i].SmallestChunk = 2, int64(i+1)*100, 512
		nexts[i].UpdatedAt = base.Add(time.Duration(i+1) * time.Second)
	}
	race(n, func(i int) {
		errs[i] = s.AdvanceUpload(ctx(t), u.ID, u.Size, nexts[i])
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("AdvanceUpload %d and %d both won from size %d", winner, i, u.Size)
		case err == nil:
			winner = i
		case !errors.Is(err, meta.ErrConflict):
			t.Errorf("AdvanceUpload %d lost with %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no AdvanceUpload won the race: %v", errs)
	}
	got, err := s.GetUpload(ctx(t), u.ID)
	wantNoErr(t, "GetUpload", err)
	wantUpload(t, "GetUpload after the race", got, nexts[winner])
}

// Many pushes of different images and tags to one repository at once (a CI fleet) all
// succeed: a store may order them, but must not fail them for touching the same tables.
func testParallelPushesOfDifferentTags(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	layer := dgst("shared base layer")
	mustLink(t, s, repo.ID, layer)
	const n, steps = 32, 10
	errs := make([]error, n)
	race(n, func(i int) {
		for j := range steps {
			m := newManifest(repo.ID, `{"ci":`+itoa(i)+`,"step":`+itoa(j)+`}`)
			if _, err := s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Blobs: refs(layer),
				Tags: []string{"build-" + itoa(i*steps+j)}}); err != nil {
				errs[i] = err
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("pusher %d: %v", i, err)
		}
	}
	tags, err := s.ListTags(ctx(t), repo.ID, "", 1000)
	wantNoErr(t, "ListTags", err)
	if len(tags) != steps*n {
		t.Errorf("ListTags after %d parallel pushes has %d tags, want %d", steps*n, len(tags), steps*n)
	}
}

// Many writes that authorization depends on at once (Terraform creating users and
// keys in parallel) all succeed, and each advances the auth epoch.
func testParallelAuthWrites(t *testing.T, s meta.Store) {
	const n = 32
	before := s.AuthEpoch()
	errs := make([]error, n)
	race(n, func(i int) {
		name := "user-" + itoa(i)
		if errs[i] = s.CreateUser(ctx(t), meta.User{AccountID: registryID, Name: name, ID: "AIDA" + itoa(i), Path: "/",
			CreatedAt: base}); errs[i] != nil {
			return
		}
		if errs[i] = s.PutInlinePolicy(ctx(t), registryID, meta.KindUser, name, "p", "{}"); errs[i] != nil {
			return
		}
		errs[i] = s.CreateAccessKey(ctx(t), meta.AccessKey{ID: "AKIA" + itoa(i), AccountID: registryID, UserName: name,
			SecretSealed: []byte("s"), Status: "Active", CreatedAt: base})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	users, err := s.ListUsers(ctx(t), registryID, "", "", 1000)
	wantNoErr(t, "ListUsers", err)
	if len(users) != n {
		t.Errorf("ListUsers after %d parallel CreateUser has %d users", n, len(users))
	}
	if after := s.AuthEpoch(); after < before+3*n {
		t.Errorf("AuthEpoch after %d auth writes = %d, want at least %d", 3*n, after, before+3*n)
	}
}
