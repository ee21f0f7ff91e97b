//! The embedded store's tests: the conformance suite on fresh stores in temporary directories,
//! then what only this backend has — reopening, the directory lock, damaged records, crashes
//! (`crash.rs`) and group commit (`group_commit.rs`).

#![expect(
    clippy::expect_used,
    reason = "the helpers of these tests fail the test when a fixture cannot be set up"
)]

#[path = "embedded/crash.rs"]
mod crash;
#[path = "embedded/group_commit.rs"]
mod group_commit;

use std::ops::Deref;

use chrono::Duration;
use deconflict_core::{Entity, Party};
use deconflict_store::embedded::{DATABASE_FILE, EmbeddedStore};
use deconflict_store::testing::fixtures::{Rng, entity, news, party, read, subscription, t0, tx};
use deconflict_store::{Attempt, StoreError, View};
use tempfile::TempDir;

/// A store in a temporary directory, removed after the store is closed.
pub struct Fixture {
    // Dropped first: the store closes before its directory goes.
    store: EmbeddedStore,
    dir: TempDir,
}

impl Deref for Fixture {
    type Target = EmbeddedStore;

    fn deref(&self) -> &EmbeddedStore {
        &self.store
    }
}

/// A fresh store.
pub fn fresh() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("a fresh store opens");
    Fixture { store, dir }
}

deconflict_store::conformance_tests!(fresh);

type Snapshot = (
    Vec<Entity>,
    Vec<deconflict_core::Subscription>,
    Vec<Party>,
    Vec<deconflict_core::Notification>,
    Vec<deconflict_store::Delivery>,
);

fn snapshot(v: &dyn View) -> Result<Snapshot, StoreError> {
    let mut subs = v.subscriptions_of(&party("alpha"))?;
    subs.extend(v.subscriptions_of(&party("bravo"))?);
    let mut inbox = v.inbox(&party("alpha"), 0, 1000)?;
    inbox.extend(v.inbox(&party("bravo"), 0, 1000)?);
    Ok((
        v.entities()?,
        subs,
        v.parties()?,
        inbox,
        v.due_deliveries(t0() + Duration::days(365), 1000)?,
    ))
}

#[test]
fn everything_survives_a_restart() {
    let Fixture { store, dir } = fresh();
    let mut rng = Rng::new(11);
    let entities: Vec<Entity> = (1..=30)
        .map(|n| entity(n, "alpha", rng.volumes()))
        .collect();
    let subs: Vec<_> = (1..=6)
        .map(|n| {
            subscription(
                n,
                if n.is_multiple_of(2) {
                    "alpha"
                } else {
                    "bravo"
                },
                rng.volumes(),
            )
        })
        .collect();
    let (es, ss) = (entities.clone(), subs.clone());
    let last = tx(&store, move |tx| {
        for e in &es {
            tx.put_entity(e.clone())?;
        }
        for s in &ss {
            tx.put_subscription(s.clone())?;
        }
        tx.put_party(Party {
            id: party("alpha"),
            name: "Alpha".into(),
            full_disclosure_to: [party("bravo")].into(),
        })?;
        let mut last = 0;
        for n in 0..12u128 {
            let to = if n.is_multiple_of(3) {
                "bravo"
            } else {
                "alpha"
            };
            let url = n.is_multiple_of(2).then_some("https://hook.example/n");
            last = tx
                .notify(news(to, n, url), t0() + Duration::seconds(n as i64))?
                .id;
        }
        assert!(tx.delete_entity(&entities[0].id)?);
        Ok(last)
    })
    .expect("written");
    tx(&store, |tx| {
        tx.acknowledge(&party("alpha"), 2, t0())?;
        tx.record_attempt(
            1,
            Attempt::Retry {
                at: t0() + Duration::hours(1),
            },
        )?;
        tx.record_attempt(3, Attempt::Delivered)
    })
    .expect("written");
    let before = read(&store, snapshot).expect("read");
    assert_eq!(before.0.len(), 29);
    assert_eq!(before.3.len(), 12);
    assert_eq!(before.4.len(), 5);
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    assert_eq!(read(&store, snapshot).expect("read"), before);
    // The indexes were rebuilt: spatial queries still agree with brute force.
    for _ in 0..20 {
        let q = rng.volumes();
        let expected: Vec<Entity> = before
            .0
            .iter()
            .filter(|e| e.intersects_any(&q))
            .cloned()
            .collect();
        assert_eq!(
            read(&store, |v| v.entities_intersecting(&q)).expect("read"),
            expected
        );
    }
    let next = tx(&store, |tx| tx.notify(news("alpha", 99, None), t0())).expect("notified");
    assert!(
        next.id > last,
        "ids continue after a restart: {} after {last}",
        next.id
    );
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    let again = tx(&store, |tx| tx.notify(news("alpha", 98, None), t0())).expect("notified");
    assert!(again.id > next.id);
}

#[test]
fn documents_survive_a_restart() {
    let Fixture { store, dir } = fresh();
    tx(&store, |tx| {
        tx.put_document("availability", "uss-1", b"{\"up\":true}".to_vec())?;
        tx.put_document("availability", "uss-2", b"{\"up\":false}".to_vec())?;
        tx.put_document("report", "r-1", vec![0, 1, 2, 255])?;
        tx.put_document("report", "gone", Vec::new())
    })
    .expect("written");
    // Replaced and deleted in later commits: what survives is the last state, not the log.
    tx(&store, |tx| {
        tx.put_document("availability", "uss-2", b"{\"up\":true}".to_vec())?;
        tx.delete_document("report", "gone")
    })
    .expect("written");
    let listing = |v: &dyn View| {
        Ok((
            v.documents("availability", None, 100)?,
            v.documents("report", None, 100)?,
        ))
    };
    let before = read(&store, listing).expect("read");
    assert_eq!(before.0.len(), 2);
    assert_eq!(before.1, vec![("r-1".to_owned(), vec![0, 1, 2, 255])]);
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    assert_eq!(read(&store, listing).expect("read"), before);
    assert_eq!(
        read(&store, |v| v.document("availability", "uss-2")).expect("read"),
        Some(b"{\"up\":true}".to_vec())
    );
    assert!(tx(&store, |tx| tx.delete_document("availability", "uss-1")).expect("deleted"));
    drop(store);

    let store = EmbeddedStore::open(dir.path()).expect("reopens");
    assert_eq!(
        read(&store, |v| v.documents("availability", None, 100))
            .expect("read")
            .len(),
        1
    );
}

#[test]
fn a_second_open_of_a_directory_is_refused_until_the_first_closes() {
    let fixture = fresh();
    let refused = EmbeddedStore::open(fixture.dir.path()).expect_err("locked");
    let message = refused.to_string();
    assert!(
        matches!(refused, StoreError::Unavailable { .. }),
        "{message}"
    );
    assert!(
        message.contains(&fixture.dir.path().display().to_string()),
        "names the directory: {message}"
    );
    let Fixture { store, dir } = fixture;
    drop(store);
    EmbeddedStore::open(dir.path()).expect("free again once the first is dropped");
}

const ENTITIES: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("entities");

/// Replaces the stored entities by `records`, behind the store's back.
fn set_raw_entities(dir: &std::path::Path, records: &[(&str, &[u8])]) {
    let db = redb::Database::create(dir.join(DATABASE_FILE)).expect("opens");
    let txn = db.begin_write().expect("writes");
    {
        let mut table = txn.open_table(ENTITIES).expect("table");
        table.retain(|_, _| false).expect("cleared");
        for (key, value) in records {
            table.insert(*key, *value).expect("inserted");
        }
    }
    txn.commit().expect("committed");
}

#[test]
fn a_damaged_record_is_reported_by_key() {
    let Fixture { store, dir } = fresh();
    let e = entity(1, "alpha", Rng::new(1).volumes());
    tx(&store, |tx| tx.put_entity(e.clone())).expect("written");
    drop(store);

    let key = e.id.to_string();
    let good: Vec<u8> = {
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).expect("opens");
        let txn = redb::ReadableDatabase::begin_read(&db).expect("reads");
        let table = txn.open_table(ENTITIES).expect("table");
        let value = redb::ReadableTable::get(&table, key.as_str()).expect("get");
        value.expect("present").value().to_vec()
    };
    let mut inverted: serde_json::Value = serde_json::from_slice(&good).expect("json");
    inverted["volumes"][0]["altitude_lower_m"] = serde_json::json!(1e9);
    let inverted = serde_json::to_vec(&inverted).expect("json");
    let other = "00000000-0000-0000-0000-000000000007";
    let cases: [(&str, &[u8]); 4] = [
        ("not-json", b"{\"id\":"),
        ("not-an-entity", b"{\"x\": 1}"),
        (other, &good),
        (&key, &inverted),
    ];
    for (damaged, value) in cases {
        let mut records = vec![(key.as_str(), good.as_slice())];
        records.retain(|(k, _)| *k != damaged);
        records.push((damaged, value));
        set_raw_entities(dir.path(), &records);
        let err = EmbeddedStore::open(dir.path()).expect_err("damaged");
        let expected = format!("entities/{damaged}");
        assert!(
            matches!(&err, StoreError::Corrupt { key, .. } if *key == expected),
            "{damaged}: {err}"
        );
    }
    set_raw_entities(dir.path(), &[(key.as_str(), good.as_slice())]);
    let store = EmbeddedStore::open(dir.path()).expect("repaired");
    assert_eq!(read(&store, |v| v.entities()).expect("read"), vec![e]);
}
