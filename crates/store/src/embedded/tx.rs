//! The [`Tx`] a transaction's closure gets: reads through [`Layered`] (its own writes over
//! pending over the committed state), writes into its own [`Writes`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    Entity, EntityId, NewNotification, Notification, Party, PartyId, Subscription, SubscriptionId,
    Volume4d,
};

use super::overlay::Writes;
use super::records::OutboxEntry;
use super::state::State;
use super::view::Layered;
use crate::{Attempt, Delivery, StoreError, Tx, View};

/// The [`Tx`] of one transaction: reads see the committed state, pending and its own writes.
pub(crate) struct TxContext<'a> {
    state: &'a State,
    pending: &'a Writes,
    own: Writes,
}

impl<'a> TxContext<'a> {
    /// A transaction on `state` with `pending` on top.
    pub fn new(state: &'a State, pending: &'a Writes) -> Self {
        Self {
            state,
            pending,
            own: Writes::default(),
        }
    }

    /// What the transaction wrote.
    pub fn into_writes(self) -> Writes {
        self.own
    }

    fn view(&self) -> Layered<'_> {
        Layered::new(self.state, [Some(&self.own), Some(self.pending)])
    }
}

impl View for TxContext<'_> {
    fn entity(&self, id: &EntityId) -> Result<Option<Entity>, StoreError> {
        self.view().entity(id)
    }

    fn entities_intersecting(&self, volumes: &[Volume4d]) -> Result<Vec<Entity>, StoreError> {
        self.view().entities_intersecting(volumes)
    }

    fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        self.view().entities()
    }

    fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.view().subscription(id)
    }

    fn subscriptions_intersecting(
        &self,
        volumes: &[Volume4d],
    ) -> Result<Vec<Subscription>, StoreError> {
        self.view().subscriptions_intersecting(volumes)
    }

    fn subscriptions_of(&self, owner: &PartyId) -> Result<Vec<Subscription>, StoreError> {
        self.view().subscriptions_of(owner)
    }

    fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        self.view().party(id)
    }

    fn parties(&self) -> Result<Vec<Party>, StoreError> {
        self.view().parties()
    }

    fn inbox(
        &self,
        recipient: &PartyId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        self.view().inbox(recipient, after, limit)
    }

    fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.view().due_deliveries(now, limit)
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.view().document(kind, id)
    }

    fn documents(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.view().documents(kind, after, limit)
    }
}

impl Tx for TxContext<'_> {
    fn put_entity(&mut self, entity: Entity) -> Result<(), StoreError> {
        self.own.entities.set(0, entity.id, Some(entity));
        Ok(())
    }

    fn delete_entity(&mut self, id: &EntityId) -> Result<bool, StoreError> {
        let existed = self.entity(id)?.is_some();
        if existed {
            self.own.entities.set(0, *id, None);
        }
        Ok(existed)
    }

    fn put_subscription(&mut self, subscription: Subscription) -> Result<(), StoreError> {
        self.own
            .subscriptions
            .set(0, subscription.id, Some(subscription));
        Ok(())
    }

    fn delete_subscription(&mut self, id: &SubscriptionId) -> Result<bool, StoreError> {
        let existed = self.subscription(id)?.is_some();
        if existed {
            self.own.subscriptions.set(0, *id, None);
        }
        Ok(existed)
    }

    fn put_party(&mut self, party: Party) -> Result<(), StoreError> {
        self.own.parties.set(0, party.id.clone(), Some(party));
        Ok(())
    }

    fn notify(
        &mut self,
        notification: NewNotification,
        now: DateTime<Utc>,
    ) -> Result<Notification, StoreError> {
        let id = self.view().next_notification();
        let next = id.checked_add(1).ok_or_else(|| StoreError::Unavailable {
            doing: "recording a notification".to_owned(),
            detail: "notification ids are exhausted".to_owned(),
        })?;
        let (recorded, callback_url) = crate::recorded(notification, id, now);
        self.own.next_notification = Some((0, next));
        self.own.notifications.set(0, id, Some(recorded.clone()));
        if let Some(url) = callback_url {
            let entry = OutboxEntry {
                url,
                attempts: 0,
                next_attempt_at: now,
            };
            self.own.outbox.set(0, id, Some(entry));
        }
        Ok(recorded)
    }

    fn acknowledge(
        &mut self,
        recipient: &PartyId,
        id: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError> {
        let Some(n) = self.view().notification(id) else {
            return Ok(None);
        };
        let Some((n, changed)) = crate::acknowledged(n, recipient, at) else {
            return Ok(None);
        };
        if changed {
            self.own.notifications.set(0, id, Some(n.clone()));
        }
        Ok(Some(n))
    }

    fn record_attempt(&mut self, id: u64, attempt: Attempt) -> Result<(), StoreError> {
        // An attempt on a delivery no longer waiting (delivered or given up meanwhile) is moot.
        let Some(mut entry) = self.view().outbox(id) else {
            return Ok(());
        };
        let next = match attempt {
            Attempt::Delivered | Attempt::GaveUp => None,
            Attempt::Retry { at } => {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.next_attempt_at = at;
                Some(entry)
            }
            Attempt::Claimed { until } => {
                entry.next_attempt_at = until;
                Some(entry)
            }
        };
        self.own.outbox.set(0, id, next);
        Ok(())
    }

    fn put_document(&mut self, kind: &str, id: &str, body: Vec<u8>) -> Result<(), StoreError> {
        crate::check_document(kind, Some(id))?;
        self.own
            .documents
            .set(0, (kind.to_owned(), id.to_owned()), Some(Arc::from(body)));
        Ok(())
    }

    fn delete_document(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let existed = self.document(kind, id)?.is_some();
        if existed {
            self.own
                .documents
                .set(0, (kind.to_owned(), id.to_owned()), None);
        }
        Ok(existed)
    }
}
