//! The ASTM F3548-21 DSS use cases (`/dss/v1/...`), over the same store, index and rules as the
//! native API: an operational intent reference is an operation, a constraint reference is a
//! zone, a DSS subscription is a subscription. What differs from the native API is decided here
//! once — the DSS key rule (every intersecting operational intent, constraints only for USSs whose
//! subscription wants them), implicit subscriptions, the subscribers a changing USS must notify,
//! USS availability — following the standard and, where it is silent, the InterUSS reference
//! DSS (each such choice is listed in `docs/f3548.md`).
//!
//! Wire shapes (the `Time`, `Altitude` and `Volume4D` objects, the "Available from USS" OVN) are
//! the API's business; this module takes and returns domain values.

mod availability;
mod constraints;
mod key_scope;
mod oir;
mod subscriptions;
mod uss;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use deconflict_core::{
    AltitudeBand, Entity, EntityId, EntityKind, FootprintSpec, OperationState, Ovn, PartyId,
    Reason, SubscriptionId, ValidationError, Volume4d, VolumeLimits, VolumeSpec,
};
use deconflict_store::{StoreError, View};
use uuid::Uuid;

use crate::caller::Caller;
use crate::notify::Notified;

pub use availability::{Availability, AvailabilityStatus};
pub use key_scope::KeyScope;
pub use oir::{ImplicitSubscription, PutOperationalIntent};
pub use subscriptions::{DssSubscriptionView, PutDssSubscription, SubscriptionPut};
pub use uss::{ConstraintDetails, OirDetails, UssNotification};

/// Scope: strategic coordination (operational intents, subscriptions).
pub const SCOPE_STRATEGIC_COORDINATION: &str = "utm.strategic_coordination";
/// Scope: constraint management (writing constraints).
pub const SCOPE_CONSTRAINT_MANAGEMENT: &str = "utm.constraint_management";
/// Scope: constraint processing (reading constraints, subscriptions to them).
pub const SCOPE_CONSTRAINT_PROCESSING: &str = "utm.constraint_processing";
/// Scope: conformance monitoring for situational awareness (off-nominal states).
pub const SCOPE_CONFORMANCE_MONITORING: &str = "utm.conformance_monitoring_sa";
/// Scope: availability arbitration (setting a USS's availability).
pub const SCOPE_AVAILABILITY_ARBITRATION: &str = "utm.availability_arbitration";

/// Scopes that allow reading and writing operational intent references (one suffices; the
/// off-nominal states also need [`SCOPE_CONFORMANCE_MONITORING`]).
pub const OIR_SCOPES: [&str; 2] = [SCOPE_STRATEGIC_COORDINATION, SCOPE_CONFORMANCE_MONITORING];
/// Scopes that allow reading constraint references.
pub const CONSTRAINT_READ_SCOPES: [&str; 2] =
    [SCOPE_CONSTRAINT_MANAGEMENT, SCOPE_CONSTRAINT_PROCESSING];
/// Scopes that allow writing constraint references.
pub const CONSTRAINT_WRITE_SCOPES: [&str; 1] = [SCOPE_CONSTRAINT_MANAGEMENT];
/// Scopes that allow every subscription endpoint.
pub const SUBSCRIPTION_SCOPES: [&str; 2] =
    [SCOPE_CONSTRAINT_PROCESSING, SCOPE_STRATEGIC_COORDINATION];
/// Scopes that allow reading a USS's availability.
pub const AVAILABILITY_READ_SCOPES: [&str; 3] = [
    SCOPE_AVAILABILITY_ARBITRATION,
    SCOPE_STRATEGIC_COORDINATION,
    SCOPE_CONFORMANCE_MONITORING,
];
/// Scopes that allow setting a USS's availability.
pub const AVAILABILITY_WRITE_SCOPES: [&str; 1] = [SCOPE_AVAILABILITY_ARBITRATION];
/// Scopes that allow making a report (any of the five).
pub const REPORT_SCOPES: [&str; 5] = [
    SCOPE_CONSTRAINT_MANAGEMENT,
    SCOPE_CONSTRAINT_PROCESSING,
    SCOPE_STRATEGIC_COORDINATION,
    SCOPE_CONFORMANCE_MONITORING,
    SCOPE_AVAILABILITY_ARBITRATION,
];

/// The subscription id an operational intent without a subscription shows (the InterUSS
/// reference's "null" version-4 UUID).
pub const NULL_SUBSCRIPTION: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000);

/// Settings of the DSS API.
#[derive(Debug, Clone)]
pub struct DssConfig {
    /// Whether `uss_base_url`s may be `http://` (test deployments) or must be `https://`.
    pub allow_http_base_urls: bool,
    /// The `uss_base_url` shown for operations and zones filed through the native API.
    pub native_base_url: String,
    /// Longest window of an explicit subscription.
    pub max_subscription_window: Duration,
    /// How far in the past an explicit subscription may start (clock skew).
    pub subscription_start_tolerance: Duration,
    /// Most explicit subscriptions of one USS intersecting any one subscription's area.
    pub max_subscriptions_per_area: usize,
    /// How the key rule matches volumes (exact by default; union as the reference DSS).
    pub key_scope: KeyScope,
    /// A file holding the access token deconflict presents when it posts notifications of
    /// native changes to USSs (`Authorization: Bearer`), read at each post so that an outside
    /// process can refresh it; none: posted without one. The API's deliverer reads it.
    pub notification_token_file: Option<std::path::PathBuf>,
}

impl Default for DssConfig {
    fn default() -> Self {
        Self {
            allow_http_base_urls: true,
            native_base_url: "http://127.0.0.1:8080".into(),
            max_subscription_window: Duration::hours(24),
            subscription_start_tolerance: Duration::minutes(5),
            max_subscriptions_per_area: 10,
            key_scope: KeyScope::Exact,
            notification_token_file: None,
        }
    }
}

/// Why a DSS use case did not succeed. Nothing was changed. The API maps each variant to the
/// status the standard (or, where it is silent, the reference DSS) gives it.
#[derive(Debug, thiserror::Error)]
pub enum DssError {
    /// Missing or invalid input, or a request the rules do not allow (400).
    #[error("{0}")]
    BadRequest(String),
    /// The area is larger than the configured limit (413 where the standard lists it, else 400).
    #[error("{0}")]
    AreaTooLarge(String),
    /// The token lacks every scope that would allow this (403).
    #[error("this needs one of the scopes {0}")]
    MissingScope(String),
    /// Another USS's entity or subscription (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such entity or subscription (404).
    #[error("{0}")]
    NotFound(String),
    /// Already exists, or the OVN or version given is not the current one (409).
    #[error("{0}")]
    Conflict(String),
    /// The key rule (409 `AirspaceConflictResponse`).
    #[error("Current OVNs not provided for one or more OperationalIntents or Constraints")]
    AirspaceConflict {
        /// Operational intents whose current OVN the key lacks.
        missing_operational_intents: Vec<OirView>,
        /// Constraints whose current OVN the key lacks.
        missing_constraints: Vec<ConstraintRefView>,
    },
    /// Too many subscriptions of the USS in the area (429).
    #[error("{0}")]
    TooMany(String),
    /// The managing USS is marked Down (412).
    #[error("{0}")]
    UssDown(String),
    /// The store failed; the request may be retried.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

impl From<ValidationError> for DssError {
    fn from(e: ValidationError) -> Self {
        match e.reason() {
            Reason::AreaTooLarge { .. } => Self::AreaTooLarge(e.to_string()),
            _ => Self::BadRequest(e.to_string()),
        }
    }
}

/// A `Volume4D` as the DSS API declares it: each part optional on the wire; the use case says
/// which it requires and what a missing one means.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DssVolume {
    /// `outline_polygon` or `outline_circle`.
    pub footprint: Option<FootprintSpec>,
    /// `altitude_lower`, metres above the WGS84 ellipsoid.
    pub altitude_lower_m: Option<f64>,
    /// `altitude_upper`, metres above the WGS84 ellipsoid.
    pub altitude_upper_m: Option<f64>,
    /// `time_start`.
    pub time_start: Option<DateTime<Utc>>,
    /// `time_end`.
    pub time_end: Option<DateTime<Utc>>,
}

/// What each part of a volume must be.
#[derive(Debug, Clone, Copy)]
pub struct VolumeRules {
    /// Altitudes must be given (else every altitude).
    pub altitudes_required: bool,
    /// Times must be given (else the far past and future).
    pub times_required: bool,
}

impl VolumeRules {
    /// Operational intents: everything required.
    pub const OPERATIONAL_INTENT: Self = Self {
        altitudes_required: true,
        times_required: true,
    };
    /// Constraints: times required, altitudes default to every altitude.
    pub const CONSTRAINT: Self = Self {
        altitudes_required: false,
        times_required: true,
    };
    /// Areas of interest: nothing but the footprint required.
    pub const QUERY: Self = Self {
        altitudes_required: false,
        times_required: false,
    };
}

/// Far bounds for a missing time of a query: every entity lives between them, and every store
/// can hold them (PostgreSQL's `timestamptz` cannot hold chrono's extremes).
pub(crate) fn far_past() -> DateTime<Utc> {
    DateTime::from_timestamp(-62_135_596_800, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH) // 0001-01-01
}

pub(crate) fn far_future() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH) // 9999-12-31T23:59:59
}

impl DssVolume {
    /// The volume as the core validates it under `rules`, naming `field` (`extents[2]`) in
    /// errors.
    ///
    /// # Errors
    /// [`DssError::BadRequest`] or [`DssError::AreaTooLarge`].
    pub fn to_volume(
        &self,
        field: &str,
        rules: VolumeRules,
        limits: &VolumeLimits,
    ) -> Result<Volume4d, DssError> {
        let footprint = self.footprint.clone().ok_or_else(|| {
            DssError::BadRequest(format!(
                "{field}.volume: missing footprint (outline_polygon or outline_circle)"
            ))
        })?;
        let all = AltitudeBand::all();
        let (lower, upper) = match (self.altitude_lower_m, self.altitude_upper_m) {
            (Some(l), Some(u)) => (l, u),
            (l, u) if !rules.altitudes_required => {
                (l.unwrap_or(all.lower_m()), u.unwrap_or(all.upper_m()))
            }
            (None, _) => {
                return Err(DssError::BadRequest(format!(
                    "{field}.volume.altitude_lower: missing"
                )));
            }
            (_, None) => {
                return Err(DssError::BadRequest(format!(
                    "{field}.volume.altitude_upper: missing"
                )));
            }
        };
        let (start, end) = match (self.time_start, self.time_end) {
            (Some(s), Some(e)) => (s, e),
            (s, e) if !rules.times_required => {
                (s.unwrap_or_else(far_past), e.unwrap_or_else(far_future))
            }
            (None, _) => return Err(DssError::BadRequest(format!("{field}.time_start: missing"))),
            (_, None) => return Err(DssError::BadRequest(format!("{field}.time_end: missing"))),
        };
        if end < start {
            return Err(DssError::BadRequest(format!(
                "{field}: time_end {end} is before time_start {start}"
            )));
        }
        let spec = VolumeSpec {
            footprint,
            altitude_lower_m: lower,
            altitude_upper_m: upper,
            time_start: start,
            time_end: end,
        };
        spec.to_volume(limits)
            .map_err(|e| DssError::from(e.within(field)))
    }
}

/// The volumes of `extents`, each validated; at least one.
pub(crate) fn extents(
    extents: &[DssVolume],
    rules: VolumeRules,
    limits: &VolumeLimits,
) -> Result<Vec<Volume4d>, DssError> {
    if extents.is_empty() {
        return Err(DssError::BadRequest(
            "extents: at least one volume is required".into(),
        ));
    }
    if extents.len() > limits.max_volumes {
        return Err(DssError::BadRequest(format!(
            "extents: {} volumes, more than the limit of {}",
            extents.len(),
            limits.max_volumes
        )));
    }
    extents
        .iter()
        .enumerate()
        .map(|(i, v)| v.to_volume(&format!("extents[{i}]"), rules, limits))
        .collect()
}

/// The earliest start and latest end of `volumes` (never empty).
pub(crate) fn time_bounds(volumes: &[Volume4d]) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = volumes.iter().map(|v| v.time().start()).min();
    let end = volumes.iter().map(|v| v.time().end()).max();
    (
        start.unwrap_or_else(far_past),
        end.unwrap_or_else(far_future),
    )
}

/// Refuses ids that are not version-4 UUIDs (the standard's `EntityID` and `SubscriptionID`).
pub(crate) fn check_v4(what: &str, id: Uuid) -> Result<(), DssError> {
    if id.get_version_num() == 4 && id.get_variant() == uuid::Variant::RFC4122 {
        Ok(())
    } else {
        Err(DssError::BadRequest(format!(
            "Invalid ID format: {what} {id} is not a version-4 UUID"
        )))
    }
}

/// Refuses a `uss_base_url` that is empty, not http(s), or (unless allowed) not https.
pub(crate) fn check_base_url(field: &str, url: &str, config: &DssConfig) -> Result<(), DssError> {
    let scheme_ok =
        url.starts_with("https://") || (config.allow_http_base_urls && url.starts_with("http://"));
    let host_ok = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    if url.is_empty() {
        return Err(DssError::BadRequest(format!("Missing required {field}")));
    }
    if !scheme_ok || !host_ok || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        let wanted = if config.allow_http_base_urls {
            "an http:// or https:// URL"
        } else {
            "an https:// URL (this DSS requires TLS)"
        };
        return Err(DssError::BadRequest(format!(
            "{field} must be {wanted} of at most 2048 characters, got {url:?}"
        )));
    }
    Ok(())
}

/// Refuses a caller holding none of `scopes`.
/// # Errors
/// [`DssError::MissingScope`] naming them.
pub fn require_any(caller: &Caller, scopes: &[&str]) -> Result<(), DssError> {
    if scopes.iter().any(|s| caller.scopes.contains(*s)) {
        Ok(())
    } else {
        Err(DssError::MissingScope(scopes.join(" or ")))
    }
}

/// An operational intent reference as a caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OirView {
    /// Its id.
    pub id: EntityId,
    /// The managing USS (the owner).
    pub manager: PartyId,
    /// The manager's availability.
    pub uss_availability: Availability,
    /// Writes so far.
    pub version: u64,
    /// Its state.
    pub state: OperationState,
    /// Its OVN, for its manager only (others get it from the managing USS).
    pub ovn: Option<Ovn>,
    /// Earliest start of its extents.
    pub time_start: DateTime<Utc>,
    /// Latest end of its extents.
    pub time_end: DateTime<Utc>,
    /// Where its details are.
    pub uss_base_url: String,
    /// The subscription serving it, if any.
    pub subscription_id: Option<SubscriptionId>,
}

/// A constraint reference as a caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintRefView {
    /// Its id.
    pub id: EntityId,
    /// The managing USS (the owner).
    pub manager: PartyId,
    /// The manager's availability.
    pub uss_availability: Availability,
    /// Writes so far.
    pub version: u64,
    /// Its OVN, for its manager only.
    pub ovn: Option<Ovn>,
    /// Earliest start of its extents.
    pub time_start: DateTime<Utc>,
    /// Latest end of its extents.
    pub time_end: DateTime<Utc>,
    /// Where its details are.
    pub uss_base_url: String,
}

/// The subscriptions of one USS base URL that the changing USS must now notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberGroup {
    /// Where to POST.
    pub uss_base_url: String,
    /// Each subscription with its notification index after the change.
    pub subscriptions: Vec<(SubscriptionId, u64)>,
}

/// An operational intent or constraint written or deleted, with the subscribers to notify.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<V> {
    /// The reference as written (or as it was, after a deletion), OVN included.
    pub reference: V,
    /// The subscribers the caller must notify (its own included).
    pub subscribers: Vec<SubscriberGroup>,
    /// Whether it was created (201) rather than replaced or deleted (200).
    pub created: bool,
}

/// Groups the subscriptions told of a change by base URL (native subscriptions, which
/// deconflict itself notifies, have none and are left out).
pub(crate) fn subscribers(notified: &[Notified]) -> Vec<SubscriberGroup> {
    let mut groups: BTreeMap<&str, Vec<(SubscriptionId, u64)>> = BTreeMap::new();
    for n in notified {
        if let Some(url) = &n.uss_base_url {
            groups
                .entry(url)
                .or_default()
                .push((n.subscription, n.notification_index));
        }
    }
    groups
        .into_iter()
        .map(|(url, subscriptions)| SubscriberGroup {
            uss_base_url: url.to_owned(),
            subscriptions,
        })
        .collect()
}

/// Makes the DSS views of entities, reading each manager's availability once.
pub(crate) struct Viewer<'a> {
    pub caller: &'a PartyId,
    pub native_base_url: &'a str,
    pub availability: BTreeMap<PartyId, Availability>,
}

impl<'a> Viewer<'a> {
    pub(crate) fn new(caller: &'a PartyId, config: &'a DssConfig) -> Self {
        Self {
            caller,
            native_base_url: &config.native_base_url,
            availability: BTreeMap::new(),
        }
    }

    pub(crate) fn availability_of(
        &mut self,
        view: &dyn View,
        party: &PartyId,
    ) -> Result<Availability, StoreError> {
        if let Some(a) = self.availability.get(party) {
            return Ok(*a);
        }
        let a = availability::read(view, party.as_str())?.availability;
        self.availability.insert(party.clone(), a);
        Ok(a)
    }

    /// The availability of `e`'s managing USS: its owner's for an entity filed through the DSS
    /// API; `Normal` for a natively filed one, whose managing USS is this server (up, since it
    /// answers), whatever an arbiter set for its party.
    fn manager_availability(
        &mut self,
        view: &dyn View,
        e: &Entity,
    ) -> Result<Availability, StoreError> {
        if e.dss.is_none() {
            return Ok(Availability::Normal);
        }
        self.availability_of(view, &e.owner)
    }

    fn base_url(&self, e: &Entity) -> String {
        e.dss.as_ref().map_or_else(
            || self.native_base_url.to_owned(),
            |d| d.uss_base_url.clone(),
        )
    }

    fn ovn(&self, e: &Entity) -> Option<Ovn> {
        (&e.owner == self.caller).then(|| e.ovn.clone())
    }

    /// The view of an operation (`None` for a zone).
    pub(crate) fn oir(
        &mut self,
        view: &dyn View,
        e: &Entity,
    ) -> Result<Option<OirView>, StoreError> {
        let EntityKind::Operation { state, .. } = e.kind else {
            return Ok(None);
        };
        let (time_start, time_end) = time_bounds(&e.volumes);
        Ok(Some(OirView {
            id: e.id,
            manager: e.owner.clone(),
            uss_availability: self.manager_availability(view, e)?,
            version: e.version,
            state,
            ovn: self.ovn(e),
            time_start,
            time_end,
            uss_base_url: self.base_url(e),
            subscription_id: e.dss.as_ref().and_then(|d| d.subscription),
        }))
    }

    /// The view of a zone (`None` for an operation).
    pub(crate) fn constraint(
        &mut self,
        view: &dyn View,
        e: &Entity,
    ) -> Result<Option<ConstraintRefView>, StoreError> {
        if !matches!(e.kind, EntityKind::Zone(_)) {
            return Ok(None);
        }
        let (time_start, time_end) = time_bounds(&e.volumes);
        Ok(Some(ConstraintRefView {
            id: e.id,
            manager: e.owner.clone(),
            uss_availability: self.manager_availability(view, e)?,
            version: e.version,
            ovn: self.ovn(e),
            time_start,
            time_end,
            uss_base_url: self.base_url(e),
        }))
    }

    /// Views of the operations among `entities`.
    pub(crate) fn oirs(
        &mut self,
        view: &dyn View,
        entities: &[Entity],
    ) -> Result<Vec<OirView>, StoreError> {
        let mut out = Vec::new();
        for e in entities {
            out.extend(self.oir(view, e)?);
        }
        Ok(out)
    }

    /// Views of the zones among `entities`.
    pub(crate) fn constraints(
        &mut self,
        view: &dyn View,
        entities: &[Entity],
    ) -> Result<Vec<ConstraintRefView>, StoreError> {
        let mut out = Vec::new();
        for e in entities {
            // Another party's protected site notified conflict-only is never listed.
            if crate::DisclosurePolicy::may_locate(self.caller, e) {
                out.extend(self.constraint(view, e)?);
            }
        }
        Ok(out)
    }
}

/// The operational intents depending on subscription `sub` (they name it), except `except`.
/// They lie within its volumes, so they are among the entities intersecting them.
pub(crate) fn dependents(
    view: &dyn View,
    sub: &deconflict_core::Subscription,
    except: Option<EntityId>,
) -> Result<Vec<EntityId>, StoreError> {
    let ids: BTreeSet<EntityId> = view
        .entities_intersecting(&sub.volumes)?
        .into_iter()
        .filter(|e| {
            Some(e.id) != except
                && e.dss
                    .as_ref()
                    .is_some_and(|d| d.subscription == Some(sub.id))
        })
        .map(|e| e.id)
        .collect();
    Ok(ids.into_iter().collect())
}

/// Whether `sub`'s volumes cover `volumes`: each volume's footprint within one of the
/// subscription's, its window within the subscription's window, and (with `altitude`) its
/// altitude band within the subscription's.
pub(crate) fn covers(sub: &[Volume4d], volumes: &[Volume4d], altitude: bool) -> bool {
    let (start, end) = time_bounds(sub);
    volumes.iter().all(|v| {
        v.time().start() >= start && v.time().end() <= end && covers_space(sub, v, altitude)
    })
}

/// Whether `v`'s footprint lies within one of `sub`'s footprints and (with `altitude`) its
/// altitude band within that volume's band; time is not looked at.
pub(crate) fn covers_space(sub: &[Volume4d], v: &Volume4d, altitude: bool) -> bool {
    sub.iter().any(|s| {
        s.footprint().covers(v.footprint())
            && (!altitude
                || (s.altitude().lower_m() <= v.altitude().lower_m()
                    && s.altitude().upper_m() >= v.altitude().upper_m()))
    })
}

/// How far from now the time of a `requested_ovn_suffix` may be.
const OVN_SUFFIX_SKEW: Duration = Duration::minutes(5);

/// The OVN a write will get: `{id}_{suffix}` when the USS requests a suffix (the InterUSS
/// revision of the API: a UUIDv7 whose time is within 5 minutes of `now`, as the reference
/// checks), else `None` (a random one). A requested OVN equal to `current` is refused: an OVN
/// changes on every write.
///
/// # Errors
/// [`DssError::BadRequest`] naming the rule.
pub(crate) fn requested_ovn(
    id: EntityId,
    suffix: Option<&str>,
    now: DateTime<Utc>,
    current: Option<&Ovn>,
) -> Result<Option<Ovn>, DssError> {
    let Some(suffix) = suffix else {
        return Ok(None);
    };
    let bad = |why: &str| {
        DssError::BadRequest(format!(
            "requested_ovn_suffix {suffix:?} {why}: it must be a version-7 UUID of a time within \
             {} minutes of now",
            OVN_SUFFIX_SKEW.num_minutes()
        ))
    };
    let uuid = Uuid::parse_str(suffix).map_err(|_| bad("is not a UUID"))?;
    if uuid.get_version_num() != 7 {
        return Err(bad("is not a version-7 UUID"));
    }
    let (secs, nanos) = uuid
        .get_timestamp()
        .ok_or_else(|| bad("has no time"))?
        .to_unix();
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, nanos))
        .ok_or_else(|| bad("has a time out of range"))?;
    if (at - now).abs() > OVN_SUFFIX_SKEW {
        return Err(bad(&format!("is of {at}, now is {now}")));
    }
    let ovn = Ovn(format!("{id}_{}", uuid.hyphenated()));
    if current == Some(&ovn) {
        return Err(bad("gives the current OVN"));
    }
    Ok(Some(ovn))
}

/// The version-4 id of a new implicit subscription.
pub(crate) fn new_subscription_id() -> SubscriptionId {
    SubscriptionId(Uuid::new_v4())
}
