package registry

import (
	"context"
	"errors"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// ImagesPage lists up to n images of repo after afterDigest, and whether more follow.
func (r *Registry) ImagesPage(ctx context.Context, repo meta.Repository, status meta.TagStatus, after digest.Digest, n int) ([]meta.Image, bool, error) {
	images, err := r.meta.ListImages(ctx, repo.ID, status, after, n+1)
	if err != nil {
		return nil, false, internal(err)
	}
	if len(images) > n {
		return images[:n], true, nil
	}
	return images, false, nil
}

// ImagesByDigest returns the images of repo with the given digests that exist.
func (r *Registry) ImagesByDigest(ctx context.Context, repo meta.Repository, digests []digest.Digest) ([]meta.Image, error) {
	images, err := r.meta.GetImages(ctx, repo.ID, digests)
	if err != nil {
		return nil, internal(err)
	}
	return images, nil
}

// ImageIDsPage lists up to n (digest, tag) rows of repo after after, and whether more follow.
func (r *Registry) ImageIDsPage(ctx context.Context, repo meta.Repository, status meta.TagStatus, after meta.ImageID, n int) ([]meta.ImageID, bool, error) {
	ids, err := r.meta.ListImageIDs(ctx, repo.ID, status, after, n+1)
	if err != nil {
		return nil, false, internal(err)
	}
	if len(ids) > n {
		return ids[:n], true, nil
	}
	return ids, false, nil
}

// ResolveTag returns the image a tag of repo points at (Payload nil).
func (r *Registry) ResolveTag(ctx context.Context, repo meta.Repository, tag string) (meta.Manifest, error) {
	m, err := r.meta.ResolveTag(ctx, repo.ID, tag)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Manifest{}, errcode.New(errcode.ManifestUnknown, "tag %q is not in repository %q", tag, repo.Name)
	}
	if err != nil {
		return meta.Manifest{}, internal(err)
	}
	return m, nil
}

// UntagImage removes a tag as ECR's BatchDeleteImage does: the image goes too when it
// loses its last tag, unless a manifest list references it.
func (r *Registry) UntagImage(ctx context.Context, repo meta.Repository, tag string) (digest.Digest, error) {
	d, _, err := r.meta.UntagImage(ctx, repo.ID, tag)
	if errors.Is(err, meta.ErrNotFound) {
		return "", errcode.New(errcode.ManifestUnknown, "tag %q is not in repository %q", tag, repo.Name)
	}
	if err != nil {
		return "", internal(err)
	}
	return d, nil
}

// DeleteImage deletes an image of repo with all its tags, which it returns.
func (r *Registry) DeleteImage(ctx context.Context, repo meta.Repository, dgst digest.Digest) ([]string, error) {
	images, err := r.meta.GetImages(ctx, repo.ID, []digest.Digest{dgst})
	if err != nil {
		return nil, internal(err)
	}
	if len(images) == 0 {
		return nil, errcode.New(errcode.ManifestUnknown, "manifest %s is not in repository %q", dgst, repo.Name)
	}
	err = r.meta.DeleteManifest(ctx, repo.ID, dgst)
	var refd *meta.ReferencedError
	switch {
	case err == nil:
		return images[0].Tags, nil
	case errors.Is(err, meta.ErrNotFound):
		return nil, errcode.New(errcode.ManifestUnknown, "manifest %s is not in repository %q", dgst, repo.Name)
	case errors.As(err, &refd):
		return nil, errcode.New(errcode.Referenced, "Requested image referenced by manifest list: [%s]", refd.By)
	default:
		return nil, internal(err)
	}
}

// Layers returns the blobs of repo among digests, and the media type each is
// referenced as by the repository's manifests (absent for an unreferenced blob).
func (r *Registry) Layers(ctx context.Context, repo meta.Repository, digests []digest.Digest) (map[digest.Digest]meta.Blob, map[digest.Digest]string, error) {
	blobs := make(map[digest.Digest]meta.Blob, len(digests))
	for _, d := range digests {
		b, err := r.meta.RepositoryBlob(ctx, repo.ID, d)
		if errors.Is(err, meta.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, internal(err)
		}
		blobs[d] = b
	}
	types, err := r.meta.BlobMediaTypes(ctx, repo.ID, digests)
	if err != nil {
		return nil, nil, internal(err)
	}
	return blobs, types, nil
}
