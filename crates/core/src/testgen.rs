//! Test-only generators of random volumes, and a brute-force intersection oracle written
//! independently of `geo`'s predicates (segment crossings by exact orientation, then a
//! crossing-number point-in-polygon), for the property tests of the rule, the index and the
//! airspace.

use chrono::{DateTime, Duration, Utc};
use geo::Coord;
use geo::kernels::{Kernel, Orientation, RobustKernel};
use proptest::prelude::*;

use crate::{AltitudeBand, Footprint, TimeWindow, Volume4d, VolumeLimits};

fn base() -> DateTime<Utc> {
    DateTime::from_timestamp(1_782_000_000, 0).unwrap_or_default()
}

/// Footprints in a small area so that many intersect: grid squares (which touch exactly along
/// edges and corners), convex polygons and circles.
pub fn arb_footprint() -> impl Strategy<Value = Footprint> {
    let square = (0u8..5, 0u8..5, 1u8..4, 1u8..4).prop_map(|(x, y, w, h)| {
        let (x0, y0) = (36.0 + f64::from(x) * 0.01, 35.0 + f64::from(y) * 0.01);
        let (x1, y1) = (x0 + f64::from(w) * 0.01, y0 + f64::from(h) * 0.01);
        Footprint::polygon(
            &[[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
            &VolumeLimits::default(),
        )
    });
    let convex = (
        36.0f64..36.05,
        35.0f64..35.05,
        prop::collection::vec(0.0f64..std::f64::consts::TAU, 3..9),
        0.005f64..0.03,
    )
        .prop_map(|(lon, lat, mut angles, r)| {
            angles.sort_by(f64::total_cmp);
            let ring: Vec<[f64; 2]> = angles
                .iter()
                .map(|a| [lon + r * a.cos(), lat + r * a.sin()])
                .collect();
            Footprint::polygon(&ring, &VolumeLimits::default())
        });
    let circle = (36.0f64..36.05, 35.0f64..35.05, 50.0f64..2500.0)
        .prop_map(|(lon, lat, r)| Footprint::circle(lon, lat, r, &VolumeLimits::default()));
    prop_oneof![square, convex, circle].prop_filter_map("valid footprint", Result::ok)
}

/// Volumes whose bands and windows are on coarse grids, so that they often touch exactly.
pub fn arb_volume() -> impl Strategy<Value = Volume4d> {
    (arb_footprint(), 0u8..6, 0u8..6, 0u8..8, 1u8..6).prop_map(|(fp, a, da, t, dt)| {
        let lower = f64::from(a) * 100.0;
        let upper = lower + f64::from(da) * 100.0;
        let start = base() + Duration::minutes(30 * i64::from(t));
        let end = start + Duration::minutes(30 * i64::from(dt));
        Volume4d::new(
            fp,
            AltitudeBand::new(lower, upper).unwrap_or_else(|_| AltitudeBand::all()),
            TimeWindow::new(start, end).unwrap_or_else(|_| unreachable_window()),
        )
    })
}

fn unreachable_window() -> TimeWindow {
    // dt >= 1 above, so this is never used; it keeps the generator free of panics.
    TimeWindow::new(base(), base() + Duration::minutes(1)).unwrap_or_else(|_| unreachable_window())
}

/// 1 to 3 volumes of one entity.
pub fn arb_volumes() -> impl Strategy<Value = Vec<Volume4d>> {
    prop::collection::vec(arb_volume(), 1..4)
}

fn segments_meet(p1: Coord, p2: Coord, q1: Coord, q2: Coord) -> bool {
    let o = |a, b, c| RobustKernel::orient2d(a, b, c);
    let on = |a: Coord, b: Coord, c: Coord| {
        c.x >= a.x.min(b.x) && c.x <= a.x.max(b.x) && c.y >= a.y.min(b.y) && c.y <= a.y.max(b.y)
    };
    let (d1, d2) = (o(p1, p2, q1), o(p1, p2, q2));
    let (d3, d4) = (o(q1, q2, p1), o(q1, q2, p2));
    let straddles = |x: Orientation, y: Orientation| {
        matches!(
            (x, y),
            (Orientation::Clockwise, Orientation::CounterClockwise)
                | (Orientation::CounterClockwise, Orientation::Clockwise)
        )
    };
    if straddles(d1, d2) && straddles(d3, d4) {
        return true;
    }
    (d1 == Orientation::Collinear && on(p1, p2, q1))
        || (d2 == Orientation::Collinear && on(p1, p2, q2))
        || (d3 == Orientation::Collinear && on(q1, q2, p1))
        || (d4 == Orientation::Collinear && on(q1, q2, p2))
}

fn strictly_inside(p: Coord, ring: &[Coord]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) {
            inside = !inside;
        }
    }
    inside
}

/// Brute force: closed polygons intersect iff some edges meet, or one lies inside the other.
pub fn oracle_footprints(a: &Footprint, b: &Footprint) -> bool {
    let (ra, rb) = (&a.planar().exterior().0, &b.planar().exterior().0);
    for ea in ra.windows(2) {
        for eb in rb.windows(2) {
            if segments_meet(ea[0], ea[1], eb[0], eb[1]) {
                return true;
            }
        }
    }
    // No boundary contact: either disjoint, or one strictly inside the other.
    strictly_inside(ra[0], rb) || strictly_inside(rb[0], ra)
}

/// Brute force of the whole 4D rule, on plain numbers.
pub fn oracle(a: &Volume4d, b: &Volume4d) -> bool {
    let time = a.time().start() < b.time().end() && b.time().start() < a.time().end();
    let alt = a.altitude().lower_m() <= b.altitude().upper_m()
        && b.altitude().lower_m() <= a.altitude().upper_m();
    time && alt && oracle_footprints(a.footprint(), b.footprint())
}
