//! Subscriptions, parties and notifications: who wants to hear of changes where, who the parties
//! are, and what each was told. Plain data; the store keeps them, the service decides them.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::{EntityId, EntityKind, Ovn, PartyId};
use crate::volume::Volume4d;

/// Identifier of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubscriptionId(pub Uuid);

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A party's standing request to hear of every change to entities intersecting an area and
/// window.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The party that asked.
    pub owner: PartyId,
    /// Where and when (1..=N volumes).
    pub volumes: Arc<[Volume4d]>,
    /// Where to POST notifications, if anywhere (they always reach the inbox too).
    pub callback_url: Option<String>,
    /// Whether changes of operations are notified.
    pub notify_operations: bool,
    /// Whether changes of zones are notified.
    pub notify_zones: bool,
    /// Incremented on every notification sent for it (F3548 `notification_index`).
    pub notification_index: u64,
    /// Incremented on every write of the subscription itself.
    pub version: u64,
    /// F3548: the base URL other USSs notify (not posted to by deconflict; see `callback_url`).
    pub uss_base_url: Option<String>,
    /// F3548: created by the DSS for an operational intent, and removed with its last one.
    pub implicit: bool,
}

impl Subscription {
    /// Whether a change of an entity of `kind` concerns this subscription's flags.
    pub fn wants(&self, kind: &EntityKind) -> bool {
        match kind {
            EntityKind::Operation { .. } => self.notify_operations,
            EntityKind::Zone(_) => self.notify_zones,
        }
    }
}

/// A party registered with the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// Its id, the `sub` of its tokens.
    pub id: PartyId,
    /// Human-readable name.
    pub name: String,
    /// Parties this one lets see its operations in full (the default is the coarse view).
    #[serde(default)]
    pub full_disclosure_to: BTreeSet<PartyId>,
}

/// What happened to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Filed.
    Created,
    /// Changed (volumes, state or priority).
    Updated,
    /// Withdrawn or ended.
    Deleted,
}

fn full_disclosure() -> String {
    "full".to_owned()
}

/// A subscription with its notification index (F3548 `SubscriptionState`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionIndex {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Its notification index.
    pub notification_index: u64,
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An entity in a subscribed area changed.
    EntityChanged {
        /// The entity.
        entity: EntityId,
        /// Its owner.
        owner: PartyId,
        /// Created, updated or deleted.
        change: Change,
        /// Its OVN after the change (none after a deletion).
        ovn: Option<Ovn>,
        /// The subscription that matched.
        subscription: SubscriptionId,
    },
    /// F3548: a natively filed operation or zone in the area of the recipient USS's
    /// subscriptions changed, and deconflict (its managing USS) posts the standard's
    /// notification to the USS (`POST {uss_base_url}/uss/v1/operational_intents` or
    /// `/uss/v1/constraints`) with the entity's details as the recipient may see them when it is
    /// posted. Kept in the inbox as a record of what was posted.
    UssNotified {
        /// The entity.
        entity: EntityId,
        /// Whether it is a constraint (a zone) rather than an operational intent.
        constraint: bool,
        /// The recipient's subscriptions at that base URL, with their notification indexes
        /// after the change.
        subscriptions: Vec<SubscriptionIndex>,
    },
    /// A ceasefire agreement binding the recipient changed status.
    CeasefireChanged {
        /// The agreement.
        agreement: EntityId,
        /// Its status now: `proposed`, `in_force`, `ended` or `denounced`.
        status: String,
        /// The party whose act changed it.
        by: PartyId,
    },
    /// A party declared an exemption to file an operation inside an agreement in force that
    /// binds it (and the recipient).
    ExemptionDeclared {
        /// The agreement.
        agreement: EntityId,
        /// The operation.
        operation: EntityId,
        /// The party that declared it.
        party: PartyId,
        /// The exemption category, one the agreement declares.
        category: String,
        /// Why, in the party's words.
        justification: String,
    },
    /// A protected site or movement was notified (or re-notified, changed): acknowledge it.
    ProtectedSiteNotified {
        /// The site or movement (also its zone's id).
        site: EntityId,
        /// Its name (withheld — absent — when it is notified `conflict-only`: the recipient
        /// learns that it exists and its category, not where it is or what it is called).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Its category (hospital, school, convoy, ...).
        category: String,
        /// Who notified it.
        notifier: PartyId,
        /// Its version.
        version: u64,
        /// `full` or `conflict-only` (absent in records older than the choice: `full`).
        #[serde(default = "full_disclosure")]
        disclosure: String,
        /// The end of its validity: it must be reconfirmed by then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<DateTime<Utc>>,
    },
    /// A protected site or movement of the recipient's lapses soon: reconfirm it
    /// (`POST /v1/protected-sites/{site}/reconfirm`) or it stops protecting after the grace period.
    ReconfirmationDue {
        /// The site or movement.
        site: EntityId,
        /// When its validity ends.
        valid_until: DateTime<Utc>,
    },
    /// A protected site or movement was not reconfirmed: its validity has ended and it stops
    /// protecting at `protection_ends`, unless its notifier reconfirms it before.
    ProtectedSiteLapsing {
        /// The site or movement.
        site: EntityId,
        /// Its category.
        category: String,
        /// Who notified it.
        notifier: PartyId,
        /// When its validity ended.
        valid_until: DateTime<Utc>,
        /// When it stops protecting (the end of the grace period).
        protection_ends: DateTime<Utc>,
    },
    /// A protected site or movement was reconfirmed by its notifier: it protects until
    /// `valid_until`.
    ProtectedSiteReconfirmed {
        /// The site or movement.
        site: EntityId,
        /// Its category.
        category: String,
        /// Who notified it.
        notifier: PartyId,
        /// The new end of its validity.
        valid_until: DateTime<Utc>,
    },
    /// Another party checked operations near the recipient's `conflict-only` site more often
    /// than the probing limit allows: its further checks there are refused for the period.
    ProbingDetected {
        /// The site.
        site: EntityId,
        /// The party that probed.
        party: PartyId,
        /// Checks near the site in the current period, the refused one included.
        checks: u32,
    },
    /// A notification the recipient had to acknowledge is overdue: acknowledge it (or this).
    AcknowledgementOverdue {
        /// The notification awaiting acknowledgement.
        notification: u64,
        /// When it was due.
        deadline: chrono::DateTime<chrono::Utc>,
        /// How many reminders so far, this one included.
        escalation: u32,
    },
    /// A violation report names the recipient as the alleged party. The report is a claim on
    /// record, not a finding; the recipient may read it at `/v1/reports/{report}`.
    ViolationReported {
        /// The report.
        report: Uuid,
        /// Its category (`air_strike`, `shelling`, ...).
        category: String,
        /// The party the report names (the recipient).
        alleged_party: PartyId,
        /// Who filed it.
        reporter: PartyId,
        /// The agreements in force at its place and time.
        agreements: Vec<EntityId>,
    },
    /// A party withdrew from the service: its operations live or planned after `at` were
    /// ended, its subscriptions stopped; its zones, protected sites and signatures stay on
    /// record. Acknowledge it.
    PartyWithdrew {
        /// The party that withdrew.
        party: PartyId,
        /// When.
        at: DateTime<Utc>,
        /// Who recorded it (the party itself, or an administrator).
        by: PartyId,
        /// Its statement, if any.
        statement: Option<String>,
        /// Its operations ended by the withdrawal.
        ended_operations: Vec<EntityId>,
        /// The agreements it signed that are not closed: they stay on record, unchanged.
        agreements: Vec<EntityId>,
    },
    /// A party that had withdrawn rejoined the service: it may write again.
    PartyRejoined {
        /// The party.
        party: PartyId,
        /// When.
        at: DateTime<Utc>,
        /// Who recorded it (the party itself, or an administrator).
        by: PartyId,
    },
    /// A party notified a list of protected sites and movements in one act (a bulk import):
    /// acknowledging this acknowledges every notice of the batch (each shows this
    /// acknowledgement as the recipient's).
    ProtectedSitesImported {
        /// The batch.
        batch: Uuid,
        /// How many notices it filed (new ones and new versions).
        count: u64,
        /// Who notified them.
        notifier: PartyId,
    },
}

/// A notification to be recorded: the store gives it an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// Who is told.
    pub recipient: PartyId,
    /// What.
    pub event: Event,
    /// Whether the recipient must acknowledge it.
    pub requires_ack: bool,
    /// Where to POST it too, if anywhere.
    pub callback_url: Option<String>,
}

/// A recorded notification, as the recipient's inbox shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Increasing id, unique in the store (also the idempotency key of webhook deliveries).
    pub id: u64,
    /// Who is told.
    pub recipient: PartyId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// What.
    pub event: Event,
    /// Whether the recipient must acknowledge it.
    pub requires_ack: bool,
    /// When the recipient acknowledged it.
    pub acked_at: Option<DateTime<Utc>>,
}
