//! `deconflict check FILE.geojson`: every conflict among the features of a file, offline — no
//! store, no server. Two features conflict when a volume of one intersects a volume of the other
//! under the exact 4D rule of [`deconflict_core::Volume4d::intersects`] (found through the same
//! [`SpatialTemporalIndex`] the service uses).

use std::io::Write;
use std::path::Path;

use deconflict_core::{SpatialTemporalIndex, VolumeIntersection};
use serde_json::json;

use super::{EXIT_CONFLICTS, EXIT_INVALID, EXIT_OK, errors_json, report_invalid};
use crate::geojson::{self, FeatureEntity, ReadError, rfc3339};

/// Two features that intersect.
#[derive(Debug, Clone)]
pub struct FeatureConflict {
    /// Index of the first feature in the file.
    pub a: usize,
    /// Index of the second (always after the first).
    pub b: usize,
    /// Every intersecting pair of volumes: (volume of `a`, volume of `b`, where and when).
    pub pairs: Vec<(usize, usize, VolumeIntersection)>,
}

/// Every conflict among `features`, ordered by the first feature, then the second.
pub fn conflicts(features: &[FeatureEntity]) -> Vec<FeatureConflict> {
    let index = SpatialTemporalIndex::bulk_load(
        features
            .iter()
            .enumerate()
            .map(|(i, f)| (i, f.validated.as_slice())),
    );
    let mut out = Vec::new();
    for (a, fa) in features.iter().enumerate() {
        for b in index.query(&fa.validated) {
            let Some(fb) = features.get(b).filter(|_| b > a) else {
                continue;
            };
            let pairs: Vec<_> = fa
                .validated
                .iter()
                .enumerate()
                .flat_map(|(i, va)| {
                    fb.validated
                        .iter()
                        .enumerate()
                        .filter_map(move |(j, vb)| va.intersection(vb).map(|x| (i, j, x)))
                })
                .collect();
            if !pairs.is_empty() {
                out.push(FeatureConflict { a, b, pairs });
            }
        }
    }
    out
}

/// Runs the command; returns the exit code: 0 without conflicts, 1 with conflicts (listed on
/// standard output), 2 when the file is invalid or unreadable (the report on standard error, or
/// on standard output with `json`).
pub fn run(file: &Path, json: bool) -> u8 {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let features = match geojson::read_path(file) {
        Ok(features) => features,
        Err(e) => {
            // The exit code says it all if the report cannot be written.
            let _ = if json {
                let body = match &e {
                    ReadError::File(reason) => json!({ "error": reason }),
                    ReadError::Features(errors) => json!({ "errors": errors_json(errors) }),
                };
                writeln!(stdout, "{body}")
            } else {
                report_invalid(&mut stderr, file, &e)
            };
            return EXIT_INVALID;
        }
    };
    let found = conflicts(&features);
    let written = if json {
        write_json(&mut stdout, &features, &found)
    } else {
        write_text(&mut stdout, &features, &found)
    };
    if let Err(e) = written {
        let _ = writeln!(stderr, "writing the report: {e}");
        return EXIT_INVALID;
    }
    if found.is_empty() {
        EXIT_OK
    } else {
        EXIT_CONFLICTS
    }
}

fn name(features: &[FeatureEntity], i: usize) -> String {
    features.get(i).map_or_else(
        || format!("feature {i}"),
        |f| format!("feature {i} (id {:?})", f.label),
    )
}

fn write_text(
    out: &mut dyn Write,
    features: &[FeatureEntity],
    found: &[FeatureConflict],
) -> std::io::Result<()> {
    for c in found {
        writeln!(
            out,
            "conflict: {} and {}",
            name(features, c.a),
            name(features, c.b)
        )?;
        for (i, j, x) in &c.pairs {
            writeln!(
                out,
                "  volumes[{i}] and volumes[{j}]: {} to {}, {} m to {} m{}",
                rfc3339(x.time.start()),
                rfc3339(x.time.end()),
                x.altitude.lower_m(),
                x.altitude.upper_m(),
                if x.footprint.0.is_empty() {
                    " (footprints touch only)"
                } else {
                    ""
                }
            )?;
        }
    }
    match found.len() {
        0 => writeln!(out, "no conflicts among {} features", features.len()),
        n => writeln!(
            out,
            "{n} conflict{} among {} features",
            if n == 1 { "" } else { "s" },
            features.len()
        ),
    }
}

fn write_json(
    out: &mut dyn Write,
    features: &[FeatureEntity],
    found: &[FeatureConflict],
) -> std::io::Result<()> {
    let side = |i: usize| {
        let f = features.get(i);
        json!({
            "feature": i,
            "id": f.map(|f| f.label.as_str()),
            "entity_id": f.map(|f| f.id.to_string()),
        })
    };
    let conflicts: Vec<_> = found
        .iter()
        .map(|c| {
            let pairs: Vec<_> = c
                .pairs
                .iter()
                .map(|(i, j, x)| {
                    json!({
                        "a_volume": i,
                        "b_volume": j,
                        "time_start": rfc3339(x.time.start()),
                        "time_end": rfc3339(x.time.end()),
                        "altitude_lower_m": x.altitude.lower_m(),
                        "altitude_upper_m": x.altitude.upper_m(),
                        "touching_only": x.footprint.0.is_empty(),
                    })
                })
                .collect();
            json!({ "a": side(c.a), "b": side(c.b), "pairs": pairs })
        })
        .collect();
    let body = json!({ "features": features.len(), "conflicts": conflicts });
    writeln!(out, "{body}")
}
