package registry

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// Tag mutability modes, as ECR names them.
const (
	Mutable                = "MUTABLE"
	Immutable              = "IMMUTABLE"
	ImmutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION"
	MutableWithExclusion   = "MUTABLE_WITH_EXCLUSION"
)

// MaxResourceTags is how many resource tags a repository may carry, as in ECR.
const MaxResourceTags = 50

// TagImmutable reports whether tag may not move to another image in repo.
func TagImmutable(repo meta.Repository, tag string) bool {
	switch repo.TagMutability {
	case Immutable:
		return true
	case ImmutableWithExclusion:
		return !matchesAny(repo.MutabilityExclusions, tag)
	case MutableWithExclusion:
		return matchesAny(repo.MutabilityExclusions, tag)
	}
	return false
}

// matchesAny reports whether tag matches one of ECR's wildcard filters, in which '*'
// stands for any run of characters and every other character for itself.
func matchesAny(filters []string, tag string) bool {
	for _, f := range filters {
		// path.Match treats only '*', '?', '[' and '\\' specially; the filter
		// pattern ^[0-9a-zA-Z._*-]+$ admits '*' alone of those, and tags have no '/'.
		if ok, _ := path.Match(f, tag); ok {
			return true
		}
	}
	return false
}

// CreateRepository creates a repository with its settings and resource tags.
func (r *Registry) CreateRepository(ctx context.Context, rr RepoRef, settings meta.Repository, tags []meta.ResourceTag) (meta.Repository, error) {
	if err := ValidateRepositoryName(rr.Name); err != nil {
		return meta.Repository{}, err
	}
	settings.RegistryID, settings.Name = rr.Registry, rr.Name
	if err := r.resolveEncryption(ctx, &settings); err != nil {
		return meta.Repository{}, err
	}
	repo, created, err := r.meta.CreateRepository(ctx, settings, tags)
	if err != nil {
		return meta.Repository{}, internal(err)
	}
	if !created {
		return meta.Repository{}, errcode.New(errcode.RepositoryAlreadyExists,
			"The repository with name '%s' already exists in the registry with id '%s'", rr.Name, rr.Registry)
	}
	return repo, nil
}

// Repositories lists up to n repositories of a registry after last, and whether more
// follow.
func (r *Registry) Repositories(ctx context.Context, registryID, last string, n int) ([]meta.Repository, bool, error) {
	repos, err := r.meta.ListRepositories(ctx, registryID, last, n+1)
	if err != nil {
		return nil, false, internal(err)
	}
	if len(repos) > n {
		return repos[:n], true, nil
	}
	return repos, false, nil
}

// DeleteRepository deletes a repository; without force only an empty one.
func (r *Registry) DeleteRepository(ctx context.Context, rr RepoRef, force bool) (meta.Repository, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Repository{}, err
	}
	err = r.meta.DeleteRepository(ctx, repo.ID, force)
	switch {
	case errors.Is(err, meta.ErrNotEmpty):
		return meta.Repository{}, errcode.New(errcode.RepositoryNotEmpty,
			"The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images",
			rr.Name, rr.Registry)
	case errors.Is(err, meta.ErrNotFound):
		return meta.Repository{}, notFound(rr)
	case err != nil:
		return meta.Repository{}, internal(err)
	}
	return repo, nil
}

// UpdateRepository changes a repository's settings with change.
func (r *Registry) UpdateRepository(ctx context.Context, rr RepoRef, change func(*meta.Repository)) (meta.Repository, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return meta.Repository{}, err
	}
	change(&repo)
	if err := r.meta.UpdateRepository(ctx, repo); errors.Is(err, meta.ErrNotFound) {
		return meta.Repository{}, notFound(rr)
	} else if err != nil {
		return meta.Repository{}, internal(err)
	}
	return repo, nil
}

// ResourceTags returns a repository's resource tags.
func (r *Registry) ResourceTags(ctx context.Context, rr RepoRef) ([]meta.ResourceTag, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return nil, err
	}
	tags, err := r.meta.ResourceTags(ctx, repo.ID)
	if err != nil {
		return nil, internal(err)
	}
	return tags, nil
}

// ChangeResourceTags sets and removes resource tags of a repository.
func (r *Registry) ChangeResourceTags(ctx context.Context, rr RepoRef, set []meta.ResourceTag, remove []string) error {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return err
	}
	err = r.meta.SetResourceTags(ctx, repo.ID, set, remove, MaxResourceTags)
	if errors.Is(err, meta.ErrTooManyTags) {
		return errcode.New(errcode.TooManyTags, "The maximum number of tags that can be applied to a repository is %d.", MaxResourceTags)
	}
	if err != nil {
		return internal(err)
	}
	return nil
}

// ValidExclusionFilter reports whether f is an ECR tag mutability exclusion filter.
func ValidExclusionFilter(f string) bool {
	if len(f) < 1 || len(f) > 128 {
		return false
	}
	return strings.Trim(f, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._*-") == ""
}
