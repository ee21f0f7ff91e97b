//! Validation errors: every refusal of outside input names the field and the reason.
//!
//! A field is a path such as `volumes[2].footprint.vertices[5].lat`, built from the inside out
//! with [`ValidationError::within`], so the innermost check does not need to know where its value
//! came from.

use std::fmt;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// NaN or an infinite number.
    #[error("must be a finite number, got {0}")]
    NotFinite(f64),
    /// Latitude outside [-90, 90].
    #[error("latitude {0} is outside [-90, 90] degrees")]
    LatitudeOutOfRange(f64),
    /// Longitude outside [-180, 180].
    #[error("longitude {0} is outside [-180, 180] degrees")]
    LongitudeOutOfRange(f64),
    /// Fewer than 3 distinct vertices.
    #[error("a polygon needs at least 3 distinct vertices, got {0}")]
    TooFewVertices(usize),
    /// More distinct vertices than the limit.
    #[error("a polygon may have at most {max} distinct vertices, got {got}")]
    TooManyVertices {
        /// Distinct vertices given.
        got: usize,
        /// The configured limit.
        max: usize,
    },
    /// The ring crosses or touches itself.
    #[error("the polygon's ring intersects itself")]
    SelfIntersecting,
    /// All vertices are collinear (or coincide): the polygon encloses nothing.
    #[error("the polygon has zero area")]
    ZeroArea,
    /// An edge spans more than 180 degrees of longitude.
    #[error(
        "an edge spans {0} degrees of longitude: polygons crossing the antimeridian are not supported; split the area at 180 degrees"
    )]
    CrossesAntimeridian(f64),
    /// A circle that reaches a pole.
    #[error("the circle contains a pole; areas covering a pole are not supported")]
    ContainsPole,
    /// Circle radius not strictly positive.
    #[error("radius must be greater than 0 metres, got {0}")]
    NonPositiveRadius(f64),
    /// Circle radius above the limit.
    #[error("radius may be at most {max} metres, got {got}")]
    RadiusTooLarge {
        /// The radius given.
        got: f64,
        /// The configured limit.
        max: f64,
    },
    /// Area above the limit.
    #[error("area {got_km2:.3} km² is larger than the maximum of {max_km2} km²")]
    AreaTooLarge {
        /// The area of the footprint (geodesic, on WGS84).
        got_km2: f64,
        /// The configured limit.
        max_km2: f64,
    },
    /// Lower altitude above upper altitude.
    #[error("lower altitude {lower} m is above upper altitude {upper} m")]
    AltitudeInverted {
        /// Lower bound given.
        lower: f64,
        /// Upper bound given.
        upper: f64,
    },
    /// End not after start.
    #[error("end {end} must be after start {start}")]
    EmptyTimeWindow {
        /// Start given, RFC 3339.
        start: String,
        /// End given, RFC 3339.
        end: String,
    },
    /// No volumes at all.
    #[error("at least one volume is required")]
    NoVolumes,
    /// More volumes than the limit.
    #[error("at most {max} volumes are allowed, got {got}")]
    TooManyVolumes {
        /// Volumes given.
        got: usize,
        /// The configured limit.
        max: usize,
    },
    /// A text value that does not fit its format.
    #[error("{0}")]
    Malformed(String),
}

/// A refused input value: which field, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    field: String,
    reason: Reason,
}

impl ValidationError {
    /// An error on `field` (a path like `footprint.radius_m`).
    pub fn new(field: impl Into<String>, reason: Reason) -> Self {
        Self {
            field: field.into(),
            reason,
        }
    }

    /// Prefixes the field path with `outer`: `lat` within `vertices[3]` is `vertices[3].lat`.
    #[must_use]
    pub fn within(mut self, outer: impl fmt::Display) -> Self {
        self.field = if self.field.is_empty() {
            outer.to_string()
        } else if self.field.starts_with('[') {
            format!("{outer}{}", self.field)
        } else {
            format!("{outer}.{}", self.field)
        };
        self
    }

    /// The path of the refused field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Why it was refused.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ValidationError {}

/// Checks that `value` is finite, naming `field` otherwise.
pub(crate) fn finite(field: &str, value: f64) -> Result<f64, ValidationError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ValidationError::new(field, Reason::NotFinite(value)))
    }
}
