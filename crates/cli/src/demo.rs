//! `deconflict demo`: a server with a development key and a small scenario, so that the API can
//! be tried at once. The scenario is neutral and illustrative: two air forces patrolling the same
//! region, a humanitarian agency that notified a hospital, and an observer mission.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use deconflict_api::auth::DevKey;
use deconflict_core::{
    EntityId, EntityKind, FootprintSpec, OperationState, Ovn, PartyId, SubscriptionId, VolumeSpec,
    ZoneKind,
};
use deconflict_service::{
    Caller, PutEntity, PutSubscription, SCOPE_ADMIN, SCOPE_READ, SCOPE_REVIEW, SCOPE_WRITE, Service,
};
use deconflict_store::Store;
use uuid::Uuid;

/// The demo parties: id and name.
pub const PARTIES: [(&str, &str); 4] = [
    ("northern-air-force", "Northern Air Force"),
    ("southern-air-force", "Southern Air Force"),
    ("relief-agency", "Humanitarian Relief Agency"),
    ("observer-mission", "Ceasefire Observer Mission"),
];

/// Loads the development key of a data directory (made on first use).
///
/// # Errors
/// The key file cannot be read or written.
pub fn dev_key(data: &Path) -> anyhow::Result<DevKey> {
    DevKey::load_or_create(&data.join("dev-key.pem")).context("loading the development key")
}

fn party(id: &str) -> anyhow::Result<Caller> {
    Ok(Caller::new(PartyId::new(id)?, [SCOPE_READ, SCOPE_WRITE]))
}

fn volume(
    footprint: FootprintSpec,
    alt: (f64, f64),
    t: (DateTime<Utc>, DateTime<Utc>),
) -> VolumeSpec {
    VolumeSpec {
        footprint,
        altitude_lower_m: alt.0,
        altitude_upper_m: alt.1,
        time_start: t.0,
        time_end: t.1,
    }
}

fn id(n: u128) -> EntityId {
    EntityId(Uuid::from_u128(
        0xdec0_0000_0000_0000_0000_0000_0000_0000 + n,
    ))
}

/// Seeds the scenario unless the store already holds parties. Returns whether it seeded.
///
/// # Errors
/// Any refusal: the scenario is consistent, so one is a bug.
pub fn seed<S: Store>(service: &Service<S>, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let admin = Caller::new(PartyId::new("demo-admin")?, [SCOPE_ADMIN, SCOPE_READ]);
    if !service.parties(&admin)?.is_empty() {
        return Ok(false);
    }
    for (pid, name) in PARTIES {
        service.put_party(&admin, PartyId::new(pid)?, name.to_owned())?;
    }
    let hour = chrono::Duration::hours(1);
    let window = (now - hour / 2, now + hour * 4);

    // The agency watches the area of its hospital, and notifies the hospital itself.
    let relief = party("relief-agency")?;
    service.put_subscription(
        &relief,
        PutSubscription {
            id: SubscriptionId(Uuid::from_u128(0x00de_c05b)),
            volumes: vec![volume(
                FootprintSpec::Circle {
                    center: [37.16, 36.20],
                    radius_m: 15_000.0,
                },
                (0.0, 20_000.0),
                (now - hour * 24, now + hour * 24 * 30),
            )],
            callback_url: None,
            notify_operations: true,
            notify_zones: true,
            expected_version: None,
        },
    )?;
    let hospital = service.put_entity(
        &relief,
        PutEntity {
            id: id(1),
            kind: EntityKind::Zone(ZoneKind::Protected),
            volumes: vec![volume(
                FootprintSpec::Circle {
                    center: [37.16, 36.20],
                    radius_m: 1_000.0,
                },
                (0.0, 20_000.0),
                (now - hour * 24, now + hour * 24 * 30),
            )],
            expected_ovn: None,
            key: vec![],
            exemption: None,
        },
    )?;

    // The northern patrol covers the hospital's area, knowingly (its OVN is in the key).
    let north = service.put_entity(
        &party("northern-air-force")?,
        PutEntity {
            id: id(2),
            kind: EntityKind::Operation {
                state: OperationState::Accepted,
                priority: 0,
            },
            volumes: vec![volume(
                FootprintSpec::Polygon {
                    vertices: vec![
                        [37.00, 36.10],
                        [37.30, 36.10],
                        [37.30, 36.30],
                        [37.00, 36.30],
                    ],
                },
                (3_000.0, 6_000.0),
                window,
            )],
            expected_ovn: None,
            key: vec![hospital.entity.ovn.clone()],
            exemption: None,
        },
    )?;

    // The southern patrol overlaps the northern one: filed after reading it, so a conflict on
    // record that both parties see.
    let keys: Vec<Ovn> = vec![north.entity.ovn.clone(), hospital.entity.ovn.clone()];
    service.put_entity(
        &party("southern-air-force")?,
        PutEntity {
            id: id(3),
            kind: EntityKind::Operation {
                state: OperationState::Accepted,
                priority: 0,
            },
            volumes: vec![volume(
                FootprintSpec::Circle {
                    center: [37.33, 36.27],
                    radius_m: 8_000.0,
                },
                (4_000.0, 7_000.0),
                (now + hour, now + hour * 3),
            )],
            expected_ovn: None,
            key: keys,
            exemption: None,
        },
    )?;
    // A second southern patrol elsewhere: no conflict.
    service.put_entity(
        &party("southern-air-force")?,
        PutEntity {
            id: id(4),
            kind: EntityKind::Operation {
                state: OperationState::Accepted,
                priority: 0,
            },
            volumes: vec![volume(
                FootprintSpec::Circle {
                    center: [36.70, 35.60],
                    radius_m: 10_000.0,
                },
                (2_000.0, 5_000.0),
                window,
            )],
            expected_ovn: None,
            key: vec![],
            exemption: None,
        },
    )?;
    Ok(true)
}

/// A token per demo party (read and write) and one for administration, valid for `ttl`.
///
/// # Errors
/// Signing failed.
pub fn tokens(
    key: &DevKey,
    audience: &str,
    ttl: Duration,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (pid, _) in PARTIES {
        let mut scopes = vec![SCOPE_READ.to_owned(), SCOPE_WRITE.to_owned()];
        if pid == "observer-mission" {
            // The demo's neutral observer also reviews violation reports.
            scopes.push(SCOPE_REVIEW.to_owned());
        }
        out.push((pid.to_owned(), key.mint(pid, &scopes, audience, ttl)?));
    }
    let admin = vec![SCOPE_ADMIN.to_owned(), SCOPE_READ.to_owned()];
    out.push((
        "demo-admin".to_owned(),
        key.mint("demo-admin", &admin, audience, ttl)?,
    ));
    Ok(out)
}
