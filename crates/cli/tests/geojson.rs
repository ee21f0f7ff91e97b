//! `deconflict check`, `import` and `export` against the real binary: conflicts among the
//! features of a file, refusals that name the feature and the field, the whole-file refusal that
//! writes nothing, the round trip through a data directory, the directory lock, and a
//! 10,000-feature import.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "the helpers of these tests fail the test when a fixture cannot be set up or an \
              output is not of the documented shape"
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The namespace of the UUID v5 of feature ids that are not UUIDs, as `geojson.rs` documents it.
const FEATURE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_0c2e_4a7b_5c3d_9e8f_1a2b_3c4d_5e6f);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn deconflict(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(args)
        .env_remove("DECONFLICT_DATA")
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/geojson")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

fn import(file: &str, data: &Path, party: &str) -> Run {
    deconflict(&["import", file, "--data", path(data), "--party", party])
}

/// `export` to standard output, parsed.
fn export(data: &Path) -> Value {
    let run = deconflict(&["export", "--data", path(data)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("export writes JSON")
}

fn features(collection: &Value) -> &Vec<Value> {
    assert_eq!(collection["type"], "FeatureCollection");
    collection["features"].as_array().expect("a features array")
}

/// The entity id of a feature id as written: a UUID as it is, other text as its UUID v5.
fn entity_id(text: &str) -> String {
    Uuid::parse_str(text)
        .unwrap_or_else(|_| Uuid::new_v5(&FEATURE_ID_NAMESPACE, text.as_bytes()))
        .to_string()
}

fn id_text(feature: &Value) -> String {
    let id = if feature["properties"]["id"].is_null() {
        &feature["id"]
    } else {
        &feature["properties"]["id"]
    };
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One volume, normalised: footprint, band, window (times as instants).
#[derive(Debug, PartialEq)]
struct Vol {
    footprint: Value,
    lower: f64,
    upper: f64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The volumes a feature declares, whichever of the documented shapes it uses.
fn volumes(feature: &Value) -> Vec<Vol> {
    let g = &feature["geometry"];
    let members: Vec<Value> = match g["type"].as_str() {
        Some("Polygon" | "Point") => vec![g.clone()],
        Some("MultiPolygon") => g["coordinates"]
            .as_array()
            .expect("polygons")
            .iter()
            .map(|c| json!({"type": "Polygon", "coordinates": c}))
            .collect(),
        Some("GeometryCollection") => g["geometries"].as_array().expect("members").clone(),
        other => panic!("unexpected geometry {other:?}"),
    };
    let p = &feature["properties"];
    members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let get = |key: &str| {
                let own = &p["volumes"][i][key];
                if own.is_null() {
                    p[key].clone()
                } else {
                    own.clone()
                }
            };
            let time = |key: &str| {
                DateTime::parse_from_rfc3339(get(key).as_str().expect("a time"))
                    .expect("RFC 3339")
                    .with_timezone(&Utc)
            };
            let footprint = if m["type"] == "Point" {
                json!({"center": m["coordinates"], "radius_m": get("radius_m").as_f64()})
            } else {
                json!({"ring": m["coordinates"]})
            };
            Vol {
                footprint,
                lower: get("altitude_lower_m").as_f64().expect("a number"),
                upper: get("altitude_upper_m").as_f64().expect("a number"),
                start: time("time_start"),
                end: time("time_end"),
            }
        })
        .collect()
}

#[test]
fn check_lists_both_ids_of_overlapping_features_and_exits_1() {
    let file = fixture("overlapping.geojson");
    let run = deconflict(&["check", &file]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "conflict: feature 0 (id \"north-patrol\") and feature 1 (id \"south-patrol\")"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("2026-07-06T07:00:00Z to 2026-07-06T08:00:00Z, 2500 m to 3000 m"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("far-away"), "{}", run.stdout);
    assert!(run.stdout.contains("1 conflict among 3 features"));

    let run = deconflict(&["check", "--json", &file]);
    assert_eq!(run.code, Some(1));
    let body: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(body["features"], 3);
    let conflicts = body["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["a"]["id"], "north-patrol");
    assert_eq!(conflicts[0]["b"]["id"], "south-patrol");
    assert_eq!(conflicts[0]["b"]["entity_id"], entity_id("south-patrol"));
    assert_eq!(
        conflicts[0]["pairs"],
        json!([{
            "a_volume": 0, "b_volume": 0,
            "time_start": "2026-07-06T07:00:00Z", "time_end": "2026-07-06T08:00:00Z",
            "altitude_lower_m": 2500.0, "altitude_upper_m": 3000.0, "touching_only": false
        }])
    );
}

#[test]
fn check_exits_0_when_windows_and_bands_only_abut() {
    let run = deconflict(&["check", &fixture("disjoint.geojson")]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no conflicts among 3 features"));
}

#[test]
fn check_exits_2_naming_the_invalid_feature_and_field() {
    let run = deconflict(&["check", &fixture("invalid.geojson")]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "feature 2 (id \"op-7\"): volumes[0].footprint.vertices[2].lat: latitude 91 is \
             outside [-90, 90] degrees"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 invalid feature"), "{}", run.stderr);

    let run = deconflict(&["check", "--json", &fixture("invalid.geojson")]);
    assert_eq!(run.code, Some(2));
    let body: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        body["errors"],
        json!([{"feature": 2, "id": "op-7", "field": "volumes[0].footprint.vertices[2].lat",
                "reason": "latitude 91 is outside [-90, 90] degrees"}])
    );

    let dir = tmp();
    let not_json = dir.path().join("broken.geojson");
    std::fs::write(
        &not_json,
        "{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .expect("w");
    let run = deconflict(&["check", path(&not_json)]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("not JSON"), "{}", run.stderr);
}

#[test]
fn import_then_export_round_trips() {
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("mixed.geojson")).expect("read"))
            .expect("JSON");
    let dir = tmp();
    let data = dir.path().join("data");
    let run = import(&fixture("mixed.geojson"), &data, "relief-agency");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("4 written, 1 conflict recorded"),
        "{}",
        run.stdout
    );

    let exported = export(&data);
    let by_id: BTreeMap<String, &Value> = features(&exported)
        .iter()
        .map(|f| (f["properties"]["id"].as_str().expect("an id").to_owned(), f))
        .collect();
    assert_eq!(by_id.len(), 4);
    for f in features(&original) {
        let id = entity_id(&id_text(f));
        let e = by_id.get(&id).unwrap_or_else(|| panic!("{id} exported"));
        assert_eq!(e["id"], json!(id), "the feature id is the entity id");
        let p = &f["properties"];
        let q = &e["properties"];
        assert_eq!(q["owner"], "relief-agency");
        let entity = p["entity"].as_str().unwrap_or("operation");
        assert_eq!(q["entity"], entity);
        if entity == "zone" {
            assert_eq!(q["zone_kind"], p["zone_kind"]);
        } else {
            assert_eq!(
                q["state"],
                p.get("state").cloned().unwrap_or(json!("Accepted"))
            );
            assert_eq!(
                q["priority"],
                p.get("priority").cloned().unwrap_or(json!(0))
            );
        }
        assert_eq!(volumes(e), volumes(f), "volumes of {id}");
    }

    // The export reads back: the same conflicts, and a second round trip changes nothing.
    let out = dir.path().join("export.geojson");
    let run = deconflict(&["export", "--data", path(&data), "--out", path(&out)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("exported 4 entities"), "{}", run.stderr);
    let run = deconflict(&["check", "--json", path(&out)]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let body: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let pair = &body["conflicts"][0];
    let mut ids = [pair["a"]["id"].clone(), pair["b"]["id"].clone()];
    ids.sort_by_key(ToString::to_string);
    let mut expected = [
        json!(entity_id("3f6c2a1e-8d4b-4c7a-9e2f-5b1d0a7c9e11")),
        json!(entity_id("field-hospital")),
    ];
    expected.sort_by_key(ToString::to_string);
    assert_eq!(ids, expected);
    let again = dir.path().join("again");
    let run = import(path(&out), &again, "relief-agency");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(export(&again), exported);
}

#[test]
fn import_refuses_a_file_with_invalid_features_and_writes_nothing() {
    let dir = tmp();
    let run = import(&fixture("two-bad.geojson"), dir.path(), "relief-agency");
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "feature 2 (id \"relief-convoy\"): volumes[0].time_end: end 2026-07-06T06:00:00Z \
             must be after start 2026-07-06T08:00:00Z"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("feature 3 (id \"no-fly\"): properties.zone_kind:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("convoy-escort"), "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing was imported"),
        "{}",
        run.stderr
    );
    assert_eq!(features(&export(dir.path())).len(), 0);
}

#[test]
fn import_refuses_ids_that_exist_before_writing_any() {
    let dir = tmp();
    let run = import(&fixture("overlapping.geojson"), dir.path(), "north");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("3 written, 1 conflict recorded"),
        "{}",
        run.stdout
    );

    // One new feature and one that exists: the new one is not written either.
    let file = dir.path().join("again.geojson");
    let mut collection: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("overlapping.geojson")).expect("r"))
            .expect("JSON");
    collection["features"][2]["properties"]["id"] = json!("brand-new");
    let kept = collection["features"][2].clone();
    let existing = collection["features"][1].clone();
    collection["features"] = json!([kept, existing]);
    std::fs::write(&file, collection.to_string()).expect("write");
    let run = import(path(&file), dir.path(), "south");
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "feature 1 (id \"south-patrol\"): id: entity {} already exists",
            entity_id("south-patrol")
        )),
        "{}",
        run.stderr
    );
    let exported = export(dir.path());
    let ids: Vec<&Value> = features(&exported)
        .iter()
        .map(|f| &f["properties"]["id"])
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&&json!(entity_id("brand-new"))));
}

#[test]
fn a_dry_run_counts_the_conflicts_and_writes_nothing() {
    let dir = tmp();
    let run = deconflict(&[
        "import",
        &fixture("overlapping.geojson"),
        "--data",
        path(dir.path()),
        "--party",
        "north",
        "--dry-run",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("3 features of")
            && run
                .stdout
                .contains("recording 1 conflict; nothing was written"),
        "{}",
        run.stdout
    );
    assert_eq!(features(&export(dir.path())).len(), 0);
}

#[test]
fn import_refuses_an_invalid_party() {
    let dir = tmp();
    let run = import(
        &fixture("overlapping.geojson"),
        dir.path(),
        "north air force",
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("--party: party id must be"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_and_export_refuse_a_directory_the_server_holds() {
    let dir = tmp();
    let _server = common::Server::demo(dir.path());
    let run = import(&fixture("overlapping.geojson"), dir.path(), "north");
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr.contains("in use by another process"),
        "{}",
        run.stderr
    );
    let run = deconflict(&["export", "--data", path(dir.path())]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("in use by another process"),
        "{}",
        run.stderr
    );
}

/// A grid of 10,000 alternating squares and circles; neighbours in a row overlap.
fn ten_thousand() -> Value {
    let features: Vec<Value> = (0..10_000u32)
        .map(|i| {
            let lon = 30.0 + f64::from(i % 100) * 0.02;
            let lat = 30.0 + f64::from(i / 100) * 0.02;
            let mut p = json!({
                "id": format!("op-{i}"),
                "altitude_lower_m": 0, "altitude_upper_m": 1000,
                "time_start": "2026-07-06T06:00:00Z", "time_end": "2026-07-06T08:00:00Z",
            });
            let geometry = if i % 2 == 0 {
                json!({"type": "Polygon", "coordinates": [[
                    [lon, lat], [lon + 0.025, lat], [lon + 0.025, lat + 0.01], [lon, lat + 0.01],
                    [lon, lat]]]})
            } else {
                p["radius_m"] = json!(800);
                json!({"type": "Point", "coordinates": [lon, lat]})
            };
            json!({"type": "Feature", "geometry": geometry, "properties": p})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[test]
fn ten_thousand_features_import() {
    let dir = tmp();
    let file: PathBuf = dir.path().join("ten-thousand.geojson");
    std::fs::write(&file, ten_thousand().to_string()).expect("write");
    let data = dir.path().join("data");
    let started = Instant::now();
    let run = import(path(&file), &data, "north");
    let took = started.elapsed();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    eprintln!("imported 10,000 features in {:.1} s", took.as_secs_f64());
    assert!(
        run.stdout
            .contains("10000 written, 5000 conflicts recorded"),
        "{}",
        run.stdout
    );
    assert_eq!(features(&export(&data)).len(), 10_000);
}

/// The demo's field clinic is notified conflict-only: an export leaves its zone out (and says
/// so) unless the operator asks for it.
#[test]
fn export_leaves_out_conflict_only_sites_unless_asked() {
    let dir = tmp();
    let mut server = common::Server::demo(dir.path());
    server.kill9();
    let clinic = "dec00000-0000-0000-0000-00000000000a";
    let run = deconflict(&["export", "--data", path(dir.path())]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains(clinic), "the clinic was exported");
    assert!(
        run.stderr
            .contains("left out 1 protected sites notified conflict-only"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("dec00000-0000-0000-0000-000000000001"));
    let run = deconflict(&[
        "export",
        "--data",
        path(dir.path()),
        "--include-confidential",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains(clinic));
}
