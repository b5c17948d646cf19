-- Outreach sync server, version 5: records the server could not read.
--
-- A record stored by an older bug in a form the server cannot read back
-- (a clock stamp that does not parse) must not stop every pull that
-- reaches it. Pull skips it, tells each device its id, and notes it here;
-- /health reports the count and `outreach-server record repair` mends it.

CREATE TABLE unreadable_records (
    record_id  UUID PRIMARY KEY,
    -- the record's sequence number when it was met
    seq        BIGINT NOT NULL,
    -- what could not be read
    reason     TEXT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL
);
