-- IAM: users, groups, roles, their inline policies and attached managed policies,
-- customer managed policies with their versions; ECR resource policies; Organizations
-- CreateAccount requests; the root email of accounts.
--
-- IAM names are unique without regard to case and looked up ignoring case, but kept as
-- created: their columns are COLLATE NOCASE, so every comparison, index and ORDER BY on
-- them ignores (ASCII) case. Paths and ARNs compare exactly.
--
-- Identities have no foreign key to accounts: as access keys, they may be written
-- before their account. Inline policies and attachments name their owner by (kind,
-- name), so they have no foreign key either; deletes refuse while they exist.

ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX accounts_email ON accounts(email) WHERE email <> '';

-- Keys of one principal, oldest first; IAM user names ignore case here too.
CREATE INDEX access_keys_owner ON access_keys(account_id, user_name COLLATE NOCASE, created_at);

CREATE TABLE iam_users (
  account_id TEXT NOT NULL,
  name       TEXT NOT NULL COLLATE NOCASE,
  id         TEXT NOT NULL UNIQUE,
  path       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

CREATE TABLE iam_groups (
  account_id TEXT NOT NULL,
  name       TEXT NOT NULL COLLATE NOCASE,
  id         TEXT NOT NULL UNIQUE,
  path       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- Names are stored as the group and the user were created.
CREATE TABLE iam_group_members (
  account_id TEXT NOT NULL,
  group_name TEXT NOT NULL COLLATE NOCASE,
  user_name  TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (account_id, group_name, user_name),
  FOREIGN KEY (account_id, group_name) REFERENCES iam_groups(account_id, name),
  FOREIGN KEY (account_id, user_name) REFERENCES iam_users(account_id, name)
) WITHOUT ROWID;
CREATE INDEX iam_group_members_user ON iam_group_members(account_id, user_name);

CREATE TABLE iam_roles (
  account_id           TEXT NOT NULL,
  name                 TEXT NOT NULL COLLATE NOCASE,
  id                   TEXT NOT NULL UNIQUE,
  path                 TEXT NOT NULL,
  description          TEXT NOT NULL DEFAULT '',
  trust_policy         TEXT NOT NULL,
  max_session_duration INTEGER NOT NULL,
  created_at           INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- owner_kind is user, group or role; owner_name the owner's name as created.
CREATE TABLE iam_inline_policies (
  account_id TEXT NOT NULL,
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL COLLATE NOCASE,
  name       TEXT NOT NULL COLLATE NOCASE,
  document   TEXT NOT NULL,
  PRIMARY KEY (account_id, owner_kind, owner_name, name)
) WITHOUT ROWID;

-- Attachments of managed policies, customer (a row of iam_policies) or AWS managed
-- (arn:aws:iam::aws:policy/…, no row).
CREATE TABLE iam_attachments (
  account_id TEXT NOT NULL,
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL COLLATE NOCASE,
  policy_arn TEXT NOT NULL,
  PRIMARY KEY (account_id, owner_kind, owner_name, policy_arn)
) WITHOUT ROWID;
CREATE INDEX iam_attachments_policy ON iam_attachments(policy_arn, account_id);

-- Customer managed policies. Versions are numbered from next_version, which only
-- grows: a deleted version's number is never reused.
CREATE TABLE iam_policies (
  arn             TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  name            TEXT NOT NULL COLLATE NOCASE,
  id              TEXT NOT NULL UNIQUE,
  path            TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  default_version INTEGER NOT NULL,
  next_version    INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX iam_policies_name ON iam_policies(account_id, name);

-- version is the number n of the version id vn.
CREATE TABLE iam_policy_versions (
  policy_arn TEXT NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  document   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (policy_arn, version)
) WITHOUT ROWID;

-- ECR resource-based policies: one per repository, one per registry (account).
CREATE TABLE repository_policies (
  repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  text          TEXT NOT NULL
);

CREATE TABLE registry_policies (
  account_id TEXT PRIMARY KEY,
  text       TEXT NOT NULL
) WITHOUT ROWID;

-- Organizations CreateAccount requests, listed newest first.
CREATE TABLE create_account_status (
  id             TEXT PRIMARY KEY,
  account_name   TEXT NOT NULL,
  email          TEXT NOT NULL,
  account_id     TEXT NOT NULL DEFAULT '',
  state          TEXT NOT NULL,
  failure_reason TEXT NOT NULL DEFAULT '',
  requested_at   INTEGER NOT NULL,
  -- 0 while the request is in progress.
  completed_at   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX create_account_status_requested ON create_account_status(requested_at, id);

-- Counts the changes authorization depends on, for other processes on this database
-- (berth account beside a server): each one advances it in the change's transaction.
CREATE TABLE auth_epoch (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, value) VALUES (1, 0);
