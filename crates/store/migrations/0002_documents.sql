-- deconflict schema 2: documents. Only SQL that PostgreSQL, CockroachDB and YugabyteDB all accept
-- (see 0001_initial.sql).

-- Opaque records by kind and id (crates/store/src/lib.rs, `Tx::put_document`): USS availability,
-- archived reports and the like, which need no spatial index. The store checks kind and id
-- before they get here (no NUL, which TEXT cannot hold). Listings order ids with
-- `COLLATE "C"` (bytewise, as the embedded store does) whatever the database's collation; on
-- PostgreSQL proper, `migrate` adds an index in that order (postgres/mod.rs).
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (kind, id)
);
