//! The JSON of the native API, converted from and to the service's types here and nowhere else.
//! Every type derives its OpenAPI schema; the core types carried as they are (volumes, states,
//! zone kinds, notifications) are described by the mirrors in [`super::schema`].

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use deconflict_core::{
    EntityKind, Notification, OperationState, Ovn, Party, PartyId, VolumeSpec, ZoneKind,
};
use deconflict_service::{
    CoarseVolume, ConflictView, Detail, EntityView, Notified, PairView, SubscriptionView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema::{
    LonLatSchema, NotificationSchema, OperationStateSchema, VolumeSpecSchema, ZoneKindSchema,
};

/// Body of `PUT /v1/operations/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutOperation)]
pub struct PutOperationJson {
    /// Where and when.
    #[schema(value_type = Vec<VolumeSpecSchema>, min_items = 1)]
    pub volumes: Vec<VolumeSpec>,
    /// State (default Accepted).
    #[serde(default = "accepted")]
    #[schema(value_type = OperationStateSchema, default = "Accepted")]
    pub state: OperationState,
    /// Priority (default 0).
    #[serde(default)]
    #[schema(default = 0)]
    pub priority: i32,
    /// OVNs of intersecting entities the caller has seen.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub key: Vec<Ovn>,
    /// The current OVN, to change an existing operation; absent to create.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ovn: Option<Ovn>,
    /// To file inside a ceasefire in force that binds the caller: an exemption of a category
    /// the agreement allows. It is kept on record and told at once to every other signatory.
    #[serde(default)]
    pub exemption: Option<ExemptionJson>,
}

/// An exemption declared by an operation (see `/v1/ceasefires`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Exemption)]
pub struct ExemptionJson {
    /// One of the agreement's `exemption_categories`.
    pub category: String,
    /// Why, in the party's words (1–2000 characters).
    pub justification: String,
}

impl From<ExemptionJson> for deconflict_service::ceasefires::Exemption {
    fn from(e: ExemptionJson) -> Self {
        Self {
            category: e.category,
            justification: e.justification,
        }
    }
}

fn accepted() -> OperationState {
    OperationState::Accepted
}

/// Body of `PUT /v1/zones/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutZone)]
pub struct PutZoneJson {
    /// Where and when.
    #[schema(value_type = Vec<VolumeSpecSchema>, min_items = 1)]
    pub volumes: Vec<VolumeSpec>,
    /// restricted, protected, ceasefire or separation.
    #[schema(value_type = ZoneKindSchema)]
    pub zone_kind: ZoneKind,
    /// The current OVN, to change an existing zone; absent to create.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ovn: Option<Ovn>,
}

/// Body of the query endpoints.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Query)]
pub struct QueryJson {
    /// The area and window of interest.
    #[schema(value_type = Vec<VolumeSpecSchema>, min_items = 1)]
    pub volumes: Vec<VolumeSpec>,
}

/// `?ovn=` of deletes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OvnParam {
    /// The current OVN (compare-and-swap).
    #[param(value_type = String)]
    pub ovn: Ovn,
}

/// `?version=` of subscription deletes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The current version (compare-and-swap).
    pub version: u64,
}

/// `?after=` of the inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterParam {
    /// Only notifications with a greater id (default 0: from the start).
    #[serde(default)]
    pub after: u64,
}

/// Body of `PUT /v1/subscriptions/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutSubscription)]
pub struct PutSubscriptionJson {
    /// Area and window.
    #[schema(value_type = Vec<VolumeSpecSchema>, min_items = 1)]
    pub volumes: Vec<VolumeSpec>,
    /// Webhook URL: notifications are POSTed there too (they always reach the inbox).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Hear of operations (default true).
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub notify_operations: bool,
    /// Hear of zones (default true).
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub notify_zones: bool,
    /// Current version, to replace; absent to create.
    #[serde(default)]
    pub version: Option<u64>,
}

fn yes() -> bool {
    true
}

/// Body of `PUT /v1/parties/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutParty)]
pub struct PutPartyJson {
    /// Display name.
    pub name: String,
}

/// Body of `PUT /v1/parties/{id}/disclosure`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisclosureGrant)]
pub struct DisclosureJson {
    /// Parties that see the caller's operations in full (replaces the previous list).
    #[schema(value_type = Vec<String>)]
    pub full_disclosure_to: BTreeSet<PartyId>,
}

/// A volume of another party's entity as disclosed by default: its window and band exactly, its
/// footprint only as the H3 cells that cover it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CoarseVolume)]
pub struct CoarseVolumeJson {
    /// First instant, UTC.
    time_start: DateTime<Utc>,
    /// First instant after the window, UTC.
    time_end: DateTime<Utc>,
    /// Lowest altitude, metres above the WGS84 ellipsoid.
    altitude_lower_m: f64,
    /// Highest altitude, metres above the WGS84 ellipsoid.
    altitude_upper_m: f64,
    /// The H3 resolution of the cells.
    h3_resolution: u8,
    /// H3 cell indexes (hexadecimal) covering the footprint.
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

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// An operation: it has a `state` and a `priority`.
    Operation,
    /// A zone: it has a `zone_kind`.
    Zone,
}

/// How much of an entity the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Exact `volumes`: the caller's own entities, zones, and operations of parties that granted
    /// the caller full disclosure.
    Full,
    /// `coarse_volumes` only: H3 cells, exact window and band.
    Coarse,
    /// No geometry: a protected site or movement notified `conflict-only`, shown only in
    /// conflicts with the caller's own operations (its `category`, notifier and OVN).
    Withheld,
}

/// An operation or zone as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Entity)]
pub struct EntityJson {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Owner (a party id).
    pub owner: String,
    /// "operation" or "zone".
    pub entity: EntityType,
    /// State (operations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = OperationStateSchema)]
    state: Option<OperationState>,
    /// Priority (operations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = i32)]
    priority: Option<i32>,
    /// Kind (zones only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ZoneKindSchema)]
    zone_kind: Option<ZoneKind>,
    /// Current OVN: name it in a key, or give it to change or delete the entity.
    pub ovn: String,
    /// Number of writes so far (1 after creation).
    version: u64,
    /// "full" (`volumes`) or "coarse" (`coarse_volumes`).
    pub disclosure: Disclosure,
    /// The exact volumes (full disclosure only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<VolumeSpecSchema>)]
    volumes: Option<Vec<VolumeSpec>>,
    /// The coarse volumes (coarse disclosure only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<CoarseVolumeJson>)]
    coarse_volumes: Option<Vec<CoarseVolumeJson>>,
    /// The category of a protected site notified `conflict-only` (`withheld` disclosure only).
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
}

impl From<&EntityView> for EntityJson {
    fn from(v: &EntityView) -> Self {
        let (entity, state, priority, zone_kind) = match v.kind {
            EntityKind::Operation { state, priority } => {
                (EntityType::Operation, Some(state), Some(priority), None)
            }
            EntityKind::Zone(k) => (EntityType::Zone, None, None, Some(k)),
        };
        let (disclosure, volumes, coarse_volumes) = match &v.detail {
            Detail::Full(vs) => (Disclosure::Full, Some(vs.clone()), None),
            Detail::Coarse(cs) => (
                Disclosure::Coarse,
                None,
                Some(cs.iter().map(Into::into).collect()),
            ),
            Detail::Withheld { .. } => (Disclosure::Withheld, None, None),
        };
        let category = match &v.detail {
            Detail::Withheld { category } => Some(category.clone()),
            _ => None,
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
            category,
        }
    }
}

impl EntityJson {
    /// A withheld entity's category.
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }
}

/// Where a conflict lies: one volume of each entity, and their common window, band and footprint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Pair)]
pub struct PairJson {
    /// Index of the volume in the caller's entity.
    own_volume: usize,
    /// Index of the volume in the other entity.
    other_volume: usize,
    /// Start of the common window, UTC.
    time_start: DateTime<Utc>,
    /// End of the common window, UTC.
    time_end: DateTime<Utc>,
    /// Bottom of the common band, metres.
    altitude_lower_m: f64,
    /// Top of the common band, metres.
    altitude_upper_m: f64,
    /// The clipped common footprint, polygons of `[lon, lat]` rings.
    #[schema(value_type = Vec<Vec<LonLatSchema>>)]
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Conflict)]
pub struct ConflictJson {
    /// What kind of conflict: `operation` (another operation), `protected` (a protected site or
    /// movement), `ceasefire` (a ceasefire agreement's area), `zone` (a separation zone) or
    /// `restricted` (a restricted zone).
    pub kind: &'static str,
    /// The other entity as disclosed.
    pub with: EntityJson,
    /// Where and when.
    pub pairs: Vec<PairJson>,
}

impl From<&ConflictView> for ConflictJson {
    fn from(c: &ConflictView) -> Self {
        use deconflict_core::{EntityKind, ZoneKind};
        Self {
            kind: match c.with.kind {
                EntityKind::Operation { .. } => "operation",
                EntityKind::Zone(ZoneKind::Protected | ZoneKind::Confidential) => "protected",
                EntityKind::Zone(ZoneKind::Ceasefire) => "ceasefire",
                EntityKind::Zone(ZoneKind::Separation) => "zone",
                EntityKind::Zone(ZoneKind::Restricted) => "restricted",
            },
            with: EntityJson::from(&c.with),
            pairs: c.pairs.iter().map(Into::into).collect(),
        }
    }
}

/// A subscription told of a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Notified)]
pub struct NotifiedJson {
    /// The subscription.
    #[schema(format = Uuid)]
    subscription_id: String,
    /// Its owner.
    party: String,
    /// The subscription's notification count after this one.
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Subscription)]
pub struct SubscriptionJson {
    /// Id.
    #[schema(format = Uuid)]
    id: String,
    /// Area and window.
    #[schema(value_type = Vec<VolumeSpecSchema>)]
    volumes: Vec<VolumeSpec>,
    /// Webhook URL, or null.
    #[schema(required = true)]
    callback_url: Option<String>,
    /// Whether changes of operations are notified.
    notify_operations: bool,
    /// Whether changes of zones are notified.
    notify_zones: bool,
    /// Notifications sent for it so far.
    notification_index: u64,
    /// Current version: give it to replace or delete the subscription.
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Party)]
pub struct PartyJson {
    /// Id: the `sub` of its tokens.
    id: String,
    /// Display name.
    name: String,
    /// Parties that see its operations in full.
    full_disclosure_to: Vec<String>,
    /// `active`, or `withdrawn` from the service (reads only; see `withdrawal`).
    status: &'static str,
    /// The withdrawal in effect, when `withdrawn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawal: Option<super::withdrawal::WithdrawalJson>,
    /// Earlier withdrawals, each with its rejoining, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    past_withdrawals: Vec<super::withdrawal::WithdrawalJson>,
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
            status: "active",
            withdrawal: None,
            past_withdrawals: Vec::new(),
        }
    }
}

impl From<&deconflict_service::withdrawal::PartyRecord> for PartyJson {
    fn from(r: &deconflict_service::withdrawal::PartyRecord) -> Self {
        let w = r.standing.withdrawn.as_ref();
        Self {
            status: if w.is_some() { "withdrawn" } else { "active" },
            withdrawal: w.map(Into::into),
            past_withdrawals: r.standing.history.iter().map(Into::into).collect(),
            ..Self::from(&r.party)
        }
    }
}

/// A notification in an inbox (the core type's JSON as is, described by [`NotificationSchema`]).
pub type NotificationJson = Notification;

/// Answer of `PUT /v1/operations/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OperationWritten)]
pub struct OperationWrittenJson {
    /// The operation as written.
    pub operation: EntityJson,
    /// Entities it intersects, as the caller may see them.
    pub conflicts: Vec<ConflictJson>,
    /// Subscriptions told of the change.
    pub notified: Vec<NotifiedJson>,
}

/// Answer of `PUT /v1/zones/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ZoneWritten)]
pub struct ZoneWrittenJson {
    /// The zone as written.
    pub zone: EntityJson,
    /// Entities it intersects, as the caller may see them.
    pub conflicts: Vec<ConflictJson>,
    /// Subscriptions told of the change.
    pub notified: Vec<NotifiedJson>,
}

/// Answer of the deletes of operations and zones.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Deleted)]
pub struct DeletedJson {
    /// The entity as it was.
    pub deleted: EntityJson,
    /// Subscriptions told of the deletion.
    pub notified: Vec<NotifiedJson>,
}

/// The conflicts of an entity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Conflicts)]
pub struct ConflictsJson {
    /// Every entity it intersects, as the caller may see it.
    pub conflicts: Vec<ConflictJson>,
}

/// Answer of `POST /v1/operations/query`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Operations)]
pub struct OperationsJson {
    /// Operations intersecting the query, as the caller may see them.
    pub operations: Vec<EntityJson>,
}

/// Answer of `POST /v1/zones/query`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Zones)]
pub struct ZonesJson {
    /// Zones intersecting the query.
    pub zones: Vec<EntityJson>,
}

/// Every registered party.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Parties)]
pub struct PartiesJson {
    /// The parties.
    pub parties: Vec<PartyJson>,
}

/// The caller's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Subscriptions)]
pub struct SubscriptionsJson {
    /// The subscriptions.
    pub subscriptions: Vec<SubscriptionJson>,
}

/// A page of the caller's inbox.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Inbox)]
pub struct InboxJson {
    /// Notifications in increasing id order.
    #[schema(value_type = Vec<NotificationSchema>)]
    pub notifications: Vec<NotificationJson>,
}
