//! Several stores on one database, as several deconflict nodes are: the check-then-write of a
//! claim is serializable across them, and exhausted retries are a clear error.

use std::sync::Barrier;

use deconflict_core::Entity;
use deconflict_store::postgres::testing::TempDatabase;
use deconflict_store::postgres::{PostgresOptions, PostgresStore};
use deconflict_store::testing::fixtures::{Rng, entity, entity_id, tx};
use deconflict_store::{Store, StoreError};

fn database() -> TempDatabase {
    TempDatabase::new().unwrap_or_else(|e| panic!("a PostgreSQL test database: {e}"))
}

fn node(db: &TempDatabase, options: PostgresOptions) -> PostgresStore {
    PostgresStore::open(db.url(), options).expect("a node opens")
}

/// Eight threads over two nodes each try, in one transaction, "if nothing intersects my volume,
/// file it" for overlapping volumes: in every round exactly one files, however the transactions
/// interleave. Without serializable isolation (or with a pre-selection that missed rows) two
/// would both see nothing and both file.
#[test]
fn a_check_then_claim_succeeds_for_exactly_one_of_eight_racers_on_two_nodes() {
    const ROUNDS: u128 = 40;
    const RACERS: u128 = 8;
    let db = database();
    let nodes = [
        node(&db, PostgresOptions::default()),
        node(&db, PostgresOptions::default()),
    ];
    let mut rng = Rng::new(7);
    for round in 0..ROUNDS {
        // Overlapping volumes: the same spot in each racer's, jittered.
        let volumes: Vec<_> = (0..RACERS).map(|_| rng.volume()).collect();
        let barrier = Barrier::new(RACERS as usize);
        let filed: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..RACERS)
                .map(|i| {
                    let node = &nodes[(i % 2) as usize];
                    let mine = volumes[i as usize].clone();
                    let all = volumes.clone();
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        tx(node, |tx| {
                            // Every racer's volume is checked, so any two racers conflict when
                            // their volumes do; to make all of them conflict, check the union.
                            if !tx.entities_intersecting(&all)?.is_empty() {
                                return Ok(false);
                            }
                            let id = entity_id(round * 1000 + i + 1);
                            tx.put_entity(Entity {
                                id,
                                ..entity(2, "racer", vec![mine.clone()])
                            })?;
                            Ok(true)
                        })
                        .expect("the store answers")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a racer"))
                .collect()
        });
        assert_eq!(
            filed.iter().filter(|f| **f).count(),
            1,
            "round {round}: {filed:?}"
        );
        // Clear the area for the next round.
        tx(&nodes[0], |tx| {
            for e in tx.entities()? {
                tx.delete_entity(&e.id)?;
            }
            Ok(())
        })
        .expect("cleared");
    }
}

/// With a single attempt allowed, contending writers get [`StoreError::Contention`], never
/// another error and never a lost update.
#[test]
fn exhausted_retries_are_contention_and_lose_no_update() {
    let db = database();
    let strict = node(
        &db,
        PostgresOptions {
            max_attempts: 1,
            ..PostgresOptions::default()
        },
    );
    let id = entity_id(1);
    tx(&strict, |tx| {
        tx.put_entity(Entity {
            version: 0,
            ..entity(1, "alpha", vec![Rng::new(1).volume()])
        })
    })
    .expect("seeded");
    let barrier = Barrier::new(8);
    let outcomes: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let strict = &strict;
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut results = Vec::new();
                    barrier.wait();
                    for _ in 0..10 {
                        results.push(tx(strict, |tx| {
                            let mut e = tx.entity(&id)?.expect("present");
                            // Hold the transaction open a little so that others overlap it.
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            e.version += 1;
                            tx.put_entity(e)
                        }));
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a writer"))
            .collect()
    });
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    let contention = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StoreError::Contention { attempts: 1 })))
        .count();
    assert_eq!(ok + contention, outcomes.len(), "{outcomes:?}");
    assert!(contention > 0, "eight writers of one row never collided");
    let version = strict
        .read(&mut |v| Ok(v.entity(&id)?.map(|e| e.version)))
        .expect("read");
    assert_eq!(
        version,
        Some(ok as u64),
        "every committed increment is kept"
    );
}
