package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
)

// RepositoryManifest sends both lookups of a pull in one batch: one round trip, which
// is most of a lookup's cost (profiles of a manifest GET flood showed the two round
// trips as nearly all of the request).
func (s *Store) RepositoryManifest(ctx context.Context, registryID, name string, ref meta.ManifestRef) (meta.Repository, meta.Manifest, error) {
	b := &pgx.Batch{}
	b.Queue("SELECT "+repositoryColumns+" FROM repositories WHERE registry_id = $1 AND name = $2", registryID, name)
	if ref.Digest != "" {
		b.Queue("SELECT "+manifestColumns+`, m.repository_id FROM manifests m
			WHERE m.repository_id = (SELECT id FROM repositories WHERE registry_id = $1 AND name = $2) AND m.digest = $3`,
			registryID, name, ref.Digest.String())
	} else {
		b.Queue("SELECT "+manifestColumns+`, m.repository_id FROM tags t
			JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest
			WHERE t.repository_id = (SELECT id FROM repositories WHERE registry_id = $1 AND name = $2) AND t.name = $3`,
			registryID, name, ref.Tag)
	}
	results := s.pool.SendBatch(ctx, b)
	defer results.Close()
	repo, err := scanRepository(results.QueryRow())
	if err != nil {
		return meta.Repository{}, meta.Manifest{}, notFound(err, fmt.Sprintf("repository %q", name), fmt.Sprintf("get repository %q", name))
	}
	var repoID int64
	m, err := scanManifest(results.QueryRow(), 0, &repoID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && repoID != repo.ID) {
		// Not there, or the repository was deleted and made again between the two
		// statements: the manifest is not in this repository.
		return repo, meta.Manifest{}, nil
	}
	if err != nil {
		return meta.Repository{}, meta.Manifest{}, fmt.Errorf("look up manifest in %q: %w", name, err)
	}
	m.RepositoryID = repo.ID
	return repo, m, nil
}
