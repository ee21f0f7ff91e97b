//! Unit tests of what the conformance suite cannot reach: fail-stop after a failed durable
//! commit, a panic inside a transaction's closure, and a data directory written before documents
//! existed.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;

use redb::{ReadableDatabase, TableHandle};

use super::{DATABASE_FILE, EmbeddedStore, records};
use crate::StoreError;
use crate::testing::fixtures::{entity, entity_id, far_volume, read, tx};

#[test]
fn a_failed_commit_stops_the_store_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("opens");
    tx(&store, |tx| {
        tx.put_entity(entity(1, "alpha", vec![far_volume()]))
    })
    .expect("committed");
    store.shared.fail_commits.store(true, Ordering::SeqCst);

    let failed = tx(&store, |tx| {
        tx.put_entity(entity(2, "alpha", vec![far_volume()]))
    });
    assert!(
        matches!(failed, Err(StoreError::Unavailable { .. })),
        "{failed:?}"
    );
    let message = failed.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("reopen"), "{message}");
    assert!(matches!(
        read(&store, |v| v.entities()),
        Err(StoreError::Unavailable { .. })
    ));
    assert!(matches!(
        tx(&store, |tx| tx.entity(&entity_id(1))),
        Err(StoreError::Unavailable { .. })
    ));
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    let ids: Vec<_> = read(&store, |v| v.entities())
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        ids,
        [entity_id(1)],
        "the acknowledged write is there, the failed one is not"
    );
}

#[test]
fn a_panicking_closure_writes_nothing_and_the_store_goes_on() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("opens");
    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        tx(&store, |tx| -> Result<(), StoreError> {
            tx.put_entity(entity(1, "alpha", vec![far_volume()]))?;
            panic!("a bug in a use case");
        })
    }));
    assert!(panicked.is_err());
    tx(&store, |tx| {
        tx.put_entity(entity(2, "alpha", vec![far_volume()]))
    })
    .expect("committed");
    let ids: Vec<_> = read(&store, |v| v.entities())
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [entity_id(2)]);
}

#[test]
fn a_directory_from_before_documents_opens_and_gets_the_table() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let e = entity(1, "alpha", vec![far_volume()]);
    {
        // What `prepare` and a commit made before the documents table: format 1, no documents.
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).expect("creates");
        let txn = db.begin_write().expect("writes");
        {
            txn.open_table(records::SUBSCRIPTIONS).expect("table");
            txn.open_table(records::PARTIES).expect("table");
            txn.open_table(records::NOTIFICATIONS).expect("table");
            txn.open_table(records::OUTBOX).expect("table");
            let mut entities = txn.open_table(records::ENTITIES).expect("table");
            let bytes = records::encode_entity(&e).expect("encodes");
            entities
                .insert(e.id.to_string().as_str(), bytes.as_slice())
                .expect("inserted");
            let mut meta = txn.open_table(records::META).expect("table");
            meta.insert(records::SCHEMA_VERSION_KEY, 1)
                .expect("inserted");
        }
        txn.commit().expect("committed");
        let txn = db.begin_read().expect("reads");
        let tables: Vec<String> = txn
            .list_tables()
            .expect("lists")
            .map(|t| t.name().to_owned())
            .collect();
        assert!(!tables.iter().any(|t| t == "documents"), "{tables:?}");
    }

    let store = EmbeddedStore::open(dir.path()).expect("opens as it is");
    assert_eq!(read(&store, |v| v.entities()).expect("read"), vec![e]);
    assert_eq!(
        read(&store, |v| v.documents("availability", None, 10)).expect("read"),
        vec![]
    );
    tx(&store, |tx| {
        tx.put_document("availability", "uss-1", b"{}".to_vec())
    })
    .expect("written");
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    assert_eq!(
        read(&store, |v| v.document("availability", "uss-1")).expect("read"),
        Some(b"{}".to_vec())
    );
}
