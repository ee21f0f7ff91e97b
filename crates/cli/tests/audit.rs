//! The audit log end to end, on both stores: the demo server records every write, `/v1/audit`
//! pages the entries in order without any coordinate, `deconflict audit verify` passes on the
//! data directory once the server stops, and fails naming the entry after one byte of an
//! export (or, on PostgreSQL, of a stored entry) is altered.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use std::process::Command;

use common::{Backend, Place, Server, box_volume, call, new_id};
use serde_json::{Value, json};

/// `deconflict audit ARGS` on `place` (`--data DIR`, and `--store URL` on PostgreSQL, unless
/// `--file` is among the args): exit code and standard output.
fn audit(place: &Place, args: &[&str]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_deconflict"));
    c.arg("audit").args(args);
    if !args.contains(&"--file") {
        c.arg("--data").arg(place.dir.path());
        if let Some(url) = place.store() {
            c.args(["--store", url]);
        }
    }
    let out = c.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

/// Every entry, page by page (small pages, to follow `next_after`).
fn all_entries(s: &Server, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0u64;
    loop {
        let page = call(
            "GET",
            &format!("{}/v1/audit?after={after}&limit=7", s.base),
            Some(token),
            None,
        );
        assert_eq!(page.status, 200, "{}", page.text);
        let entries = page.body["entries"].as_array().expect("entries").clone();
        out.extend(entries);
        match page.body["next_after"].as_u64() {
            Some(n) => after = n,
            None => break,
        }
    }
    out
}

/// The numbers of the operation's volume: none may appear in the log.
const DISTINCTIVE: [&str; 6] = [
    "41.987653",
    "31.876543",
    "42.012347",
    "31.912347",
    "1111.25",
    "2222.75",
];

fn the_log_verifies_then_fails_naming_the_altered_entry(backend: Backend) {
    let place = Place::new(backend);
    let mut s = Server::demo_at(&place);
    let north = s.token("northern-air-force");
    let relief = s.token("relief-agency");
    let v = box_volume(
        41.987_653,
        31.876_543,
        42.012_347,
        31.912_347,
        (1111.25, 2222.75),
        0,
        2,
    );
    // The relief agency subscribes to the area; the northern force files, changes and
    // withdraws an operation there; the agency acknowledges what it was told.
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", s.base, new_id()),
        Some(&relief),
        Some(&json!({ "volumes": [v] })),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);
    let id = new_id();
    let url = format!("{}/v1/operations/{id}", s.base);
    let filed = call("PUT", &url, Some(&north), Some(&json!({ "volumes": [v] })));
    assert_eq!(filed.status, 201, "{}", filed.text);
    let ovn = filed.body["operation"]["ovn"].as_str().expect("an ovn");
    let changed = call(
        "PUT",
        &url,
        Some(&north),
        Some(&json!({ "volumes": [v], "ovn": ovn })),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    let ovn2 = changed.body["operation"]["ovn"].as_str().expect("an ovn");
    let inbox = call("GET", &format!("{}/v1/inbox", s.base), Some(&relief), None);
    let note = inbox.body["notifications"][0]["id"].as_u64().expect("told");
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{note}/ack", s.base),
        Some(&relief),
        None,
    );
    assert_eq!(ack.status, 200, "{}", ack.text);
    let gone = call("DELETE", &format!("{url}?ovn={ovn2}"), Some(&north), None);
    assert_eq!(gone.status, 200, "{}", gone.text);

    // Any party reads the whole log, in order, without a coordinate.
    let observer = s.token("observer-mission");
    let entries = all_entries(&s, &observer);
    let seqs: Vec<u64> = entries.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=entries.len() as u64).collect::<Vec<_>>());
    let text = serde_json::to_string(&entries).expect("json");
    for n in DISTINCTIVE {
        assert!(!text.contains(n), "{n} appears in the audit log");
    }
    let ours: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e["subject"] == id.as_str())
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default(),
                e["action"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        ours,
        [
            ("northern-air-force", "entity.put"),
            ("northern-air-force", "entity.put"),
            ("northern-air-force", "entity.delete"),
        ]
    );
    let acked: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "notification.ack")
        .collect();
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0]["actor"], "relief-agency");
    assert_eq!(acked[0]["subject"], note.to_string());

    // The public key, as a verifier would fetch it.
    let key = call(
        "GET",
        &format!("{}/v1/audit/key", s.base),
        Some(&observer),
        None,
    );
    assert_eq!(key.status, 200, "{}", key.text);
    let key_file = place.dir.path().join("published-audit-key.pem");
    std::fs::write(
        &key_file,
        key.body["public_key_pem"].as_str().expect("a PEM"),
    )
    .expect("written");

    // The server stops; its data directory verifies (with its key file, and with the
    // published key).
    s.kill9();
    let n = entries.len();
    let ok = format!("ok: {n} entries, head ");
    let (code, out) = audit(&place, &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with(&ok), "{out}");
    let key_arg = key_file.to_str().expect("utf-8");
    let (code, out) = audit(&place, &["verify", "--public-key", key_arg]);
    assert_eq!((code, out.starts_with(&ok)), (0, true), "{out}");

    // The export verifies; one byte changed inside one entry's line breaks it at that entry.
    let export = place.dir.path().join("audit.jsonl");
    let export_arg = export.to_str().expect("utf-8");
    let (code, out) = audit(&place, &["export", "--out", export_arg]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = audit(&place, &["verify", "--file", export_arg]);
    assert_eq!((code, out.starts_with(&ok)), (0, true), "{out}");
    let original = std::fs::read(&export).expect("the export");
    let target = n / 2 + 1; // an entry in the middle: line target + 1 (line 1 is the header)
    let tampered = alter_actor(&original, target);
    std::fs::write(&export, &tampered).expect("written");
    let (code, out) = audit(
        &place,
        &["verify", "--file", export_arg, "--public-key", key_arg],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken at entry {target}: ")),
        "{out}"
    );
    assert!(out.contains(&format!("line {}", target + 1)), "{out}");

    // On PostgreSQL, the same byte changed in the stored entry: the store's log breaks there.
    if let Some(url) = place.store() {
        tamper_stored(url, target);
        let (code, out) = audit(&place, &["verify"]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.starts_with(&format!("broken at entry {target}: ")),
            "{out}"
        );
    }
}

/// `export` with one byte of entry `seq`'s `actor` value changed (a letter to its neighbour).
fn alter_actor(export: &[u8], seq: usize) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = export.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let line = &mut lines[seq];
    let entry: Value = serde_json::from_slice(line).expect("an entry");
    assert_eq!(entry["seq"], seq, "line {} holds entry {seq}", seq + 1);
    let at = find(line, b"\"actor\":\"") + b"\"actor\":\"".len();
    line[at] ^= 0x01;
    lines.join(&b'\n')
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("the field")
}

fn tamper_stored(url: &str, seq: usize) {
    let mut db = ::postgres::Client::connect(url, ::postgres::NoTls).expect("the test database");
    let id = format!("{seq:020}");
    let row = db
        .query_one(
            "SELECT body FROM documents WHERE kind = 'audit' AND id = $1",
            &[&id],
        )
        .expect("the entry");
    let mut body: Vec<u8> = row.get(0);
    let at = find(&body, b"\"actor\":\"") + b"\"actor\":\"".len();
    body[at] ^= 0x01;
    db.execute(
        "UPDATE documents SET body = $1 WHERE kind = 'audit' AND id = $2",
        &[&body, &id],
    )
    .expect("updated");
}

/// A data directory without a log cannot be verified without a key, and says so.
fn verify_names_what_is_missing(backend: Backend) {
    let place = Place::new(backend);
    let (code, out) = audit(&place, &["verify"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("audit-key.pem"), "{out}");
}

on_both_stores!(
    the_log_verifies_then_fails_naming_the_altered_entry,
    verify_names_what_is_missing,
);
