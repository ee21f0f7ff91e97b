#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone as _, Utc};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn at(s: i64, ns: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + s, ns).unwrap()
}

/// A chain of `records`, signed with `key`.
fn chain(records: &[(AuditRecord, DateTime<Utc>)], key: &SigningKey) -> Vec<AuditEntry> {
    let mut prev = GENESIS_HASH.to_owned();
    let mut out = Vec::new();
    for (i, (r, t)) in records.iter().enumerate() {
        let e = AuditEntry::signed(i as u64 + 1, *t, r.clone(), prev.clone(), key);
        prev.clone_from(&e.hash);
        out.push(e);
    }
    out
}

fn record(i: u64) -> AuditRecord {
    AuditRecord {
        actor: "northern-air-force".into(),
        action: "entity.put".into(),
        subject: format!("dec00000-0000-0000-0000-{i:012}"),
        detail: json!({"version": i, "owner": "northern-air-force", "ovn": "abc"}),
    }
}

fn three() -> Vec<AuditEntry> {
    chain(
        &(1..=3)
            .map(|i| (record(i), at(i as i64, 0)))
            .collect::<Vec<_>>(),
        &key(),
    )
}

#[test]
fn a_fresh_chain_verifies() {
    let entries = three();
    assert_eq!(entries[0].prev_hash, GENESIS_HASH);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert_eq!(verify_chain(entries, &key().verifying_key()), Ok(3));
    assert_eq!(verify_chain(Vec::new(), &key().verifying_key()), Ok(0));
}

#[test]
fn the_canonical_form_is_fixed() {
    let e = AuditEntry::signed(
        1,
        at(0, 500_000_000),
        AuditRecord {
            actor: "system".into(),
            action: "notification".into(),
            subject: "7".into(),
            // Keys given unsorted: the form sorts them.
            detail: json!({"recipient": "relief-agency", "id": 7, "event": {"z": 1, "a": "x"}}),
        },
        GENESIS_HASH.into(),
        &key(),
    );
    let form = String::from_utf8(e.canonical_bytes()).unwrap();
    assert_eq!(
        form,
        format!(
            "{{\"seq\":1,\"at\":\"2026-05-28T20:26:40.500Z\",\"actor\":\"system\",\
             \"action\":\"notification\",\"subject\":\"7\",\"detail\":{{\"event\":{{\"a\":\"x\",\
             \"z\":1}},\"id\":7,\"recipient\":\"relief-agency\"}},\"prev_hash\":\"{GENESIS_HASH}\"}}"
        )
    );
    assert_eq!(e.hash.len(), 64);
    // The JSON of an entry reads back to the same entry, which still verifies.
    let back: AuditEntry = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
    assert_eq!(back, e);
    assert_eq!(verify_chain([back], &key().verifying_key()), Ok(1));
}

#[test]
fn each_kind_of_break_is_named() {
    let vk = key().verifying_key();
    let mut e = three();
    e[1].actor = "southern-air-force".into();
    let b = verify_chain(e, &vk).unwrap_err();
    assert_eq!(b.seq, 2);
    assert!(b.reason.contains("hash does not match"), "{b}");

    let mut e = three();
    e.remove(1);
    let b = verify_chain(e, &vk).unwrap_err();
    assert_eq!((b.seq, b.reason.contains("seq is 3")), (2, true), "{b}");

    let mut e = three();
    e.swap(1, 2);
    assert_eq!(verify_chain(e, &vk).unwrap_err().seq, 2);

    // Re-chained consistently but signed by another key: the signature names entry 1.
    let other = chain(
        &[(record(1), at(1, 0))],
        &SigningKey::from_bytes(&[9u8; 32]),
    );
    let b = verify_chain(other, &vk).unwrap_err();
    assert_eq!(b.seq, 1);
    assert!(b.reason.contains("signature"), "{b}");

    // A chain that does not start at the genesis hash.
    let mut e = three();
    e[0] = AuditEntry::signed(1, at(1, 0), record(1), "ab".repeat(32), &key());
    let b = verify_chain(e, &vk).unwrap_err();
    assert_eq!(b.seq, 1);
    assert!(b.reason.contains("prev_hash"), "{b}");
}

#[test]
fn keys_round_trip_through_pem() {
    let k = key();
    let pem = signing_key_to_pem(&k).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(signing_key_from_pem(&pem).unwrap().to_bytes(), k.to_bytes());
    let public = public_key_to_pem(&k.verifying_key()).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(public_key_from_pem(&public).unwrap(), k.verifying_key());
    // A private key file serves as the public key too.
    assert_eq!(public_key_from_pem(&pem).unwrap(), k.verifying_key());
    assert!(public_key_from_pem("not a key").is_err());
}

fn arb_text() -> impl Strategy<Value = String> {
    "[a-z0-9.:_-]{1,12}"
}

fn arb_record() -> impl Strategy<Value = AuditRecord> {
    (
        arb_text(),
        arb_text(),
        arb_text(),
        proptest::collection::btree_map(
            "[a-z_]{1,8}",
            prop_oneof![
                any::<u64>().prop_map(|n| json!(n)),
                arb_text().prop_map(|s| json!(s)),
                any::<bool>().prop_map(|b| json!(b)),
            ],
            0..4,
        ),
    )
        .prop_map(|(actor, action, subject, detail)| AuditRecord {
            actor,
            action,
            subject,
            detail: serde_json::to_value(detail).unwrap(),
        })
}

fn arb_chain() -> impl Strategy<Value = Vec<AuditEntry>> {
    proptest::collection::vec((arb_record(), 0i64..1_000_000, 0u32..1_000_000_000), 1..6).prop_map(
        |rs| {
            let records: Vec<_> = rs.into_iter().map(|(r, s, ns)| (r, at(s, ns))).collect();
            chain(&records, &key())
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One byte of one entry's JSON line changed: either the line no longer reads as an entry
    /// (a reader of an export reports that line), or it reads as the same entry (an equivalent
    /// spelling, as `t` for `T` in a time), or the chain breaks at exactly that entry.
    #[test]
    fn any_byte_changed_in_an_entry_is_detected(
        entries in arb_chain(),
        which in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let k = which.index(entries.len());
        let mut line = serde_json::to_vec(&entries[k]).unwrap();
        let p = pos.index(line.len());
        line[p] ^= xor;
        let Ok(altered) = serde_json::from_slice::<AuditEntry>(&line) else {
            return Ok(());
        };
        if altered == entries[k] {
            return Ok(());
        }
        let mut tampered = entries.clone();
        tampered[k] = altered;
        let b = verify_chain(tampered, &key().verifying_key()).unwrap_err();
        prop_assert_eq!(b.seq, k as u64 + 1, "{}", b);
    }

    /// One byte of one field of one entry changed (as a program editing the records would):
    /// the chain breaks at that entry or the next.
    #[test]
    fn any_field_changed_is_detected(
        entries in arb_chain(),
        which in any::<prop::sample::Index>(),
        field in 0usize..9,
        pos in any::<prop::sample::Index>(),
        xor in 1u8..=127,
    ) {
        let k = which.index(entries.len());
        let mut tampered = entries.clone();
        let e = &mut tampered[k];
        let flip = |s: &mut String| {
            let mut b = std::mem::take(s).into_bytes();
            let p = pos.index(b.len());
            b[p] ^= xor; // ASCII stays ASCII
            *s = String::from_utf8(b).unwrap();
        };
        match field {
            0 => e.seq ^= u64::from(xor),
            1 => e.at += chrono::Duration::nanoseconds(i64::from(xor)),
            2 => flip(&mut e.actor),
            3 => flip(&mut e.action),
            4 => flip(&mut e.subject),
            5 => {
                let mut text = serde_json::to_string(&e.detail).unwrap();
                flip(&mut text);
                match serde_json::from_str(&text) {
                    Ok(v) if v != e.detail => e.detail = v,
                    // Not JSON any more, or equal: change the shape instead.
                    _ => e.detail = json!({"altered": xor}),
                }
            }
            6 => flip(&mut e.prev_hash),
            7 => flip(&mut e.hash),
            _ => flip(&mut e.signature),
        }
        let b = verify_chain(tampered, &key().verifying_key()).unwrap_err();
        prop_assert!(b.seq == k as u64 + 1 || b.seq == k as u64 + 2, "{}", b);
    }
}
