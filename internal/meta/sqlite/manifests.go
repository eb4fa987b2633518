package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

const (
	refBlob     = 0
	refManifest = 1
)

// PutManifest stores a manifest, its references and its tags in one transaction.
func (s *Store) PutManifest(ctx context.Context, p meta.ManifestPut) (meta.PutResult, error) {
	m := p.Manifest
	var result meta.PutResult
	err := s.tx(ctx, func(tx *txn) error {
		result = meta.PutResult{}
		blobDigests := make([]digest.Digest, len(p.Blobs))
		for i, b := range p.Blobs {
			blobDigests[i] = b.Digest
		}
		missing := &meta.MissingError{}
		var err error
		if missing.Blobs, err = absent(ctx, tx, "SELECT digest FROM repository_blobs WHERE repository_id = ? AND digest IN ",
			m.RepositoryID, blobDigests); err != nil {
			return fmt.Errorf("check blobs of %s: %w", m.Digest, err)
		}
		if missing.Manifests, err = absent(ctx, tx, "SELECT digest FROM manifests WHERE repository_id = ? AND digest IN ",
			m.RepositoryID, p.Children); err != nil {
			return fmt.Errorf("check children of %s: %w", m.Digest, err)
		}
		if len(missing.Blobs) > 0 || len(missing.Manifests) > 0 {
			return missing
		}
		current, err := tagTargets(ctx, tx, m.RepositoryID, p.Tags)
		if err != nil {
			return err
		}
		for _, tag := range p.ImmutableTags {
			if at, ok := current[tag]; ok && at != m.Digest {
				return &meta.TagImmutableError{Tag: tag, Digest: at}
			}
		}
		annotations, err := encodeAnnotations(m.Annotations)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO manifests (repository_id, digest, media_type, artifact_type,
			config_media_type, subject, annotations, size, image_size, payload, pushed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repository_id, digest) DO NOTHING`,
			m.RepositoryID, m.Digest.String(), m.MediaType, m.ArtifactType, m.ConfigMediaType, m.Subject.String(),
			annotations, m.Size, m.ImageSize, m.Payload, nanos(m.PushedAt))
		if err != nil {
			return fmt.Errorf("insert manifest %s: %w", m.Digest, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			result.Created = true
			for _, b := range p.Blobs {
				if err := insertRef(ctx, tx, m, b.Digest, refBlob, b.MediaType); err != nil {
					return err
				}
			}
			for _, c := range p.Children {
				if err := insertRef(ctx, tx, m, c, refManifest, ""); err != nil {
					return err
				}
			}
		}
		for _, tag := range p.Tags {
			if at, ok := current[tag]; ok && at == m.Digest {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
				m.RepositoryID, tag, m.Digest.String(), nanos(m.PushedAt)); err != nil {
				return fmt.Errorf("tag %s as %q: %w", m.Digest, tag, err)
			}
			result.MovedTags = append(result.MovedTags, tag)
			current[tag] = m.Digest // a tag named twice moves once
		}
		return nil
	})
	return result, err
}

// tagTargets returns the manifests the given tags point at now.
func tagTargets(ctx context.Context, tx *txn, repoID int64, tags []string) (map[string]digest.Digest, error) {
	out := make(map[string]digest.Digest, len(tags))
	for _, tag := range tags {
		var d string
		err := tx.QueryRowContext(ctx, "SELECT digest FROM tags WHERE repository_id = ? AND name = ?", repoID, tag).Scan(&d)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read tag %q: %w", tag, err)
		}
		out[tag] = digest.Digest(d)
	}
	return out, nil
}

func insertRef(ctx context.Context, tx *txn, m meta.Manifest, child digest.Digest, kind int, mediaType string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO manifest_references (repository_id, manifest_digest, child_digest, kind, media_type)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, m.RepositoryID, m.Digest.String(), child.String(), kind, mediaType); err != nil {
		return fmt.Errorf("record reference %s -> %s: %w", m.Digest, child, err)
	}
	return nil
}

// absent returns the digests of want that query (ending in "IN ") does not find.
func absent(ctx context.Context, tx *txn, query string, repoID int64, want []digest.Digest) ([]digest.Digest, error) {
	if len(want) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(want)+1)
	args = append(args, repoID)
	for _, d := range want {
		args = append(args, d.String())
	}
	rows, err := tx.QueryContext(ctx, query+"("+placeholders(len(want))+")", args...)
	if err != nil {
		return nil, err
	}
	found, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(found))
	for _, f := range found {
		have[f] = true
	}
	var missing []digest.Digest
	for _, d := range want {
		if !have[d.String()] {
			missing = append(missing, d)
			have[d.String()] = true
		}
	}
	return missing, nil
}

const manifestColumns = `m.digest, m.media_type, m.artifact_type, m.config_media_type, m.subject, m.annotations,
	m.size, m.image_size, m.pushed_at, m.last_pulled_at`

func scanManifest(row interface{ Scan(...any) error }, repoID int64, extra ...any) (meta.Manifest, error) {
	m := meta.Manifest{RepositoryID: repoID}
	var dgst, subject, annotations string
	var pushed, pulled int64
	dest := append([]any{&dgst, &m.MediaType, &m.ArtifactType, &m.ConfigMediaType, &subject, &annotations,
		&m.Size, &m.ImageSize, &pushed, &pulled}, extra...)
	if err := row.Scan(dest...); err != nil {
		return meta.Manifest{}, err
	}
	m.Digest, m.Subject, m.PushedAt = digest.Digest(dgst), digest.Digest(subject), fromNanos(pushed)
	if pulled != 0 {
		m.LastPulledAt = fromNanos(pulled)
	}
	if annotations != "" {
		if err := json.Unmarshal([]byte(annotations), &m.Annotations); err != nil {
			return meta.Manifest{}, fmt.Errorf("decode annotations of %s: %w", dgst, err)
		}
	}
	return m, nil
}

// GetManifest returns a manifest by digest.
func (s *Store) GetManifest(ctx context.Context, repoID int64, dgst digest.Digest, withPayload bool) (meta.Manifest, error) {
	var (
		m   meta.Manifest
		err error
	)
	if withPayload {
		var payload []byte
		row := s.read.QueryRowContext(ctx, "SELECT "+manifestColumns+", m.payload FROM manifests m WHERE m.repository_id = ? AND m.digest = ?",
			repoID, dgst.String())
		m, err = scanManifest(row, repoID, &payload)
		m.Payload = payload
	} else {
		row := s.read.QueryRowContext(ctx, "SELECT "+manifestColumns+" FROM manifests m WHERE m.repository_id = ? AND m.digest = ?",
			repoID, dgst.String())
		m, err = scanManifest(row, repoID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Manifest{}, fmt.Errorf("manifest %s: %w", dgst, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Manifest{}, fmt.Errorf("get manifest %s: %w", dgst, err)
	}
	return m, nil
}

// DeleteManifest deletes a manifest no index references, with its tags.
func (s *Store) DeleteManifest(ctx context.Context, repoID int64, dgst digest.Digest) error {
	return s.tx(ctx, func(tx *txn) error { return deleteManifest(ctx, tx, repoID, dgst) })
}

func deleteManifest(ctx context.Context, tx *txn, repoID int64, dgst digest.Digest) error {
	var by string
	err := tx.QueryRowContext(ctx, `SELECT manifest_digest FROM manifest_references
		WHERE repository_id = ? AND child_digest = ? AND kind = 1 LIMIT 1`, repoID, dgst.String()).Scan(&by)
	if err == nil {
		return fmt.Errorf("delete manifest %s: %w", dgst, &meta.ReferencedError{By: digest.Digest(by)})
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("delete manifest %s: %w", dgst, err)
	}
	// Tags and references go with the manifest (ON DELETE CASCADE).
	res, err := tx.ExecContext(ctx, "DELETE FROM manifests WHERE repository_id = ? AND digest = ?", repoID, dgst.String())
	if err != nil {
		return fmt.Errorf("delete manifest %s: %w", dgst, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("manifest %s: %w", dgst, meta.ErrNotFound)
	}
	return nil
}

// UntagImage removes a tag and the image it leaves without tags, unless an index
// references that image.
func (s *Store) UntagImage(ctx context.Context, repoID int64, tag string) (digest.Digest, bool, error) {
	var dgst digest.Digest
	deleted := false
	err := s.tx(ctx, func(tx *txn) error {
		var d string
		err := tx.QueryRowContext(ctx, "DELETE FROM tags WHERE repository_id = ? AND name = ? RETURNING digest", repoID, tag).Scan(&d)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tag %q: %w", tag, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("untag %q: %w", tag, err)
		}
		dgst = digest.Digest(d)
		var others int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM tags WHERE repository_id = ? AND digest = ?", repoID, d).Scan(&others); err != nil {
			return fmt.Errorf("untag %q: %w", tag, err)
		}
		if others > 0 {
			return nil
		}
		err = deleteManifest(ctx, tx, repoID, dgst)
		if errors.Is(err, meta.ErrReferenced) {
			return nil // a manifest list still needs it: it stays, untagged
		}
		if err != nil {
			return err
		}
		deleted = true
		return nil
	})
	return dgst, deleted, err
}

// Referrers lists the manifests whose subject is dgst.
func (s *Store) Referrers(ctx context.Context, repoID int64, dgst digest.Digest, artifactType string) ([]meta.Descriptor, error) {
	q := "SELECT " + manifestColumns + " FROM manifests m WHERE m.repository_id = ? AND m.subject = ?"
	args := []any{repoID, dgst.String()}
	if artifactType != "" {
		q += " AND m.artifact_type = ?"
		args = append(args, artifactType)
	}
	rows, err := s.read.QueryContext(ctx, q+" ORDER BY m.pushed_at, m.digest", args...)
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", dgst, err)
	}
	defer rows.Close()
	out := []meta.Descriptor{}
	for rows.Next() {
		m, err := scanManifest(rows, repoID)
		if err != nil {
			return nil, fmt.Errorf("list referrers of %s: %w", dgst, err)
		}
		out = append(out, meta.Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size,
			ArtifactType: m.ArtifactType, Annotations: m.Annotations})
	}
	return out, rows.Err()
}

// ResolveTag returns the manifest a tag points to, without its payload.
func (s *Store) ResolveTag(ctx context.Context, repoID int64, tag string) (meta.Manifest, error) {
	row := s.read.QueryRowContext(ctx, "SELECT "+manifestColumns+` FROM tags t
		JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest
		WHERE t.repository_id = ? AND t.name = ?`, repoID, tag)
	m, err := scanManifest(row, repoID)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Manifest{}, fmt.Errorf("tag %q: %w", tag, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Manifest{}, fmt.Errorf("resolve tag %q: %w", tag, err)
	}
	return m, nil
}

// ListTags lists tags in ascending order after after.
func (s *Store) ListTags(ctx context.Context, repoID int64, after string, limit int) ([]string, error) {
	// One row of newline-joined names (tags cannot hold a newline): stepping through
	// thousands of rows one by one cost more than the query. The aggregate takes the
	// rows in the order of the subquery, which walks the (repository_id, name) key; an
	// ORDER BY inside the aggregate would sort them again through a temporary b-tree.
	var joined sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT group_concat(name, char(10)) FROM
		(SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?)`,
		repoID, after, limit).Scan(&joined)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	if joined.String == "" {
		return []string{}, nil
	}
	tags := strings.Split(joined.String, "\n")
	if !slices.IsSorted(tags) { // SQLite does not promise the aggregate's order
		slices.Sort(tags)
	}
	return tags, nil
}

// DeleteTag removes one tag.
func (s *Store) DeleteTag(ctx context.Context, repoID int64, tag string) error {
	res, err := s.write.ExecContext(ctx, "DELETE FROM tags WHERE repository_id = ? AND name = ?", repoID, tag)
	if err != nil {
		return fmt.Errorf("delete tag %q: %w", tag, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("tag %q: %w", tag, meta.ErrNotFound)
	}
	return nil
}

func encodeAnnotations(a map[string]string) (string, error) {
	if len(a) == 0 {
		return "", nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode annotations: %w", err)
	}
	return string(b), nil
}
