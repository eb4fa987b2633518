-- Leases of background jobs that one replica runs (the upload purge): the holder holds
-- the lease until expires_at (Unix nanoseconds by the database server's clock, which
-- every replica shares whatever the skew of their own).
CREATE TABLE leases (
  name       TEXT COLLATE "C" PRIMARY KEY,
  holder     TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL
);
