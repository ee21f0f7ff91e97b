//! # deconflict-service
//!
//! The use cases of deconflict, written once for every API (the native `/v1` API and the F3548
//! DSS adapter): filing, changing and withdrawing operations and zones under the key rule,
//! queries and conflicts as the disclosure policy allows, subscriptions and the notifications
//! they cause (written in the same transaction as the change, so none is lost), the inbox and its
//! acknowledgements, and parties. Every use case returns domain outcomes, never HTTP types.
//!
//! The service is synchronous: the store's transactions block. Async callers run it on a
//! blocking thread (the API does, with `spawn_blocking`).

pub mod audit;
mod caller;
pub mod ceasefires;
mod deliveries;
mod disclosure;
pub mod dss;
mod entities;
mod error;
pub mod hotline;
mod notify;
mod parties;
mod probing;
pub mod protected;
mod protected_validity;
mod records;
pub mod reports;
mod subscriptions;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{KeyPolicy, Ovn, VolumeLimits};

pub use audit::AuditSigner;
pub use caller::{Caller, SCOPE_ADMIN, SCOPE_READ, SCOPE_REVIEW, SCOPE_WRITE};
pub use deliveries::{MAX_ATTEMPTS, backoff};
pub use disclosure::{CoarseVolume, ConflictView, Detail, DisclosurePolicy, EntityView, PairView};
pub use entities::{DeleteOutcome, PutEntity, WriteOutcome};
pub use error::ServiceError;
pub use notify::Notified;
pub use protected_validity::ValidityPass;
pub use subscriptions::{PutSubscription, SubscriptionView};

/// The time, injected so that tests control it.
pub trait Clock: Send + Sync {
    /// Now, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Where new OVNs come from: unguessable, so that no party can name a version it has not seen.
pub trait OvnSource: Send + Sync {
    /// A fresh OVN.
    fn next(&self) -> Ovn;
}

/// OVNs from version 4 UUIDs (122 random bits from the operating system's CSPRNG).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomOvns;

impl OvnSource for RandomOvns {
    fn next(&self) -> Ovn {
        Ovn(uuid::Uuid::new_v4().simple().to_string())
    }
}

/// Settings of the use cases.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Limits on the volumes of operations, zones and subscriptions.
    pub limits: VolumeLimits,
    /// Which intersecting entities a key must name.
    pub key_policy: KeyPolicy,
    /// What other parties see.
    pub disclosure: DisclosurePolicy,
    /// Most notifications returned by one inbox page.
    pub inbox_page: usize,
    /// How long a node's claim on a webhook delivery keeps other nodes from posting it; after
    /// it, a delivery whose node died is posted by another.
    pub delivery_lease: chrono::Duration,
    /// Settings of the F3548 DSS API.
    pub dss: dss::DssConfig,
    /// How long a party has to acknowledge a notification before it is overdue and escalates.
    pub ack_deadline: chrono::Duration,
    /// Settings of violation reports (incident grouping).
    pub reports: reports::ReportConfig,
    /// Settings of protected sites: validity, reconfirmation, grace, probing limit.
    pub protected: protected::ProtectedConfig,
    /// The key that signs the audit log; with `None` no log is kept (tests that do not look at
    /// it). See [`audit`].
    pub audit: Option<Arc<AuditSigner>>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            limits: VolumeLimits::default(),
            key_policy: KeyPolicy::default(),
            disclosure: DisclosurePolicy::default(),
            inbox_page: 500,
            delivery_lease: chrono::Duration::seconds(60),
            dss: dss::DssConfig::default(),
            ack_deadline: chrono::Duration::hours(24),
            reports: reports::ReportConfig::default(),
            protected: protected::ProtectedConfig::default(),
            audit: None,
        }
    }
}

/// The use cases over a store.
pub struct Service<S> {
    store: S,
    config: ServiceConfig,
    clock: Arc<dyn Clock>,
    ovns: Arc<dyn OvnSource>,
}

impl<S> Service<S> {
    /// The service over `store`.
    pub fn new(
        store: S,
        config: ServiceConfig,
        clock: Arc<dyn Clock>,
        ovns: Arc<dyn OvnSource>,
    ) -> Self {
        Self {
            store,
            config,
            clock,
            ovns,
        }
    }

    /// The store (for the webhook deliverer and tests).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Now, by the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
