//! The PostgreSQL store against a real server (`DECONFLICT_TEST_POSTGRES`, by default the local
//! one that `.ci/run` starts): the conformance suite every store passes, then what is particular
//! to SQL — migrations, retries under contention, and several stores (nodes) on one database.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failure aborts the test with its reason"
)]

#[path = "postgres/nodes.rs"]
mod nodes;
#[path = "postgres/schema.rs"]
mod schema;

use deconflict_store::postgres::testing::TempStore;

fn fresh() -> TempStore {
    TempStore::new().unwrap_or_else(|e| panic!("a PostgreSQL test database: {e}"))
}

deconflict_store::conformance_tests!(fresh);
