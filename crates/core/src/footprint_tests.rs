//! Every validation error of footprints, altitude bands, time windows and volume counts, and the
//! 1 m bound of circles against geodesic distances.

use chrono::{DateTime, Utc};
use geo::{Contains, Coord, Distance, Geodesic, Point};
use proptest::prelude::*;

use super::*;
use crate::{AltitudeBand, PartyId, TimeWindow, check_volume_count};

fn limits() -> VolumeLimits {
    VolumeLimits::default()
}

fn square() -> Vec<[f64; 2]> {
    vec![[36.0, 35.0], [36.1, 35.0], [36.1, 35.1], [36.0, 35.1]]
}

fn refused(r: Result<Footprint, ValidationError>) -> (String, Reason) {
    let e = r.expect_err("must be refused");
    (e.field().to_owned(), e.reason().clone())
}

#[test]
fn a_valid_polygon_is_closed_and_counter_clockwise() {
    let mut cw = square();
    cw.reverse();
    let fp = Footprint::polygon(&cw, &limits()).expect("valid");
    let FootprintKind::Polygon { ring } = fp.kind() else {
        panic!("a polygon")
    };
    assert_eq!(ring.len(), 5);
    assert_eq!(ring.first(), ring.last());
    use geo::Winding;
    use geo::orient::Direction;
    assert!(fp.planar().exterior().is_ccw(), "{:?}", Direction::Default);
}

#[test]
fn closed_and_open_rings_and_repeated_vertices_are_the_same_polygon() {
    let open = Footprint::polygon(&square(), &limits()).expect("valid");
    let mut closed = square();
    closed.push(closed[0]);
    closed.insert(1, closed[0]);
    let closed = Footprint::polygon(&closed, &limits()).expect("valid");
    assert_eq!(open, closed);
}

#[test]
fn latitude_out_of_range_names_the_vertex() {
    let mut v = square();
    v[2] = [36.1, 90.5];
    assert_eq!(
        refused(Footprint::polygon(&v, &limits())),
        ("vertices[2].lat".into(), Reason::LatitudeOutOfRange(90.5))
    );
}

#[test]
fn longitude_out_of_range_names_the_vertex() {
    let mut v = square();
    v[1] = [-180.25, 35.0];
    assert_eq!(
        refused(Footprint::polygon(&v, &limits())),
        (
            "vertices[1].lon".into(),
            Reason::LongitudeOutOfRange(-180.25)
        )
    );
}

#[test]
fn nan_and_infinite_coordinates_are_refused() {
    let mut v = square();
    v[0] = [f64::NAN, 35.0];
    let (field, reason) = refused(Footprint::polygon(&v, &limits()));
    assert_eq!(field, "vertices[0].lon");
    assert!(matches!(reason, Reason::NotFinite(x) if x.is_nan()));
    v[0] = [36.0, f64::INFINITY];
    assert_eq!(
        refused(Footprint::polygon(&v, &limits())),
        ("vertices[0].lat".into(), Reason::NotFinite(f64::INFINITY))
    );
    assert_eq!(
        refused(Footprint::circle(36.0, f64::NEG_INFINITY, 10.0, &limits())),
        ("center.lat".into(), Reason::NotFinite(f64::NEG_INFINITY))
    );
    let (field, reason) = refused(Footprint::circle(36.0, 35.0, f64::NAN, &limits()));
    assert_eq!(field, "radius_m");
    assert!(matches!(reason, Reason::NotFinite(x) if x.is_nan()));
}

#[test]
fn fewer_than_three_distinct_vertices_are_refused() {
    let two = [[36.0, 35.0], [36.1, 35.0], [36.0, 35.0], [36.1, 35.0]];
    assert_eq!(
        refused(Footprint::polygon(&two, &limits())),
        ("vertices".into(), Reason::TooFewVertices(2))
    );
    assert_eq!(
        refused(Footprint::polygon(&[], &limits())),
        ("vertices".into(), Reason::TooFewVertices(0))
    );
}

#[test]
fn more_vertices_than_the_limit_are_refused() {
    let small = VolumeLimits {
        max_vertices: 3,
        ..limits()
    };
    assert_eq!(
        refused(Footprint::polygon(&square(), &small)),
        (
            "vertices".into(),
            Reason::TooManyVertices { got: 4, max: 3 }
        )
    );
}

#[test]
fn a_self_intersecting_ring_is_refused() {
    let bowtie = [[36.0, 35.0], [36.1, 35.1], [36.1, 35.0], [36.0, 35.1]];
    assert_eq!(
        refused(Footprint::polygon(&bowtie, &limits())),
        ("vertices".into(), Reason::SelfIntersecting)
    );
}

#[test]
fn collinear_vertices_have_zero_area() {
    let line = [[36.0, 35.0], [36.1, 35.0], [36.2, 35.0]];
    assert_eq!(
        refused(Footprint::polygon(&line, &limits())),
        ("vertices".into(), Reason::ZeroArea)
    );
}

#[test]
fn a_polygon_crossing_the_antimeridian_is_refused() {
    let fiji = [
        [179.5, -17.0],
        [-179.5, -17.0],
        [-179.5, -16.0],
        [179.5, -16.0],
    ];
    assert_eq!(
        refused(Footprint::polygon(&fiji, &limits())),
        ("vertices".into(), Reason::CrossesAntimeridian(359.0))
    );
}

#[test]
fn a_circle_crossing_the_antimeridian_is_refused() {
    let (field, reason) = refused(Footprint::circle(179.99, -17.0, 5000.0, &limits()));
    assert_eq!(field, "radius_m");
    assert!(
        matches!(reason, Reason::CrossesAntimeridian(_)),
        "{reason:?}"
    );
}

#[test]
fn a_circle_containing_a_pole_is_refused() {
    assert_eq!(
        refused(Footprint::circle(10.0, 89.9, 20_000.0, &limits())),
        ("radius_m".into(), Reason::ContainsPole)
    );
}

#[test]
fn a_radius_not_above_zero_is_refused() {
    for r in [0.0, -5.0] {
        assert_eq!(
            refused(Footprint::circle(36.0, 35.0, r, &limits())),
            ("radius_m".into(), Reason::NonPositiveRadius(r))
        );
    }
}

#[test]
fn a_radius_above_the_limit_is_refused() {
    assert_eq!(
        refused(Footprint::circle(36.0, 35.0, 600_000.0, &limits())),
        (
            "radius_m".into(),
            Reason::RadiusTooLarge {
                got: 600_000.0,
                max: 500_000.0
            }
        )
    );
}

#[test]
fn an_area_above_the_limit_is_refused_for_polygons_and_circles() {
    let big = [[36.0, 35.0], [37.0, 35.0], [37.0, 36.0], [36.0, 36.0]];
    let (field, reason) = refused(Footprint::polygon(&big, &limits()));
    assert_eq!(field, "vertices");
    assert!(
        matches!(reason, Reason::AreaTooLarge { got_km2, max_km2 } if got_km2 > 9000.0 && max_km2 == 2500.0),
        "{reason:?}"
    );
    let (field, reason) = refused(Footprint::circle(36.0, 35.0, 30_000.0, &limits()));
    assert_eq!(field, "radius_m");
    assert!(matches!(reason, Reason::AreaTooLarge { .. }), "{reason:?}");
    // Just under the limit passes: π·28.2² ≈ 2498 km².
    assert!(Footprint::circle(36.0, 35.0, 28_200.0, &limits()).is_ok());
}

#[test]
fn circle_center_out_of_range_is_refused() {
    assert_eq!(
        refused(Footprint::circle(181.0, 35.0, 10.0, &limits())),
        ("center.lon".into(), Reason::LongitudeOutOfRange(181.0))
    );
    assert_eq!(
        refused(Footprint::circle(36.0, -91.0, 10.0, &limits())),
        ("center.lat".into(), Reason::LatitudeOutOfRange(-91.0))
    );
}

#[test]
fn altitude_errors_name_the_field() {
    let e = AltitudeBand::new(500.0, 100.0).expect_err("inverted");
    assert_eq!(e.field(), "altitude");
    assert_eq!(
        e.reason(),
        &Reason::AltitudeInverted {
            lower: 500.0,
            upper: 100.0
        }
    );
    let e = AltitudeBand::new(f64::NAN, 100.0).expect_err("nan");
    assert_eq!(e.field(), "altitude.lower_m");
    let e = AltitudeBand::new(0.0, f64::INFINITY).expect_err("inf");
    assert_eq!(e.field(), "altitude.upper_m");
    assert!(
        AltitudeBand::new(100.0, 100.0).is_ok(),
        "a flat band is allowed"
    );
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("a valid test timestamp")
}

#[test]
fn a_time_window_must_end_after_it_starts() {
    for (a, b) in [
        ("2026-07-06T00:00:00Z", "2026-07-06T00:00:00Z"),
        ("2026-07-06T01:00:00Z", "2026-07-06T00:00:00Z"),
    ] {
        let e = TimeWindow::new(t(a), t(b)).expect_err("empty");
        assert_eq!(e.field(), "time");
        assert!(matches!(e.reason(), Reason::EmptyTimeWindow { .. }));
        assert!(e.to_string().contains("must be after"), "{e}");
    }
}

#[test]
fn time_windows_are_half_open() {
    let a = TimeWindow::new(t("2026-07-06T00:00:00Z"), t("2026-07-06T01:00:00Z")).expect("ok");
    let b = TimeWindow::new(t("2026-07-06T01:00:00Z"), t("2026-07-06T02:00:00Z")).expect("ok");
    assert!(!a.overlaps(&b) && !b.overlaps(&a));
    assert!(a.intersection(&b).is_none());
}

#[test]
fn volume_counts_are_bounded() {
    let e = check_volume_count(0, &limits()).expect_err("none");
    assert_eq!((e.field(), e.reason()), ("volumes", &Reason::NoVolumes));
    let e = check_volume_count(101, &limits()).expect_err("many");
    assert_eq!(e.reason(), &Reason::TooManyVolumes { got: 101, max: 100 });
    assert!(check_volume_count(100, &limits()).is_ok());
}

#[test]
fn party_ids_are_checked() {
    assert!(PartyId::new("un-ocha").is_ok());
    for bad in ["", "a b", "x/y", &"p".repeat(129)] {
        let e = PartyId::new(bad).expect_err("malformed");
        assert_eq!(e.field(), "party");
    }
}

#[test]
fn errors_display_field_and_reason() {
    let e = ValidationError::new("lat", Reason::LatitudeOutOfRange(91.0))
        .within("vertices[3]")
        .within("footprint")
        .within("volumes[0]");
    assert_eq!(
        e.to_string(),
        "volumes[0].footprint.vertices[3].lat: latitude 91 is outside [-90, 90] degrees"
    );
}

#[test]
fn vertex_count_meets_the_half_metre_bound() {
    for r in [1.0, 100.0, 5_000.0, 100_000.0, 500_000.0] {
        let n = circle_vertex_count(r);
        let excess = r * (1.0 / (std::f64::consts::PI / n as f64).cos() - 1.0);
        assert!(excess <= 0.5, "r={r} n={n} excess={excess}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The circle's polygon lies within 1 m of the geodesic circle (its vertices, and the points
    /// along its straight lon/lat edges), and contains the circle shrunk by 1 m.
    #[test]
    fn circles_are_exact_to_within_one_metre(
        lon in -179.0f64..179.0,
        lat in -80.0f64..80.0,
        radius_m in 1.0f64..28_000.0,
    ) {
        let fp = Footprint::circle(lon, lat, radius_m, &limits());
        prop_assume!(fp.is_ok());
        let fp = fp.expect("assumed");
        let c = Point::new(lon, lat);
        let ring = &fp.planar().exterior().0;
        for w in ring.windows(2) {
            for k in 0..4 {
                let f = k as f64 / 4.0;
                let p = Point::from(Coord { x: w[0].x + f * (w[1].x - w[0].x), y: w[0].y + f * (w[1].y - w[0].y) });
                let d = Geodesic.distance(c, p);
                prop_assert!(d >= radius_m - 1.0 && d <= radius_m + 1.0, "edge point at {d} m, radius {radius_m}");
            }
        }
        for k in 0..64 {
            let bearing = k as f64 * 360.0 / 64.0;
            let inner = geo::Destination::destination(&Geodesic, c, bearing, (radius_m - 1.0).max(0.0));
            prop_assert!(fp.planar().contains(&inner), "point 1 m inside the circle at bearing {bearing} is outside");
        }
    }
}

#[test]
fn covers_itself_what_is_inside_and_not_what_sticks_out() {
    let limits = VolumeLimits::default();
    let square = |x0: f64, y0: f64, d: f64| {
        Footprint::polygon(
            &[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d]],
            &limits,
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    };
    let big = square(36.0, 35.0, 0.2);
    assert!(big.covers(&big), "a footprint covers itself");
    assert!(big.covers(&square(36.05, 35.05, 0.1)));
    assert!(
        big.covers(&square(36.0, 35.0, 0.1)),
        "touching the edge from inside"
    );
    assert!(!big.covers(&square(36.15, 35.05, 0.1)), "sticking out east");
    assert!(!square(36.05, 35.05, 0.1).covers(&big));
    let circle =
        Footprint::circle(36.1, 35.1, 2000.0, &limits).unwrap_or_else(|e| unreachable!("{e}"));
    assert!(circle.covers(&circle));
    assert!(big.covers(&circle));
    assert!(!circle.covers(&big));
}
