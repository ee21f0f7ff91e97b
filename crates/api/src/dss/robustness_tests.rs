//! Bad input never makes the DSS API answer 5xx: arbitrary bytes, arbitrary JSON, and plausible
//! F3548 bodies with wild numbers, times, units and sizes, at every `/dss/v1` endpoint (and the
//! empty segments and unknown paths under it), the `/uss/v1` details and `/aux/v1`, with a token
//! that has every scope, on both stores. Every 4xx under `/dss/v1` is an `ErrorResponse`.

use axum::http::Method;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::test_support::{TestApp, TestStore};

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/dss/v1/operational_intent_references/query"),
    ("GET", "/dss/v1/operational_intent_references/{id}"),
    ("PUT", "/dss/v1/operational_intent_references/{id}"),
    ("PUT", "/dss/v1/operational_intent_references/{id}/{id}"),
    ("DELETE", "/dss/v1/operational_intent_references/{id}/{id}"),
    ("POST", "/dss/v1/constraint_references/query"),
    ("GET", "/dss/v1/constraint_references/{id}"),
    ("PUT", "/dss/v1/constraint_references/{id}"),
    ("PUT", "/dss/v1/constraint_references/{id}/{id}"),
    ("DELETE", "/dss/v1/constraint_references/{id}/{id}"),
    ("POST", "/dss/v1/subscriptions/query"),
    ("GET", "/dss/v1/subscriptions/{id}"),
    ("PUT", "/dss/v1/subscriptions/{id}"),
    ("PUT", "/dss/v1/subscriptions/{id}/{id}"),
    ("DELETE", "/dss/v1/subscriptions/{id}/{id}"),
    ("POST", "/dss/v1/reports"),
    ("GET", "/dss/v1/uss_availability/{id}"),
    ("PUT", "/dss/v1/uss_availability/{id}"),
    ("PUT", "/dss/v1/subscriptions/{id}/"),
    ("DELETE", "/dss/v1/operational_intent_references/{id}/"),
    ("PUT", "/dss/v1/constraint_references/{id}/"),
    ("PATCH", "/dss/v1/subscriptions/{id}"),
    ("GET", "/dss/v1/{id}/{id}"),
    ("GET", "/uss/v1/operational_intents/{id}"),
    ("GET", "/uss/v1/constraints/{id}"),
    ("GET", "/aux/v1/version"),
    ("GET", "/aux/v1/validate_oauth"),
    ("GET", "/aux/v1/validate_oauth?owner={id}"),
];

fn wild_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(5e-324)),
        Just(json!(90.000_000_1)),
        Just(json!(-180.5)),
        Just(json!(u64::MAX)),
        Just(json!("12")),
        Just(json!(null)),
        (-200.0f64..200.0).prop_map(|x| json!(x)),
        (34.0f64..34.1).prop_map(|x| json!(x)),
    ]
}

fn wild_time() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        Just(json!("2030-01-01T00:00:00Z")),
        Just(json!("2030-01-01T01:00:00.123456789Z")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("0001-01-01T00:00:00Z")),
        Just(json!("1970-01-01T00:00:00+14:00")),
        Just(json!("yesterday")),
        Just(json!(12)),
    ];
    let format = prop_oneof![
        Just(json!("RFC3339")),
        Just(json!("rfc3339")),
        Just(json!(null))
    ];
    prop_oneof![
        4 => (value, format).prop_map(|(v, f)| json!({"value": v, "format": f})),
        1 => Just(json!(null)),
        1 => Just(json!("2030-01-01T00:00:00Z")),
    ]
}

fn wild_altitude() -> impl Strategy<Value = Value> {
    (
        wild_number(),
        prop_oneof![Just(json!("W84")), Just(json!("SFC")), Just(json!(1))],
        prop_oneof![Just(json!("M")), Just(json!("FT"))],
    )
        .prop_map(|(v, r, u)| json!({"value": v, "reference": r, "units": u}))
}

fn wild_volume() -> impl Strategy<Value = Value> {
    let point = || (wild_number(), wild_number()).prop_map(|(a, b)| json!({"lat": a, "lng": b}));
    let polygon = prop::collection::vec(point(), 0..7).prop_map(|v| json!({"vertices": v}));
    let many = (34.0f64..34.1, -118.1f64..-118.0, 3usize..1200).prop_map(|(y, x, n)| {
        let v: Vec<Value> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                json!({"lat": y + 0.01 * a.sin(), "lng": x + 0.01 * a.cos()})
            })
            .collect();
        json!({"vertices": v})
    });
    let circle = (point(), wild_number(), prop_oneof![Just("M"), Just("FT")])
        .prop_map(|(c, r, u)| json!({"center": c, "radius": {"value": r, "units": u}}));
    (
        prop::option::of(prop_oneof![polygon, many]),
        prop::option::of(circle),
        prop::option::of(wild_altitude()),
        prop::option::of(wild_altitude()),
        wild_time(),
        wild_time(),
    )
        .prop_map(|(p, c, lo, hi, t0, t1)| {
            json!({"volume": {"outline_polygon": p, "outline_circle": c,
                              "altitude_lower": lo, "altitude_upper": hi},
                   "time_start": t0, "time_end": t1})
        })
}

fn wild_body() -> impl Strategy<Value = Vec<u8>> {
    let plausible = (
        prop::collection::vec(wild_volume(), 0..3),
        prop_oneof![
            Just(json!("Accepted")),
            Just(json!("Activated")),
            Just(json!("Contingent")),
            Just(json!("Ended")),
            Just(json!(7))
        ],
        prop_oneof![Just(json!([])), Just(json!(["x"])), Just(json!("k"))],
        prop_oneof![
            Just(json!(null)),
            Just(json!("6f1c2a8e-1111-4a4a-9b9b-000000000001")),
            Just(json!("00000000-0000-4000-8000-000000000000")),
            Just(json!(3))
        ],
        prop_oneof![
            Just(json!("https://uss.example.com/utm")),
            Just(json!("ftp://x")),
            Just(json!("")),
            Just(json!(null))
        ],
        any::<bool>(),
        prop_oneof![
            Just(json!("Down")),
            Just(json!("normal")),
            Just(json!("Up")),
            Just(json!(null))
        ],
        prop_oneof![
            Just(json!("")),
            Just(json!(null)),
            Just(json!(3)),
            Just(json!("v"))
        ],
        prop_oneof![
            Just(json!(null)),
            Just(json!("0190b2a0-0000-7000-8000-000000000000")),
            Just(json!("6f1c2a8e-1111-4a4a-9b9b-000000000001")),
            Just(json!("ffffffff-ffff-7fff-bfff-ffffffffffff")),
            Just(json!(17))
        ],
        prop_oneof![
            Just(json!({})),
            Just(json!("lost")),
            Just(json!(null)),
            Just(json!([1]))
        ],
    )
        .prop_map(
            |(volumes, state, key, sub, url, flag, availability, old, suffix, problem)| {
                let one = volumes.first().cloned().unwrap_or(Value::Null);
                serde_json::to_vec(&json!({
                "extents": if flag { json!(volumes) } else { one.clone() },
                "area_of_interest": one,
                "state": state, "key": key, "uss_base_url": url,
                "subscription_id": sub,
                "new_subscription": if flag { json!({"uss_base_url": url}) } else { Value::Null },
                "notify_for_operational_intents": flag, "notify_for_constraints": !flag,
                "old_version": old, "availability": availability,
                "requested_ovn_suffix": suffix,
                "exchange": if flag {
                    json!({"url": url, "method": "GET", "recorder_role": "Client",
                           "request_time": {"value": "2030-01-01T00:00:00Z", "format": "RFC3339"},
                           "problem": problem})
                } else {
                    json!([])
                },
            }))
            .unwrap_or_default()
            },
        );
    prop_oneof![
        5 => plausible,
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"{\"extents\": [".to_vec()),
        1 => Just(b"null".to_vec()),
    ]
}

fn wild_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("6f1c2a8e-1111-4a4a-9b9b-000000000001".to_owned()),
        Just("6f1c2a8e-1111-1a4a-9b9b-000000000001".to_owned()),
        Just("uss1".to_owned()),
        Just("%00".to_owned()),
        "[a-z0-9-]{0,40}",
    ]
}

fn never_a_server_error(
    store: TestStore,
    calls: Vec<(usize, String, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Made and dropped outside the runtime (see the native robustness test).
    let app = TestApp::on(store, "");
    rt.block_on(async {
        let token = app.token(
            "uss1",
            &[
                "utm.strategic_coordination",
                "utm.constraint_management",
                "utm.constraint_processing",
                "utm.conformance_monitoring_sa",
                "utm.availability_arbitration",
            ],
        );
        for (e, id, body) in calls {
            let (method, path) = ENDPOINTS[e];
            let uri = path.replace("{id}", &id);
            let Ok(method) = method.parse::<Method>() else {
                continue;
            };
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
            // Under /dss/v1, /uss/v1 and /aux/v1 every 4xx is the standard's `ErrorResponse`,
            // but a path another router answers (an empty id: `/uss/v1/constraints/`).
            let ours = uri.starts_with("/dss/v1") || !uri.ends_with('/');
            if status.is_client_error() && ours {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                prop_assert!(
                    v["message"].is_string(),
                    "{method} {uri}: a {status} is an ErrorResponse: {text}"
                );
            }
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
