package storetest

import (
	"errors"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var lookupTests = []test{
	{"repository and manifest by tag and by digest", testRepositoryManifest},
}

func testRepositoryManifest(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "lookup/app")
	m := newManifest(repo.ID, `{"lookup":1}`)
	mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{"v1"}})
	for _, ref := range []meta.ManifestRef{{Tag: "v1"}, {Digest: m.Digest}} {
		gotRepo, got, err := s.RepositoryManifest(ctx(t), repo.RegistryID, repo.Name, ref)
		if err != nil {
			t.Fatalf("RepositoryManifest(%+v): %v", ref, err)
		}
		if gotRepo.ID != repo.ID || gotRepo.Name != repo.Name {
			t.Errorf("RepositoryManifest(%+v) repository = %+v, want %+v", ref, gotRepo, repo)
		}
		want, err := s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != want.Digest || got.MediaType != want.MediaType || got.Size != want.Size ||
			got.RepositoryID != repo.ID || got.Payload != nil || !got.PushedAt.Equal(want.PushedAt) {
			t.Errorf("RepositoryManifest(%+v) manifest = %+v, want %+v without payload", ref, got, want)
		}
	}
	for _, ref := range []meta.ManifestRef{{Tag: "absent"}, {Digest: digest.FromString("absent")}} {
		gotRepo, got, err := s.RepositoryManifest(ctx(t), repo.RegistryID, repo.Name, ref)
		if err != nil || gotRepo.ID != repo.ID || got.Digest != "" {
			t.Errorf("RepositoryManifest(%+v) of an absent manifest = %d, %q, %v; want the repository, no manifest, nil",
				ref, gotRepo.ID, got.Digest, err)
		}
	}
	// A manifest of another repository is not this one's.
	other := mustRepo(t, s, "lookup/other")
	if _, got, err := s.RepositoryManifest(ctx(t), other.RegistryID, other.Name, meta.ManifestRef{Digest: m.Digest}); err != nil || got.Digest != "" {
		t.Errorf("RepositoryManifest in another repository = %q, %v; want no manifest", got.Digest, err)
	}
	if _, _, err := s.RepositoryManifest(ctx(t), repo.RegistryID, "lookup/absent", meta.ManifestRef{Tag: "v1"}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("RepositoryManifest of an absent repository: %v, want ErrNotFound", err)
	}
}
