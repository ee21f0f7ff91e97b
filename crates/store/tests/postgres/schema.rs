//! Migrations: applied once, idempotent, checked at open; a newer schema is refused.

use deconflict_store::StoreError;
use deconflict_store::postgres::testing::TempDatabase;
use deconflict_store::postgres::{
    Migrated, PostgresOptions, PostgresStore, SCHEMA_VERSION, migrate,
};
use deconflict_store::testing::fixtures::{read, tx};

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

/// A database that only the first migration was applied to (by a deconflict from before
/// documents), with a record in it.
fn at_version_1() -> TempDatabase {
    let db = empty();
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).expect("connects");
    client
        .batch_execute(
            "CREATE TABLE deconflict_schema (\
               version INT8 PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .expect("creates deconflict_schema");
    client
        .batch_execute(include_str!("../../migrations/0001_initial.sql"))
        .expect("applies 0001");
    client
        .batch_execute(
            "INSERT INTO deconflict_schema (version) VALUES (1); \
             INSERT INTO parties (id, body) \
             VALUES ('alpha', '{\"id\":\"alpha\",\"name\":\"Alpha\",\"full_disclosure_to\":[]}'); \
             INSERT INTO entities (id, owner, keys, alt_lo, alt_hi, t_start, t_end, body) \
             VALUES ('00000000-0000-4000-8000-000000000001', 'alpha', '{}', 0, 1, \
                     '2030-01-01T00:00:00Z', '2030-01-01T01:00:00Z', '\\x7b7d')",
        )
        .expect("records version 1");
    db
}

fn has_documents_table(url: &str) -> bool {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connects");
    let row = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'documents'",
            &[],
        )
        .expect("queries");
    row.get::<_, i64>(0) == 1
}

#[test]
fn a_database_at_version_1_is_refused_then_migrated_to_3_with_documents_and_areas() {
    assert_eq!(SCHEMA_VERSION, 3);
    let db = at_version_1();
    assert!(!has_documents_table(db.url()));
    let msg = refusal(PostgresStore::open(db.url(), PostgresOptions::default()));
    assert!(msg.contains("schema version 1"), "{msg}");
    assert!(msg.contains("deconflict migrate"), "{msg}");

    assert_eq!(
        migrate(db.url()).expect("migrates"),
        Migrated { from: 1, to: 3 }
    );
    assert!(has_documents_table(db.url()));
    // A row from before areas may be anywhere: every long query pre-selects it.
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).expect("connects");
    let areas: Vec<i64> = client
        .query_one("SELECT areas FROM entities WHERE owner = 'alpha'", &[])
        .expect("the old row")
        .get(0);
    assert_eq!(areas, vec![deconflict_store::postgres::cells::ANYWHERE]);
    let store = PostgresStore::open(db.url(), PostgresOptions::default()).expect("opens");
    let parties = read(&store, |v| v.parties()).expect("read");
    assert_eq!(
        parties.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Alpha"],
        "what version 1 held is kept"
    );
    tx(&store, |tx| {
        tx.put_document("availability", "uss-1", b"{}".to_vec())
    })
    .expect("written");
    assert_eq!(
        read(&store, |v| v.documents("availability", None, 10)).expect("read"),
        vec![("uss-1".to_owned(), b"{}".to_vec())]
    );
    drop(store);
    assert_eq!(
        migrate(db.url()).expect("migrates again"),
        Migrated { from: 3, to: 3 }
    );
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
