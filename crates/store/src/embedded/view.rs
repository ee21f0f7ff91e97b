//! Reads through the overlays: [`Layered`] answers every [`View`] query from the committed state
//! with up to two write sets on top (the transaction's own, then pending), the topmost write of a
//! key winning.

use std::collections::BTreeMap;
use std::hash::Hash;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    Entity, EntityId, Notification, Party, PartyId, Subscription, SubscriptionId, Volume4d,
};

use super::overlay::{DocumentKey, Located, Slots, Spatial, Writes};
use super::records::{self, OutboxEntry};
use super::state::{Indexed, State};
use crate::{Delivery, StoreError, View};

/// The committed state seen through up to two overlays, topmost first.
pub(crate) struct Layered<'a> {
    state: &'a State,
    overlays: [Option<&'a Writes>; 2],
}

impl<'a> Layered<'a> {
    /// The committed state alone.
    pub fn committed(state: &'a State) -> Self {
        Self::new(state, [None, None])
    }

    /// The committed state with `overlays` on top, topmost first.
    pub fn new(state: &'a State, overlays: [Option<&'a Writes>; 2]) -> Self {
        Self { state, overlays }
    }

    fn layers(&self) -> impl DoubleEndedIterator<Item = &'a Writes> + '_ {
        self.overlays.iter().filter_map(|w| *w)
    }

    /// The topmost write of `key` in the overlays: `None` if none wrote it.
    fn lookup<K: Ord + Clone + 'a, V: Clone + 'a>(
        &self,
        pick: impl Fn(&'a Writes) -> &'a Slots<K, V>,
        key: &K,
    ) -> Option<Option<V>> {
        self.layers()
            .find_map(|w| pick(w).get(key))
            .map(|v| v.cloned())
    }

    /// The live values of the overlays' indexes and the base's that intersect `volumes`, each
    /// taken from the layer that wrote its key last.
    fn intersecting<K: Ord + Clone + Hash + 'a, V: Located + Clone + 'a>(
        &self,
        pick: impl Fn(&'a Writes) -> &'a Spatial<K, V>,
        base: &Indexed<K, V>,
        volumes: &[Volume4d],
    ) -> Vec<V> {
        let layers: Vec<&Spatial<K, V>> = self.layers().map(pick).collect();
        let mut out = BTreeMap::new();
        for (i, layer) in layers.iter().enumerate() {
            for k in layer.hits(volumes) {
                if !layers[..i].iter().any(|l| l.slots().contains(&k))
                    && let Some(Some(v)) = layer.slots().get(&k)
                {
                    out.insert(k, v.clone());
                }
            }
        }
        for k in base.index.query(volumes) {
            if !layers.iter().any(|l| l.slots().contains(&k))
                && let Some(v) = base.map.get(&k)
            {
                out.insert(k, v.clone());
            }
        }
        out.into_values().collect()
    }

    /// `base` with every overlay's writes applied, keeping the values `keep` accepts.
    fn merged<K: Ord + Clone + 'a, V: Clone + 'a>(
        &self,
        base: impl Iterator<Item = (K, V)>,
        pick: impl Fn(&'a Writes) -> &'a Slots<K, V>,
        keep: impl Fn(&K, &V) -> bool,
    ) -> BTreeMap<K, V> {
        let mut out: BTreeMap<K, V> = base.collect();
        for w in self.layers().rev() {
            for (k, v) in pick(w).iter() {
                match v {
                    Some(v) if keep(k, v) => out.insert(k.clone(), v.clone()),
                    _ => out.remove(k),
                };
            }
        }
        out
    }

    /// A notification.
    pub fn notification(&self, id: u64) -> Option<Notification> {
        self.lookup(|w| &w.notifications, &id)
            .unwrap_or_else(|| self.state.notifications.get(&id).cloned())
    }

    /// An outbox entry.
    pub fn outbox(&self, id: u64) -> Option<OutboxEntry> {
        self.lookup(|w| &w.outbox, &id)
            .unwrap_or_else(|| self.state.outbox.get(&id).cloned())
    }

    /// The next notification id to assign.
    pub fn next_notification(&self) -> u64 {
        self.layers()
            .find_map(|w| w.next_notification.map(|(_, next)| next))
            .unwrap_or(self.state.next_notification)
    }
}

impl View for Layered<'_> {
    fn entity(&self, id: &EntityId) -> Result<Option<Entity>, StoreError> {
        Ok(self
            .lookup(|w| w.entities.slots(), id)
            .unwrap_or_else(|| self.state.entities.map.get(id).cloned()))
    }

    fn entities_intersecting(&self, volumes: &[Volume4d]) -> Result<Vec<Entity>, StoreError> {
        Ok(self.intersecting(|w| &w.entities, &self.state.entities, volumes))
    }

    fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        let base = self.state.entities.map.iter().map(|(k, v)| (*k, v.clone()));
        let all = self.merged(base, |w| w.entities.slots(), |_, _| true);
        Ok(all.into_values().collect())
    }

    fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        Ok(self
            .lookup(|w| w.subscriptions.slots(), id)
            .unwrap_or_else(|| self.state.subscriptions.map.get(id).cloned()))
    }

    fn subscriptions_intersecting(
        &self,
        volumes: &[Volume4d],
    ) -> Result<Vec<Subscription>, StoreError> {
        Ok(self.intersecting(|w| &w.subscriptions, &self.state.subscriptions, volumes))
    }

    fn subscriptions_of(&self, owner: &PartyId) -> Result<Vec<Subscription>, StoreError> {
        let from = (owner.clone(), SubscriptionId(uuid::Uuid::nil()));
        let base = self
            .state
            .subscriptions_by_owner
            .range(from..)
            .take_while(|(o, _)| o == owner)
            .filter_map(|(_, id)| self.state.subscriptions.map.get(id))
            .map(|s| (s.id, s.clone()));
        let all = self.merged(base, |w| w.subscriptions.slots(), |_, s| s.owner == *owner);
        Ok(all.into_values().collect())
    }

    fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        Ok(self
            .lookup(|w| &w.parties, id)
            .unwrap_or_else(|| self.state.parties.get(id).cloned()))
    }

    fn parties(&self) -> Result<Vec<Party>, StoreError> {
        let base = self
            .state
            .parties
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()));
        Ok(self
            .merged(base, |w| &w.parties, |_, _| true)
            .into_values()
            .collect())
    }

    fn inbox(
        &self,
        recipient: &PartyId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let Some(first) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        // The first `limit` committed ones, then the overlays' (new or acknowledged) on top.
        let base = self
            .state
            .inboxes
            .range((recipient.clone(), first)..=(recipient.clone(), u64::MAX))
            .take(limit)
            .filter_map(|(_, id)| self.state.notifications.get(id))
            .map(|n| (n.id, n.clone()));
        let all = self.merged(
            base,
            |w| &w.notifications,
            |id, n| *id > after && n.recipient == *recipient,
        );
        Ok(all.into_values().take(limit).collect())
    }

    fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let layers: Vec<&Slots<u64, OutboxEntry>> = self.layers().map(|w| &w.outbox).collect();
        let base = self
            .state
            .due
            .range(..=(now, u64::MAX))
            .filter(|(_, id)| !layers.iter().any(|l| l.contains(id)))
            .take(limit)
            .filter_map(|(_, id)| self.state.outbox.get(id).map(|o| (*id, o.clone())));
        let due = self.merged(base, |w| &w.outbox, |_, o| o.next_attempt_at <= now);
        let mut due: Vec<(u64, OutboxEntry)> = due.into_iter().collect();
        due.sort_by_key(|(id, o)| (o.next_attempt_at, *id));
        due.truncate(limit);
        due.into_iter()
            .map(|(id, o)| {
                let notification = self.notification(id).ok_or_else(|| StoreError::Corrupt {
                    key: records::name("outbox", id),
                    detail: "its notification does not exist".to_owned(),
                })?;
                Ok(Delivery {
                    notification,
                    url: o.url,
                    attempts: o.attempts,
                    next_attempt_at: o.next_attempt_at,
                })
            })
            .collect()
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        crate::check_document(kind, Some(id))?;
        let key = (kind.to_owned(), id.to_owned());
        let body = self
            .lookup(|w| &w.documents, &key)
            .unwrap_or_else(|| self.state.documents.get(&key).cloned());
        Ok(body.map(|b| b.to_vec()))
    }

    fn documents(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        crate::check_document(kind, after)?;
        let layers: Vec<&Slots<DocumentKey, Arc<[u8]>>> =
            self.layers().map(|w| &w.documents).collect();
        let from = match after {
            Some(after) => Bound::Excluded((kind.to_owned(), after.to_owned())),
            None => Bound::Included((kind.to_owned(), String::new())),
        };
        // The first `limit` committed ones that no overlay wrote, then the overlays' on top: the
        // first `limit` of the whole are among them.
        let base = self
            .state
            .documents
            .range((from, Bound::Unbounded))
            .take_while(|((k, _), _)| k == kind)
            .filter(|(key, _)| !layers.iter().any(|l| l.contains(key)))
            .take(limit)
            .map(|(key, body)| (key.clone(), Arc::clone(body)));
        let all = self.merged(
            base,
            |w| &w.documents,
            |(k, id), _| k == kind && after.is_none_or(|after| id.as_str() > after),
        );
        Ok(all
            .into_iter()
            .take(limit)
            .map(|((_, id), body)| (id, body.to_vec()))
            .collect())
    }
}
