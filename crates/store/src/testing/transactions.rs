//! Cases: a transaction reads its own writes; an `Err` discards all of them; concurrent
//! transactions are serializable and their commits visible atomically.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use deconflict_core::{Entity, Party};

use super::fixtures::{
    Rng, entity, entity_id, far_volume, ids, news, party, read, subscription, t0, tx,
};
use crate::{Attempt, Store, StoreError};

/// Everything a transaction reads includes its own earlier writes: puts are found (by id, in
/// lists and by the spatial queries), deletions and moves are not, the last write of a key wins;
/// and once committed, a read sees what the transaction saw.
///
/// # Errors
/// A store error.
pub fn transaction_reads_its_own_writes<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(5);
    let q = rng.volumes();
    let (b, c) = (entity(2, "alpha", q.clone()), entity(3, "alpha", q.clone()));
    let sb = subscription(2, "bravo", q.clone());
    let committed = (b.clone(), c.clone(), sb.clone());
    tx(store, move |tx| {
        tx.put_entity(committed.0.clone())?;
        tx.put_entity(committed.1.clone())?;
        tx.put_subscription(committed.2.clone())
    })?;

    let seen = tx(store, |tx| {
        let mut a = entity(1, "alpha", q.clone());
        tx.put_entity(a.clone())?;
        assert_eq!(tx.entity(&a.id)?, Some(a.clone()));
        assert_eq!(ids(&tx.entities_intersecting(&q)?), [a.id, b.id, c.id]);
        a.version = 2;
        tx.put_entity(a.clone())?;
        assert_eq!(
            tx.entity(&a.id)?.map(|e| e.version),
            Some(2),
            "last write wins"
        );

        assert!(tx.delete_entity(&b.id)?);
        assert!(
            !tx.delete_entity(&b.id)?,
            "deleted earlier in this transaction"
        );
        assert_eq!(tx.entity(&b.id)?, None);
        let mut c2 = c.clone();
        c2.volumes = vec![far_volume()].into();
        tx.put_entity(c2.clone())?;
        assert_eq!(
            ids(&tx.entities_intersecting(&q)?),
            [a.id],
            "b deleted, c moved"
        );
        assert_eq!(ids(&tx.entities_intersecting(&c2.volumes)?), [c.id]);

        let d = entity(4, "alpha", q.clone());
        tx.put_entity(d.clone())?;
        assert!(tx.delete_entity(&d.id)?, "put earlier in this transaction");
        assert_eq!(ids(&tx.entities()?), [a.id, c.id]);

        let sa = subscription(1, "bravo", q.clone());
        tx.put_subscription(sa.clone())?;
        assert_eq!(
            tx.subscriptions_intersecting(&q)?,
            vec![sa.clone(), sb.clone()]
        );
        assert!(tx.delete_subscription(&sb.id)?);
        assert_eq!(tx.subscriptions_intersecting(&q)?, vec![sa.clone()]);
        assert_eq!(tx.subscriptions_of(&party("bravo"))?, vec![sa.clone()]);

        let p = Party {
            id: party("alpha"),
            name: "Alpha".to_owned(),
            full_disclosure_to: BTreeSet::new(),
        };
        tx.put_party(p.clone())?;
        assert_eq!(tx.parties()?, vec![p]);

        let n = tx.notify(news("bravo", 1, Some("https://bravo.example/n")), t0())?;
        assert_eq!(tx.inbox(&party("bravo"), 0, 10)?, vec![n.clone()]);
        let acked = tx.acknowledge(&party("bravo"), n.id, t0())?;
        assert_eq!(acked.as_ref().and_then(|n| n.acked_at), Some(t0()));
        assert_eq!(tx.inbox(&party("bravo"), 0, 10)?[0].acked_at, Some(t0()));
        assert_eq!(tx.due_deliveries(t0(), 10)?.len(), 1);
        tx.record_attempt(n.id, Attempt::GaveUp)?;
        assert_eq!(tx.due_deliveries(t0(), 10)?.len(), 0);

        Ok((
            tx.entities()?,
            tx.entities_intersecting(&q)?,
            tx.subscriptions_intersecting(&q)?,
            tx.inbox(&party("bravo"), 0, 10)?,
        ))
    })?;
    let after = read(store, |v| {
        Ok((
            v.entities()?,
            v.entities_intersecting(&q)?,
            v.subscriptions_intersecting(&q)?,
            v.inbox(&party("bravo"), 0, 10)?,
        ))
    })?;
    assert_eq!(seen, after, "committed as seen");
    assert_eq!(read(store, |v| v.due_deliveries(t0(), 10))?, vec![]);
    Ok(())
}

/// The error of a closure that refuses.
#[derive(Debug, PartialEq)]
enum Refusal {
    Refused,
    Store(String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// An `Err` from the closure discards every write of its transaction, of every kind.
///
/// # Errors
/// A store error.
pub fn failed_transaction_writes_nothing<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut rng = Rng::new(6);
    let q = rng.volumes();
    let (e1, s1) = (
        entity(1, "alpha", q.clone()),
        subscription(1, "alpha", q.clone()),
    );
    let p = Party {
        id: party("alpha"),
        name: "Alpha".to_owned(),
        full_disclosure_to: BTreeSet::new(),
    };
    let baseline = (e1.clone(), s1.clone(), p.clone());
    let n1 = tx(store, move |tx| {
        tx.put_entity(baseline.0.clone())?;
        tx.put_subscription(baseline.1.clone())?;
        tx.put_party(baseline.2.clone())?;
        tx.notify(news("alpha", 1, Some("https://alpha.example/n")), t0())
    })?;
    let snapshot = |store: &S| {
        read(store, |v| {
            Ok((
                v.entities()?,
                v.entities_intersecting(&q)?,
                v.subscriptions_intersecting(&q)?,
                v.subscriptions_of(&party("alpha"))?,
                v.parties()?,
                v.inbox(&party("alpha"), 0, 10)?,
                v.due_deliveries(t0(), 10)?,
            ))
        })
    };
    let before = snapshot(store)?;

    let refused: Result<(), Refusal> = store.transact(&mut |tx| {
        tx.put_entity(entity(2, "alpha", q.clone()))?;
        tx.delete_entity(&e1.id)?;
        let mut s = s1.clone();
        s.notification_index += 1;
        tx.put_subscription(s)?;
        tx.put_subscription(subscription(2, "alpha", q.clone()))?;
        tx.put_party(Party {
            name: "Renamed".to_owned(),
            ..p.clone()
        })?;
        tx.notify(news("alpha", 2, Some("https://alpha.example/n")), t0())?;
        tx.acknowledge(&party("alpha"), n1.id, t0())?;
        tx.record_attempt(n1.id, Attempt::Delivered)?;
        Err(Refusal::Refused)
    });
    assert_eq!(refused, Err(Refusal::Refused));
    assert_eq!(
        snapshot(store)?,
        before,
        "nothing of the refused transaction remains"
    );

    let n2 = tx(store, |tx| tx.notify(news("alpha", 3, None), t0()))?;
    assert!(n2.id > n1.id);
    Ok(())
}

/// Threads bump two counters (the versions of two entities) in read-modify-write transactions:
/// no update is lost (the final count equals the transactions that succeeded, and each saw a
/// distinct count), readers never see one counter bumped without the other, and a committed
/// transaction is visible to its caller's next read.
///
/// # Errors
/// A store error.
pub fn concurrent_transactions_are_serializable<S: Store>(store: &S) -> Result<(), StoreError> {
    const THREADS: u64 = 8;
    const EACH: u64 = 25;
    let (x, y) = (entity_id(1), entity_id(2));
    tx(store, |tx| {
        for id in [x, y] {
            tx.put_entity(Entity {
                version: 0,
                id,
                ..entity(1, "alpha", vec![far_volume()])
            })?;
        }
        Ok(())
    })?;
    let writing = AtomicBool::new(true);
    let seen: Vec<u64> = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| -> Result<(), StoreError> {
                    let mut last = 0;
                    while writing.load(Ordering::Relaxed) {
                        let (vx, vy) = read(store, |v| {
                            let version = |e: Option<Entity>| e.map_or(u64::MAX, |e| e.version);
                            Ok((version(v.entity(&x)?), version(v.entity(&y)?)))
                        })?;
                        assert_eq!(vx, vy, "a transaction's writes are visible together");
                        assert!(vx >= last, "committed state never goes back");
                        last = vx;
                        std::thread::yield_now();
                    }
                    Ok(())
                })
            })
            .collect();
        let writers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| -> Result<Vec<u64>, StoreError> {
                    let mut mine = Vec::new();
                    for _ in 0..EACH {
                        let v = tx(store, |tx| {
                            let (Some(mut ex), Some(mut ey)) = (tx.entity(&x)?, tx.entity(&y)?)
                            else {
                                return Err(StoreError::Closed);
                            };
                            assert_eq!(ex.version, ey.version);
                            ex.version += 1;
                            ey.version += 1;
                            let v = ex.version;
                            tx.put_entity(ex)?;
                            tx.put_entity(ey)?;
                            Ok(v)
                        })?;
                        let now = read(store, |view| Ok(view.entity(&x)?.map(|e| e.version)))?;
                        assert!(now >= Some(v), "a committed write is visible to its caller");
                        mine.push(v);
                    }
                    Ok(mine)
                })
            })
            .collect();
        // Every writer is joined before the readers are stopped, whatever they returned.
        let written: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        writing.store(false, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        }
        let mut seen = Vec::new();
        for w in written {
            seen.extend(w.unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok::<_, StoreError>(seen)
    })?;
    let total = THREADS * EACH;
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=total).collect::<Vec<_>>(),
        "each saw a distinct count"
    );
    let finals = read(store, |v| Ok((v.entity(&x)?, v.entity(&y)?)))?;
    assert_eq!(finals.0.map(|e| e.version), Some(total));
    assert_eq!(finals.1.map(|e| e.version), Some(total));
    Ok(())
}
