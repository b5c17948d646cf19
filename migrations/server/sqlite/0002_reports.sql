-- Outreach sync server, SQLite, version 2: report columns.
--
-- Reports (crates/outreach-reports, crates/outreach-server-db/src/reports)
-- aggregate over these columns instead of reading JSON bodies. They are
-- generated from each record's own columns and body, so every write path
-- (push, conflict resolution, scope moves, deletion, erasure) keeps them
-- right without code. Every expression is total: no body, however odd, can
-- make a write fail. A deleted or erased record has no report values.
--
-- rpt_live    1 for a record that is neither deleted nor erased
-- rpt_day     the day the record is about (YYYY-MM-DD, the worker's local date):
--             contact `at`, sighting `seen_at`, risk assessment `assessed_at`,
--             outcome score `recorded_on`, action plan `started_on`,
--             caseload assignment `started_on`, street count `night_of`,
--             client `referral.date`
-- rpt_until   a second day: risk assessment `review_due`, client `closed_on`,
--             caseload assignment `ended_on`
-- rpt_rough   1 when the record shows the person sleeping rough: a contact
--             `bedded_down`, or a sighting meeting the definition
--             (`rough_sleeping`) that is linked to a client
-- rpt_living  a contact's `living_situation`
-- rpt_tag     contact `contact_type`, risk assessment and goal `status`,
--             outcome score `area`, caseload assignment `worker`
-- rpt_num     an outcome score's `score`
-- rpt_text    client `episode` (JSON), action plan `agencies` (JSON)
-- rpt_amends  the record this one amends (UUID text)
--
-- SQLite can only add VIRTUAL generated columns to a table; the indexes
-- below store the values they cover.

ALTER TABLE records ADD COLUMN rpt_live INTEGER GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 THEN 0 ELSE 1 END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_day TEXT GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 THEN NULL
         WHEN substr(CASE kind
                WHEN 'contact' THEN json_extract(data, '$.at')
                WHEN 'sighting' THEN json_extract(data, '$.seen_at')
                WHEN 'risk_assessment' THEN json_extract(data, '$.assessed_at')
                WHEN 'outcome_score' THEN json_extract(data, '$.recorded_on')
                WHEN 'action_plan' THEN json_extract(data, '$.started_on')
                WHEN 'caseload_assignment' THEN json_extract(data, '$.started_on')
                WHEN 'street_count' THEN json_extract(data, '$.night_of')
                WHEN 'client' THEN json_extract(data, '$.referral.date')
            END, 1, 10) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
         THEN substr(CASE kind
                WHEN 'contact' THEN json_extract(data, '$.at')
                WHEN 'sighting' THEN json_extract(data, '$.seen_at')
                WHEN 'risk_assessment' THEN json_extract(data, '$.assessed_at')
                WHEN 'outcome_score' THEN json_extract(data, '$.recorded_on')
                WHEN 'action_plan' THEN json_extract(data, '$.started_on')
                WHEN 'caseload_assignment' THEN json_extract(data, '$.started_on')
                WHEN 'street_count' THEN json_extract(data, '$.night_of')
                WHEN 'client' THEN json_extract(data, '$.referral.date')
            END, 1, 10)
    END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_until TEXT GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 THEN NULL
         WHEN substr(CASE kind
                WHEN 'risk_assessment' THEN json_extract(data, '$.review_due')
                WHEN 'client' THEN json_extract(data, '$.closed_on')
                WHEN 'caseload_assignment' THEN json_extract(data, '$.ended_on')
            END, 1, 10) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
         THEN substr(CASE kind
                WHEN 'risk_assessment' THEN json_extract(data, '$.review_due')
                WHEN 'client' THEN json_extract(data, '$.closed_on')
                WHEN 'caseload_assignment' THEN json_extract(data, '$.ended_on')
            END, 1, 10)
    END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_rough INTEGER GENERATED ALWAYS AS (
    CASE
        WHEN deleted = 1 OR erased = 1 THEN 0
        WHEN kind = 'contact' AND json_type(data, '$.bedded_down') = 'true' THEN 1
        WHEN kind = 'sighting' AND client_id IS NOT NULL AND json_type(data, '$.rough_sleeping') = 'true' THEN 1
        ELSE 0
    END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_living TEXT GENERATED ALWAYS AS (
    CASE WHEN kind = 'contact' AND deleted = 0 AND erased = 0 AND json_type(data, '$.living_situation') = 'text' THEN json_extract(data, '$.living_situation') END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_tag TEXT GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 THEN NULL ELSE
        CASE kind
            WHEN 'contact' THEN json_extract(data, '$.contact_type')
            WHEN 'risk_assessment' THEN json_extract(data, '$.status')
            WHEN 'goal' THEN json_extract(data, '$.status')
            WHEN 'outcome_score' THEN json_extract(data, '$.area')
            WHEN 'caseload_assignment' THEN trim(json_extract(data, '$.worker'))
        END
    END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_num INTEGER GENERATED ALWAYS AS (
    CASE WHEN kind = 'outcome_score' AND deleted = 0 AND erased = 0
              AND json_type(data, '$.score') = 'integer' AND json_extract(data, '$.score') BETWEEN 0 AND 999
         THEN json_extract(data, '$.score') END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_text TEXT GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 THEN NULL ELSE
        CASE kind
            WHEN 'client' THEN json_extract(data, '$.episode')
            WHEN 'action_plan' THEN json_extract(data, '$.agencies')
        END
    END
) VIRTUAL;

ALTER TABLE records ADD COLUMN rpt_amends TEXT GENERATED ALWAYS AS (
    CASE WHEN deleted = 1 OR erased = 1 OR json_type(data, '$.amends') <> 'text' THEN NULL ELSE json_extract(data, '$.amends') END
) VIRTUAL;

-- People seen sleeping rough in an area over a period.
CREATE INDEX records_rpt_rough_by_area ON records (area, rpt_day, client_id) WHERE rpt_rough = 1;
-- One person's history: when they were last seen sleeping rough, and where they lived.
CREATE INDEX records_rpt_rough_by_client ON records (client_id, area, rpt_day) WHERE rpt_rough = 1;
CREATE INDEX records_rpt_living_by_client ON records (client_id, rpt_day, rpt_living) WHERE rpt_living IS NOT NULL;
-- Monthly monitoring and team views, by kind, area and day.
CREATE INDEX records_rpt_by_kind ON records (kind, area, rpt_day) WHERE rpt_live = 1;
-- Amended originals are left out of every figure.
CREATE INDEX records_rpt_amends ON records (rpt_amends) WHERE rpt_amends IS NOT NULL;
