-- Outreach sync server, SQLite, version 1.
-- Ids are UUID text; times are RFC 3339 UTC text; JSON is text.

-- Teams and the local authority areas each covers. `area_key` is the area
-- trimmed and lower-cased: what scope checks compare.
CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE team_areas (
    team_id  TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    area     TEXT NOT NULL,
    area_key TEXT NOT NULL,
    PRIMARY KEY (team_id, area_key)
) STRICT;

-- People who sign in. `password_hash` is an Argon2id PHC string.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('worker', 'team_lead', 'admin', 'commissioner')),
    PRIMARY KEY (user_id, role)
) STRICT;

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
) STRICT;

CREATE INDEX team_members_by_user ON team_members (user_id);

-- Laptops. The bearer token is never stored: only its SHA-256 (hex).
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_seen     TEXT,
    revoked_at    TEXT,
    revoke_reason TEXT
) STRICT;

-- The global sequence: one row, bumped inside every writing transaction,
-- so sequence numbers follow commit order.
CREATE TABLE seq_counter (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;

INSERT INTO seq_counter (id, value) VALUES (1, 0);

-- Every record kind in one table. `area` is the scope area key: the
-- client's area for records about a client, the count's area for sightings.
CREATE TABLE records (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    client_id  TEXT,
    area       TEXT,
    count_id   TEXT,
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    seq        INTEGER NOT NULL UNIQUE,
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    erased     INTEGER NOT NULL DEFAULT 0 CHECK (erased IN (0, 1)),
    hlc        TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    device     TEXT NOT NULL
) STRICT;

CREATE INDEX records_by_client ON records (client_id);
CREATE INDEX records_by_count ON records (count_id) WHERE count_id IS NOT NULL;
CREATE INDEX records_by_area ON records (area, seq);

-- Pushed mutations already applied, with the answer given, so a resent
-- batch gets the same answer and changes nothing.
CREATE TABLE applied_mutations (
    mutation_id TEXT PRIMARY KEY,
    device      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    result      TEXT NOT NULL,
    applied_at  TEXT NOT NULL
) STRICT;

-- Two values for one field, kept for a person to choose between.
CREATE TABLE conflicts (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id),
    kind         TEXT NOT NULL,
    field        TEXT NOT NULL,
    kept         TEXT NOT NULL,
    other        TEXT NOT NULL,
    other_user   TEXT NOT NULL,
    other_device TEXT NOT NULL,
    other_hlc    TEXT NOT NULL,
    resolved_by  TEXT,
    resolved_at  TEXT,
    seq          INTEGER NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX conflicts_by_record ON conflicts (record_id);

-- Who holds which client, derived from caseload_assignment records.
CREATE TABLE caseload (
    assignment_id TEXT PRIMARY KEY,
    worker        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    ended_on      TEXT
) STRICT;

CREATE INDEX caseload_by_worker ON caseload (worker);

-- Records that left someone's scope (an area or a worker's caseload):
-- pull tells those devices to drop their copies.
CREATE TABLE scope_drops (
    seq       INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    area      TEXT,
    worker    TEXT
) STRICT;

-- Append-only: who read or changed what, and when. Never personal data.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user_name TEXT,
    device    TEXT,
    action    TEXT NOT NULL,
    record_id TEXT,
    detail    TEXT
) STRICT;

CREATE INDEX audit_by_record ON audit_log (record_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
