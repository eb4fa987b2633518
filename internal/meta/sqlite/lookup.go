package sqlite

import (
	"context"
	"errors"

	"github.com/berth-registry/berth/internal/meta"
)

// RepositoryManifest looks the repository up, then the manifest: SQLite is in process,
// so there is no round trip to save by asking both at once.
func (s *Store) RepositoryManifest(ctx context.Context, registryID, name string, ref meta.ManifestRef) (meta.Repository, meta.Manifest, error) {
	repo, err := s.GetRepository(ctx, registryID, name)
	if err != nil {
		return meta.Repository{}, meta.Manifest{}, err
	}
	var m meta.Manifest
	if ref.Digest != "" {
		m, err = s.GetManifest(ctx, repo.ID, ref.Digest, false)
	} else {
		m, err = s.ResolveTag(ctx, repo.ID, ref.Tag)
	}
	if errors.Is(err, meta.ErrNotFound) {
		return repo, meta.Manifest{}, nil
	}
	return repo, m, err
}
