#![allow(
    clippy::expect_used,
    reason = "tests: a failure aborts with its reason"
)]

use chrono::TimeZone as _;

use super::*;

fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 6, 0, 0, 0)
        .single()
        .expect("a valid instant")
        + Duration::hours(h)
}

fn point(lon: f64, lat: f64, uncertainty_m: f64) -> Footprint {
    Location::Point {
        lon,
        lat,
        uncertainty_m,
    }
    .footprint(&VolumeLimits::default())
    .expect("a valid point")
}

fn square(lon: f64, lat: f64, side_deg: f64) -> Footprint {
    Location::Polygon {
        vertices: vec![
            [lon, lat],
            [lon + side_deg, lat],
            [lon + side_deg, lat + side_deg],
            [lon, lat + side_deg],
        ],
    }
    .footprint(&VolumeLimits::default())
    .expect("a valid square")
}

#[test]
fn distances_count_the_uncertainty_and_the_nearest_points() {
    // 0.1° of latitude is about 11.1 km.
    let d = distance_m(&point(37.0, 36.0, 100.0), &point(37.0, 36.1, 100.0));
    assert!((d - (11_092.0 - 200.0)).abs() < 50.0, "{d}");
    assert!(distance_m(&point(37.0, 36.0, 6000.0), &point(37.0, 36.1, 6000.0)) == 0.0);
    // A point 0.05° north of a square's top edge: about 5.5 km minus its uncertainty.
    let d = distance_m(&square(37.0, 36.0, 0.1), &point(37.05, 36.15, 500.0));
    assert!((d - (5546.0 - 500.0)).abs() < 50.0, "{d}");
    // Two squares 0.1° of longitude apart at 36°N: about 9 km.
    let d = distance_m(&square(37.0, 36.0, 0.1), &square(37.2, 36.0, 0.1));
    assert!((d - 9012.0).abs() < 60.0, "{d}");
    assert!(distance_lower_bound_m(&square(37.0, 36.0, 0.1), &square(37.2, 36.0, 0.1)) <= d);
    assert!(distance_m(&square(37.0, 36.0, 0.1), &point(37.05, 36.05, 10.0)) == 0.0);
}

#[test]
fn time_gaps_are_zero_for_overlapping_windows() {
    assert_eq!(time_gap((at(0), at(2)), (at(1), at(3))), Duration::zero());
    assert_eq!(time_gap((at(0), at(1)), (at(7), at(8))), Duration::hours(6));
    assert_eq!(time_gap((at(7), at(8)), (at(0), at(1))), Duration::hours(6));
}

#[test]
fn the_workflow_has_only_its_transitions() {
    use ReportStatus::*;
    assert!(Reported.may_become(UnderReview));
    for to in [Confirmed, Unconfirmed, Dismissed] {
        assert!(UnderReview.may_become(to));
        assert!(!Reported.may_become(to));
        assert!(!to.may_become(UnderReview));
    }
    assert!(!UnderReview.may_become(Reported));
    for (name, s) in ReportStatus::ALL {
        assert_eq!(ReportStatus::parse(name), Some(s));
        assert_eq!(s.as_str(), name);
        assert_eq!(serde_json::to_value(s).expect("json"), name);
    }
    for (name, k) in SourceKind::ALL {
        assert_eq!(serde_json::to_value(k).expect("json"), name);
    }
}

#[test]
fn invalid_locations_and_chains_name_their_field() {
    let limits = VolumeLimits::default();
    let bad = |l: Location| {
        l.footprint(&limits)
            .expect_err("refused")
            .field()
            .to_owned()
    };
    assert_eq!(
        bad(Location::Point {
            lon: 200.0,
            lat: 0.0,
            uncertainty_m: 10.0
        }),
        "location.lon"
    );
    assert_eq!(
        bad(Location::Point {
            lon: 0.0,
            lat: 0.0,
            uncertainty_m: 0.0
        }),
        "location.uncertainty_m"
    );
    assert!(
        bad(Location::Polygon {
            vertices: vec![[0.0, 0.0], [1.0, 1.0]]
        })
        .starts_with("location")
    );
    let source = |published_at| Source {
        kind: SourceKind::NewsAgency,
        name: "Agency".into(),
        published_at,
        url: None,
        quote: None,
    };
    let field = |e: ServiceError| match e {
        ServiceError::Invalid(v) => v.field().to_owned(),
        other => panic!("not invalid input: {other}"),
    };
    assert_eq!(
        field(check_provenance(&[]).expect_err("empty")),
        "provenance"
    );
    assert_eq!(
        field(
            check_provenance(&[source(Some(at(2))), source(Some(at(1)))])
                .expect_err("a relay before its source")
        ),
        "provenance[1].published_at"
    );
    assert!(check_provenance(&[source(Some(at(1))), source(None), source(Some(at(2)))]).is_ok());
}

#[test]
fn an_agreement_is_in_force_during_a_window_that_meets_its_force() {
    let party = PartyId::new("a").expect("a party");
    let mut a = ceasefires::Agreement {
        id: EntityId(Uuid::nil()),
        name: "n".into(),
        terms: String::new(),
        area: Vec::new(),
        window_start: at(0),
        window_end: at(72),
        signatories: BTreeSet::from([party.clone()]),
        exemption_categories: BTreeSet::new(),
        proposer: party.clone(),
        proposed_at: at(0),
        acceptances: BTreeMap::new(),
        in_force_from: None,
        closed: None,
        recorded: Vec::new(),
        version: 1,
    };
    assert!(!a.in_force_during(at(0), at(100)), "never accepted");
    a.in_force_from = Some(at(10));
    assert!(
        !a.in_force_during(at(0), at(10)),
        "before it entered into force"
    );
    assert!(a.in_force_during(at(9), at(11)));
    assert!(a.in_force_during(at(71), at(80)));
    assert!(!a.in_force_during(at(72), at(80)), "after its window");
    a.closed = Some(ceasefires::Closure {
        how: ceasefires::ClosedHow::Denounced,
        by: party,
        at: at(20),
        reason: "r".into(),
    });
    assert!(a.in_force_during(at(19), at(30)));
    assert!(!a.in_force_during(at(20), at(30)), "after it was denounced");
    for h in [9, 10, 19, 20, 30] {
        assert_eq!(
            a.in_force_at(at(h)),
            a.in_force_during(at(h), at(h) + Duration::seconds(1))
        );
    }
}
