//! What the airspace holds: operations and zones, each owned by a party and versioned by an OVN.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Reason, ValidationError};
use crate::volume::Volume4d;

/// Identifier of an operation or zone (a UUID, as F3548 entity ids are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(pub Uuid);

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A party: an armed force, an agency, an operator. The `sub` of its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartyId(String);

impl TryFrom<String> for PartyId {
    type Error = ValidationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<PartyId> for String {
    fn from(p: PartyId) -> Self {
        p.0
    }
}

impl PartyId {
    /// A party id: 1 to 128 characters of letters, digits and `.-_:@`.
    ///
    /// # Errors
    /// [`Reason::Malformed`] on field `party`.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 128
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_:@".contains(c));
        if ok {
            Ok(Self(id))
        } else {
            Err(ValidationError::new(
                "party",
                Reason::Malformed(format!(
                    "party id must be 1-128 characters of letters, digits and .-_:@, got {id:?}"
                )),
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opaque version number of an entity: changes on every write, unguessable by other parties.
/// The core never makes one; the store does (see [`crate::Airspace::put`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ovn(pub String);

impl fmt::Display for Ovn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OVNs a writer has seen. A write that needs a key must contain the current OVN of every
/// entity it would intersect (see [`crate::rules`]).
pub type Key = HashSet<Ovn>;

/// States of an operation (F3548 `OperationalIntentState`; `Ended` is a deletion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationState {
    /// Planned and deconflicted, not yet flying.
    Accepted,
    /// Flying.
    Activated,
    /// Flying outside its volumes.
    Nonconforming,
    /// Out of control of its operator.
    Contingent,
}

impl OperationState {
    /// Whether a write into this state needs a key, and whether an operation in this state must
    /// be named in others' keys (F3548 §A.1: only Accepted and Activated are deconflicted
    /// strategically; off-nominal operations are announced, not negotiated).
    pub fn requires_key(self) -> bool {
        matches!(self, Self::Accepted | Self::Activated)
    }
}

/// Kinds of zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// An area closed to others' operations (F3548 constraint).
    Restricted,
    /// A humanitarian site or movement notified to all parties.
    Protected,
    /// An area of an agreement (ceasefire) in force.
    Ceasefire,
    /// An area where a party declares a named group present.
    Separation,
    /// A protected site or movement notified `conflict-only`: only the service and its notifier
    /// know its geometry; other parties learn only of their own operations' conflicts with it.
    Confidential,
}

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A planned or live operation.
    Operation {
        /// Its state.
        state: OperationState,
        /// Priority (higher wins precedence by agreement; the core records it, it decides nothing).
        priority: i32,
    },
    /// A zone.
    Zone(ZoneKind),
}

/// An operation or zone as held in the airspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Its id.
    pub id: EntityId,
    /// The party that filed it; only it may change it.
    pub owner: PartyId,
    /// What it is.
    pub kind: EntityKind,
    /// Where and when it is (1..=N volumes).
    pub volumes: Arc<[Volume4d]>,
    /// Current OVN.
    pub ovn: Ovn,
    /// Number of writes so far (1 after creation).
    pub version: u64,
    /// What the F3548 DSS API keeps of it besides the volumes (`None` for entities filed
    /// through the native API and never written through the DSS API).
    pub dss: Option<DssAttributes>,
}

/// What an ASTM F3548-21 DSS keeps of an operational intent or constraint reference besides its
/// extents: where other USSs fetch its details, and (operational intents) the subscription that
/// keeps its manager informed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DssAttributes {
    /// The managing USS's base URL of the USS-USS API.
    pub uss_base_url: String,
    /// The subscription serving an operational intent (`None`: none, or a constraint).
    #[serde(default)]
    pub subscription: Option<crate::subscription::SubscriptionId>,
}

impl Entity {
    /// Whether any of its volumes intersects any of `volumes`.
    pub fn intersects_any(&self, volumes: &[Volume4d]) -> bool {
        self.volumes
            .iter()
            .any(|a| volumes.iter().any(|b| a.intersects(b)))
    }
}
