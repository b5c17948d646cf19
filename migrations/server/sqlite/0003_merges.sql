-- Outreach sync server, SQLite, version 3: the same person recorded twice.
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
    client_id   TEXT PRIMARY KEY,
    merged_into TEXT NOT NULL,
    person_id   TEXT NOT NULL
) STRICT;

CREATE INDEX client_merges_by_person ON client_merges (person_id);

-- Holders of a client, when a merge changes who may see its records.
CREATE INDEX caseload_by_client ON caseload (client_id);

-- The links already stored (ids are stored lower-case, as Rust writes them).
INSERT INTO client_merges (client_id, merged_into, person_id)
SELECT id, lower(json_extract(data, '$.merged_into')), lower(json_extract(data, '$.merged_into'))
FROM records
WHERE kind = 'client' AND erased = 0
  AND json_type(data, '$.merged_into') = 'text'
  AND length(json_extract(data, '$.merged_into')) = 36
  AND lower(json_extract(data, '$.merged_into')) <> id;

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
UPDATE client_merges SET person_id = COALESCE(
    (SELECT w.at FROM walk w WHERE w.start = client_merges.client_id
       AND NOT EXISTS (SELECT 1 FROM client_merges m WHERE m.client_id = w.at) LIMIT 1),
    (SELECT min(w.at) FROM walk w WHERE w.start = client_merges.client_id AND w.depth > 32),
    merged_into);
