//! Protected sites notified `conflict-only`, over HTTP on both stores: other parties never learn
//! their geometry (not from any endpoint, error, notification or audit entry), only their own
//! operations' conflicts with them; probing near them is limited and reported; and a notice's
//! validity lapses only after everyone was told and a grace period passed.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use common::{Answer, Backend, Place, Server, box_volume, call, new_id};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";
const O: &str = "observer-mission";

/// The site: about 1 km × 1 km, with coordinates whose digits appear nowhere else in the test
/// (every other coordinate here has at most three decimals).
const SITE: [[f64; 2]; 5] = [
    [36.512_345, 35.523_456],
    [36.523_457, 35.523_456],
    [36.523_457, 35.532_467],
    [36.512_345, 35.532_467],
    [36.512_345, 35.523_456],
];
/// Digit strings of the site's coordinates (and of their rounding to 4 and 5 decimals): a body
/// holding any of them leaks the geometry.
const SITE_DIGITS: [&str; 8] = [
    "512345", "523456", "523457", "532467", "36.5123", "35.5234", "36.5235", "35.5325",
];

fn url(s: &Server, path: &str) -> String {
    format!("{}{path}", s.base)
}

fn as_party(s: &Server, by: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    call(method, &url(s, path), Some(&s.token(by)), body)
}

fn notify_site(s: &Server, extra: &Value) -> String {
    let id = new_id();
    let mut body = json!({
        "name": "Clinic of the eastern quarter",
        "category": "clinic",
        "geometry": {"type": "Polygon", "coordinates": [SITE]},
        "disclosure": "conflict-only",
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let a = as_party(
        s,
        R,
        "PUT",
        &format!("/v1/protected-sites/{id}"),
        Some(&body),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["disclosure"], "conflict-only");
    id
}

fn assert_no_geometry(what: &str, a: &Answer) {
    for d in SITE_DIGITS {
        assert!(
            !a.text.contains(d),
            "{what} reveals the site's geometry ({d}): {}",
            a.text
        );
    }
}

/// Files an operation over `[lon0, lat0]..[lon1, lat1]` (2030, hour 1..2).
fn file_box(s: &Server, by: &str, b: [f64; 4]) -> Answer {
    file_box_at(s, by, b, 1)
}

/// Files an operation over `[lon0, lat0]..[lon1, lat1]` in hour `h` of 2030.
fn file_box_at(s: &Server, by: &str, b: [f64; 4], h: i64) -> Answer {
    let v = box_volume(b[0], b[1], b[2], b[3], (0.0, 3000.0), h, h + 1);
    as_party(
        s,
        by,
        "PUT",
        &format!("/v1/operations/{}", new_id()),
        Some(&json!({"volumes": [v]})),
    )
}

fn conflict_only_sites_are_never_located_by_other_parties(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let id = notify_site(&s, &json!({}));

    // The notifier sees it in full (the control: these digits do appear where allowed).
    let mine = as_party(&s, R, "GET", &format!("/v1/protected-sites/{id}"), None);
    assert_eq!(mine.status, 200);
    assert!(mine.text.contains("36.512345"), "{}", mine.text);
    let listed = as_party(&s, R, "GET", "/v1/protected-sites", None);
    assert!(listed.text.contains(&id));

    // Another party: not listed, not found, not in any query, not in zone or conflict reads.
    let everywhere =
        json!({"volumes": [box_volume(36.3, 35.3, 36.7, 35.7, (0.0, 20000.0), 0, 24)]});
    let mut seen: Vec<(String, Answer)> = vec![
        (
            "the site list".into(),
            as_party(&s, S, "GET", "/v1/protected-sites", None),
        ),
        (
            "the site".into(),
            as_party(&s, S, "GET", &format!("/v1/protected-sites/{id}"), None),
        ),
        (
            "the zone".into(),
            as_party(&s, S, "GET", &format!("/v1/zones/{id}"), None),
        ),
        (
            "the zone's conflicts".into(),
            as_party(&s, S, "GET", &format!("/v1/zones/{id}/conflicts"), None),
        ),
        (
            "a zone query".into(),
            as_party(&s, S, "POST", "/v1/zones/query", Some(&everywhere)),
        ),
        (
            "an operation query".into(),
            as_party(&s, S, "POST", "/v1/operations/query", Some(&everywhere)),
        ),
    ];
    assert!(!seen[0].1.text.contains(&id), "listed: {}", seen[0].1.text);
    for (what, a) in &seen[1..4] {
        assert_eq!(a.status, 404, "{what}: {}", a.text);
    }
    assert!(
        !seen[4].1.text.contains(&id),
        "in a zone query: {}",
        seen[4].1.text
    );

    // A subscription over the area hears nothing of it (its notifier's re-notification).
    let sub = as_party(
        &s,
        S,
        "PUT",
        &format!("/v1/subscriptions/{}", new_id()),
        Some(&everywhere),
    );
    assert!(sub.status == 200 || sub.status == 201, "{}", sub.text);
    let _ = notify_site(&s, &json!({"name": "Clinic, second site"}));

    // Its inbox tells it that a clinic exists, notified by the agency: no name, no place.
    let inbox = as_party(&s, S, "GET", "/v1/inbox", None);
    let told: Vec<&Value> = inbox.body["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["event"]["type"] == "protected_site_notified")
        .collect();
    assert_eq!(told.len(), 2, "{}", inbox.text);
    assert_eq!(told[0]["event"]["category"], "clinic");
    assert_eq!(told[0]["event"]["disclosure"], "conflict-only");
    assert!(told[0]["event"].get("name").is_none(), "{}", inbox.text);
    assert!(
        !inbox.text.contains("entity_changed"),
        "a subscription heard of the site: {}",
        inbox.text
    );
    // Acknowledging it acknowledges its existence and category.
    let n = told[0]["id"].as_u64().expect("an id");
    let ack = as_party(&s, S, "POST", &format!("/v1/inbox/{n}/ack"), None);
    assert_eq!(ack.status, 200, "{}", ack.text);
    seen.push(("the inbox".into(), inbox));

    // Its operation over the site: refused, with the category, the notifier, a reference and
    // its own footprint — which is all the pairs hold.
    let op = [36.5, 35.5, 36.55, 35.55];
    let refused = file_box(&s, S, op);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["title"], "Protected site conflict");
    let detail = refused.body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("category clinic") && detail.contains(R) && detail.contains(&id),
        "{detail}"
    );
    let with = &refused.body["protected"][0]["with"];
    assert_eq!(with["disclosure"], "withheld");
    assert_eq!(with["category"], "clinic");
    assert!(with.get("volumes").is_none() && with.get("coarse_volumes").is_none());
    let ring = &refused.body["protected"][0]["pairs"][0]["intersection"][0];
    let lons: Vec<f64> = ring
        .as_array()
        .expect("a ring")
        .iter()
        .map(|p| p[0].as_f64().expect("lon"))
        .collect();
    assert!(
        lons.iter()
            .all(|x| (*x - 36.5).abs() < 1e-9 || (*x - 36.55).abs() < 1e-9),
        "the pair's footprint is the caller's own: {ring}"
    );
    seen.push(("the refusal".into(), refused));

    // An operation beside it is accepted; the audit log and the overdue list say nothing of
    // where it is.
    let beside = file_box(&s, S, [36.6, 35.6, 36.65, 35.65]);
    assert_eq!(beside.status, 201, "{}", beside.text);
    seen.push(("an accepted write".into(), beside));
    seen.push((
        "the audit log".into(),
        as_party(&s, S, "GET", "/v1/audit?limit=1000", None),
    ));
    seen.push((
        "the overdue list".into(),
        as_party(&s, S, "GET", "/v1/acknowledgements/overdue", None),
    ));
    seen.push((
        "the parties".into(),
        as_party(&s, S, "GET", "/v1/parties", None),
    ));
    seen.push(("the page".into(), call("GET", &url(&s, "/"), None, None)));
    for (what, a) in &seen {
        assert_no_geometry(what, a);
    }
    // The site's owner is not refused over its own site: the key rule asks it to name its
    // own zones (which it sees in full), and then it is accepted.
    let own_path = format!("/v1/operations/{}", new_id());
    let v = box_volume(op[0], op[1], op[2], op[3], (0.0, 3000.0), 1, 2);
    let own = as_party(&s, R, "PUT", &own_path, Some(&json!({"volumes": [v]})));
    assert_eq!(own.body["title"], "Airspace conflict", "{}", own.text);
    let key = own.body["missing_ovns"].clone();
    let own = as_party(
        &s,
        R,
        "PUT",
        &own_path,
        Some(&json!({"volumes": [v], "key": key})),
    );
    assert_eq!(own.status, 201, "{}", own.text);
}

fn a_flagged_site_is_a_conflict_named_without_its_geometry(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let id = notify_site(&s, &json!({"on_conflict": "flag"}));
    let op_id = new_id();
    let path = format!("/v1/operations/{op_id}");
    let v = box_volume(36.5, 35.5, 36.55, 35.55, (0.0, 3000.0), 1, 2);
    let first = as_party(&s, N, "PUT", &path, Some(&json!({"volumes": [v]})));
    assert_eq!(first.status, 409, "{}", first.text);
    assert_eq!(first.body["title"], "Airspace conflict");
    assert_eq!(first.body["missing"][0]["with"]["id"], id.as_str());
    assert_eq!(first.body["missing"][0]["with"]["disclosure"], "withheld");
    assert_no_geometry("the key rule's answer", &first);
    let key = first.body["missing_ovns"].clone();
    let ok = as_party(
        &s,
        N,
        "PUT",
        &path,
        Some(&json!({"volumes": [v], "key": key})),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.body["conflicts"][0]["kind"], "protected");
    assert_no_geometry("the accepted write", &ok);
    let conflicts = as_party(&s, N, "GET", &format!("{path}/conflicts"), None);
    assert_eq!(conflicts.status, 200);
    assert_eq!(conflicts.body["conflicts"][0]["with"]["category"], "clinic");
    assert_no_geometry("the operation's conflicts", &conflicts);
    // The zones API cannot file a zone of that kind around the notice mechanism.
    let forged = as_party(
        &s,
        N,
        "PUT",
        &format!("/v1/zones/{}", new_id()),
        Some(&json!({"zone_kind": "confidential", "volumes": [v]})),
    );
    assert_eq!(forged.status, 403, "{}", forged.text);
}

/// A prober searches for the site by halving a 20 km × 20 km box, filing one small operation per
/// half: each answer (refused or accepted) is one bit. The limit stops it; the notifier is told
/// once; the answers it got hold nothing but its own coordinates.
fn probing_is_limited_and_reported(backend: Backend) {
    const LIMIT: u32 = 6;
    let place = Place::new(backend);
    let limit = LIMIT.to_string();
    let s = Server::start(
        place.dir.path(),
        place.store(),
        &["--no-scenario", "--probe-limit", &limit],
    );
    let id = notify_site(&s, &json!({}));
    // The box: 36.4..36.6 × 35.44..35.62 (about 18 km × 20 km), the site inside.
    let mut b = [36.4, 35.44, 36.6, 35.62];
    let mut answered = 0u32;
    let mut limited = None;
    for step in 0..20u32 {
        // Halve along the longer side; file the lower half.
        let mut half = b;
        if (b[2] - b[0]) * 0.9 >= b[3] - b[1] {
            half[2] = (b[0] + b[2]) / 2.0;
        } else {
            half[3] = (b[1] + b[3]) / 2.0;
        }
        // Each probe in its own hour, so that the prober's accepted ones do not meet.
        let a = file_box_at(&s, S, half, 10 + i64::from(step));
        assert_no_geometry(&format!("probe {step}"), &a);
        match a.status {
            409 => {
                assert_eq!(a.body["title"], "Protected site conflict");
                b = half;
            }
            201 => {
                // Not in the lower half: the upper half holds it.
                if half[2] < b[2] {
                    b[0] = half[2];
                } else {
                    b[1] = half[3];
                }
            }
            429 => {
                assert_eq!(a.body["title"], "Too many checks", "{}", a.text);
                assert!(
                    !a.text.contains(&id),
                    "the limit names the site: {}",
                    a.text
                );
                limited = Some(step);
                break;
            }
            other => panic!("probe {step}: unexpected {other}: {}", a.text),
        }
        answered += 1;
    }
    assert_eq!(
        limited,
        Some(LIMIT),
        "the limit stops the search at its count"
    );
    assert_eq!(answered, LIMIT);
    // What the prober knows: a box of 1/2^LIMIT of the first, still larger than the site.
    let km2 = (b[2] - b[0]) * 90.6 * (b[3] - b[1]) * 110.6;
    assert!(km2 > 1.0, "narrowed to {km2:.2} km² in {LIMIT} answers");
    // Further checks near it stay refused; far from it, the service answers as ever.
    // (Beside the site, 1 km to its south-west: near, not meeting it.)
    let again = file_box(&s, S, [36.49, 35.50, 36.50, 35.51]);
    assert_eq!(again.status, 429, "{}", again.text);
    let far = file_box(&s, S, [37.5, 36.5, 37.55, 36.55]);
    assert_eq!(far.status, 201, "{}", far.text);
    // Other parties are not limited by the prober's count.
    let other = file_box(&s, O, [36.49, 35.50, 36.50, 35.51]);
    assert_eq!(other.status, 201, "{}", other.text);
    // The notifier was told once, naming the prober; the audit log recorded the checks.
    let inbox = as_party(&s, R, "GET", "/v1/inbox", None);
    let told: Vec<&Value> = inbox.body["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["event"]["type"] == "probing_detected")
        .collect();
    assert_eq!(told.len(), 1, "{}", inbox.text);
    assert_eq!(told[0]["event"]["party"], S);
    assert_eq!(told[0]["event"]["site"], id.as_str());
    assert_eq!(told[0]["event"]["checks"], LIMIT + 1);
    let audit = as_party(&s, O, "GET", "/v1/audit?limit=1000", None);
    assert!(
        audit.text.contains("probe"),
        "the audit log records the checks: {}",
        audit.text
    );
}

fn notices_lapse_only_after_everyone_is_told_and_a_grace_period(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(
        place.dir.path(),
        place.store(),
        &[
            "--no-scenario",
            "--reconfirm-lead",
            "3",
            "--protected-grace",
            "4",
            "--validity-check-every",
            "1",
        ],
    );
    let until = chrono::Utc::now() + chrono::Duration::seconds(5);
    let id = new_id();
    let body = json!({
        "name": "Warehouse 4", "category": "warehouse",
        "geometry": {"type": "Point", "coordinates": [36.8, 35.9]}, "radius_m": 500,
        "valid_until": until.to_rfc3339(),
    });
    let put = as_party(
        &s,
        R,
        "PUT",
        &format!("/v1/protected-sites/{id}"),
        Some(&body),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    // An operation from now on over it conflicts (the site protects beyond its validity until
    // its lapse is announced).
    let now_window = |secs: i64| {
        let t0 = chrono::Utc::now() + chrono::Duration::seconds(secs);
        json!({
            "footprint": {"type": "circle", "center": [36.8, 35.9], "radius_m": 300},
            "altitude_lower_m": 0, "altitude_upper_m": 1000,
            "time_start": t0.to_rfc3339(),
            "time_end": (t0 + chrono::Duration::hours(1)).to_rfc3339(),
        })
    };
    let file_now = |by: &str| {
        as_party(
            &s,
            by,
            "PUT",
            &format!("/v1/operations/{}", new_id()),
            Some(&json!({"volumes": [now_window(1)]})),
        )
    };
    assert_eq!(file_now(N).status, 409);

    let events = |by: &str, kind: &str| -> Vec<Value> {
        as_party(&s, by, "GET", "/v1/inbox", None).body["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .filter(|n| n["event"]["type"] == kind)
            .cloned()
            .collect()
    };
    // Asked to reconfirm within the lead.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while events(R, "reconfirmation_due").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no reconfirmation asked"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Not reconfirmed: once its validity has ended every party is told, with the end of the
    // grace period; until then it still protects.
    while events(O, "protected_site_lapsing").is_empty() {
        assert!(std::time::Instant::now() < deadline, "no lapse announced");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let told_at = chrono::Utc::now();
    for party in [N, S, R, O] {
        let e = events(party, "protected_site_lapsing");
        assert_eq!(e.len(), 1, "{party} told once");
        assert_eq!(e[0]["requires_ack"], true);
        let ends: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(e[0]["event"]["protection_ends"].clone()).expect("a time");
        let created: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(e[0]["created_at"].clone()).expect("a time");
        assert!(created >= until, "told after its validity ended");
        assert!(
            ends - created >= chrono::Duration::seconds(4),
            "a grace period after telling"
        );
    }
    let status = as_party(&s, R, "GET", &format!("/v1/protected-sites/{id}"), None);
    assert_eq!(status.body["status"], "lapsing", "{}", status.text);
    assert!(chrono::Utc::now() - told_at < chrono::Duration::seconds(3));
    assert_eq!(
        file_now(N).status,
        409,
        "still protecting in the grace period"
    );
    // After the grace period: no longer protecting.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let status = as_party(&s, R, "GET", &format!("/v1/protected-sites/{id}"), None);
    assert_eq!(status.body["status"], "lapsed", "{}", status.text);
    let after = file_now(N);
    assert_eq!(
        after.status, 201,
        "a lapsed site protects no more: {}",
        after.text
    );
    let op = after.body["operation"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // Only its notifier may reconfirm it; reconfirmed, it protects again and all are told.
    let stranger = as_party(
        &s,
        N,
        "POST",
        &format!("/v1/protected-sites/{id}/reconfirm"),
        Some(&json!({})),
    );
    assert_eq!(stranger.status, 403, "{}", stranger.text);
    let re = as_party(
        &s,
        R,
        "POST",
        &format!("/v1/protected-sites/{id}/reconfirm"),
        Some(&json!({})),
    );
    assert_eq!(re.status, 200, "{}", re.text);
    assert_eq!(re.body["status"], "active");
    assert_eq!(events(S, "protected_site_reconfirmed").len(), 1);
    let conflicts = as_party(
        &s,
        N,
        "GET",
        &format!("/v1/operations/{op}/conflicts"),
        None,
    );
    assert!(
        conflicts.text.contains(&id),
        "protecting again: {}",
        conflicts.text
    );
    // A validity beyond the longest allowed is refused, naming the field.
    let far = as_party(
        &s,
        R,
        "POST",
        &format!("/v1/protected-sites/{id}/reconfirm"),
        Some(&json!({"valid_until": "2099-01-01T00:00:00Z"})),
    );
    assert_eq!(far.status, 400, "{}", far.text);
    assert_eq!(far.body["field"], "valid_until");
}

on_both_stores!(
    conflict_only_sites_are_never_located_by_other_parties,
    a_flagged_site_is_a_conflict_named_without_its_geometry,
    probing_is_limited_and_reported,
    notices_lapse_only_after_everyone_is_told_and_a_grace_period,
);
