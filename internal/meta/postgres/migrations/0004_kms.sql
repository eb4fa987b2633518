-- berth's key service (internal/kms): keys per account, their versions of sealed key
-- material (rotation adds one; every version still decrypts) and their aliases.

CREATE TABLE kms_keys (
  account_id       TEXT NOT NULL,
  id               TEXT NOT NULL,
  description      TEXT NOT NULL,
  manager          TEXT NOT NULL,
  state            TEXT NOT NULL,
  rotation_enabled BOOLEAN NOT NULL,
  rotation_days    INTEGER NOT NULL,
  created_at       BIGINT NOT NULL,
  rotated_at       BIGINT NOT NULL, -- when the newest version was made
  tags             TEXT NOT NULL, -- JSON [{"Key","Value"}]
  PRIMARY KEY (account_id, id)
);

CREATE TABLE kms_key_versions (
  account_id TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  material   BYTEA NOT NULL,
  PRIMARY KEY (account_id, key_id, version),
  FOREIGN KEY (account_id, key_id) REFERENCES kms_keys(account_id, id) ON DELETE CASCADE
);

CREATE TABLE kms_aliases (
  account_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  PRIMARY KEY (account_id, name),
  FOREIGN KEY (account_id, key_id) REFERENCES kms_keys(account_id, id) ON DELETE CASCADE
);
