//! Protected sites and movements, and separation zones, over HTTP on both stores: notified to
//! every party, acknowledged per version, overdue ones listed; operations over them are
//! conflicts of kind `protected` or `zone`; only their author changes them.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use chrono::{Duration, Utc};
use common::{Answer, Backend, Place, Server, call, new_id};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";
const O: &str = "observer-mission";

fn put(s: &Server, by: &str, path: &str, body: &Value) -> Answer {
    call(
        "PUT",
        &format!("{}{path}", s.base),
        Some(&s.token(by)),
        Some(body),
    )
}

fn get(s: &Server, by: &str, path: &str) -> Answer {
    call(
        "GET",
        &format!("{}{path}", s.base),
        Some(&s.token(by)),
        None,
    )
}

/// Files an operation (one retry with the OVNs the key rule asks for); the final answer.
fn file(s: &Server, by: &str, volume: &Value) -> Answer {
    let url = format!("/v1/operations/{}", new_id());
    let mut body = json!({ "volumes": [volume] });
    let first = put(s, by, &url, &body);
    if first.status == 409 && first.body["title"] == "Airspace conflict" {
        body["key"] = first.body["missing_ovns"].clone();
        return put(s, by, &url, &body);
    }
    first
}

fn volume(lon: f64, lat: f64, h0: i64, h1: i64) -> Value {
    let t = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    json!({"footprint": {"type": "circle", "center": [lon, lat], "radius_m": 300.0},
           "altitude_lower_m": 0.0, "altitude_upper_m": 1000.0,
           "time_start": t(h0), "time_end": t(h1)})
}

fn kinds(a: &Answer) -> Vec<String> {
    a.body["conflicts"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|x| x["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn the_notification(s: &Server, party: &str, site: &str, version: u64) -> Option<u64> {
    let inbox = get(s, party, "/v1/inbox");
    inbox.body["notifications"]
        .as_array()?
        .iter()
        .find(|n| {
            n["event"]["type"] == "protected_site_notified"
                && n["event"]["site"] == site
                && n["event"]["version"] == version
        })
        .and_then(|n| n["id"].as_u64())
}

fn protected_sites_are_notified_acknowledged_and_protect(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--ack-deadline", "2"]);
    // A hospital, notified by the relief agency.
    let hospital = new_id();
    let h = put(
        &s,
        R,
        &format!("/v1/protected-sites/{hospital}"),
        &json!({"name": "District hospital", "category": "hospital",
                "geometry": {"type": "Point", "coordinates": [39.5, 34.5]}, "radius_m": 500.0}),
    );
    assert_eq!(h.status, 200, "{}", h.text);
    assert_eq!(h.body["version"], 1);
    assert_eq!(h.body["kind"], "site");
    // Every other party is told, to acknowledge; the notifier is not.
    for party in [N, S, O] {
        assert!(
            the_notification(&s, party, &hospital, 1).is_some(),
            "{party} was told"
        );
        assert_eq!(h.body["acknowledgements"][party], Value::Null);
    }
    assert!(the_notification(&s, R, &hospital, 1).is_none());
    let n_note = the_notification(&s, N, &hospital, 1).expect("told");
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{n_note}/ack", s.base),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(ack.status, 200);
    let read = get(&s, O, &format!("/v1/protected-sites/{hospital}"));
    assert!(
        read.body["acknowledgements"][N].is_string(),
        "{}",
        read.text
    );
    assert_eq!(read.body["acknowledgements"][S], Value::Null);
    // Past the deadline, the others' acknowledgements are overdue.
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let overdue = get(&s, R, "/v1/acknowledgements/overdue");
    let late: Vec<&str> = overdue.body["overdue"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| {
            Some(o["notification"].as_u64())
                == Some(the_notification(
                    &s,
                    o["recipient"].as_str().unwrap_or(""),
                    &hospital,
                    1,
                ))
        })
        .filter_map(|o| o["recipient"].as_str())
        .collect();
    assert!(
        late.contains(&S) && late.contains(&O) && !late.contains(&N),
        "{late:?}"
    );

    // An operation over it: a conflict of kind `protected` (after naming it in the key).
    let over = file(&s, N, &volume(39.5, 34.5, 1, 2));
    assert_eq!(over.status, 201, "{}", over.text);
    assert!(
        kinds(&over).contains(&"protected".to_owned()),
        "{}",
        over.text
    );
    // Only its notifier changes it; not through the zones API either.
    let theirs = put(
        &s,
        N,
        &format!("/v1/protected-sites/{hospital}"),
        &json!({"name": "x", "category": "hospital",
                "geometry": {"type": "Point", "coordinates": [39.5, 34.5]}, "radius_m": 5.0}),
    );
    assert_eq!(theirs.status, 403, "{}", theirs.text);
    let zone = get(&s, R, &format!("/v1/zones/{hospital}"));
    let ovn = zone.body["ovn"].as_str().expect("an ovn").to_owned();
    let del = call(
        "DELETE",
        &format!("{}/v1/zones/{hospital}?ovn={ovn}", s.base),
        Some(&s.token(R)),
        None,
    );
    assert_eq!(del.status, 403, "{}", del.text);
    // Changed: version 2, every party told again, acknowledgements start over.
    let moved = put(
        &s,
        R,
        &format!("/v1/protected-sites/{hospital}"),
        &json!({"name": "District hospital", "category": "hospital",
                "geometry": {"type": "Polygon", "coordinates": [[[39.49, 34.49], [39.51, 34.49], [39.51, 34.51], [39.49, 34.51], [39.49, 34.49]]]}}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["version"], 2);
    assert_eq!(moved.body["acknowledgements"][N], Value::Null);
    assert!(the_notification(&s, N, &hospital, 2).is_some());
    assert_eq!(moved.body["geometry"]["type"], "Polygon");
    // Bad input: 400.
    let bad = put(
        &s,
        R,
        &format!("/v1/protected-sites/{}", new_id()),
        &json!({"name": "x", "category": "school",
                "geometry": {"type": "Point", "coordinates": [39.5, 34.5]}}),
    );
    assert_eq!(bad.status, 400, "{}", bad.text);
}

fn a_convoy_protects_its_corridor_in_its_windows(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let convoy = new_id();
    let t = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    let c = put(
        &s,
        R,
        &format!("/v1/protected-sites/{convoy}"),
        &json!({"name": "Aid convoy 7", "category": "convoy",
                "geometry": {"type": "LineString", "coordinates": [[40.0, 33.0], [40.2, 33.0], [40.2, 33.2]]},
                "corridor_width_m": 400.0,
                "windows": [{"start": t(2), "end": t(6)}]}),
    );
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["kind"], "movement");
    // On the route, in the window: a conflict of kind `protected`.
    let on = file(&s, S, &volume(40.1, 33.0, 3, 4));
    assert_eq!(on.status, 201, "{}", on.text);
    assert!(kinds(&on).contains(&"protected".to_owned()), "{}", on.text);
    // On the route outside its windows, or 1 km beside it: none.
    let before = file(&s, S, &volume(40.1, 33.0, 0, 1));
    assert!(
        !kinds(&before).contains(&"protected".to_owned()),
        "{}",
        before.text
    );
    let beside = file(&s, S, &volume(40.1, 33.012, 3, 4));
    assert!(
        !kinds(&beside).contains(&"protected".to_owned()),
        "{}",
        beside.text
    );
    // At the bend, just inside the corridor's half width: protected.
    let bend = file(&s, S, &volume(40.2015, 33.1, 3, 4));
    assert!(
        kinds(&bend).contains(&"protected".to_owned()),
        "{}",
        bend.text
    );
    // Bad movements: 400.
    let no_window = put(
        &s,
        R,
        &format!("/v1/protected-sites/{}", new_id()),
        &json!({"name": "x", "category": "convoy",
                "geometry": {"type": "LineString", "coordinates": [[40.0, 33.0], [40.2, 33.0]]},
                "corridor_width_m": 400.0}),
    );
    assert_eq!(no_window.status, 400, "{}", no_window.text);
    let listed = get(&s, N, "/v1/protected-sites");
    assert_eq!(listed.status, 200);
    assert!(
        listed.body["protected_sites"]
            .as_array()
            .is_some_and(|l| l.iter().any(|p| p["id"] == convoy.as_str()))
    );
}

fn separation_zones_record_claims_and_conflict(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let zone = new_id();
    let t = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    let declared = put(
        &s,
        S,
        &format!("/v1/separation-zones/{zone}"),
        &json!({"group": "Unit 12 (declared by the southern force)",
                "statement": "present in the valley since Monday",
                "area": {"type": "Polygon", "coordinates": [[[41.0, 32.0], [41.1, 32.0], [41.1, 32.1], [41.0, 32.1], [41.0, 32.0]]]},
                "window_start": t(0), "window_end": t(48)}),
    );
    assert_eq!(declared.status, 200, "{}", declared.text);
    assert_eq!(declared.body["author"], S);
    let over = file(&s, N, &volume(41.05, 32.05, 1, 2));
    assert_eq!(over.status, 201, "{}", over.text);
    assert!(kinds(&over).contains(&"zone".to_owned()), "{}", over.text);
    let listed = get(&s, R, "/v1/separation-zones");
    assert_eq!(
        listed.body["separation_zones"][0]["group"],
        "Unit 12 (declared by the southern force)"
    );
    // Only its author re-declares it.
    let theirs = put(
        &s,
        N,
        &format!("/v1/separation-zones/{zone}"),
        &json!({"group": "none", "area": {"type": "Polygon", "coordinates": [[[41.0, 32.0], [41.1, 32.0], [41.1, 32.1], [41.0, 32.0]]]},
                "window_start": t(0), "window_end": t(1)}),
    );
    assert_eq!(theirs.status, 403, "{}", theirs.text);
}

on_both_stores!(
    protected_sites_are_notified_acknowledged_and_protect,
    a_convoy_protects_its_corridor_in_its_windows,
    separation_zones_record_claims_and_conflict,
);
