//! Withdrawal from the service over HTTP, on both stores: a party withdraws; its live and
//! planned operations are ended (kept on record, no longer in anyone's way), the others are told,
//! its record stays readable, its writes are refused, the audit log shows it, the others go on;
//! then it rejoins.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Backend, Place, Server, audit_entries, call, new_id};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";
const O: &str = "observer-mission";
const ADMIN: &str = "demo-admin";

fn volume(t0: DateTime<Utc>, t1: DateTime<Utc>) -> Value {
    json!({
        "footprint": {"type": "circle", "center": [41.0, 33.0], "radius_m": 2000},
        "altitude_lower_m": 100, "altitude_upper_m": 900,
        "time_start": t0.to_rfc3339(), "time_end": t1.to_rfc3339(),
    })
}

fn url(s: &Server, path: &str) -> String {
    format!("{}{path}", s.base)
}

fn inbox_of(s: &Server, party: &str, kind: &str) -> Vec<Value> {
    let a = call("GET", &url(s, "/v1/inbox"), Some(&s.token(party)), None);
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["event"]["type"] == kind)
        .cloned()
        .collect()
}

fn put_op(s: &Server, party: &str, id: &str, volumes: Value) -> common::Answer {
    call(
        "PUT",
        &url(s, &format!("/v1/operations/{id}")),
        Some(&s.token(party)),
        Some(&json!({ "volumes": volumes })),
    )
}

fn a_party_withdraws_and_rejoins(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let now = Utc::now();
    // The northern force has a live operation and a planned one over the same place.
    let (live, planned) = (new_id(), new_id());
    let a = put_op(
        &s,
        N,
        &live,
        json!([volume(
            now - Duration::minutes(30),
            now + Duration::hours(3)
        )]),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let a = put_op(
        &s,
        N,
        &planned,
        json!([volume(now + Duration::hours(5), now + Duration::hours(6))]),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    // It subscribes to the area.
    let sub = new_id();
    let a = call(
        "PUT",
        &url(&s, &format!("/v1/subscriptions/{sub}")),
        Some(&s.token(N)),
        Some(&json!({"volumes": [volume(now, now + Duration::hours(8))]})),
    );
    assert!(a.status == 201 || a.status == 200, "{}", a.text);
    // Before: the southern force cannot file there without naming it.
    let south = new_id();
    let later = json!([volume(now + Duration::hours(1), now + Duration::hours(2))]);
    assert_eq!(put_op(&s, S, &south, later.clone()).status, 409);

    // A stranger cannot withdraw another party.
    let a = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/withdraw")),
        Some(&s.token(R)),
        None,
    );
    assert_eq!(a.status, 403, "{}", a.text);

    // The northern force withdraws, with a statement.
    let statement = "We withdraw from the mechanism pending consultations.";
    let w = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/withdraw")),
        Some(&s.token(N)),
        Some(&json!({ "statement": statement })),
    );
    assert_eq!(w.status, 200, "{}", w.text);
    assert_eq!(w.body["status"], "withdrawn", "{}", w.text);
    assert_eq!(w.body["withdrawal"]["statement"], statement);
    let ended = w.body["withdrawal"]["ended_operations"]
        .as_array()
        .expect("ended operations");
    let outcome = |id: &str| {
        ended
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["outcome"].clone())
            .expect("the operation is listed as ended")
    };
    assert_eq!(
        (outcome(&live), outcome(&planned)),
        (json!("truncated"), json!("removed"))
    );
    assert_eq!(w.body["withdrawal"]["stopped_subscriptions"], json!([sub]));

    // Every other party is told, once, to acknowledge; the withdrawn party is not.
    for party in [S, R, O] {
        let told = inbox_of(&s, party, "party_withdrew");
        assert_eq!(told.len(), 1, "{party}: {told:?}");
        assert_eq!(told[0]["event"]["party"], N);
        assert_eq!(told[0]["event"]["statement"], statement);
        assert_eq!(told[0]["requires_ack"], true);
    }
    assert!(inbox_of(&s, N, "party_withdrew").is_empty());

    // Its live operation is kept on record, ending at the withdrawal; the planned one is gone.
    let op = call(
        "GET",
        &url(&s, &format!("/v1/operations/{live}")),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(op.status, 200, "{}", op.text);
    let end: DateTime<Utc> = op.body["volumes"][0]["time_end"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a time_end");
    let at: DateTime<Utc> = w.body["withdrawal"]["at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("the withdrawal time");
    assert_eq!(end, at, "{}", op.text);
    let gone = call(
        "GET",
        &url(&s, &format!("/v1/operations/{planned}")),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(gone.status, 404, "{}", gone.text);

    // It no longer blocks: the southern force files there without naming it.
    let a = put_op(&s, S, &south, later);
    assert_eq!(a.status, 201, "{}", a.text);

    // Its record stays readable, by itself and by others.
    for party in [N, S] {
        let me = call(
            "GET",
            &url(&s, &format!("/v1/parties/{N}")),
            Some(&s.token(party)),
            None,
        );
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.body["status"], "withdrawn");
        assert_eq!(me.body["withdrawal"]["statement"], statement);
    }
    let all = call("GET", &url(&s, "/v1/parties"), Some(&s.token(S)), None);
    let listed = all.body["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["id"] == N)
        .expect("the withdrawn party is listed")
        .clone();
    assert_eq!(listed["status"], "withdrawn");
    // Its reads go on; its writes are refused, naming the withdrawal.
    assert_eq!(
        call("GET", &url(&s, "/v1/inbox"), Some(&s.token(N)), None).status,
        200
    );
    let refused = put_op(
        &s,
        N,
        &new_id(),
        json!([volume(now + Duration::hours(10), now + Duration::hours(11))]),
    );
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("withdrew") && d.contains("rejoin")),
        "{}",
        refused.text
    );
    // Withdrawing twice: 409.
    let again = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/withdraw")),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(again.status, 409, "{}", again.text);

    // The audit log shows the withdrawal, by the party, with the ended operations.
    let log = audit_entries(&s.base, &s.token(R));
    let standing = format!("party.standing/{N}");
    let recorded = log
        .iter()
        .filter(|e| e["subject"] == standing.as_str() && e["actor"] == N)
        .count();
    assert_eq!(recorded, 1, "one standing change by {N}");
    assert!(
        log.iter()
            .any(|e| e["action"] == "entity.delete" && e["subject"] == planned.as_str()),
        "the removal of the planned operation is in the log"
    );

    // The others go on: the relief agency files and the southern force changes its own.
    let a = put_op(
        &s,
        R,
        &new_id(),
        json!([volume(now + Duration::hours(20), now + Duration::hours(21))]),
    );
    assert_eq!(a.status, 201, "{}", a.text);

    // A stranger cannot bring it back; the party itself can.
    let a = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/rejoin")),
        Some(&s.token(S)),
        None,
    );
    assert_eq!(a.status, 403, "{}", a.text);
    let back = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/rejoin")),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.body["status"], "active");
    assert_eq!(back.body["past_withdrawals"][0]["statement"], statement);
    for party in [S, R, O] {
        assert_eq!(inbox_of(&s, party, "party_rejoined").len(), 1, "{party}");
    }
    let a = put_op(
        &s,
        N,
        &new_id(),
        json!([volume(now + Duration::hours(30), now + Duration::hours(31))]),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    // Rejoining twice: 409.
    let a = call(
        "POST",
        &url(&s, &format!("/v1/parties/{N}/rejoin")),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(a.status, 409, "{}", a.text);
    let log = audit_entries(&s.base, &s.token(R));
    assert_eq!(
        log.iter()
            .filter(|e| e["subject"] == standing.as_str())
            .count(),
        2,
        "the withdrawal and the rejoining are both in the log"
    );
}

fn an_administrator_withdraws_a_party(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let w = call(
        "POST",
        &url(&s, &format!("/v1/parties/{S}/withdraw")),
        Some(&s.token(ADMIN)),
        None,
    );
    assert_eq!(w.status, 200, "{}", w.text);
    assert_eq!(w.body["withdrawal"]["by"], ADMIN);
    assert!(w.body["withdrawal"]["statement"].is_null());
    let told = inbox_of(&s, N, "party_withdrew");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["event"]["by"], ADMIN);
    // Unknown party: 404.
    let a = call(
        "POST",
        &url(&s, "/v1/parties/nobody/withdraw"),
        Some(&s.token(ADMIN)),
        None,
    );
    assert_eq!(a.status, 404, "{}", a.text);
    // A withdrawn party acts on no one.
    let a = call(
        "POST",
        &url(&s, "/v1/parties/demo-admin/withdraw"),
        Some(&s.token(S)),
        None,
    );
    assert_eq!(a.status, 403, "{}", a.text);
    let a = call(
        "POST",
        &url(&s, &format!("/v1/parties/{S}/rejoin")),
        Some(&s.token(ADMIN)),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["past_withdrawals"][0]["rejoined_by"], ADMIN);
}

on_both_stores!(
    a_party_withdraws_and_rejoins,
    an_administrator_withdraws_a_party,
);
