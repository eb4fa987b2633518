// Package meta defines berth's metadata store: repositories, blobs known to each
// repository, manifests, tags and upload sessions. Implementations live in sub-packages
// (sqlite today, postgres later) and all pass the one conformance suite in storetest.
//
// Every method is atomic. Stores know nothing of HTTP or of wire formats.
package meta

import (
	"context"
	"errors"
	"time"

	"github.com/opencontainers/go-digest"
)

// Sentinel errors. Callers test them with errors.Is; stores wrap them with context.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict is a compare-and-set that lost: the row changed since it was read.
	ErrConflict = errors.New("conflict")
	// ErrReferenced is a manifest that an index in the same repository still references.
	ErrReferenced = errors.New("referenced by another manifest")
	// ErrTagImmutable is a tag that may not move to another manifest.
	ErrTagImmutable = errors.New("tag is immutable")
	// ErrNotEmpty is a repository that still holds images.
	ErrNotEmpty = errors.New("repository is not empty")
)

// Store is the whole metadata store.
type Store interface {
	Accounts
	AccessKeys
	IAMUsers
	IAMGroups
	IAMRoles
	IAMPolicies
	IAMManagedPolicies
	ResourcePolicies
	Organization
	AuthEpochs
	Repositories
	RepositoryTags
	Blobs
	Uploads
	Manifests
	Tags
	Images
	KMSKeys
	Leases
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	Close() error
}

// Repository is a named collection of manifests, tags and blobs in one account's
// registry, with the settings ECR keeps per repository.
type Repository struct {
	ID         int64
	RegistryID string
	Name       string
	CreatedAt  time.Time
	// TagMutability is MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION.
	TagMutability string
	// MutabilityExclusions are the wildcard filters of the *_WITH_EXCLUSION modes.
	MutabilityExclusions []string
	ScanOnPush           bool
	EncryptionType       string
	KMSKey               string
}

// Repositories manages repositories.
type Repositories interface {
	// CreateRepository creates repo (ID and CreatedAt are set by the store) with its
	// resource tags, or returns the existing one of that name with created false.
	CreateRepository(ctx context.Context, repo Repository, tags []ResourceTag) (created Repository, isNew bool, err error)
	// GetRepository returns the repository called name, or ErrNotFound.
	GetRepository(ctx context.Context, registryID, name string) (Repository, error)
	// ListRepositories returns up to limit repositories sorted by name, all after after.
	ListRepositories(ctx context.Context, registryID, after string, limit int) ([]Repository, error)
	// UpdateRepository stores repo's settings (tag mutability, exclusions, scan on push).
	UpdateRepository(ctx context.Context, repo Repository) error
	// DeleteRepository deletes a repository with its tags, manifests, blob links and
	// upload sessions. Without force it fails with ErrNotEmpty if it holds images.
	DeleteRepository(ctx context.Context, repoID int64, force bool) error
}

// ResourceTag is a key/value tag on a repository (ECR TagResource), not an image tag.
type ResourceTag struct {
	Key, Value string
}

// RepositoryTags manages resource tags of repositories.
type RepositoryTags interface {
	// ResourceTags returns a repository's tags sorted by key.
	ResourceTags(ctx context.Context, repoID int64) ([]ResourceTag, error)
	// SetResourceTags adds or overwrites tags and removes the keys in remove, as long as
	// the repository ends with at most max tags; otherwise it changes nothing and
	// returns ErrTooManyTags.
	SetResourceTags(ctx context.Context, repoID int64, set []ResourceTag, remove []string, max int) error
}

// ErrTooManyTags is a tag change that would leave a repository with too many tags.
var ErrTooManyTags = errors.New("too many tags")

// Blob is committed content, stored once and linked to each repository that may read it.
type Blob struct {
	Digest    digest.Digest
	Size      int64
	CreatedAt time.Time
}

// Blobs manages committed blobs and their links to repositories.
type Blobs interface {
	// LinkBlob records b (if new) and makes it readable in repository repoID.
	LinkBlob(ctx context.Context, repoID int64, b Blob) error
	// RepositoryBlob returns b if it is linked to repoID, or ErrNotFound.
	RepositoryBlob(ctx context.Context, repoID int64, dgst digest.Digest) (Blob, error)
	// FindBlob returns a committed blob linked to any repository of registryID, or
	// ErrNotFound: blobs are shared within an account's registry only.
	FindBlob(ctx context.Context, registryID string, dgst digest.Digest) (Blob, error)
	// UnlinkBlob removes the link between repoID and dgst. It fails with ErrNotFound if
	// there is no link, and with a *ReferencedError if a manifest in the repository
	// still references the blob.
	UnlinkBlob(ctx context.Context, repoID int64, dgst digest.Digest) error
}

// Upload is a blob upload session. Its data lives in the blob store under ID; its
// progress (Size bytes received, the running hash state) lives here, so any replica can
// continue it.
type Upload struct {
	ID           string
	RepositoryID int64
	Size         int64
	// HashState is the marshaled state of the running sha256 over the first Size bytes.
	HashState []byte
	// Chunks counts the chunks received; LastChunk is the size of the last one.
	Chunks    int64
	LastChunk int64
	// SmallestChunk is the size of the smallest chunk before the last one (0 if
	// none): ECR refuses layer parts under 5 MiB except the last.
	SmallestChunk int64
	StartedAt     time.Time
	UpdatedAt     time.Time
}

// Uploads manages upload sessions.
type Uploads interface {
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns the session, or ErrNotFound.
	GetUpload(ctx context.Context, id string) (Upload, error)
	// AdvanceUpload records progress: it succeeds only if the session still has
	// fromSize bytes (compare-and-set), else ErrConflict; ErrNotFound if it is gone.
	AdvanceUpload(ctx context.Context, id string, fromSize int64, u Upload) error
	// DeleteUpload removes the session, or returns ErrNotFound.
	DeleteUpload(ctx context.Context, id string) error
	// ExpiredUploads returns the ids of sessions last updated before cutoff.
	ExpiredUploads(ctx context.Context, cutoff time.Time, limit int) ([]string, error)
	// UploadExists reports whether a session with id exists.
	UploadExists(ctx context.Context, id string) (bool, error)
}

// Manifest is a stored manifest (an ECR image). Payload is kept verbatim.
type Manifest struct {
	RepositoryID int64
	Digest       digest.Digest
	MediaType    string
	// ArtifactType is what the referrers API reports for this manifest.
	ArtifactType string
	// ConfigMediaType is the config descriptor's media type (ECR's artifactMediaType).
	ConfigMediaType string
	// Subject is the digest of the manifest this one refers to, or "".
	Subject     digest.Digest
	Annotations map[string]string
	Size        int64
	// ImageSize is the image's size as ECR reports it (imageSizeInBytes).
	ImageSize int64
	Payload   []byte
	PushedAt  time.Time
	// LastPulledAt is the zero time until the image is first pulled.
	LastPulledAt time.Time
}

// BlobRef is a blob a manifest references, with the media type it is referenced as.
type BlobRef struct {
	Digest    digest.Digest
	MediaType string
}

// ManifestPut is everything PutManifest writes in one transaction.
type ManifestPut struct {
	Manifest Manifest
	// Blobs must all be linked to the repository, else the put fails with a
	// *MissingError listing them and nothing is written.
	Blobs []BlobRef
	// Children are manifests an index references; they must all exist in the repository.
	Children []digest.Digest
	// Tags are pointed at the manifest.
	Tags []string
	// ImmutableTags are those of Tags that may not move: if one already points at
	// another manifest, the put fails with a *TagImmutableError and writes nothing.
	ImmutableTags []string
}

// PutResult says what a PutManifest changed.
type PutResult struct {
	// Created is true when the manifest was not stored before.
	Created bool
	// MovedTags are the tags that now point at the manifest and did not before.
	MovedTags []string
}

// TagImmutableError is a put refused because an immutable tag points elsewhere.
type TagImmutableError struct {
	Tag string
	// Digest is the manifest the tag points at.
	Digest digest.Digest
}

func (e *TagImmutableError) Error() string {
	return "tag " + e.Tag + " is immutable and points at " + e.Digest.String()
}
func (e *TagImmutableError) Unwrap() error { return ErrTagImmutable }

// MissingError is a manifest put refused because some references are absent.
type MissingError struct {
	Blobs     []digest.Digest
	Manifests []digest.Digest
}

func (e *MissingError) Error() string {
	return "manifest references content that is not in the repository"
}

// Descriptor is what the referrers API lists for a manifest.
type Descriptor struct {
	MediaType    string
	Digest       digest.Digest
	Size         int64
	ArtifactType string
	Annotations  map[string]string
}

// Manifests manages manifests and their references.
type Manifests interface {
	// PutManifest stores a manifest with its references and tags atomically.
	PutManifest(ctx context.Context, p ManifestPut) (PutResult, error)
	// GetManifest returns a manifest by digest, or ErrNotFound. withPayload false
	// leaves Payload nil (for HEAD and cached reads).
	GetManifest(ctx context.Context, repoID int64, dgst digest.Digest, withPayload bool) (Manifest, error)
	// DeleteManifest deletes a manifest and every tag that points to it. It fails with
	// ErrReferenced (wrapped in a *ReferencedError) if an index in the repository
	// references it, ErrNotFound if absent.
	DeleteManifest(ctx context.Context, repoID int64, dgst digest.Digest) error
	// RepositoryManifest returns the repository called name and the manifest (Payload
	// nil) that ref names in it, in one round trip to the database: a pull's two lookups.
	// It fails with ErrNotFound if there is no such repository; a repository without
	// that manifest comes back with a zero Manifest (Digest "").
	RepositoryManifest(ctx context.Context, registryID, name string, ref ManifestRef) (Repository, Manifest, error)
	// Referrers lists manifests whose subject is dgst, optionally only artifactType,
	// oldest push first; none is an empty, non-nil slice.
	Referrers(ctx context.Context, repoID int64, dgst digest.Digest, artifactType string) ([]Descriptor, error)
}

// ManifestRef names a manifest by tag, or by digest when Digest is set.
type ManifestRef struct {
	Tag    string
	Digest digest.Digest
}

// ReferencedError names the manifest that keeps a manifest or blob from being deleted.
type ReferencedError struct {
	By digest.Digest
}

func (e *ReferencedError) Error() string { return "manifest is referenced by " + e.By.String() }
func (e *ReferencedError) Unwrap() error { return ErrReferenced }

// Tags manages tags.
type Tags interface {
	// ResolveTag returns the manifest a tag points to (Payload nil), or ErrNotFound.
	ResolveTag(ctx context.Context, repoID int64, tag string) (Manifest, error)
	// ListTags returns up to limit tags sorted ascending, all greater than after.
	ListTags(ctx context.Context, repoID int64, after string, limit int) ([]string, error)
	// DeleteTag removes a tag (not the manifest), or returns ErrNotFound.
	DeleteTag(ctx context.Context, repoID int64, tag string) error
	// UntagImage removes a tag as ECR's BatchDeleteImage does: the image it pointed at
	// is deleted too when that was its last tag and no index references it. It
	// returns the image's digest and whether the image was deleted; ErrNotFound if
	// there is no such tag.
	UntagImage(ctx context.Context, repoID int64, tag string) (dgst digest.Digest, deleted bool, err error)
}

// TagStatus filters images by whether they have tags (ECR's tagStatus).
type TagStatus int

const (
	AnyTagStatus TagStatus = iota
	Tagged
	Untagged
)

// Image is a manifest with its tags, as ECR describes an image.
type Image struct {
	Manifest
	Tags []string
}

// ImageID is one row of ECR's ListImages: an image and one of its tags, or an
// untagged image with Tag "".
type ImageID struct {
	Digest digest.Digest
	Tag    string
}

// Images answers ECR's image listings without N+1 queries.
type Images interface {
	// ListImages returns up to limit images (Payload nil) sorted by digest, all after
	// afterDigest.
	ListImages(ctx context.Context, repoID int64, status TagStatus, afterDigest digest.Digest, limit int) ([]Image, error)
	// GetImages returns the images of the given digests that exist (Payload nil).
	GetImages(ctx context.Context, repoID int64, digests []digest.Digest) ([]Image, error)
	// ListImageIDs returns up to limit (digest, tag) rows sorted by digest then tag,
	// all after after.
	ListImageIDs(ctx context.Context, repoID int64, status TagStatus, after ImageID, limit int) ([]ImageID, error)
	// RecordPull sets an image's last pull time.
	RecordPull(ctx context.Context, repoID int64, dgst digest.Digest, at time.Time) error
	// BlobMediaTypes returns, for each digest some manifest of the repository
	// references as a blob, the media type it is referenced as.
	BlobMediaTypes(ctx context.Context, repoID int64, digests []digest.Digest) (map[digest.Digest]string, error)
}
