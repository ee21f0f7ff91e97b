//! The union key scope against a brute-force oracle: two sets of axis-aligned grid rectangles
//! (whose overlap is two interval tests, independent of the geometry code), each with its own
//! bands and windows; widened, they intersect exactly when some rectangle of one meets some
//! rectangle of the other (closed), the spans of their bands overlap (closed), and the spans of
//! their windows overlap (half-open) — the reference DSS's union rule.

#![allow(clippy::expect_used, reason = "tests")]

use chrono::{DateTime, Duration, Utc};
use deconflict_core::{AltitudeBand, Footprint, TimeWindow, Volume4d, VolumeLimits};
use proptest::prelude::*;

use super::widened;

/// A rectangle on a 0.01° grid: (x, y, w, h) cells, band (lower, thickness) in 100 m, window
/// (start, length) in 30 minutes.
type Cell = ((u8, u8, u8, u8), (u8, u8), (u8, u8));

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("a time")
        .to_utc()
}

fn volume(c: &Cell) -> Volume4d {
    let ((x, y, w, h), (a, da), (t, dt)) = *c;
    // Each coordinate from its grid integer, so that touching edges are equal floats.
    let at = |origin: f64, i: u8| origin + f64::from(i) * 0.01;
    let (x0, y0, x1, y1) = (at(10.0, x), at(20.0, y), at(10.0, x + w), at(20.0, y + h));
    let footprint = Footprint::polygon(
        &[[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        &VolumeLimits::default(),
    )
    .expect("a rectangle");
    let lower = f64::from(a) * 100.0;
    let start = t0() + Duration::minutes(30 * i64::from(t));
    Volume4d::new(
        footprint,
        AltitudeBand::new(lower, lower + f64::from(da) * 100.0).expect("a band"),
        TimeWindow::new(start, start + Duration::minutes(30 * i64::from(dt))).expect("a window"),
    )
}

fn cell() -> impl Strategy<Value = Cell> {
    (
        (0u8..6, 0u8..6, 1u8..3, 1u8..3),
        (0u8..5, 0u8..3),
        (0u8..8, 1u8..4),
    )
}

/// Brute force on the integers of the grid.
fn oracle(a: &[Cell], b: &[Cell]) -> bool {
    let meets = |p: &Cell, q: &Cell| {
        let ((px, py, pw, ph), _, _) = *p;
        let ((qx, qy, qw, qh), _, _) = *q;
        px <= qx + qw && qx <= px + pw && py <= qy + qh && qy <= py + ph
    };
    let band = |s: &[Cell]| {
        let lo = s.iter().map(|c| c.1.0).min().unwrap_or(0);
        let hi = s.iter().map(|c| c.1.0 + c.1.1).max().unwrap_or(0);
        (lo, hi)
    };
    let window = |s: &[Cell]| {
        let start = s.iter().map(|c| c.2.0).min().unwrap_or(0);
        let end = s.iter().map(|c| c.2.0 + c.2.1).max().unwrap_or(0);
        (start, end)
    };
    let ((alo, ahi), (blo, bhi)) = (band(a), band(b));
    let ((as_, ae), (bs, be)) = (window(a), window(b));
    a.iter().any(|p| b.iter().any(|q| meets(p, q)))
        && alo <= bhi
        && blo <= ahi
        && as_ < be
        && bs < ae
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn widened_volumes_meet_exactly_when_their_unions_do(
        a in prop::collection::vec(cell(), 1..4),
        b in prop::collection::vec(cell(), 1..4),
    ) {
        let wa = widened(&a.iter().map(volume).collect::<Vec<_>>());
        let wb = widened(&b.iter().map(volume).collect::<Vec<_>>());
        let got = wa.iter().any(|x| wb.iter().any(|y| x.intersects(y)));
        prop_assert_eq!(got, oracle(&a, &b), "a {:?} b {:?}", a, b);
    }

    #[test]
    fn the_union_asks_for_at_least_what_exact_asks(
        a in prop::collection::vec(cell(), 1..4),
        b in prop::collection::vec(cell(), 1..4),
    ) {
        let (va, vb): (Vec<_>, Vec<_>) =
            (a.iter().map(volume).collect(), b.iter().map(volume).collect());
        let exact = va.iter().any(|x| vb.iter().any(|y| x.intersects(y)));
        let union = widened(&va).iter().any(|x| widened(&vb).iter().any(|y| x.intersects(y)));
        prop_assert!(!exact || union);
    }
}
