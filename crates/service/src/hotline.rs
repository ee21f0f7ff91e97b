//! The hotline: every notification that must be acknowledged has a deadline; one not
//! acknowledged in time is overdue, is listed as such, and escalates — the recipient is told
//! again (an `acknowledgement_overdue` reminder naming it), and again after each further period,
//! until it is acknowledged. Acknowledging a reminder acknowledges what it reminds of.
//!
//! Pending acknowledgements are store documents, written in the same transaction as their
//! notification and removed in the one that acknowledges it: kind [`PENDING`] keyed
//! `<deadline as unix seconds, 12 digits>/<notification id, 20 digits>` so that listing them in
//! key order is listing them by deadline (escalation reads only the due ones), and kind
//! [`PENDING_INDEX`] keyed by notification id, pointing at the former.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use deconflict_core::{Event, NewNotification, Notification, PartyId};
use deconflict_store::{Store, StoreError, Tx, View};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::caller::{Caller, SCOPE_READ};
use crate::error::ServiceError;
use crate::records;

/// Document kind of pending acknowledgements, by deadline.
pub const PENDING: &str = "ack.pending";
/// Document kind of the index from notification id to its pending key.
pub const PENDING_INDEX: &str = "ack.index";

/// An acknowledgement still awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAck {
    /// The notification awaiting acknowledgement.
    pub notification: u64,
    /// Its recipient.
    pub recipient: PartyId,
    /// When it was first due.
    pub due_at: DateTime<Utc>,
    /// When the next reminder is due (the first deadline, then one period after each reminder).
    pub deadline: DateTime<Utc>,
    /// Reminders sent so far.
    pub escalations: u32,
}

impl PendingAck {
    /// Whether it is overdue at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due_at <= now
    }
}

fn pending_key(deadline: DateTime<Utc>, notification: u64) -> String {
    format!("{:012}/{notification:020}", deadline.timestamp().max(0))
}

fn index_key(notification: u64) -> String {
    format!("{notification:020}")
}

fn put_pending(tx: &mut dyn Tx, p: &PendingAck) -> Result<(), StoreError> {
    let key = pending_key(p.deadline, p.notification);
    records::put(tx, PENDING, &key, p)?;
    tx.put_document(PENDING_INDEX, &index_key(p.notification), key.into_bytes())
}

fn clear(tx: &mut dyn Tx, notification: u64) -> Result<(), StoreError> {
    let index = index_key(notification);
    if let Some(key) = tx.document(PENDING_INDEX, &index)? {
        let key = String::from_utf8(key).map_err(|e| records::corrupt(PENDING_INDEX, &index, e))?;
        tx.delete_document(PENDING, &key)?;
        tx.delete_document(PENDING_INDEX, &index)?;
    }
    Ok(())
}

/// Tells each of `who` of `event`, one notification each (to acknowledge before the deadline
/// when `requires_ack`), and returns each recipient's notification id.
pub(crate) fn notify_each(
    tx: &mut dyn Tx,
    who: impl IntoIterator<Item = PartyId>,
    event: &Event,
    requires_ack: bool,
    now: DateTime<Utc>,
    ack_within: Duration,
) -> Result<BTreeMap<PartyId, u64>, StoreError> {
    let mut ids = BTreeMap::new();
    for recipient in who {
        let n = notify(
            tx,
            NewNotification {
                recipient: recipient.clone(),
                event: event.clone(),
                requires_ack,
                callback_url: None,
            },
            now,
            ack_within,
        )?;
        ids.insert(recipient, n.id);
    }
    Ok(ids)
}

/// Every registered party but `except`.
pub(crate) fn parties_but(
    view: &dyn View,
    except: Option<&PartyId>,
) -> Result<Vec<PartyId>, StoreError> {
    Ok(view
        .parties()?
        .into_iter()
        .map(|p| p.id)
        .filter(|p| Some(p) != except)
        .collect())
}

/// Records a notification; one that must be acknowledged gets a deadline `ack_within` from now.
/// One without a webhook of its own (not from a subscription) goes to the recipient's webhook:
/// the callback URL of its first subscription that has one (parties have no other).
pub(crate) fn notify(
    tx: &mut dyn Tx,
    mut new: NewNotification,
    now: DateTime<Utc>,
    ack_within: Duration,
) -> Result<Notification, StoreError> {
    if new.callback_url.is_none() {
        new.callback_url = tx
            .subscriptions_of(&new.recipient)?
            .into_iter()
            .find_map(|s| s.callback_url);
    }
    let n = tx.notify(new, now)?;
    if n.requires_ack {
        put_pending(
            tx,
            &PendingAck {
                notification: n.id,
                recipient: n.recipient.clone(),
                due_at: now + ack_within,
                deadline: now + ack_within,
                escalations: 0,
            },
        )?;
    }
    Ok(n)
}

/// The pending acknowledgements due at or before `now`, by deadline, at most `limit`.
fn due(view: &dyn View, now: DateTime<Utc>, limit: usize) -> Result<Vec<PendingAck>, StoreError> {
    let cutoff = format!("{:012}/~", now.timestamp().max(0));
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    while out.len() < limit {
        let page = records::page::<PendingAck>(view, PENDING, after.as_deref(), 200)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (key, p) in page {
            if key.as_str() > cutoff.as_str() || out.len() >= limit {
                return Ok(out);
            }
            out.push(p);
        }
    }
    Ok(out)
}

/// Acknowledges notification `id` of `recipient` and clears its pending acknowledgement; a
/// reminder also acknowledges (and clears) what it reminds of.
pub(crate) fn acknowledge(
    tx: &mut dyn Tx,
    recipient: &PartyId,
    id: u64,
    now: DateTime<Utc>,
) -> Result<Option<Notification>, StoreError> {
    let Some(n) = tx.acknowledge(recipient, id, now)? else {
        return Ok(None);
    };
    clear(tx, id)?;
    if let Event::AcknowledgementOverdue { notification, .. } = &n.event {
        tx.acknowledge(recipient, *notification, now)?;
        clear(tx, *notification)?;
    }
    Ok(Some(n))
}

impl<S: Store> Service<S> {
    /// Escalates every acknowledgement overdue at `now` (at most `limit` in one transaction):
    /// the recipient gets a reminder naming the notification, and its deadline moves one period
    /// on. Returns how many were escalated. Run periodically by the server (any node: the
    /// transaction makes each escalation happen once).
    ///
    /// # Errors
    /// The store's.
    pub fn escalate_overdue(&self, limit: usize) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let period = self.config.ack_deadline;
        Ok(
            self.transact_unchecked(crate::audit::SYSTEM_ACTOR, &mut |tx| {
                let due = due(&*tx, now, limit)?;
                for p in &due {
                    clear(tx, p.notification)?;
                    let escalation = p.escalations + 1;
                    tx.notify(
                        NewNotification {
                            recipient: p.recipient.clone(),
                            event: Event::AcknowledgementOverdue {
                                notification: p.notification,
                                deadline: p.due_at,
                                escalation,
                            },
                            requires_ack: false,
                            callback_url: None,
                        },
                        now,
                    )?;
                    put_pending(
                        tx,
                        &PendingAck {
                            notification: p.notification,
                            recipient: p.recipient.clone(),
                            due_at: p.due_at,
                            deadline: now + period,
                            escalations: escalation,
                        },
                    )?;
                }
                Ok::<_, StoreError>(due.len())
            })?,
        )
    }

    /// The caller's acknowledgements overdue now, by first deadline.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn overdue(&self, caller: &Caller) -> Result<Vec<PendingAck>, ServiceError> {
        let mut all = self.all_overdue(caller)?;
        all.retain(|p| p.recipient == caller.party);
        Ok(all)
    }

    /// Every acknowledgement overdue now (any recipient), by first deadline: what a notifier
    /// checks before relying on a notification. Reads every pending acknowledgement.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn all_overdue(&self, caller: &Caller) -> Result<Vec<PendingAck>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let now = self.clock.now();
        let mut all: Vec<PendingAck> = self.store.read(&mut |v| records::all(v, PENDING))?;
        all.retain(|p| p.is_overdue(now));
        all.sort_by_key(|p| (p.due_at, p.notification));
        Ok(all)
    }
}
