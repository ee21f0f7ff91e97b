//! Bulk protected-site lists over HTTP and through the CLI, on both stores: a 200-site CSV
//! import (one notification per other party, whose acknowledgement acknowledges every site),
//! bad rows (every one named by line and field, nothing written), GeoJSON, export → import, and
//! `deconflict sites import` refusing a bad file without sending it.

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

#[macro_use]
mod common;

use std::process::Command;

use common::{Backend, Place, Server, call, call_typed};
use serde_json::{Value, json};

const N: &str = "northern-air-force";
const S: &str = "southern-air-force";
const R: &str = "relief-agency";
const O: &str = "observer-mission";

const HEADER: &str = "name,category,lon,lat,radius_m,valid_until,disclosure";

fn until() -> String {
    (chrono::Utc::now() + chrono::Duration::days(60)).to_rfc3339()
}

fn csv(rows: usize, bad: &[(usize, &str)]) -> String {
    let until = until();
    let mut text = format!("{HEADER}\n");
    for i in 0..rows {
        let lon = 36.0 + (i % 20) as f64 * 0.02;
        let lat = 35.0 + (i / 20) as f64 * 0.02;
        let mut cells = [
            format!("Clinic {i}"),
            "clinic".to_owned(),
            lon.to_string(),
            lat.to_string(),
            "300".to_owned(),
            until.clone(),
            "full".to_owned(),
        ];
        for (row, column) in bad {
            if *row == i {
                let k = HEADER
                    .split(',')
                    .position(|c| c == *column)
                    .expect("a column");
                cells[k] = match *column {
                    "lon" => "east".into(),
                    "radius_m" => "-5".into(),
                    "valid_until" => "2099-01-01T00:00:00Z".into(),
                    "disclosure" => "secret".into(),
                    _ => String::new(),
                };
            }
        }
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

fn import(s: &Server, party: &str, content_type: &str, body: &str) -> common::Answer {
    call_typed(
        "POST",
        &format!("{}/v1/protected-sites/import", s.base),
        Some(&s.token(party)),
        content_type,
        body.as_bytes(),
    )
}

fn list(s: &Server, party: &str) -> Vec<Value> {
    let a = call(
        "GET",
        &format!("{}/v1/protected-sites", s.base),
        Some(&s.token(party)),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["protected_sites"].as_array().expect("sites").clone()
}

fn inbox(s: &Server, party: &str) -> Vec<Value> {
    let a = call(
        "GET",
        &format!("{}/v1/inbox", s.base),
        Some(&s.token(party)),
        None,
    );
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["notifications"].as_array().expect("inbox").clone()
}

fn a_csv_list_is_imported_in_one_act(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let a = import(&s, R, "text/csv", &csv(200, &[]));
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(
        (a.body["count"].as_u64(), a.body["created"].as_u64()),
        (Some(200), Some(200))
    );
    let batch = a.body["batch"].as_str().expect("a batch").to_owned();
    let ids: Vec<String> = a.body["sites"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(list(&s, N).len(), 200);
    // Every other party: exactly one notification for the list, none per site.
    for party in [N, S, O] {
        let notes = inbox(&s, party);
        let batch_notes: Vec<&Value> = notes
            .iter()
            .filter(|n| n["event"]["type"] == "protected_sites_imported")
            .collect();
        assert_eq!(batch_notes.len(), 1, "{party}");
        assert_eq!(batch_notes[0]["event"]["batch"], batch.as_str());
        assert_eq!(batch_notes[0]["event"]["count"], 200);
        assert_eq!(batch_notes[0]["requires_ack"], true);
        assert!(
            !notes
                .iter()
                .any(|n| n["event"]["type"] == "protected_site_notified"),
            "{party}: no notification per site"
        );
    }
    // The northern force acknowledges it: every site shows its acknowledgement.
    let note = inbox(&s, N)
        .into_iter()
        .find(|n| n["event"]["type"] == "protected_sites_imported")
        .expect("the batch notification");
    let ack = call(
        "POST",
        &format!("{}/v1/inbox/{}/ack", s.base, note["id"]),
        Some(&s.token(N)),
        None,
    );
    assert_eq!(ack.status, 200, "{}", ack.text);
    for id in &ids {
        let site = call(
            "GET",
            &format!("{}/v1/protected-sites/{id}", s.base),
            Some(&s.token(R)),
            None,
        );
        assert_eq!(site.status, 200, "{}", site.text);
        assert!(
            site.body["acknowledgements"][N].is_string(),
            "{}",
            site.text
        );
        assert!(site.body["acknowledgements"][S].is_null(), "{}", site.text);
    }
    // Importing the same list again (another validity): new versions of the same sites, not
    // duplicates.
    let again = import(&s, R, "text/csv", &csv(20, &[]));
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["updated"], 20, "{}", again.text);
    assert_eq!(list(&s, N).len(), 200);
}

fn bad_rows_are_each_named_and_nothing_is_written(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let before = list(&s, R).len();
    // Parser errors: every one, with its line (the header is line 1) and field.
    let a = import(
        &s,
        R,
        "text/csv",
        &csv(
            50,
            &[(3, "lon"), (10, "disclosure"), (10, "lon"), (41, "name")],
        ),
    );
    assert_eq!(a.status, 422, "{}", a.text);
    let got: Vec<(u64, String)> = a.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("a line"),
                e["field"].as_str().expect("a field").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(5, "lon".into()), (12, "lon".into()), (43, "name".into())],
        "{}",
        a.text
    );
    // The service's errors too (validity beyond the limit, a negative radius), reported with
    // the parser's (line 27) at once.
    let a = import(
        &s,
        R,
        "text/csv",
        &csv(30, &[(7, "valid_until"), (20, "radius_m"), (25, "lon")]),
    );
    assert_eq!(a.status, 422, "{}", a.text);
    let errors = a.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 3, "{}", a.text);
    assert_eq!(
        (errors[2]["line"].as_u64(), errors[2]["field"].as_str()),
        (Some(27), Some("lon"))
    );
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["field"].as_str()),
        (Some(9), Some("valid_until"))
    );
    assert_eq!(errors[1]["line"].as_u64(), Some(22), "{}", a.text);
    assert_eq!(list(&s, R).len(), before, "nothing was written");
    assert!(
        !inbox(&s, N)
            .iter()
            .any(|n| n["event"]["type"] == "protected_sites_imported"),
        "nobody was told"
    );
    // Not CSV nor GeoJSON: 415.
    let a = import(&s, R, "text/plain", "x");
    assert_eq!(a.status, 415, "{}", a.text);
}

fn geojson_and_a_round_trip(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let until = until();
    let doc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.1, 35.1]},
         "properties": {"name": "School", "category": "school", "radius_m": 150,
                        "valid_until": until}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
            [[[36.2, 35.2], [36.21, 35.2], [36.21, 35.21], [36.2, 35.21], [36.2, 35.2]]]},
         "properties": {"name": "Camp", "category": "camp", "valid_until": until}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates":
            [[36.3, 35.3], [36.4, 35.35]]},
         "properties": {"name": "Convoy", "category": "convoy",
            "windows": [{"start": until, "end": until}], "valid_until": until}},
    ]});
    // The convoy has no corridor width: the feature index is named.
    let a = import(&s, R, "application/geo+json", &doc.to_string());
    assert_eq!(a.status, 422, "{}", a.text);
    assert_eq!(a.body["errors"][0]["feature"], 2, "{}", a.text);
    assert_eq!(a.body["errors"][0]["field"], "geometry", "{}", a.text);
    let mut doc = doc;
    doc["features"][2]["properties"]["corridor_width_m"] = json!(400);
    doc["features"][2]["properties"]["windows"] = json!([{
        "start": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "end": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
    }]);
    let a = import(&s, R, "application/geo+json", &doc.to_string());
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["count"], 3);
    let b = import(&s, R, "text/csv", &csv(5, &[]));
    assert_eq!(b.status, 201, "{}", b.text);
    // Export → import: as CSV and as GeoJSON, the caller's own sites come back as new versions.
    for (format, content_type) in [("csv", "text/csv"), ("geojson", "application/geo+json")] {
        let e = call(
            "GET",
            &format!("{}/v1/protected-sites/export?format={format}", s.base),
            Some(&s.token(R)),
            None,
        );
        assert_eq!(e.status, 200, "{}", e.text);
        let back = import(&s, R, content_type, &e.text);
        assert_eq!(back.status, 201, "{format}: {}", back.text);
        assert_eq!(
            (back.body["count"].as_u64(), back.body["updated"].as_u64()),
            (Some(8), Some(8)),
            "{format}: {}",
            back.text
        );
    }
    let sites = list(&s, R);
    assert_eq!(sites.len(), 8);
    let convoy = sites
        .iter()
        .find(|x| x["name"] == "Convoy")
        .expect("the convoy");
    assert_eq!(convoy["kind"], "movement");
    assert_eq!(convoy["version"], 3, "two round trips: two new versions");
    // Another party re-importing them: every row is refused (another party's sites).
    let e = call(
        "GET",
        &format!("{}/v1/protected-sites/export?format=csv", s.base),
        Some(&s.token(N)),
        None,
    );
    let theirs = import(&s, N, "text/csv", &e.text);
    assert_eq!(theirs.status, 422, "{}", theirs.text);
    assert_eq!(theirs.body["errors"].as_array().map(Vec::len), Some(8));
    assert_eq!(theirs.body["errors"][0]["field"], "id");
}

fn the_cli_checks_before_sending(backend: Backend) {
    let place = Place::new(backend);
    let s = Server::start(place.dir.path(), place.store(), &["--no-scenario"]);
    let dir = tempfile::tempdir().expect("a temp dir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, csv(40, &[(2, "lon"), (30, "disclosure")])).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["sites", "import"])
        .arg(&bad)
        .args(["--url", &s.base, "--token", &s.token(R)])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2 row errors, nothing imported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4, field lon: must be a number"),
        "{stderr}"
    );
    assert!(stderr.contains("line 32, field disclosure:"), "{stderr}");
    assert!(list(&s, R).is_empty(), "nothing was sent");
    // A row only the server can refuse: reported the same way.
    std::fs::write(&bad, csv(40, &[(5, "valid_until")])).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["sites", "import"])
        .arg(&bad)
        .args(["--url", &s.base, "--token", &s.token(R)])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 7, field valid_until:"), "{stderr}");
    // A good file: imported; then exported by the CLI.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, csv(40, &[])).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["sites", "import"])
        .arg(&good)
        .args(["--url", &s.base, "--token", &s.token(R)])
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 40 sites"));
    let exported = dir.path().join("out.geojson");
    let out = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["sites", "export", "--format", "geojson", "--url", &s.base])
        .args(["--token", &s.token(N), "--out"])
        .arg(&exported)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let doc: Value =
        serde_json::from_slice(&std::fs::read(&exported).expect("read")).expect("JSON");
    assert_eq!(doc["features"].as_array().map(Vec::len), Some(40));
}

on_both_stores!(
    a_csv_list_is_imported_in_one_act,
    bad_rows_are_each_named_and_nothing_is_written,
    geojson_and_a_round_trip,
    the_cli_checks_before_sending,
);
