//! Migrations: applied once, idempotent, checked at open; a newer schema is refused.

use deconflict_store::StoreError;
use deconflict_store::postgres::testing::TempDatabase;
use deconflict_store::postgres::{
    Migrated, PostgresOptions, PostgresStore, SCHEMA_VERSION, migrate,
};

fn empty() -> TempDatabase {
    TempDatabase::empty().unwrap_or_else(|e| panic!("a PostgreSQL test database: {e}"))
}

fn refusal(result: Result<PostgresStore, StoreError>) -> String {
    match result {
        Ok(_) => panic!("the store opened"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_unmigrated_database_is_refused_with_the_command_to_run() {
    let db = empty();
    let msg = refusal(PostgresStore::open(db.url(), PostgresOptions::default()));
    assert!(msg.contains("deconflict migrate"), "{msg}");
    assert!(msg.contains("schema version 0"), "{msg}");
}

#[test]
fn migrate_brings_a_new_database_to_the_current_version_once() {
    let db = empty();
    assert_eq!(
        migrate(db.url()).expect("migrates"),
        Migrated {
            from: 0,
            to: SCHEMA_VERSION
        }
    );
    assert_eq!(
        migrate(db.url()).expect("migrates again"),
        Migrated {
            from: SCHEMA_VERSION,
            to: SCHEMA_VERSION
        }
    );
    PostgresStore::open(db.url(), PostgresOptions::default()).expect("opens");
}

#[test]
fn a_database_of_a_newer_deconflict_is_refused_by_open_and_by_migrate() {
    let db = empty();
    migrate(db.url()).expect("migrates");
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).expect("connects");
    client
        .execute(
            "INSERT INTO deconflict_schema (version) VALUES ($1)",
            &[&(SCHEMA_VERSION + 1)],
        )
        .expect("records a future version");
    let msg = refusal(PostgresStore::open(db.url(), PostgresOptions::default()));
    assert!(msg.contains("newer"), "{msg}");
    let msg = migrate(db.url()).expect_err("refused").to_string();
    assert!(msg.contains("newer"), "{msg}");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let msg = refusal(PostgresStore::open(
        "postgres://postgres@127.0.0.1:1/nowhere",
        PostgresOptions {
            connect_timeout: std::time::Duration::from_secs(2),
            ..PostgresOptions::default()
        },
    ));
    assert!(msg.contains("connecting to the database"), "{msg}");
}
