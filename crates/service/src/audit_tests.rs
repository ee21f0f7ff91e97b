#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use deconflict_core::ed25519_dalek::SigningKey;
use deconflict_core::{
    EntityId, EntityKind, FootprintSpec, OperationState, PartyId, SubscriptionId, VolumeSpec,
    verify_chain,
};
use deconflict_store::Store;
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::postgres::testing::TempDatabase;

use super::*;
use crate::caller::{SCOPE_ADMIN, SCOPE_WRITE};
use crate::{PutEntity, PutSubscription, RandomOvns, ServiceConfig, SystemClock};

fn signer(seed: u8) -> Arc<AuditSigner> {
    Arc::new(AuditSigner::new(SigningKey::from_bytes(&[seed; 32])))
}

fn service<S: Store>(store: S, audit: Option<Arc<AuditSigner>>) -> Service<S> {
    Service::new(
        store,
        ServiceConfig {
            audit,
            ..ServiceConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(RandomOvns),
    )
}

fn caller(party: &str, scope: &'static str) -> Caller {
    Caller::new(PartyId::new(party).unwrap(), [scope])
}

/// A volume with distinctive coordinates, to look for in the log.
fn volume() -> VolumeSpec {
    let t0 = chrono::Utc::now() + chrono::Duration::hours(1);
    VolumeSpec {
        footprint: FootprintSpec::Polygon {
            vertices: vec![
                [37.123_457, 36.234_561],
                [37.323_457, 36.234_561],
                [37.323_457, 36.434_561],
            ],
        },
        altitude_lower_m: 1234.5,
        altitude_upper_m: 2345.5,
        time_start: t0,
        time_end: t0 + chrono::Duration::hours(1),
    }
}

fn op(id: EntityId, expected: Option<deconflict_core::Ovn>) -> PutEntity {
    PutEntity {
        id,
        kind: EntityKind::Operation {
            state: OperationState::Accepted,
            priority: 0,
        },
        volumes: vec![volume()],
        expected_ovn: expected,
        key: Vec::new(),
        exemption: None,
    }
}

/// A story of writes by several parties; returns the actions the log must hold, in order.
fn story<S: Store>(s: &Service<S>) -> Vec<(&'static str, &'static str)> {
    let admin = caller("admin", SCOPE_ADMIN);
    let north = caller("north", SCOPE_WRITE);
    let relief = caller("relief", SCOPE_WRITE);
    s.put_party(&admin, PartyId::new("north").unwrap(), "North".into())
        .unwrap();
    s.put_party(&admin, PartyId::new("relief").unwrap(), "Relief".into())
        .unwrap();
    s.put_subscription(
        &relief,
        PutSubscription {
            id: SubscriptionId(uuid::Uuid::new_v4()),
            volumes: vec![volume()],
            callback_url: None,
            notify_operations: true,
            notify_zones: true,
            expected_version: None,
        },
    )
    .unwrap();
    let id = EntityId(uuid::Uuid::new_v4());
    let filed = s.put_entity(&north, op(id, None)).unwrap();
    // A refused write (stale OVN) records nothing.
    assert!(
        s.put_entity(&north, op(id, Some(deconflict_core::Ovn("stale".into()))))
            .is_err()
    );
    let inbox = s.inbox(&relief, 0).unwrap();
    s.acknowledge(&relief, inbox[0].id).unwrap();
    // A second acknowledgement changes nothing, and records nothing.
    s.acknowledge(&relief, inbox[0].id).unwrap();
    s.delete_entity(&north, id, filed.entity.ovn).unwrap();
    vec![
        ("admin", "party.put"),
        ("admin", "party.put"),
        ("relief", "subscription.put"),
        ("north", "entity.put"),
        ("north", "subscription.put"), // the relief agency's notification index
        ("north", "notification"),
        ("relief", "notification.ack"),
        ("north", "entity.delete"),
        ("north", "subscription.put"),
        ("north", "notification"),
    ]
}

fn check_log<S: Store>(s: &Service<S>) {
    let expected = story(s);
    let reader = caller("relief", SCOPE_READ);
    let entries = s.audit_page(&reader, 0, 1000).unwrap();
    let got: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(got, expected);
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=expected.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        verify_chain(entries.clone(), &s.audit_public_key().unwrap()),
        Ok(expected.len() as u64)
    );
    // Pages continue where the last ended.
    let page = s.audit_page(&reader, 3, 2).unwrap();
    assert_eq!(page, entries[3..5]);
    // No geometry: none of the volume's numbers appears anywhere.
    let text = serde_json::to_string(&entries).unwrap();
    for n in [
        "37.12345", "36.23456", "37.32345", "36.43456", "1234.5", "2345.5",
    ] {
        assert!(!text.contains(n), "{n} in the log: {text}");
    }
    // The entity's entry commits to its record by hash.
    assert_eq!(
        entries[3].detail["content_sha256"].as_str().unwrap().len(),
        64
    );
    // The head names the last entry and the key.
    let head = s.store().read(&mut |v| read_head(v)).unwrap().unwrap();
    assert_eq!(head.seq, expected.len() as u64);
    assert_eq!(head.hash, entries.last().unwrap().hash);
    // Another key is refused at start-up; the same key is fine.
    s.check_audit_key().unwrap();
}

#[test]
fn every_change_is_logged_in_order_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = service(EmbeddedStore::open(dir.path()).unwrap(), Some(signer(1)));
    check_log(&s);
    drop(s);
    let other = service(EmbeddedStore::open(dir.path()).unwrap(), Some(signer(2)));
    let e = other.check_audit_key().unwrap_err();
    assert!(e.to_string().contains("same audit key"), "{e}");
}

#[test]
fn every_change_is_logged_in_order_on_postgres() {
    let db = TempDatabase::new().expect("the test PostgreSQL server");
    let s = service(db.open().unwrap(), Some(signer(1)));
    check_log(&s);
    let other = service(db.open().unwrap(), Some(signer(2)));
    assert!(other.check_audit_key().is_err());
}

#[test]
fn without_a_signer_no_log_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = service(EmbeddedStore::open(dir.path()).unwrap(), None);
    story(&s);
    assert!(s.audit_public_key().is_none());
    assert!(
        s.audit_page(&caller("north", SCOPE_READ), 0, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn concurrent_writers_keep_one_unbroken_chain_on_postgres() {
    let db = TempDatabase::new().expect("the test PostgreSQL server");
    let s = Arc::new(service(db.open().unwrap(), Some(signer(1))));
    let admin = caller("admin", SCOPE_ADMIN);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = Arc::clone(&s);
            let admin = admin.clone();
            std::thread::spawn(move || {
                for j in 0..5 {
                    s.put_party(
                        &admin,
                        PartyId::new(format!("p{i}-{j}")).unwrap(),
                        "P".into(),
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let entries = s.audit_page(&caller("north", SCOPE_READ), 0, 1000).unwrap();
    assert_eq!(
        verify_chain(entries, &s.audit_public_key().unwrap()),
        Ok(40)
    );
}

#[test]
fn the_change_seq_moves_with_every_committed_change_and_needs_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = service(EmbeddedStore::open(dir.path()).unwrap(), Some(signer(1)));
    let reader = caller("observer", SCOPE_READ);
    assert_eq!(s.change_seq(&reader).unwrap(), 0);
    story(&s);
    let after_story = s.change_seq(&reader).unwrap();
    let last = s.audit_page(&reader, 0, 1000).unwrap().last().unwrap().seq;
    assert_eq!(after_story, last);
    // A refused write changes nothing.
    let stranger = caller("stranger", SCOPE_READ);
    assert!(
        s.put_entity(&stranger, op(EntityId(uuid::Uuid::new_v4()), None))
            .is_err()
    );
    assert_eq!(s.change_seq(&reader).unwrap(), after_story);
    // Without a scope, nothing.
    let none = Caller::new(PartyId::new("none").unwrap(), Vec::<&str>::new());
    assert!(matches!(
        s.change_seq(&none),
        Err(ServiceError::MissingScope(_))
    ));
    // Without a log, no ticks: the seq stays 0.
    let dir = tempfile::tempdir().unwrap();
    let unlogged = service(EmbeddedStore::open(dir.path()).unwrap(), None);
    story(&unlogged);
    assert_eq!(unlogged.change_seq(&reader).unwrap(), 0);
}
