-- Outreach client store, version 1: records, sync outbox, audit log.
-- Every record kind lives in one table as a JSON body plus the metadata
-- sync needs, so sync and merge work on one shape for every kind.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE records (
    id          TEXT PRIMARY KEY,         -- UUID v7
    kind        TEXT NOT NULL,            -- RecordKind tag
    client_id   TEXT,                     -- the client the record is about
    data        TEXT NOT NULL,            -- JSON body; unknown fields are kept
    created_at  TEXT NOT NULL,            -- RFC 3339, UTC
    updated_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    device      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    version     INTEGER NOT NULL DEFAULT 0, -- server version this copy is based on
    hlc         TEXT NOT NULL,            -- clock stamp of the last change
    amends      TEXT,                     -- the record this one corrects
    occurred_at TEXT NOT NULL             -- when the thing recorded happened (UTC), for ordering
) STRICT;

CREATE INDEX records_by_client ON records (client_id, kind, occurred_at);
CREATE INDEX records_by_kind ON records (kind, occurred_at);
CREATE INDEX records_by_amends ON records (amends) WHERE amends IS NOT NULL;

-- Every local change, written in the same transaction as the change, until
-- the server acknowledges it.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL UNIQUE,
    record_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    op           TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    changes      TEXT NOT NULL,           -- JSON {field: {"old": .., "new": ..}}
    base_version INTEGER NOT NULL,
    hlc          TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX outbox_by_record ON outbox (record_id);

-- Who read or changed which client record, and when.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    device     TEXT NOT NULL,
    action     TEXT NOT NULL,
    kind       TEXT,
    record_id  TEXT,
    client_id  TEXT,
    detail     TEXT
) STRICT;

CREATE INDEX audit_by_client ON audit_log (client_id, seq);
