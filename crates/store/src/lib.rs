//! # deconflict-store
//!
//! Where deconflict keeps its state, behind one trait so that the use cases are written once:
//! [`Store::read`] gives a consistent view, [`Store::transact`] runs a closure that reads and
//! writes atomically — every check that decides a write (the key rule, compare-and-swap on OVNs)
//! runs inside it, against the state it commits to. This is the split of the InterUSS DSS's
//! `Interact`/`Transact` (its `pkg/store/store.go`).
//!
//! Implementations: [`embedded`] (redb in a data directory, the default) and [`postgres`]
//! (PostgreSQL, CockroachDB or YugabyteDB, shared by several nodes).
//! `testing` holds the conformance suite every implementation must pass.

pub mod embedded;
pub mod postgres;
pub mod testing;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    Entity, EntityId, NewNotification, Notification, Party, PartyId, Subscription, SubscriptionId,
    Volume4d,
};

/// Why the store failed. Never a refusal of the request itself: those are the service's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory or database could not be used.
    #[error("storage unavailable while {doing}: {detail}")]
    Unavailable {
        /// What was being done.
        doing: String,
        /// The cause, as text (the backends' error types differ).
        detail: String,
    },
    /// A stored record could not be read back (a bug or a damaged store).
    #[error("stored record {key} is damaged: {detail}")]
    Corrupt {
        /// Which record.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A concurrent transaction conflicted and retries were exhausted (SQL stores).
    #[error("too much contention: gave up after {attempts} attempts")]
    Contention {
        /// How many attempts were made.
        attempts: u32,
    },
    /// The store is shutting down.
    #[error("the store is closed")]
    Closed,
}

/// A webhook delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The notification's id (its idempotency key for receivers).
    pub notification: Notification,
    /// Where to POST it.
    pub url: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Not before this time.
    pub next_attempt_at: DateTime<Utc>,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The receiver answered 2xx: the delivery leaves the outbox.
    Delivered,
    /// Failed; try again at this time.
    Retry {
        /// When.
        at: DateTime<Utc>,
    },
    /// Failed for good (too many attempts): kept in the inbox, dropped from the outbox.
    GaveUp,
    /// A node is about to attempt it: not due again before `until` (a lease, so that several
    /// nodes sharing a store do not all post it; if the node dies, another posts it after
    /// `until`). Not counted as an attempt.
    Claimed {
        /// The end of the lease.
        until: DateTime<Utc>,
    },
}

/// What `new` becomes once recorded with `id` at `now`, and the callback URL its delivery goes
/// to, if any: the one rule both stores apply in [`Tx::notify`].
pub(crate) fn recorded(
    new: NewNotification,
    id: u64,
    now: DateTime<Utc>,
) -> (Notification, Option<String>) {
    let n = Notification {
        id,
        recipient: new.recipient,
        created_at: now,
        event: new.event,
        requires_ack: new.requires_ack,
        acked_at: None,
    };
    (n, new.callback_url)
}

/// The rule of [`Tx::acknowledge`], for both stores: only the recipient acknowledges (`None`
/// for anyone else), and the first time is kept. Returns the notification as it then is, and
/// whether it changed (so must be written).
pub(crate) fn acknowledged(
    mut n: Notification,
    recipient: &PartyId,
    at: DateTime<Utc>,
) -> Option<(Notification, bool)> {
    if n.recipient != *recipient {
        return None;
    }
    let first = n.acked_at.is_none();
    if first {
        n.acked_at = Some(at);
    }
    Some((n, first))
}

/// The longest document id, in bytes.
pub(crate) const MAX_DOCUMENT_ID_BYTES: usize = 256;
/// The longest document kind, in characters (all ASCII).
pub(crate) const MAX_DOCUMENT_KIND_CHARS: usize = 64;

/// The rule of document kinds and ids ([`Tx::put_document`]), for both stores and for reads as
/// for writes: `Err` names the document as `documents/<kind>/<id>` (`documents/<kind>` without
/// an id; a long id shortened) and says what is wrong.
pub(crate) fn check_document(kind: &str, id: Option<&str>) -> Result<(), StoreError> {
    let kind_ok = (1..=MAX_DOCUMENT_KIND_CHARS).contains(&kind.len())
        && kind
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'));
    let detail = if !kind_ok {
        format!(
            "a document kind is 1 to {MAX_DOCUMENT_KIND_CHARS} characters of a-z, 0-9, _, . and -"
        )
    } else {
        match id {
            Some(id) if id.is_empty() || id.len() > MAX_DOCUMENT_ID_BYTES || id.contains('\0') => {
                format!("a document id is 1 to {MAX_DOCUMENT_ID_BYTES} bytes of UTF-8 without NUL")
            }
            _ => return Ok(()),
        }
    };
    Err(StoreError::Corrupt {
        key: document_name(kind, id),
        detail,
    })
}

/// The name of a document in errors: `documents/<kind>/<id>`, an id longer than the longest
/// allowed shortened (with `…`), so that a bad id cannot make a huge message.
fn document_name(kind: &str, id: Option<&str>) -> String {
    let shorten = |s: &str, max: usize| -> String {
        if s.len() <= max {
            return s.to_owned();
        }
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    };
    let kind = shorten(kind, MAX_DOCUMENT_ID_BYTES);
    match id {
        Some(id) => format!("documents/{kind}/{}", shorten(id, MAX_DOCUMENT_ID_BYTES)),
        None => format!("documents/{kind}"),
    }
}

/// Reads, inside [`Store::read`] or [`Store::transact`]. Within a transaction a read sees that
/// transaction's own writes.
pub trait View {
    /// One live entity.
    fn entity(&self, id: &EntityId) -> Result<Option<Entity>, StoreError>;
    /// Every live entity with a volume intersecting any of `volumes` (exact rule), sorted by id.
    fn entities_intersecting(&self, volumes: &[Volume4d]) -> Result<Vec<Entity>, StoreError>;
    /// Every live entity, sorted by id (for export and start-up).
    fn entities(&self) -> Result<Vec<Entity>, StoreError>;

    /// One subscription.
    fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError>;
    /// Every subscription with a volume intersecting any of `volumes`, sorted by id.
    fn subscriptions_intersecting(
        &self,
        volumes: &[Volume4d],
    ) -> Result<Vec<Subscription>, StoreError>;
    /// Every subscription of a party, sorted by id.
    fn subscriptions_of(&self, owner: &PartyId) -> Result<Vec<Subscription>, StoreError>;

    /// One party.
    fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError>;
    /// Every party, sorted by id.
    fn parties(&self) -> Result<Vec<Party>, StoreError>;

    /// A party's notifications with id greater than `after`, oldest first, at most `limit`.
    fn inbox(
        &self,
        recipient: &PartyId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;
    /// Deliveries due at `now`, in order of `(next_attempt_at, notification id)`, at most
    /// `limit`.
    fn due_deliveries(&self, now: DateTime<Utc>, limit: usize)
    -> Result<Vec<Delivery>, StoreError>;

    /// One document of `kind` (see [`Tx::put_document`]).
    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Documents of `kind` with id greater than `after` (all with `None`), in id order (bytewise),
    /// at most `limit`. `after` follows the rule of ids (it is normally the last id of the
    /// previous page).
    fn documents(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}

/// Writes, inside [`Store::transact`]. Nothing is visible to others, or durable, until the
/// transaction commits; an `Err` from the closure discards every write.
pub trait Tx: View {
    /// Creates or replaces an entity (the caller has applied the rules and set OVN and version).
    fn put_entity(&mut self, entity: Entity) -> Result<(), StoreError>;
    /// Removes an entity; returns whether it existed.
    fn delete_entity(&mut self, id: &EntityId) -> Result<bool, StoreError>;

    /// Creates or replaces a subscription.
    fn put_subscription(&mut self, subscription: Subscription) -> Result<(), StoreError>;
    /// Removes a subscription; returns whether it existed.
    fn delete_subscription(&mut self, id: &SubscriptionId) -> Result<bool, StoreError>;

    /// Creates or replaces a party.
    fn put_party(&mut self, party: Party) -> Result<(), StoreError>;

    /// Records a notification in the recipient's inbox, with the next id and `now`, and queues
    /// its webhook delivery (due at `now`) when it has a callback URL.
    fn notify(
        &mut self,
        notification: NewNotification,
        now: DateTime<Utc>,
    ) -> Result<Notification, StoreError>;
    /// Marks a notification of `recipient` acknowledged at `at` (once; a second call keeps the
    /// first time). `None` if the recipient has no such notification.
    fn acknowledge(
        &mut self,
        recipient: &PartyId,
        id: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError>;
    /// Records the outcome of a delivery attempt of notification `id`; a no-op when it has no
    /// outbox entry (already delivered or given up).
    fn record_attempt(&mut self, id: u64, attempt: Attempt) -> Result<(), StoreError>;

    /// Creates or replaces the document `(kind, id)`: an opaque body (the service's JSON) for
    /// records that need no spatial index — USS availability, archived reports, and the like.
    /// `kind` is 1–64 characters of `a-z0-9_.-`, `id` 1–256 bytes of UTF-8 without NUL; the
    /// service chooses both and the store refuses others as [`StoreError::Corrupt`] naming them
    /// (in reads as in writes). Documents are durable and transactional like everything else:
    /// written in the same atomic commit as the transaction's other writes, or not at all.
    fn put_document(&mut self, kind: &str, id: &str, body: Vec<u8>) -> Result<(), StoreError>;
    /// Removes a document; returns whether it existed.
    fn delete_document(&mut self, kind: &str, id: &str) -> Result<bool, StoreError>;
}

/// A closure run inside a transaction. It may run more than once (SQL stores retry on
/// serialization failures), so it must not have effects outside the transaction.
pub type TxFn<'a, T, E> = dyn FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'a;

/// Where deconflict keeps its state.
pub trait Store: Send + Sync + 'static {
    /// Runs `f` on a consistent view of committed state.
    ///
    /// # Errors
    /// A [`StoreError`] from the view, or the store.
    fn read<T>(
        &self,
        f: &mut (dyn FnMut(&dyn View) -> Result<T, StoreError> + Send),
    ) -> Result<T, StoreError>;

    /// Runs `f` in a transaction and commits its writes atomically and durably if it returns
    /// `Ok` — when this returns `Ok`, the writes survive a crash — or discards them if it returns
    /// `Err`. Transactions are serializable: each sees the writes of every transaction committed
    /// before it.
    ///
    /// `f` must not call [`Store::read`] or [`Store::transact`] on the same store: it has the
    /// [`Tx`] for that (the embedded store would deadlock).
    ///
    /// # Errors
    /// `f`'s error, or a [`StoreError`] (converted with `E: From<StoreError>`) if the store failed;
    /// then nothing was written.
    fn transact<T, E>(&self, f: &mut TxFn<'_, T, E>) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send;
}

impl<S: Store> Store for Arc<S> {
    fn read<T>(
        &self,
        f: &mut (dyn FnMut(&dyn View) -> Result<T, StoreError> + Send),
    ) -> Result<T, StoreError> {
        (**self).read(f)
    }

    fn transact<T, E>(&self, f: &mut TxFn<'_, T, E>) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send,
    {
        (**self).transact(f)
    }
}
