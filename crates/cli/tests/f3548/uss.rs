//! deconflict as the managing USS of natively filed entities (issue 17, items 8 and 9): a USS
//! fetches their details at `/uss/v1/...` and gets no more than its party's disclosure, and a
//! test USS — a small axum server on loopback — receives the standard's notifications of their
//! changes, with the right body and subscription index, through the webhook outbox (retried,
//! counted in the metrics).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;

use super::*;

/// A notification the test USS received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    idempotency_key: Option<String>,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(
    State(inbox): State<Inbox>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    {
        let mut fail = inbox.fail_first.lock().expect("lock");
        if *fail > 0 {
            *fail -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    inbox.received.lock().expect("lock").push(Received {
        path: uri.path().to_owned(),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    StatusCode::NO_CONTENT
}

/// The test USS: `POST {base}/uss/v1/operational_intents` and `/uss/v1/constraints`.
struct TestUss {
    base: String,
    inbox: Inbox,
    _runtime: tokio::runtime::Runtime,
}

impl TestUss {
    fn start(fail_first: u32) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let inbox = Inbox {
            fail_first: Arc::new(Mutex::new(fail_first)),
            ..Inbox::default()
        };
        let app = Router::new()
            .route("/utm/uss/v1/operational_intents", post(receive))
            .route("/utm/uss/v1/constraints", post(receive))
            .route("/utm/zones/uss/v1/constraints", post(receive))
            .with_state(inbox.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{addr}/utm"),
            inbox,
            _runtime: runtime,
        }
    }

    /// Waits (up to a minute: the deliverer retries with backoff) until `n` notifications
    /// have arrived; returns them.
    fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.inbox.received.lock().expect("lock").clone();
            if got.len() >= n || Instant::now() > deadline {
                assert!(
                    got.len() >= n,
                    "{} of {n} notifications: {got:?}",
                    got.len()
                );
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Waits (up to a minute) until the server's metrics show every one of `lines`.
#[track_caller]
fn wait_for_metrics(dss: &Dss, lines: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let metrics = call("GET", &format!("{}/metrics", dss.base), None, None);
        let missing: Vec<&&str> = lines
            .iter()
            .filter(|l| !metrics.text.contains(**l))
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{missing:?} not in {}",
            metrics.text
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A subscription of `uss` notified at `base`; returns its id.
fn subscribe(dss: &Dss, uss: &str, base: &str, ops: bool, constraints: bool) -> String {
    let sub = id();
    let a = dss.put(
        &format!("subscriptions/{sub}"),
        &token(uss, &[SC, CP]),
        &json!({
            "extents": square(33.95, -118.05, 0.1, (0.0, 3000.0), (0, 180)),
            "uss_base_url": base,
            "notify_for_operational_intents": ops,
            "notify_for_constraints": constraints,
        }),
    );
    expect(&a, 200);
    sub
}

/// The lon/lat bounds of a `Volume4D`'s polygon.
fn bounds(v: &Value) -> (f64, f64, f64, f64) {
    let vertices = v["volume"]["outline_polygon"]["vertices"]
        .as_array()
        .unwrap_or_else(|| panic!("a polygon: {v}"));
    let lats: Vec<f64> = vertices
        .iter()
        .map(|p| p["lat"].as_f64().expect("lat"))
        .collect();
    let lngs: Vec<f64> = vertices
        .iter()
        .map(|p| p["lng"].as_f64().expect("lng"))
        .collect();
    let min = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |xs: &[f64]| xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min(&lngs), min(&lats), max(&lngs), max(&lats))
}

/// The 0.01° square at (34.0, -118.0) as another party sees it: a box containing it with at
/// least a kilometre of margin (coarser than the real extent, never smaller) and not wildly
/// larger.
#[track_caller]
fn coarse_box_around_the_square(volumes: &Value) {
    let v = &volumes[0];
    let (west, south, east, north) = bounds(v);
    assert!(west < -118.0 - 0.005 && east > -117.99 + 0.005, "{v}");
    assert!(south < 34.0 - 0.005 && north > 34.01 + 0.005, "{v}");
    assert!(east - west < 0.1 && north - south < 0.1, "{v}");
    assert!(
        !v.to_string().contains("-117.99,") && !v.to_string().contains("34.01,"),
        "no real vertex: {v}"
    );
    assert_eq!(v["volume"]["altitude_lower"]["value"], 0.0);
    assert_eq!(v["volume"]["altitude_upper"]["value"], 120.0);
}

fn details_of_native_entities_within_the_disclosure(backend: Backend) {
    let dss = Dss::start(backend);
    let square_ = native_square(34.0, -118.0, 0.01, (0, 60));
    let (op, ovn) = file_native(&dss, "party-a", std::slice::from_ref(&square_), "Accepted");
    let url = |what: &str, id: &str| format!("{}/uss/v1/{what}/{id}", dss.base);
    let uss1 = token("uss1", &[SC]);
    let a = call("GET", &url("operational_intents", &op), Some(&uss1), None);
    let oi = expect(&a, 200)["operational_intent"].clone();
    assert_eq!(oi["reference"]["id"], op.as_str());
    assert_eq!(
        oi["reference"]["ovn"],
        ovn.as_str(),
        "the managing USS gives the OVN"
    );
    assert_eq!(oi["reference"]["manager"], "party-a");
    assert_eq!(oi["reference"]["state"], "Accepted");
    assert_eq!(oi["details"]["priority"], 0);
    assert_eq!(oi["details"]["off_nominal_volumes"], json!([]));
    coarse_box_around_the_square(&oi["details"]["volumes"]);
    // Its owner sees it as declared.
    let a = call(
        "GET",
        &url("operational_intents", &op),
        Some(&token("party-a", &[SC])),
        None,
    );
    let v = &expect(&a, 200)["operational_intent"]["details"]["volumes"][0];
    assert_eq!(bounds(v), (-118.0, 34.0, -117.99, 34.01));
    // Authenticated and scoped as the DSS API; nothing for unknown ids, nor for a USS's own
    // intents (their USS answers for them).
    expect(
        &call("GET", &url("operational_intents", &op), None, None),
        401,
    );
    expect(
        &call(
            "GET",
            &url("operational_intents", &op),
            Some(&token("uss1", &[CP])),
            None,
        ),
        403,
    );
    expect(
        &call("GET", &url("operational_intents", &id()), Some(&uss1), None),
        404,
    );
    expect(
        &call("GET", &url("operational_intents", "x"), Some(&uss1), None),
        400,
    );
    let (theirs, _) = create_oir(
        &dss,
        "uss2",
        &[square(35.0, -118.0, 0.01, (0.0, 120.0), (0, 60))],
        &[],
    );
    expect(
        &call(
            "GET",
            &url("operational_intents", &theirs),
            Some(&uss1),
            None,
        ),
        404,
    );
    // A zone is a constraint, disclosed in full.
    let zone = id();
    let a = call(
        "PUT",
        &format!("{}/v1/zones/{zone}", dss.base),
        Some(&token("party-a", &["deconflict.read", "deconflict.write"])),
        Some(
            &json!({"zone_kind": "restricted", "volumes": [native_square(36.0, -118.0, 0.01, (0, 60))]}),
        ),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let a = call(
        "GET",
        &url("constraints", &zone),
        Some(&token("uss1", &[CP])),
        None,
    );
    let c = expect(&a, 200)["constraint"].clone();
    assert_eq!(c["details"]["type"], "deconflict.zone.restricted");
    assert_eq!(
        bounds(&c["details"]["volumes"][0]),
        (-118.0, 36.0, -117.99, 36.01)
    );
    expect(
        &call("GET", &url("constraints", &zone), Some(&uss1), None),
        403,
    );
    expect(
        &call(
            "GET",
            &url("constraints", &op),
            Some(&token("uss1", &[CP])),
            None,
        ),
        404,
    );
}

fn native_changes_are_posted_to_uss_subscribers(backend: Backend) {
    let uss = TestUss::start(0);
    // The token deconflict presents to USSs, from a file an outside process keeps fresh.
    let token_file = tempfile::NamedTempFile::new().expect("a temp file");
    std::fs::write(token_file.path(), "first-token\n").expect("written");
    let path = token_file.path().to_str().expect("a UTF-8 path");
    let dss = Dss::start_with(backend, &["--dss-notification-token-file", path]);
    let sub = subscribe(&dss, "uss1", &uss.base, true, true);
    // A subscription that wants constraints only hears of no operation.
    let zones_only = subscribe(&dss, "uss1", &format!("{}/zones", uss.base), false, true);
    let volume = native_square(34.0, -118.0, 0.01, (0, 60));
    let (op, ovn) = file_native(&dss, "party-a", std::slice::from_ref(&volume), "Accepted");
    let got = uss.wait_for(1);
    let n = &got[0];
    assert_eq!(n.path, "/utm/uss/v1/operational_intents");
    assert!(n.idempotency_key.is_some());
    assert_eq!(n.authorization.as_deref(), Some("Bearer first-token"));
    std::fs::write(token_file.path(), "refreshed-token").expect("written");
    assert_eq!(n.body["operational_intent_id"], op.as_str());
    assert_eq!(
        n.body["subscriptions"],
        json!([{"subscription_id": sub, "notification_index": 1}])
    );
    let oi = &n.body["operational_intent"];
    assert_eq!(oi["reference"]["ovn"], ovn.as_str());
    assert_eq!(oi["reference"]["version"], 1);
    coarse_box_around_the_square(&oi["details"]["volumes"]);
    // Deleted: the notification omits the intent; the index moves on.
    let a = call(
        "DELETE",
        &format!("{}/v1/operations/{op}?ovn={ovn}", dss.base),
        Some(&token("party-a", &["deconflict.read", "deconflict.write"])),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    let got = uss.wait_for(2);
    let n = &got[1];
    assert_eq!(n.authorization.as_deref(), Some("Bearer refreshed-token"));
    assert_eq!(n.body["operational_intent_id"], op.as_str());
    assert!(n.body.get("operational_intent").is_none(), "{}", n.body);
    assert_eq!(n.body["subscriptions"][0]["notification_index"], 2);
    // A zone: to both subscriptions, each at its own base URL.
    let zone = id();
    let a = call(
        "PUT",
        &format!("{}/v1/zones/{zone}", dss.base),
        Some(&token("party-a", &["deconflict.read", "deconflict.write"])),
        Some(&json!({"zone_kind": "restricted", "volumes": [volume]})),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let got = uss.wait_for(4);
    let mut zone_posts: Vec<&Received> = got[2..].iter().collect();
    zone_posts.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(zone_posts[0].path, "/utm/uss/v1/constraints");
    assert_eq!(zone_posts[1].path, "/utm/zones/uss/v1/constraints");
    for (p, s) in zone_posts.iter().zip([&sub, &zones_only]) {
        assert_eq!(p.body["constraint_id"], zone.as_str());
        assert_eq!(p.body["subscriptions"][0]["subscription_id"], s.as_str());
        assert_eq!(
            p.body["constraint"]["details"]["type"],
            "deconflict.zone.restricted"
        );
    }
    // A USS's own change through the DSS API is its own to post: deconflict posts nothing.
    create_oir(&dss, "uss2", &[here()], &[]);
    wait_for_metrics(
        &dss,
        &["deconflict_deliveries_total{kind=\"f3548\",outcome=\"delivered\"} 4"],
    );
    assert_eq!(uss.inbox.received.lock().expect("lock").len(), 4);
}

fn a_failed_notification_is_retried(backend: Backend) {
    let uss = TestUss::start(1);
    let dss = Dss::start(backend);
    let sub = subscribe(&dss, "uss1", &uss.base, true, false);
    let (op, _) = file_native(
        &dss,
        "party-a",
        &[native_square(34.0, -118.0, 0.01, (0, 60))],
        "Accepted",
    );
    let got = uss.wait_for(1);
    assert_eq!(got[0].authorization, None, "no token file: no token");
    assert_eq!(got[0].body["operational_intent_id"], op.as_str());
    assert_eq!(
        got[0].body["subscriptions"][0]["subscription_id"],
        sub.as_str()
    );
    wait_for_metrics(
        &dss,
        &[
            "deconflict_deliveries_total{kind=\"f3548\",outcome=\"retry\"} 1",
            "deconflict_deliveries_total{kind=\"f3548\",outcome=\"delivered\"} 1",
        ],
    );
}

on_both_stores!(
    details_of_native_entities_within_the_disclosure,
    native_changes_are_posted_to_uss_subscribers,
    a_failed_notification_is_retried,
);
