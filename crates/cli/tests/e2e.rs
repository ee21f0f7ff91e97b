//! End-to-end tests of the native API against the real binary on loopback: the key rule, compare
//! and swap, the authentication matrix, disclosure, subscriptions and the inbox, a 16-client race
//! over 200 rounds, and kill -9 during a write storm.
//!
//! Every test runs twice, on the embedded store and on PostgreSQL (`on_both_stores!` at the end):
//! the same suite, not a copy.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, Place, Server, box_volume, call, dev_key, new_id};
use serde_json::{Value, json};

fn op_url(s: &Server, id: &str) -> String {
    format!("{}/v1/operations/{id}", s.base)
}

fn put_op(
    s: &Server,
    party: &str,
    id: &str,
    volume: &Value,
    key: &[&str],
    ovn: Option<&str>,
) -> common::Answer {
    let mut body = json!({ "volumes": [volume], "key": key });
    if let Some(o) = ovn {
        body["ovn"] = json!(o);
    }
    call("PUT", &op_url(s, id), Some(&s.token(party)), Some(&body))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

fn the_key_rule_refuses_an_unknowing_claim_then_accepts_a_knowing_one(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let v = box_volume(40.00, 30.00, 40.10, 30.10, (0.0, 1000.0), 0, 2);
    let a = put_op(&s, "northern-air-force", &new_id(), &v, &[], None);
    assert_eq!(a.status, 201, "{}", a.text);
    let a_ovn = a.body["operation"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();

    let b_id = new_id();
    let b_vol = box_volume(40.05, 30.05, 40.15, 30.15, (500.0, 1500.0), 1, 3);
    let refused = put_op(&s, "southern-air-force", &b_id, &b_vol, &[], None);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.content_type, "application/problem+json");
    assert_eq!(refused.body["missing_ovns"], json!([a_ovn]));
    assert_eq!(refused.body["missing"][0]["with"]["disclosure"], "coarse");
    // Nothing was written.
    assert_eq!(
        call(
            "GET",
            &op_url(&s, &b_id),
            Some(&s.token("southern-air-force")),
            None
        )
        .status,
        404
    );

    let accepted = put_op(&s, "southern-air-force", &b_id, &b_vol, &[&a_ovn], None);
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(accepted.body["conflicts"].as_array().map(Vec::len), Some(1));
}

fn updates_and_deletes_are_compare_and_swap_on_the_ovn(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let id = new_id();
    let v = box_volume(41.0, 31.0, 41.1, 31.1, (0.0, 100.0), 0, 1);
    let first = put_op(&s, "relief-agency", &id, &v, &[], None);
    let ovn1 = first.body["operation"]["ovn"]
        .as_str()
        .expect("ovn")
        .to_owned();
    let second = put_op(&s, "relief-agency", &id, &v, &[], Some(&ovn1));
    assert_eq!(second.status, 200, "{}", second.text);
    let ovn2 = second.body["operation"]["ovn"]
        .as_str()
        .expect("ovn")
        .to_owned();
    assert_ne!(ovn1, ovn2);
    let stale = put_op(&s, "relief-agency", &id, &v, &[], Some(&ovn1));
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.body["title"], "Version mismatch");
    let token = s.token("relief-agency");
    assert_eq!(
        call(
            "DELETE",
            &format!("{}?ovn={ovn1}", op_url(&s, &id)),
            Some(&token),
            None
        )
        .status,
        409
    );
    let del = call(
        "DELETE",
        &format!("{}?ovn={ovn2}", op_url(&s, &id)),
        Some(&token),
        None,
    );
    assert_eq!(del.status, 200, "{}", del.text);
    assert_eq!(
        call("GET", &op_url(&s, &id), Some(&token), None).status,
        404
    );
    let again = call(
        "DELETE",
        &format!("{}?ovn={ovn2}", op_url(&s, &id)),
        Some(&token),
        None,
    );
    assert_eq!(again.status, 404);
}

fn craft(data: &std::path::Path, claims: &Value) -> String {
    let pem = std::fs::read(data.join("dev-key.pem")).expect("the dev key");
    let key = jsonwebtoken::EncodingKey::from_ec_pem(&pem).expect("an EC key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        claims,
        &key,
    )
    .expect("signs")
}

fn every_unauthenticated_or_unauthorised_write_is_refused_and_changes_nothing(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let id = new_id();
    let v = box_volume(42.0, 32.0, 42.1, 32.1, (0.0, 100.0), 0, 1);
    let created = put_op(&s, "northern-air-force", &id, &v, &[], None);
    let ovn = created.body["operation"]["ovn"]
        .as_str()
        .expect("ovn")
        .to_owned();
    let now = chrono::Utc::now().timestamp();
    let claims = |sub: &str, aud: &str, exp: i64, scope: &str| json!({ "sub": sub, "aud": aud, "exp": exp, "iat": now - 10, "scope": scope });
    let rw = "deconflict.read deconflict.write";
    let elsewhere = tmp();
    let scopes = ["deconflict.read".to_owned(), "deconflict.write".to_owned()];
    let other_key = dev_key(elsewhere.path())
        .mint(
            "northern-air-force",
            &scopes,
            "deconflict",
            Duration::from_secs(600),
        )
        .expect("mints");
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        ("garbage", Some("not-a-jwt".into()), 401),
        (
            "expired",
            Some(craft(
                &s.data,
                &claims("northern-air-force", "deconflict", now - 3600, rw),
            )),
            401,
        ),
        (
            "wrong audience",
            Some(craft(
                &s.data,
                &claims("northern-air-force", "elsewhere", now + 600, rw),
            )),
            401,
        ),
        ("wrong key", Some(other_key), 401),
        (
            "missing scope",
            Some(craft(
                &s.data,
                &claims(
                    "northern-air-force",
                    "deconflict",
                    now + 600,
                    "deconflict.read",
                ),
            )),
            403,
        ),
        (
            "another party's entity",
            Some(s.token("southern-air-force")),
            403,
        ),
    ];
    for (name, token, status) in cases {
        let body = json!({ "volumes": [box_volume(42.0, 32.0, 42.2, 32.2, (0.0, 100.0), 0, 1)], "ovn": ovn });
        let put = call("PUT", &op_url(&s, &id), token.as_deref(), Some(&body));
        assert_eq!(put.status, status, "{name}: {}", put.text);
        assert_eq!(put.content_type, "application/problem+json", "{name}");
        let del = call(
            "DELETE",
            &format!("{}?ovn={ovn}", op_url(&s, &id)),
            token.as_deref(),
            None,
        );
        assert_eq!(del.status, status, "{name} (delete): {}", del.text);
        if status == 401 {
            assert_eq!(
                call("GET", &op_url(&s, &id), token.as_deref(), None).status,
                401,
                "{name} (get)"
            );
        }
    }
    let after = call(
        "GET",
        &op_url(&s, &id),
        Some(&s.token("northern-air-force")),
        None,
    );
    assert_eq!(
        after.body["ovn"],
        json!(ovn),
        "no refused request changed the operation"
    );
    assert_eq!(
        after.body["volumes"][0]["footprint"]["vertices"][1][0],
        json!(42.1)
    );
}

fn another_party_never_sees_the_exact_footprint(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    // Distinctive coordinates that must not appear in anything the other party receives.
    let secret = json!({
        "footprint": {"type": "polygon", "vertices": [[43.012345, 33.012345], [43.098765, 33.011111], [43.087654, 33.091234], [43.013579, 33.086420]]},
        "altitude_lower_m": 0, "altitude_upper_m": 5000,
        "time_start": "2030-01-01T00:00:00Z", "time_end": "2030-01-01T05:00:00Z",
    });
    let id = new_id();
    let a = put_op(&s, "northern-air-force", &id, &secret, &[], None);
    assert_eq!(a.status, 201);
    let ovn = a.body["operation"]["ovn"].as_str().expect("ovn").to_owned();
    let other = s.token("southern-air-force");
    // A probe that overlaps a corner only.
    let probe = box_volume(43.08, 33.08, 43.2, 33.2, (0.0, 100.0), 0, 1);
    let answers = [
        call("GET", &op_url(&s, &id), Some(&other), None),
        call(
            "POST",
            &format!("{}/v1/operations/query", s.base),
            Some(&other),
            Some(&json!({ "volumes": [probe] })),
        ),
        put_op(&s, "southern-air-force", &new_id(), &probe, &[], None),
    ];
    for a in &answers {
        for secret_digit in [
            "43.012345",
            "33.012345",
            "43.098765",
            "33.011111",
            "43.013579",
            "33.08642",
        ] {
            assert!(
                !a.text.contains(secret_digit),
                "{secret_digit} leaked in {}",
                a.text
            );
        }
    }
    assert_eq!(answers[0].body["disclosure"], "coarse");
    assert!(answers[0].body.get("volumes").is_none());
    assert!(
        !answers[0].body["coarse_volumes"][0]["h3_cells"]
            .as_array()
            .expect("cells")
            .is_empty()
    );
    assert_eq!(
        answers[0].body["ovn"],
        json!(ovn),
        "the OVN is shown so it can be named in a key"
    );
    assert_eq!(answers[2].status, 409);
    // Its owner sees it in full.
    let own = call(
        "GET",
        &op_url(&s, &id),
        Some(&s.token("northern-air-force")),
        None,
    );
    assert!(own.text.contains("43.012345"));
}

fn a_subscriber_is_told_and_acknowledges(backend: Backend) {
    let place = Place::new(backend);
    // Parties only: the scenario's own notifications would fill the observer's inbox.
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let observer = s.token("observer-mission");
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", s.base, new_id()),
        Some(&observer),
        Some(&json!({ "volumes": [box_volume(44.0, 34.0, 44.3, 34.3, (0.0, 10000.0), 0, 48)] })),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);
    let filed = put_op(
        &s,
        "northern-air-force",
        &new_id(),
        &box_volume(44.1, 34.1, 44.2, 34.2, (0.0, 100.0), 2, 3),
        &[],
        None,
    );
    assert_eq!(
        filed.body["notified"][0]["notification_index"], 1,
        "{}",
        filed.text
    );
    let inbox = call(
        "GET",
        &format!("{}/v1/inbox", s.base),
        Some(&observer),
        None,
    );
    let notes = inbox.body["notifications"]
        .as_array()
        .expect("notifications")
        .clone();
    assert_eq!(notes.len(), 1, "{}", inbox.text);
    let nid = notes[0]["id"].as_u64().expect("an id");
    assert_eq!(notes[0]["event"]["change"], "created");
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{nid}/ack", s.base),
        Some(&observer),
        None,
    );
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert!(ack.body["acked_at"].is_string());
    // Not someone else's to acknowledge.
    let theirs = call(
        "POST",
        &format!("{}/v1/inbox/{nid}/ack", s.base),
        Some(&s.token("relief-agency")),
        None,
    );
    assert_eq!(theirs.status, 404);
}

/// 16 clients claim overlapping airspace with the same stale key: exactly one wins, every round.
fn sixteen_racing_clients_never_both_claim_the_same_airspace(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let tokens: Vec<String> = common::FILING_PARTIES.iter().map(|p| s.token(p)).collect();
    for round in 0..200i64 {
        let statuses = common::race_round(std::slice::from_ref(&s.base), &tokens, round);
        common::assert_one_winner(&statuses, round);
    }
}

/// A write storm, `kill -9` at a random moment, restart: every acknowledged write is there, and
/// every operation there is whole (both of its volumes). 20 rounds.
#[allow(clippy::print_stderr, reason = "the test reports how much it checked")]
fn kill_9_loses_no_acknowledged_write_and_leaves_nothing_half_written(backend: Backend) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    let place = Place::new(backend);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut acknowledged: Vec<(String, u64)> = Vec::new();
    for round in 0..20u64 {
        let mut server = Server::demo_at(&place);
        let base = server.base.clone();
        let token = server.token("northern-air-force");
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..4u64)
            .map(|c| {
                let (base, token, stop, acked) = (
                    base.clone(),
                    token.clone(),
                    Arc::clone(&stop),
                    Arc::clone(&acked),
                );
                std::thread::spawn(move || {
                    let mut k = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // Disjoint in time per (round, client, k): no write needs a key.
                        let h = ((round * 4 + c) * 10_000 + k) as i64 * 2;
                        let lon = 46.0 + 0.01 * (k % 50) as f64;
                        let body = json!({ "volumes": [
                            box_volume(lon, 36.0, lon + 0.005, 36.005, (0.0, 100.0), h, h + 1),
                            box_volume(lon, 36.1, lon + 0.005, 36.105, (0.0, 100.0), h, h + 1),
                        ]});
                        let id = new_id();
                        let agent: ureq::Agent = ureq::Agent::config_builder()
                            .http_status_as_error(false)
                            .timeout_global(Some(Duration::from_secs(5)))
                            .build()
                            .into();
                        let r = agent
                            .put(&format!("{base}/v1/operations/{id}"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .send_json(&body);
                        match r {
                            Ok(resp) if resp.status().as_u16() == 201 => {
                                acked.lock().expect("lock").push((id, 1));
                            }
                            // The server died mid-request: not acknowledged.
                            _ => {}
                        }
                        k += 1;
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + next() % 700));
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().expect("a client");
        }
        let this_round: Vec<(String, u64)> = acked.lock().expect("lock").drain(..).collect();
        acknowledged.extend(this_round.iter().cloned());
        drop(server);

        // Restart on the same data; check this round's acknowledged writes (and, in the last
        // round, every round's).
        let server = Server::demo_at(&place);
        let token = server.token("northern-air-force");
        let check = if round == 19 {
            &acknowledged
        } else {
            &this_round
        };
        for (id, version) in check {
            let got = call("GET", &op_url(&server, id), Some(&token), None);
            assert_eq!(
                got.status, 200,
                "round {round}: acknowledged {id} lost: {}",
                got.text
            );
            assert!(got.body["version"].as_u64() >= Some(*version));
            assert_eq!(
                got.body["volumes"].as_array().map(Vec::len),
                Some(2),
                "{id} is half there"
            );
        }
        // Whatever is there, acknowledged or not, is whole.
        let all = call(
            "POST",
            &format!("{}/v1/operations/query", server.base),
            Some(&token),
            Some(
                &json!({ "volumes": [box_volume(45.99, 35.99, 46.5, 36.2, (0.0, 100.0), 0, 24_000_000)] }),
            ),
        );
        // The query window is limited by validation; a wide box is enough here.
        if all.status == 200 {
            for op in all.body["operations"].as_array().into_iter().flatten() {
                assert_eq!(
                    op["volumes"].as_array().map(Vec::len),
                    Some(2),
                    "half-written: {op}"
                );
            }
        }
    }
    eprintln!(
        "kill -9 test: {} acknowledged writes over 20 rounds, all present",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 20,
        "the storm wrote too little to prove anything: {}",
        acknowledged.len()
    );
}

/// Requests a receiver got: idempotency key and body.
type Received = Arc<std::sync::Mutex<Vec<(String, Value)>>>;

/// A loopback webhook receiver: answers 500 to the first request, 200 after; records each
/// request's `Idempotency-Key` and JSON body.
fn receiver() -> (String, Received) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let (key, body) = common::read_hook_request(&stream);
            seen.lock().expect("lock").push((key, body));
            let status = if n == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

fn a_webhook_subscriber_receives_the_change_again_after_a_failure(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let (url, got) = receiver();
    let observer = s.token("observer-mission");
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", s.base, new_id()),
        Some(&observer),
        Some(
            &json!({ "volumes": [box_volume(47.0, 37.0, 47.3, 37.3, (0.0, 10000.0), 0, 48)], "callback_url": url }),
        ),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);
    let id = new_id();
    let filed = put_op(
        &s,
        "southern-air-force",
        &id,
        &box_volume(47.1, 37.1, 47.2, 37.2, (0.0, 100.0), 1, 2),
        &[],
        None,
    );
    assert_eq!(filed.status, 201);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while got.lock().expect("lock").len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = got.lock().expect("lock").clone();
    assert_eq!(
        got.len(),
        2,
        "one failed attempt, then one delivery: {got:?}"
    );
    assert_eq!(got[0].0, got[1].0, "the same idempotency key on the retry");
    assert_eq!(got[1].1["event"]["entity"], json!(id));
    assert_eq!(got[1].1["event"]["change"], "created");
    assert_eq!(got[1].1["recipient"], "observer-mission");
}

fn requests_are_counted_in_metrics_by_route_template(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let id = new_id();
    let read = call(
        "GET",
        &op_url(&s, &id),
        Some(&s.token("observer-mission")),
        None,
    );
    assert_eq!(read.status, 404, "{}", read.text);
    let metrics = call("GET", &format!("{}/metrics", s.base), None, None);
    assert_eq!(metrics.status, 200);
    let counted = metrics.text.lines().any(|l| {
        l.starts_with("http_requests_total{")
            && l.contains(r#"method="GET""#)
            && l.contains(r#"route="/v1/operations/{id}""#)
            && l.contains(r#"status="404""#)
    });
    assert!(counted, "{}", metrics.text);
    assert!(
        metrics.text.contains(
            r#"http_request_duration_seconds_bucket{method="GET",route="/v1/operations/{id}""#
        ),
        "{}",
        metrics.text
    );
    assert!(!metrics.text.contains(&id), "a raw path became a label");
}

/// A grant of full disclosure shows the grantee the exact footprint; without it the conflicts
/// endpoint shows the other's operation coarse, plus only the clipped common part.
fn full_disclosure_is_granted_by_the_owner_alone(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let id = new_id();
    let v = box_volume(48.011111, 38.011111, 48.2, 38.2, (0.0, 1000.0), 0, 4);
    let a = put_op(&s, "northern-air-force", &id, &v, &[], None);
    let ovn = a.body["operation"]["ovn"].as_str().expect("ovn").to_owned();
    let south = s.token("southern-air-force");
    let mine = new_id();
    let b = put_op(
        &s,
        "southern-air-force",
        &mine,
        &box_volume(48.1, 38.1, 48.3, 38.3, (0.0, 1000.0), 1, 2),
        &[&ovn],
        None,
    );
    assert_eq!(b.status, 201, "{}", b.text);
    let conflicts = call(
        "GET",
        &format!("{}/conflicts", op_url(&s, &mine)),
        Some(&south),
        None,
    );
    assert_eq!(
        conflicts.body["conflicts"][0]["with"]["disclosure"], "coarse",
        "{}",
        conflicts.text
    );
    assert!(
        !conflicts.text.contains("48.011111"),
        "the far corner leaked: {}",
        conflicts.text
    );
    assert!(
        conflicts.text.contains("48.2"),
        "the clipped common part is shown: {}",
        conflicts.text
    );
    // Only the owner may grant, and only its own disclosure.
    let url = |p: &str| format!("{}/v1/parties/{p}/disclosure", s.base);
    let grant = json!({ "full_disclosure_to": ["southern-air-force"] });
    assert_eq!(
        call(
            "PUT",
            &url("northern-air-force"),
            Some(&south),
            Some(&grant)
        )
        .status,
        403
    );
    let granted = call(
        "PUT",
        &url("northern-air-force"),
        Some(&s.token("northern-air-force")),
        Some(&grant),
    );
    assert_eq!(granted.status, 200, "{}", granted.text);
    let seen = call("GET", &op_url(&s, &id), Some(&south), None);
    assert_eq!(seen.body["disclosure"], "full");
    assert!(seen.text.contains("48.011111"));
    // A third party still sees it coarse.
    let third = call(
        "GET",
        &op_url(&s, &id),
        Some(&s.token("relief-agency")),
        None,
    );
    assert_eq!(third.body["disclosure"], "coarse");
}

/// SIGTERM: the server finishes, closes its store and exits 0 (no panic on the way out).
fn a_terminated_server_exits_cleanly(backend: Backend) {
    let place = Place::new(backend);
    let mut s = Server::demo_at(&place);
    let read = call(
        "GET",
        &op_url(&s, &new_id()),
        Some(&s.token("observer-mission")),
        None,
    );
    assert_eq!(read.status, 404, "{}", read.text);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = s.child.try_wait().expect("waits") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

on_both_stores!(
    the_key_rule_refuses_an_unknowing_claim_then_accepts_a_knowing_one,
    updates_and_deletes_are_compare_and_swap_on_the_ovn,
    every_unauthenticated_or_unauthorised_write_is_refused_and_changes_nothing,
    another_party_never_sees_the_exact_footprint,
    a_subscriber_is_told_and_acknowledges,
    sixteen_racing_clients_never_both_claim_the_same_airspace,
    kill_9_loses_no_acknowledged_write_and_leaves_nothing_half_written,
    a_webhook_subscriber_receives_the_change_again_after_a_failure,
    requests_are_counted_in_metrics_by_route_template,
    full_disclosure_is_granted_by_the_owner_alone,
    a_terminated_server_exits_cleanly,
);
