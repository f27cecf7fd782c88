-- Times are Unix milliseconds. next_at follows the ledger's clock (when
-- work is due); lease_until the machine's (how long a claim lives).
CREATE TABLE track_records (
  id          INTEGER PRIMARY KEY,
  account     TEXT    NOT NULL,
  ref         TEXT,
  session_key TEXT,
  phase       TEXT    NOT NULL,
  status      TEXT    NOT NULL DEFAULT '',
  rank        INTEGER NOT NULL DEFAULT 0,
  source      TEXT    NOT NULL DEFAULT '',
  capture_url TEXT    NOT NULL DEFAULT '',
  learned_by  TEXT    NOT NULL DEFAULT '',
  results     BLOB,
  calls       INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT    NOT NULL DEFAULT '',
  version     INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER,
  lease_owner TEXT    NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  done_at     INTEGER
);
CREATE UNIQUE INDEX track_records_ref ON track_records (account, ref);
CREATE UNIQUE INDEX track_records_session ON track_records (account, session_key);
CREATE INDEX track_records_due ON track_records (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX track_records_phase ON track_records (phase);

CREATE TABLE track_inbox (
  id          TEXT    PRIMARY KEY,
  account     TEXT    NOT NULL,
  event       TEXT    NOT NULL,
  session_key TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER,
  lease_owner TEXT    NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX track_inbox_due ON track_inbox (next_at) WHERE next_at IS NOT NULL;

-- One row per account, shared by the replicas: the request budget's
-- window (machine clock), a pause after a 429, and when a delivery for the
-- account was last applied (ledger clock).
CREATE TABLE track_accounts (
  account       TEXT    PRIMARY KEY,
  window_start  INTEGER NOT NULL DEFAULT 0,
  used          INTEGER NOT NULL DEFAULT 0,
  paused_until  INTEGER NOT NULL DEFAULT 0,
  last_delivery INTEGER NOT NULL DEFAULT 0
);
