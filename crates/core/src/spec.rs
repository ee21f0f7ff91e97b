//! The plain-data description of a volume, as JSON carries it in the native API, the store's
//! records and GeoJSON properties. [`VolumeSpec::to_volume`] is the one way in: it validates
//! every field and names the one it refuses; [`VolumeSpec::from`] is the way out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::altitude::AltitudeBand;
use crate::error::ValidationError;
use crate::footprint::{Footprint, FootprintKind, VolumeLimits};
use crate::time::TimeWindow;
use crate::volume::Volume4d;

/// A footprint as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FootprintSpec {
    /// A polygon of `[lon, lat]` WGS84 degrees (open or closed ring).
    Polygon {
        /// The vertices.
        vertices: Vec<[f64; 2]>,
    },
    /// A geodesic circle.
    Circle {
        /// `[lon, lat]` WGS84 degrees.
        center: [f64; 2],
        /// Radius in metres.
        radius_m: f64,
    },
}

/// A 4D volume as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    /// Where.
    pub footprint: FootprintSpec,
    /// Lowest altitude, metres above the WGS84 ellipsoid.
    pub altitude_lower_m: f64,
    /// Highest altitude, metres above the WGS84 ellipsoid (closed band).
    pub altitude_upper_m: f64,
    /// First instant, UTC.
    pub time_start: DateTime<Utc>,
    /// First instant after the window, UTC (half-open window).
    pub time_end: DateTime<Utc>,
}

impl VolumeSpec {
    /// Validates into a [`Volume4d`].
    ///
    /// # Errors
    /// The first invalid field, with a path such as `footprint.vertices[2].lat`,
    /// `altitude_lower_m` or `time_end`.
    pub fn to_volume(&self, limits: &VolumeLimits) -> Result<Volume4d, ValidationError> {
        let footprint = match &self.footprint {
            FootprintSpec::Polygon { vertices } => Footprint::polygon(vertices, limits),
            FootprintSpec::Circle { center, radius_m } => {
                Footprint::circle(center[0], center[1], *radius_m, limits)
            }
        }
        .map_err(|e| e.within("footprint"))?;
        let altitude = AltitudeBand::new(self.altitude_lower_m, self.altitude_upper_m)
            .map_err(|e| rename(e, "altitude", "altitude_lower_m", "altitude_upper_m"))?;
        let time = TimeWindow::new(self.time_start, self.time_end)
            .map_err(|e| ValidationError::new("time_end", e.reason().clone()))?;
        Ok(Volume4d::new(footprint, altitude, time))
    }

    /// Validates a list of volumes, naming `volumes[i]` in errors and checking the count.
    ///
    /// # Errors
    /// As [`Self::to_volume`], or [`crate::Reason::NoVolumes`] / [`crate::Reason::TooManyVolumes`].
    pub fn to_volumes(
        specs: &[Self],
        limits: &VolumeLimits,
    ) -> Result<Vec<Volume4d>, ValidationError> {
        crate::volume::check_volume_count(specs.len(), limits)?;
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.to_volume(limits)
                    .map_err(|e| e.within(format!("volumes[{i}]")))
            })
            .collect()
    }
}

/// Maps the band's field names onto the spec's flat ones.
fn rename(e: ValidationError, band: &str, lower: &str, upper: &str) -> ValidationError {
    let field = match e.field() {
        "altitude.lower_m" => lower,
        "altitude.upper_m" => upper,
        _ => band,
    };
    ValidationError::new(field, e.reason().clone())
}

impl From<&Volume4d> for VolumeSpec {
    fn from(v: &Volume4d) -> Self {
        let footprint = match v.footprint().kind() {
            FootprintKind::Polygon { ring } => FootprintSpec::Polygon {
                vertices: ring.iter().map(|c| [c.x, c.y]).collect(),
            },
            FootprintKind::Circle { center, radius_m } => FootprintSpec::Circle {
                center: [center.x, center.y],
                radius_m,
            },
        };
        Self {
            footprint,
            altitude_lower_m: v.altitude().lower_m(),
            altitude_upper_m: v.altitude().upper_m(),
            time_start: v.time().start(),
            time_end: v.time().end(),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testgen::arb_volume;

    proptest! {
        /// Out and back in gives the same volume.
        #[test]
        fn a_spec_round_trips(v in arb_volume()) {
            let spec = VolumeSpec::from(&v);
            let json = serde_json::to_string(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: VolumeSpec = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.to_volume(&VolumeLimits::default()).ok(), Some(v));
        }
    }

    #[test]
    fn errors_name_the_flat_fields() {
        let json = r#"{"footprint": {"type": "circle", "center": [36.2, 37.1], "radius_m": 500},
            "altitude_lower_m": 900, "altitude_upper_m": 100,
            "time_start": "2026-07-06T06:00:00Z", "time_end": "2026-07-06T08:00:00Z"}"#;
        let spec: VolumeSpec = serde_json::from_str(json).expect("parses");
        let e = spec
            .to_volume(&VolumeLimits::default())
            .expect_err("inverted");
        assert_eq!(e.field(), "altitude");
        let e = VolumeSpec::to_volumes(
            &[
                spec.clone(),
                VolumeSpec {
                    altitude_lower_m: 0.0,
                    time_end: spec.time_start,
                    ..spec
                },
            ],
            &VolumeLimits::default(),
        )
        .expect_err("bad");
        assert_eq!(e.field(), "volumes[0].altitude");
    }
}
