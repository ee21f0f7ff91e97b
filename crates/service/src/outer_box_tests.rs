//! The coarse outer box of the F3548 USS API against a brute-force check: for footprints of any
//! shape and size anywhere (the poles' neighbourhood included), every vertex of the real
//! footprint lies inside the box with at least one grid step of margin, the box covers the
//! footprint by the core's own test, and it is at most three grid steps larger on each side.

#![allow(clippy::expect_used, reason = "tests")]

use chrono::{DateTime, Utc};
use deconflict_core::{AltitudeBand, Footprint, FootprintSpec, TimeWindow, Volume4d, VolumeLimits};
use proptest::prelude::*;

use super::DisclosurePolicy;

fn footprint() -> impl Strategy<Value = Footprint> {
    let polygon = (
        -179.0f64..179.0,
        -88.0f64..88.0,
        prop::collection::vec(0.0f64..std::f64::consts::TAU, 3..9),
        0.0005f64..0.2,
    )
        .prop_map(|(lon, lat, mut angles, r)| {
            angles.sort_by(f64::total_cmp);
            let ring: Vec<[f64; 2]> = angles
                .iter()
                .map(|a| [lon + r * a.cos(), lat + r * a.sin()])
                .collect();
            Footprint::polygon(&ring, &VolumeLimits::default())
        });
    let circle = (-179.0f64..179.0, -85.0f64..85.0, 1.0f64..20_000.0)
        .prop_map(|(lon, lat, r)| Footprint::circle(lon, lat, r, &VolumeLimits::default()));
    prop_oneof![polygon, circle].prop_filter_map("a valid footprint", Result::ok)
}

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + s, 0).expect("a time")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_outer_box_contains_the_footprint(fp in footprint(), res in 5u8..10) {
        let policy = DisclosurePolicy {
            h3_resolution: h3o::Resolution::try_from(res).expect("a resolution"),
            ..DisclosurePolicy::default()
        };
        let step = policy.h3_resolution.edge_length_km() / 111.32;
        let v = Volume4d::new(
            fp.clone(),
            AltitudeBand::new(10.0, 20.0).expect("a band"),
            TimeWindow::new(t(0), t(60)).expect("a window"),
        );
        let b = policy.outer_box(&v);
        prop_assert_eq!((b.altitude_lower_m, b.altitude_upper_m), (10.0, 20.0));
        prop_assert_eq!((b.time_start, b.time_end), (t(0), t(60)));
        let FootprintSpec::Polygon { vertices } = &b.footprint else {
            return Err(TestCaseError::fail("a polygon"));
        };
        let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for [x, y] in vertices {
            (w, s, e, n) = (w.min(*x), s.min(*y), e.max(*x), n.max(*y));
        }
        let ring = &fp.planar().exterior().0;
        for c in ring {
            prop_assert!(c.x >= w.max(-180.0) && c.x <= e && c.y >= s && c.y <= n, "{c:?}");
            prop_assert!(c.x - w >= step * 0.999 || w <= -180.0, "west margin at {c:?}");
            prop_assert!(e - c.x >= step * 0.999 || e >= 180.0, "east margin at {c:?}");
            prop_assert!(c.y - s >= step * 0.999 || s <= -90.0, "south margin at {c:?}");
            prop_assert!(n - c.y >= step * 0.999 || n >= 90.0, "north margin at {c:?}");
        }
        let min_x = ring.iter().map(|c| c.x).fold(f64::MAX, f64::min);
        let max_y = ring.iter().map(|c| c.y).fold(f64::MIN, f64::max);
        prop_assert!(min_x - w <= 2.0 * step + 1e-9, "not much larger");
        prop_assert!(n - max_y <= 2.0 * step + 1e-9, "not much larger");
        let boxed = Footprint::polygon(
            vertices,
            &VolumeLimits { max_area_km2: f64::MAX, ..VolumeLimits::default() },
        )
        .expect("the box is a valid polygon");
        prop_assert!(boxed.covers(&fp), "the box covers the footprint");
    }
}
