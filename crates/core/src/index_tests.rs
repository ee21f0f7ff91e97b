//! The index against brute force over random workloads of inserts, updates, removals and queries.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::SpatialTemporalIndex;
use crate::Volume4d;
use crate::testgen::{arb_volume, arb_volumes, oracle};

#[derive(Debug, Clone)]
enum Step {
    Put(u8, Vec<Volume4d>),
    Remove(u8),
    Query(Volume4d),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..24, arb_volumes()).prop_map(|(k, v)| Step::Put(k, v)),
        1 => (0u8..24).prop_map(Step::Remove),
        3 => arb_volume().prop_map(Step::Query),
    ]
}

fn brute_force(model: &BTreeMap<u8, Vec<Volume4d>>, q: &Volume4d) -> Vec<u8> {
    model
        .iter()
        .filter(|(_, vs)| vs.iter().any(|v| oracle(v, q)))
        .map(|(k, _)| *k)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn index_matches_brute_force(steps in prop::collection::vec(arb_step(), 1..80)) {
        let mut index = SpatialTemporalIndex::new();
        let mut model: BTreeMap<u8, Vec<Volume4d>> = BTreeMap::new();
        for step in steps {
            match step {
                Step::Put(k, vs) => {
                    if let Some(old) = model.remove(&k) {
                        prop_assert_eq!(index.remove(&k), old.len());
                    }
                    index.insert(k, &vs);
                    model.insert(k, vs);
                }
                Step::Remove(k) => {
                    let old = model.remove(&k).unwrap_or_default();
                    prop_assert_eq!(index.remove(&k), old.len());
                }
                Step::Query(q) => {
                    prop_assert_eq!(index.query(std::slice::from_ref(&q)), brute_force(&model, &q));
                }
            }
            prop_assert_eq!(index.len(), model.values().map(Vec::len).sum::<usize>());
        }
        // A bulk-loaded index of the final state answers the same.
        let bulk = SpatialTemporalIndex::bulk_load(model.iter().map(|(k, v)| (*k, &v[..])));
        let mut runner = TestRunner::deterministic();
        for _ in 0..20 {
            let q = arb_volume().new_tree(&mut runner).map_err(|e| TestCaseError::fail(e.to_string()))?.current();
            prop_assert_eq!(bulk.query(std::slice::from_ref(&q)), brute_force(&model, &q));
            prop_assert_eq!(index.query(std::slice::from_ref(&q)), brute_force(&model, &q));
        }
    }
}

/// The generators must produce both answers often, or the tests above prove little.
#[test]
fn generated_volumes_both_intersect_and_miss() {
    let mut runner = TestRunner::deterministic();
    let (mut hits, n) = (0, 2000);
    for _ in 0..n {
        let a = arb_volume().new_tree(&mut runner).map(|t| t.current());
        let b = arb_volume().new_tree(&mut runner).map(|t| t.current());
        if let (Ok(a), Ok(b)) = (a, b) {
            hits += usize::from(oracle(&a, &b));
        }
    }
    assert!(
        hits > n / 10 && hits < n * 9 / 10,
        "{hits} of {n} intersect"
    );
}

/// Churn enough to compact the arena several times; every answer stays the brute-force one.
#[test]
fn compaction_keeps_every_answer() {
    let mut runner = TestRunner::deterministic();
    let mut draw = || {
        arb_volume()
            .new_tree(&mut runner)
            .map(|t| t.current())
            .expect("generates")
    };
    let mut index = SpatialTemporalIndex::new();
    let mut model: BTreeMap<u8, Vec<Volume4d>> = BTreeMap::new();
    let mut compactions = 0;
    for round in 0..3000u32 {
        let k = (round % 40) as u8;
        let before = index.garbage;
        index.remove(&k);
        model.remove(&k);
        if index.garbage < before {
            compactions += 1;
        }
        let vs = vec![draw(), draw()];
        index.insert(k, &vs);
        model.insert(k, vs);
        if round % 97 == 0 {
            let q = draw();
            assert_eq!(
                index.query(std::slice::from_ref(&q)),
                brute_force(&model, &q)
            );
        }
    }
    assert!(compactions >= 3, "only {compactions} compactions");
    for _ in 0..50 {
        let q = draw();
        assert_eq!(
            index.query(std::slice::from_ref(&q)),
            brute_force(&model, &q)
        );
    }
}
