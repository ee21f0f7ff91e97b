//! The conflict-only view against a brute-force oracle: whatever the site and the caller's
//! volumes, the view of their conflict holds nothing but the caller's own coordinates, times and
//! altitudes, and nothing of the site's geometry.

#![allow(clippy::expect_used, reason = "tests")]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use deconflict_core::{
    Conflict, Entity, EntityId, EntityKind, FootprintSpec, Ovn, PartyId, VolumeLimits, VolumeSpec,
    ZoneKind,
};
use proptest::prelude::*;

use super::{Detail, DisclosurePolicy};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .expect("a time")
        .to_utc()
}

/// A rectangle `[lon, lat, width, height]` in degrees as a volume over hours `h`.
fn rect(r: [f64; 4], alt: (f64, f64), h: (i64, i64)) -> VolumeSpec {
    let [x, y, w, hgt] = r;
    VolumeSpec {
        footprint: FootprintSpec::Polygon {
            vertices: vec![[x, y], [x + w, y], [x + w, y + hgt], [x, y + hgt]],
        },
        altitude_lower_m: alt.0,
        altitude_upper_m: alt.1,
        time_start: t0() + Duration::hours(h.0),
        time_end: t0() + Duration::hours(h.1),
    }
}

fn arb_rect() -> impl Strategy<Value = [f64; 4]> {
    (36.0..36.2f64, 35.0..35.2f64, 0.001..0.1f64, 0.001..0.1f64)
        .prop_map(|(x, y, w, h)| [x, y, w, h])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_withheld_conflict_holds_only_the_callers_own_geometry(
        site in arb_rect(),
        own in prop::collection::vec((arb_rect(), 0i64..4, 1i64..4, 0.0..500.0f64), 1..4),
    ) {
        let limits = VolumeLimits::default();
        let site_volume = rect(site, (-1000.0, 20_000.0), (-100, 100))
            .to_volume(&limits)
            .expect("a valid site");
        let zone = Entity {
            id: EntityId(uuid::Uuid::new_v4()),
            owner: PartyId::new("relief-agency").expect("a party"),
            kind: EntityKind::Zone(ZoneKind::Confidential),
            volumes: Arc::from(vec![site_volume]),
            ovn: Ovn("ovn".into()),
            version: 1,
            dss: None,
        };
        let specs: Vec<VolumeSpec> = own
            .iter()
            .map(|(r, h, d, lo)| rect(*r, (*lo, lo + 100.0), (*h, h + d)))
            .collect();
        let volumes = VolumeSpec::to_volumes(&specs, &limits).expect("valid volumes");
        let Some(conflict) = Conflict::between(&volumes, &zone) else {
            return Ok(());
        };
        let view = DisclosurePolicy::default().withheld_conflict(&conflict, &zone, "clinic", &volumes);
        prop_assert_eq!(&view.with.detail, &Detail::Withheld { category: "clinic".into() });
        prop_assert!(!view.pairs.is_empty());
        // The oracle: every coordinate shown is a vertex of the caller's own volume the pair
        // names; its window and band are that volume's; no pair names a site volume but 0.
        for p in &view.pairs {
            let v = &volumes[p.own_volume];
            let own_ring: Vec<[f64; 2]> = v
                .footprint()
                .planar()
                .exterior()
                .0
                .iter()
                .map(|c| [c.x, c.y])
                .collect();
            for ring in &p.footprint {
                for c in ring {
                    prop_assert!(own_ring.contains(c), "{c:?} is not the caller's own");
                }
            }
            prop_assert_eq!(p.time_start, v.time().start());
            prop_assert_eq!(p.time_end, v.time().end());
            prop_assert_eq!(p.altitude_lower_m, v.altitude().lower_m());
            prop_assert_eq!(p.other_volume, 0);
        }
        // And every volume of the caller's that meets the site is named once.
        let mut named: Vec<usize> = view.pairs.iter().map(|p| p.own_volume).collect();
        named.sort_unstable();
        let mut expected: Vec<usize> = conflict.pairs.iter().map(|p| p.own_volume).collect();
        expected.sort_unstable();
        expected.dedup();
        prop_assert_eq!(named, expected);
    }
}

#[test]
fn another_partys_confidential_zone_is_not_located_its_own_is() {
    let owner = PartyId::new("relief-agency").expect("a party");
    let other = PartyId::new("northern-air-force").expect("a party");
    let limits = VolumeLimits::default();
    let zone = |kind| Entity {
        id: EntityId(uuid::Uuid::new_v4()),
        owner: owner.clone(),
        kind: EntityKind::Zone(kind),
        volumes: Arc::from(vec![
            rect([36.0, 35.0, 0.01, 0.01], (0.0, 100.0), (0, 1))
                .to_volume(&limits)
                .expect("valid"),
        ]),
        ovn: Ovn("ovn".into()),
        version: 1,
        dss: None,
    };
    let hidden = zone(ZoneKind::Confidential);
    assert!(!DisclosurePolicy::may_locate(&other, &hidden));
    assert!(DisclosurePolicy::may_locate(&owner, &hidden));
    assert!(DisclosurePolicy::may_locate(
        &other,
        &zone(ZoneKind::Protected)
    ));
    // Should a use case forget to leave it out, the view still holds no geometry.
    let v = DisclosurePolicy::default().view(&other, &hidden, None);
    assert!(matches!(v.detail, Detail::Withheld { .. }));
}
