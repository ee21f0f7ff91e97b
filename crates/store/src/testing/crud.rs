//! Cases: putting, getting, listing and deleting entities, subscriptions and parties.

use std::collections::BTreeSet;

use deconflict_core::{Entity, Ovn, Party, Subscription};

use super::fixtures::{
    Rng, both, entity, entity_id, far_volume, ids, party, read, subscription, subscription_id, tx,
};
use crate::{Store, StoreError};

/// Entities: put, get, list sorted, replace, delete (and delete again), in reads and
/// transactions alike.
///
/// # Errors
/// A store error.
pub fn entities_put_get_delete<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(1);
    let (a, b, c) = (
        entity(30, "alpha", rng.volumes()),
        entity(10, "bravo", rng.volumes()),
        entity(20, "alpha", vec![far_volume()]),
    );
    assert_eq!(both(store, |v| v.entities())?, Vec::<Entity>::new());
    for e in [&a, &b, &c] {
        let e = e.clone();
        tx(store, move |tx| tx.put_entity(e.clone()))?;
    }
    assert_eq!(both(store, |v| v.entity(&a.id))?, Some(a.clone()));
    assert_eq!(both(store, |v| v.entity(&entity_id(99)))?, None);
    assert_eq!(
        both(store, |v| v.entities())?,
        vec![b.clone(), c.clone(), a.clone()],
        "sorted by id"
    );

    let mut a2 = a.clone();
    a2.version = 2;
    a2.ovn = Ovn("ovn-30-2".to_owned());
    a2.volumes = rng.volumes().into();
    let put = a2.clone();
    tx(store, move |tx| tx.put_entity(put.clone()))?;
    assert_eq!(both(store, |v| v.entity(&a.id))?, Some(a2.clone()));
    assert_eq!(
        both(store, |v| v.entities())?.len(),
        3,
        "replaced, not added"
    );

    assert!(tx(store, |tx| tx.delete_entity(&b.id))?);
    assert!(!tx(store, |tx| tx.delete_entity(&b.id))?, "already gone");
    assert!(!tx(store, |tx| tx.delete_entity(&entity_id(99)))?);
    assert_eq!(both(store, |v| v.entity(&b.id))?, None);
    assert_eq!(ids(&both(store, |v| v.entities())?), [c.id, a.id]);
    assert!(
        both(store, |v| v.entities_intersecting(&b.volumes))?
            .iter()
            .all(|e| e.id != b.id),
        "a deleted entity is no longer found"
    );
    Ok(())
}

/// Subscriptions: put, get, by owner (sorted, and moving with a change of owner), delete.
///
/// # Errors
/// A store error.
pub fn subscriptions_put_get_delete<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(2);
    let mut s1 = subscription(3, "alpha", rng.volumes());
    s1.callback_url = Some("https://alpha.example/hook".to_owned());
    let s2 = subscription(1, "alpha", rng.volumes());
    let s3 = subscription(2, "bravo", rng.volumes());
    let all = [s1.clone(), s2.clone(), s3.clone()];
    tx(store, move |tx| {
        for s in &all {
            tx.put_subscription(s.clone())?;
        }
        Ok(())
    })?;
    assert_eq!(both(store, |v| v.subscription(&s1.id))?, Some(s1.clone()));
    assert_eq!(both(store, |v| v.subscription(&subscription_id(9)))?, None);
    let alpha = party("alpha");
    let bravo = party("bravo");
    assert_eq!(
        both(store, |v| v.subscriptions_of(&alpha))?,
        vec![s2.clone(), s1.clone()]
    );
    assert_eq!(
        both(store, |v| v.subscriptions_of(&bravo))?,
        vec![s3.clone()]
    );
    assert_eq!(
        both(store, |v| v.subscriptions_of(&party("nobody")))?,
        Vec::<Subscription>::new()
    );

    let mut moved = s2.clone();
    moved.owner = bravo.clone();
    moved.version = 2;
    moved.notification_index = 7;
    let put = moved.clone();
    tx(store, move |tx| tx.put_subscription(put.clone()))?;
    assert_eq!(
        both(store, |v| v.subscriptions_of(&alpha))?,
        vec![s1.clone()]
    );
    assert_eq!(
        both(store, |v| v.subscriptions_of(&bravo))?,
        vec![moved.clone(), s3.clone()]
    );

    assert!(tx(store, |tx| tx.delete_subscription(&s1.id))?);
    assert!(!tx(store, |tx| tx.delete_subscription(&s1.id))?);
    assert_eq!(both(store, |v| v.subscription(&s1.id))?, None);
    assert_eq!(
        both(store, |v| v.subscriptions_of(&alpha))?,
        Vec::<Subscription>::new()
    );
    assert!(
        both(store, |v| v.subscriptions_intersecting(&s1.volumes))?
            .iter()
            .all(|s| s.id != s1.id)
    );
    Ok(())
}

/// Parties: put, get, replace, list sorted.
///
/// # Errors
/// A store error.
pub fn parties_put_get<S: Store>(store: &S) -> Result<(), StoreError> {
    let p = |id: &str, name: &str, full: &[&str]| Party {
        id: party(id),
        name: name.to_owned(),
        full_disclosure_to: full.iter().map(|f| party(f)).collect::<BTreeSet<_>>(),
    };
    let (zulu, alpha) = (p("zulu", "Zulu Force", &[]), p("alpha", "Alpha", &["zulu"]));
    let both_parties = [zulu.clone(), alpha.clone()];
    tx(store, move |tx| {
        for party in &both_parties {
            tx.put_party(party.clone())?;
        }
        Ok(())
    })?;
    assert_eq!(
        both(store, |v| v.party(&party("alpha")))?,
        Some(alpha.clone())
    );
    assert_eq!(both(store, |v| v.party(&party("nobody")))?, None);
    assert_eq!(
        both(store, |v| v.parties())?,
        vec![alpha.clone(), zulu.clone()]
    );

    let renamed = p("zulu", "Zulu Command", &["alpha"]);
    let put = renamed.clone();
    tx(store, move |tx| tx.put_party(put.clone()))?;
    assert_eq!(both(store, |v| v.parties())?, vec![alpha, renamed.clone()]);
    assert_eq!(read(store, |v| v.party(&party("zulu")))?, Some(renamed));
    Ok(())
}
