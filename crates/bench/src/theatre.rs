//! The shared "theatre" workload of `../shared/bench/gen_theatre.py`: one JSON object per line,
//! `{"id", "polygon": [[lon, lat], ...closed ring], "alt": [lo_m, hi_m], "t": [start, end]}`.
//!
//! This module only parses lines; turning them into validated [`deconflict_core::Volume4d`]s is
//! [`TheatreVolume::to_volume`], so that the in-process engine and the PostGIS baseline read the
//! very same records.

use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The limits the workload is read under: the defaults, but accepting the self-intersecting
/// rings the generator makes (about 0.3%) as PostGIS accepts them, so that every engine answers
/// the same input (see `VolumeLimits::allow_self_intersecting`).
pub fn limits() -> deconflict_core::VolumeLimits {
    deconflict_core::VolumeLimits {
        allow_self_intersecting: true,
        ..deconflict_core::VolumeLimits::default()
    }
}

/// One line of the workload.
#[derive(Debug, Clone, Deserialize)]
pub struct TheatreVolume {
    /// The operation (or query) id, unique within a file.
    pub id: u64,
    /// Closed ring of `[lon, lat]` WGS84 degrees, counter-clockwise.
    pub polygon: Vec<[f64; 2]>,
    /// Altitude band `[lower, upper]` in metres (closed).
    pub alt: [f64; 2],
    /// Time window `[start, end)` in UTC.
    pub t: [DateTime<Utc>; 2],
}

/// Why a workload file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TheatreError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a theatre record.
    #[error("{path}:{line}: not a theatre record: {source}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The cause.
        source: serde_json::Error,
    },
    /// A record is not a valid 4D volume.
    #[error("{path}:{line}: invalid volume: {source}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The cause.
        source: deconflict_core::ValidationError,
    },
}

/// Reads every record of a JSON Lines file (blank lines are skipped).
///
/// # Errors
/// [`TheatreError::Io`] or [`TheatreError::Parse`] naming the line.
pub fn read_jsonl(path: &Path) -> Result<Vec<TheatreVolume>, TheatreError> {
    read_with(path, |_, rec| Ok(rec))
}

/// Reads a file one line at a time, mapping each record through `f(line number, record)`.
fn read_with<T>(
    path: &Path,
    mut f: impl FnMut(usize, TheatreVolume) -> Result<T, TheatreError>,
) -> Result<Vec<T>, TheatreError> {
    let name = path.display().to_string();
    let io = |source| TheatreError::Io {
        path: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let rec = serde_json::from_str(&line).map_err(|source| TheatreError::Parse {
            path: name.clone(),
            line: i + 1,
            source,
        })?;
        out.push(f(i + 1, rec)?);
    }
    Ok(out)
}

impl TheatreVolume {
    /// The record as a validated 4D volume.
    ///
    /// # Errors
    /// Any [`deconflict_core::ValidationError`] of its polygon, band or window.
    pub fn to_volume(
        &self,
        limits: &deconflict_core::VolumeLimits,
    ) -> Result<deconflict_core::Volume4d, deconflict_core::ValidationError> {
        use deconflict_core::{AltitudeBand, Footprint, TimeWindow, Volume4d};
        Ok(Volume4d::new(
            Footprint::polygon(&self.polygon, limits).map_err(|e| e.within("polygon"))?,
            AltitudeBand::new(self.alt[0], self.alt[1])?,
            TimeWindow::new(self.t[0], self.t[1])?,
        ))
    }
}

/// Reads a workload file straight into validated volumes, one line at a time, so that the raw
/// records are never all held at once (the memory figure of the benchmark is the index's).
///
/// # Errors
/// As [`read_jsonl`], plus [`TheatreError::Invalid`] naming the line.
pub fn read_volumes(
    path: &Path,
    limits: &deconflict_core::VolumeLimits,
) -> Result<Vec<(u64, deconflict_core::Volume4d)>, TheatreError> {
    read_with(path, |line, rec| {
        let volume = rec
            .to_volume(limits)
            .map_err(|source| TheatreError::Invalid {
                path: path.display().to_string(),
                line,
                source,
            })?;
        Ok((rec.id, volume))
    })
}
