//! The spatial-temporal pre-selection of the PostgreSQL store: each row carries an `INT8[]` of
//! *keys*, one per (H3 cell, time bucket) its volumes touch, with an inverted (GIN) index, so that
//! "which rows may intersect" is `keys && $1` — an operator that PostgreSQL, CockroachDB and
//! YugabyteDB all index. The exact 4D test is the core's, in Rust, on the candidates.
//!
//! # Why time is in the key
//! With cells alone, a query in a busy area fetched every row ever filed around it, whatever its
//! window (the theatre workload: a week of operations, each a few hours long), and filtered by
//! time after reading them: thousands of rows per query, and under `SERIALIZABLE` so many
//! predicate locks that PostgreSQL promoted them to a lock on the whole table, which made every
//! concurrent claim conflict. A key per (cell, bucket) reads only rows near in space *and* time.
//!
//! # Buckets at several sizes
//! Time is cut into buckets of 1 hour, 1 day, 16 days, and one bucket for all time (levels 0–3).
//! A stored volume uses the finest level at which it has at most [`MAX_ROW_KEYS`] keys (a long
//! zone gets day or coarser buckets; a huge long one the all-time bucket); a query asks every
//! level, each with its own buckets. Two volumes whose windows overlap share an instant, which
//! lies in one bucket of each level, so they share a key at the stored one's level.
//!
//! # Why a shared point gives a shared cell, and the query's one ring
//! The tiler keeps every cell whose boundary polygon (its H3 vertices joined by straight lines
//! in lon/lat, like our footprints' edges) intersects the footprint, exactly, with `geo`'s
//! predicates. Adjacent cells share their boundary vertices, so these polygons tile the plane:
//! a point common to two footprints lies in one of them, which both coverings then list. The
//! true H3 cell edges are great-circle arcs, centimetres away at resolution 7, but the coverings
//! never use them. Rows store their plain covering; queries grow theirs by one ring
//! (`grid_disk(1)`), a margin against any cell the tiler's outline tracing might miss — cheap
//! there, as a query's keys are not stored. The property tests below check that intersecting
//! volumes always share a key.
//!
//! A key is the cell's H3 index with its unused low 24 bits carrying (level, bucket) — see
//! [`key`]'s comment for why keys must keep locality.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use deconflict_core::Volume4d;
use h3o::Resolution;
use h3o::geom::{ContainmentMode, TilerBuilder};

/// A query with more keys than this pre-selects by time and altitude only: an array of tens of
/// thousands of keys costs more to match than the scan it would save.
pub const MAX_QUERY_KEYS: usize = 20_000;

/// A stored volume uses the finest time level at which it has at most this many keys.
pub const MAX_ROW_KEYS: usize = 2_048;

/// Bucket sizes of levels 0–2, seconds; level 3 is one bucket for all time.
const LEVELS_S: [i64; 3] = [3_600, 86_400, 16 * 86_400];
const ALL_TIME: u8 = 3;

/// The envelope of some volumes: what the non-spatial columns of a row hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    /// Lowest altitude, metres.
    pub alt_lo: f64,
    /// Highest altitude, metres.
    pub alt_hi: f64,
    /// Earliest start.
    pub t_start: DateTime<Utc>,
    /// Latest end.
    pub t_end: DateTime<Utc>,
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

/// The cells at `res` covering a volume's footprint, grown by `rings`; `None` when the tiler
/// refuses the polygon or there would be more than `max` of them.
fn cells(v: &Volume4d, res: Resolution, rings: u32, max: usize) -> Option<Vec<u64>> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::Covers)
        .build();
    // Validated footprints are valid polygons; if the tiler still refuses one, no covering is
    // safe, so the caller scans instead.
    tiler.add(v.footprint().planar().clone()).ok()?;
    if tiler.coverage_size_hint() > max.saturating_mul(4) {
        return None;
    }
    let mut out = BTreeSet::new();
    for cell in tiler.into_coverage() {
        out.extend(cell.grid_disk::<Vec<_>>(rings).into_iter().map(u64::from));
        if out.len() > max {
            return None;
        }
    }
    Some(out.into_iter().collect())
}

/// The buckets of `level` that the half-open window [start, end) touches.
fn buckets(level: u8, start: DateTime<Utc>, end: DateTime<Utc>) -> std::ops::RangeInclusive<i64> {
    let Some(&size) = LEVELS_S.get(usize::from(level)) else {
        return 0..=0;
    };
    // The last instant of the window is just before `end`.
    let last = end - chrono::Duration::nanoseconds(1);
    start.timestamp().div_euclid(size)..=last.timestamp().div_euclid(size)
}

fn bucket_count(level: u8, start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
    let r = buckets(level, start, end);
    usize::try_from(r.end().saturating_sub(*r.start()).saturating_add(1)).unwrap_or(usize::MAX)
}

/// Bits of a key that hold the time level and bucket: an H3 index at resolution 7 or coarser
/// has its last 8 digits (24 bits) unused (all ones), so they can carry time.
const TIME_BITS: u32 = 24;
const BUCKET_BITS: u32 = TIME_BITS - 2;

/// The finest resolution whose cell indexes leave [`TIME_BITS`] free.
pub const FINEST_RESOLUTION: u8 = 7;

/// A key: the cell's index with its unused low bits replaced by (level, bucket). Keys of one
/// cell sort together, and cells near each other mostly share index prefixes, so the keys of one
/// area sit in few index pages — which keeps the predicate locks a serializable query takes few
/// and local (hashed keys spread every query over the whole index, and PostgreSQL then locked the
/// index as a whole). Buckets wrap modulo 2^22 (478 years of hours): a wrap only adds candidates.
fn key(level: u8, bucket: i64, cell: u64) -> i64 {
    let time = (u64::from(level) << BUCKET_BITS) | (bucket.rem_euclid(1 << BUCKET_BITS) as u64);
    ((cell & !((1u64 << TIME_BITS) - 1)) | time) as i64
}

/// The keys of a stored row with `volumes`, sorted: each volume at the finest level where it has
/// at most [`MAX_ROW_KEYS`] keys. `None` if a footprint cannot be covered.
pub fn row_keys(volumes: &[Volume4d], res: Resolution) -> Option<Vec<i64>> {
    let mut keys = BTreeSet::new();
    for v in volumes {
        let cells = cells(v, res, 0, usize::MAX)?;
        let (start, end) = (v.time().start(), v.time().end());
        let level = (0..ALL_TIME)
            .find(|&l| bucket_count(l, start, end).saturating_mul(cells.len()) <= MAX_ROW_KEYS)
            .unwrap_or(ALL_TIME);
        for b in buckets(level, start, end) {
            keys.extend(cells.iter().map(|&c| key(level, b, c)));
        }
    }
    Some(keys.into_iter().collect())
}

/// The resolution of `areas`: cells of about 36 km², time-free. Coarse enough that a zone of
/// 250,000 km² (a country-wide ceasefire) has some 7,000; fine enough that a query for a small
/// site meets only the rows within a few km.
pub const AREA_RESOLUTION: Resolution = Resolution::Six;

/// Most cells a row's `areas` holds; beyond, it is [`ANYWHERE`].
pub const MAX_ROW_AREAS: usize = 20_000;

/// The `areas` value of a row that may be anywhere (too large to list, or written before
/// schema 3). Every query matches it.
pub const ANYWHERE: i64 = -1;

/// The `areas` of a stored row with `volumes`, sorted: the cells at [`AREA_RESOLUTION`] that
/// cover its footprints, or `[ANYWHERE]`.
pub fn row_areas(volumes: &[Volume4d]) -> Vec<i64> {
    let mut out = BTreeSet::new();
    for v in volumes {
        match cells(v, AREA_RESOLUTION, 0, MAX_ROW_AREAS) {
            Some(c) => out.extend(c.into_iter().map(|c| c as i64)),
            None => return vec![ANYWHERE],
        }
        if out.len() > MAX_ROW_AREAS {
            return vec![ANYWHERE];
        }
    }
    out.into_iter().collect()
}

/// The `areas` a query for `volumes` matches, sorted: their covering grown by one ring, and
/// [`ANYWHERE`]. `None` when there would be more than `max` (the caller then pre-selects by
/// time and altitude only).
pub fn query_areas(volumes: &[Volume4d], max: usize) -> Option<Vec<i64>> {
    let mut out = BTreeSet::from([ANYWHERE]);
    for v in volumes {
        out.extend(
            cells(v, AREA_RESOLUTION, 1, max)?
                .into_iter()
                .map(|c| c as i64),
        );
        if out.len() > max {
            return None;
        }
    }
    Some(out.into_iter().collect())
}

/// The keys a query for `volumes` matches, sorted: every level, each with its buckets. `None`
/// when there would be more than `max` (the caller then pre-selects without keys).
pub fn query_keys(volumes: &[Volume4d], res: Resolution, max: usize) -> Option<Vec<i64>> {
    let mut keys = BTreeSet::new();
    for v in volumes {
        let cells = cells(v, res, 1, max)?;
        let (start, end) = (v.time().start(), v.time().end());
        for level in 0..=ALL_TIME {
            if bucket_count(level, start, end).saturating_mul(cells.len()) > max {
                return None;
            }
            for b in buckets(level, start, end) {
                keys.extend(cells.iter().map(|&c| key(level, b, c)));
            }
            if keys.len() > max {
                return None;
            }
        }
    }
    Some(keys.into_iter().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use chrono::Duration;
    use deconflict_core::{AltitudeBand, Footprint, TimeWindow, VolumeLimits};
    use proptest::prelude::*;

    use super::*;

    fn res() -> Resolution {
        Resolution::try_from(7).expect("a resolution")
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_900_000_000, 0).expect("a time")
    }

    fn volume(footprint: Footprint, start_s: i64, len_s: i64) -> Volume4d {
        let start = t0() + Duration::seconds(start_s);
        Volume4d::new(
            footprint,
            AltitudeBand::all(),
            TimeWindow::new(start, start + Duration::seconds(len_s.max(1))).expect("a window"),
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

    /// Windows from a second to seven weeks, starting anywhere in three months, on a coarse grid
    /// half the time so that ends meet starts exactly.
    fn window() -> impl Strategy<Value = (i64, i64)> {
        prop_oneof![
            (0i64..90 * 86_400, 0u32..23).prop_map(|(s, e)| (s, 1i64 << e)),
            (0i64..200, 1i64..30).prop_map(|(s, l)| (s * 1800, l * 1800)),
        ]
    }

    fn pair() -> impl Strategy<Value = (Volume4d, Volume4d)> {
        (-179.0f64..179.0, -75.0f64..75.0).prop_flat_map(|(lon, lat)| {
            (footprint(lon, lat), window(), footprint(lon, lat), window())
                .prop_map(|(fa, (sa, la), fb, (sb, lb))| (volume(fa, sa, la), volume(fb, sb, lb)))
        })
    }

    fn share(a: &[i64], b: &[i64]) -> bool {
        a.iter().any(|k| b.binary_search(k).is_ok())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whenever two volumes intersect (brute force: the core's exact test), each one's row
        /// keys meet the other's query keys: the pre-selection never loses a true answer.
        #[test]
        fn intersecting_volumes_share_a_key((a, b) in pair()) {
            if a.intersects(&b) {
                let (ra, rb) = (
                    row_keys(std::slice::from_ref(&a), res()).expect("keys"),
                    row_keys(std::slice::from_ref(&b), res()).expect("keys"),
                );
                let (qa, qb) = (
                    query_keys(std::slice::from_ref(&a), res(), usize::MAX).expect("keys"),
                    query_keys(std::slice::from_ref(&b), res(), usize::MAX).expect("keys"),
                );
                prop_assert!(share(&ra, &qb));
                prop_assert!(share(&rb, &qa));
                // The coarse, time-free areas keep every true answer too.
                let (aa, ab) = (
                    row_areas(std::slice::from_ref(&a)),
                    row_areas(std::slice::from_ref(&b)),
                );
                let (qaa, qab) = (
                    query_areas(std::slice::from_ref(&a), usize::MAX).expect("areas"),
                    query_areas(std::slice::from_ref(&b), usize::MAX).expect("areas"),
                );
                prop_assert!(share(&aa, &qab));
                prop_assert!(share(&ab, &qaa));
            }
        }

        /// Areas pre-select: a footprint a few cells away from another never shares an area
        /// with its query (else they would not narrow anything), and a row that may be anywhere
        /// meets every query.
        #[test]
        fn areas_are_local_and_anywhere_matches_all(
            lon in -170.0f64..170.0, lat in -70.0f64..70.0, d in 0.001f64..0.05
        ) {
            let square = |x0: f64, y0: f64| Footprint::polygon(
                &[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d]],
                &VolumeLimits::default(),
            ).expect("a square");
            let here = row_areas(&[volume(square(lon, lat), 0, 600)]);
            // About 55 km north: more than two rings of ~3.7 km-edge cells away.
            let far = query_areas(&[volume(square(lon, lat + 0.5), 0, 600)], usize::MAX)
                .expect("areas");
            prop_assert!(!share(&here, &far));
            prop_assert!(share(&[ANYWHERE], &far));
        }

        /// Touching counts: a square and its neighbour sharing one edge, in the same hour.
        #[test]
        fn footprints_touching_along_an_edge_share_a_key(
            lon in -179.0f64..178.0, lat in -75.0f64..75.0, w in 0.001f64..0.2
        ) {
            let square = |x0: f64| Footprint::polygon(
                &[[x0, lat], [x0 + w, lat], [x0 + w, lat + w], [x0, lat + w]],
                &VolumeLimits::default(),
            ).expect("a square");
            let a = row_keys(&[volume(square(lon), 0, 600)], res()).expect("keys");
            let b = query_keys(&[volume(square(lon + w), 300, 600)], res(), usize::MAX)
                .expect("keys");
            prop_assert!(share(&a, &b));
        }
    }

    #[test]
    fn a_long_or_large_row_uses_coarser_time_buckets_and_stays_bounded() {
        let small = Footprint::circle(36.5, 35.5, 500.0, &VolumeLimits::default()).expect("ok");
        let short = row_keys(&[volume(small.clone(), 0, 2 * 3600)], res()).expect("keys");
        let month = row_keys(&[volume(small, 0, 30 * 86_400)], res()).expect("keys");
        assert!(!short.is_empty() && short.len() <= MAX_ROW_KEYS);
        assert!(month.len() <= MAX_ROW_KEYS, "{}", month.len());
        let big = Footprint::polygon(
            &[[30.0, 30.0], [30.4, 30.0], [30.4, 30.4], [30.0, 30.4]],
            &VolumeLimits::default(),
        )
        .expect("a square");
        let year = row_keys(&[volume(big.clone(), 0, 365 * 86_400)], res()).expect("keys");
        assert!(
            year.len()
                <= MAX_ROW_KEYS.max(
                    cells(&volume(big, 0, 1), res(), 0, usize::MAX)
                        .expect("cells")
                        .len()
                )
        );
    }

    #[test]
    fn a_huge_query_gives_up_rather_than_growing_without_bound() {
        let big = Footprint::polygon(
            &[[30.0, 30.0], [30.4, 30.0], [30.4, 30.4], [30.0, 30.4]],
            &VolumeLimits::default(),
        )
        .expect("a square");
        let v = volume(big, 0, 3600);
        assert!(query_keys(std::slice::from_ref(&v), res(), usize::MAX).is_some());
        assert_eq!(query_keys(&[v], res(), 10), None);
    }

    #[test]
    fn windows_touching_end_to_start_fall_in_different_hour_buckets_only_when_they_must() {
        let end_at_hour = buckets(
            0,
            t0() - Duration::seconds(600),
            t0() + Duration::seconds(0),
        );
        // 1_900_000_000 s is not on an hour boundary, so use an aligned instant.
        let h = DateTime::from_timestamp(3600 * 500_000, 0).expect("a time");
        let before = buckets(0, h - Duration::seconds(600), h);
        let after = buckets(0, h, h + Duration::seconds(600));
        assert_eq!(
            before.end() + 1,
            *after.start(),
            "[.., h) and [h, ..) meet, not overlap"
        );
        assert!(end_at_hour.start() <= end_at_hour.end());
    }
}
