-- deconflict schema 1. Only SQL that PostgreSQL, CockroachDB and YugabyteDB all accept:
-- no PostGIS, no GiST, no sequences, no advisory locks, no LISTEN/NOTIFY (docs/scaling.md).

-- Live operations and zones. `keys` holds one key per (H3 cell, time bucket) the volumes touch
-- (crates/store/src/postgres/cells.rs; the H3 resolution is in deconflict_settings); the
-- altitude and time columns are the envelope of all volumes. They only pre-select: the exact 4D
-- test is the core's, in Rust, on the record in `body`.
CREATE TABLE IF NOT EXISTS entities (
    id UUID PRIMARY KEY,
    owner TEXT NOT NULL,
    keys INT8[] NOT NULL,
    alt_lo FLOAT8 NOT NULL,
    alt_hi FLOAT8 NOT NULL,
    t_start TIMESTAMPTZ NOT NULL,
    t_end TIMESTAMPTZ NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_keys ON entities USING GIN (keys);

CREATE TABLE IF NOT EXISTS subscriptions (
    id UUID PRIMARY KEY,
    owner TEXT NOT NULL,
    keys INT8[] NOT NULL,
    alt_lo FLOAT8 NOT NULL,
    alt_hi FLOAT8 NOT NULL,
    t_start TIMESTAMPTZ NOT NULL,
    t_end TIMESTAMPTZ NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_keys ON subscriptions USING GIN (keys);
CREATE INDEX IF NOT EXISTS subscriptions_owner ON subscriptions (owner, id);

CREATE TABLE IF NOT EXISTS parties (
    id TEXT PRIMARY KEY,
    body BYTEA NOT NULL
);

-- Every notification, by id; ids come from the counter below, taken inside the notifying
-- transaction, so they increase in commit order and an inbox cursor never skips one.
CREATE TABLE IF NOT EXISTS notifications (
    id INT8 PRIMARY KEY,
    recipient TEXT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_recipient ON notifications (recipient, id);

-- Webhook deliveries waiting (the transactional outbox).
CREATE TABLE IF NOT EXISTS outbox (
    id INT8 PRIMARY KEY,
    url TEXT NOT NULL,
    attempts INT8 NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at, id);

CREATE TABLE IF NOT EXISTS deconflict_settings (
    name TEXT PRIMARY KEY,
    value INT8 NOT NULL
);
INSERT INTO deconflict_settings (name, value) VALUES ('next_notification_id', 1) ON CONFLICT (name) DO NOTHING;
INSERT INTO deconflict_settings (name, value) VALUES ('cell_resolution', 7) ON CONFLICT (name) DO NOTHING;
