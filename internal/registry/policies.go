package registry

import (
	"context"
	"errors"

	"github.com/berth-registry/berth/internal/errcode"
	"github.com/berth-registry/berth/internal/meta"
)

// SetRepositoryPolicy sets a repository's resource-based policy. The text is
// validated by the caller, who knows the policy language.
func (r *Registry) SetRepositoryPolicy(ctx context.Context, rr RepoRef, text string) error {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return err
	}
	if err := r.meta.SetRepositoryPolicy(ctx, repo.ID, text); errors.Is(err, meta.ErrNotFound) {
		return notFound(rr)
	} else if err != nil {
		return internal(err)
	}
	r.log.Info("set repository policy", "registry", rr.Registry, "repository", rr.Name)
	return nil
}

func repositoryPolicyNotFound(rr RepoRef) error {
	return errcode.New(errcode.RepositoryPolicyNotFound,
		"Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", rr.Name, rr.Registry)
}

// RepositoryPolicy returns a repository's policy.
func (r *Registry) RepositoryPolicy(ctx context.Context, rr RepoRef) (string, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return "", err
	}
	text, err := r.meta.RepositoryPolicy(ctx, repo.ID)
	if errors.Is(err, meta.ErrNotFound) {
		return "", repositoryPolicyNotFound(rr)
	}
	if err != nil {
		return "", internal(err)
	}
	return text, nil
}

// DeleteRepositoryPolicy deletes a repository's policy and returns it.
func (r *Registry) DeleteRepositoryPolicy(ctx context.Context, rr RepoRef) (string, error) {
	repo, err := r.Repository(ctx, rr)
	if err != nil {
		return "", err
	}
	text, err := r.meta.DeleteRepositoryPolicy(ctx, repo.ID)
	if errors.Is(err, meta.ErrNotFound) {
		return "", repositoryPolicyNotFound(rr)
	}
	if err != nil {
		return "", internal(err)
	}
	r.log.Info("deleted repository policy", "registry", rr.Registry, "repository", rr.Name)
	return text, nil
}

// PutRegistryPolicy sets a registry's policy.
func (r *Registry) PutRegistryPolicy(ctx context.Context, registryID, text string) error {
	if err := r.meta.PutRegistryPolicy(ctx, registryID, text); err != nil {
		return internal(err)
	}
	r.log.Info("put registry policy", "registry", registryID)
	return nil
}

func registryPolicyNotFound(registryID string) error {
	return errcode.New(errcode.RegistryPolicyNotFound, "Registry policy does not exist in the registry with id '%s'", registryID)
}

// RegistryPolicy returns a registry's policy.
func (r *Registry) RegistryPolicy(ctx context.Context, registryID string) (string, error) {
	text, err := r.meta.RegistryPolicy(ctx, registryID)
	if errors.Is(err, meta.ErrNotFound) {
		return "", registryPolicyNotFound(registryID)
	}
	if err != nil {
		return "", internal(err)
	}
	return text, nil
}

// DeleteRegistryPolicy deletes a registry's policy and returns it.
func (r *Registry) DeleteRegistryPolicy(ctx context.Context, registryID string) (string, error) {
	text, err := r.meta.DeleteRegistryPolicy(ctx, registryID)
	if errors.Is(err, meta.ErrNotFound) {
		return "", registryPolicyNotFound(registryID)
	}
	if err != nil {
		return "", internal(err)
	}
	r.log.Info("deleted registry policy", "registry", registryID)
	return text, nil
}
