-- An account owns one registry, as an AWS account owns its ECR registry.
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  registry_host TEXT NOT NULL DEFAULT '',
  is_default    INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX accounts_default ON accounts(is_default) WHERE is_default = 1;
CREATE UNIQUE INDEX accounts_registry_host ON accounts(registry_host) WHERE registry_host <> '';

CREATE TABLE account_settings (
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- Secrets are sealed with a key kept outside this database. A key may exist before its
-- account (the first start creates the root key first); it works only once both do.
CREATE TABLE access_keys (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL,
  user_name     TEXT NOT NULL DEFAULT '',
  secret_sealed BLOB NOT NULL,
  status        TEXT NOT NULL DEFAULT 'Active',
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: an id is never reused, so nothing keyed by a deleted repository's id
-- can show up in a new one.
CREATE TABLE repositories (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  registry_id           TEXT NOT NULL,
  name                  TEXT NOT NULL,
  created_at            INTEGER NOT NULL,
  tag_mutability        TEXT NOT NULL DEFAULT 'MUTABLE',
  mutability_exclusions TEXT NOT NULL DEFAULT '',
  scan_on_push          INTEGER NOT NULL DEFAULT 0,
  encryption_type       TEXT NOT NULL DEFAULT 'AES256',
  kms_key               TEXT NOT NULL DEFAULT '',
  UNIQUE (registry_id, name)
);

-- Resource tags (ECR TagResource), not image tags.
CREATE TABLE repository_resource_tags (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (repository_id, key)
) WITHOUT ROWID;

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
  config_media_type TEXT NOT NULL DEFAULT '',
  subject       TEXT NOT NULL DEFAULT '',
  annotations   TEXT NOT NULL DEFAULT '',
  size          INTEGER NOT NULL,
  image_size    INTEGER NOT NULL,
  payload       BLOB NOT NULL,
  pushed_at     INTEGER NOT NULL,
  last_pulled_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_subject ON manifests(repository_id, subject) WHERE subject <> '';

-- What each manifest references: kind 0 a blob (config, layer), kind 1 a manifest (index child).
CREATE TABLE manifest_references (
  repository_id   INTEGER NOT NULL,
  manifest_digest TEXT NOT NULL,
  child_digest    TEXT NOT NULL,
  kind            INTEGER NOT NULL,
  media_type      TEXT NOT NULL DEFAULT '',
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
  chunks        INTEGER NOT NULL DEFAULT 0,
  last_chunk    INTEGER NOT NULL DEFAULT 0,
  smallest_chunk INTEGER NOT NULL DEFAULT 0,
  started_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_updated_at ON uploads(updated_at);
