-- The PostgreSQL dialect of sqlite/migrations/0002_iam.sql: IAM users, groups, roles,
-- their inline policies and attached managed policies, customer managed policies with
-- their versions; ECR resource policies; Organizations CreateAccount requests; the root
-- email of accounts; the auth epoch.
--
-- IAM names are unique without regard to (ASCII) case and looked up ignoring case, but
-- kept as created. Where SQLite has COLLATE NOCASE columns, each table here keeps the
-- name as created and keys, compares and orders by name_lc, lower(name) under the "C"
-- collation (which folds ASCII letters only, as NOCASE). Rows that name an owner (group
-- members, inline policies, attachments) hold the owner's name_lc.
--
-- Identities have no foreign key to accounts: as access keys, they may be written
-- before their account. Inline policies and attachments name their owner by (kind,
-- name), so they have no foreign key either; deletes refuse while they exist.

ALTER TABLE accounts ADD COLUMN email TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX accounts_email ON accounts(email) WHERE email <> '';

-- Keys of one principal, oldest first; IAM user names ignore case here too.
CREATE INDEX access_keys_owner ON access_keys(account_id, lower(user_name), created_at);

CREATE TABLE iam_users (
  account_id TEXT COLLATE "C" NOT NULL,
  name       TEXT COLLATE "C" NOT NULL,
  name_lc    TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
  id         TEXT COLLATE "C" NOT NULL UNIQUE,
  path       TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, name_lc)
);

CREATE TABLE iam_groups (
  account_id TEXT COLLATE "C" NOT NULL,
  name       TEXT COLLATE "C" NOT NULL,
  name_lc    TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
  id         TEXT COLLATE "C" NOT NULL UNIQUE,
  path       TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, name_lc)
);

CREATE TABLE iam_group_members (
  account_id TEXT COLLATE "C" NOT NULL,
  group_lc   TEXT COLLATE "C" NOT NULL,
  user_lc    TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, group_lc, user_lc),
  FOREIGN KEY (account_id, group_lc) REFERENCES iam_groups(account_id, name_lc),
  FOREIGN KEY (account_id, user_lc) REFERENCES iam_users(account_id, name_lc)
);
CREATE INDEX iam_group_members_user ON iam_group_members(account_id, user_lc);

CREATE TABLE iam_roles (
  account_id           TEXT COLLATE "C" NOT NULL,
  name                 TEXT COLLATE "C" NOT NULL,
  name_lc              TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
  id                   TEXT COLLATE "C" NOT NULL UNIQUE,
  path                 TEXT COLLATE "C" NOT NULL,
  description          TEXT COLLATE "C" NOT NULL DEFAULT '',
  trust_policy         TEXT COLLATE "C" NOT NULL,
  max_session_duration INTEGER NOT NULL,
  created_at           BIGINT NOT NULL,
  PRIMARY KEY (account_id, name_lc)
);

-- owner_kind is user, group or role.
CREATE TABLE iam_inline_policies (
  account_id TEXT COLLATE "C" NOT NULL,
  owner_kind TEXT COLLATE "C" NOT NULL,
  owner_lc   TEXT COLLATE "C" NOT NULL,
  name       TEXT COLLATE "C" NOT NULL,
  name_lc    TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
  document   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, owner_kind, owner_lc, name_lc)
);

-- Attachments of managed policies, customer (a row of iam_policies) or AWS managed
-- (arn:aws:iam::aws:policy/…, no row).
CREATE TABLE iam_attachments (
  account_id TEXT COLLATE "C" NOT NULL,
  owner_kind TEXT COLLATE "C" NOT NULL,
  owner_lc   TEXT COLLATE "C" NOT NULL,
  policy_arn TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, owner_kind, owner_lc, policy_arn)
);
CREATE INDEX iam_attachments_policy ON iam_attachments(policy_arn, account_id);

-- Customer managed policies. Versions are numbered from next_version, which only
-- grows: a deleted version's number is never reused.
CREATE TABLE iam_policies (
  arn             TEXT COLLATE "C" PRIMARY KEY,
  account_id      TEXT COLLATE "C" NOT NULL,
  name            TEXT COLLATE "C" NOT NULL,
  name_lc         TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
  id              TEXT COLLATE "C" NOT NULL UNIQUE,
  path            TEXT COLLATE "C" NOT NULL,
  description     TEXT COLLATE "C" NOT NULL DEFAULT '',
  default_version BIGINT NOT NULL,
  next_version    BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX iam_policies_name ON iam_policies(account_id, name_lc);

-- version is the number n of the version id vn.
CREATE TABLE iam_policy_versions (
  policy_arn TEXT COLLATE "C" NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
  version    BIGINT NOT NULL,
  document   TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (policy_arn, version)
);

-- ECR resource-based policies: one per repository, one per registry (account).
CREATE TABLE repository_policies (
  repository_id BIGINT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  text          TEXT COLLATE "C" NOT NULL
);

CREATE TABLE registry_policies (
  account_id TEXT COLLATE "C" PRIMARY KEY,
  text       TEXT COLLATE "C" NOT NULL
);

-- Organizations CreateAccount requests, listed newest first.
CREATE TABLE create_account_status (
  id             TEXT COLLATE "C" PRIMARY KEY,
  account_name   TEXT COLLATE "C" NOT NULL,
  email          TEXT COLLATE "C" NOT NULL,
  account_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
  state          TEXT COLLATE "C" NOT NULL,
  failure_reason TEXT COLLATE "C" NOT NULL DEFAULT '',
  requested_at   BIGINT NOT NULL,
  -- 0 while the request is in progress.
  completed_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX create_account_status_requested ON create_account_status(requested_at, id);

-- Counts the changes authorization depends on: each one advances it in the change's
-- transaction and sends its new value with NOTIFY berth_auth_epoch, so every replica
-- drops its authorization caches.
CREATE TABLE auth_epoch (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO auth_epoch (id, value) VALUES (1, 0);
