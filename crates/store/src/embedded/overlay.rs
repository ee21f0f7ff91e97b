//! Write sets: what a transaction has written and not yet committed, readable as an overlay on the
//! committed state.
//!
//! Two overlays sit on the committed state during a transaction: the transaction's own writes,
//! and *pending* — the writes of every transaction accepted before it whose batch has not yet been
//! made durable (see [`super::writer`]). Each slot holds the new value, or `None` for a deletion,
//! tagged with the sequence number of the transaction that wrote it, so that pending can drop what
//! a durable commit has moved into the committed state. The overlays of entities and subscriptions
//! keep their own spatial-temporal index, so that a query stays a tree search however many writes
//! a transaction makes (an import of thousands of entities in one transaction, say).

use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::Arc;

use deconflict_core::{
    Entity, EntityId, Notification, Party, PartyId, SpatialTemporalIndex, Subscription,
    SubscriptionId, Volume4d,
};

use super::records::{self, OutboxEntry};
use crate::StoreError;

/// The key of a document: `(kind, id)`, ordered by kind then id, bytewise.
pub(crate) type DocumentKey = (String, String);

/// A value with volumes, filed in a spatial-temporal index.
pub(crate) trait Located {
    /// Its volumes.
    fn volumes(&self) -> &[Volume4d];
}

impl Located for Entity {
    fn volumes(&self) -> &[Volume4d] {
        &self.volumes
    }
}

impl Located for Subscription {
    fn volumes(&self) -> &[Volume4d] {
        &self.volumes
    }
}

/// Written values by key: `Some` for a put, `None` for a deletion, each tagged with the sequence
/// number of the transaction that wrote it (0 while the transaction runs).
#[derive(Debug)]
pub(crate) struct Slots<K, V> {
    slots: BTreeMap<K, (u64, Option<V>)>,
}

impl<K, V> Default for Slots<K, V> {
    fn default() -> Self {
        Self {
            slots: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone, V> Slots<K, V> {
    /// `None` when this overlay did not write `key`; `Some(None)` when it deleted it.
    pub fn get(&self, key: &K) -> Option<Option<&V>> {
        self.slots.get(key).map(|(_, v)| v.as_ref())
    }

    /// Whether this overlay wrote `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.slots.contains_key(key)
    }

    /// Records a put (`Some`) or a deletion (`None`).
    pub fn set(&mut self, seq: u64, key: K, value: Option<V>) {
        self.slots.insert(key, (seq, value));
    }

    /// Every write, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&K, Option<&V>)> {
        self.slots.iter().map(|(k, (_, v))| (k, v.as_ref()))
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Drops the writes of transactions up to `seq`, returning their keys.
    fn prune(&mut self, seq: u64) -> Vec<K> {
        let gone: Vec<K> = self
            .slots
            .iter()
            .filter(|(_, (s, _))| *s <= seq)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.slots.remove(k);
        }
        gone
    }
}

/// [`Slots`] of located values, with an index of the live ones.
#[derive(Debug)]
pub(crate) struct Spatial<K, V> {
    slots: Slots<K, V>,
    index: SpatialTemporalIndex<K>,
}

impl<K, V> Default for Spatial<K, V> {
    fn default() -> Self {
        Self {
            slots: Slots::default(),
            index: SpatialTemporalIndex::default(),
        }
    }
}

impl<K: Ord + Clone + Hash, V: Located> Spatial<K, V> {
    /// The slots.
    pub fn slots(&self) -> &Slots<K, V> {
        &self.slots
    }

    /// Records a put (`Some`) or a deletion (`None`).
    pub fn set(&mut self, seq: u64, key: K, value: Option<V>) {
        self.index.remove(&key);
        if let Some(v) = &value {
            self.index.insert(key.clone(), v.volumes());
        }
        self.slots.set(seq, key, value);
    }

    /// The keys put here with a volume intersecting any of `volumes`.
    pub fn hits(&self, volumes: &[Volume4d]) -> Vec<K> {
        self.index.query(volumes)
    }

    fn prune(&mut self, seq: u64) {
        for k in self.slots.prune(seq) {
            self.index.remove(&k);
        }
    }

    fn absorb(&mut self, other: Self, seq: u64) {
        for (k, (_, v)) in other.slots.slots {
            self.set(seq, k, v);
        }
    }
}

/// Everything one transaction (or the pending batch) wrote.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    /// Entities.
    pub entities: Spatial<EntityId, Entity>,
    /// Subscriptions.
    pub subscriptions: Spatial<SubscriptionId, Subscription>,
    /// Parties (never deleted).
    pub parties: Slots<PartyId, Party>,
    /// Notifications, new or acknowledged (never deleted).
    pub notifications: Slots<u64, Notification>,
    /// Outbox entries, new, retried or removed.
    pub outbox: Slots<u64, OutboxEntry>,
    /// The next notification id, once a notification was recorded.
    pub next_notification: Option<(u64, u64)>,
    /// Documents, put or deleted.
    pub documents: Slots<DocumentKey, Arc<[u8]>>,
}

impl Writes {
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.entities.slots.is_empty()
            && self.subscriptions.slots.is_empty()
            && self.parties.is_empty()
            && self.notifications.is_empty()
            && self.outbox.is_empty()
            && self.next_notification.is_none()
            && self.documents.is_empty()
    }

    /// Takes over the writes of the transaction `seq`, which win over those already here.
    pub fn absorb(&mut self, other: Self, seq: u64) {
        self.entities.absorb(other.entities, seq);
        self.subscriptions.absorb(other.subscriptions, seq);
        for (k, (_, v)) in other.parties.slots {
            self.parties.set(seq, k, v);
        }
        for (k, (_, v)) in other.notifications.slots {
            self.notifications.set(seq, k, v);
        }
        for (k, (_, v)) in other.outbox.slots {
            self.outbox.set(seq, k, v);
        }
        if let Some((_, next)) = other.next_notification {
            self.next_notification = Some((seq, next));
        }
        for (k, (_, v)) in other.documents.slots {
            self.documents.set(seq, k, v);
        }
    }

    /// Drops the writes of transactions up to `seq`, now in the committed state.
    pub fn prune(&mut self, seq: u64) {
        self.entities.prune(seq);
        self.subscriptions.prune(seq);
        self.parties.prune(seq);
        self.notifications.prune(seq);
        self.outbox.prune(seq);
        if self.next_notification.is_some_and(|(s, _)| s <= seq) {
            self.next_notification = None;
        }
        self.documents.prune(seq);
    }
}

/// One write of a committed transaction: the key, and the new value with its encoding, or `None`
/// for a deletion.
pub(crate) type Change<K, V> = (K, Option<(V, Vec<u8>)>);

/// The writes of one accepted transaction, encoded, on their way to the writer thread.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Entities.
    pub entities: Vec<Change<EntityId, Entity>>,
    /// Subscriptions.
    pub subscriptions: Vec<Change<SubscriptionId, Subscription>>,
    /// Parties.
    pub parties: Vec<Change<PartyId, Party>>,
    /// Notifications.
    pub notifications: Vec<Change<u64, Notification>>,
    /// Outbox entries.
    pub outbox: Vec<Change<u64, OutboxEntry>>,
    /// The next notification id.
    pub next_notification: Option<u64>,
    /// Documents: the new body, or `None` for a deletion. Bodies are stored as given, so they
    /// need no encoding (and are shared with the overlay, not copied).
    pub documents: Vec<(DocumentKey, Option<Arc<[u8]>>)>,
}

fn encode_all<K: Clone, V: Clone>(
    slots: &Slots<K, V>,
    encode: impl Fn(&K, &V) -> Result<Vec<u8>, StoreError>,
) -> Result<Vec<Change<K, V>>, StoreError> {
    slots
        .slots
        .iter()
        .map(|(k, (_, v))| {
            let value = match v {
                Some(v) => Some((v.clone(), encode(k, v)?)),
                None => None,
            };
            Ok((k.clone(), value))
        })
        .collect()
}

impl Changes {
    /// Encodes a transaction's writes (on the caller's thread, so that an encoding error is that
    /// caller's alone and the work is spread over the callers).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if a value cannot be encoded.
    pub fn encode(w: &Writes) -> Result<Self, StoreError> {
        Ok(Self {
            entities: encode_all(&w.entities.slots, |_, e| records::encode_entity(e))?,
            subscriptions: encode_all(&w.subscriptions.slots, |_, s| {
                records::encode_subscription(s)
            })?,
            parties: encode_all(&w.parties, |_, p| records::encode_party(p))?,
            notifications: encode_all(&w.notifications, |_, n| records::encode_notification(n))?,
            outbox: encode_all(&w.outbox, |id, o| records::encode_outbox(*id, o))?,
            next_notification: w.next_notification.map(|(_, next)| next),
            documents: w
                .documents
                .iter()
                .map(|(k, v)| (k.clone(), v.cloned()))
                .collect(),
        })
    }
}
