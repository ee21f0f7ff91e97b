//! The on-disk format of the embedded store: the redb tables, and the JSON record of each kind of
//! value, kept apart from the domain types so that a change to those is a visible change here.
//!
//! | table           | key                          | value                 |
//! |-----------------|------------------------------|-----------------------|
//! | `entities`      | entity id (hyphenated UUID)  | [`EntityRecord`]      |
//! | `subscriptions` | subscription id              | [`SubscriptionRecord`]|
//! | `parties`       | party id                     | [`PartyRecord`]       |
//! | `notifications` | notification id              | [`NotificationRecord`]|
//! | `outbox`        | notification id              | [`OutboxEntry`]       |
//! | `documents`     | `(kind, id)`                 | the body, as given    |
//! | `meta`          | `schema_version`, `next_notification_id` | a number  |
//!
//! Documents ([`crate::Tx::put_document`]) are stored as the service gave them, with no record
//! around them; their kind and id are checked again when read. The `documents` table came after
//! format 1 without changing it: [`prepare`] creates the table when a data directory lacks it, so
//! a directory written before documents existed opens as it is (and an older deconflict, which
//! does not know the table, leaves it alone).
//!
//! Volumes are stored as [`VolumeSpec`]s and validated again when read, under
//! [`VolumeLimits::stored`] (so that lowering a limit never makes stored data unreadable). A record
//! that does not parse or validate is [`StoreError::Corrupt`], naming `table/key`.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    DssAttributes, Entity, EntityId, EntityKind, Event, Notification, Ovn, Party, PartyId,
    Subscription, SubscriptionId, Volume4d, VolumeLimits, VolumeSpec,
};
use redb::{ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Entities by id.
pub(crate) const ENTITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("entities");
/// Subscriptions by id.
pub(crate) const SUBSCRIPTIONS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("subscriptions");
/// Parties by id.
pub(crate) const PARTIES: TableDefinition<&str, &[u8]> = TableDefinition::new("parties");
/// Notifications by id.
pub(crate) const NOTIFICATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("notifications");
/// Webhook deliveries waiting, by notification id.
pub(crate) const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Documents by `(kind, id)`: their bodies, as given.
pub(crate) const DOCUMENTS: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("documents");
/// Counters and the format version.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Key in [`META`] of the format version.
pub(crate) const SCHEMA_VERSION_KEY: &str = "schema_version";
/// Key in [`META`] of the next notification id to assign.
pub(crate) const NEXT_NOTIFICATION_KEY: &str = "next_notification_id";
/// The format this code writes and reads.
pub(crate) const SCHEMA_VERSION: u64 = 1;

/// A stored entity.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EntityRecord {
    id: EntityId,
    owner: PartyId,
    kind: EntityKind,
    volumes: Vec<VolumeSpec>,
    ovn: Ovn,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dss: Option<DssAttributes>,
}

/// A stored subscription.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SubscriptionRecord {
    id: SubscriptionId,
    owner: PartyId,
    volumes: Vec<VolumeSpec>,
    callback_url: Option<String>,
    notify_operations: bool,
    notify_zones: bool,
    notification_index: u64,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uss_base_url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    implicit: bool,
}

/// A stored party.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PartyRecord {
    id: PartyId,
    name: String,
    full_disclosure_to: BTreeSet<PartyId>,
}

/// A stored notification.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct NotificationRecord {
    id: u64,
    recipient: PartyId,
    created_at: DateTime<Utc>,
    event: Event,
    requires_ack: bool,
    acked_at: Option<DateTime<Utc>>,
}

/// A webhook delivery waiting: stored as is, and held so in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OutboxEntry {
    /// Where to POST.
    pub url: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Not before this time.
    pub next_attempt_at: DateTime<Utc>,
}

fn specs(volumes: &[Volume4d]) -> Vec<VolumeSpec> {
    volumes.iter().map(VolumeSpec::from).collect()
}

fn corrupt(key: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key: key.to_owned(),
        detail: detail.to_string(),
    }
}

fn encode<R: Serialize>(key: &str, record: &R) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| corrupt(key, format!("cannot be encoded: {e}")))
}

fn decode<R: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))
}

fn volumes(key: &str, specs: &[VolumeSpec]) -> Result<Arc<[Volume4d]>, StoreError> {
    VolumeSpec::to_volumes(specs, &VolumeLimits::stored())
        .map(Arc::from)
        .map_err(|e| corrupt(key, e))
}

fn check_key(key: &str, stored: &str, id: &str) -> Result<(), StoreError> {
    if stored == id {
        Ok(())
    } else {
        Err(corrupt(key, format!("holds the record of {id}")))
    }
}

/// The name of a record in errors: `table/key`.
pub(crate) fn name(table: &str, key: impl std::fmt::Display) -> String {
    format!("{table}/{key}")
}

/// Encodes an entity.
pub(crate) fn encode_entity(e: &Entity) -> Result<Vec<u8>, StoreError> {
    let record = EntityRecord {
        id: e.id,
        owner: e.owner.clone(),
        kind: e.kind,
        volumes: specs(&e.volumes),
        ovn: e.ovn.clone(),
        version: e.version,
        dss: e.dss.clone(),
    };
    encode(&name("entities", e.id), &record)
}

/// Decodes the entity stored under `key`.
pub(crate) fn decode_entity(key: &str, bytes: &[u8]) -> Result<Entity, StoreError> {
    let full = name("entities", key);
    let r: EntityRecord = decode(&full, bytes)?;
    check_key(&full, key, &r.id.to_string())?;
    Ok(Entity {
        id: r.id,
        owner: r.owner,
        kind: r.kind,
        volumes: volumes(&full, &r.volumes)?,
        ovn: r.ovn,
        version: r.version,
        dss: r.dss,
    })
}

/// Encodes a subscription.
pub(crate) fn encode_subscription(s: &Subscription) -> Result<Vec<u8>, StoreError> {
    let record = SubscriptionRecord {
        id: s.id,
        owner: s.owner.clone(),
        volumes: specs(&s.volumes),
        callback_url: s.callback_url.clone(),
        notify_operations: s.notify_operations,
        notify_zones: s.notify_zones,
        notification_index: s.notification_index,
        version: s.version,
        uss_base_url: s.uss_base_url.clone(),
        implicit: s.implicit,
    };
    encode(&name("subscriptions", s.id), &record)
}

/// Decodes the subscription stored under `key`.
pub(crate) fn decode_subscription(key: &str, bytes: &[u8]) -> Result<Subscription, StoreError> {
    let full = name("subscriptions", key);
    let r: SubscriptionRecord = decode(&full, bytes)?;
    check_key(&full, key, &r.id.to_string())?;
    Ok(Subscription {
        id: r.id,
        owner: r.owner,
        volumes: volumes(&full, &r.volumes)?,
        callback_url: r.callback_url,
        notify_operations: r.notify_operations,
        notify_zones: r.notify_zones,
        notification_index: r.notification_index,
        version: r.version,
        uss_base_url: r.uss_base_url,
        implicit: r.implicit,
    })
}

/// Encodes a party.
pub(crate) fn encode_party(p: &Party) -> Result<Vec<u8>, StoreError> {
    let record = PartyRecord {
        id: p.id.clone(),
        name: p.name.clone(),
        full_disclosure_to: p.full_disclosure_to.clone(),
    };
    encode(&name("parties", &p.id), &record)
}

/// Decodes the party stored under `key`.
pub(crate) fn decode_party(key: &str, bytes: &[u8]) -> Result<Party, StoreError> {
    let full = name("parties", key);
    let r: PartyRecord = decode(&full, bytes)?;
    check_key(&full, key, r.id.as_str())?;
    Ok(Party {
        id: r.id,
        name: r.name,
        full_disclosure_to: r.full_disclosure_to,
    })
}

/// Encodes a notification.
pub(crate) fn encode_notification(n: &Notification) -> Result<Vec<u8>, StoreError> {
    let record = NotificationRecord {
        id: n.id,
        recipient: n.recipient.clone(),
        created_at: n.created_at,
        event: n.event.clone(),
        requires_ack: n.requires_ack,
        acked_at: n.acked_at,
    };
    encode(&name("notifications", n.id), &record)
}

/// Decodes the notification stored under `key`.
pub(crate) fn decode_notification(key: u64, bytes: &[u8]) -> Result<Notification, StoreError> {
    let full = name("notifications", key);
    let r: NotificationRecord = decode(&full, bytes)?;
    check_key(&full, &key.to_string(), &r.id.to_string())?;
    Ok(Notification {
        id: r.id,
        recipient: r.recipient,
        created_at: r.created_at,
        event: r.event,
        requires_ack: r.requires_ack,
        acked_at: r.acked_at,
    })
}

/// Encodes the outbox entry of notification `id`.
pub(crate) fn encode_outbox(id: u64, entry: &OutboxEntry) -> Result<Vec<u8>, StoreError> {
    encode(&name("outbox", id), entry)
}

/// Decodes the outbox entry stored under `key`.
pub(crate) fn decode_outbox(key: u64, bytes: &[u8]) -> Result<OutboxEntry, StoreError> {
    decode(&name("outbox", key), bytes)
}

/// Creates the tables of a new database (and those missing from an existing one) and checks the
/// format of an existing one.
///
/// # Errors
/// [`StoreError::Unavailable`] if the database cannot be written or holds another format.
pub(crate) fn prepare(db: &redb::Database) -> Result<(), StoreError> {
    let fail = |e: &dyn std::fmt::Display| StoreError::Unavailable {
        doing: "preparing the database".to_owned(),
        detail: e.to_string(),
    };
    let txn = db.begin_write().map_err(|e| fail(&e))?;
    {
        txn.open_table(ENTITIES).map_err(|e| fail(&e))?;
        txn.open_table(SUBSCRIPTIONS).map_err(|e| fail(&e))?;
        txn.open_table(PARTIES).map_err(|e| fail(&e))?;
        txn.open_table(NOTIFICATIONS).map_err(|e| fail(&e))?;
        txn.open_table(OUTBOX).map_err(|e| fail(&e))?;
        // Created here also in a directory of format 1 written before documents existed.
        txn.open_table(DOCUMENTS).map_err(|e| fail(&e))?;
        let mut meta = txn.open_table(META).map_err(|e| fail(&e))?;
        let version = meta
            .get(SCHEMA_VERSION_KEY)
            .map_err(|e| fail(&e))?
            .map(|g| g.value());
        match version {
            None => {
                meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)
                    .map_err(|e| fail(&e))?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(other) => {
                return Err(fail(&format!(
                    "the database is in format {other}; this version reads format {SCHEMA_VERSION}"
                )));
            }
        }
    }
    txn.commit().map_err(|e| fail(&e))
}
