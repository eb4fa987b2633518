package storetest

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

var deleteRepositoryTests = []test{
	{"DeleteEmptyRepository", testDeleteEmptyRepository},
	{"DeleteRepositoryWithOnlyBlobsAndUploads", testDeleteRepositoryWithOnlyBlobsAndUploads},
	{"DeleteRepositoryNotEmpty", testDeleteRepositoryNotEmpty},
	{"DeleteRepositoryForce", testDeleteRepositoryForce},
}

func testDeleteEmptyRepository(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "empty")
	keep := mustRepo(t, s, "keep")
	wantNoErr(t, "DeleteRepository of an empty repository", s.DeleteRepository(ctx(t), repo.ID, false))
	_, err := s.GetRepository(ctx(t), registryID, "empty")
	wantErrIs(t, "GetRepository after DeleteRepository", err, meta.ErrNotFound)
	list, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories", err)
	wantStrings(t, "ListRepositories after DeleteRepository", repoNames(list), []string{"keep"})
	got, err := s.GetRepository(ctx(t), registryID, "keep")
	wantNoErr(t, "GetRepository of another repository", err)
	wantRepository(t, "GetRepository of another repository", got, keep)
}

func testDeleteRepositoryWithOnlyBlobsAndUploads(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "blobs/only")
	other := mustRepo(t, s, "other")
	own, shared := dgst("own layer"), dgst("shared layer")
	mustLink(t, s, repo.ID, own)
	mustLink(t, s, repo.ID, shared)
	mustLink(t, s, other.ID, shared)
	mustCreateUpload(t, s, newUpload(repo.ID, upload1))
	mustCreateUpload(t, s, newUpload(other.ID, upload2))

	wantNoErr(t, "DeleteRepository of a repository without images", s.DeleteRepository(ctx(t), repo.ID, false))
	_, err := s.GetRepository(ctx(t), registryID, "blobs/only")
	wantErrIs(t, "GetRepository after DeleteRepository", err, meta.ErrNotFound)
	for _, d := range []digest.Digest{own, shared} {
		_, err = s.RepositoryBlob(ctx(t), repo.ID, d)
		wantErrIs(t, "RepositoryBlob of the deleted repository", err, meta.ErrNotFound)
	}
	_, err = s.FindBlob(ctx(t), registryID, own)
	wantErrIs(t, "FindBlob of a blob only the deleted repository linked", err, meta.ErrNotFound)
	_, err = s.FindBlob(ctx(t), registryID, shared)
	wantNoErr(t, "FindBlob of a blob another repository links", err)
	_, err = s.RepositoryBlob(ctx(t), other.ID, shared)
	wantNoErr(t, "RepositoryBlob of the other repository", err)
	_, err = s.GetUpload(ctx(t), upload1)
	wantErrIs(t, "GetUpload of the deleted repository's session", err, meta.ErrNotFound)
	_, err = s.GetUpload(ctx(t), upload2)
	wantNoErr(t, "GetUpload of another repository's session", err)
}

func testDeleteRepositoryNotEmpty(t *testing.T, s meta.Store) {
	for _, tagged := range []bool{false, true} {
		name, uploadID := "untagged", upload1
		var tags []string
		if tagged {
			name, uploadID, tags = "tagged", upload2, []string{"latest"}
		}
		repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: name},
			rt("k", "v"))
		wantNoErr(t, "CreateRepository", err)
		layer := dgst("layer")
		mustLink(t, s, repo.ID, layer)
		mustCreateUpload(t, s, newUpload(repo.ID, uploadID))
		m := newManifest(repo.ID, `{"image":"`+name+`"}`)
		mustPut(t, s, meta.ManifestPut{Manifest: m, Blobs: refs(layer), Tags: tags})

		err = s.DeleteRepository(ctx(t), repo.ID, false)
		wantErrIs(t, name+": DeleteRepository without force of a repository with an image", err, meta.ErrNotEmpty)

		// Nothing was deleted.
		got, err := s.GetRepository(ctx(t), registryID, name)
		wantNoErr(t, name+": GetRepository after a refused delete", err)
		wantRepository(t, name+": GetRepository after a refused delete", got, repo)
		_, err = s.GetManifest(ctx(t), repo.ID, m.Digest, true)
		wantNoErr(t, name+": GetManifest after a refused delete", err)
		if tagged {
			_, err = s.ResolveTag(ctx(t), repo.ID, "latest")
			wantNoErr(t, name+": ResolveTag after a refused delete", err)
		}
		_, err = s.RepositoryBlob(ctx(t), repo.ID, layer)
		wantNoErr(t, name+": RepositoryBlob after a refused delete", err)
		_, err = s.GetUpload(ctx(t), uploadID)
		wantNoErr(t, name+": GetUpload after a refused delete", err)
		rtags, err := s.ResourceTags(ctx(t), repo.ID)
		wantNoErr(t, name+": ResourceTags after a refused delete", err)
		wantResourceTags(t, name+": ResourceTags after a refused delete", rtags, rt("k", "v"))

		// Once the image is gone, the repository may go.
		wantNoErr(t, name+": DeleteManifest", s.DeleteManifest(ctx(t), repo.ID, m.Digest))
		wantNoErr(t, name+": DeleteRepository once its image is gone", s.DeleteRepository(ctx(t), repo.ID, false))
	}
}

func testDeleteRepositoryForce(t *testing.T, s meta.Store) {
	repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "doomed",
		TagMutability: "IMMUTABLE", ScanOnPush: true}, rt("team", "a", "env", "dev"))
	wantNoErr(t, "CreateRepository", err)
	other := mustRepo(t, s, "other")
	config, layer, shared := dgst("config"), dgst("layer"), dgst("shared")
	for _, d := range []digest.Digest{config, layer, shared} {
		mustLink(t, s, repo.ID, d)
	}
	mustLink(t, s, other.ID, shared)
	amd64 := newManifest(repo.ID, `{"platform":"amd64"}`)
	arm64 := newManifest(repo.ID, `{"platform":"arm64"}`)
	mustPut(t, s, meta.ManifestPut{Manifest: amd64, Blobs: refs(config, layer, shared), Tags: []string{"amd64"}})
	mustPut(t, s, meta.ManifestPut{Manifest: arm64, Blobs: refs(config, shared)})
	index := newIndex(repo.ID, `{"manifests":["amd64","arm64"]}`)
	mustPut(t, s, meta.ManifestPut{Manifest: index, Children: []digest.Digest{amd64.Digest, arm64.Digest},
		Tags: []string{"latest", "v1"}})
	sig := newManifest(repo.ID, `{"signature":"of the index"}`)
	sig.Subject = index.Digest
	mustPut(t, s, meta.ManifestPut{Manifest: sig})
	mustCreateUpload(t, s, newUpload(repo.ID, upload1))
	// The same image in another repository stays.
	amd64InOther := amd64
	amd64InOther.RepositoryID = other.ID
	mustPut(t, s, meta.ManifestPut{Manifest: amd64InOther, Blobs: refs(shared), Tags: []string{"latest"}})
	mustCreateUpload(t, s, newUpload(other.ID, upload2))

	wantNoErr(t, "DeleteRepository with force", s.DeleteRepository(ctx(t), repo.ID, true))

	_, err = s.GetRepository(ctx(t), registryID, "doomed")
	wantErrIs(t, "GetRepository after a forced delete", err, meta.ErrNotFound)
	wantRepositoryEmpty(t, s, "after a forced delete", repo.ID, []meta.Manifest{amd64, arm64, index, sig},
		[]digest.Digest{config, layer, shared})
	_, err = s.GetUpload(ctx(t), upload1)
	wantErrIs(t, "GetUpload of the deleted repository's session", err, meta.ErrNotFound)
	for _, d := range []digest.Digest{config, layer} {
		_, err = s.FindBlob(ctx(t), registryID, d)
		wantErrIs(t, "FindBlob of a blob only the deleted repository linked", err, meta.ErrNotFound)
	}

	// The other repository is untouched.
	_, err = s.FindBlob(ctx(t), registryID, shared)
	wantNoErr(t, "FindBlob of a blob the other repository links", err)
	r, err := s.ResolveTag(ctx(t), other.ID, "latest")
	wantNoErr(t, "ResolveTag in the other repository", err)
	if r.Digest != amd64.Digest {
		t.Errorf("ResolveTag(other, latest) = %s, want %s", r.Digest, amd64.Digest)
	}
	_, err = s.GetUpload(ctx(t), upload2)
	wantNoErr(t, "GetUpload of the other repository's session", err)
	err = s.UnlinkBlob(ctx(t), other.ID, shared)
	wantErrIs(t, "UnlinkBlob of a blob the other repository's image references", err, meta.ErrReferenced)

	// The name can be used again, and the new repository starts empty.
	again, created, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registryID, Name: "doomed"}, nil)
	wantNoErr(t, "CreateRepository of a deleted name", err)
	if !created {
		t.Errorf("CreateRepository of a deleted name: created = false, want true")
	}
	want := meta.Repository{ID: again.ID, RegistryID: registryID, Name: "doomed", CreatedAt: again.CreatedAt,
		TagMutability: "MUTABLE", EncryptionType: "AES256"}
	wantRepository(t, "CreateRepository of a deleted name (new settings, not the old)", again, want)
	wantRepositoryEmpty(t, s, "recreated", again.ID, []meta.Manifest{amd64, arm64, index, sig},
		[]digest.Digest{config, layer, shared})
	list, err := s.ListRepositories(ctx(t), registryID, "", 100)
	wantNoErr(t, "ListRepositories", err)
	wantStrings(t, "ListRepositories after recreating", repoNames(list), []string{"doomed", "other"})

	// And takes the same image again as new.
	amd64Again := amd64
	amd64Again.RepositoryID = again.ID
	res := mustPut(t, s, meta.ManifestPut{Manifest: amd64Again, Tags: []string{"amd64"}})
	if !res.Created {
		t.Errorf("PutManifest into the recreated repository: Created = false, want true")
	}
	wantNoErr(t, "DeleteManifest in the recreated repository", s.DeleteManifest(ctx(t), again.ID, amd64.Digest))
	wantNoErr(t, "DeleteRepository of the recreated repository", s.DeleteRepository(ctx(t), again.ID, false))
}

// wantRepositoryEmpty checks that repoID holds none of the given manifests, no tags,
// images, resource tags, referrers or links to the given blobs.
func wantRepositoryEmpty(t *testing.T, s meta.Store, what string, repoID int64, ms []meta.Manifest, blobs []digest.Digest) {
	t.Helper()
	for _, m := range ms {
		_, err := s.GetManifest(ctx(t), repoID, m.Digest, false)
		wantErrIs(t, what+": GetManifest", err, meta.ErrNotFound)
		refs, err := s.Referrers(ctx(t), repoID, m.Digest, "")
		wantNoErr(t, what+": Referrers", err)
		if len(refs) != 0 {
			t.Errorf("%s: Referrers(%s) = %+v, want none", what, m.Digest, refs)
		}
	}
	for _, d := range blobs {
		_, err := s.RepositoryBlob(ctx(t), repoID, d)
		wantErrIs(t, what+": RepositoryBlob", err, meta.ErrNotFound)
	}
	mt, err := s.BlobMediaTypes(ctx(t), repoID, blobs)
	wantNoErr(t, what+": BlobMediaTypes", err)
	if len(mt) != 0 {
		t.Errorf("%s: BlobMediaTypes = %v, want none", what, mt)
	}
	for _, tag := range []string{"latest", "v1", "amd64"} {
		_, err := s.ResolveTag(ctx(t), repoID, tag)
		wantErrIs(t, what+": ResolveTag("+tag+")", err, meta.ErrNotFound)
	}
	tags, err := s.ListTags(ctx(t), repoID, "", 100)
	wantNoErr(t, what+": ListTags", err)
	wantStrings(t, what+": ListTags", tags, nil)
	images, err := s.ListImages(ctx(t), repoID, meta.AnyTagStatus, "", 100)
	wantNoErr(t, what+": ListImages", err)
	if len(images) != 0 {
		t.Errorf("%s: ListImages = %d images, want none", what, len(images))
	}
	ids, err := s.ListImageIDs(ctx(t), repoID, meta.AnyTagStatus, meta.ImageID{}, 100)
	wantNoErr(t, what+": ListImageIDs", err)
	if len(ids) != 0 {
		t.Errorf("%s: ListImageIDs = %v, want none", what, ids)
	}
	rtags, err := s.ResourceTags(ctx(t), repoID)
	wantNoErr(t, what+": ResourceTags", err)
	wantResourceTags(t, what+": ResourceTags", rtags, nil)
}
