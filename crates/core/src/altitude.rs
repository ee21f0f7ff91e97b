//! Altitude bands: closed `[lower, upper]` in metres above the WGS84 ellipsoid, so two bands that
//! share only their boundary altitude do conflict (no vertical separation is assumed).

use serde::{Deserialize, Serialize};

use crate::error::{Reason, ValidationError, finite};

/// A closed band of altitudes in metres above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AltitudeBand {
    lower_m: f64,
    upper_m: f64,
}

impl AltitudeBand {
    /// The band `[lower_m, upper_m]`; a flat band (`lower_m == upper_m`) is allowed.
    ///
    /// # Errors
    /// [`Reason::NotFinite`] on `altitude.lower_m`/`altitude.upper_m`, or
    /// [`Reason::AltitudeInverted`] on `altitude` when `lower_m > upper_m`.
    ///
    /// ```
    /// # use deconflict_core::AltitudeBand;
    /// let band = AltitudeBand::new(0.0, 3000.0)?;
    /// assert!(band.overlaps(&AltitudeBand::new(3000.0, 9000.0)?)); // closed: touching counts
    /// assert!(AltitudeBand::new(100.0, 50.0).is_err());
    /// # Ok::<(), deconflict_core::ValidationError>(())
    /// ```
    pub fn new(lower_m: f64, upper_m: f64) -> Result<Self, ValidationError> {
        let lower_m = finite("altitude.lower_m", lower_m)?;
        let upper_m = finite("altitude.upper_m", upper_m)?;
        if lower_m > upper_m {
            return Err(ValidationError::new(
                "altitude",
                Reason::AltitudeInverted {
                    lower: lower_m,
                    upper: upper_m,
                },
            ));
        }
        Ok(Self { lower_m, upper_m })
    }

    /// Every altitude: the band a ceasefire area gets when it names none.
    pub fn all() -> Self {
        Self {
            lower_m: -1.0e6,
            upper_m: 1.0e6,
        }
    }

    /// Lower bound, metres.
    pub fn lower_m(&self) -> f64 {
        self.lower_m
    }

    /// Upper bound, metres.
    pub fn upper_m(&self) -> f64 {
        self.upper_m
    }

    /// Whether the bands share at least one altitude.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.lower_m <= other.upper_m && other.lower_m <= self.upper_m
    }

    /// The common band, if any.
    pub fn intersection(&self, other: &Self) -> Option<Self> {
        let lower_m = self.lower_m.max(other.lower_m);
        let upper_m = self.upper_m.min(other.upper_m);
        (lower_m <= upper_m).then_some(Self { lower_m, upper_m })
    }
}

#[derive(Deserialize)]
struct RawBand {
    lower_m: f64,
    upper_m: f64,
}

impl<'de> Deserialize<'de> for AltitudeBand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawBand::deserialize(d)?;
        Self::new(raw.lower_m, raw.upper_m).map_err(serde::de::Error::custom)
    }
}
