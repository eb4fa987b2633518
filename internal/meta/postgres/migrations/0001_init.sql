-- The PostgreSQL dialect of sqlite/migrations/0001_init.sql. Timestamps are Unix
-- nanoseconds (BIGINT) as there. Every text column is COLLATE "C": comparisons, ORDER BY
-- and indexes work on bytes, as SQLite's BINARY, whatever the database's locale.

-- An account owns one registry, as an AWS account owns its ECR registry.
CREATE TABLE accounts (
  id            TEXT COLLATE "C" PRIMARY KEY,
  name          TEXT COLLATE "C" NOT NULL,
  registry_host TEXT COLLATE "C" NOT NULL DEFAULT '',
  is_default    BOOLEAN NOT NULL DEFAULT false,
  created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_default ON accounts(is_default) WHERE is_default;
CREATE UNIQUE INDEX accounts_registry_host ON accounts(registry_host) WHERE registry_host <> '';

CREATE TABLE account_settings (
  account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT COLLATE "C" NOT NULL,
  value      TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, name)
);

-- Secrets are sealed with a key kept outside this database. A key may exist before its
-- account (the first start creates the root key first); it works only once both do.
CREATE TABLE access_keys (
  id            TEXT COLLATE "C" PRIMARY KEY,
  account_id    TEXT COLLATE "C" NOT NULL,
  user_name     TEXT COLLATE "C" NOT NULL DEFAULT '',
  secret_sealed BYTEA NOT NULL,
  status        TEXT COLLATE "C" NOT NULL DEFAULT 'Active',
  created_at    BIGINT NOT NULL
);

-- A sequence never hands out an id twice, so nothing keyed by a deleted repository's id
-- can show up in a new one.
CREATE TABLE repositories (
  id                    BIGSERIAL PRIMARY KEY,
  registry_id           TEXT COLLATE "C" NOT NULL,
  name                  TEXT COLLATE "C" NOT NULL,
  created_at            BIGINT NOT NULL,
  tag_mutability        TEXT COLLATE "C" NOT NULL DEFAULT 'MUTABLE',
  mutability_exclusions TEXT COLLATE "C" NOT NULL DEFAULT '',
  scan_on_push          BOOLEAN NOT NULL DEFAULT false,
  encryption_type       TEXT COLLATE "C" NOT NULL DEFAULT 'AES256',
  kms_key               TEXT COLLATE "C" NOT NULL DEFAULT '',
  UNIQUE (registry_id, name)
);

-- Resource tags (ECR TagResource), not image tags.
CREATE TABLE repository_resource_tags (
  repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  key           TEXT COLLATE "C" NOT NULL,
  value         TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (repository_id, key)
);

-- Committed content, stored once however many repositories link it.
CREATE TABLE blobs (
  digest     TEXT COLLATE "C" PRIMARY KEY,
  size       BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);

-- A blob is readable in a repository only through a link.
CREATE TABLE repository_blobs (
  repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest        TEXT COLLATE "C" NOT NULL REFERENCES blobs(digest),
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blobs_digest ON repository_blobs(digest);

CREATE TABLE manifests (
  repository_id     BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest            TEXT COLLATE "C" NOT NULL,
  media_type        TEXT COLLATE "C" NOT NULL,
  artifact_type     TEXT COLLATE "C" NOT NULL DEFAULT '',
  config_media_type TEXT COLLATE "C" NOT NULL DEFAULT '',
  subject           TEXT COLLATE "C" NOT NULL DEFAULT '',
  annotations       TEXT COLLATE "C" NOT NULL DEFAULT '',
  size              BIGINT NOT NULL,
  image_size        BIGINT NOT NULL,
  payload           BYTEA NOT NULL,
  pushed_at         BIGINT NOT NULL,
  last_pulled_at    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (repository_id, digest)
);
CREATE INDEX manifests_subject ON manifests(repository_id, subject) WHERE subject <> '';

-- What each manifest references: kind 0 a blob (config, layer), kind 1 a manifest (index child).
CREATE TABLE manifest_references (
  repository_id   BIGINT NOT NULL,
  manifest_digest TEXT COLLATE "C" NOT NULL,
  child_digest    TEXT COLLATE "C" NOT NULL,
  kind            SMALLINT NOT NULL,
  media_type      TEXT COLLATE "C" NOT NULL DEFAULT '',
  PRIMARY KEY (repository_id, manifest_digest, child_digest, kind),
  FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
);
CREATE INDEX manifest_references_child ON manifest_references(repository_id, child_digest, kind);

CREATE TABLE tags (
  repository_id BIGINT NOT NULL,
  name          TEXT COLLATE "C" NOT NULL,
  digest        TEXT COLLATE "C" NOT NULL,
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
);
CREATE INDEX tags_digest ON tags(repository_id, digest);

CREATE TABLE uploads (
  id             TEXT COLLATE "C" PRIMARY KEY,
  repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  size           BIGINT NOT NULL,
  hash_state     BYTEA,
  chunks         BIGINT NOT NULL DEFAULT 0,
  last_chunk     BIGINT NOT NULL DEFAULT 0,
  smallest_chunk BIGINT NOT NULL DEFAULT 0,
  started_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE INDEX uploads_updated_at ON uploads(updated_at);
CREATE INDEX uploads_repository ON uploads(repository_id);
