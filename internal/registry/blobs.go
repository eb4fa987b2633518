package registry

import (
	"context"
	"errors"
	"github.com/berth-registry/berth/internal/blob/encrypt"
	"io"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// StatBlob returns a blob readable in repository rr.
func (r *Registry) StatBlob(ctx context.Context, rr RepoRef, dgstText string) (meta.Blob, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Blob{}, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, err
	}
	return r.repositoryBlob(ctx, repo, dgst)
}

// StatStoredBlob is StatBlob that also says whether the blob store holds the blob's bytes
// as they are (not encrypted by berth), so that a URL to the store itself serves them.
func (r *Registry) StatStoredBlob(ctx context.Context, rr RepoRef, dgstText string) (b meta.Blob, asIs bool, err error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Blob{}, false, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, false, err
	}
	b, err = r.repositoryBlob(ctx, repo, dgst)
	e := r.cfg.Encryption
	return b, e.Keys == nil || (keyRef(repo) == encrypt.AES256 && e.PlaintextAES256), err
}

func (r *Registry) repositoryBlob(ctx context.Context, repo meta.Repository, dgst digest.Digest) (meta.Blob, error) {
	b, err := r.meta.RepositoryBlob(ctx, repo.ID, dgst)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, errcode.New(errcode.BlobUnknown, "blob %s is not in repository %q", dgst, repo.Name)
	}
	if err != nil {
		return meta.Blob{}, internal(err)
	}
	return b, nil
}

// OpenBlob returns a blob's metadata and content. The caller closes the content.
func (r *Registry) OpenBlob(ctx context.Context, rr RepoRef, dgstText string) (meta.Blob, io.ReadSeekCloser, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Blob{}, nil, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, nil, err
	}
	b, err := r.repositoryBlob(ctx, repo, dgst)
	if err != nil {
		return meta.Blob{}, nil, err
	}
	// Data keys are cached: a disabled key must stop pulls all the same.
	if err := r.checkKey(ctx, repo); err != nil {
		return meta.Blob{}, nil, err
	}
	content, err := r.blobs.Open(blobContext(ctx, repo), b.Digest)
	if errors.Is(err, blob.ErrNotFound) {
		// The metadata says it exists but the bytes are gone: a broken store, not a client error.
		return meta.Blob{}, nil, internal(err)
	}
	if err != nil {
		return meta.Blob{}, nil, keyFailure(err) // a disabled KMS key is the client's to fix
	}
	return b, content, nil
}

// DeleteBlob removes a blob from a repository. A blob that a manifest there still
// references stays: deleting it would break that manifest.
func (r *Registry) DeleteBlob(ctx context.Context, rr RepoRef, dgstText string) error {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return err
	}
	err = r.meta.UnlinkBlob(ctx, repo.ID, dgst)
	var ref *meta.ReferencedError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meta.ErrNotFound):
		return errcode.New(errcode.BlobUnknown, "blob %s is not in repository %q", dgst, repo.Name)
	case errors.As(err, &ref):
		return errcode.New(errcode.Referenced,
			"blob %s is referenced by manifest %s in repository %q; delete that manifest first", dgst, ref.By, repo.Name)
	default:
		return internal(err)
	}
}

// BlobMountingSetting is the account setting (ECR's BLOB_MOUNTING) that turns
// cross-repository mounts off when DISABLED; berth mounts by default.
const BlobMountingSetting = "BLOB_MOUNTING"

// MountBlob makes a blob of repository from (or, when from is "", of any repository)
// readable in repository rr without uploading it again. It reports false, with no
// error, when there is nothing to mount: the client then uploads the blob.
func (r *Registry) MountBlob(ctx context.Context, rr RepoRef, dgstText, from string) (meta.Blob, bool, error) {
	repo, err := r.repositoryForPush(ctx, rr)
	if err != nil {
		return meta.Blob{}, false, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return meta.Blob{}, false, err
	}
	setting, err := r.meta.AccountSetting(ctx, rr.Registry, BlobMountingSetting)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, false, internal(err)
	}
	if setting == "DISABLED" {
		return meta.Blob{}, false, nil
	}
	var b meta.Blob
	if from != "" {
		src, serr := r.Repository(ctx, RepoRef{Registry: rr.Registry, Name: from})
		if serr != nil {
			if errcode.Is(serr, errcode.Internal) {
				return meta.Blob{}, false, serr
			}
			return meta.Blob{}, false, nil // a missing or invalid source: upload instead
		}
		if keyRef(src) != keyRef(repo) {
			// As in ECR, a mount happens only between repositories encrypted with the
			// same key; otherwise the client uploads the blob under its repository's key
			// (the blob store keeps a blob once per key).
			return meta.Blob{}, false, nil
		}
		b, err = r.meta.RepositoryBlob(ctx, src.ID, dgst)
	} else {
		b, err = r.meta.FindBlob(ctx, rr.Registry, dgst)
		if err == nil {
			// The repository holding it may have another key: mount only if the
			// bytes exist under this repository's key.
			if _, serr := r.blobs.Stat(blobContext(ctx, repo), dgst); serr != nil {
				if errors.Is(serr, blob.ErrNotFound) {
					return meta.Blob{}, false, nil
				}
				return meta.Blob{}, false, keyFailure(serr)
			}
		}
	}
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, false, nil
	}
	if err != nil {
		return meta.Blob{}, false, internal(err)
	}
	if err := r.meta.LinkBlob(ctx, repo.ID, b); err != nil {
		return meta.Blob{}, false, internal(err)
	}
	return b, true, nil
}
