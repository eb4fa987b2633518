package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

var resourcePolicyTests = []test{
	{"RepositoryPolicy", testRepositoryPolicy},
	{"RepositoryPolicyNoRepository", testRepositoryPolicyNoRepository},
	{"DeleteRepositoryDropsItsPolicy", testDeleteRepositoryDropsItsPolicy},
	{"RegistryPolicy", testRegistryPolicy},
}

const repoPolicyDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["ecr:BatchGetImage"]}]}`

// wantPolicyText fails the test unless got, err is want, nil.
func wantPolicyText(t *testing.T, what string, got string, err error, want string) {
	t.Helper()
	wantNoErr(t, what, err)
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func testRepositoryPolicy(t *testing.T, s meta.Store) {
	a := mustRepo(t, s, "a")
	b := mustRepo(t, s, "b")
	_, err := s.RepositoryPolicy(ctx(t), a.ID)
	wantErrIs(t, "RepositoryPolicy of a repository without one", err, meta.ErrNotFound)
	_, err = s.DeleteRepositoryPolicy(ctx(t), a.ID)
	wantErrIs(t, "DeleteRepositoryPolicy of a repository without one", err, meta.ErrNotFound)

	wantNoErr(t, "SetRepositoryPolicy", s.SetRepositoryPolicy(ctx(t), a.ID, repoPolicyDoc))
	got, err := s.RepositoryPolicy(ctx(t), a.ID)
	wantPolicyText(t, "RepositoryPolicy", got, err, repoPolicyDoc)
	_, err = s.RepositoryPolicy(ctx(t), b.ID)
	wantErrIs(t, "RepositoryPolicy of another repository", err, meta.ErrNotFound)

	wantNoErr(t, "SetRepositoryPolicy replacing", s.SetRepositoryPolicy(ctx(t), a.ID, "{}"))
	got, err = s.RepositoryPolicy(ctx(t), a.ID)
	wantPolicyText(t, "RepositoryPolicy after replacing", got, err, "{}")
	wantNoErr(t, "SetRepositoryPolicy(b)", s.SetRepositoryPolicy(ctx(t), b.ID, "b's"))

	got, err = s.DeleteRepositoryPolicy(ctx(t), a.ID)
	wantPolicyText(t, "DeleteRepositoryPolicy", got, err, "{}")
	_, err = s.RepositoryPolicy(ctx(t), a.ID)
	wantErrIs(t, "RepositoryPolicy after DeleteRepositoryPolicy", err, meta.ErrNotFound)
	_, err = s.DeleteRepositoryPolicy(ctx(t), a.ID)
	wantErrIs(t, "DeleteRepositoryPolicy twice", err, meta.ErrNotFound)
	got, err = s.RepositoryPolicy(ctx(t), b.ID)
	wantPolicyText(t, "RepositoryPolicy(b) after deleting a's", got, err, "b's")
}

func testRepositoryPolicyNoRepository(t *testing.T, s meta.Store) {
	r := mustRepo(t, s, "r")
	err := s.SetRepositoryPolicy(ctx(t), r.ID+1000, repoPolicyDoc)
	wantErrIs(t, "SetRepositoryPolicy of no repository", err, meta.ErrNotFound)
	_, err = s.RepositoryPolicy(ctx(t), r.ID+1000)
	wantErrIs(t, "RepositoryPolicy of no repository", err, meta.ErrNotFound)
	_, err = s.DeleteRepositoryPolicy(ctx(t), r.ID+1000)
	wantErrIs(t, "DeleteRepositoryPolicy of no repository", err, meta.ErrNotFound)
}

func testDeleteRepositoryDropsItsPolicy(t *testing.T, s meta.Store) {
	for _, force := range []bool{false, true} {
		r := mustRepo(t, s, "r")
		keep := mustRepo(t, s, "keep")
		if force {
			mustLink(t, s, r.ID, dgst("layer"))
			mustPut(t, s, meta.ManifestPut{Manifest: newManifest(r.ID, "image"), Blobs: refs(dgst("layer")), Tags: []string{"t"}})
		}
		wantNoErr(t, "SetRepositoryPolicy", s.SetRepositoryPolicy(ctx(t), r.ID, repoPolicyDoc))
		wantNoErr(t, "SetRepositoryPolicy(keep)", s.SetRepositoryPolicy(ctx(t), keep.ID, "keep"))
		wantNoErr(t, "DeleteRepository", s.DeleteRepository(ctx(t), r.ID, force))
		_, err := s.RepositoryPolicy(ctx(t), r.ID)
		wantErrIs(t, "RepositoryPolicy of a deleted repository", err, meta.ErrNotFound)
		// A repository of the same name starts without a policy.
		again := mustRepo(t, s, "r")
		_, err = s.RepositoryPolicy(ctx(t), again.ID)
		wantErrIs(t, "RepositoryPolicy of a recreated repository", err, meta.ErrNotFound)
		got, err := s.RepositoryPolicy(ctx(t), keep.ID)
		wantPolicyText(t, "RepositoryPolicy of another repository", got, err, "keep")
		wantNoErr(t, "DeleteRepository(again)", s.DeleteRepository(ctx(t), again.ID, true))
		wantNoErr(t, "DeleteRepository(keep)", s.DeleteRepository(ctx(t), keep.ID, true))
	}
}

func testRegistryPolicy(t *testing.T, s meta.Store) {
	_, err := s.RegistryPolicy(ctx(t), registryID)
	wantErrIs(t, "RegistryPolicy of a registry without one", err, meta.ErrNotFound)
	_, err = s.DeleteRegistryPolicy(ctx(t), registryID)
	wantErrIs(t, "DeleteRegistryPolicy of a registry without one", err, meta.ErrNotFound)

	wantNoErr(t, "PutRegistryPolicy", s.PutRegistryPolicy(ctx(t), registryID, repoPolicyDoc))
	got, err := s.RegistryPolicy(ctx(t), registryID)
	wantPolicyText(t, "RegistryPolicy", got, err, repoPolicyDoc)
	_, err = s.RegistryPolicy(ctx(t), otherRegistry)
	wantErrIs(t, "RegistryPolicy of another registry", err, meta.ErrNotFound)
	wantNoErr(t, "PutRegistryPolicy replacing", s.PutRegistryPolicy(ctx(t), registryID, "second"))
	wantNoErr(t, "PutRegistryPolicy(other)", s.PutRegistryPolicy(ctx(t), otherRegistry, "other"))
	got, err = s.RegistryPolicy(ctx(t), registryID)
	wantPolicyText(t, "RegistryPolicy after replacing", got, err, "second")

	got, err = s.DeleteRegistryPolicy(ctx(t), registryID)
	wantPolicyText(t, "DeleteRegistryPolicy", got, err, "second")
	_, err = s.RegistryPolicy(ctx(t), registryID)
	wantErrIs(t, "RegistryPolicy after DeleteRegistryPolicy", err, meta.ErrNotFound)
	_, err = s.DeleteRegistryPolicy(ctx(t), registryID)
	wantErrIs(t, "DeleteRegistryPolicy twice", err, meta.ErrNotFound)
	got, err = s.RegistryPolicy(ctx(t), otherRegistry)
	wantPolicyText(t, "RegistryPolicy(other) after deleting another's", got, err, "other")
}
