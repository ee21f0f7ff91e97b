//! The airspace's write rules (existence, ownership, compare-and-swap on the OVN, the key rule)
//! against a brute-force model over random sequences of writes by several parties.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::testgen::{arb_volume, arb_volumes, oracle};
use crate::{EntityKind, Key, OperationState, ZoneKind};

#[derive(Debug, Clone)]
struct ModelEntity {
    owner: u8,
    kind: EntityKind,
    volumes: Vec<Volume4d>,
    ovn: Ovn,
    version: u64,
}

/// How a step chooses the OVN it presents for compare-and-swap.
#[derive(Debug, Clone, Copy)]
enum Presented {
    Nothing,
    Current,
    Stale,
}

#[derive(Debug, Clone)]
enum Step {
    Put {
        id: u8,
        party: u8,
        kind: EntityKind,
        volumes: Vec<Volume4d>,
        presented: Presented,
        /// Bit i set: the key holds the current OVN of the i-th live entity (by id).
        key_mask: u16,
    },
    Delete {
        id: u8,
        party: u8,
        presented: Presented,
    },
    Conflicts(u8),
    Query(Volume4d),
}

fn arb_kind() -> impl Strategy<Value = EntityKind> {
    let state = prop_oneof![
        Just(OperationState::Accepted),
        Just(OperationState::Activated),
        Just(OperationState::Nonconforming),
        Just(OperationState::Contingent),
    ];
    prop_oneof![
        4 => (state, -2i32..3).prop_map(|(state, priority)| EntityKind::Operation { state, priority }),
        1 => prop_oneof![Just(ZoneKind::Restricted), Just(ZoneKind::Protected)].prop_map(EntityKind::Zone),
    ]
}

fn arb_presented() -> impl Strategy<Value = Presented> {
    prop_oneof![
        1 => Just(Presented::Nothing),
        4 => Just(Presented::Current),
        1 => Just(Presented::Stale)
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..10, 0u8..3, arb_kind(), arb_volumes(), arb_presented(), prop_oneof![Just(u16::MAX), Just(0), any::<u16>()])
            .prop_map(|(id, party, kind, volumes, presented, key_mask)| Step::Put { id, party, kind, volumes, presented, key_mask }),
        1 => (0u8..10, 0u8..3, arb_presented()).prop_map(|(id, party, presented)| Step::Delete { id, party, presented }),
        1 => (0u8..10).prop_map(Step::Conflicts),
        2 => arb_volume().prop_map(Step::Query),
    ]
}

fn eid(id: u8) -> EntityId {
    EntityId(Uuid::from_u128(u128::from(id)))
}

fn party(p: u8) -> PartyId {
    PartyId::new(format!("party-{p}")).unwrap_or_else(|_| unreachable!())
}

fn presented_ovn(model: &BTreeMap<u8, ModelEntity>, id: u8, p: Presented) -> Option<Ovn> {
    match p {
        Presented::Nothing => None,
        Presented::Current => Some(
            model
                .get(&id)
                .map_or_else(|| Ovn("never-issued".into()), |e| e.ovn.clone()),
        ),
        Presented::Stale => Some(Ovn("stale".into())),
    }
}

fn intersects(a: &[Volume4d], b: &[Volume4d]) -> bool {
    a.iter().any(|x| b.iter().any(|y| oracle(x, y)))
}

/// What the rules say, computed the slow and obvious way.
#[allow(
    clippy::too_many_arguments,
    reason = "the model takes each input of the rule, spelled out"
)]
fn expected_put(
    model: &BTreeMap<u8, ModelEntity>,
    id: u8,
    party: u8,
    kind: EntityKind,
    volumes: &[Volume4d],
    expected: &Option<Ovn>,
    key: &Key,
    policy: KeyPolicy,
) -> Result<(), (&'static str, Vec<u8>)> {
    match (model.get(&id), expected) {
        (Some(_), None) => return Err(("exists", vec![])),
        (None, Some(_)) => return Err(("not found", vec![])),
        (Some(cur), Some(o)) => {
            if cur.owner != party {
                return Err(("not owner", vec![]));
            }
            if &cur.ovn != o {
                return Err(("ovn mismatch", vec![]));
            }
            let was_op = matches!(cur.kind, EntityKind::Operation { .. });
            if was_op != matches!(kind, EntityKind::Operation { .. }) {
                return Err(("kind changed", vec![]));
            }
        }
        (None, None) => {}
    }
    let needs_key = matches!(
        kind,
        EntityKind::Operation {
            state: OperationState::Accepted | OperationState::Activated,
            ..
        }
    );
    if !needs_key {
        return Ok(());
    }
    let missing: Vec<u8> = model
        .iter()
        .filter(|(other, e)| {
            **other != id
                && match e.kind {
                    EntityKind::Operation { state, .. } => {
                        policy.every_operation_state
                            || matches!(state, OperationState::Accepted | OperationState::Activated)
                    }
                    EntityKind::Zone(_) => policy.zones_need_key,
                }
                && !key.contains(&e.ovn)
                && intersects(volumes, &e.volumes)
        })
        .map(|(other, _)| *other)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(("missing", missing))
    }
}

fn classify(r: &Result<(), WriteRefusal>) -> Result<(), (&'static str, Vec<u8>)> {
    match r {
        Ok(()) => Ok(()),
        Err(WriteRefusal::AlreadyExists(_)) => Err(("exists", vec![])),
        Err(WriteRefusal::NotFound(_)) => Err(("not found", vec![])),
        Err(WriteRefusal::NotOwner { .. }) => Err(("not owner", vec![])),
        Err(WriteRefusal::OvnMismatch { .. }) => Err(("ovn mismatch", vec![])),
        Err(WriteRefusal::KindChanged { .. }) => Err(("kind changed", vec![])),
        Err(WriteRefusal::MissingOvns(report)) => Err((
            "missing",
            report
                .missing
                .iter()
                .map(|c| c.with.id.0.as_u128() as u8)
                .collect(),
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn airspace_matches_the_model(
        steps in prop::collection::vec(arb_step(), 1..60),
        zones_need_key in any::<bool>(),
        every_operation_state in any::<bool>(),
    ) {
        let policy = KeyPolicy { zones_need_key, every_operation_state };
        let mut airspace = Airspace::new(policy);
        let mut model: BTreeMap<u8, ModelEntity> = BTreeMap::new();
        let mut issued = 0u64;
        for step in steps {
            match step {
                Step::Put { id, party: p, kind, volumes, presented, key_mask } => {
                    let key: Key = model.values().enumerate()
                        .filter(|(i, _)| key_mask & (1 << i) != 0)
                        .map(|(_, e)| e.ovn.clone())
                        .collect();
                    let expected_ovn = presented_ovn(&model, id, presented);
                    let expected = expected_put(&model, id, p, kind, &volumes, &expected_ovn, &key, policy);
                    issued += 1;
                    let new_ovn = Ovn(format!("ovn-{issued}"));
                    let req = WriteRequest {
                        id: eid(id), owner: party(p), kind,
                        volumes: Arc::from(volumes.clone()), expected_ovn, key,
                    };
                    let got = airspace.put(req, new_ovn.clone()).map(|e| (e.ovn.clone(), e.version));
                    prop_assert_eq!(classify(&got.clone().map(|_| ())), expected.clone());
                    if expected.is_ok() {
                        let version = model.get(&id).map_or(1, |e| e.version + 1);
                        prop_assert_eq!(got.ok(), Some((new_ovn.clone(), version)));
                        model.insert(id, ModelEntity { owner: p, kind, volumes, ovn: new_ovn, version });
                    }
                }
                Step::Delete { id, party: p, presented } => {
                    let ovn = presented_ovn(&model, id, presented).unwrap_or(Ovn("none".into()));
                    let expected = match model.get(&id) {
                        None => Err("not found"),
                        Some(e) if e.owner != p => Err("not owner"),
                        Some(e) if e.ovn != ovn => Err("ovn mismatch"),
                        Some(_) => Ok(()),
                    };
                    let got = airspace.delete(&eid(id), &ovn, &party(p)).map(|_| ());
                    prop_assert_eq!(classify(&got).map_err(|(k, _)| k), expected);
                    if expected.is_ok() {
                        model.remove(&id);
                    }
                }
                Step::Conflicts(id) => {
                    let got = airspace.conflicts(&eid(id)).map(|cs| {
                        cs.iter().map(|c| c.with.id.0.as_u128() as u8).collect::<Vec<_>>()
                    });
                    let expected = model.get(&id).map(|me| {
                        model.iter()
                            .filter(|(o, e)| **o != id && intersects(&me.volumes, &e.volumes))
                            .map(|(o, _)| *o).collect::<Vec<_>>()
                    });
                    prop_assert_eq!(got, expected);
                }
                Step::Query(q) => {
                    let got: Vec<u8> = airspace.query(std::slice::from_ref(&q)).iter().map(|id| id.0.as_u128() as u8).collect();
                    let expected: Vec<u8> = model.iter()
                        .filter(|(_, e)| intersects(std::slice::from_ref(&q), &e.volumes))
                        .map(|(o, _)| *o).collect();
                    prop_assert_eq!(got, expected);
                }
            }
            prop_assert_eq!(airspace.len(), model.len());
        }
        // Rebuilding from the entities (as a store does at start) gives the same airspace.
        let rebuilt = Airspace::from_entities(airspace.iter().cloned(), policy);
        for (id, e) in &model {
            let a = airspace.conflicts(&eid(*id)).map(|c| c.len());
            prop_assert_eq!(rebuilt.conflicts(&eid(*id)).map(|c| c.len()), a);
            prop_assert_eq!(rebuilt.get(&eid(*id)).map(|x| &x.ovn), Some(&e.ovn));
        }
    }
}

fn vol() -> Volume4d {
    use crate::{AltitudeBand, Footprint, TimeWindow, VolumeLimits};
    let t0 = "2026-07-06T06:00:00Z".parse().unwrap_or_default();
    let t1 = "2026-07-06T08:00:00Z".parse().unwrap_or_default();
    Volume4d::new(
        Footprint::circle(36.2, 37.1, 2000.0, &VolumeLimits::default())
            .unwrap_or_else(|e| unreachable!("{e}")),
        AltitudeBand::new(0.0, 3000.0).unwrap_or_else(|e| unreachable!("{e}")),
        TimeWindow::new(t0, t1).unwrap_or_else(|e| unreachable!("{e}")),
    )
}

fn op(id: u8, p: u8, state: OperationState, key: Key, expected_ovn: Option<Ovn>) -> WriteRequest {
    WriteRequest {
        id: eid(id),
        owner: party(p),
        kind: EntityKind::Operation { state, priority: 0 },
        volumes: Arc::from(vec![vol()]),
        expected_ovn,
        key,
    }
}

#[test]
fn the_refusal_names_every_missing_entity_with_where_it_meets() {
    let mut a = Airspace::new(KeyPolicy::default());
    a.put(
        op(1, 0, OperationState::Accepted, Key::new(), None),
        Ovn("a".into()),
    )
    .map(|_| ())
    .unwrap_or_else(|e| unreachable!("{e}"));
    let zone = WriteRequest {
        kind: EntityKind::Zone(ZoneKind::Protected),
        ..op(2, 1, OperationState::Accepted, Key::new(), None)
    };
    a.put(zone, Ovn("z".into()))
        .map(|_| ())
        .unwrap_or_else(|e| unreachable!("{e}"));
    let Err(WriteRefusal::MissingOvns(report)) = a.put(
        op(3, 2, OperationState::Activated, Key::new(), None),
        Ovn("c".into()),
    ) else {
        unreachable!("must be refused")
    };
    assert_eq!(report.missing.len(), 2);
    let pair = &report.missing[0].pairs[0];
    assert_eq!(pair.intersection.time.duration_s(), 7200);
    assert!(geo::Area::unsigned_area(&pair.intersection.footprint) > 0.0);
    assert_eq!(a.len(), 2, "a refused write changes nothing");
}

#[test]
fn off_nominal_states_need_no_key_and_need_not_be_named() {
    let mut a = Airspace::new(KeyPolicy::default());
    a.put(
        op(1, 0, OperationState::Accepted, Key::new(), None),
        Ovn("a".into()),
    )
    .map(|_| ())
    .unwrap_or_else(|e| unreachable!("{e}"));
    // A contingent operation is announced, not negotiated.
    a.put(
        op(2, 1, OperationState::Contingent, Key::new(), None),
        Ovn("b".into()),
    )
    .map(|_| ())
    .unwrap_or_else(|e| unreachable!("{e}"));
    // An accepted operation must name #1 but not the contingent #2.
    let key = Key::from([Ovn("a".into())]);
    assert!(
        a.put(
            op(3, 2, OperationState::Accepted, key, None),
            Ovn("c".into())
        )
        .is_ok()
    );
}

#[test]
fn an_update_is_compare_and_swap_and_needs_no_key_for_itself() {
    let mut a = Airspace::new(KeyPolicy::default());
    a.put(
        op(1, 0, OperationState::Accepted, Key::new(), None),
        Ovn("a".into()),
    )
    .map(|_| ())
    .unwrap_or_else(|e| unreachable!("{e}"));
    let stale = a.put(
        op(
            1,
            0,
            OperationState::Activated,
            Key::new(),
            Some(Ovn("old".into())),
        ),
        Ovn("b".into()),
    );
    assert!(matches!(stale, Err(WriteRefusal::OvnMismatch { .. })));
    let fresh = a.put(
        op(
            1,
            0,
            OperationState::Activated,
            Key::new(),
            Some(Ovn("a".into())),
        ),
        Ovn("b".into()),
    );
    assert_eq!(
        fresh.map(|e| (e.version, e.ovn.clone())).ok(),
        Some((2, Ovn("b".into())))
    );
    let other = a.put(
        op(
            1,
            1,
            OperationState::Activated,
            Key::new(),
            Some(Ovn("b".into())),
        ),
        Ovn("c".into()),
    );
    assert!(matches!(other, Err(WriteRefusal::NotOwner { .. })));
}
