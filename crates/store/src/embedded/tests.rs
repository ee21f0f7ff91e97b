//! Unit tests of what the conformance suite cannot reach: fail-stop after a failed durable
//! commit, and a panic inside a transaction's closure.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;

use super::EmbeddedStore;
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
