//! `deconflict demo`: a server with a development key and a small scenario, so that the API can
//! be tried at once. The scenario follows the seed article's situation in neutral, illustrative
//! terms: two air forces patrolling the same country, a humanitarian agency that notified two
//! hospitals and an aid convoy, and an observer mission that brokered a nationwide cessation of
//! hostilities (ended after repeated reported violations) and a 72-hour holiday ceasefire (in
//! force), inside which one force declared a medical evacuation.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use deconflict_api::auth::DevKey;
use deconflict_core::{
    EntityId, EntityKind, FootprintSpec, OperationState, PartyId, SubscriptionId, VolumeSpec,
};
use deconflict_service::ceasefires::{ClosedHow, Exemption, ProposeCeasefire};
use deconflict_service::protected::{ProtectedShape, PutProtected, SiteDisclosure};
use deconflict_service::reports::{FileReport, Location, Source, SourceKind};
use deconflict_service::{
    Caller, PutEntity, PutSubscription, SCOPE_ADMIN, SCOPE_READ, SCOPE_REVIEW, SCOPE_WRITE,
    Service, ServiceError,
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

/// Seeds the parties and (with `scenario`) the scenario, unless the store already holds parties.
/// Returns whether it seeded.
///
/// # Errors
/// Any refusal: the scenario is consistent, so one is a bug.
pub fn seed<S: Store>(
    service: &Service<S>,
    now: DateTime<Utc>,
    scenario: bool,
) -> anyhow::Result<bool> {
    let admin = Caller::new(PartyId::new("demo-admin")?, [SCOPE_ADMIN, SCOPE_READ]);
    if !service.parties(&admin)?.is_empty() {
        return Ok(false);
    }
    for (pid, name) in PARTIES {
        service.put_party(&admin, PartyId::new(pid)?, name.to_owned())?;
    }
    if !scenario {
        return Ok(true);
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
    // Two hospitals and an aid convoy, notified by the agency to every party.
    let site = |n: u128, name: &str, center: [f64; 2]| PutProtected {
        id: id(n),
        name: name.to_owned(),
        category: "hospital".to_owned(),
        shape: ProtectedShape::Site {
            footprint: FootprintSpec::Circle {
                center,
                radius_m: 1_000.0,
            },
        },
        valid_from: Some(now - hour * 24),
        valid_until: Some(now + hour * 24 * 30),
        disclosure: SiteDisclosure::Full,
        on_conflict: None,
    };
    service.put_protected(
        &relief,
        site(1, "Northern district hospital", [37.16, 36.20]),
    )?;
    service.put_protected(
        &relief,
        site(5, "Southern district hospital", [36.72, 35.62]),
    )?;
    service.put_protected(
        &relief,
        PutProtected {
            id: id(6),
            name: "Aid convoy 1".to_owned(),
            category: "convoy".to_owned(),
            shape: ProtectedShape::Movement {
                route: vec![[36.80, 35.70], [37.00, 35.95], [37.16, 36.19]],
                corridor_width_m: 500.0,
                windows: vec![(now + hour * 2, now + hour * 8)],
            },
            valid_from: None,
            valid_until: None,
            disclosure: SiteDisclosure::Full,
            on_conflict: None,
        },
    )?;
    // A field clinic notified conflict-only: the other parties learn that a clinic of the
    // agency's exists (and their own operations' conflicts with it), never where it is.
    service.put_protected(
        &relief,
        PutProtected {
            id: id(10),
            name: "Field clinic".to_owned(),
            category: "clinic".to_owned(),
            shape: ProtectedShape::Site {
                footprint: FootprintSpec::Circle {
                    center: [36.95, 35.80],
                    radius_m: 600.0,
                },
            },
            valid_from: None,
            valid_until: None,
            disclosure: SiteDisclosure::ConflictOnly,
            on_conflict: None,
        },
    )?;

    // The northern patrol covers the hospital's area, knowingly (its OVN is in the key).
    file_knowingly(
        service,
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
            key: vec![],
            exemption: None,
        },
    )?;

    // The southern patrol overlaps the northern one: filed after reading it, so a conflict on
    // record that both parties see.
    file_knowingly(
        service,
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
            key: vec![],
            exemption: None,
        },
    )?;
    // A second southern patrol elsewhere, over the southern hospital.
    file_knowingly(
        service,
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

    // The nationwide cessation of hostilities, brokered by the observer mission a month ago and
    // accepted by both forces, ended after repeated reported violations.
    let observer = party("observer-mission")?;
    let (north, south) = (party("northern-air-force")?, party("southern-air-force")?);
    let signatories: BTreeSet<PartyId> = [north.party.clone(), south.party.clone()]
        .into_iter()
        .collect();
    let country = FootprintSpec::Polygon {
        vertices: vec![[35.8, 34.5], [38.8, 34.5], [38.8, 37.2], [35.8, 37.2]],
    };
    service.propose_ceasefire(
        &observer,
        ProposeCeasefire {
            id: id(7),
            name: "Nationwide cessation of hostilities".to_owned(),
            terms: "The parties cease hostilities across the country, and notify their air \
                    operations to each other through this service."
                .to_owned(),
            area: vec![country],
            altitude_m: None,
            window_start: now - hour * 24 * 30,
            window_end: now + hour * 24 * 60,
            signatories: signatories.clone(),
            exemption_categories: BTreeSet::new(),
        },
    )?;
    // Recorded after the fact: accepted a month ago, ended two days ago.
    let accepted = Some(now - hour * 24 * 30 + hour);
    service.accept_ceasefire(&north, id(7), accepted)?;
    service.accept_ceasefire(&south, id(7), accepted)?;
    service.close_ceasefire(
        &observer,
        id(7),
        ClosedHow::Ended,
        "ended by the observer mission after repeated violations reported by both parties",
        Some(now - hour * 48),
    )?;

    // The 72-hour holiday ceasefire over the northern district, in force.
    service.propose_ceasefire(
        &observer,
        ProposeCeasefire {
            id: id(8),
            name: "72-hour holiday ceasefire".to_owned(),
            terms: "No air operations by either force over the northern district for 72 hours, \
                    except declared medical evacuations and humanitarian escorts."
                .to_owned(),
            area: vec![FootprintSpec::Polygon {
                vertices: vec![[36.8, 35.9], [37.6, 35.9], [37.6, 36.6], [36.8, 36.6]],
            }],
            altitude_m: None,
            window_start: now - hour * 12,
            window_end: now + hour * 60,
            signatories,
            exemption_categories: ["medical-evacuation", "humanitarian-escort"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
        },
    )?;
    service.accept_ceasefire(&north, id(8), Some(now - hour * 12))?;
    service.accept_ceasefire(&south, id(8), Some(now - hour * 12))?;

    // A medical evacuation by the southern force inside it, filed with a declared exemption
    // (the northern force is told at once).
    file_knowingly(
        service,
        &south,
        PutEntity {
            id: id(9),
            kind: EntityKind::Operation {
                state: OperationState::Accepted,
                priority: 10,
            },
            volumes: vec![volume(
                FootprintSpec::Circle {
                    center: [37.10, 36.05],
                    radius_m: 3_000.0,
                },
                (0.0, 1_500.0),
                (now + hour * 5, now + hour * 6),
            )],
            expected_ovn: None,
            key: vec![],
            exemption: Some(Exemption {
                category: "medical-evacuation".to_owned(),
                justification: "evacuation of injured civilians to the northern district \
                                hospital"
                    .to_owned(),
            }),
        },
    )?;

    // Violation reports, as claims on record with their provenance: the observer mission relays
    // a statement by the southern force's ministry quoted by a news agency, and its own patrol's
    // observation of the same incident; another report concerns the ended cessation.
    let quoted = |who: &str, agency: &str, at: DateTime<Utc>, quote: &str| {
        vec![
            Source {
                kind: SourceKind::OfficialStatement,
                name: who.to_owned(),
                published_at: Some(at),
                url: None,
                quote: Some(quote.to_owned()),
            },
            Source {
                kind: SourceKind::NewsAgency,
                name: agency.to_owned(),
                published_at: Some(at + chrono::Duration::minutes(40)),
                url: Some("https://news.example.org/item/1".to_owned()),
                quote: None,
            },
        ]
    };
    let point = |lon: f64, lat: f64, m: f64| Location::Point {
        lon,
        lat,
        uncertainty_m: m,
    };
    service.file_report(
        &observer,
        FileReport {
            id: Some(Uuid::from_u128(0xdec0_0000_0000_0000_0000_0000_0000_0101)),
            observed_start: now - hour * 3,
            observed_end: now - hour * 3 + chrono::Duration::minutes(20),
            location: point(37.25, 36.22, 2_000.0),
            category: "air_strike".to_owned(),
            alleged_party: Some(north.party.clone()),
            provenance: quoted(
                "Ministry of Defence of the southern party",
                "A news agency",
                now - hour * 2,
                "aircraft struck positions near the northern district despite the ceasefire",
            ),
            evidence: vec![],
            description: "An air strike reported near the northern district during the holiday \
                          ceasefire."
                .to_owned(),
        },
    )?;
    service.file_report(
        &observer,
        FileReport {
            id: Some(Uuid::from_u128(0xdec0_0000_0000_0000_0000_0000_0000_0102)),
            observed_start: now - hour * 3 + chrono::Duration::minutes(5),
            observed_end: now - hour * 3 + chrono::Duration::minutes(30),
            location: point(37.27, 36.23, 1_000.0),
            category: "air_strike".to_owned(),
            alleged_party: Some(north.party.clone()),
            provenance: vec![Source {
                kind: SourceKind::Observer,
                name: "Observer mission patrol 3".to_owned(),
                published_at: Some(now - hour * 2),
                url: None,
                quote: Some("explosions heard and smoke seen east of the district".to_owned()),
            }],
            evidence: vec![],
            description: "Explosions observed east of the northern district.".to_owned(),
        },
    )?;
    service.file_report(
        &observer,
        FileReport {
            id: Some(Uuid::from_u128(0xdec0_0000_0000_0000_0000_0000_0000_0103)),
            observed_start: now - hour * 24 * 10,
            observed_end: now - hour * 24 * 10 + hour,
            location: point(36.5, 35.2, 5_000.0),
            category: "shelling".to_owned(),
            alleged_party: Some(south.party.clone()),
            provenance: quoted(
                "Spokesperson of the northern party",
                "A news agency",
                now - hour * 24 * 10 + hour * 2,
                "shelling of villages in the south-west in breach of the cessation",
            ),
            evidence: vec![],
            description: "Shelling reported in the south-west during the nationwide cessation."
                .to_owned(),
        },
    )?;
    Ok(true)
}

/// Files `req`, naming in its key the OVNs the key rule asks for (the scenario is filed by
/// parties that read the airspace first).
fn file_knowingly<S: Store>(
    service: &Service<S>,
    caller: &Caller,
    mut req: PutEntity,
) -> anyhow::Result<()> {
    for _ in 0..3 {
        match service.put_entity(caller, req.clone()) {
            Ok(_) => return Ok(()),
            Err(ServiceError::MissingOvns(missing)) => {
                req.key.extend(missing.iter().map(|c| c.with.ovn.clone()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("the scenario's operation {} kept missing OVNs", req.id)
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

/// `GET /demo/tokens`: the demo tokens as JSON (`{"tokens": [{"party", "token"}]}`), for the web
/// UI's sign-in page. Added by `deconflict demo` only (on a loopback address), never by `serve`.
pub fn token_routes(tokens: &[(String, String)]) -> axum::Router {
    let body = serde_json::json!({
        "tokens": tokens
            .iter()
            .map(|(party, token)| serde_json::json!({"party": party, "token": token}))
            .collect::<Vec<_>>(),
    });
    axum::Router::new().route(
        "/demo/tokens",
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CACHE_CONTROL, "no-store")],
                    axum::Json(body),
                )
            }
        }),
    )
}
