-- Version 5: what drift detection needs in the mirror. The server sends the
-- scope area key it files each record under; the device groups its mirror
-- by it to compare counts and hashes with the server's digest. Rows pulled
-- before this version have no area: they count under the caseload unit
-- until a re-snapshot brings them again.
ALTER TABLE mirror ADD COLUMN area TEXT;
-- 1 while a re-snapshot of the record's unit is under way and has not
-- delivered it again: when the snapshot is complete, such a record (the
-- server no longer has it for this device) is removed, unless local
-- changes to it wait to be sent.
ALTER TABLE mirror ADD COLUMN resnapshot INTEGER NOT NULL DEFAULT 0 CHECK (resnapshot IN (0, 1));
