-- Outreach sync server, PostgreSQL, version 3: the same person recorded twice.
--
-- A merge is an ordinary change to the merged-away client: its body's
-- `merged_into` names the client it was merged into. This table keeps those
-- links as rows, with the client each one stands for now (`person_id`: the
-- end of its chain, or the lowest id of a cycle made by two devices merging
-- each client into the other), so that
--   * a worker holding any client of the family on their caseload sees the
--     records of all of them (links made offline to either id still resolve);
--   * reports count one person once, however many clients they were
--     recorded as.
-- The engine keeps it in step on every write of a client (engine/merges.rs).
-- A client with no row stands for itself.

CREATE TABLE client_merges (
    client_id   UUID PRIMARY KEY,
    merged_into UUID NOT NULL,
    person_id   UUID NOT NULL
);

CREATE INDEX client_merges_by_person ON client_merges (person_id);

-- Holders of a client, when a merge changes who may see its records.
CREATE INDEX caseload_by_client ON caseload (client_id);

-- The links already stored.
INSERT INTO client_merges (client_id, merged_into, person_id)
SELECT id, CAST(data->>'merged_into' AS UUID), CAST(data->>'merged_into' AS UUID)
FROM records
WHERE kind = 'client' AND NOT erased
  AND data->>'merged_into' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  AND CAST(data->>'merged_into' AS UUID) <> id;

-- Each chain followed to its end. A chain that has no end runs into a
-- cycle: from step 32 on it is walking round the cycle, and the lowest id
-- met there is the cycle's (chains and cycles under 32 long, far beyond
-- what merging by hand makes).
WITH RECURSIVE walk (start, at, depth) AS (
    SELECT client_id, merged_into, 1 FROM client_merges
    UNION ALL
    SELECT w.start, m.merged_into, w.depth + 1
    FROM walk w JOIN client_merges m ON m.client_id = w.at
    WHERE w.depth < 64
)
UPDATE client_merges c SET person_id = COALESCE(
    (SELECT w.at FROM walk w WHERE w.start = c.client_id
       AND NOT EXISTS (SELECT 1 FROM client_merges m WHERE m.client_id = w.at) LIMIT 1),
    (SELECT CAST(min(CAST(w.at AS TEXT) COLLATE "C") AS UUID) FROM walk w WHERE w.start = c.client_id AND w.depth > 32),
    c.merged_into);
