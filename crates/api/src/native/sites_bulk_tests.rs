#![allow(
    clippy::expect_used,
    reason = "tests: a failure aborts the test with its reason"
)]

use std::collections::BTreeSet;

use deconflict_core::PartyId;
use proptest::prelude::*;

use super::*;

const HEADER: &str = "id,name,category,lon,lat,radius_m,valid_until,disclosure";

fn notifier() -> PartyId {
    PartyId::new("relief-agency").expect("a party id")
}

fn good_row(i: usize) -> String {
    format!(
        ",Clinic {i},clinic,{},{},{},2031-01-01T00:00:00Z,full",
        30.0 + (i % 100) as f64 * 0.01,
        10.0 + (i / 100) as f64 * 0.01,
        200 + i % 50
    )
}

/// The ways a row is spoiled, each with the field it must be reported on.
type Spoiler = (&'static str, fn(&str) -> String);

const SPOILERS: &[Spoiler] = &[
    ("lon", |r| replace_cell(r, 3, "east")),
    ("lat", |r| replace_cell(r, 4, "")),
    ("radius_m", |r| replace_cell(r, 5, "wide")),
    ("valid_until", |r| replace_cell(r, 6, "tomorrow")),
    ("disclosure", |r| replace_cell(r, 7, "secret")),
    ("name", |r| replace_cell(r, 1, "")),
    ("id", |r| replace_cell(r, 0, "not-a-uuid")),
];

fn replace_cell(row: &str, i: usize, with: &str) -> String {
    let mut cells: Vec<&str> = row.split(',').collect();
    cells[i] = with;
    cells.join(",")
}

fn parse_csv_text(text: &str) -> Result<Vec<SiteRow>, Vec<RowError>> {
    parse(text.as_bytes(), Format::Csv, &notifier(), &mut |_| {})
}

#[test]
fn a_good_list_parses_with_its_lines() {
    let mut text = format!("{HEADER}\n");
    for i in 0..50 {
        text.push_str(&good_row(i));
        text.push('\n');
    }
    let rows = parse_csv_text(&text).expect("a good list");
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0].place, Place::Line(2));
    assert_eq!(rows[49].place, Place::Line(51));
    // Ids derived from the notifier and the row: stable, distinct.
    let again = parse_csv_text(&text).expect("a good list");
    assert_eq!(rows[7].request.id, again[7].request.id);
    let ids: BTreeSet<_> = rows.iter().map(|r| r.request.id).collect();
    assert_eq!(ids.len(), 50);
}

#[test]
fn every_bad_cell_of_a_row_is_reported() {
    let row = replace_cell(&replace_cell(&good_row(1), 3, "x"), 7, "secret");
    let text = format!("{HEADER}\n{}\n{row}\n", good_row(0));
    let errors = parse_csv_text(&text).expect_err("bad cells");
    // The cell errors are found before decoding; the disclosure one when decoding.
    assert!(errors.iter().all(|e| e.line == Some(3)), "{errors:?}");
    assert!(errors.iter().any(|e| e.field == "lon"), "{errors:?}");
}

#[test]
fn an_unknown_column_is_reported_on_the_header() {
    let errors = parse_csv_text("name,category,lon,lat,radius_m,colour\nA,b,1,2,3,red\n")
        .expect_err("an unknown column");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].line, errors[0].field.as_str()),
        (Some(1), "colour")
    );
}

/// Found by the `site_list` fuzz target: an empty header cell was reported with an empty field.
#[test]
fn an_unnamed_column_is_named_by_its_position() {
    let errors = parse_csv_text("name,category,lon,lat,radius_m,,disclosure\nA,b,1,2,3,,full\n")
        .expect_err("an unnamed column");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].line, errors[0].field.as_str()),
        (Some(1), "column 6")
    );
}

#[test]
fn geojson_errors_name_the_feature() {
    let doc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.0, 10.0]},
         "properties": {"name": "A", "category": "school", "radius_m": 100}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.0, 10.0]},
         "properties": {"name": "B", "category": "school"}},
        {"type": "Feature", "geometry": null, "properties": {"name": "C", "category": "x"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.0, 10.0]},
         "properties": {"category": "school", "radius_m": 100}},
    ]});
    let errors = parse(
        doc.to_string().as_bytes(),
        Format::Geojson,
        &notifier(),
        &mut |_| {},
    )
    .expect_err("bad features");
    let got: Vec<(Option<usize>, &str)> = errors
        .iter()
        .map(|e| (e.feature, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), "geometry"),
            (Some(2), "geometry"),
            (Some(3), "name")
        ],
        "{errors:?}"
    );
}

#[test]
fn an_export_parses_back_to_the_same_requests() {
    let mut text = format!("{HEADER}\n");
    for i in 0..20 {
        text.push_str(&good_row(i));
        text.push('\n');
    }
    let rows = parse_csv_text(&text).expect("a good list");
    let now = chrono::Utc::now();
    let notices: Vec<ProtectedNotice> = rows
        .iter()
        .map(|r| ProtectedNotice {
            id: r.request.id,
            notifier: notifier(),
            name: r.request.name.clone(),
            category: r.request.category.clone(),
            shape: r.request.shape.clone(),
            valid_from: now,
            valid_until: r.request.valid_until.unwrap_or(now),
            disclosure: r.request.disclosure,
            on_conflict: r.request.on_conflict.unwrap_or(
                deconflict_service::protected::OnConflict::default_for(r.request.disclosure),
            ),
            version: 1,
            notified_at: now,
            notifications: Default::default(),
            reconfirmation_requested_at: None,
            lapse: None,
        })
        .collect();
    for (format, bytes) in [
        (Format::Csv, export_csv(&notices).into_bytes()),
        (
            Format::Geojson,
            export_geojson(&notices).to_string().into_bytes(),
        ),
    ] {
        let back = parse(&bytes, format, &notifier(), &mut |_| {}).expect("the export parses");
        assert_eq!(back.len(), notices.len(), "{format:?}");
        for (b, n) in back.iter().zip(&notices) {
            assert_eq!(b.request.id, n.id, "{format:?}");
            assert_eq!(b.request.name, n.name);
            assert_eq!(b.request.shape, n.shape, "{format:?}");
            assert_eq!(b.request.valid_until, Some(n.valid_until), "{format:?}");
            assert_eq!(b.request.disclosure, n.disclosure);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any set of spoiled rows: each is reported, on its own line, naming the spoiled field;
    /// no good row is.
    #[test]
    fn every_bad_row_is_reported_with_its_line_and_field(
        rows in 1usize..120,
        spoiled in proptest::collection::btree_map(0usize..120, 0..SPOILERS.len(), 0..20),
    ) {
        let mut text = format!("{HEADER}\n");
        let mut expected = BTreeSet::new();
        for i in 0..rows {
            let row = match spoiled.get(&i) {
                Some(&k) => {
                    expected.insert((i + 2, SPOILERS[k].0.to_owned()));
                    SPOILERS[k].1(&good_row(i))
                }
                None => good_row(i),
            };
            text.push_str(&row);
            text.push('\n');
        }
        match parse_csv_text(&text) {
            Ok(parsed) => {
                prop_assert!(expected.is_empty(), "no error reported for {expected:?}");
                prop_assert_eq!(parsed.len(), rows);
            }
            Err(errors) => {
                let got: BTreeSet<(usize, String)> = errors
                    .iter()
                    .map(|e| (e.line.expect("a CSV line"), e.field.clone()))
                    .collect();
                prop_assert_eq!(got, expected, "{:?}", errors);
            }
        }
    }

    /// Whatever the bytes, the parser answers (rows or errors), never panics.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes, Format::Csv, &notifier(), &mut |_| {});
        let _ = parse(&bytes, Format::Geojson, &notifier(), &mut |_| {});
    }
}
