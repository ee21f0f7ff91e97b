//! The JSON of the F3548 DSS API (`../shared/specs/utm.yaml`, `components/schemas`), and its
//! translation to and from the service's DSS values. Undeclared fields are ignored and a `null`
//! object is the same as a missing one, as the standard says.

use chrono::{DateTime, SecondsFormat, Utc};
use deconflict_core::{FootprintSpec, OperationState};
use deconflict_service::dss::{
    Availability, AvailabilityStatus, ConstraintRefView, DssSubscriptionView, DssVolume,
    NULL_SUBSCRIPTION, OirView, SubscriberGroup,
};
use serde::{Deserialize, Serialize};

/// What a non-manager sees in place of an OVN (the reference DSS's wording): the OVN is
/// obtained from the managing USS.
pub const NO_OVN: &str = "Available from USS";

/// `Time`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Time {
    /// RFC 3339.
    pub value: String,
    /// Always `RFC3339`.
    pub format: String,
}

impl Time {
    pub(crate) fn of(t: DateTime<Utc>) -> Self {
        Self {
            value: t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            format: "RFC3339".into(),
        }
    }

    fn parse(&self, field: &str) -> Result<DateTime<Utc>, String> {
        if self.format != "RFC3339" {
            return Err(format!(
                "{field}.format must be \"RFC3339\", got {:?}",
                self.format
            ));
        }
        DateTime::parse_from_rfc3339(&self.value)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                format!(
                    "{field}.value {:?} is not an RFC 3339 time: {e}",
                    self.value
                )
            })
    }
}

/// `Altitude`.
#[derive(Debug, Clone, Deserialize)]
pub struct Altitude {
    /// Metres.
    pub value: f64,
    /// Must be `W84`.
    pub reference: String,
    /// Must be `M`.
    pub units: String,
}

impl Altitude {
    fn metres(&self, field: &str) -> Result<f64, String> {
        if self.reference != "W84" {
            return Err(format!(
                "{field}.reference must be \"W84\", got {:?}",
                self.reference
            ));
        }
        if self.units != "M" {
            return Err(format!("{field}.units must be \"M\", got {:?}", self.units));
        }
        if !(-8000.0..=100_000.0).contains(&self.value) {
            return Err(format!(
                "{field}.value must be between -8000 and 100000 metres, got {}",
                self.value
            ));
        }
        Ok(self.value)
    }
}

/// `LatLngPoint`.
#[derive(Debug, Clone, Deserialize)]
pub struct LatLngPoint {
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lng: f64,
}

/// `Polygon`.
#[derive(Debug, Clone, Deserialize)]
pub struct Polygon {
    /// At least three.
    pub vertices: Vec<LatLngPoint>,
}

/// `Radius`.
#[derive(Debug, Clone, Deserialize)]
pub struct Radius {
    /// Metres.
    pub value: f64,
    /// Must be `M`.
    pub units: String,
}

/// `Circle`.
#[derive(Debug, Clone, Deserialize)]
pub struct Circle {
    /// Centre.
    pub center: Option<LatLngPoint>,
    /// Radius.
    pub radius: Option<Radius>,
}

/// `Volume3D`.
#[derive(Debug, Clone, Deserialize)]
pub struct Volume3D {
    /// A circle, or
    pub outline_circle: Option<Circle>,
    /// a polygon.
    pub outline_polygon: Option<Polygon>,
    /// Lower bound.
    pub altitude_lower: Option<Altitude>,
    /// Upper bound.
    pub altitude_upper: Option<Altitude>,
}

/// `Volume4D`.
#[derive(Debug, Clone, Deserialize)]
pub struct Volume4D {
    /// Where.
    pub volume: Option<Volume3D>,
    /// From.
    pub time_start: Option<Time>,
    /// Until.
    pub time_end: Option<Time>,
}

impl Volume4D {
    /// The service's volume; the wire rules (units, references, formats, one outline) checked.
    pub fn to_dss(&self, field: &str) -> Result<DssVolume, String> {
        let volume = self
            .volume
            .as_ref()
            .ok_or_else(|| format!("{field}.volume: missing"))?;
        let footprint = match (&volume.outline_polygon, &volume.outline_circle) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{field}.volume: give outline_polygon or outline_circle, not both"
                ));
            }
            (Some(p), None) => Some(FootprintSpec::Polygon {
                vertices: p.vertices.iter().map(|v| [v.lng, v.lat]).collect(),
            }),
            (None, Some(c)) => {
                let center = c
                    .center
                    .as_ref()
                    .ok_or_else(|| format!("{field}.volume.outline_circle.center: missing"))?;
                let radius = c
                    .radius
                    .as_ref()
                    .ok_or_else(|| format!("{field}.volume.outline_circle.radius: missing"))?;
                if radius.units != "M" {
                    return Err(format!(
                        "{field}.volume.outline_circle.radius.units must be \"M\", got {:?}",
                        radius.units
                    ));
                }
                Some(FootprintSpec::Circle {
                    center: [center.lng, center.lat],
                    radius_m: radius.value,
                })
            }
            (None, None) => None,
        };
        let altitude = |a: &Option<Altitude>, name: &str| {
            a.as_ref()
                .map(|a| a.metres(&format!("{field}.volume.{name}")))
                .transpose()
        };
        let time = |t: &Option<Time>, name: &str| {
            t.as_ref()
                .map(|t| t.parse(&format!("{field}.{name}")))
                .transpose()
        };
        Ok(DssVolume {
            footprint,
            altitude_lower_m: altitude(&volume.altitude_lower, "altitude_lower")?,
            altitude_upper_m: altitude(&volume.altitude_upper, "altitude_upper")?,
            time_start: time(&self.time_start, "time_start")?,
            time_end: time(&self.time_end, "time_end")?,
        })
    }
}

/// Every extent of a request, translated.
pub fn extents(extents: &[Volume4D]) -> Result<Vec<DssVolume>, String> {
    extents
        .iter()
        .enumerate()
        .map(|(i, v)| v.to_dss(&format!("extents[{i}]")))
        .collect()
}

/// `ErrorResponse` (and, with the lists, `AirspaceConflictResponse`).
#[derive(Debug, Serialize)]
pub struct ErrorResponse {
    /// What went wrong.
    pub message: String,
    /// Operational intents whose OVN the key lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_operational_intents: Option<Vec<OperationalIntentReference>>,
    /// Constraints whose OVN the key lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_constraints: Option<Vec<ConstraintReference>>,
}

/// `OperationalIntentReference`.
#[derive(Debug, Serialize)]
pub struct OperationalIntentReference {
    id: String,
    manager: String,
    uss_availability: Availability,
    version: u64,
    state: OperationState,
    ovn: String,
    time_start: Time,
    time_end: Time,
    uss_base_url: String,
    subscription_id: String,
}

impl From<&OirView> for OperationalIntentReference {
    fn from(v: &OirView) -> Self {
        Self {
            id: v.id.to_string(),
            manager: v.manager.to_string(),
            uss_availability: v.uss_availability,
            version: v.version,
            state: v.state,
            ovn: v
                .ovn
                .as_ref()
                .map_or_else(|| NO_OVN.into(), |o| o.0.clone()),
            time_start: Time::of(v.time_start),
            time_end: Time::of(v.time_end),
            uss_base_url: v.uss_base_url.clone(),
            subscription_id: v
                .subscription_id
                .map_or(NULL_SUBSCRIPTION, |s| s.0)
                .to_string(),
        }
    }
}

/// `ConstraintReference`.
#[derive(Debug, Serialize)]
pub struct ConstraintReference {
    id: String,
    manager: String,
    uss_availability: Availability,
    version: u64,
    ovn: String,
    time_start: Time,
    time_end: Time,
    uss_base_url: String,
}

impl From<&ConstraintRefView> for ConstraintReference {
    fn from(v: &ConstraintRefView) -> Self {
        Self {
            id: v.id.to_string(),
            manager: v.manager.to_string(),
            uss_availability: v.uss_availability,
            version: v.version,
            ovn: v
                .ovn
                .as_ref()
                .map_or_else(|| NO_OVN.into(), |o| o.0.clone()),
            time_start: Time::of(v.time_start),
            time_end: Time::of(v.time_end),
            uss_base_url: v.uss_base_url.clone(),
        }
    }
}

/// `SubscriptionState`.
#[derive(Debug, Serialize)]
pub struct SubscriptionState {
    subscription_id: String,
    notification_index: u64,
}

/// `SubscriberToNotify`.
#[derive(Debug, Serialize)]
pub struct SubscriberToNotify {
    subscriptions: Vec<SubscriptionState>,
    uss_base_url: String,
}

/// The `subscribers` of a change response.
pub fn subscribers(groups: &[SubscriberGroup]) -> Vec<SubscriberToNotify> {
    groups
        .iter()
        .map(|g| SubscriberToNotify {
            uss_base_url: g.uss_base_url.clone(),
            subscriptions: g
                .subscriptions
                .iter()
                .map(|(id, index)| SubscriptionState {
                    subscription_id: id.to_string(),
                    notification_index: *index,
                })
                .collect(),
        })
        .collect()
}

/// `Subscription`.
#[derive(Debug, Serialize)]
pub struct Subscription {
    id: String,
    version: String,
    notification_index: u64,
    time_start: Time,
    time_end: Time,
    uss_base_url: String,
    notify_for_operational_intents: bool,
    notify_for_constraints: bool,
    implicit_subscription: bool,
    dependent_operational_intents: Vec<String>,
}

impl From<&DssSubscriptionView> for Subscription {
    fn from(s: &DssSubscriptionView) -> Self {
        Self {
            id: s.id.to_string(),
            version: s.version.clone(),
            notification_index: s.notification_index,
            time_start: Time::of(s.time_start),
            time_end: Time::of(s.time_end),
            uss_base_url: s.uss_base_url.clone(),
            notify_for_operational_intents: s.notify_for_operational_intents,
            notify_for_constraints: s.notify_for_constraints,
            implicit_subscription: s.implicit_subscription,
            dependent_operational_intents: s
                .dependent_operational_intents
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// `UssAvailabilityStatusResponse`.
#[derive(Debug, Serialize)]
pub struct UssAvailabilityStatusResponse {
    status: UssAvailabilityStatus,
    version: String,
}

/// `UssAvailabilityStatus`.
#[derive(Debug, Serialize)]
struct UssAvailabilityStatus {
    uss: String,
    availability: Availability,
}

impl From<AvailabilityStatus> for UssAvailabilityStatusResponse {
    fn from(s: AvailabilityStatus) -> Self {
        Self {
            status: UssAvailabilityStatus {
                uss: s.uss,
                availability: s.availability,
            },
            version: s.version,
        }
    }
}

/// `ImplicitSubscriptionParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct ImplicitSubscriptionParameters {
    /// Where other USSs notify.
    pub uss_base_url: Option<String>,
    /// Hear of constraints too.
    pub notify_for_constraints: Option<bool>,
}

/// `PutOperationalIntentReferenceParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct PutOperationalIntentReferenceParameters {
    /// Where and when.
    pub extents: Option<Vec<Volume4D>>,
    /// OVNs seen.
    pub key: Option<Vec<String>>,
    /// State.
    pub state: Option<String>,
    /// Details.
    pub uss_base_url: Option<String>,
    /// Existing subscription.
    pub subscription_id: Option<String>,
    /// Or a new implicit one.
    pub new_subscription: Option<ImplicitSubscriptionParameters>,
    /// The OVN suffix requested (the InterUSS revision of the API).
    pub requested_ovn_suffix: Option<String>,
}

/// `PutConstraintReferenceParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct PutConstraintReferenceParameters {
    /// Where and when.
    pub extents: Option<Vec<Volume4D>>,
    /// Details.
    pub uss_base_url: Option<String>,
    /// The OVN suffix requested (the InterUSS revision of the API).
    pub requested_ovn_suffix: Option<String>,
}

/// `PutSubscriptionParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct PutSubscriptionParameters {
    /// Where and when.
    pub extents: Option<Volume4D>,
    /// Where other USSs notify.
    pub uss_base_url: Option<String>,
    /// Hear of operational intents.
    pub notify_for_operational_intents: Option<bool>,
    /// Hear of constraints.
    pub notify_for_constraints: Option<bool>,
}

/// The `Query*Parameters` of the three query endpoints.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryParameters {
    /// The area.
    pub area_of_interest: Option<Volume4D>,
}

/// `SetUssAvailabilityStatusParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct SetUssAvailabilityStatusParameters {
    /// The version to replace (`""` the first time, the standard's default when it is missing);
    /// a string, never `null` (the schema does not allow it).
    #[serde(default, deserialize_with = "present")]
    pub old_version: Option<serde_json::Value>,
    /// The new availability.
    pub availability: Option<String>,
}

/// The state named on the wire.
pub fn state(s: &str) -> Result<OperationState, String> {
    match s {
        "Accepted" => Ok(OperationState::Accepted),
        "Activated" => Ok(OperationState::Activated),
        "Nonconforming" => Ok(OperationState::Nonconforming),
        "Contingent" => Ok(OperationState::Contingent),
        other => Err(format!(
            "Invalid OperationalIntent state {other:?}: one of Accepted, Activated, \
             Nonconforming, Contingent"
        )),
    }
}

/// A field that is present, `null` included (serde reads a `null` `Option` as missing).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// The `old_version` of an availability change: a string, `""` when missing.
pub fn old_version(v: Option<serde_json::Value>) -> Result<String, String> {
    match v {
        None => Ok(String::new()),
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(other) => Err(format!("old_version must be a string, got {other}")),
    }
}

/// The availability named on the wire, in any case (the reference DSS and the tools that talk
/// to it send `normal`); answers name it in the standard's case.
pub fn availability(s: &str) -> Result<Availability, String> {
    match s.to_ascii_lowercase().as_str() {
        "unknown" => Ok(Availability::Unknown),
        "normal" => Ok(Availability::Normal),
        "down" => Ok(Availability::Down),
        other => Err(format!(
            "Invalid availability {other:?}: one of Unknown, Normal, Down"
        )),
    }
}

/// `ExchangeRecord`, as the standard declares it. Its `required` list also names a
/// `request_source` that its properties do not declare: kept when given (a string), not
/// required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeRecord {
    /// Full URL of the request.
    pub url: String,
    /// Who made the request (named in the standard's `required` list only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_source: Option<String>,
    /// HTTP verb.
    pub method: String,
    /// Headers of the request or response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<String>>,
    /// `Client` or `Server`.
    pub recorder_role: RecorderRole,
    /// When the request was sent or received.
    pub request_time: Time,
    /// Base64 request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// When the response was sent or received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_time: Option<Time>,
    /// Base64 response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// HTTP status of the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_code: Option<i32>,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// `ExchangeRecord.recorder_role`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum RecorderRole {
    /// The logging USS made the request.
    Client,
    /// The logging USS handled it.
    Server,
}

/// `ErrorReport` as submitted (its `report_id` is the server's to assign and is ignored).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorReport {
    /// The exchange reported.
    pub exchange: ExchangeRecord,
}

impl ErrorReport {
    /// Checks the times (`Time` objects in RFC 3339).
    pub fn check(&self) -> Result<(), String> {
        self.exchange.request_time.parse("exchange.request_time")?;
        if let Some(t) = &self.exchange.response_time {
            t.parse("exchange.response_time")?;
        }
        Ok(())
    }
}
