package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/opencontainers/go-digest"
)

const (
	refBlob     = 0
	refManifest = 1
)

// PutManifest stores a manifest, its references and its tags in one transaction.
//
// It runs READ COMMITTED and locks what it relies on (see the package comment): the
// tags' advisory locks first, so racing pushes of one tag queue and each reads the tag
// as the previous one left it; then a share lock on every blob link and child manifest
// it references, which a racing UnlinkBlob or DeleteManifest must wait for (and after
// which it finds the new references); then a share lock on the manifest itself, which
// UntagImage and DeleteManifest take exclusively before deleting it.
func (s *Store) PutManifest(ctx context.Context, p meta.ManifestPut) (meta.PutResult, error) {
	m := p.Manifest
	annotations, err := encodeAnnotations(m.Annotations)
	if err != nil {
		return meta.PutResult{}, err
	}
	blobDigests := make([]digest.Digest, len(p.Blobs))
	for i, b := range p.Blobs {
		blobDigests[i] = b.Digest
	}
	var result meta.PutResult
	err = s.readCommitted(ctx, func(tx pgx.Tx) error {
		result = meta.PutResult{}
		if err := lockNames(ctx, tx, m.RepositoryID, p.Tags); err != nil {
			return err
		}
		missing := &meta.MissingError{}
		var err error
		if missing.Blobs, err = absent(ctx, tx, `SELECT digest FROM repository_blobs
			WHERE repository_id = $1 AND digest = ANY($2::text[]) FOR KEY SHARE`, m.RepositoryID, blobDigests); err != nil {
			return fmt.Errorf("check blobs of %s: %w", m.Digest, err)
		}
		if missing.Manifests, err = absent(ctx, tx, `SELECT digest FROM manifests
			WHERE repository_id = $1 AND digest = ANY($2::text[]) FOR KEY SHARE`, m.RepositoryID, p.Children); err != nil {
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
		// A racing put of the same manifest makes this wait until it ends.
		res, err := tx.Exec(ctx, `INSERT INTO manifests (repository_id, digest, media_type, artifact_type,
			config_media_type, subject, annotations, size, image_size, payload, pushed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (repository_id, digest) DO NOTHING`,
			m.RepositoryID, m.Digest.String(), m.MediaType, m.ArtifactType, m.ConfigMediaType, m.Subject.String(),
			annotations, m.Size, m.ImageSize, m.Payload, nanos(m.PushedAt))
		if err != nil {
			return fmt.Errorf("insert manifest %s: %w", m.Digest, err)
		}
		if res.RowsAffected() == 1 {
			result.Created = true
			if err := insertRefs(ctx, tx, m, p.Blobs, p.Children); err != nil {
				return err
			}
		} else {
			// It exists: keep it from being deleted until this commits. If a delete
			// that held it first has just committed, it is gone: start again, and store it.
			var one int
			err := tx.QueryRow(ctx, "SELECT 1 FROM manifests WHERE repository_id = $1 AND digest = $2 FOR KEY SHARE",
				m.RepositoryID, m.Digest.String()).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return errRetry
			}
			if err != nil {
				return fmt.Errorf("lock manifest %s: %w", m.Digest, err)
			}
		}
		var moved []string
		for _, tag := range p.Tags {
			if at, ok := current[tag]; ok && at == m.Digest {
				continue
			}
			moved = append(moved, tag)
			current[tag] = m.Digest // a tag named twice moves once
		}
		if len(moved) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO tags (repository_id, name, digest, updated_at)
				SELECT $1, name, $2, $3 FROM unnest($4::text[]) AS t(name)
				ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
				m.RepositoryID, m.Digest.String(), nanos(m.PushedAt), moved); err != nil {
				return fmt.Errorf("tag %s as %q: %w", m.Digest, moved, err)
			}
		}
		result.MovedTags = moved
		return nil
	})
	return result, err
}

// tagTargets returns the manifests the given tags point at now.
func tagTargets(ctx context.Context, tx pgx.Tx, repoID int64, tags []string) (map[string]digest.Digest, error) {
	out := make(map[string]digest.Digest, len(tags))
	if len(tags) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, "SELECT name, digest FROM tags WHERE repository_id = $1 AND name = ANY($2::text[])", repoID, tags)
	if err != nil {
		return nil, fmt.Errorf("read tags %q: %w", tags, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, d string
		if err := rows.Scan(&name, &d); err != nil {
			return nil, fmt.Errorf("read tags %q: %w", tags, err)
		}
		out[name] = digest.Digest(d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tags %q: %w", tags, err)
	}
	return out, nil
}

// insertRefs records what a new manifest references, in one statement.
func insertRefs(ctx context.Context, tx pgx.Tx, m meta.Manifest, blobs []meta.BlobRef, children []digest.Digest) error {
	n := len(blobs) + len(children)
	if n == 0 {
		return nil
	}
	digests := make([]string, 0, n)
	kinds := make([]int16, 0, n)
	types := make([]string, 0, n)
	for _, b := range blobs {
		digests, kinds, types = append(digests, b.Digest.String()), append(kinds, refBlob), append(types, b.MediaType)
	}
	for _, c := range children {
		digests, kinds, types = append(digests, c.String()), append(kinds, refManifest), append(types, "")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO manifest_references (repository_id, manifest_digest, child_digest, kind, media_type)
		SELECT $1, $2, c, k, t FROM unnest($3::text[], $4::smallint[], $5::text[]) AS r(c, k, t)
		ON CONFLICT DO NOTHING`, m.RepositoryID, m.Digest.String(), digests, kinds, types); err != nil {
		return fmt.Errorf("record references of %s: %w", m.Digest, err)
	}
	return nil
}

// absent returns the digests of want that query (of $1 the repository, $2 the digests)
// does not find.
func absent(ctx context.Context, tx pgx.Tx, query string, repoID int64, want []digest.Digest) ([]digest.Digest, error) {
	if len(want) == 0 {
		return nil, nil
	}
	args := make([]string, len(want))
	for i, d := range want {
		args[i] = d.String()
	}
	rows, err := tx.Query(ctx, query, repoID, args)
	if err != nil {
		return nil, err
	}
	found, err := scanAll(rows, scanString)
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

func scanManifest(row scanner, repoID int64, extra ...any) (meta.Manifest, error) {
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
		row := s.pool.QueryRow(ctx, "SELECT "+manifestColumns+", m.payload FROM manifests m WHERE m.repository_id = $1 AND m.digest = $2",
			repoID, dgst.String())
		m, err = scanManifest(row, repoID, &payload)
		m.Payload = payload
	} else {
		row := s.pool.QueryRow(ctx, "SELECT "+manifestColumns+" FROM manifests m WHERE m.repository_id = $1 AND m.digest = $2",
			repoID, dgst.String())
		m, err = scanManifest(row, repoID)
	}
	if err != nil {
		return meta.Manifest{}, notFound(err, "manifest "+dgst.String(), "get manifest "+dgst.String())
	}
	return m, nil
}

// DeleteManifest deletes a manifest no index references, with its tags.
func (s *Store) DeleteManifest(ctx context.Context, repoID int64, dgst digest.Digest) error {
	return s.readCommitted(ctx, func(tx pgx.Tx) error {
		if err := lockManifest(ctx, tx, repoID, dgst); err != nil {
			return err
		}
		return deleteManifest(ctx, tx, repoID, dgst)
	})
}

// lockManifest locks a manifest for deletion: a put that references it or shares it
// holds a share lock until it commits, and the references it made are seen by the
// statements after this one. ErrNotFound if there is no such manifest.
func lockManifest(ctx context.Context, tx pgx.Tx, repoID int64, dgst digest.Digest) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM manifests WHERE repository_id = $1 AND digest = $2 FOR UPDATE",
		repoID, dgst.String()).Scan(&one)
	if err != nil {
		return notFound(err, "manifest "+dgst.String(), "delete manifest "+dgst.String())
	}
	return nil
}

// deleteManifest deletes a manifest that lockManifest locked, unless an index references it.
func deleteManifest(ctx context.Context, tx pgx.Tx, repoID int64, dgst digest.Digest) error {
	var by string
	err := tx.QueryRow(ctx, `SELECT manifest_digest FROM manifest_references
		WHERE repository_id = $1 AND child_digest = $2 AND kind = 1 LIMIT 1`, repoID, dgst.String()).Scan(&by)
	if err == nil {
		return fmt.Errorf("delete manifest %s: %w", dgst, &meta.ReferencedError{By: digest.Digest(by)})
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("delete manifest %s: %w", dgst, err)
	}
	// Tags and references go with the manifest (ON DELETE CASCADE).
	res, err := tx.Exec(ctx, "DELETE FROM manifests WHERE repository_id = $1 AND digest = $2", repoID, dgst.String())
	if err != nil {
		return fmt.Errorf("delete manifest %s: %w", dgst, err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("manifest %s: %w", dgst, meta.ErrNotFound)
	}
	return nil
}

// UntagImage removes a tag and the image it leaves without tags, unless an index
// references that image. It locks the image before counting its other tags, so a put
// that tags it again either commits first (and is counted) or waits and finds it gone.
func (s *Store) UntagImage(ctx context.Context, repoID int64, tag string) (digest.Digest, bool, error) {
	var dgst digest.Digest
	var deleted bool
	err := s.readCommitted(ctx, func(tx pgx.Tx) error {
		dgst, deleted = "", false
		if err := lockNames(ctx, tx, repoID, []string{tag}); err != nil {
			return err
		}
		var d string
		err := tx.QueryRow(ctx, "DELETE FROM tags WHERE repository_id = $1 AND name = $2 RETURNING digest", repoID, tag).Scan(&d)
		if err != nil {
			return notFound(err, fmt.Sprintf("tag %q", tag), fmt.Sprintf("untag %q", tag))
		}
		dgst = digest.Digest(d)
		if err := lockManifest(ctx, tx, repoID, dgst); errors.Is(err, meta.ErrNotFound) {
			return nil // deleted meanwhile, with its tags
		} else if err != nil {
			return err
		}
		var others bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tags WHERE repository_id = $1 AND digest = $2)",
			repoID, d).Scan(&others); err != nil {
			return fmt.Errorf("untag %q: %w", tag, err)
		}
		if others {
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
	rows, err := s.pool.Query(ctx, "SELECT "+manifestColumns+` FROM manifests m
		WHERE m.repository_id = $1 AND m.subject = $2 AND ($3 = '' OR m.artifact_type = $3)
		ORDER BY m.pushed_at, m.digest`, repoID, dgst.String(), artifactType)
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", dgst, err)
	}
	out, err := scanAll(rows, func(row scanner) (meta.Descriptor, error) {
		m, err := scanManifest(row, repoID)
		return meta.Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size,
			ArtifactType: m.ArtifactType, Annotations: m.Annotations}, err
	})
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", dgst, err)
	}
	return out, nil
}

// ResolveTag returns the manifest a tag points to, without its payload.
func (s *Store) ResolveTag(ctx context.Context, repoID int64, tag string) (meta.Manifest, error) {
	m, err := scanManifest(s.pool.QueryRow(ctx, "SELECT "+manifestColumns+` FROM tags t
		JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest
		WHERE t.repository_id = $1 AND t.name = $2`, repoID, tag), repoID)
	if err != nil {
		return meta.Manifest{}, notFound(err, fmt.Sprintf("tag %q", tag), fmt.Sprintf("resolve tag %q", tag))
	}
	return m, nil
}

// ListTags lists tags in ascending order after after.
func (s *Store) ListTags(ctx context.Context, repoID int64, after string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3",
		repoID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out, err := scanAll(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return out, nil
}

// DeleteTag removes one tag.
func (s *Store) DeleteTag(ctx context.Context, repoID int64, tag string) error {
	res, err := s.pool.Exec(ctx, "DELETE FROM tags WHERE repository_id = $1 AND name = $2", repoID, tag)
	if err != nil {
		return fmt.Errorf("delete tag %q: %w", tag, err)
	}
	if res.RowsAffected() == 0 {
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
