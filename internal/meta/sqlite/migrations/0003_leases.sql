-- Leases of background jobs that one process of many runs (the upload purge): the
-- holder holds the lease until expires_at (Unix nanoseconds).
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
