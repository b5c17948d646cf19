-- Outreach sync server, PostgreSQL, version 2: report columns.
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

ALTER TABLE records
    ADD COLUMN rpt_live SMALLINT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN 0 ELSE 1 END
    ) STORED,
    ADD COLUMN rpt_day TEXT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN NULL ELSE
            substring(
                CASE kind
                    WHEN 'contact' THEN data->>'at'
                    WHEN 'sighting' THEN data->>'seen_at'
                    WHEN 'risk_assessment' THEN data->>'assessed_at'
                    WHEN 'outcome_score' THEN data->>'recorded_on'
                    WHEN 'action_plan' THEN data->>'started_on'
                    WHEN 'caseload_assignment' THEN data->>'started_on'
                    WHEN 'street_count' THEN data->>'night_of'
                    WHEN 'client' THEN data->'referral'->>'date'
                END
                FROM '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
        END
    ) STORED,
    ADD COLUMN rpt_until TEXT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN NULL ELSE
            substring(
                CASE kind
                    WHEN 'risk_assessment' THEN data->>'review_due'
                    WHEN 'client' THEN data->>'closed_on'
                    WHEN 'caseload_assignment' THEN data->>'ended_on'
                END
                FROM '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
        END
    ) STORED,
    ADD COLUMN rpt_rough SMALLINT GENERATED ALWAYS AS (
        CASE
            WHEN deleted OR erased THEN 0
            WHEN kind = 'contact' AND data->'bedded_down' = 'true'::jsonb THEN 1
            WHEN kind = 'sighting' AND client_id IS NOT NULL AND data->'rough_sleeping' = 'true'::jsonb THEN 1
            ELSE 0
        END
    ) STORED,
    ADD COLUMN rpt_living TEXT GENERATED ALWAYS AS (
        CASE WHEN kind = 'contact' AND NOT deleted AND NOT erased THEN data->>'living_situation' END
    ) STORED,
    ADD COLUMN rpt_tag TEXT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN NULL ELSE
            CASE kind
                WHEN 'contact' THEN data->>'contact_type'
                WHEN 'risk_assessment' THEN data->>'status'
                WHEN 'goal' THEN data->>'status'
                WHEN 'outcome_score' THEN data->>'area'
                WHEN 'caseload_assignment' THEN btrim(data->>'worker')
            END
        END
    ) STORED,
    ADD COLUMN rpt_num INTEGER GENERATED ALWAYS AS (
        CASE WHEN kind = 'outcome_score' AND NOT deleted AND NOT erased AND jsonb_typeof(data->'score') = 'number'
                  AND data->>'score' ~ '^[0-9]{1,3}$'
             THEN (data->>'score')::integer END
    ) STORED,
    ADD COLUMN rpt_text TEXT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN NULL ELSE
            CASE kind
                WHEN 'client' THEN (data->'episode')::text
                WHEN 'action_plan' THEN (data->'agencies')::text
            END
        END
    ) STORED,
    ADD COLUMN rpt_amends TEXT GENERATED ALWAYS AS (
        CASE WHEN deleted OR erased THEN NULL ELSE data->>'amends' END
    ) STORED;

-- People seen sleeping rough in an area over a period: an index-only range scan.
CREATE INDEX records_rpt_rough_by_area ON records (area, rpt_day, client_id) WHERE rpt_rough = 1;
-- One person's history: when they were last seen sleeping rough, and where they lived.
CREATE INDEX records_rpt_rough_by_client ON records (client_id, area, rpt_day) WHERE rpt_rough = 1;
CREATE INDEX records_rpt_living_by_client ON records (client_id, rpt_day) INCLUDE (rpt_living)
    WHERE rpt_living IS NOT NULL;
-- Monthly monitoring and team views, by kind, area and day.
CREATE INDEX records_rpt_by_kind ON records (kind, area, rpt_day) WHERE rpt_live = 1;
-- Amended originals are left out of every figure.
CREATE INDEX records_rpt_amends ON records (rpt_amends) WHERE rpt_amends IS NOT NULL;
