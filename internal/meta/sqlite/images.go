package sqlite

import (
	"context"
	"fmt"
	"strings"
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

// ListImages returns a page of images sorted by digest, with their tags.
func (s *Store) ListImages(ctx context.Context, repoID int64, status meta.TagStatus, afterDigest digest.Digest, limit int) ([]meta.Image, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+manifestColumns+" FROM manifests m WHERE m.repository_id = ? AND m.digest > ?"+
		tagStatusClause(status)+" ORDER BY m.digest LIMIT ?", repoID, afterDigest.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	images, err := s.scanImages(rows, repoID)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return images, s.attachTags(ctx, repoID, images)
}

// GetImages returns the images of the given digests that exist.
func (s *Store) GetImages(ctx context.Context, repoID int64, digests []digest.Digest) ([]meta.Image, error) {
	if len(digests) == 0 {
		return []meta.Image{}, nil
	}
	args := []any{repoID}
	for _, d := range digests {
		args = append(args, d.String())
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+manifestColumns+" FROM manifests m WHERE m.repository_id = ? AND m.digest IN ("+
		placeholders(len(digests))+") ORDER BY m.digest", args...)
	if err != nil {
		return nil, fmt.Errorf("get images: %w", err)
	}
	images, err := s.scanImages(rows, repoID)
	if err != nil {
		return nil, fmt.Errorf("get images: %w", err)
	}
	return images, s.attachTags(ctx, repoID, images)
}

func (s *Store) scanImages(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, repoID int64) ([]meta.Image, error) {
	defer rows.Close()
	out := []meta.Image{}
	for rows.Next() {
		m, err := scanManifest(rows, repoID)
		if err != nil {
			return nil, err
		}
		out = append(out, meta.Image{Manifest: m})
	}
	return out, rows.Err()
}

// attachTags fills in the tags of a page of images with one query.
func (s *Store) attachTags(ctx context.Context, repoID int64, images []meta.Image) error {
	if len(images) == 0 {
		return nil
	}
	index := make(map[string]int, len(images))
	args := []any{repoID}
	for i, img := range images {
		index[img.Digest.String()] = i
		args = append(args, img.Digest.String())
	}
	rows, err := s.read.QueryContext(ctx, "SELECT digest, name FROM tags WHERE repository_id = ? AND digest IN ("+
		placeholders(len(images))+") ORDER BY digest, name", args...)
	if err != nil {
		return fmt.Errorf("tags of images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, name string
		if err := rows.Scan(&d, &name); err != nil {
			return fmt.Errorf("tags of images: %w", err)
		}
		i := index[d]
		images[i].Tags = append(images[i].Tags, name)
	}
	return rows.Err()
}

// ListImageIDs returns a page of (digest, tag) rows: one per tag, one per untagged image.
func (s *Store) ListImageIDs(ctx context.Context, repoID int64, status meta.TagStatus, after meta.ImageID, limit int) ([]meta.ImageID, error) {
	q := `SELECT m.digest, COALESCE(t.name, '') AS tag FROM manifests m
		LEFT JOIN tags t ON t.repository_id = m.repository_id AND t.digest = m.digest
		WHERE m.repository_id = ? AND (m.digest, COALESCE(t.name, '')) > (?, ?)`
	switch status {
	case meta.Tagged:
		q += " AND t.name IS NOT NULL"
	case meta.Untagged:
		q += " AND t.name IS NULL"
	}
	rows, err := s.read.QueryContext(ctx, q+" ORDER BY m.digest, tag LIMIT ?", repoID, after.Digest.String(), after.Tag, limit)
	if err != nil {
		return nil, fmt.Errorf("list image ids: %w", err)
	}
	defer rows.Close()
	out := []meta.ImageID{}
	for rows.Next() {
		var d string
		var id meta.ImageID
		if err := rows.Scan(&d, &id.Tag); err != nil {
			return nil, fmt.Errorf("list image ids: %w", err)
		}
		id.Digest = digest.Digest(d)
		out = append(out, id)
	}
	return out, rows.Err()
}

// RecordPull sets an image's last pull time.
func (s *Store) RecordPull(ctx context.Context, repoID int64, dgst digest.Digest, at time.Time) error {
	err := s.lightTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "UPDATE manifests SET last_pulled_at = ? WHERE repository_id = ? AND digest = ?",
			nanos(at), repoID, dgst.String())
		return err
	})
	if err != nil {
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
	args := []any{repoID}
	for _, d := range digests {
		args = append(args, d.String())
	}
	rows, err := s.read.QueryContext(ctx, `SELECT child_digest, max(media_type) FROM manifest_references
		WHERE repository_id = ? AND kind = 0 AND child_digest IN (`+placeholders(len(digests))+`) GROUP BY child_digest`, args...)
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

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
