//! The JSON of the native API, converted from and to the service's types here and nowhere else.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use deconflict_core::{
    EntityKind, Notification, OperationState, Ovn, Party, PartyId, VolumeSpec, ZoneKind,
};
use deconflict_service::{
    CoarseVolume, ConflictView, Detail, EntityView, Notified, PairView, SubscriptionView,
};
use serde::{Deserialize, Serialize};

/// Body of `PUT /v1/operations/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutOperationJson {
    /// Where and when.
    pub volumes: Vec<VolumeSpec>,
    /// State (default Accepted).
    #[serde(default = "accepted")]
    pub state: OperationState,
    /// Priority (default 0).
    #[serde(default)]
    pub priority: i32,
    /// OVNs of intersecting entities the caller has seen.
    #[serde(default)]
    pub key: Vec<Ovn>,
    /// The current OVN, to change an existing operation; absent to create.
    #[serde(default)]
    pub ovn: Option<Ovn>,
}

fn accepted() -> OperationState {
    OperationState::Accepted
}

/// Body of `PUT /v1/zones/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutZoneJson {
    /// Where and when.
    pub volumes: Vec<VolumeSpec>,
    /// restricted, protected, ceasefire or separation.
    pub zone_kind: ZoneKind,
    /// The current OVN, to change an existing zone; absent to create.
    #[serde(default)]
    pub ovn: Option<Ovn>,
}

/// Body of the query endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryJson {
    /// The area and window of interest.
    pub volumes: Vec<VolumeSpec>,
}

/// `?ovn=` of deletes.
#[derive(Debug, Deserialize)]
pub struct OvnParam {
    /// The current OVN.
    pub ovn: Ovn,
}

/// `?version=` of subscription deletes.
#[derive(Debug, Deserialize)]
pub struct VersionParam {
    /// The current version.
    pub version: u64,
}

/// `?after=` of the inbox.
#[derive(Debug, Deserialize)]
pub struct AfterParam {
    /// Only notifications with a greater id.
    #[serde(default)]
    pub after: u64,
}

/// Body of `PUT /v1/subscriptions/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutSubscriptionJson {
    /// Area and window.
    pub volumes: Vec<VolumeSpec>,
    /// Webhook URL.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Hear of operations (default true).
    #[serde(default = "yes")]
    pub notify_operations: bool,
    /// Hear of zones (default true).
    #[serde(default = "yes")]
    pub notify_zones: bool,
    /// Current version, to replace; absent to create.
    #[serde(default)]
    pub version: Option<u64>,
}

fn yes() -> bool {
    true
}

/// Body of `PUT /v1/parties/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutPartyJson {
    /// Display name.
    pub name: String,
}

/// Body of `PUT /v1/parties/{id}/disclosure`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureJson {
    /// Parties that see the caller's operations in full.
    pub full_disclosure_to: BTreeSet<PartyId>,
}

/// A coarse volume.
#[derive(Debug, Serialize)]
pub struct CoarseVolumeJson {
    time_start: DateTime<Utc>,
    time_end: DateTime<Utc>,
    altitude_lower_m: f64,
    altitude_upper_m: f64,
    h3_resolution: u8,
    h3_cells: Vec<String>,
}

impl From<&CoarseVolume> for CoarseVolumeJson {
    fn from(c: &CoarseVolume) -> Self {
        Self {
            time_start: c.time_start,
            time_end: c.time_end,
            altitude_lower_m: c.altitude_lower_m,
            altitude_upper_m: c.altitude_upper_m,
            h3_resolution: c.resolution,
            h3_cells: c.cells.clone(),
        }
    }
}

/// An operation or zone as the caller may see it.
#[derive(Debug, Serialize)]
pub struct EntityJson {
    /// Id.
    pub id: String,
    /// Owner.
    pub owner: String,
    /// "operation" or "zone".
    pub entity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<OperationState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zone_kind: Option<ZoneKind>,
    /// Current OVN.
    pub ovn: String,
    version: u64,
    /// "full" or "coarse".
    pub disclosure: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    volumes: Option<Vec<VolumeSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coarse_volumes: Option<Vec<CoarseVolumeJson>>,
}

impl From<&EntityView> for EntityJson {
    fn from(v: &EntityView) -> Self {
        let (entity, state, priority, zone_kind) = match v.kind {
            EntityKind::Operation { state, priority } => {
                ("operation", Some(state), Some(priority), None)
            }
            EntityKind::Zone(k) => ("zone", None, None, Some(k)),
        };
        let (disclosure, volumes, coarse_volumes) = match &v.detail {
            Detail::Full(vs) => ("full", Some(vs.clone()), None),
            Detail::Coarse(cs) => ("coarse", None, Some(cs.iter().map(Into::into).collect())),
        };
        Self {
            id: v.id.to_string(),
            owner: v.owner.to_string(),
            entity,
            state,
            priority,
            zone_kind,
            ovn: v.ovn.0.clone(),
            version: v.version,
            disclosure,
            volumes,
            coarse_volumes,
        }
    }
}

/// Where a conflict lies.
#[derive(Debug, Serialize)]
pub struct PairJson {
    own_volume: usize,
    other_volume: usize,
    time_start: DateTime<Utc>,
    time_end: DateTime<Utc>,
    altitude_lower_m: f64,
    altitude_upper_m: f64,
    /// The clipped common footprint, polygons of `[lon, lat]` rings.
    intersection: Vec<Vec<[f64; 2]>>,
}

impl From<&PairView> for PairJson {
    fn from(p: &PairView) -> Self {
        Self {
            own_volume: p.own_volume,
            other_volume: p.other_volume,
            time_start: p.time_start,
            time_end: p.time_end,
            altitude_lower_m: p.altitude_lower_m,
            altitude_upper_m: p.altitude_upper_m,
            intersection: p.footprint.clone(),
        }
    }
}

/// A conflict with another entity.
#[derive(Debug, Serialize)]
pub struct ConflictJson {
    /// The other entity as disclosed.
    pub with: EntityJson,
    /// Where and when.
    pub pairs: Vec<PairJson>,
}

impl From<&ConflictView> for ConflictJson {
    fn from(c: &ConflictView) -> Self {
        Self {
            with: EntityJson::from(&c.with),
            pairs: c.pairs.iter().map(Into::into).collect(),
        }
    }
}

/// A subscription told of a change.
#[derive(Debug, Serialize)]
pub struct NotifiedJson {
    subscription_id: String,
    party: String,
    notification_index: u64,
}

impl From<&Notified> for NotifiedJson {
    fn from(n: &Notified) -> Self {
        Self {
            subscription_id: n.subscription.to_string(),
            party: n.party.to_string(),
            notification_index: n.notification_index,
        }
    }
}

/// A subscription.
#[derive(Debug, Serialize)]
pub struct SubscriptionJson {
    id: String,
    volumes: Vec<VolumeSpec>,
    callback_url: Option<String>,
    notify_operations: bool,
    notify_zones: bool,
    notification_index: u64,
    version: u64,
}

impl From<&SubscriptionView> for SubscriptionJson {
    fn from(s: &SubscriptionView) -> Self {
        Self {
            id: s.id.to_string(),
            volumes: s.volumes.clone(),
            callback_url: s.callback_url.clone(),
            notify_operations: s.notify_operations,
            notify_zones: s.notify_zones,
            notification_index: s.notification_index,
            version: s.version,
        }
    }
}

/// A party.
#[derive(Debug, Serialize)]
pub struct PartyJson {
    id: String,
    name: String,
    full_disclosure_to: Vec<String>,
}

impl From<&Party> for PartyJson {
    fn from(p: &Party) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            full_disclosure_to: p
                .full_disclosure_to
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// A notification in an inbox (the core type's JSON as is).
pub type NotificationJson = Notification;
