//! Violation reports over HTTP against the real binary, on both stores: matching to the
//! agreements in force at the report's place and time, incident grouping (and the merge of two
//! groups a report bridges), the alleged party's notification (inbox and webhook), the review
//! workflow, the daily tallies as JSON and CSV, and bad input refused naming the field.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use common::{Answer, Backend, Place, Server, call, new_id};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";
const O: &str = "observer-mission";

fn area() -> Value {
    json!({"type": "Polygon", "coordinates": [[[38.5, 35.5], [38.7, 35.5], [38.7, 35.7], [38.5, 35.7], [38.5, 35.5]]]})
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

/// A report body: `location` with `uncertainty_m` (for a point), observed `[start, end)`.
fn body(
    location: Value,
    uncertainty_m: Option<f64>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    category: &str,
    alleged: Option<&str>,
) -> Value {
    let mut b = json!({
        "observed_start": rfc(start), "observed_end": rfc(end),
        "location": location, "category": category,
        "provenance": [
            {"kind": "official_statement", "name": "Ministry of Defence",
             "published_at": rfc(end), "quote": "Artillery fire was reported in the district."},
            {"kind": "news_agency", "name": "Regional News Agency",
             "url": "https://news.example/item/1", "published_at": rfc(end + Duration::hours(1))}
        ],
        "evidence": ["https://evidence.example/photo/1"],
        "description": "Impacts heard and seen near the road junction.",
    });
    if let Some(u) = uncertainty_m {
        b["uncertainty_m"] = json!(u);
    }
    if let Some(a) = alleged {
        b["alleged_party"] = json!(a);
    }
    b
}

fn file(s: &Server, by: &str, id: Option<&str>, mut b: Value) -> Answer {
    if let Some(id) = id {
        b["id"] = json!(id);
    }
    call(
        "POST",
        &format!("{}/v1/reports", s.base),
        Some(&s.token(by)),
        Some(&b),
    )
}

/// Files and returns the report, asserting 201.
fn filed(s: &Server, by: &str, b: Value) -> Value {
    let a = file(s, by, Some(&new_id()), b);
    assert_eq!(a.status, 201, "{}", a.text);
    a.body
}

fn get(s: &Server, by: &str, path: &str) -> Answer {
    call(
        "GET",
        &format!("{}{path}", s.base),
        Some(&s.token(by)),
        None,
    )
}

fn review(s: &Server, by: &str, id: &str, status: &str, reason: &str) -> Answer {
    call(
        "POST",
        &format!("{}/v1/reports/{id}/status", s.base),
        Some(&s.token(by)),
        Some(&json!({"status": status, "reason": reason})),
    )
}

fn inbox_events(s: &Server, party: &str) -> Vec<Value> {
    let a = get(s, party, "/v1/inbox");
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

/// Proposes the agreement over [`area`] between N and S and puts it in force; returns its id
/// and the time it entered into force.
fn agreement_in_force(s: &Server) -> (String, DateTime<Utc>) {
    let id = new_id();
    let p = call(
        "POST",
        &format!("{}/v1/ceasefires", s.base),
        Some(&s.token(N)),
        Some(&json!({
            "id": id, "name": "District ceasefire", "terms": "No fire into the district.",
            "area": area(), "window_start": rfc(Utc::now() - Duration::hours(1)),
            "window_end": rfc(Utc::now() + Duration::hours(72)), "signatories": [N, S],
        })),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    for party in [N, S] {
        let a = call(
            "POST",
            &format!("{}/v1/ceasefires/{id}/accept", s.base),
            Some(&s.token(party)),
            Some(&json!({})),
        );
        assert_eq!(a.status, 200, "{}", a.text);
        if party == S {
            assert_eq!(a.body["status"], "in_force");
            let from = a.body["in_force_from"].as_str().expect("in force from");
            let from = DateTime::parse_from_rfc3339(from).expect("a time").to_utc();
            return (id, from);
        }
    }
    unreachable!("S accepted")
}

type Hooks = Arc<Mutex<Vec<Value>>>;

/// A loopback webhook receiver answering 200; records each request's JSON body.
fn receiver() -> (String, Hooks) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got: Hooks = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
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

fn ids(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn reports_are_matched_to_the_agreements_in_force_at_their_place_and_time(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let (agreement, t) = agreement_in_force(&s);

    // The alleged party watches the district with a webhook.
    let (url, hooks) = receiver();
    let sub = call(
        "PUT",
        &format!("{}/v1/subscriptions/{}", s.base, new_id()),
        Some(&s.token(S)),
        Some(&json!({"volumes": [{
            "footprint": {"type": "circle", "center": [38.6, 35.6], "radius_m": 20000.0},
            "altitude_lower_m": 0.0, "altitude_upper_m": 10000.0,
            "time_start": rfc(Utc::now()), "time_end": rfc(Utc::now() + Duration::hours(24))}],
            "callback_url": url})),
    );
    assert_eq!(sub.status, 201, "{}", sub.text);

    // Inside the area while it is in force: matched.
    let inside = filed(
        &s,
        R,
        body(
            point(38.6, 35.6),
            Some(500.0),
            t,
            t + Duration::minutes(1),
            "shelling",
            Some(S),
        ),
    );
    assert_eq!(inside["agreements"], json!([agreement]), "{inside}");
    assert_eq!(inside["status"], "reported");
    assert_eq!(inside["reporter"], R);
    assert_eq!(inside["location"], point(38.6, 35.6));
    assert_eq!(inside["uncertainty_m"], 500.0);
    assert_eq!(inside["group"], inside["id"], "the first of its group");
    assert_eq!(inside["provenance"][1]["kind"], "news_agency");
    // A polygon overlapping the area's edge, same time: matched, and of the same incident.
    let edge = filed(
        &s,
        N,
        body(
            json!({"type": "Polygon", "coordinates": [[[38.65, 35.55], [38.75, 35.55], [38.75, 35.65], [38.65, 35.65], [38.65, 35.55]]]}),
            None,
            t,
            t + Duration::minutes(2),
            "shelling",
            Some(S),
        ),
    );
    assert_eq!(edge["agreements"], json!([agreement]), "{edge}");
    assert_eq!(edge["group"], inside["id"]);
    assert!(edge["uncertainty_m"].is_null());
    // The same place before it entered into force: not matched.
    let before = filed(
        &s,
        R,
        body(
            point(38.6, 35.6),
            Some(500.0),
            t - Duration::hours(3),
            t - Duration::hours(2),
            "shelling",
            Some(S),
        ),
    );
    assert_eq!(before["agreements"], json!([]), "{before}");
    // Outside the area while it is in force: not matched.
    let outside = filed(
        &s,
        R,
        body(
            point(39.5, 35.6),
            Some(500.0),
            t,
            t + Duration::minutes(1),
            "shelling",
            Some(S),
        ),
    );
    assert_eq!(outside["agreements"], json!([]), "{outside}");
    assert_ne!(outside["group"], inside["group"], "80 km away");

    // An id the server chooses; a taken id is refused.
    let mut anonymous = body(
        point(38.6, 35.6),
        Some(50.0),
        t,
        t + Duration::minutes(1),
        "other",
        None,
    );
    anonymous["id"] = Value::Null;
    let a = file(&s, O, None, anonymous);
    assert_eq!(a.status, 201, "{}", a.text);
    let anonymous_id = a.body["id"].as_str().expect("an id").to_owned();
    assert!(uuid::Uuid::parse_str(&anonymous_id).is_ok());
    assert_eq!(a.body["agreements"], json!([agreement]));
    let again = file(
        &s,
        O,
        inside["id"].as_str(),
        body(
            point(38.6, 35.6),
            Some(50.0),
            t,
            t + Duration::minutes(1),
            "other",
            None,
        ),
    );
    assert_eq!(again.status, 409, "{}", again.text);

    // Read back, and listed by agreement, category, alleged party and status, with paging.
    let id = inside["id"].as_str().expect("id");
    let one = get(&s, N, &format!("/v1/reports/{id}"));
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body, inside);
    assert_eq!(get(&s, N, &format!("/v1/reports/{}", new_id())).status, 404);
    let by_agreement = get(&s, N, &format!("/v1/reports?agreement={agreement}"));
    assert_eq!(
        ids(&by_agreement.body),
        sorted(vec![
            id.to_owned(),
            edge["id"].as_str().expect("id").to_owned(),
            anonymous_id.clone(),
        ])
    );
    let alleging_s = get(
        &s,
        N,
        &format!("/v1/reports?alleged_party={S}&category=shelling&status=reported"),
    );
    assert_eq!(ids(&alleging_s.body).len(), 4, "{}", alleging_s.text);
    let first = get(&s, N, "/v1/reports?limit=2");
    assert_eq!(first.body["reports"].as_array().expect("a page").len(), 2);
    let next = first.body["next"].as_str().expect("a next page");
    let rest = get(&s, N, &format!("/v1/reports?limit=10&after={next}"));
    assert_eq!(rest.body["reports"].as_array().expect("a page").len(), 3);
    assert!(rest.body["next"].is_null());

    // The alleged party is told, to acknowledge; the reporter is not; nobody for a report that
    // names no one.
    let told: Vec<Value> = inbox_events(&s, S)
        .into_iter()
        .filter(|e| e["type"] == "violation_reported")
        .collect();
    assert_eq!(told.len(), 4, "{told:?}");
    let about_inside = told.iter().find(|e| e["report"] == id).expect("told of it");
    assert_eq!(about_inside["category"], "shelling");
    assert_eq!(about_inside["reporter"], R);
    assert_eq!(about_inside["alleged_party"], S);
    assert_eq!(about_inside["agreements"], json!([agreement]));
    assert_eq!(about_inside["requires_ack"], true);
    for p in [R, N, O] {
        assert!(
            inbox_events(&s, p)
                .iter()
                .all(|e| e["type"] != "violation_reported"),
            "{p} is not told"
        );
    }
    // ... and by webhook.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = hooks.lock().expect("lock").clone();
        let reported: Vec<&Value> = got
            .iter()
            .filter(|b| b["event"]["type"] == "violation_reported")
            .collect();
        if reported.len() == 4 {
            assert!(reported.iter().all(|b| b["recipient"] == S));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the webhook got {got:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Tallies of the agreement: its rows only.
    let day = t.date_naive();
    let tallies = get(
        &s,
        N,
        &format!("/v1/reports/tallies?from={day}&to={day}&agreement={agreement}"),
    );
    assert_eq!(tallies.status, 200, "{}", tallies.text);
    assert_eq!(
        tallies.body["tallies"],
        json!([
            {"day": day.to_string(), "agreement": agreement, "category": "other",
             "alleged_party": null, "reports": 1, "incidents": 1},
            {"day": day.to_string(), "agreement": agreement, "category": "shelling",
             "alleged_party": S, "reports": 2, "incidents": 1},
        ])
    );
}

fn reports_of_one_incident_are_grouped(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let day = (Utc::now() - Duration::days(10)).date_naive();
    let h = |hours: i64, minutes: i64| {
        day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
            + Duration::hours(hours)
            + Duration::minutes(minutes)
    };
    let report = |lon: f64, lat: f64, u: f64, from: DateTime<Utc>, category: &str, alleged| {
        body(
            point(lon, lat),
            Some(u),
            from,
            from + Duration::hours(1),
            category,
            alleged,
        )
    };
    // 0.1° of latitude is about 11.1 km.
    let g1 = filed(
        &s,
        R,
        report(37.0, 36.0, 100.0, h(1, 0), "shelling", Some(S)),
    );
    let g2 = filed(
        &s,
        N,
        report(37.0, 36.2, 100.0, h(1, 30), "shelling", Some(S)),
    );
    assert_ne!(g1["group"], g2["group"], "22 km apart");
    let other_kind = filed(
        &s,
        R,
        report(37.0, 36.0, 100.0, h(1, 0), "air_strike", Some(N)),
    );
    assert_eq!(other_kind["group"], other_kind["id"], "another category");
    let later = filed(&s, R, report(37.0, 36.0, 100.0, h(8, 1), "shelling", None));
    assert_eq!(
        later["group"], later["id"],
        "6 h 1 min after the first ended"
    );
    // Within 10 km of both (11.1 km less 100 m and 1.5 km of uncertainty): the groups merge
    // into the one with the smallest id.
    let bridge = filed(
        &s,
        O,
        report(37.0, 36.1, 1500.0, h(1, 0), "shelling", Some(S)),
    );
    let smallest = g1["id"]
        .as_str()
        .min(g2["id"].as_str())
        .expect("ids")
        .to_owned();
    assert_eq!(bridge["group"], smallest.as_str());
    for r in [&g1, &g2] {
        let now = get(
            &s,
            N,
            &format!("/v1/reports/{}", r["id"].as_str().expect("id")),
        );
        assert_eq!(now.body["group"], smallest.as_str(), "{}", now.text);
    }
    for r in [&other_kind, &later] {
        let now = get(
            &s,
            N,
            &format!("/v1/reports/{}", r["id"].as_str().expect("id")),
        );
        assert_eq!(now.body["group"], r["id"], "{}", now.text);
    }
    let next_day = filed(
        &s,
        R,
        report(37.0, 36.0, 100.0, h(36, 0), "ground_clash", None),
    );
    assert_eq!(next_day["group"], next_day["id"]);

    // Tallies: exact rows, JSON and CSV.
    let d = day.to_string();
    let d1 = (day + Duration::days(1)).to_string();
    let expected = |shelling_s: u64| {
        json!([
            {"day": d, "agreement": null, "category": "air_strike", "alleged_party": N, "reports": 1, "incidents": 1},
            {"day": d, "agreement": null, "category": "shelling", "alleged_party": null, "reports": 1, "incidents": 1},
            {"day": d, "agreement": null, "category": "shelling", "alleged_party": S, "reports": shelling_s, "incidents": 1},
            {"day": d1, "agreement": null, "category": "ground_clash", "alleged_party": null, "reports": 1, "incidents": 1},
        ])
    };
    let path = format!("/v1/reports/tallies?from={d}&to={d1}");
    let json_tallies = get(&s, N, &path);
    assert_eq!(json_tallies.status, 200, "{}", json_tallies.text);
    assert_eq!(json_tallies.body["tallies"], expected(3));
    assert_eq!(json_tallies.body["from"], d.as_str());
    let csv = get(&s, N, &format!("{path}&format=csv"));
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    assert_eq!(parse_csv(&csv.text), as_csv_rows(&expected(3)));
    // By Accept too.
    let accepted = get_accept(&s, N, &path, "text/csv");
    assert_eq!(accepted, csv.text);
    // One day only.
    let first_day = get(&s, N, &format!("/v1/reports/tallies?from={d}&to={d}"));
    assert_eq!(first_day.body["tallies"].as_array().expect("rows").len(), 3);

    // A dismissed report is not counted.
    let id = g2["id"].as_str().expect("id");
    assert_eq!(
        review(&s, O, id, "under_review", "Checking sources").status,
        200
    );
    assert_eq!(
        review(&s, O, id, "dismissed", "Duplicate of an earlier report").status,
        200
    );
    let after = get(&s, N, &path);
    assert_eq!(after.body["tallies"], expected(2));
}

/// A `GET` with an `Accept` header; the body as text.
fn get_accept(s: &Server, by: &str, path: &str, accept: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .get(format!("{}{path}", s.base))
        .header("Authorization", format!("Bearer {}", s.token(by)))
        .header("Accept", accept)
        .call()
        .expect("the server answers");
    assert_eq!(resp.status().as_u16(), 200);
    resp.body_mut().read_to_string().expect("a body")
}

/// A CSV document (RFC 4180: quoted fields, doubled quotes, CRLF) as rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CRLF line ends"),
            (false, '\n') => panic!("a bare LF: lines end with CRLF"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        }
    }
    assert!(
        row.is_empty() && field.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

fn as_csv_rows(tallies: &Value) -> Vec<Vec<String>> {
    let columns = [
        "day",
        "agreement",
        "category",
        "alleged_party",
        "reports",
        "incidents",
    ];
    let mut rows = vec![columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()];
    for t in tallies.as_array().expect("rows") {
        rows.push(
            columns
                .iter()
                .map(|c| match &t[c] {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .collect(),
        );
    }
    rows
}

fn reviewers_move_reports_through_the_workflow(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let t = Utc::now() - Duration::hours(2);
    let r = filed(
        &s,
        R,
        body(
            point(37.0, 36.0),
            Some(100.0),
            t,
            t + Duration::hours(1),
            "drone_strike",
            Some(S),
        ),
    );
    let id = r["id"].as_str().expect("id");

    // Reviewers only: the parties' tokens lack the scope.
    for p in [S, N, R] {
        let a = review(&s, p, id, "under_review", "x");
        assert_eq!(a.status, 403, "{}", a.text);
        assert_eq!(a.body["scope"], "deconflict.review");
    }
    // No skipping a step; a reason is required; the status is one of the workflow's.
    let skip = review(&s, O, id, "confirmed", "Corroborated");
    assert_eq!(skip.status, 409, "{}", skip.text);
    assert_eq!(skip.body["title"], "Invalid state");
    let blank = review(&s, O, id, "under_review", "  ");
    assert_eq!(
        (blank.status, blank.body["field"].clone()),
        (400, json!("reason"))
    );
    let bogus = review(&s, O, id, "closed", "x");
    assert_eq!(
        (bogus.status, bogus.body["field"].clone()),
        (400, json!("status"))
    );

    let a = review(&s, O, id, "under_review", "Two independent sources");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "under_review");
    let back = review(&s, O, id, "reported", "x");
    assert_eq!(back.status, 409, "{}", back.text);
    let b = review(
        &s,
        O,
        id,
        "confirmed",
        "Crater and fragments documented on site",
    );
    assert_eq!(b.status, 200, "{}", b.text);
    let again = review(&s, O, id, "dismissed", "x");
    assert_eq!(again.status, 409, "{}", again.text);

    let now = get(&s, N, &format!("/v1/reports/{id}"));
    assert_eq!(now.body["status"], "confirmed");
    let history = now.body["history"].as_array().expect("a history");
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["from"], "reported");
    assert_eq!(history[0]["to"], "under_review");
    assert_eq!(history[1]["from"], "under_review");
    assert_eq!(history[1]["to"], "confirmed");
    assert_eq!(history[1]["by"], O);
    assert_eq!(
        history[1]["reason"],
        "Crater and fragments documented on site"
    );
    assert!(history[1]["at"].is_string());
    assert_eq!(now.body["version"], 3);
    let confirmed = get(&s, N, "/v1/reports?status=confirmed");
    assert_eq!(ids(&confirmed.body), vec![id.to_owned()]);

    // A reviewer does not review its own report.
    let own = filed(
        &s,
        O,
        body(
            point(37.0, 36.0),
            Some(100.0),
            t,
            t + Duration::hours(1),
            "other",
            None,
        ),
    );
    let a = review(&s, O, own["id"].as_str().expect("id"), "under_review", "x");
    assert_eq!(a.status, 403, "{}", a.text);
    assert_eq!(review(&s, O, &new_id(), "under_review", "x").status, 404);
}

fn bad_input_is_refused_naming_the_field(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let t = Utc::now() - Duration::hours(2);
    let good = || {
        body(
            point(37.0, 36.0),
            Some(100.0),
            t,
            t + Duration::hours(1),
            "shelling",
            Some(S),
        )
    };
    let ok = file(&s, R, None, good());
    assert_eq!(ok.status, 201, "{}", ok.text);
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        ("category", Box::new(|b| b["category"] = json!("looting"))),
        (
            "observed_end",
            Box::new(move |b| b["observed_end"] = json!(rfc(t - Duration::hours(1)))),
        ),
        (
            "observed_start",
            Box::new(|b| {
                b["observed_start"] = json!(rfc(Utc::now() + Duration::hours(2)));
                b["observed_end"] = json!(rfc(Utc::now() + Duration::hours(3)));
            }),
        ),
        (
            "location",
            Box::new(|b| {
                b["location"] =
                    json!({"type": "LineString", "coordinates": [[37.0, 36.0], [37.1, 36.0]]})
            }),
        ),
        (
            "location",
            Box::new(|b| b["location"] = json!({"type": "Point"})),
        ),
        (
            "location.coordinates[1]",
            Box::new(|b| b["location"] = point(37.0, 95.0)),
        ),
        (
            "uncertainty_m",
            Box::new(|b| b["uncertainty_m"] = json!(0.0)),
        ),
        (
            "uncertainty_m",
            Box::new(|b| {
                b.as_object_mut()
                    .expect("an object")
                    .remove("uncertainty_m");
            }),
        ),
        (
            "location.coordinates[0]",
            Box::new(|b| {
                b["location"] = json!({"type": "Polygon", "coordinates": [[[37.0, 36.0], [37.1, 36.1], [37.1, 36.0], [37.0, 36.1], [37.0, 36.0]]]});
                b.as_object_mut()
                    .expect("an object")
                    .remove("uncertainty_m");
            }),
        ),
        ("provenance", Box::new(|b| b["provenance"] = json!([]))),
        (
            "provenance[0].kind",
            Box::new(|b| b["provenance"][0]["kind"] = json!("rumour")),
        ),
        (
            "provenance[1].name",
            Box::new(|b| b["provenance"][1]["name"] = json!(" ")),
        ),
        (
            "provenance[1].url",
            Box::new(|b| b["provenance"][1]["url"] = json!("news.example")),
        ),
        (
            "provenance[1].published_at",
            Box::new(move |b| {
                b["provenance"][1]["published_at"] = json!(rfc(t - Duration::days(1)))
            }),
        ),
        (
            "evidence[0]",
            Box::new(|b| b["evidence"] = json!(["ftp://evidence.example/x"])),
        ),
        (
            "alleged_party",
            Box::new(|b| b["alleged_party"] = json!("no-such-party")),
        ),
        (
            "alleged_party",
            Box::new(|b| b["alleged_party"] = json!("not a party id")),
        ),
    ];
    for (field, change) in cases {
        let mut b = good();
        change(&mut b);
        let a = file(&s, R, None, b.clone());
        assert_eq!(a.status, 400, "{field}: {b} → {}", a.text);
        assert_eq!(a.body["field"], field, "{}", a.text);
        assert_eq!(a.content_type, "application/problem+json");
    }
    let listed = get(&s, N, "/v1/reports");
    assert_eq!(
        listed.body["reports"].as_array().expect("reports").len(),
        1,
        "nothing else was written"
    );

    for (path, field) in [
        ("/v1/reports?status=closed", "status"),
        ("/v1/reports?agreement=nope", "agreement"),
        ("/v1/reports?limit=0", "limit"),
        ("/v1/reports/tallies?from=2026-13-01&to=2026-12-01", "from"),
        ("/v1/reports/tallies?to=2026-12-01", "from"),
        ("/v1/reports/tallies?from=2026-12-02&to=2026-12-01", "to"),
        (
            "/v1/reports/tallies?from=2026-12-01&to=2026-12-01&format=xml",
            "format",
        ),
    ] {
        let a = get(&s, N, path);
        assert_eq!(a.status, 400, "{path}: {}", a.text);
        assert_eq!(a.body["field"], field, "{path}: {}", a.text);
    }
    // The scope: the admin token cannot file.
    let admin = file(&s, "demo-admin", None, good());
    assert_eq!(admin.status, 403, "{}", admin.text);
}

on_both_stores!(
    reports_are_matched_to_the_agreements_in_force_at_their_place_and_time,
    reports_of_one_incident_are_grouped,
    reviewers_move_reports_through_the_workflow,
    bad_input_is_refused_naming_the_field,
);
