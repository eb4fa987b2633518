CREATE TABLE repositories (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

-- Committed content, stored once however many repositories link it.
CREATE TABLE blobs (
  digest     TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A blob is readable in a repository only through a link.
CREATE TABLE repository_blobs (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest        TEXT NOT NULL REFERENCES blobs(digest),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_digest ON repository_blobs(digest);

CREATE TABLE manifests (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest        TEXT NOT NULL,
  media_type    TEXT NOT NULL,
  artifact_type TEXT NOT NULL DEFAULT '',
  subject       TEXT NOT NULL DEFAULT '',
  annotations   TEXT NOT NULL DEFAULT '',
  size          INTEGER NOT NULL,
  image_size    INTEGER NOT NULL,
  payload       BLOB NOT NULL,
  pushed_at     INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_subject ON manifests(repository_id, subject) WHERE subject <> '';

-- What each manifest references: kind 0 a blob (config, layer), kind 1 a manifest (index child).
CREATE TABLE manifest_references (
  repository_id   INTEGER NOT NULL,
  manifest_digest TEXT NOT NULL,
  child_digest    TEXT NOT NULL,
  kind            INTEGER NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, child_digest, kind),
  FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX manifest_references_child ON manifest_references(repository_id, child_digest, kind);

CREATE TABLE tags (
  repository_id INTEGER NOT NULL,
  name          TEXT NOT NULL,
  digest        TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tags_digest ON tags(repository_id, digest);

CREATE TABLE uploads (
  id            TEXT PRIMARY KEY,
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  size          INTEGER NOT NULL,
  hash_state    BLOB,
  started_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_updated_at ON uploads(updated_at);
