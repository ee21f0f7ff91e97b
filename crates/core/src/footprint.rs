//! Footprints: the 2D part of a 4D volume, a polygon or a circle on WGS84.
//!
//! # The geometry model
//! Polygon edges are straight lines in (longitude, latitude) degrees — the planar model of
//! PostGIS `geometry` with SRID 4326 and of GeoJSON — so two polygons intersect here exactly when
//! `ST_Intersects` says they do (touching counts). This keeps results identical to the PostGIS
//! baseline and to the GeoJSON a party draws; for the footprints this service holds (at most a
//! few thousand km²) the difference to geodesic edges is metres at most.
//!
//! A circle is a geodesic circle: the points at geodesic distance `radius_m` from the centre on
//! the WGS84 ellipsoid (Karney's algorithm, through `geo`'s `Geodesic`). It is held as a regular
//! polygon that *circumscribes* it: `n` vertices at geodesic distance `radius_m / cos(π/n)`, so
//! that in the local tangent plane each edge touches the circle at its midpoint. The polygon
//! therefore contains the circle and lies outside it by at most `radius_m * (1/cos(π/n) - 1)`,
//! which [`circle_vertex_count`] keeps below 0.5 m; the straight lon/lat edges (at most ~1.5 km
//! long at the largest allowed radius) add well under 0.1 m more. A circle is thus exact to within
//! 1 m, erring on the side of reporting a conflict — `footprint_tests.rs` checks the bound against
//! geodesic distances for random circles.

use std::sync::Arc;

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::orient::{Direction, Orient};
use geo::{
    BoundingRect, Coord, Destination, Distance, Geodesic, GeodesicArea, LineString, Point, Polygon,
    Rect, Validation,
};
use serde::{Deserialize, Serialize};

use crate::error::{Reason, ValidationError, finite};

/// Limits applied when validating volumes. Configurable per deployment and per kind of entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeLimits {
    /// Most distinct vertices of a polygon footprint.
    pub max_vertices: usize,
    /// Largest footprint area, km² (geodesic). The F3548 DSS refuses areas that are too large.
    pub max_area_km2: f64,
    /// Largest circle radius, metres.
    pub max_radius_m: f64,
    /// Most volumes in one entity.
    pub max_volumes: usize,
    /// Accept polygons whose ring crosses itself, intersecting them as PostGIS does (by their
    /// boundary and interior as drawn). Only for replaying outside workloads that contain such
    /// rings — the shared theatre generator makes about 0.3% of them — so that the benchmark and
    /// its PostGIS baseline answer the same input. The service never sets it.
    pub allow_self_intersecting: bool,
}

impl Default for VolumeLimits {
    fn default() -> Self {
        Self {
            max_vertices: 1000,
            max_area_km2: 2500.0,
            max_radius_m: 500_000.0,
            max_volumes: 100,
            allow_self_intersecting: false,
        }
    }
}

/// Surface area of the WGS84 ellipsoid, m².
const EARTH_AREA_M2: f64 = 510_065_621_724_088.5;

impl VolumeLimits {
    /// No size limits: for reading back volumes that were validated when written (under the
    /// limits then in force), so that lowering a limit never makes stored data unreadable.
    /// Validity itself (ranges, finite numbers, simple rings) is still checked.
    pub fn stored() -> Self {
        Self {
            max_vertices: usize::MAX,
            max_area_km2: f64::INFINITY,
            max_radius_m: f64::INFINITY,
            max_volumes: usize::MAX,
            allow_self_intersecting: false,
        }
    }
}

/// The declared shape, kept as given so it can be returned as given.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Polygon,
    Circle { center: Coord, radius_m: f64 },
}

/// A validated footprint. Cheap to clone (the geometry is shared).
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    shape: Shape,
    /// The region used for every intersection test: the polygon itself, or the polygon that
    /// circumscribes the circle. Counter-clockwise exterior, no holes.
    planar: Arc<Polygon>,
    bbox: Rect,
    area_km2: f64,
}

/// A borrowed view of what was declared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FootprintKind<'a> {
    /// A polygon; the ring is closed (first vertex repeated last), counter-clockwise.
    Polygon {
        /// `(x = lon, y = lat)` degrees.
        ring: &'a [Coord],
    },
    /// A geodesic circle.
    Circle {
        /// `(x = lon, y = lat)` degrees.
        center: Coord,
        /// Radius in metres.
        radius_m: f64,
    },
}

fn check_lon_lat(lon: f64, lat: f64) -> Result<Coord, ValidationError> {
    let lon = finite("lon", lon)?;
    let lat = finite("lat", lat)?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ValidationError::new("lat", Reason::LatitudeOutOfRange(lat)));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ValidationError::new(
            "lon",
            Reason::LongitudeOutOfRange(lon),
        ));
    }
    Ok(Coord { x: lon, y: lat })
}

/// Whether every vertex lies on one line (robust predicate: no tolerance, no false answer).
fn all_collinear(ring: &[Coord]) -> bool {
    let Some(&a) = ring.first() else { return true };
    let Some(&b) = ring.iter().find(|c| **c != a) else {
        return true;
    };
    ring.iter()
        .all(|&c| RobustKernel::orient2d(a, b, c) == Orientation::Collinear)
}

/// The widest longitude span of an edge of the closed `ring`, if it exceeds 180 degrees.
fn antimeridian_span(ring: &[Coord]) -> Option<f64> {
    ring.windows(2)
        .map(|w| (w[1].x - w[0].x).abs())
        .find(|span| *span > 180.0)
}

impl Footprint {
    /// A polygon from `[lon, lat]` vertices (WGS84 degrees), open or closed, in either
    /// orientation. Repeated consecutive vertices are merged.
    ///
    /// # Errors
    /// On field `vertices[i].lon`/`.lat`: [`Reason::NotFinite`], [`Reason::LongitudeOutOfRange`],
    /// [`Reason::LatitudeOutOfRange`]. On field `vertices`: [`Reason::TooFewVertices`],
    /// [`Reason::TooManyVertices`], [`Reason::CrossesAntimeridian`], [`Reason::ZeroArea`],
    /// [`Reason::SelfIntersecting`], [`Reason::AreaTooLarge`].
    ///
    /// ```
    /// # use deconflict_core::{Footprint, VolumeLimits};
    /// let square = [[36.0, 35.0], [36.1, 35.0], [36.1, 35.1], [36.0, 35.1]];
    /// let fp = Footprint::polygon(&square, &VolumeLimits::default())?;
    /// assert!(fp.area_km2() > 100.0 && fp.area_km2() < 103.0);
    /// # Ok::<(), deconflict_core::ValidationError>(())
    /// ```
    pub fn polygon(vertices: &[[f64; 2]], limits: &VolumeLimits) -> Result<Self, ValidationError> {
        let mut ring: Vec<Coord> = Vec::with_capacity(vertices.len() + 1);
        for (i, [lon, lat]) in vertices.iter().enumerate() {
            let c = check_lon_lat(*lon, *lat).map_err(|e| e.within(format!("vertices[{i}]")))?;
            if ring.last() != Some(&c) {
                ring.push(c);
            }
        }
        while ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        let mut unique = ring.clone();
        unique.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        unique.dedup();
        if unique.len() < 3 {
            return Err(ValidationError::new(
                "vertices",
                Reason::TooFewVertices(unique.len()),
            ));
        }
        if unique.len() > limits.max_vertices {
            return Err(ValidationError::new(
                "vertices",
                Reason::TooManyVertices {
                    got: unique.len(),
                    max: limits.max_vertices,
                },
            ));
        }
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        if let Some(span) = antimeridian_span(&ring) {
            return Err(ValidationError::new(
                "vertices",
                Reason::CrossesAntimeridian(span),
            ));
        }
        if all_collinear(&ring) {
            return Err(ValidationError::new("vertices", Reason::ZeroArea));
        }
        let polygon = Polygon::new(LineString::new(ring), vec![]);
        if !limits.allow_self_intersecting && !polygon.is_valid() {
            return Err(ValidationError::new("vertices", Reason::SelfIntersecting));
        }
        Self::from_planar(Shape::Polygon, polygon, limits).map_err(|e| e.within("vertices"))
    }

    /// A geodesic circle of `radius_m` metres around `(lon, lat)`.
    ///
    /// # Errors
    /// On `center.lon`/`center.lat`: as for polygon vertices. On `radius_m`:
    /// [`Reason::NotFinite`], [`Reason::NonPositiveRadius`], [`Reason::RadiusTooLarge`],
    /// [`Reason::ContainsPole`], [`Reason::CrossesAntimeridian`], [`Reason::AreaTooLarge`].
    ///
    /// ```
    /// # use deconflict_core::{Footprint, VolumeLimits};
    /// let fp = Footprint::circle(36.2, 37.1, 1000.0, &VolumeLimits::default())?;
    /// assert!((fp.area_km2() - std::f64::consts::PI).abs() < 0.01);
    /// # Ok::<(), deconflict_core::ValidationError>(())
    /// ```
    pub fn circle(
        lon: f64,
        lat: f64,
        radius_m: f64,
        limits: &VolumeLimits,
    ) -> Result<Self, ValidationError> {
        let center = check_lon_lat(lon, lat).map_err(|e| e.within("center"))?;
        let radius_m = finite("radius_m", radius_m)?;
        if radius_m <= 0.0 {
            return Err(ValidationError::new(
                "radius_m",
                Reason::NonPositiveRadius(radius_m),
            ));
        }
        if radius_m > limits.max_radius_m {
            return Err(ValidationError::new(
                "radius_m",
                Reason::RadiusTooLarge {
                    got: radius_m,
                    max: limits.max_radius_m,
                },
            ));
        }
        let c = Point::from(center);
        let n = circle_vertex_count(radius_m);
        let reach = circumscribed_radius_m(radius_m, n);
        for pole in [90.0, -90.0] {
            if Geodesic.distance(c, Point::new(lon, pole)) <= reach {
                return Err(ValidationError::new("radius_m", Reason::ContainsPole));
            }
        }
        // Bearings decrease so that the ring runs counter-clockwise (bearings run clockwise).
        let mut ring: Vec<Coord> = (0..n)
            .map(|k| {
                let bearing = 360.0 - 360.0 * k as f64 / n as f64;
                Geodesic.destination(c, bearing % 360.0, reach).0
            })
            .collect();
        if let Some(first) = ring.first().copied() {
            ring.push(first);
        }
        if let Some(span) = antimeridian_span(&ring) {
            return Err(ValidationError::new(
                "radius_m",
                Reason::CrossesAntimeridian(span),
            ));
        }
        let polygon = Polygon::new(LineString::new(ring), vec![]);
        Self::from_planar(Shape::Circle { center, radius_m }, polygon, limits)
            .map_err(|e| e.within("radius_m"))
    }

    fn from_planar(
        shape: Shape,
        polygon: Polygon,
        limits: &VolumeLimits,
    ) -> Result<Self, ValidationError> {
        let polygon = polygon.orient(Direction::Default);
        // The unsigned geodesic area is that of the ring's smaller side: a ring whose winding the
        // algorithm reads backwards (one that crosses itself) would otherwise measure as the rest
        // of the Earth. No footprint this service holds approaches a hemisphere.
        let area_m2 = polygon.geodesic_area_unsigned();
        let area_km2 = area_m2.min(EARTH_AREA_M2 - area_m2).max(0.0) / 1.0e6;
        if area_km2 > limits.max_area_km2 {
            return Err(ValidationError::new(
                "",
                Reason::AreaTooLarge {
                    got_km2: area_km2,
                    max_km2: limits.max_area_km2,
                },
            ));
        }
        let bbox = polygon
            .bounding_rect()
            .ok_or_else(|| ValidationError::new("", Reason::ZeroArea))?;
        Ok(Self {
            shape,
            planar: Arc::new(polygon),
            bbox,
            area_km2,
        })
    }

    /// What was declared.
    pub fn kind(&self) -> FootprintKind<'_> {
        match &self.shape {
            Shape::Polygon => FootprintKind::Polygon {
                ring: &self.planar.exterior().0,
            },
            Shape::Circle { center, radius_m } => FootprintKind::Circle {
                center: *center,
                radius_m: *radius_m,
            },
        }
    }

    /// The planar region every intersection test uses (for a circle, its circumscribing polygon).
    pub fn planar(&self) -> &Polygon {
        &self.planar
    }

    /// Bounding box in lon/lat degrees.
    pub fn bbox(&self) -> Rect {
        self.bbox
    }

    /// Whether the two footprints share at least one point (closed: touching counts), as
    /// `ST_Intersects` on planar lon/lat geometry decides (see [`crate::ring`]).
    pub fn intersects(&self, other: &Self) -> bool {
        crate::ring::rings_intersect(
            &self.planar.exterior().0,
            &self.bbox,
            &other.planar.exterior().0,
            &other.bbox,
        )
    }

    /// Whether `other` lies wholly within this footprint, boundary included (`ST_Covers` on the
    /// same planar lon/lat geometry as [`Self::intersects`]): for a circle, within its
    /// circumscribing polygon.
    pub fn covers(&self, other: &Self) -> bool {
        use geo::Covers;
        self.bbox.min().x <= other.bbox.min().x
            && self.bbox.min().y <= other.bbox.min().y
            && self.bbox.max().x >= other.bbox.max().x
            && self.bbox.max().y >= other.bbox.max().y
            && self.planar.covers(&*other.planar)
    }

    /// Whether the ring is simple (does not cross itself): always, unless it was admitted under
    /// [`VolumeLimits::allow_self_intersecting`].
    pub fn is_simple(&self) -> bool {
        self.planar.is_valid()
    }

    /// Geodesic area on WGS84, km².
    pub fn area_km2(&self) -> f64 {
        self.area_km2
    }
}

/// Vertices of the polygon that holds a circle of `radius_m`: the least `n >= 16` with
/// `radius_m * (1/cos(π/n) - 1) <= 0.5` metres.
pub fn circle_vertex_count(radius_m: f64) -> usize {
    let half_angle = (radius_m / (radius_m + 0.5)).acos();
    let n = (std::f64::consts::PI / half_angle).ceil();
    // `n` is finite and positive for every radius the validation lets through.
    (n as usize).max(16)
}

/// Geodesic distance of the circumscribing polygon's vertices from the centre.
fn circumscribed_radius_m(radius_m: f64, n: usize) -> f64 {
    radius_m / (std::f64::consts::PI / n as f64).cos()
}

#[cfg(test)]
#[path = "footprint_tests.rs"]
mod tests;
