// Package registry is berth's domain: repositories, blobs, upload sessions, manifests,
// tags and referrers, with the rules both API faces (OCI /v2 and ECR) share. It knows
// nothing of HTTP; it speaks errcode errors and meta/blob stores.
package registry

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// Config holds the registry's policies.
type Config struct {
	// CreateOnPush creates a repository on its first push; when false, pushing to a
	// repository that does not exist fails with NameUnknown, as in ECR.
	CreateOnPush bool
	// UploadExpiry is how long an idle upload session lives.
	UploadExpiry time.Duration
	// ManifestCacheBytes bounds the in-memory cache of manifest payloads.
	ManifestCacheBytes int64
	// PullTimeResolution is how often an image's last pull time is written at most.
	PullTimeResolution time.Duration
	// Encryption says how repositories' blobs and manifests are encrypted at rest;
	// the zero value encrypts nothing (manifests) and leaves blobs to the blob store.
	Encryption Encryption
}

// Registry implements the registry's operations over a metadata and a blob store.
type Registry struct {
	meta      meta.Store
	blobs     blob.Store
	cfg       Config
	log       *slog.Logger
	manifests *payloadCache
	uploads   keyedMutex
	pulls     pullClock
	now       func() time.Time
	// schema1Key signs manifests translated to schema1 for old clients;
	// nil disables the translation.
	schema1Key crypto.Signer
	// holder names this process in leases of jobs that one replica runs.
	holder string
}

// New returns a Registry.
func New(m meta.Store, b blob.Store, cfg Config, log *slog.Logger) *Registry {
	if cfg.ManifestCacheBytes == 0 {
		cfg.ManifestCacheBytes = 64 << 20
	}
	if cfg.PullTimeResolution == 0 {
		cfg.PullTimeResolution = time.Minute
	}
	return &Registry{
		meta:      m,
		blobs:     b,
		cfg:       cfg,
		log:       log,
		manifests: newPayloadCache(cfg.ManifestCacheBytes),
		now:       time.Now,
		// One key per process, as Distribution makes without a configured one.
		schema1Key: newSchema1Key(log),
		holder:     newUUID(),
	}
}

// Ready reports whether the stores can serve requests.
func (r *Registry) Ready(ctx context.Context) error {
	return r.meta.Ping(ctx)
}

// RepoRef names a repository in one account's registry.
type RepoRef struct {
	// Registry is the id of the account whose registry holds the repository.
	Registry string
	Name     string
}

// notFound is ECR's RepositoryNotFoundException message, used on both faces.
func notFound(rr RepoRef) error {
	return errcode.New(errcode.NameUnknown,
		"The repository with name '%s' does not exist in the registry with id '%s'", truncate(rr.Name), rr.Registry)
}

// Repository returns an existing repository.
func (r *Registry) Repository(ctx context.Context, rr RepoRef) (meta.Repository, error) {
	if err := ValidateRepositoryName(rr.Name); err != nil {
		return meta.Repository{}, err
	}
	repo, err := r.meta.GetRepository(ctx, rr.Registry, rr.Name)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Repository{}, notFound(rr)
	}
	if err != nil {
		return meta.Repository{}, internal(err)
	}
	return repo, nil
}

// CreateCheck decides whether a push may create the repository it goes to: the
// caller's permission to create repositories, which the domain does not know.
type CreateCheck func(ctx context.Context, rr RepoRef) error

type createCheckKey struct{}

// WithCreateCheck returns a context under which a push creates a repository only if
// check allows it.
func WithCreateCheck(ctx context.Context, check CreateCheck) context.Context {
	return context.WithValue(ctx, createCheckKey{}, check)
}

// repositoryForPush returns the repository a push goes to, creating it with default
// settings when create-on-push is on.
func (r *Registry) repositoryForPush(ctx context.Context, rr RepoRef) (meta.Repository, error) {
	if !r.cfg.CreateOnPush {
		return r.Repository(ctx, rr)
	}
	if err := ValidateRepositoryName(rr.Name); err != nil {
		return meta.Repository{}, err
	}
	repo, err := r.meta.GetRepository(ctx, rr.Registry, rr.Name)
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return meta.Repository{}, internal(err)
	}
	if check, ok := ctx.Value(createCheckKey{}).(CreateCheck); ok {
		if err := check(ctx, rr); err != nil {
			return meta.Repository{}, err
		}
	}
	repo, created, err := r.meta.CreateRepository(ctx, meta.Repository{RegistryID: rr.Registry, Name: rr.Name}, nil)
	if err != nil {
		return meta.Repository{}, internal(err)
	}
	if created {
		r.log.Info("repository created on push", "registry", rr.Registry, "repository", rr.Name)
	}
	return repo, nil
}

// Catalog lists up to n repository names of a registry after last, and whether more follow.
func (r *Registry) Catalog(ctx context.Context, registryID, last string, n int) ([]string, bool, error) {
	repos, more, err := r.Repositories(ctx, registryID, last, n)
	if err != nil {
		return nil, false, err
	}
	names := make([]string, len(repos))
	for i, repo := range repos {
		names[i] = repo.Name
	}
	return names, more, nil
}

func internal(err error) error {
	return &errcode.Error{Code: errcode.Internal, Message: "internal server error", Err: err}
}

func wrapf(code errcode.Code, err error, format string, args ...any) error {
	return &errcode.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}
