//! The hotline over HTTP, on both stores: a notification that must be acknowledged and is not,
//! by its deadline, is listed as overdue and escalates (a reminder, again after each period)
//! until it or a reminder is acknowledged.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use common::{Backend, Place, Server, call, new_id};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";

fn get(s: &Server, party: &str, path: &str) -> Value {
    let a = call(
        "GET",
        &format!("{}{path}", s.base),
        Some(&s.token(party)),
        None,
    );
    assert_eq!(a.status, 200, "{path}: {}", a.text);
    a.body
}

fn notifications(s: &Server, party: &str) -> Vec<Value> {
    get(s, party, "/v1/inbox")["notifications"]
        .as_array()
        .expect("notifications")
        .clone()
}

fn reminders(s: &Server, party: &str, of: u64) -> usize {
    notifications(s, party)
        .iter()
        .filter(|n| {
            n["event"]["type"] == "acknowledgement_overdue" && n["event"]["notification"] == of
        })
        .count()
}

fn overdue_acknowledgements_escalate_until_acknowledged(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(
        place.dir.path(),
        place.store(),
        &["--ack-deadline", "2", "--no-scenario"],
    );
    // A proposal every signatory must acknowledge.
    let id = new_id();
    let p = call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(N)),
        Some(&json!({
            "id": id, "name": "Holiday ceasefire",
            "area": {"type": "Polygon", "coordinates": [[[38.5, 35.5], [38.7, 35.5], [38.7, 35.7], [38.5, 35.5]]]},
            "window_start": Utc::now().to_rfc3339(),
            "window_end": (Utc::now() + Duration::hours(72)).to_rfc3339(),
            "signatories": [N, S],
        })),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    let of = |party: &str| {
        notifications(&s, party)
            .iter()
            .find(|n| n["event"]["type"] == "ceasefire_changed")
            .and_then(|n| n["id"].as_u64())
            .expect("the proposal in the inbox")
    };
    let (n_note, s_note) = (of(N), of(S));
    // Not overdue yet.
    assert!(
        get(&s, S, "/v1/inbox/overdue")["overdue"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // Past the deadline: listed, reminded.
    std::thread::sleep(StdDuration::from_millis(4500));
    let mine = get(&s, S, "/v1/inbox/overdue")["overdue"].clone();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["notification"], s_note);
    assert!(
        mine[0]["escalations"].as_u64().is_some_and(|e| e >= 1),
        "{mine}"
    );
    assert!(reminders(&s, S, s_note) >= 1);
    let everyone = get(&s, R, "/v1/acknowledgements/overdue")["overdue"].clone();
    let recipients: Vec<&str> = everyone
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|o| o["recipient"].as_str())
        .collect();
    assert!(
        recipients.contains(&N) && recipients.contains(&S),
        "{everyone}"
    );
    // The southern force acknowledges a reminder: that acknowledges the proposal too.
    let reminder = notifications(&s, S)
        .iter()
        .find(|n| n["event"]["type"] == "acknowledgement_overdue")
        .and_then(|n| n["id"].as_u64())
        .expect("a reminder");
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{reminder}/ack", s.base),
        Some(&s.token(S)),
        None,
    );
    assert_eq!(ack.status, 200, "{}", ack.text);
    let original = notifications(&s, S)
        .into_iter()
        .find(|n| n["id"] == s_note)
        .expect("the proposal");
    assert!(original["acked_at"].is_string(), "{original}");
    assert!(
        get(&s, S, "/v1/inbox/overdue")["overdue"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // The northern force acknowledges the proposal itself.
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{n_note}/ack", s.base),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(ack.status, 200, "{}", ack.text);
    // No more reminders for either once acknowledged; nothing overdue anywhere.
    let (rs, rn) = (reminders(&s, S, s_note), reminders(&s, N, n_note));
    std::thread::sleep(StdDuration::from_millis(3000));
    assert_eq!(reminders(&s, S, s_note), rs);
    assert_eq!(reminders(&s, N, n_note), rn);
    let left = get(&s, R, "/v1/acknowledgements/overdue")["overdue"].clone();
    assert!(
        left.as_array()
            .expect("a list")
            .iter()
            .all(|o| o["notification"] != n_note && o["notification"] != s_note),
        "acknowledged notifications are no longer overdue: {left}"
    );
}

on_both_stores!(overdue_acknowledgements_escalate_until_acknowledged);

/// A webhook receiver that answers 200 and records each body.
fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (_, body) = common::read_hook_request(&stream);
            seen.lock().expect("lock").push(body);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

fn hotline_notifications_reach_the_party_webhook(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let (url, got) = receiver();
    // The southern force has a webhook (on a subscription far from anything here).
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", s.base, new_id()),
        Some(&s.token(S)),
        Some(
            &json!({"volumes": [common::box_volume(10.0, 10.0, 10.1, 10.1, (0.0, 10.0), 0, 48)],
                     "callback_url": url}),
        ),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);
    // A proposal naming it is posted there too.
    let id = new_id();
    let p = call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(N)),
        Some(&json!({
            "id": id, "name": "Holiday ceasefire",
            "area": {"type": "Polygon", "coordinates": [[[38.5, 35.5], [38.7, 35.5], [38.7, 35.7], [38.5, 35.5]]]},
            "window_start": Utc::now().to_rfc3339(),
            "window_end": (Utc::now() + Duration::hours(72)).to_rfc3339(),
            "signatories": [N, S],
        })),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    let posted = loop {
        let got = got.lock().expect("lock").clone();
        if let Some(b) = got
            .iter()
            .find(|b| b["event"]["type"] == "ceasefire_changed")
        {
            break b.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no webhook POST: {got:?}"
        );
        std::thread::sleep(StdDuration::from_millis(100));
    };
    assert_eq!(posted["recipient"], S);
    assert_eq!(posted["event"]["agreement"], id.as_str());
    assert_eq!(posted["requires_ack"], true);
}

mod webhook {
    use super::*;
    #[test]
    fn embedded() {
        hotline_notifications_reach_the_party_webhook(Backend::Embedded);
    }
    #[test]
    fn postgres() {
        hotline_notifications_reach_the_party_webhook(Backend::Postgres);
    }
}
