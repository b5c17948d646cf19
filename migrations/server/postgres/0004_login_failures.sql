-- Outreach sync server, version 4: failed sign-ins counted in the database.
--
-- The server refuses sign-in for a while after too many failures for one
-- user name or from one address (crates/outreach-server/src/throttle.rs).
-- Counting here rather than in each server process means several servers
-- behind a load balancer share one count: guessing does not get a fresh
-- allowance from each of them.

CREATE TABLE login_failures (
    -- 'user:' and the name as typed (trimmed, lower-cased), or 'address:' and the client's IP
    key      TEXT PRIMARY KEY,
    -- failures since since_ms
    count    INTEGER NOT NULL,
    -- the first failure counted, in milliseconds since 1970 (UTC)
    since_ms BIGINT NOT NULL
);

-- Expired counts are swept out by age.
CREATE INDEX login_failures_by_since ON login_failures (since_ms);
