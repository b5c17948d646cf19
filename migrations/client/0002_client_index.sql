-- Version 2: a summary row per client for lists, filters and search,
-- maintained by the store on every write that affects the client. The store
-- rebuilds it from `records` after this migration runs on an older store.

CREATE TABLE client_index (
    client_id       TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    names           TEXT NOT NULL,        -- normalised name and aliases, one per line
    date_of_birth   TEXT,
    area            TEXT NOT NULL,
    needs           TEXT NOT NULL,        -- comma-separated need tags
    safety_flags    TEXT NOT NULL,        -- JSON array of warning texts
    risk_level      INTEGER,              -- 0 low, 1 medium, 2 high; latest completed assessment
    review_due      TEXT,                 -- its review date
    episode_stage   TEXT,
    episode_end     TEXT,                 -- last day allowed for the current episode
    last_contact_at TEXT,
    workers         TEXT NOT NULL,        -- comma-separated workers holding the case now
    closed_on       TEXT,
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX client_index_by_area ON client_index (area, display_name);
CREATE INDEX client_index_by_review ON client_index (review_due);
