//! 4D volumes: a footprint × an altitude band × a time window, and the exact intersection rule.

use geo::{BooleanOps, MultiPolygon};

use crate::altitude::AltitudeBand;
use crate::error::{Reason, ValidationError};
use crate::footprint::{Footprint, VolumeLimits};
use crate::time::TimeWindow;

/// A validated 4D volume. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume4d {
    footprint: Footprint,
    altitude: AltitudeBand,
    time: TimeWindow,
}

/// Where two volumes meet: the common time window, altitude band and footprint.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeIntersection {
    /// The common time window.
    pub time: TimeWindow,
    /// The common altitude band.
    pub altitude: AltitudeBand,
    /// The common footprint, clipped exactly (lon/lat planar). Empty when the footprints only
    /// touch along an edge or at a point: a conflict all the same.
    pub footprint: MultiPolygon,
}

impl Volume4d {
    /// Assembles a volume from parts that are each already valid.
    pub fn new(footprint: Footprint, altitude: AltitudeBand, time: TimeWindow) -> Self {
        Self {
            footprint,
            altitude,
            time,
        }
    }

    /// The 2D part.
    pub fn footprint(&self) -> &Footprint {
        &self.footprint
    }

    /// The vertical part.
    pub fn altitude(&self) -> &AltitudeBand {
        &self.altitude
    }

    /// The temporal part.
    pub fn time(&self) -> &TimeWindow {
        &self.time
    }

    /// The exact rule: time windows overlap (half-open), altitude bands overlap (closed) and
    /// footprints intersect (closed: touching counts).
    pub fn intersects(&self, other: &Self) -> bool {
        self.time.overlaps(&other.time)
            && self.altitude.overlaps(&other.altitude)
            && self.footprint.intersects(&other.footprint)
    }

    /// The common part of two volumes, or `None` when they do not intersect.
    pub fn intersection(&self, other: &Self) -> Option<VolumeIntersection> {
        if !self.intersects(other) {
            return None;
        }
        Some(VolumeIntersection {
            time: self.time.intersection(&other.time)?,
            altitude: self.altitude.intersection(&other.altitude)?,
            footprint: self
                .footprint
                .planar()
                .intersection(other.footprint.planar()),
        })
    }
}

/// Checks the number of volumes of one entity (`1..=limits.max_volumes`).
///
/// # Errors
/// [`Reason::NoVolumes`] or [`Reason::TooManyVolumes`] on field `volumes`.
pub fn check_volume_count(count: usize, limits: &VolumeLimits) -> Result<(), ValidationError> {
    if count == 0 {
        return Err(ValidationError::new("volumes", Reason::NoVolumes));
    }
    if count > limits.max_volumes {
        return Err(ValidationError::new(
            "volumes",
            Reason::TooManyVolumes {
                got: count,
                max: limits.max_volumes,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::testgen::{arb_volume, oracle};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The exact rule agrees with the brute-force oracle, is symmetric, and
        /// `intersection` exists exactly when `intersects` holds.
        #[test]
        fn intersects_matches_the_oracle(a in arb_volume(), b in arb_volume()) {
            let expected = oracle(&a, &b);
            prop_assert_eq!(a.intersects(&b), expected);
            prop_assert_eq!(b.intersects(&a), expected);
            prop_assert_eq!(a.intersection(&b).is_some(), expected);
        }
    }
}
