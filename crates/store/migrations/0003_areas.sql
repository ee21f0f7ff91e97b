-- deconflict schema 3: areas. Only SQL that PostgreSQL, CockroachDB and YugabyteDB all accept
-- (see 0001_initial.sql).

-- `areas` holds the H3 cells, at a coarse resolution and without time, that cover a row's
-- footprints (crates/store/src/postgres/cells.rs, `row_areas`), or the single value -1 for "may
-- be anywhere". A query whose (cell, time bucket) keys would be too many — a long window such
-- as an open-ended protected site's — pre-selects by them instead of by time alone, which read
-- every zone of the theatre. Rows written before this schema are marked -1 ("anywhere") until
-- they are next written: correct, as pre-selection only has to keep every true answer.
ALTER TABLE entities ADD COLUMN IF NOT EXISTS areas INT8[];
UPDATE entities SET areas = ARRAY[-1]::INT8[] WHERE areas IS NULL;
CREATE INDEX IF NOT EXISTS entities_areas ON entities USING GIN (areas);

ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS areas INT8[];
UPDATE subscriptions SET areas = ARRAY[-1]::INT8[] WHERE areas IS NULL;
CREATE INDEX IF NOT EXISTS subscriptions_areas ON subscriptions USING GIN (areas);
