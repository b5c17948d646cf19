-- Version 3: what sync needs on the device. Stores upgraded to this version
-- have never synced, so every table starts empty and the cursor at 0.

-- The last copy of each record the server confirmed (by pull). Local edits
-- and incoming changes are both deltas against it, merged field by field.
CREATE TABLE mirror (
    id         TEXT PRIMARY KEY,          -- record id
    kind       TEXT NOT NULL,
    client_id  TEXT,
    data       TEXT NOT NULL,             -- JSON body exactly as the server sent it
    version    INTEGER NOT NULL,          -- server version (per record)
    seq        INTEGER NOT NULL,          -- server sequence it arrived with
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    hlc        TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;

-- Sync bookkeeping: 'cursor' (saved in the same transaction as each pulled
-- page), 'last_sync_at', 'server_url'.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Conflicts the server recorded (two values for one field), shown to the
-- worker until a person chooses. `chosen` is the value picked on this
-- device; `chosen_after` the last outbox row made before the choice (it is
-- sent to the server after that row and before any later one);
-- `chosen_sent` turns 1 once the server has been told.
CREATE TABLE conflicts (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    field        TEXT NOT NULL,
    kept         TEXT NOT NULL,           -- JSON value the record has
    other        TEXT NOT NULL,           -- JSON value not applied
    other_user   TEXT NOT NULL,
    other_device TEXT NOT NULL,
    other_hlc    TEXT NOT NULL,
    resolved_by  TEXT,
    seq          INTEGER NOT NULL,
    chosen       TEXT,
    chosen_after INTEGER NOT NULL DEFAULT 0,
    chosen_sent  INTEGER NOT NULL DEFAULT 0 CHECK (chosen_sent IN (0, 1))
) STRICT;

CREATE INDEX conflicts_by_record ON conflicts (record_id);

-- Local changes the server refused, moved here from the outbox with the
-- reason. Never dropped by sync: the worker decides what to do.
CREATE TABLE needs_attention (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL UNIQUE,
    record_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    op           TEXT NOT NULL,
    changes      TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    hlc          TEXT NOT NULL,
    created_at   TEXT NOT NULL,           -- when the change was made
    code         TEXT NOT NULL,           -- the server's stable code
    reason       TEXT NOT NULL,           -- what happened and what to do
    rejected_at  TEXT NOT NULL
) STRICT;

CREATE INDEX needs_attention_by_record ON needs_attention (record_id);
