//! Cases: the spatial-temporal queries answer exactly what brute force over every stored value
//! answers, for a few dozen random entities and subscriptions, before and after changes.

use deconflict_core::{Entity, Subscription, Volume4d};

use super::fixtures::{Rng, both, entity, subscription, tx};
use crate::{Store, StoreError};

/// How many random values and queries.
const VALUES: u128 = 48;
const QUERIES: usize = 40;

fn brute_entities(all: &[Entity], query: &[Volume4d]) -> Vec<Entity> {
    all.iter()
        .filter(|e| e.intersects_any(query))
        .cloned()
        .collect()
}

fn brute_subscriptions(all: &[Subscription], query: &[Volume4d]) -> Vec<Subscription> {
    all.iter()
        .filter(|s| {
            s.volumes
                .iter()
                .any(|a| query.iter().any(|b| a.intersects(b)))
        })
        .cloned()
        .collect()
}

/// `entities_intersecting` equals brute force over `entities()`: on random entities, after some
/// are moved and deleted, for random queries of one to three volumes.
///
/// # Errors
/// A store error.
pub fn entities_intersecting_is_exact<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(3);
    let mut all: Vec<Entity> = (1..=VALUES)
        .map(|n| entity(n, "alpha", rng.volumes()))
        .collect();
    // In a few transactions of several writes each.
    for chunk in all.chunks(7) {
        let chunk = chunk.to_vec();
        tx(store, move |tx| {
            for e in &chunk {
                tx.put_entity(e.clone())?;
            }
            Ok(())
        })?;
    }
    let queries: Vec<Vec<Volume4d>> = (0..QUERIES).map(|_| rng.volumes()).collect();
    let mut hits = 0;
    for q in &queries {
        let got = both(store, |v| v.entities_intersecting(q))?;
        assert_eq!(got, brute_entities(&all, q), "query {q:?}");
        hits += got.len();
    }
    assert!(hits > QUERIES, "the generator should make intersections");

    // Move every third entity, delete every fifth.
    for e in all.iter_mut().step_by(3) {
        e.volumes = rng.volumes().into();
        e.version += 1;
    }
    let (moved, deleted): (Vec<Entity>, Vec<Entity>) = (
        all.iter().step_by(3).cloned().collect(),
        all.iter().step_by(5).cloned().collect(),
    );
    tx(store, move |tx| {
        for e in &moved {
            tx.put_entity(e.clone())?;
        }
        for e in &deleted {
            assert!(tx.delete_entity(&e.id)?);
        }
        Ok(())
    })?;
    let mut index = 0;
    all.retain(|_| {
        index += 1;
        (index - 1) % 5 != 0
    });
    assert_eq!(both(store, |v| v.entities())?, all);
    for q in &queries {
        assert_eq!(
            both(store, |v| v.entities_intersecting(q))?,
            brute_entities(&all, q),
            "after changes, query {q:?}"
        );
    }
    Ok(())
}

/// `subscriptions_intersecting` equals brute force, likewise.
///
/// # Errors
/// A store error.
pub fn subscriptions_intersecting_is_exact<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(4);
    let mut all: Vec<Subscription> = (1..=VALUES)
        .map(|n| {
            subscription(
                n,
                if n.is_multiple_of(2) {
                    "alpha"
                } else {
                    "bravo"
                },
                rng.volumes(),
            )
        })
        .collect();
    for chunk in all.chunks(5) {
        let chunk = chunk.to_vec();
        tx(store, move |tx| {
            for s in &chunk {
                tx.put_subscription(s.clone())?;
            }
            Ok(())
        })?;
    }
    let queries: Vec<Vec<Volume4d>> = (0..QUERIES).map(|_| rng.volumes()).collect();
    for q in &queries {
        assert_eq!(
            both(store, |v| v.subscriptions_intersecting(q))?,
            brute_subscriptions(&all, q),
            "query {q:?}"
        );
    }
    let gone: Vec<Subscription> = all.iter().step_by(4).cloned().collect();
    tx(store, move |tx| {
        for s in &gone {
            assert!(tx.delete_subscription(&s.id)?);
        }
        Ok(())
    })?;
    let mut index = 0;
    all.retain(|_| {
        index += 1;
        (index - 1) % 4 != 0
    });
    for q in &queries {
        assert_eq!(
            both(store, |v| v.subscriptions_intersecting(q))?,
            brute_subscriptions(&all, q),
            "after deletions, query {q:?}"
        );
    }
    Ok(())
}
