//! Bad input never makes the native API answer 5xx: arbitrary bytes, arbitrary JSON, and
//! plausible bodies with wild numbers, strings and sizes, at every endpoint that reads a body or
//! a path, with a token that has every scope.

use axum::http::Method;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::test_support::{TestApp, TestStore};

const ENDPOINTS: &[(&str, &str)] = &[
    ("PUT", "/v1/operations/{id}"),
    ("PUT", "/v1/zones/{id}"),
    ("POST", "/v1/operations/query"),
    ("POST", "/v1/zones/query"),
    ("PUT", "/v1/subscriptions/{id}"),
    ("PUT", "/v1/parties/{id}"),
    ("PUT", "/v1/parties/{id}/disclosure"),
    ("GET", "/v1/operations/{id}"),
    ("DELETE", "/v1/operations/{id}?ovn={id}"),
    ("DELETE", "/v1/subscriptions/{id}?version={id}"),
    ("GET", "/v1/inbox?after={id}"),
    ("POST", "/v1/inbox/{id}/ack"),
    ("GET", "/v1/operations/{id}/conflicts"),
];

fn wild_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-0.0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(5e-324)),
        Just(json!(90.000_000_1)),
        Just(json!(180.5)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!("NaN")),
        Just(json!(null)),
        (-200.0f64..200.0).prop_map(|x| json!(x)),
    ]
}

fn wild_time() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("2030-01-01T00:00:00Z")),
        Just(json!("2030-01-01T01:00:00Z")),
        Just(json!("+262143-12-31T23:59:59Z")),
        Just(json!("-262143-01-01T00:00:00Z")),
        Just(json!("1970-01-01T00:00:00Z")),
        Just(json!("not a time")),
        Just(json!(12)),
    ]
}

fn wild_footprint() -> impl Strategy<Value = Value> {
    let vertex = (wild_number(), wild_number()).prop_map(|(a, b)| json!([a, b]));
    prop_oneof![
        prop::collection::vec(vertex, 0..8).prop_map(|v| json!({"type": "polygon", "vertices": v})),
        (36.0f64..37.0, 35.0f64..36.0, 3usize..1500).prop_map(|(x, y, n)| {
            let v: Vec<Value> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    json!([x + 0.01 * a.cos(), y + 0.01 * a.sin()])
                })
                .collect();
            json!({"type": "polygon", "vertices": v})
        }),
        (wild_number(), wild_number(), wild_number())
            .prop_map(|(x, y, r)| json!({"type": "circle", "center": [x, y], "radius_m": r})),
        Just(json!({"type": "hexagon"})),
    ]
}

fn wild_volume() -> impl Strategy<Value = Value> {
    (
        wild_footprint(),
        wild_number(),
        wild_number(),
        wild_time(),
        wild_time(),
    )
        .prop_map(|(footprint, lo, hi, t0, t1)| {
            json!({"footprint": footprint, "altitude_lower_m": lo, "altitude_upper_m": hi,
                   "time_start": t0, "time_end": t1})
        })
}

fn wild_body() -> impl Strategy<Value = Vec<u8>> {
    let plausible = (
        prop::collection::vec(wild_volume(), 0..4),
        prop_oneof![
            Just(json!("Accepted")),
            Just(json!("Ended")),
            Just(json!(7))
        ],
        prop_oneof![Just(json!([])), Just(json!(["x"])), Just(json!("k"))],
        prop_oneof![Just(json!(null)), Just(json!("ovn")), Just(json!(3))],
        prop_oneof![Just(json!("restricted")), Just(json!("castle"))],
        prop_oneof![
            Just(json!("http://127.0.0.1:1/x")),
            Just(json!("ftp://x")),
            Just(json!(""))
        ],
    )
        .prop_map(|(volumes, state, key, ovn, zone_kind, url)| {
            serde_json::to_vec(&json!({
                "volumes": volumes, "state": state, "key": key, "ovn": ovn,
                "zone_kind": zone_kind, "callback_url": url, "name": "x",
                "full_disclosure_to": ["party-b", "no such party", ""],
            }))
            .unwrap_or_default()
        });
    prop_oneof![
        4 => plausible,
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"{\"volumes\": [".to_vec()),
        1 => Just(b"[]".to_vec()),
    ]
}

fn wild_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("6f1c2a8e-1111-4a4a-9b9b-000000000001".to_owned()),
        Just("party-a".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("%00".to_owned()),
        "[a-z0-9-]{0,40}",
    ]
}

/// Sends `calls` to a fresh application on `store`; fails on any 5xx.
fn never_a_server_error(
    store: TestStore,
    calls: Vec<(usize, String, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Made and dropped outside the runtime: the PostgreSQL driver runs a runtime of its own per
    // connection, which must not start or stop inside another (the server touches the store
    // only from blocking threads).
    let app = TestApp::on(store, "");
    rt.block_on(async {
        let token = app.token(
            "party-a",
            &["deconflict.read", "deconflict.write", "deconflict.admin"],
        );
        for (e, id, body) in calls {
            let (method, path) = ENDPOINTS[e];
            let uri = path.replace("{id}", &id);
            let Ok(method) = method.parse::<Method>() else {
                continue;
            };
            // A path that is not a valid URI is the client library's error, not ours.
            if uri.parse::<axum::http::Uri>().is_err() {
                continue;
            }
            let resp = app.send(method.clone(), &uri, &token, body.clone()).await;
            let status = resp.status();
            let text = crate::test_support::text(resp).await;
            prop_assert!(
                status.as_u16() < 500,
                "{method} {uri} answered {status}: {text}\nbody: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn bad_input_never_gets_a_server_error(
        calls in prop::collection::vec((0..ENDPOINTS.len(), wild_id(), wild_body()), 1..6)
    ) {
        never_a_server_error(TestStore::Embedded, calls)?;
    }
}

proptest! {
    // Each case makes a database: fewer cases, the same generator and check.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn bad_input_never_gets_a_server_error_on_postgres(
        calls in prop::collection::vec((0..ENDPOINTS.len(), wild_id(), wild_body()), 1..6)
    ) {
        never_a_server_error(TestStore::Postgres, calls)?;
    }
}
