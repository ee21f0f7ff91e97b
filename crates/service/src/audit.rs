//! The audit log: every write transaction of the service runs through [`Service::transact`],
//! which hands the use case an [`AuditTx`] recording each change, and, when the use case
//! succeeds, appends one signed, hash-chained entry per change (see `deconflict_core::audit`)
//! inside the same transaction — so a change and its entries commit together or not at all, on
//! every store.
//!
//! Storage: entry `seq` is the document of kind [`ENTRY_KIND`] with id `format!("{seq:020}")`
//! (so that the bytewise id order is the seq order), its JSON the [`AuditEntry`]; the document
//! [`HEAD_KIND`]/[`HEAD_ID`] holds `{seq, hash, public_key}` of the last entry. Every write reads
//! and writes the head, so concurrent writers on a SQL store conflict on it and one of them
//! retries (`SERIALIZABLE`): the cost of a total order. See `docs/audit.md`.

use std::fmt;

use chrono::{DateTime, Utc};
use deconflict_core::audit::{self, AuditEntry, AuditRecord, GENESIS_HASH};
use deconflict_core::ed25519_dalek::{SigningKey, VerifyingKey};
use deconflict_core::{
    Entity, EntityId, NewNotification, Notification, Party, PartyId, Subscription, SubscriptionId,
    Volume4d, VolumeSpec,
};
use deconflict_store::{Attempt, Delivery, Store, StoreError, Tx, TxFn, View};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::Service;
use crate::caller::{Caller, SCOPE_READ};
use crate::error::ServiceError;

/// The document kind of entries.
pub const ENTRY_KIND: &str = "audit";
/// The document kind of the head.
pub const HEAD_KIND: &str = "audit.head";
/// The id of the head document.
pub const HEAD_ID: &str = "head";
/// The actor of changes no party asked for (webhook bookkeeping, say).
pub const SYSTEM_ACTOR: &str = "system";
/// Most entries in one page.
pub const MAX_PAGE: usize = 1000;

/// The document id of entry `seq`.
pub fn entry_id(seq: u64) -> String {
    format!("{seq:020}")
}

/// The server's audit signing key.
pub struct AuditSigner {
    key: SigningKey,
}

impl fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditSigner")
            .field(
                "public_key",
                &hex::encode(self.key.verifying_key().as_bytes()),
            )
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl AuditSigner {
    /// A signer with `key`.
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key as SPKI PEM.
    ///
    /// # Errors
    /// Encoding failed (not expected).
    pub fn public_key_pem(&self) -> Result<String, audit::KeyError> {
        audit::public_key_to_pem(&self.verifying_key())
    }
}

/// The head document: the last entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Its seq (0: no entry yet).
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// Hex of the public key that signed it.
    pub public_key: String,
}

/// A change made through an [`AuditTx`].
#[derive(Debug, Clone)]
enum Change {
    PutEntity(Entity),
    DeleteEntity(EntityId, Option<Entity>),
    PutSubscription(Subscription),
    DeleteSubscription(SubscriptionId),
    PutParty(Party),
    Notify(Notification),
    Acknowledge(Notification),
    PutDocument {
        kind: String,
        id: String,
        sha256: String,
        bytes: usize,
    },
    DeleteDocument {
        kind: String,
        id: String,
    },
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn specs(volumes: &[Volume4d]) -> Vec<VolumeSpec> {
    volumes.iter().map(VolumeSpec::from).collect()
}

/// The SHA-256 of an entity's record: the JSON of its fields, volumes as volume specs. Lets whoever
/// holds the entity (its owner) show that the log committed to exactly it, without the log
/// showing its geometry.
fn entity_sha256(e: &Entity) -> String {
    let record = json!({
        "id": e.id, "owner": e.owner, "kind": e.kind, "volumes": specs(&e.volumes),
        "ovn": e.ovn, "version": e.version, "dss": e.dss,
    });
    sha256_hex(&serde_json::to_vec(&record).unwrap_or_default())
}

fn subscription_sha256(s: &Subscription) -> String {
    let record = json!({
        "id": s.id, "owner": s.owner, "volumes": specs(&s.volumes),
        "callback_url": s.callback_url, "notify_operations": s.notify_operations,
        "notify_zones": s.notify_zones, "notification_index": s.notification_index,
        "version": s.version, "uss_base_url": s.uss_base_url, "implicit": s.implicit,
    });
    sha256_hex(&serde_json::to_vec(&record).unwrap_or_default())
}

impl Change {
    /// What the entry says: action, subject and a detail without geometry.
    fn record(&self, actor: &str) -> AuditRecord {
        let (action, subject, detail) = match self {
            Self::PutEntity(e) => (
                "entity.put",
                e.id.to_string(),
                json!({
                    "kind": e.kind, "owner": e.owner, "ovn": e.ovn, "version": e.version,
                    "volumes": e.volumes.len(), "content_sha256": entity_sha256(e),
                }),
            ),
            Self::DeleteEntity(id, old) => (
                "entity.delete",
                id.to_string(),
                match old {
                    Some(e) => json!({
                        "existed": true, "kind": e.kind, "owner": e.owner, "ovn": e.ovn,
                        "version": e.version,
                    }),
                    None => json!({"existed": false}),
                },
            ),
            Self::PutSubscription(s) => (
                "subscription.put",
                s.id.to_string(),
                json!({
                    "owner": s.owner, "version": s.version,
                    "notification_index": s.notification_index, "implicit": s.implicit,
                    "notify_operations": s.notify_operations, "notify_zones": s.notify_zones,
                    "volumes": s.volumes.len(), "content_sha256": subscription_sha256(s),
                }),
            ),
            Self::DeleteSubscription(id) => ("subscription.delete", id.to_string(), json!({})),
            Self::PutParty(p) => (
                "party.put",
                p.id.to_string(),
                json!({ "name": p.name, "full_disclosure_to": p.full_disclosure_to }),
            ),
            Self::Notify(n) => (
                "notification",
                n.id.to_string(),
                json!({
                    "recipient": n.recipient, "requires_ack": n.requires_ack, "event": n.event,
                }),
            ),
            Self::Acknowledge(n) => (
                "notification.ack",
                n.id.to_string(),
                json!({ "recipient": n.recipient, "acked_at": n.acked_at }),
            ),
            Self::PutDocument {
                kind,
                id,
                sha256,
                bytes,
            } => (
                "document.put",
                format!("{kind}/{id}"),
                json!({ "kind": kind, "id": id, "bytes": bytes, "content_sha256": sha256 }),
            ),
            Self::DeleteDocument { kind, id } => (
                "document.delete",
                format!("{kind}/{id}"),
                json!({ "kind": kind, "id": id }),
            ),
        };
        AuditRecord {
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject,
            detail,
        }
    }
}

/// A transaction that forwards every call to `inner` and records each write.
pub struct AuditTx<'a> {
    inner: &'a mut dyn Tx,
    changes: Vec<Change>,
}

impl View for AuditTx<'_> {
    fn entity(&self, id: &EntityId) -> Result<Option<Entity>, StoreError> {
        self.inner.entity(id)
    }
    fn entities_intersecting(&self, volumes: &[Volume4d]) -> Result<Vec<Entity>, StoreError> {
        self.inner.entities_intersecting(volumes)
    }
    fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        self.inner.entities()
    }
    fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.inner.subscription(id)
    }
    fn subscriptions_intersecting(
        &self,
        volumes: &[Volume4d],
    ) -> Result<Vec<Subscription>, StoreError> {
        self.inner.subscriptions_intersecting(volumes)
    }
    fn subscriptions_of(&self, owner: &PartyId) -> Result<Vec<Subscription>, StoreError> {
        self.inner.subscriptions_of(owner)
    }
    fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        self.inner.party(id)
    }
    fn parties(&self) -> Result<Vec<Party>, StoreError> {
        self.inner.parties()
    }
    fn inbox(
        &self,
        recipient: &PartyId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        self.inner.inbox(recipient, after, limit)
    }
    fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.inner.due_deliveries(now, limit)
    }
    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.document(kind, id)
    }
    fn documents(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.documents(kind, after, limit)
    }
}

impl Tx for AuditTx<'_> {
    fn put_entity(&mut self, entity: Entity) -> Result<(), StoreError> {
        self.inner.put_entity(entity.clone())?;
        self.changes.push(Change::PutEntity(entity));
        Ok(())
    }
    fn delete_entity(&mut self, id: &EntityId) -> Result<bool, StoreError> {
        // Read first, so that the entry can say what was withdrawn (owner, OVN, version).
        let old = self.inner.entity(id)?;
        let existed = self.inner.delete_entity(id)?;
        if existed {
            self.changes.push(Change::DeleteEntity(*id, old));
        }
        Ok(existed)
    }
    fn put_subscription(&mut self, subscription: Subscription) -> Result<(), StoreError> {
        self.inner.put_subscription(subscription.clone())?;
        self.changes.push(Change::PutSubscription(subscription));
        Ok(())
    }
    fn delete_subscription(&mut self, id: &SubscriptionId) -> Result<bool, StoreError> {
        let existed = self.inner.delete_subscription(id)?;
        if existed {
            self.changes.push(Change::DeleteSubscription(*id));
        }
        Ok(existed)
    }
    fn put_party(&mut self, party: Party) -> Result<(), StoreError> {
        self.inner.put_party(party.clone())?;
        self.changes.push(Change::PutParty(party));
        Ok(())
    }
    fn notify(
        &mut self,
        notification: NewNotification,
        now: DateTime<Utc>,
    ) -> Result<Notification, StoreError> {
        let n = self.inner.notify(notification, now)?;
        self.changes.push(Change::Notify(n.clone()));
        Ok(n)
    }
    fn acknowledge(
        &mut self,
        recipient: &PartyId,
        id: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError> {
        let n = self.inner.acknowledge(recipient, id, at)?;
        // A second acknowledgement keeps the first time and changes nothing: not recorded.
        if let Some(n) = n.as_ref().filter(|n| n.acked_at == Some(at)) {
            self.changes.push(Change::Acknowledge(n.clone()));
        }
        Ok(n)
    }
    /// Not recorded: webhook bookkeeping (claims, retries, deliveries) is not a change of the
    /// airspace or of what any party was told — the notification itself is recorded when made.
    fn record_attempt(&mut self, id: u64, attempt: Attempt) -> Result<(), StoreError> {
        self.inner.record_attempt(id, attempt)
    }
    fn put_document(&mut self, kind: &str, id: &str, body: Vec<u8>) -> Result<(), StoreError> {
        let sha256 = sha256_hex(&body);
        let bytes = body.len();
        self.inner.put_document(kind, id, body)?;
        self.changes.push(Change::PutDocument {
            kind: kind.to_owned(),
            id: id.to_owned(),
            sha256,
            bytes,
        });
        Ok(())
    }
    fn delete_document(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let existed = self.inner.delete_document(kind, id)?;
        if existed {
            self.changes.push(Change::DeleteDocument {
                kind: kind.to_owned(),
                id: id.to_owned(),
            });
        }
        Ok(existed)
    }
}

fn corrupt(key: String, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key,
        detail: detail.to_string(),
    }
}

/// The head of the log as `view` sees it (`None`: no entry yet).
///
/// # Errors
/// The store's; [`StoreError::Corrupt`] if the head does not parse.
pub fn read_head(view: &dyn View) -> Result<Option<Head>, StoreError> {
    view.document(HEAD_KIND, HEAD_ID)?
        .map(|b| {
            serde_json::from_slice(&b)
                .map_err(|e| corrupt(format!("documents/{HEAD_KIND}/head"), e))
        })
        .transpose()
}

/// Entries with seq greater than `after`, in order, at most `limit`.
///
/// # Errors
/// The store's; [`StoreError::Corrupt`] for an entry that does not parse (a verifier reading a
/// damaged log should read the raw documents instead: the CLI does).
pub fn read_entries(
    view: &dyn View,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    view.documents(ENTRY_KIND, Some(&entry_id(after)), limit)?
        .into_iter()
        .map(|(id, body)| {
            serde_json::from_slice(&body)
                .map_err(|e| corrupt(format!("documents/{ENTRY_KIND}/{id}"), e))
        })
        .collect()
}

/// Appends one entry per change after the head, then moves the head.
fn append(
    tx: &mut dyn Tx,
    signer: &AuditSigner,
    actor: &str,
    at: DateTime<Utc>,
    changes: &[Change],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let (mut seq, mut hash) = match read_head(&*tx)? {
        Some(h) => (h.seq, h.hash),
        None => {
            // No head: there must be no entry either, or the log would be overwritten.
            if !tx.documents(ENTRY_KIND, None, 1)?.is_empty() {
                return Err(corrupt(
                    format!("documents/{HEAD_KIND}/{HEAD_ID}"),
                    "is missing while the audit log has entries",
                ));
            }
            (0, GENESIS_HASH.to_owned())
        }
    };
    for change in changes {
        seq += 1;
        let entry = AuditEntry::signed(seq, at, change.record(actor), hash, &signer.key);
        let body = serde_json::to_vec(&entry)
            .map_err(|e| corrupt(format!("documents/{ENTRY_KIND}/{}", entry_id(seq)), e))?;
        tx.put_document(ENTRY_KIND, &entry_id(seq), body)?;
        hash = entry.hash;
    }
    let head = Head {
        seq,
        hash,
        public_key: hex::encode(signer.verifying_key().as_bytes()),
    };
    let body =
        serde_json::to_vec(&head).map_err(|e| corrupt(format!("documents/{HEAD_KIND}/head"), e))?;
    tx.put_document(HEAD_KIND, HEAD_ID, body)
}

impl<S: Store> Service<S> {
    /// Runs `f` in a store transaction on behalf of the party `actor`; refuses it
    /// ([`crate::withdrawal::Withdrawn`]) while that party has withdrawn from the service — the
    /// check reads its standing inside the same transaction, so a write cannot slip past a
    /// concurrent withdrawal. When auditing, records each write `f` makes and, if `f`
    /// succeeds, appends their entries by `actor` in the same transaction.
    pub(crate) fn transact<T, E>(&self, actor: &str, f: &mut TxFn<'_, T, E>) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + From<crate::withdrawal::Withdrawn> + Send,
    {
        self.transact_unchecked(actor, &mut |tx: &mut dyn Tx| {
            if let Some(w) = crate::withdrawal::check_actor(&*tx, actor)? {
                return Err(E::from(w));
            }
            f(tx)
        })
    }

    /// [`Self::transact`] without the withdrawal check: for the service's own bookkeeping
    /// ([`SYSTEM_ACTOR`]) and for withdrawing and rejoining themselves.
    pub(crate) fn transact_unchecked<T, E>(
        &self,
        actor: &str,
        f: &mut TxFn<'_, T, E>,
    ) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send,
    {
        let Some(signer) = self.config.audit.as_deref() else {
            return self.store.transact(f);
        };
        self.store.transact(&mut |tx: &mut dyn Tx| {
            let mut audited = AuditTx {
                inner: &mut *tx,
                changes: Vec::new(),
            };
            let out = f(&mut audited)?;
            let changes = audited.changes;
            // The time of this attempt (a SQL store may run the closure again).
            append(tx, signer, actor, self.clock.now(), &changes)?;
            Ok(out)
        })
    }

    /// Entries of the audit log after `after_seq`, in order, at most `limit` (and at most
    /// [`MAX_PAGE`]). Every party may read the whole log: entries carry no geometry.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn audit_page(
        &self,
        caller: &Caller,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let limit = limit.clamp(1, MAX_PAGE);
        Ok(self
            .store
            .read(&mut |v| read_entries(v, after_seq, limit))?)
    }

    /// The seq of the last entry of the audit log (0: none yet, or no log kept): it grows with
    /// every committed change, on every node of one store, so a caller that sees it move knows
    /// that something changed, and nothing of what. `GET /v1/events` polls it.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn change_seq(&self, caller: &Caller) -> Result<u64, ServiceError> {
        caller.require(SCOPE_READ)?;
        Ok(self.store.read(&mut |v| read_head(v))?.map_or(0, |h| h.seq))
    }

    /// The public key entries are signed with, if a log is kept.
    pub fn audit_public_key(&self) -> Option<VerifyingKey> {
        self.config.audit.as_ref().map(|s| s.verifying_key())
    }

    /// Checks that the log this store holds was signed with this service's key (several nodes
    /// of one database must share one key, or the log would mix signers).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] naming both keys; or the store's.
    pub fn check_audit_key(&self) -> Result<(), ServiceError> {
        let Some(signer) = &self.config.audit else {
            return Ok(());
        };
        let mine = hex::encode(signer.verifying_key().as_bytes());
        let head = self.store.read(&mut |v| read_head(v))?;
        match head {
            Some(h) if h.public_key != mine => Err(ServiceError::Forbidden(format!(
                "the audit log of this store is signed with the key {}, this server's key is {mine}: \
                 every node must use the same audit key file",
                h.public_key
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
