//! The committed state, held in memory: every record of the database, with the indexes that
//! queries need. Loaded whole at open; afterwards changed only by the writer thread, after each
//! durable commit, so that it never shows a write that a crash could lose.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    Entity, EntityId, Notification, Party, PartyId, SpatialTemporalIndex, Subscription,
    SubscriptionId,
};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};

use super::overlay::{Changes, DocumentKey, Located};
use super::records::{self, OutboxEntry};
use crate::StoreError;

/// Values by key, with an index of their volumes.
#[derive(Debug)]
pub(crate) struct Indexed<K, V> {
    /// The values.
    pub map: BTreeMap<K, V>,
    /// Their volumes.
    pub index: SpatialTemporalIndex<K>,
}

impl<K: Ord + Clone + Hash, V: Located> Indexed<K, V> {
    fn load(map: BTreeMap<K, V>) -> Self {
        let index =
            SpatialTemporalIndex::bulk_load(map.iter().map(|(k, v)| (k.clone(), v.volumes())));
        Self { map, index }
    }

    fn set(&mut self, key: K, value: Option<V>) -> Option<V> {
        self.index.remove(&key);
        match value {
            Some(v) => {
                self.index.insert(key.clone(), v.volumes());
                self.map.insert(key, v)
            }
            None => self.map.remove(&key),
        }
    }
}

/// Everything committed.
#[derive(Debug)]
pub(crate) struct State {
    /// Live entities.
    pub entities: Indexed<EntityId, Entity>,
    /// Subscriptions.
    pub subscriptions: Indexed<SubscriptionId, Subscription>,
    /// Subscription ids by owner.
    pub subscriptions_by_owner: BTreeSet<(PartyId, SubscriptionId)>,
    /// Parties.
    pub parties: BTreeMap<PartyId, Party>,
    /// Every notification.
    pub notifications: BTreeMap<u64, Notification>,
    /// Notification ids by recipient.
    pub inboxes: BTreeSet<(PartyId, u64)>,
    /// Deliveries waiting, by notification id.
    pub outbox: BTreeMap<u64, OutboxEntry>,
    /// The outbox in the order it falls due.
    pub due: BTreeSet<(DateTime<Utc>, u64)>,
    /// The next notification id to assign.
    pub next_notification: u64,
    /// Documents by `(kind, id)`, in id order within a kind.
    pub documents: BTreeMap<DocumentKey, Arc<[u8]>>,
}

fn unavailable(doing: &str, e: impl ToString) -> StoreError {
    StoreError::Unavailable {
        doing: doing.to_owned(),
        detail: e.to_string(),
    }
}

fn read_table<K, V, T>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, &[u8]>,
    mut decode: impl FnMut(K::SelfType<'_>, &[u8]) -> Result<(T, V), StoreError>,
) -> Result<BTreeMap<T, V>, StoreError>
where
    K: redb::Key + 'static,
    T: Ord,
{
    let doing = format!("loading the table {}", table.name());
    let table = txn.open_table(table).map_err(|e| unavailable(&doing, e))?;
    let mut out = BTreeMap::new();
    for row in table.iter().map_err(|e| unavailable(&doing, e))? {
        let (k, v) = row.map_err(|e| unavailable(&doing, e))?;
        let (key, value) = decode(k.value(), v.value())?;
        out.insert(key, value);
    }
    Ok(out)
}

impl State {
    /// Reads every record of `db` (whose tables exist).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a record that does not parse, or [`StoreError::Unavailable`].
    pub fn load(db: &Database) -> Result<Self, StoreError> {
        let txn = db
            .begin_read()
            .map_err(|e| unavailable("loading the store", e))?;
        let entities = read_table(&txn, records::ENTITIES, |k, v| {
            records::decode_entity(k, v).map(|e| (e.id, e))
        })?;
        let subscriptions = read_table(&txn, records::SUBSCRIPTIONS, |k, v| {
            records::decode_subscription(k, v).map(|s| (s.id, s))
        })?;
        let parties = read_table(&txn, records::PARTIES, |k, v| {
            records::decode_party(k, v).map(|p| (p.id.clone(), p))
        })?;
        let notifications = read_table(&txn, records::NOTIFICATIONS, |k, v| {
            records::decode_notification(k, v).map(|n| (n.id, n))
        })?;
        let outbox = read_table(&txn, records::OUTBOX, |k, v| {
            records::decode_outbox(k, v).map(|o| (k, o))
        })?;
        let documents = read_table(&txn, records::DOCUMENTS, |(kind, id), body| {
            crate::check_document(kind, Some(id))?;
            Ok(((kind.to_owned(), id.to_owned()), Arc::from(body)))
        })?;
        let meta = txn
            .open_table(records::META)
            .map_err(|e| unavailable("loading the table meta", e))?;
        let stored_next = meta
            .get(records::NEXT_NOTIFICATION_KEY)
            .map_err(|e| unavailable("loading the table meta", e))?
            .map_or(1, |g| g.value());
        // Ids are never reused: past both the counter and the highest id held.
        let held_next = notifications.keys().next_back().map_or(1, |id| id + 1);
        for id in outbox.keys() {
            if !notifications.contains_key(id) {
                return Err(StoreError::Corrupt {
                    key: records::name("outbox", id),
                    detail: "its notification does not exist".to_owned(),
                });
            }
        }
        Ok(Self {
            subscriptions_by_owner: subscriptions
                .values()
                .map(|s| (s.owner.clone(), s.id))
                .collect(),
            inboxes: notifications
                .values()
                .map(|n| (n.recipient.clone(), n.id))
                .collect(),
            due: outbox
                .iter()
                .map(|(id, o)| (o.next_attempt_at, *id))
                .collect(),
            entities: Indexed::load(entities),
            subscriptions: Indexed::load(subscriptions),
            parties,
            notifications,
            outbox,
            next_notification: stored_next.max(held_next),
            documents,
        })
    }

    /// Applies the writes of one committed transaction.
    pub fn apply(&mut self, changes: Changes) {
        for (id, value) in changes.entities {
            self.entities.set(id, value.map(|(e, _)| e));
        }
        for (id, value) in changes.subscriptions {
            if let Some(old) = self.subscriptions.set(id, value.map(|(s, _)| s)) {
                self.subscriptions_by_owner.remove(&(old.owner, id));
            }
            if let Some(new) = self.subscriptions.map.get(&id) {
                self.subscriptions_by_owner.insert((new.owner.clone(), id));
            }
        }
        for (id, value) in changes.parties {
            match value {
                Some((p, _)) => self.parties.insert(id, p),
                None => self.parties.remove(&id),
            };
        }
        for (id, value) in changes.notifications {
            if let Some((n, _)) = value {
                self.inboxes.insert((n.recipient.clone(), id));
                self.notifications.insert(id, n);
            }
        }
        for (id, value) in changes.outbox {
            let new = value.map(|(o, _)| o);
            if let Some(old) = self.outbox.get(&id) {
                self.due.remove(&(old.next_attempt_at, id));
            }
            match new {
                Some(o) => {
                    self.due.insert((o.next_attempt_at, id));
                    self.outbox.insert(id, o);
                }
                None => {
                    self.outbox.remove(&id);
                }
            }
        }
        if let Some(next) = changes.next_notification {
            self.next_notification = self.next_notification.max(next);
        }
        for (key, body) in changes.documents {
            match body {
                Some(b) => self.documents.insert(key, b),
                None => self.documents.remove(&key),
            };
        }
    }
}
