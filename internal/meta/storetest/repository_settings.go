package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

var repositorySettingsTests = []test{
	{"CreateRepositoryDefaults", testCreateRepositoryDefaults},
	{"CreateRepositoryStoresSettings", testCreateRepositoryStoresSettings},
	{"CreateRepositoryStoresResourceTags", testCreateRepositoryStoresResourceTags},
	{"CreateRepositoryExistingIsUnchanged", testCreateRepositoryExistingIsUnchanged},
	{"UpdateRepository", testUpdateRepository},
	{"UpdateRepositoryNotFound", testUpdateRepositoryNotFound},
}

const kmsKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func testCreateRepositoryDefaults(t *testing.T, s meta.Store) {
	got, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "defaults"}, nil)
	wantNoErr(t, "CreateRepository", err)
	if !created {
		t.Errorf("CreateRepository: created = false, want true")
	}
	want := meta.Repository{ID: got.ID, RegistryID: registryID, Name: "defaults", CreatedAt: got.CreatedAt,
		TagMutability: "MUTABLE", EncryptionType: "AES256"}
	wantRepository(t, "CreateRepository with empty settings", got, want)
	stored, err := s.GetRepository(ctx(t), registryID, "defaults")
	wantNoErr(t, "GetRepository", err)
	wantRepository(t, "GetRepository of a repository created with empty settings", stored, want)
	tags, err := s.ResourceTags(ctx(t), got.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags of a repository created without tags", tags, nil)
}

func testCreateRepositoryStoresSettings(t *testing.T, s meta.Store) {
	cases := []meta.Repository{
		{Name: "immutable", TagMutability: "IMMUTABLE"},
		{Name: "immutable/excl", TagMutability: "IMMUTABLE_WITH_EXCLUSION",
			MutabilityExclusions: []string{"latest", "dev-*", "*-snapshot"}, ScanOnPush: true},
		{Name: "mutable/excl", TagMutability: "MUTABLE_WITH_EXCLUSION", MutabilityExclusions: []string{"release-*"}},
		{Name: "kms", TagMutability: "MUTABLE", ScanOnPush: true, EncryptionType: "KMS", KMSKey: kmsKey},
		{Name: "kms/default-key", EncryptionType: "KMS"},
		{Name: "aes", EncryptionType: "AES256"},
	}
	want := make(map[string]meta.Repository, len(cases))
	for _, c := range cases {
		c.RegistryID = registryID
		got, created, err := s.CreateRepository(ctx(t), c, nil)
		wantNoErr(t, "CreateRepository("+c.Name+")", err)
		if !created || got.ID == 0 {
			t.Errorf("CreateRepository(%s) = %+v, created %v; want a new repository", c.Name, got, created)
		}
		c.ID, c.CreatedAt = got.ID, got.CreatedAt
		if c.TagMutability == "" {
			c.TagMutability = "MUTABLE"
		}
		if c.EncryptionType == "" {
			c.EncryptionType = "AES256"
		}
		wantRepository(t, "CreateRepository("+c.Name+")", got, c)
		want[c.Name] = c
	}
	for name, w := range want {
		got, err := s.GetRepository(ctx(t), registryID, name)
		wantNoErr(t, "GetRepository("+name+")", err)
		wantRepository(t, "GetRepository("+name+")", got, w)
	}
	list, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories", err)
	if len(list) != len(cases) {
		t.Fatalf("ListRepositories = %q, want %d repositories", repoNames(list), len(cases))
	}
	for _, got := range list {
		wantRepository(t, "ListRepositories entry "+got.Name, got, want[got.Name])
	}
}

func testCreateRepositoryStoresResourceTags(t *testing.T, s meta.Store) {
	tags := rt("team", "payments", "Env", "prod", "cost-center", "42", "empty", "", "aws:unicode", "ünïcødé ✓")
	repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "tagged"}, tags)
	wantNoErr(t, "CreateRepository with tags", err)
	other := mustRepo(t, s, "untagged")

	got, err := s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags", err)
	// Sorted by key, in byte order.
	wantResourceTags(t, "ResourceTags", got, rt("Env", "prod", "aws:unicode", "ünïcødé ✓", "cost-center", "42", "empty", "", "team", "payments"))
	got, err = s.ResourceTags(ctx(t), other.ID)
	wantNoErr(t, "ResourceTags of another repository", err)
	wantResourceTags(t, "ResourceTags of another repository", got, nil)
}

func testCreateRepositoryExistingIsUnchanged(t *testing.T, s meta.Store) {
	first, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "app",
		TagMutability: "IMMUTABLE_WITH_EXCLUSION", MutabilityExclusions: []string{"latest"}, ScanOnPush: true,
		EncryptionType: "KMS", KMSKey: kmsKey}, rt("team", "a"))
	wantNoErr(t, "first CreateRepository", err)

	again, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "app",
		TagMutability: "MUTABLE", EncryptionType: "AES256"}, rt("team", "b", "new", "tag"))
	wantNoErr(t, "second CreateRepository with other settings", err)
	if created {
		t.Errorf("second CreateRepository: created = true, want false")
	}
	wantRepository(t, "second CreateRepository (the existing one)", again, first)
	got, err := s.GetRepository(ctx(t), registryID, "app")
	wantNoErr(t, "GetRepository", err)
	wantRepository(t, "GetRepository after a second CreateRepository", got, first)
	tags, err := s.ResourceTags(ctx(t), first.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags after a second CreateRepository", tags, rt("team", "a"))
}

func testUpdateRepository(t *testing.T, s meta.Store) {
	repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "app",
		EncryptionType: "KMS", KMSKey: kmsKey}, rt("team", "a"))
	wantNoErr(t, "CreateRepository", err)
	bystander, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "bystander",
		TagMutability: "IMMUTABLE_WITH_EXCLUSION", MutabilityExclusions: []string{"dev-*"}, ScanOnPush: true}, nil)
	wantNoErr(t, "CreateRepository(bystander)", err)

	steps := []struct {
		mutability string
		exclusions []string
		scan       bool
	}{
		{"IMMUTABLE", nil, true},
		{"IMMUTABLE_WITH_EXCLUSION", []string{"latest", "dev-*"}, true},
		{"MUTABLE_WITH_EXCLUSION", []string{"release-*"}, false},
		{"MUTABLE", nil, false},
	}
	want := repo
	for i, st := range steps {
		update := repo
		update.TagMutability, update.MutabilityExclusions, update.ScanOnPush = st.mutability, st.exclusions, st.scan
		// Only the three settings change, whatever else the caller passes.
		update.EncryptionType, update.KMSKey = "AES256", ""
		update.CreatedAt = base
		wantNoErr(t, "UpdateRepository step "+itoa(i), s.UpdateRepository(ctx(t), update))
		want.TagMutability, want.MutabilityExclusions, want.ScanOnPush = st.mutability, st.exclusions, st.scan
		got, err := s.GetRepository(ctx(t), registryID, "app")
		wantNoErr(t, "GetRepository", err)
		wantRepository(t, "GetRepository after UpdateRepository step "+itoa(i), got, want)
	}
	got, err := s.GetRepository(ctx(t), registryID, "bystander")
	wantNoErr(t, "GetRepository(bystander)", err)
	wantRepository(t, "another repository after UpdateRepository", got, bystander)
	tags, err := s.ResourceTags(ctx(t), repo.ID)
	wantNoErr(t, "ResourceTags", err)
	wantResourceTags(t, "ResourceTags after UpdateRepository", tags, rt("team", "a"))
}

func testUpdateRepositoryNotFound(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "app")
	gone := mustRepo(t, s, "gone")
	wantNoErr(t, "DeleteRepository", s.DeleteRepository(ctx(t), gone.ID, false))
	for _, id := range []int64{gone.ID, repo.ID + 1000, -1} {
		update := repo
		update.ID, update.TagMutability = id, "IMMUTABLE"
		err := s.UpdateRepository(ctx(t), update)
		wantErrIs(t, "UpdateRepository of unknown id "+itoa(int(id)), err, meta.ErrNotFound)
	}
	got, err := s.GetRepository(ctx(t), registryID, "app")
	wantNoErr(t, "GetRepository", err)
	wantRepository(t, "GetRepository after refused updates", got, repo)
}
