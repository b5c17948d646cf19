-- Outreach sync server, PostgreSQL, version 1.

-- Teams and the local authority areas each covers. `area_key` is the area
-- trimmed and lower-cased: what scope checks compare.
CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE team_areas (
    team_id  UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    area     TEXT NOT NULL,
    area_key TEXT NOT NULL,
    PRIMARY KEY (team_id, area_key)
);

-- People who sign in. `password_hash` is an Argon2id PHC string.
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('worker', 'team_lead', 'admin', 'commissioner')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE INDEX team_members_by_user ON team_members (user_id);

-- Laptops. The bearer token is never stored: only its SHA-256 (hex).
CREATE TABLE devices (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    revoke_reason TEXT
);

-- The global sequence: one row. Every writing transaction first locks it
-- (SELECT ... FOR UPDATE) and bumps it (UPDATE ... RETURNING); the row lock
-- is held until COMMIT, so writers are serialised and sequence numbers
-- become visible in commit order: a reader's cursor never skips a row.
CREATE TABLE seq_counter (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);

INSERT INTO seq_counter (id, value) VALUES (1, 0);

-- Every record kind in one table. `area` is the scope area key: the
-- client's area for records about a client, the count's area for sightings.
CREATE TABLE records (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    client_id  UUID,
    area       TEXT,
    count_id   UUID,
    data       JSONB NOT NULL,
    version    BIGINT NOT NULL,
    seq        BIGINT NOT NULL UNIQUE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    erased     BOOLEAN NOT NULL DEFAULT FALSE,
    hlc        TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    device     UUID NOT NULL
);

CREATE INDEX records_by_client ON records (client_id);
CREATE INDEX records_by_count ON records (count_id) WHERE count_id IS NOT NULL;
CREATE INDEX records_by_area ON records (area, seq);

-- Pushed mutations already applied, with the answer given, so a resent
-- batch gets the same answer and changes nothing.
CREATE TABLE applied_mutations (
    mutation_id UUID PRIMARY KEY,
    device      UUID NOT NULL,
    record_id   UUID NOT NULL,
    result      JSONB NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL
);

-- Two values for one field, kept for a person to choose between.
CREATE TABLE conflicts (
    id           UUID PRIMARY KEY,
    record_id    UUID NOT NULL REFERENCES records (id),
    kind         TEXT NOT NULL,
    field        TEXT NOT NULL,
    kept         JSONB NOT NULL,
    other        JSONB NOT NULL,
    other_user   TEXT NOT NULL,
    other_device UUID NOT NULL,
    other_hlc    TEXT NOT NULL,
    resolved_by  TEXT,
    resolved_at  TIMESTAMPTZ,
    seq          BIGINT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX conflicts_by_record ON conflicts (record_id);

-- Who holds which client, derived from caseload_assignment records.
CREATE TABLE caseload (
    assignment_id UUID PRIMARY KEY,
    worker        TEXT NOT NULL,
    client_id     UUID NOT NULL,
    ended_on      TEXT
);

CREATE INDEX caseload_by_worker ON caseload (worker);

-- Records that left someone's scope (an area or a worker's caseload):
-- pull tells those devices to drop their copies.
CREATE TABLE scope_drops (
    seq       BIGINT PRIMARY KEY,
    record_id UUID NOT NULL,
    area      TEXT,
    worker    TEXT
);

-- Append-only: who read or changed what, and when. Never personal data.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    user_name TEXT,
    device    UUID,
    action    TEXT NOT NULL,
    record_id UUID,
    detail    TEXT
);

CREATE INDEX audit_by_record ON audit_log (record_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
