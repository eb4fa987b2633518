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
)

// Store is the whole metadata store.
type Store interface {
	Repositories
	Blobs
	Uploads
	Manifests
	Tags
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	Close() error
}

// Repository is a named collection of manifests, tags and blobs.
type Repository struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Repositories manages repositories.
type Repositories interface {
	// CreateRepository creates name, or returns the existing one with created false.
	CreateRepository(ctx context.Context, name string) (repo Repository, created bool, err error)
	// GetRepository returns the repository called name, or ErrNotFound.
	GetRepository(ctx context.Context, name string) (Repository, error)
	// ListRepositories returns up to limit names sorted ascending, all greater than after.
	ListRepositories(ctx context.Context, after string, limit int) ([]string, error)
}

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
	// FindBlob returns a committed blob linked to any repository, or ErrNotFound.
	FindBlob(ctx context.Context, dgst digest.Digest) (Blob, error)
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
	StartedAt time.Time
	UpdatedAt time.Time
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

// Manifest is a stored manifest. Payload is kept verbatim.
type Manifest struct {
	RepositoryID int64
	Digest       digest.Digest
	MediaType    string
	// ArtifactType is what the referrers API reports for this manifest.
	ArtifactType string
	// Subject is the digest of the manifest this one refers to, or "".
	Subject     digest.Digest
	Annotations map[string]string
	Size        int64
	// ImageSize is the sum of config and layer sizes (index: see the registry service).
	ImageSize int64
	Payload   []byte
	PushedAt  time.Time
}

// ManifestPut is everything PutManifest writes in one transaction.
type ManifestPut struct {
	Manifest Manifest
	// Blobs must all be linked to the repository, else the put fails with a
	// *MissingError listing them and nothing is written.
	Blobs []digest.Digest
	// Children are manifests an index references; they must all exist in the repository.
	Children []digest.Digest
	// Tags are pointed at the manifest.
	Tags []string
}

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
	PutManifest(ctx context.Context, p ManifestPut) error
	// GetManifest returns a manifest by digest, or ErrNotFound. withPayload false
	// leaves Payload nil (for HEAD and cached reads).
	GetManifest(ctx context.Context, repoID int64, dgst digest.Digest, withPayload bool) (Manifest, error)
	// DeleteManifest deletes a manifest and every tag that points to it. It fails with
	// ErrReferenced (wrapped in a *ReferencedError) if an index in the repository
	// references it, ErrNotFound if absent.
	DeleteManifest(ctx context.Context, repoID int64, dgst digest.Digest) error
	// Referrers lists manifests whose subject is dgst, optionally only artifactType,
	// oldest push first; none is an empty, non-nil slice.
	Referrers(ctx context.Context, repoID int64, dgst digest.Digest, artifactType string) ([]Descriptor, error)
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
}
