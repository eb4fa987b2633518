package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

func tagStatusClause(status meta.TagStatus) string {
	switch status {
	case meta.Tagged:
		return " AND EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest)"
	case meta.Untagged:
		return " AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest)"
	}
	return ""
}

// imageColumns are a manifest's columns and its tags, sorted, as one array: a page of
// images is one query.
const imageColumns = manifestColumns + `, ARRAY(SELECT t.name FROM tags t
	WHERE t.repository_id = m.repository_id AND t.digest = m.digest ORDER BY t.name)`

func scanImage(repoID int64) func(scanner) (meta.Image, error) {
	return func(row scanner) (meta.Image, error) {
		var tags []string
		m, err := scanManifest(row, repoID, &tags)
		if len(tags) == 0 {
			tags = nil
		}
		return meta.Image{Manifest: m, Tags: tags}, err
	}
}

// ListImages returns a page of images sorted by digest, with their tags.
func (s *Store) ListImages(ctx context.Context, repoID int64, status meta.TagStatus, afterDigest digest.Digest, limit int) ([]meta.Image, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+imageColumns+" FROM manifests m WHERE m.repository_id = $1 AND m.digest > $2"+
		tagStatusClause(status)+" ORDER BY m.digest LIMIT $3", repoID, afterDigest.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	images, err := scanAll(rows, scanImage(repoID))
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return images, nil
}

// GetImages returns the images of the given digests that exist.
func (s *Store) GetImages(ctx context.Context, repoID int64, digests []digest.Digest) ([]meta.Image, error) {
	if len(digests) == 0 {
		return []meta.Image{}, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+imageColumns+` FROM manifests m
		WHERE m.repository_id = $1 AND m.digest = ANY($2::text[]) ORDER BY m.digest`, repoID, digestStrings(digests))
	if err != nil {
		return nil, fmt.Errorf("get images: %w", err)
	}
	images, err := scanAll(rows, scanImage(repoID))
	if err != nil {
		return nil, fmt.Errorf("get images: %w", err)
	}
	return images, nil
}

func digestStrings(ds []digest.Digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// ListImageIDs returns a page of (digest, tag) rows: one per tag, one per untagged image.
func (s *Store) ListImageIDs(ctx context.Context, repoID int64, status meta.TagStatus, after meta.ImageID, limit int) ([]meta.ImageID, error) {
	q := `SELECT m.digest, COALESCE(t.name, '') AS tag FROM manifests m
		LEFT JOIN tags t ON t.repository_id = m.repository_id AND t.digest = m.digest
		WHERE m.repository_id = $1 AND (m.digest, COALESCE(t.name, '')) > ($2, $3)`
	switch status {
	case meta.Tagged:
		q += " AND t.name IS NOT NULL"
	case meta.Untagged:
		q += " AND t.name IS NULL"
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY m.digest, tag LIMIT $4", repoID, after.Digest.String(), after.Tag, limit)
	if err != nil {
		return nil, fmt.Errorf("list image ids: %w", err)
	}
	out, err := scanAll(rows, func(row scanner) (meta.ImageID, error) {
		var d string
		var id meta.ImageID
		err := row.Scan(&d, &id.Tag)
		id.Digest = digest.Digest(d)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("list image ids: %w", err)
	}
	return out, nil
}

// RecordPull sets an image's last pull time.
func (s *Store) RecordPull(ctx context.Context, repoID int64, dgst digest.Digest, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE manifests SET last_pulled_at = $1 WHERE repository_id = $2 AND digest = $3",
		nanos(at), repoID, dgst.String()); err != nil {
		return fmt.Errorf("record pull of %s: %w", dgst, err)
	}
	return nil
}

// BlobMediaTypes returns the media type each digest is referenced as by a manifest.
func (s *Store) BlobMediaTypes(ctx context.Context, repoID int64, digests []digest.Digest) (map[digest.Digest]string, error) {
	out := make(map[digest.Digest]string, len(digests))
	if len(digests) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT child_digest, max(media_type) FROM manifest_references
		WHERE repository_id = $1 AND kind = 0 AND child_digest = ANY($2::text[]) GROUP BY child_digest`,
		repoID, digestStrings(digests))
	if err != nil {
		return nil, fmt.Errorf("blob media types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, mt string
		if err := rows.Scan(&d, &mt); err != nil {
			return nil, fmt.Errorf("blob media types: %w", err)
		}
		out[digest.Digest(d)] = mt
	}
	return out, rows.Err()
}
