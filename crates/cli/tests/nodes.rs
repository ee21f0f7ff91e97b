//! Several `deconflict` nodes on one PostgreSQL database, as a deployment that outgrew one
//! machine runs them: racing clients spread over two nodes never both claim the same airspace;
//! a node killed with `kill -9` mid-write loses no acknowledged write and leaves nothing half
//! written; and the webhook deliveries it had claimed are delivered by the other node once its
//! claim lapses.
//!
//! These need the test PostgreSQL server (`DECONFLICT_TEST_POSTGRES`, by default the local one
//! `.ci/run` starts); without it they fail, naming it.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, Place, Server, box_volume, call, new_id};
use serde_json::{Value, json};

fn put_op(base: &str, token: &str, id: &str, volumes: &[Value]) -> common::Answer {
    call(
        "PUT",
        &format!("{base}/v1/operations/{id}"),
        Some(token),
        Some(&json!({ "volumes": volumes, "key": [] })),
    )
}

/// Two nodes; in each of 200 rounds 16 clients, eight on each node, file overlapping volumes
/// with the same (empty, so stale) key at once: exactly one is accepted, fifteen are refused.
#[test]
fn sixteen_clients_on_two_nodes_never_both_claim_the_same_airspace() {
    let place = Place::new(Backend::Postgres);
    let a = Server::demo_at(&place);
    let b = Server::demo_at(&place);
    let bases = [a.base.clone(), b.base.clone()];
    // Both nodes trust the same development key: a token from either works on both.
    let tokens: Vec<String> = common::FILING_PARTIES.iter().map(|p| a.token(p)).collect();
    for round in 0..200i64 {
        let statuses = common::race_round(&bases, &tokens, round);
        common::assert_one_winner(&statuses, round);
    }
}

/// Writers storm both nodes; node A is killed with SIGKILL at a random moment and restarted, five
/// times: every write either node acknowledged is there (read through node B), and every
/// operation there has both of its volumes.
#[test]
#[allow(clippy::print_stderr, reason = "the test reports how much it checked")]
fn a_node_killed_mid_write_loses_no_acknowledged_write() {
    let place = Place::new(Backend::Postgres);
    let b = Server::demo_at(&place);
    let token = b.token("northern-air-force");
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..5u64 {
        let mut a = Server::demo_at(&place);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4u64)
            .map(|w| {
                // Half the writers on the node that dies, half on the one that lives.
                let base = if w % 2 == 0 {
                    a.base.clone()
                } else {
                    b.base.clone()
                };
                let (token, stop, acknowledged) =
                    (token.clone(), Arc::clone(&stop), Arc::clone(&acknowledged));
                std::thread::spawn(move || {
                    let mut n = 0i64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let id = new_id();
                        // Disjoint, so that every write is accepted; two volumes each.
                        let lon = 10.0 + 0.01 * (w as f64) + 0.0001 * (n % 90) as f64;
                        let lat = -40.0 + 0.01 * round as f64;
                        let h = 100 + n * 2;
                        let volumes = [
                            box_volume(
                                lon,
                                lat,
                                lon + 0.00005,
                                lat + 0.00005,
                                (0.0, 10.0),
                                h,
                                h + 1,
                            ),
                            box_volume(
                                lon,
                                lat,
                                lon + 0.00005,
                                lat + 0.00005,
                                (20.0, 30.0),
                                h,
                                h + 1,
                            ),
                        ];
                        let body = json!({ "volumes": volumes, "key": [] });
                        let url = format!("{base}/v1/operations/{id}");
                        // A node dying mid-request leaves the client without an answer: such a
                        // write was not acknowledged.
                        let agent: ureq::Agent = ureq::Agent::config_builder()
                            .http_status_as_error(false)
                            .timeout_global(Some(Duration::from_secs(10)))
                            .build()
                            .into();
                        let Ok(resp) = agent
                            .put(&url)
                            .header("Authorization", &format!("Bearer {token}"))
                            .send_json(&body)
                        else {
                            continue;
                        };
                        if resp.status().as_u16() == 201 {
                            acknowledged.lock().expect("lock").push(id);
                        }
                    }
                })
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(300 + seed % 700));
        a.kill9();
        // The writers on B go on a little after A died.
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().expect("a writer");
        }
        let ids = acknowledged.lock().expect("lock").clone();
        for id in &ids {
            let got = call(
                "GET",
                &format!("{}/v1/operations/{id}", b.base),
                Some(&token),
                None,
            );
            assert_eq!(got.status, 200, "round {round}: acknowledged {id} is lost");
            assert_eq!(
                got.body["volumes"].as_array().map(Vec::len),
                Some(2),
                "round {round}: {id} is whole"
            );
        }
    }
    let total = acknowledged.lock().expect("lock").len();
    assert!(
        total > 100,
        "the storm wrote too little to show anything: {total}"
    );
    eprintln!("two-node kill -9 test: {total} acknowledged writes over 5 rounds, all present");
}

/// What a receiver got: when, the idempotency key, the body.
type Received = Arc<Mutex<Vec<(Instant, String, Value)>>>;

/// A receiver whose first request is read and then left hanging (as if the network or the
/// receiver stalled); later ones get 200. Returns its URL and what it received: (time,
/// idempotency key, body).
fn stalling_receiver() -> (String, Received) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let (key, body) = common::read_hook_request(&stream);
            seen.lock().expect("lock").push((Instant::now(), key, body));
            if n == 0 {
                // Hold the connection open without answering.
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(120));
                    drop(stream);
                });
            } else {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        }
    });
    (url, got)
}

fn wait_for(got: &Mutex<Vec<(Instant, String, Value)>>, n: usize, within: Duration) {
    let deadline = Instant::now() + within;
    while got.lock().expect("lock").len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Node A claims a webhook delivery and stalls posting it; node B, running beside it, leaves it
/// alone while A's claim (lease 4 s) holds; A is killed; B delivers it, with the same
/// idempotency key, after the lease — and the outbox is then empty.
#[test]
fn deliveries_claimed_by_a_killed_node_are_delivered_by_the_other() {
    const LEASE_S: u64 = 4;
    let place = Place::new(Backend::Postgres);
    let lease = LEASE_S.to_string();
    let extra = ["--delivery-lease", lease.as_str()];
    let mut a = Server::start(place.dir.path(), place.store(), &extra);
    let (url, got) = stalling_receiver();
    let observer = a.token("observer-mission");
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", a.base, new_id()),
        Some(&observer),
        Some(&json!({
            "volumes": [box_volume(47.0, 37.0, 47.3, 37.3, (0.0, 10000.0), 0, 48)],
            "callback_url": url,
        })),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);
    let id = new_id();
    let filed = put_op(
        &a.base,
        &a.token("southern-air-force"),
        &id,
        &[box_volume(47.1, 37.1, 47.2, 37.2, (0.0, 100.0), 1, 2)],
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    // A claims the delivery and posts it; the receiver stalls.
    wait_for(&got, 1, Duration::from_secs(10));
    assert_eq!(got.lock().expect("lock").len(), 1, "node A posted");
    let b = Server::start(place.dir.path(), place.store(), &extra);
    // B polls the outbox every 250 ms: while A's claim holds it must not post.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        got.lock().expect("lock").len(),
        1,
        "node B posted a delivery that node A had claimed"
    );
    a.kill9();
    wait_for(&got, 2, Duration::from_secs(20));
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 2, "node B delivered after node A died: {got:?}");
    assert_eq!(got[0].1, got[1].1, "the same idempotency key");
    assert_eq!(got[1].2["event"]["entity"], json!(id));
    let waited = got[1].0 - got[0].0;
    assert!(
        waited >= Duration::from_secs(LEASE_S) - Duration::from_millis(300),
        "B waited for the lease to lapse: {waited:?}"
    );
    // Delivered means gone from the outbox (B recorded it).
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = place.store().expect("a database");
    let mut db = postgres::Client::connect(url, postgres::NoTls).expect("the test database");
    loop {
        let left: i64 = db
            .query_one("SELECT count(*) FROM outbox", &[])
            .expect("outbox")
            .get(0);
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{left} deliveries still queued");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(b);
}
