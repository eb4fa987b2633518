package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/manifest"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// PutRequest is a manifest push, from /v2 or from ECR's PutImage.
type PutRequest struct {
	// Tags to point at the manifest.
	Tags []string
	// Digest, if set, is what the client says the manifest's digest is; its
	// algorithm is the one the manifest is stored under.
	Digest      string
	ContentType string
	Body        io.Reader
}

// PutOutcome is a stored manifest and what the push changed.
type PutOutcome struct {
	ServedManifest
	// Created is true when the manifest was not in the repository before.
	Created bool
	// MovedTags are the tags that point at the manifest now and did not before.
	MovedTags []string
}

// PutManifest stores a manifest and points tags at it. Everything it references must
// already be in the repository, and an immutable tag never moves.
func (r *Registry) PutManifest(ctx context.Context, rr RepoRef, req PutRequest) (PutOutcome, error) {
	repo, err := r.repositoryForPush(ctx, rr)
	if err != nil {
		return PutOutcome{}, err
	}
	alg := digest.Canonical
	var want digest.Digest
	if req.Digest != "" {
		if want, err = ParseDigest(req.Digest); err != nil {
			return PutOutcome{}, err
		}
		alg = want.Algorithm()
	}
	for _, t := range req.Tags {
		if err := ValidateTag(t); err != nil {
			return PutOutcome{}, err
		}
	}
	payload, err := readManifest(req.Body)
	if err != nil {
		return PutOutcome{}, err
	}
	m, err := manifest.Parse(req.ContentType, payload)
	if err != nil {
		return PutOutcome{}, wrapf(errcode.ManifestInvalid, err, "%s", strings.TrimPrefix(err.Error(), "invalid manifest: "))
	}
	dgst := m.Digest(alg)
	if want != "" && dgst != want {
		return PutOutcome{}, errcode.New(errcode.ManifestDigestMismatch,
			"the manifest's digest is %s, not %s as the request says", dgst, want)
	}
	size, err := r.imageSize(ctx, repo, m)
	if err != nil {
		return PutOutcome{}, err
	}
	stored, err := r.sealManifest(ctx, repo, dgst, payload)
	if err != nil {
		return PutOutcome{}, err
	}
	put := meta.ManifestPut{
		Manifest: meta.Manifest{
			RepositoryID:    repo.ID,
			Digest:          dgst,
			MediaType:       m.MediaType,
			ArtifactType:    m.ArtifactType,
			ConfigMediaType: m.ConfigMediaType,
			Annotations:     m.Annotations,
			Size:            int64(len(payload)),
			ImageSize:       size,
			Payload:         stored,
			PushedAt:        r.now(),
		},
		Children: digests(m.Manifests),
		Tags:     req.Tags,
	}
	for _, b := range m.Blobs {
		put.Blobs = append(put.Blobs, meta.BlobRef{Digest: b.Digest, MediaType: b.MediaType})
	}
	for _, t := range req.Tags {
		if TagImmutable(repo, t) {
			put.ImmutableTags = append(put.ImmutableTags, t)
		}
	}
	if m.Subject != nil {
		put.Manifest.Subject = m.Subject.Digest
	}
	res, err := r.meta.PutManifest(ctx, put)
	if err != nil {
		return PutOutcome{}, putError(rr, err)
	}
	r.manifests.put(dgst, payload)
	return PutOutcome{
		ServedManifest: ServedManifest{Digest: dgst, MediaType: m.MediaType, Payload: payload,
			Subject: put.Manifest.Subject, RepositoryID: repo.ID, Stored: dgst},
		Created:   res.Created,
		MovedTags: res.MovedTags,
	}, nil
}

func putError(rr RepoRef, err error) error {
	var missing *meta.MissingError
	var immutable *meta.TagImmutableError
	switch {
	case errors.As(err, &missing) && len(missing.Blobs) > 0:
		return errcode.New(errcode.ManifestBlobUnknown,
			"Layers with digests '%s' required for pushing image into repository with name '%s' in registry with id '%s' do not exist; push them first",
			join(missing.Blobs), rr.Name, rr.Registry).WithDetail(map[string]any{"digests": missing.Blobs})
	case errors.As(err, &missing):
		return errcode.New(errcode.ReferencedManifestUnknown,
			"The manifest list references images that do not exist in repository '%s': %s; push them first",
			rr.Name, join(missing.Manifests)).WithDetail(map[string]any{"digests": missing.Manifests})
	case errors.As(err, &immutable):
		return errcode.New(errcode.TagImmutable,
			"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.",
			immutable.Tag, rr.Name)
	}
	return internal(err)
}

// readManifest reads a manifest body, refusing one over manifest.MaxSize.
func readManifest(body io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(body, manifest.MaxSize+1))
	if err != nil {
		return nil, wrapf(errcode.ManifestInvalid, err, "reading the manifest failed after %d bytes", n)
	}
	if n > manifest.MaxSize {
		return nil, errcode.New(errcode.ManifestTooLarge,
			"manifest is larger than the %d bytes (4 MiB) limit", manifest.MaxSize)
	}
	return buf.Bytes(), nil
}

// imageSize is an image's size as ECR reports it (imageSizeInBytes): the compressed
// size of its layers, which schema1 manifests do not record, so they are read from the
// stored blobs; for a manifest list, the largest of its images.
func (r *Registry) imageSize(ctx context.Context, repo meta.Repository, m *manifest.Manifest) (int64, error) {
	if len(m.Manifests) > 0 {
		children, err := r.meta.GetImages(ctx, repo.ID, digests(m.Manifests))
		if err != nil {
			return 0, internal(err)
		}
		var largest int64
		for _, c := range children {
			largest = max(largest, c.ImageSize)
		}
		return largest, nil
	}
	var total int64
	for _, l := range m.Layers {
		if l.Size != manifest.SizeUnknown {
			total += l.Size
			continue
		}
		b, err := r.meta.RepositoryBlob(ctx, repo.ID, l.Digest)
		if err == nil {
			total += b.Size
		} else if !errors.Is(err, meta.ErrNotFound) {
			return 0, internal(err)
		}
	}
	return total, nil
}
