//! The offline commands on GeoJSON files and data directories: `check` (conflicts among the
//! features of a file, no store), `import` (file every feature through the service) and `export`
//! (every live entity as GeoJSON). The GeoJSON shape is documented in [`crate::geojson`]. `audit`
//! exports and verifies the audit log.

pub mod audit;
pub mod check;
pub mod export;
pub mod import;
pub mod sites;

use std::io::Write;

use crate::geojson::{FeatureError, ReadError};

/// Success: no conflicts, or everything imported.
pub const EXIT_OK: u8 = 0;
/// `check` found conflicts.
pub const EXIT_CONFLICTS: u8 = 1;
/// `import` stopped while writing (anyhow errors from `main` exit with 1 as well).
pub const EXIT_FAILED: u8 = 1;
/// The input is invalid (nothing was written).
pub const EXIT_INVALID: u8 = 2;

/// Most invalid features listed in a human-readable report (JSON reports list them all).
const REPORT_LIMIT: usize = 100;

/// Ends the process with `code` unless it is 0 (after flushing standard output and error).
///
/// # Errors
/// None; the `Result` lets `main` chain it after a command that returns one.
pub fn exit(code: u8) -> anyhow::Result<()> {
    if code == EXIT_OK {
        return Ok(());
    }
    // Best effort: the process ends either way.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(i32::from(code))
}

/// Writes why a file was refused, one line per invalid feature (at most [`REPORT_LIMIT`]).
///
/// # Errors
/// Writing to `out` failed.
pub fn report_invalid(
    out: &mut dyn Write,
    file: &std::path::Path,
    error: &ReadError,
) -> std::io::Result<()> {
    match error {
        ReadError::File(reason) => writeln!(out, "{}: {reason}", file.display()),
        ReadError::Features(errors) => {
            writeln!(
                out,
                "{}: {} invalid feature{}:",
                file.display(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            )?;
            for e in errors.iter().take(REPORT_LIMIT) {
                writeln!(out, "  {e}")?;
            }
            if errors.len() > REPORT_LIMIT {
                writeln!(out, "  … and {} more", errors.len() - REPORT_LIMIT)?;
            }
            Ok(())
        }
    }
}

/// The invalid features as JSON objects: `{"feature", "id", "field", "reason"}`.
pub fn errors_json(errors: &[FeatureError]) -> serde_json::Value {
    errors
        .iter()
        .map(|e| {
            serde_json::json!({
                "feature": e.index,
                "id": e.label,
                "field": e.field,
                "reason": e.reason,
            })
        })
        .collect()
}
