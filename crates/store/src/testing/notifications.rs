//! Cases: notifications get increasing ids and page through inboxes, are acknowledged once, and
//! queue webhook deliveries that fall due, are retried, delivered or given up.

use chrono::Duration;
use deconflict_core::Notification;

use super::fixtures::{both, news, party, t0, tx};
use crate::{Attempt, Store, StoreError};

/// Ids increase in the order notifications are recorded (within and across transactions); each
/// recipient's inbox pages by id, oldest first, and holds what was recorded.
///
/// # Errors
/// A store error.
pub fn notification_ids_increase_and_inbox_pages<S: Store>(store: &S) -> Result<(), StoreError> {
    let mut recorded: Vec<Notification> = Vec::new();
    for round in 0..10u128 {
        // Three to alpha and one to bravo per transaction.
        let batch = tx(store, |tx| {
            let mut out = Vec::new();
            for k in 0..3 {
                out.push(tx.notify(news("alpha", round * 10 + k, None), t0())?);
            }
            out.push(tx.notify(news("bravo", round * 10 + 9, None), t0())?);
            Ok(out)
        })?;
        recorded.extend(batch);
    }
    assert!(
        recorded.windows(2).all(|w| w[0].id < w[1].id),
        "ids increase in recording order"
    );
    let first = &recorded[0];
    assert_eq!(first.recipient, party("alpha"));
    assert_eq!(first.created_at, t0());
    assert_eq!(first.event, news("alpha", 0, None).event);
    assert!(first.requires_ack, "news of an even entity requires an ack");
    assert_eq!(first.acked_at, None);

    let alpha: Vec<Notification> = recorded
        .iter()
        .filter(|n| n.recipient == party("alpha"))
        .cloned()
        .collect();
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = both(store, |v| v.inbox(&party("alpha"), after, 7))?;
        assert!(page.len() <= 7);
        let Some(last) = page.last() else { break };
        after = last.id;
        paged.extend(page);
    }
    assert_eq!(
        paged, alpha,
        "paging visits every notification of alpha once, in order"
    );
    let bravo = both(store, |v| v.inbox(&party("bravo"), 0, 100))?;
    assert_eq!(bravo.len(), 10);
    assert!(bravo.iter().all(|n| n.recipient == party("bravo")));
    assert_eq!(both(store, |v| v.inbox(&party("alpha"), 0, 0))?, vec![]);
    assert_eq!(both(store, |v| v.inbox(&party("nobody"), 0, 10))?, vec![]);
    assert_eq!(
        both(store, |v| v.inbox(&party("alpha"), u64::MAX, 10))?,
        vec![]
    );
    let mid = alpha[10].id;
    assert_eq!(
        both(store, |v| v.inbox(&party("alpha"), mid, 100))?,
        alpha[11..].to_vec()
    );
    Ok(())
}

/// A notification is acknowledged once, by its recipient only; the first time is kept.
///
/// # Errors
/// A store error.
pub fn acknowledge_once<S: Store>(store: &S) -> Result<(), StoreError> {
    let n = tx(store, |tx| tx.notify(news("alpha", 2, None), t0()))?;
    let (t1, t2) = (t0() + Duration::seconds(5), t0() + Duration::seconds(9));
    let alpha = party("alpha");
    let first = tx(store, |tx| tx.acknowledge(&alpha, n.id, t1))?;
    assert_eq!(first.as_ref().and_then(|n| n.acked_at), Some(t1));
    let second = tx(store, |tx| tx.acknowledge(&alpha, n.id, t2))?;
    assert_eq!(
        second, first,
        "a second acknowledgement keeps the first time"
    );
    assert_eq!(
        tx(store, |tx| tx.acknowledge(&party("bravo"), n.id, t2))?,
        None
    );
    assert_eq!(
        tx(store, |tx| tx.acknowledge(&alpha, n.id + 100, t2))?,
        None
    );
    let inbox = both(store, |v| v.inbox(&alpha, 0, 10))?;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].acked_at, Some(t1));
    Ok(())
}

/// The outbox: a notification with a callback URL is due at its time with no attempts (one
/// without is not queued); due deliveries come oldest first, at most `limit`; a retry counts an
/// attempt and moves the time; delivered and given-up deliveries leave the outbox but not the
/// inbox; an attempt on a delivery no longer waiting is moot.
///
/// # Errors
/// A store error.
pub fn outbox_due_attempts_delivered_gave_up<S: Store>(store: &S) -> Result<(), StoreError> {
    let url = "https://alpha.example/hook";
    let at = |s: i64| t0() + Duration::seconds(s);
    let ns = tx(store, |tx| {
        Ok(vec![
            tx.notify(news("alpha", 1, Some(url)), at(20))?,
            tx.notify(news("alpha", 2, None), at(0))?,
            tx.notify(news("bravo", 3, Some(url)), at(10))?,
        ])
    })?;
    let n4 = tx(store, |tx| tx.notify(news("alpha", 4, Some(url)), at(0)))?;
    let due_ids = |t: i64, limit: usize| -> Result<Vec<u64>, StoreError> {
        Ok(both(store, |v| v.due_deliveries(at(t), limit))?
            .iter()
            .map(|d| d.notification.id)
            .collect())
    };
    assert_eq!(
        due_ids(-1, 10)?,
        Vec::<u64>::new(),
        "nothing due before its time"
    );
    assert_eq!(
        due_ids(10, 10)?,
        [n4.id, ns[2].id],
        "oldest first; no callback, no delivery"
    );
    assert_eq!(due_ids(30, 10)?, [n4.id, ns[2].id, ns[0].id]);
    assert_eq!(due_ids(30, 2)?, [n4.id, ns[2].id], "at most limit");

    let due = both(store, |v| v.due_deliveries(at(30), 10))?;
    assert_eq!(due[0].notification, n4);
    assert_eq!(due[0].url, url);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].next_attempt_at, at(0));

    tx(store, |tx| {
        tx.record_attempt(n4.id, Attempt::Retry { at: at(60) })
    })?;
    assert_eq!(due_ids(30, 10)?, [ns[2].id, ns[0].id], "retried later");
    let retried = both(store, |v| v.due_deliveries(at(60), 10))?;
    assert_eq!(
        retried.last().map(|d| (d.notification.id, d.attempts)),
        Some((n4.id, 1))
    );
    assert_eq!(retried.last().map(|d| d.next_attempt_at), Some(at(60)));
    tx(store, |tx| {
        tx.record_attempt(n4.id, Attempt::Retry { at: at(90) })
    })?;
    let again = both(store, |v| v.due_deliveries(at(90), 10))?;
    assert_eq!(again.last().map(|d| d.attempts), Some(2));

    tx(store, |tx| tx.record_attempt(ns[2].id, Attempt::Delivered))?;
    tx(store, |tx| tx.record_attempt(n4.id, Attempt::GaveUp))?;
    assert_eq!(due_ids(1000, 10)?, [ns[0].id]);
    tx(store, |tx| tx.record_attempt(n4.id, Attempt::Delivered))?;
    tx(store, |tx| tx.record_attempt(ns[1].id, Attempt::Delivered))?;
    tx(store, |tx| tx.record_attempt(9999, Attempt::GaveUp))?;
    assert_eq!(
        due_ids(1000, 10)?,
        [ns[0].id],
        "attempts on no delivery change nothing"
    );
    let alpha = both(store, |v| v.inbox(&party("alpha"), 0, 10))?;
    assert!(
        alpha.iter().any(|n| n.id == n4.id),
        "a given-up notification stays in the inbox"
    );
    Ok(())
}
