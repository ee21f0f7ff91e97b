//! Ceasefire agreements over HTTP against the real binary, on both stores: the life cycle
//! (proposed → in force on the last acceptance → denounced, ended or expired), each act by the
//! right party only, and the ceasefire rule — an operation of a bound party inside an agreement
//! in force is refused, unless it declares an allowed exemption, which every other signatory is
//! told of at once and must acknowledge.

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

fn area() -> Value {
    json!({"type": "Polygon", "coordinates": [[[38.5, 35.5], [38.7, 35.5], [38.7, 35.7], [38.5, 35.7], [38.5, 35.5]]]})
}

/// A 1-hour operation volume inside the area, starting in `h` hours.
fn inside(h: i64) -> Value {
    let t = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    json!({"footprint": {"type": "circle", "center": [38.6, 35.6], "radius_m": 2000.0},
           "altitude_lower_m": 1000.0, "altitude_upper_m": 3000.0,
           "time_start": t(h), "time_end": t(h + 1)})
}

fn propose(s: &Server, by: &str, id: &str, window_end: chrono::DateTime<Utc>) -> Answer {
    call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(by)),
        Some(&json!({
            "id": id, "name": "Holiday ceasefire", "terms": "No air operations over the area.",
            "area": area(), "window_start": (Utc::now() - Duration::hours(1)).to_rfc3339(),
            "window_end": window_end.to_rfc3339(),
            "signatories": [N, S], "exemption_categories": ["medical-evacuation"],
        })),
    )
}

fn act(s: &Server, by: &str, id: &str, what: &str, reason: Option<&str>) -> Answer {
    let body = reason.map(|r| json!({ "reason": r }));
    call(
        "POST",
        &format!("{}/v1/ceasefires/{id}/{what}", s.base),
        Some(&s.token(by)),
        Some(body.as_ref().unwrap_or(&json!({}))),
    )
}

/// Files an operation, naming in its key whatever the key rule asks for (one retry); returns the
/// final answer.
fn file(s: &Server, by: &str, id: &str, volume: &Value, exemption: Option<Value>) -> Answer {
    let url = format!("{}/v1/operations/{id}", s.base);
    let mut body = json!({ "volumes": [volume], "key": [] });
    if let Some(e) = exemption {
        body["exemption"] = e;
    }
    let first = call("PUT", &url, Some(&s.token(by)), Some(&body));
    if first.status == 409 && first.body["title"] == "Airspace conflict" {
        body["key"] = first.body["missing_ovns"].clone();
        return call("PUT", &url, Some(&s.token(by)), Some(&body));
    }
    first
}

fn inbox_events(s: &Server, party: &str) -> Vec<Value> {
    let a = call(
        "GET",
        &format!("{}/v1/inbox", s.base),
        Some(&s.token(party)),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| {
            let mut e = n["event"].clone();
            e["requires_ack"] = n["requires_ack"].clone();
            e
        })
        .collect()
}

fn a_ceasefire_binds_its_signatories_once_in_force(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    let id = new_id();

    // Proposed: every signatory is told, and must acknowledge.
    let p = propose(&s, N, &id, Utc::now() + Duration::hours(72));
    assert_eq!(p.status, 201, "{}", p.text);
    assert_eq!(p.body["status"], "proposed");
    assert_eq!(p.body["area"]["type"], "MultiPolygon");
    let told: Vec<Value> = inbox_events(&s, S)
        .into_iter()
        .filter(|e| e["type"] == "ceasefire_changed" && e["agreement"] == id.as_str())
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["status"], "proposed");
    assert_eq!(told[0]["requires_ack"], true);
    assert_eq!(
        propose(&s, N, &id, Utc::now() + Duration::hours(72)).status,
        409
    );

    // Before it is in force it binds no one.
    let early = file(&s, S, &new_id(), &inside(1), None);
    assert_eq!(early.status, 201, "{}", early.text);

    // Only signatories accept; the last acceptance puts it in force.
    assert_eq!(act(&s, R, &id, "accept", None).status, 403);
    let one = act(&s, N, &id, "accept", None);
    assert_eq!(one.body["status"], "proposed", "{}", one.text);
    let both = act(&s, S, &id, "accept", None);
    assert_eq!(both.body["status"], "in_force", "{}", both.text);
    assert!(both.body["acceptances"][N].is_string() && both.body["acceptances"][S].is_string());
    assert_eq!(act(&s, S, &id, "accept", None).status, 409);
    let listed = call(
        "GET",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(R)),
        None,
    );
    let ours = listed.body["ceasefires"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == id.as_str()))
        .cloned()
        .expect("listed");
    assert_eq!(ours["status"], "in_force", "{ours}");

    // A bound party's operation inside it: refused, naming the agreement; nothing written.
    let op = new_id();
    let refused = file(&s, S, &op, &inside(2), None);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["title"], "Ceasefire conflict");
    assert_eq!(refused.body["agreements"][0]["agreement"], id.as_str());
    assert_eq!(
        refused.body["agreements"][0]["exemption_categories"],
        json!(["medical-evacuation"])
    );
    let absent = call(
        "GET",
        &format!("{}/v1/operations/{op}", s.base),
        Some(&s.token(S)),
        None,
    );
    assert_eq!(absent.status, 404);
    // An exemption of a category it does not allow: refused too.
    let wrong = file(
        &s,
        S,
        &op,
        &inside(2),
        Some(json!({"category": "air-strike", "justification": "x"})),
    );
    assert_eq!(wrong.status, 409, "{}", wrong.text);
    // An allowed exemption: accepted, and the other signatory is told at once, to acknowledge.
    let exempt = file(
        &s,
        S,
        &op,
        &inside(2),
        Some(json!({"category": "medical-evacuation",
                    "justification": "evacuating casualties from the district hospital"})),
    );
    assert_eq!(exempt.status, 201, "{}", exempt.text);
    let told: Vec<Value> = inbox_events(&s, N)
        .into_iter()
        .filter(|e| e["type"] == "exemption_declared" && e["agreement"] == id.as_str())
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["operation"], op.as_str());
    assert_eq!(told[0]["party"], S);
    assert_eq!(told[0]["category"], "medical-evacuation");
    assert_eq!(told[0]["requires_ack"], true);
    assert!(
        inbox_events(&s, S)
            .iter()
            .all(|e| e["type"] != "exemption_declared" || e["agreement"] != id.as_str()),
        "the declaring party is not told of its own exemption"
    );

    // A party it does not bind files freely (the key rule still applies).
    let free = file(&s, R, &new_id(), &inside(3), None);
    assert_eq!(free.status, 201, "{}", free.text);

    // Through the F3548 DSS API too: a bound USS is refused (there is no way to declare an
    // exemption there), the agreement's zone is a constraint no USS may change.
    let key = common::dev_key(place.dir.path());
    let dss_token = |party: &str| {
        key.mint(
            party,
            &[
                "utm.strategic_coordination".to_owned(),
                "utm.constraint_management".to_owned(),
            ],
            "deconflict",
            std::time::Duration::from_secs(600),
        )
        .expect("a token")
    };
    let t = |m: i64| json!({"value": (Utc::now() + Duration::minutes(m)).to_rfc3339(), "format": "RFC3339"});
    let alt = |v: f64| json!({"value": v, "reference": "W84", "units": "M"});
    let oir = json!({"state": "Accepted", "uss_base_url": "https://uss.example.com/utm", "key": [],
        "extents": [{"volume": {"outline_circle": {"center": {"lat": 35.62, "lng": 38.62},
            "radius": {"value": 300.0, "units": "M"}}, "altitude_lower": alt(5000.0),
            "altitude_upper": alt(5100.0)}, "time_start": t(300), "time_end": t(330)}]});
    let by_s = call(
        "PUT",
        &format!(
            "{}/dss/v1/operational_intent_references/{}",
            s.base,
            new_id()
        ),
        Some(&dss_token(S)),
        Some(&oir),
    );
    assert_eq!(by_s.status, 409, "{}", by_s.text);
    assert!(
        by_s.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Ceasefire conflict")),
        "{}",
        by_s.text
    );
    let by_r = call(
        "PUT",
        &format!(
            "{}/dss/v1/operational_intent_references/{}",
            s.base,
            new_id()
        ),
        Some(&dss_token(R)),
        Some(&oir),
    );
    assert_eq!(by_r.status, 201, "{}", by_r.text);
    let constraint = call(
        "DELETE",
        &format!(
            "{}/dss/v1/constraint_references/{id}/whatever-ovn-0000",
            s.base
        ),
        Some(&dss_token(N)),
        None,
    );
    assert_eq!(constraint.status, 403, "{}", constraint.text);

    // Its zone changes only through the agreement.
    let zone = call(
        "GET",
        &format!("{}/v1/zones/{id}", s.base),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(zone.status, 200, "{}", zone.text);
    assert_eq!(zone.body["zone_kind"], "ceasefire", "{}", zone.text);
    let ovn = zone.body["ovn"].as_str().expect("an ovn").to_owned();
    let del = call(
        "DELETE",
        &format!("{}/v1/zones/{id}?ovn={ovn}", s.base),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(del.status, 403, "{}", del.text);

    // Denounced by a signatory (not by a stranger, not without a reason): it binds no one, its
    // zone is withdrawn, the signatories are told.
    assert_eq!(act(&s, R, &id, "denounce", Some("no")).status, 403);
    assert_eq!(act(&s, N, &id, "denounce", Some(" ")).status, 400);
    let gone = act(
        &s,
        N,
        &id,
        "denounce",
        Some("repeated violations in the north"),
    );
    assert_eq!(gone.body["status"], "denounced", "{}", gone.text);
    assert_eq!(gone.body["closed"]["by"], N);
    let zone = call(
        "GET",
        &format!("{}/v1/zones/{id}", s.base),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(zone.status, 404);
    let after = file(&s, S, &new_id(), &inside(4), None);
    assert_eq!(after.status, 201, "{}", after.text);
    assert_eq!(act(&s, S, &id, "end", Some("too late")).status, 409);
    assert!(
        inbox_events(&s, S)
            .iter()
            .any(|e| e["type"] == "ceasefire_changed" && e["status"] == "denounced")
    );
}

fn a_ceasefire_ends_by_agreement_or_expires(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::demo_at(&place);
    // Ended by its proposer.
    let a = new_id();
    assert_eq!(
        propose(&s, N, &a, Utc::now() + Duration::hours(72)).status,
        201
    );
    assert_eq!(act(&s, N, &a, "accept", None).status, 200);
    assert_eq!(act(&s, S, &a, "accept", None).status, 200);
    let ended = act(&s, N, &a, "end", Some("replaced by a permanent agreement"));
    assert_eq!(ended.body["status"], "ended", "{}", ended.text);
    // Acts recorded after the fact take effect when declared (not in the future, not before
    // the window): the agreement was in force from the later acceptance.
    let c = new_id();
    assert_eq!(
        propose(&s, N, &c, Utc::now() + Duration::hours(72)).status,
        201
    );
    let at = |m: i64| json!({"effective_at": (Utc::now() - Duration::minutes(m)).to_rfc3339()});
    let url = |what: &str| format!("{}/v1/ceasefires/{c}/{what}", s.base);
    let future = call("POST", &url("accept"), Some(&s.token(N)), Some(&at(-10)));
    assert_eq!(future.status, 400, "{}", future.text);
    let too_early = call("POST", &url("accept"), Some(&s.token(N)), Some(&at(120)));
    assert_eq!(too_early.status, 400, "{}", too_early.text);
    assert_eq!(
        call("POST", &url("accept"), Some(&s.token(N)), Some(&at(40))).status,
        200
    );
    let both = call("POST", &url("accept"), Some(&s.token(S)), Some(&at(30)));
    assert_eq!(both.body["status"], "in_force", "{}", both.text);
    let from =
        chrono::DateTime::parse_from_rfc3339(both.body["in_force_from"].as_str().expect("a time"))
            .expect("RFC 3339");
    let age = Utc::now() - from.to_utc();
    assert!(
        age > Duration::minutes(29) && age < Duration::minutes(31),
        "{age}"
    );
    assert_eq!(both.body["recorded"].as_array().map(Vec::len), Some(2));
    let closed = call(
        "POST",
        &url("end"),
        Some(&s.token(N)),
        Some(
            &json!({"reason": "superseded", "effective_at": (Utc::now() - Duration::minutes(10)).to_rfc3339()}),
        ),
    );
    assert_eq!(closed.body["status"], "ended", "{}", closed.text);
    // Expired at the end of its window.
    let b = new_id();
    assert_eq!(
        propose(&s, N, &b, Utc::now() + Duration::seconds(3)).status,
        201
    );
    assert_eq!(act(&s, N, &b, "accept", None).status, 200);
    assert_eq!(act(&s, S, &b, "accept", None).body["status"], "in_force");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let got = call(
        "GET",
        &format!("{}/v1/ceasefires/{b}", s.base),
        Some(&s.token(R)),
        None,
    );
    assert_eq!(got.body["status"], "expired", "{}", got.text);
    let now_free = file(&s, S, &new_id(), &inside(1), None);
    assert_eq!(now_free.status, 201, "{}", now_free.text);
    // Bad proposals: 400 with the field.
    let bad = call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(N)),
        Some(
            &json!({"id": new_id(), "name": "x", "area": {"type": "Point", "coordinates": [1, 2]},
                      "window_start": Utc::now().to_rfc3339(),
                      "window_end": (Utc::now() + Duration::hours(1)).to_rfc3339(),
                      "signatories": [N, S]}),
        ),
    );
    assert_eq!(bad.status, 400, "{}", bad.text);
    let lonely = call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(N)),
        Some(&json!({"id": new_id(), "name": "x", "area": area(),
                      "window_start": Utc::now().to_rfc3339(),
                      "window_end": (Utc::now() + Duration::hours(1)).to_rfc3339(),
                      "signatories": [N]})),
    );
    assert_eq!(lonely.status, 400, "{}", lonely.text);
    assert_eq!(lonely.body["field"], "signatories");
}

on_both_stores!(
    a_ceasefire_binds_its_signatories_once_in_force,
    a_ceasefire_ends_by_agreement_or_expires,
);
