-- Version 4: a new record's outbox entry refers to its row in `records`
-- instead of holding a second copy of the body.
--
-- An outbox row with op 'create' and `changes` NULL means "the body, clock
-- stamp and time are the record row's `data`, `hlc` and `created_at`": the
-- store reads them from there when it pushes. Before any of them changes or
-- the row goes away, the triggers below copy them as they were into the
-- outbox row, so a create always carries what it was made with, whoever
-- writes to `records` and however. A create's `mutation_id` may be NULL,
-- meaning the record's id (one create per record, so it is unique; other
-- mutations get ids of their own). Entries already waiting keep everything
-- they hold.
--
-- SQLite cannot drop NOT NULL from a column, so the outbox is rebuilt in
-- this migration's transaction: same rows, same `seq` values, and the same
-- AUTOINCREMENT high-water mark (conflict resolutions refer to outbox
-- `seq`, so a number must never be handed out twice).

CREATE TABLE outbox_v4 (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT,                    -- NULL: a create whose mutation id is its record id
    record_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    op           TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    changes      TEXT,                    -- JSON {field: {"old": .., "new": ..}}; a create's plain
                                          -- field map; NULL: a create whose body is records.data
    base_version INTEGER NOT NULL,
    hlc          TEXT,                    -- NULL (with changes NULL): records.hlc
    created_at   TEXT,                    -- NULL (with changes NULL): records.created_at
    CHECK (op = 'create' OR (mutation_id IS NOT NULL AND changes IS NOT NULL)),
    CHECK ((changes IS NULL) = (hlc IS NULL) AND (changes IS NULL) = (created_at IS NULL))
) STRICT;

INSERT INTO outbox_v4 (seq, mutation_id, record_id, kind, op, changes, base_version, hlc, created_at)
    SELECT seq, mutation_id, record_id, kind, op, changes, base_version, hlc, created_at FROM outbox ORDER BY seq;

-- Keep the high-water mark even when the outbox is empty.
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'outbox_v4', seq FROM sqlite_sequence
    WHERE name = 'outbox' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_v4');
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT s.seq FROM sqlite_sequence s WHERE s.name = 'outbox'), 0))
    WHERE name = 'outbox_v4';

DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_by_record ON outbox (record_id);
CREATE UNIQUE INDEX outbox_by_mutation ON outbox (mutation_id) WHERE mutation_id IS NOT NULL;

-- Copy a waiting create's body, clock stamp and time out of `records`
-- before any of them changes or the row goes.
CREATE TRIGGER outbox_keeps_created_body_on_update
AFTER UPDATE OF data, hlc, created_at ON records
WHEN OLD.data IS NOT NEW.data OR OLD.hlc IS NOT NEW.hlc OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE outbox SET changes = OLD.data, hlc = OLD.hlc, created_at = OLD.created_at
    WHERE record_id = OLD.id AND op = 'create' AND changes IS NULL;
END;

CREATE TRIGGER outbox_keeps_created_body_on_delete
AFTER DELETE ON records
BEGIN
    UPDATE outbox SET changes = OLD.data, hlc = OLD.hlc, created_at = OLD.created_at
    WHERE record_id = OLD.id AND op = 'create' AND changes IS NULL;
END;
