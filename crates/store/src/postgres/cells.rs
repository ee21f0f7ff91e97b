//! The spatial pre-selection of the PostgreSQL store: H3 cells (h3o) that cover a footprint,
//! stored in an `INT8[]` column with an inverted (GIN) index, so that "which rows may intersect"
//! is `cells && $1` — an operator that PostgreSQL, CockroachDB and YugabyteDB all index. The exact
//! 4D test is the core's, in Rust, on the candidates.
//!
//! # Why the covering is grown by one ring
//! Footprint edges are straight in lon/lat; H3 cell edges are great-circle arcs, and the tiler
//! decides "covers" on lon/lat polygons of the cells. Near a cell's edge the two disagree by
//! metres, so the cell a point is assigned to may be a neighbour of one the tiler listed. Growing
//! both sides' coverings by one ring (`grid_disk(1)`: the cells' neighbours, ≥ 1 km away at the
//! resolutions used) makes any common point of two footprints share a cell in both lists — at the
//! price of a few more candidates, which the exact test drops. The conformance suite's exactness
//! cases and this module's property test check it against brute force.

use std::collections::BTreeSet;

use deconflict_core::Volume4d;
use h3o::Resolution;
use h3o::geom::{ContainmentMode, TilerBuilder};

/// A query whose covering has more cells than this pre-selects by time and altitude only: an
/// array of tens of thousands of cells costs more to match than the scan it would save.
pub const MAX_QUERY_CELLS: usize = 20_000;

/// The envelope of some volumes: what the non-spatial columns of a row hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    /// Lowest altitude, metres.
    pub alt_lo: f64,
    /// Highest altitude, metres.
    pub alt_hi: f64,
    /// Earliest start.
    pub t_start: chrono::DateTime<chrono::Utc>,
    /// Latest end.
    pub t_end: chrono::DateTime<chrono::Utc>,
}

/// The envelope of `volumes` (`None` when there are none).
pub fn envelope(volumes: &[Volume4d]) -> Option<Envelope> {
    let mut it = volumes.iter();
    let first = it.next()?;
    let mut e = Envelope {
        alt_lo: first.altitude().lower_m(),
        alt_hi: first.altitude().upper_m(),
        t_start: first.time().start(),
        t_end: first.time().end(),
    };
    for v in it {
        e.alt_lo = e.alt_lo.min(v.altitude().lower_m());
        e.alt_hi = e.alt_hi.max(v.altitude().upper_m());
        e.t_start = e.t_start.min(v.time().start());
        e.t_end = e.t_end.max(v.time().end());
    }
    Some(e)
}

/// The cells at `res` covering every footprint of `volumes`, grown by one ring, sorted, as the
/// signed integers stored (an H3 index has its top bit clear). `None` when the covering would
/// exceed `max_cells` (the caller then pre-selects without cells).
pub fn cover(volumes: &[Volume4d], res: Resolution, max_cells: usize) -> Option<Vec<i64>> {
    let mut cells = BTreeSet::new();
    for v in volumes {
        let mut tiler = TilerBuilder::new(res)
            .containment_mode(ContainmentMode::Covers)
            .build();
        // Validated footprints are valid polygons; if the tiler still refuses one, no covering
        // is safe, so the caller scans instead.
        tiler.add(v.footprint().planar().clone()).ok()?;
        if tiler.coverage_size_hint() > max_cells.saturating_mul(4) {
            return None;
        }
        for cell in tiler.into_coverage() {
            for ring in cell.grid_disk::<Vec<_>>(1) {
                cells.insert(i64::try_from(u64::from(ring)).ok()?);
            }
            if cells.len() > max_cells {
                return None;
            }
        }
    }
    Some(cells.into_iter().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use chrono::{DateTime, Duration};
    use deconflict_core::{AltitudeBand, Footprint, TimeWindow, VolumeLimits};
    use proptest::prelude::*;

    use super::*;

    fn res() -> Resolution {
        Resolution::try_from(6).expect("a resolution")
    }

    fn volume(footprint: Footprint) -> Volume4d {
        let t = DateTime::from_timestamp(1_900_000_000, 0).expect("a time");
        Volume4d::new(
            footprint,
            AltitudeBand::all(),
            TimeWindow::new(t, t + Duration::hours(1)).expect("a window"),
        )
    }

    /// A triangle or circle near (`lon`, `lat`): small shapes a few hundred metres to 20 km
    /// across, anywhere off the poles, so that many pairs meet near cell edges.
    fn footprint(lon: f64, lat: f64) -> impl Strategy<Value = Footprint> {
        let tri = prop::collection::vec((-0.1f64..0.1, -0.1f64..0.1), 3).prop_map(move |d| {
            let ring: Vec<[f64; 2]> = d.iter().map(|(x, y)| [lon + x, lat + y]).collect();
            Footprint::polygon(&ring, &VolumeLimits::default())
        });
        let circle = (-0.1f64..0.1, -0.1f64..0.1, 20.0f64..5000.0).prop_map(move |(x, y, r)| {
            Footprint::circle(lon + x, lat + y, r, &VolumeLimits::default())
        });
        prop_oneof![tri, circle].prop_filter_map("valid footprint", Result::ok)
    }

    fn pair() -> impl Strategy<Value = (Footprint, Footprint)> {
        (-179.0f64..179.0, -75.0f64..75.0)
            .prop_flat_map(|(lon, lat)| (footprint(lon, lat), footprint(lon, lat)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whenever two footprints intersect (brute force: the core's exact test), their
        /// coverings share a cell: the pre-selection never loses a true answer.
        #[test]
        fn intersecting_footprints_share_a_cell((a, b) in pair()) {
            if a.intersects(&b) {
                let ca = cover(&[volume(a)], res(), usize::MAX).expect("covers");
                let cb = cover(&[volume(b)], res(), usize::MAX).expect("covers");
                prop_assert!(ca.iter().any(|c| cb.binary_search(c).is_ok()));
            }
        }

        /// Touching counts: a square and its neighbour sharing one edge share a cell.
        #[test]
        fn footprints_touching_along_an_edge_share_a_cell(
            lon in -179.0f64..178.0, lat in -75.0f64..75.0, w in 0.001f64..0.2
        ) {
            let square = |x0: f64| Footprint::polygon(
                &[[x0, lat], [x0 + w, lat], [x0 + w, lat + w], [x0, lat + w]],
                &VolumeLimits::default(),
            ).expect("a square");
            let ca = cover(&[volume(square(lon))], res(), usize::MAX).expect("covers");
            let cb = cover(&[volume(square(lon + w))], res(), usize::MAX).expect("covers");
            prop_assert!(ca.iter().any(|c| cb.binary_search(c).is_ok()));
        }
    }

    #[test]
    fn a_huge_covering_gives_up_rather_than_growing_without_bound() {
        let big = Footprint::polygon(
            &[[30.0, 30.0], [30.4, 30.0], [30.4, 30.4], [30.0, 30.4]],
            &VolumeLimits::default(),
        )
        .expect("a square");
        let all = cover(&[volume(big.clone())], res(), usize::MAX).expect("covers");
        assert!(all.len() > 10, "{} cells", all.len());
        assert_eq!(cover(&[volume(big)], res(), 10), None);
    }
}
