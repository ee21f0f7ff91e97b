//! The notifications a change causes, decided inside the transaction that makes the change so
//! that a committed change always has its notifications (the outbox pattern).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use deconflict_core::{
    Change, Entity, EntityId, EntityKind, Event, NewNotification, Ovn, PartyId, SubscriptionId,
    SubscriptionIndex, Volume4d,
};
use deconflict_store::{StoreError, Tx};

/// A subscription told of a change, with its notification index after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Its owner.
    pub party: PartyId,
    /// Its notification index after this change.
    pub notification_index: u64,
    /// F3548: the base URL its owner is notified at by the changing USS (none for native
    /// subscriptions, which deconflict notifies itself).
    pub uss_base_url: Option<String>,
}

/// What changed, for [`fan_out`].
pub(crate) struct ChangeOf<'a> {
    pub entity: EntityId,
    pub owner: &'a PartyId,
    pub kind: EntityKind,
    pub change: Change,
    pub ovn: Option<Ovn>,
    /// The volumes before and after the change (a subscription of either area hears of it).
    pub volumes: Vec<Volume4d>,
    /// Entities the new state intersects: their owners must acknowledge.
    pub conflicting: &'a [Entity],
    /// Whether the writer's own subscriptions count too (F3548: they are among the subscribers
    /// to notify, their indexes bumped; the writer's inbox is not filled with its own change).
    /// Only changes through the DSS API set it; every other change is of a natively filed
    /// entity, whose managing USS is deconflict itself: it posts the change to the F3548
    /// subscribers ([`Event::UssNotified`]).
    pub include_writer: bool,
}

/// Tells every subscription whose area the change touches (except the writer's own, unless
/// `include_writer`), bumping its notification index and recording a notification in its owner's
/// inbox (and outbox, with a callback URL) — not for the writer's own.
pub(crate) fn fan_out(
    tx: &mut dyn Tx,
    c: &ChangeOf<'_>,
    now: DateTime<Utc>,
    ack_within: chrono::Duration,
) -> Result<Vec<Notified>, StoreError> {
    let concerned: BTreeSet<&PartyId> = c
        .conflicting
        .iter()
        .filter(|e| e.id != c.entity)
        .map(|e| &e.owner)
        .collect();
    let mut notified = Vec::new();
    // F3548 subscribers of a native change, by recipient and base URL.
    let mut uss: BTreeMap<(PartyId, String), Vec<SubscriptionIndex>> = BTreeMap::new();
    for mut sub in tx.subscriptions_intersecting(&c.volumes)? {
        let own = &sub.owner == c.owner;
        if (own && !c.include_writer) || !sub.wants(&c.kind) {
            continue;
        }
        if !own && c.kind == EntityKind::Zone(deconflict_core::ZoneKind::Confidential) {
            // A `conflict-only` site: telling a subscription of another party would say where
            // it is (see `disclosure::DisclosurePolicy::may_locate`).
            continue;
        }
        sub.notification_index += 1;
        notified.push(Notified {
            subscription: sub.id,
            party: sub.owner.clone(),
            notification_index: sub.notification_index,
            uss_base_url: sub.uss_base_url.clone(),
        });
        if own {
            tx.put_subscription(sub)?;
            continue;
        }
        if let Some(base) = sub.uss_base_url.clone().filter(|_| !c.include_writer) {
            uss.entry((sub.owner.clone(), base))
                .or_default()
                .push(SubscriptionIndex {
                    subscription: sub.id,
                    notification_index: sub.notification_index,
                });
        }
        let note = NewNotification {
            recipient: sub.owner.clone(),
            event: Event::EntityChanged {
                entity: c.entity,
                owner: c.owner.clone(),
                change: c.change,
                ovn: c.ovn.clone(),
                subscription: sub.id,
            },
            requires_ack: c.change != Change::Deleted && concerned.contains(&sub.owner),
            callback_url: sub.callback_url.clone(),
        };
        tx.put_subscription(sub)?;
        crate::hotline::notify(tx, note, now, ack_within)?;
    }
    let constraint = matches!(c.kind, EntityKind::Zone(_));
    let path = if constraint {
        "constraints"
    } else {
        "operational_intents"
    };
    for ((recipient, base), subscriptions) in uss {
        tx.notify(
            NewNotification {
                recipient,
                event: Event::UssNotified {
                    entity: c.entity,
                    constraint,
                    subscriptions,
                },
                requires_ack: false,
                callback_url: Some(format!("{}/uss/v1/{path}", base.trim_end_matches('/'))),
            },
            now,
        )?;
    }
    Ok(notified)
}
