package registry

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/manifest"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// ServedManifest is a manifest as it goes to a client.
type ServedManifest struct {
	Digest    digest.Digest
	MediaType string
	Payload   []byte
	Subject   digest.Digest
	// RepositoryID and Stored name the stored image, which Digest differs from when
	// the manifest was converted for the client.
	RepositoryID int64
	Stored       digest.Digest
}

// GetManifest returns the manifest ref (a tag or a digest) of repository rr. For a
// reference by tag, accept (the client's Accept header values) may make it convert
// the stored manifest between Docker schema2 and OCI, or translate an image to signed
// Docker schema1 for a client that asks only for that, as ECR does; a reference by
// digest always returns the stored bytes.
func (r *Registry) GetManifest(ctx context.Context, rr RepoRef, ref string, accept []string) (ServedManifest, error) {
	if err := ValidateRepositoryName(rr.Name); err != nil {
		return ServedManifest{}, err
	}
	var mref meta.ManifestRef
	var refErr error
	if IsDigest(ref) {
		mref.Digest, refErr = ParseDigest(ref)
	} else {
		refErr = ValidateTag(ref)
		mref.Tag = ref
	}
	if refErr != nil {
		// A missing repository is the first thing wrong, as before any reference.
		if _, err := r.Repository(ctx, rr); err != nil {
			return ServedManifest{}, err
		}
		return ServedManifest{}, refErr
	}
	// The repository and the manifest in one lookup: a pull's hot path.
	repo, m, err := r.meta.RepositoryManifest(ctx, rr.Registry, rr.Name, mref)
	if errors.Is(err, meta.ErrNotFound) {
		return ServedManifest{}, notFound(rr)
	}
	if err != nil {
		return ServedManifest{}, internal(err)
	}
	if m.Digest == "" {
		if mref.Digest != "" {
			return ServedManifest{}, errcode.New(errcode.ManifestUnknown, "manifest %s is not in repository %q", mref.Digest, repo.Name)
		}
		return ServedManifest{}, errcode.New(errcode.ManifestUnknown, "tag %q is not in repository %q", ref, repo.Name)
	}
	return r.serve(ctx, repo, m, mref.Tag != "", ref, accept)
}

// ServeManifest is GetManifest in a repository already looked up.
func (r *Registry) ServeManifest(ctx context.Context, repo meta.Repository, ref string, accept []string) (ServedManifest, error) {
	m, byTag, err := r.resolve(ctx, repo, ref)
	if err != nil {
		return ServedManifest{}, err
	}
	return r.serve(ctx, repo, m, byTag, ref, accept)
}

// serve is the manifest m of repo as a client asked for it (ref, accept).
func (r *Registry) serve(ctx context.Context, repo meta.Repository, m meta.Manifest, byTag bool, ref string, accept []string) (ServedManifest, error) {
	payload, err := r.payload(ctx, repo, m)
	if err != nil {
		return ServedManifest{}, err
	}
	served := ServedManifest{Digest: m.Digest, MediaType: m.MediaType, Payload: payload, Subject: m.Subject,
		RepositoryID: repo.ID, Stored: m.Digest}
	if !byTag {
		return served, nil
	}
	target := manifest.Negotiate(accept, m.MediaType)
	if target == m.MediaType {
		return served, nil
	}
	parsed, err := manifest.Parse(m.MediaType, payload)
	if err != nil {
		return served, nil
	}
	if target == manifest.MediaTypeDockerSchema1Signed {
		return r.schema1(ctx, repo, ref, parsed, served)
	}
	if !manifest.Convertible(parsed, target) {
		return served, nil
	}
	converted, err := manifest.Convert(parsed, target)
	if err != nil {
		return ServedManifest{}, internal(fmt.Errorf("convert %s to %s: %w", m.Digest, target, err))
	}
	return ServedManifest{Digest: digest.FromBytes(converted), MediaType: target, Payload: converted,
		RepositoryID: repo.ID, Stored: m.Digest}, nil
}

// maxSchema1Config bounds the config blob read to translate an image to schema1;
// real configs are a few KiB, and the translation holds the config in memory.
const maxSchema1Config = 8 << 20

// newSchema1Key makes the key that signs schema1 translations. Clients check only
// that a signature matches its own embedded key (it proves integrity, not origin),
// and the digest covers the unsigned payload, so each process may have its own key
// and replicas still report the same digest, as with Distribution.
func newSchema1Key(log *slog.Logger) crypto.Signer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Error("no key to sign schema1 manifests; clients that accept only schema1 get images as stored", "err", err)
		return nil
	}
	return key
}

// schema1 serves the image m, tagged tag in repo, as signed Docker schema1, or stored
// (the manifest as stored) when it cannot be expressed in schema1: the client then
// gets what it would have got without the translation.
func (r *Registry) schema1(ctx context.Context, repo meta.Repository, tag string, m *manifest.Manifest, stored ServedManifest) (ServedManifest, error) {
	if r.schema1Key == nil || !manifest.Schema1Convertible(m) || m.Config.Size > maxSchema1Config {
		return stored, nil
	}
	config, err := r.readConfig(ctx, repo, m.Config.Digest)
	if err != nil {
		return ServedManifest{}, err
	}
	s1, err := manifest.ToSchema1(m, config, repo.Name, tag, r.schema1Key)
	if errors.Is(err, manifest.ErrNotConvertible) {
		r.log.Debug("manifest served as stored to a schema1 client", "repository", repo.Name, "tag", tag, "reason", err)
		return stored, nil
	}
	if err != nil {
		return ServedManifest{}, internal(fmt.Errorf("translate %s to schema1: %w", stored.Digest, err))
	}
	for _, b := range s1.ExtraBlobs {
		if err := r.provideBlob(ctx, repo, b); err != nil {
			return ServedManifest{}, err
		}
	}
	return ServedManifest{Digest: s1.Digest, MediaType: manifest.MediaTypeDockerSchema1Signed, Payload: s1.Payload,
		RepositoryID: stored.RepositoryID, Stored: stored.Stored}, nil
}

// readConfig reads an image's config blob, which the manifest's push made sure is
// in the repository.
func (r *Registry) readConfig(ctx context.Context, repo meta.Repository, dgst digest.Digest) ([]byte, error) {
	content, err := r.blobs.Open(blobContext(ctx, repo), dgst)
	if err != nil {
		return nil, internal(fmt.Errorf("open config %s: %w", dgst, err))
	}
	defer content.Close()
	config, err := io.ReadAll(io.LimitReader(content, maxSchema1Config+1))
	if err != nil {
		return nil, internal(fmt.Errorf("read config %s: %w", dgst, err))
	}
	if len(config) > maxSchema1Config {
		return nil, internal(fmt.Errorf("config %s is larger than its descriptor says", dgst))
	}
	return config, nil
}

// provideBlob makes b (whose content is b.Data) readable in repo, storing it the way
// an upload does when it is not linked there yet. Concurrent calls are harmless:
// committing content that exists and linking a linked blob both succeed.
func (r *Registry) provideBlob(ctx context.Context, repo meta.Repository, b manifest.Descriptor) error {
	_, err := r.meta.RepositoryBlob(ctx, repo.ID, b.Digest)
	if err == nil {
		return nil
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return internal(err)
	}
	_, err = r.storeBlob(ctx, repo, b.Digest, Chunk{Start: -1, Length: int64(len(b.Data)), Body: bytes.NewReader(b.Data)})
	return err
}

// resolve finds the manifest a reference names, and whether it named it by tag.
func (r *Registry) resolve(ctx context.Context, repo meta.Repository, ref string) (meta.Manifest, bool, error) {
	if IsDigest(ref) {
		dgst, err := ParseDigest(ref)
		if err != nil {
			return meta.Manifest{}, false, err
		}
		m, err := r.meta.GetManifest(ctx, repo.ID, dgst, false)
		if errors.Is(err, meta.ErrNotFound) {
			return meta.Manifest{}, false, errcode.New(errcode.ManifestUnknown,
				"manifest %s is not in repository %q", dgst, repo.Name)
		}
		if err != nil {
			return meta.Manifest{}, false, internal(err)
		}
		return m, false, nil
	}
	if err := ValidateTag(ref); err != nil {
		return meta.Manifest{}, true, err
	}
	m, err := r.meta.ResolveTag(ctx, repo.ID, ref)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Manifest{}, true, errcode.New(errcode.ManifestUnknown,
			"tag %q is not in repository %q", ref, repo.Name)
	}
	if err != nil {
		return meta.Manifest{}, true, internal(err)
	}
	return m, true, nil
}

func (r *Registry) payload(ctx context.Context, repo meta.Repository, m meta.Manifest) ([]byte, error) {
	// The cache holds plaintext: a disabled key must stop pulls all the same.
	if err := r.checkKey(ctx, repo); err != nil {
		return nil, err
	}
	if p, ok := r.manifests.get(m.Digest); ok {
		return p, nil
	}
	full, err := r.meta.GetManifest(ctx, m.RepositoryID, m.Digest, true)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, errcode.New(errcode.ManifestUnknown, "manifest %s was deleted", m.Digest)
	}
	if err != nil {
		return nil, internal(err)
	}
	p, err := r.openManifest(ctx, m.Digest, full.Payload)
	if err != nil {
		return nil, err
	}
	r.manifests.put(m.Digest, p)
	return p, nil
}

func digests(ds []manifest.Descriptor) []digest.Digest {
	out := make([]digest.Digest, len(ds))
	for i, d := range ds {
		out[i] = d.Digest
	}
	return out
}

func join(ds []digest.Digest) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.String()
	}
	return strings.Join(s, ", ")
}

// DeleteManifest deletes a tag (reference by tag) or a manifest with all its tags
// (reference by digest). A manifest that an index references stays.
func (r *Registry) DeleteManifest(ctx context.Context, rr RepoRef, ref string) error {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return err
	}
	if !IsDigest(ref) {
		if err := ValidateTag(ref); err != nil {
			return err
		}
		err := r.meta.DeleteTag(ctx, repo.ID, ref)
		if errors.Is(err, meta.ErrNotFound) {
			return errcode.New(errcode.ManifestUnknown, "tag %q is not in repository %q", ref, repo.Name)
		}
		if err != nil {
			return internal(err)
		}
		return nil
	}
	dgst, err := ParseDigest(ref)
	if err != nil {
		return err
	}
	err = r.meta.DeleteManifest(ctx, repo.ID, dgst)
	var refd *meta.ReferencedError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meta.ErrNotFound):
		return errcode.New(errcode.ManifestUnknown, "manifest %s is not in repository %q", dgst, repo.Name)
	case errors.As(err, &refd):
		return errcode.New(errcode.Referenced,
			"manifest %s is referenced by manifest list %s in repository %q; delete the manifest list first", dgst, refd.By, repo.Name)
	default:
		return internal(err)
	}
}

// Tags lists up to n tags of repository rr after last, and whether more follow.
func (r *Registry) Tags(ctx context.Context, rr RepoRef, last string, n int) ([]string, bool, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return nil, false, err
	}
	tags, err := r.meta.ListTags(ctx, repo.ID, last, n+1)
	if err != nil {
		return nil, false, internal(err)
	}
	if len(tags) > n {
		return tags[:n], true, nil
	}
	return tags, false, nil
}

// Referrers lists the manifests of repository rr whose subject is dgstText,
// optionally only those of artifactType. A repository or subject that does not exist
// has no referrers.
func (r *Registry) Referrers(ctx context.Context, rr RepoRef, dgstText, artifactType string) ([]meta.Descriptor, error) {
	if err := ValidateRepositoryName(rr.Name); err != nil {
		return nil, err
	}
	dgst, err := ParseDigest(dgstText)
	if err != nil {
		return nil, err
	}
	repo, err := r.meta.GetRepository(ctx, rr.Registry, rr.Name)
	if errors.Is(err, meta.ErrNotFound) {
		return []meta.Descriptor{}, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	refs, err := r.meta.Referrers(ctx, repo.ID, dgst, artifactType)
	if err != nil {
		return nil, internal(err)
	}
	return refs, nil
}
