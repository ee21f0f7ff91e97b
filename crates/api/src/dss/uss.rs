//! The F3548 USS API of natively filed entities (`/uss/v1/...`, `../shared/specs/utm.yaml`):
//! deconflict is their managing USS, so it answers the detail requests of other USSs,
//! authenticated as the DSS API is, and its deliverer posts their changes
//! ([`notification_body`]). The views are the service's (the disclosure policy's).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use deconflict_core::{EntityId, FootprintSpec, SubscriptionIndex, VolumeSpec};
use deconflict_service::Service;
use deconflict_service::dss::{ConstraintDetails, DssError, OirDetails, UssNotification};
use deconflict_store::Store;
use serde::Serialize;
use serde_json::{Value, json};

use super::handlers::uuid;
use super::wire::{ConstraintReference, OperationalIntentReference, Time};
use super::{DssApiError, DssCaller, run};
use crate::AppState;

/// The routes of `/uss/v1`.
pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/uss/v1/operational_intents/{entityid}",
            get(get_operational_intent::<S>),
        )
        .route("/uss/v1/constraints/{entityid}", get(get_constraint::<S>))
}

/// `LatLngPoint`.
#[derive(Debug, Serialize)]
struct LatLng {
    lat: f64,
    lng: f64,
}

fn lat_lng(p: [f64; 2]) -> LatLng {
    LatLng {
        lat: p[1],
        lng: p[0],
    }
}

fn altitude(m: f64) -> Value {
    json!({"value": m, "reference": "W84", "units": "M"})
}

/// A `Volume4D` of a declared (or coarse) volume.
fn volume(v: &VolumeSpec) -> Value {
    let outline = match &v.footprint {
        FootprintSpec::Polygon { vertices } => json!({
            "outline_polygon": {"vertices": vertices.iter().copied().map(lat_lng).collect::<Vec<_>>()}
        }),
        FootprintSpec::Circle { center, radius_m } => json!({
            "outline_circle": {
                "center": lat_lng(*center),
                "radius": {"value": radius_m, "units": "M"},
            }
        }),
    };
    let mut volume = outline;
    volume["altitude_lower"] = altitude(v.altitude_lower_m);
    volume["altitude_upper"] = altitude(v.altitude_upper_m);
    json!({
        "volume": volume,
        "time_start": Time::of(v.time_start),
        "time_end": Time::of(v.time_end),
    })
}

/// `OperationalIntent`.
fn operational_intent(d: &OirDetails) -> Value {
    json!({
        "reference": OperationalIntentReference::from(&d.reference),
        "details": {
            "volumes": d.volumes.iter().map(volume).collect::<Vec<_>>(),
            "off_nominal_volumes": d.off_nominal_volumes.iter().map(volume).collect::<Vec<_>>(),
            "priority": d.priority,
        },
    })
}

/// `Constraint`; its `type` names the zone's kind (`deconflict.zone.restricted`, ...).
fn constraint(d: &ConstraintDetails) -> Value {
    let kind = serde_json::to_value(d.kind)
        .ok()
        .and_then(|k| k.as_str().map(str::to_owned))
        .unwrap_or_default();
    json!({
        "reference": ConstraintReference::from(&d.reference),
        "details": {
            "volumes": d.volumes.iter().map(volume).collect::<Vec<_>>(),
            "type": format!("deconflict.zone.{kind}"),
        },
    })
}

fn subscription_states(subs: &[SubscriptionIndex]) -> Vec<Value> {
    subs.iter()
        .map(|s| {
            json!({
                "subscription_id": s.subscription.to_string(),
                "notification_index": s.notification_index,
            })
        })
        .collect()
}

/// The body of a notification to post (`PutOperationalIntentDetailsParameters` or
/// `PutConstraintDetailsParameters`); the entity is omitted when it no longer exists.
pub fn notification_body(n: &UssNotification) -> Value {
    let (id_key, id, entity_key, entity, subscriptions) = match n {
        UssNotification::OperationalIntent {
            id,
            details,
            subscriptions,
        } => (
            "operational_intent_id",
            id,
            "operational_intent",
            details.as_ref().map(operational_intent),
            subscriptions,
        ),
        UssNotification::Constraint {
            id,
            details,
            subscriptions,
        } => (
            "constraint_id",
            id,
            "constraint",
            details.as_ref().map(constraint),
            subscriptions,
        ),
    };
    let mut body = json!({
        id_key: id.to_string(),
        "subscriptions": subscription_states(subscriptions),
    });
    if let Some(e) = entity {
        body[entity_key] = e;
    }
    body
}

const BAD: axum::http::StatusCode = axum::http::StatusCode::BAD_REQUEST;

/// Runs the details use case `f` for entity `id` and answers `{key: render(details)}`.
async fn details<S: Store, T: Send + 'static>(
    state: AppState<S>,
    caller: deconflict_service::Caller,
    id: &str,
    key: &str,
    f: fn(&Service<S>, &deconflict_service::Caller, EntityId) -> Result<T, DssError>,
    render: fn(&T) -> Value,
) -> Result<Response, DssApiError> {
    let id = EntityId(uuid("entity id", id)?);
    let d = run(&state.service, BAD, move |s| f(s, &caller, id)).await?;
    Ok(Json(json!({ key: render(&d) })).into_response())
}

async fn get_operational_intent<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
) -> Result<Response, DssApiError> {
    details(
        state,
        caller,
        &id,
        "operational_intent",
        Service::uss_get_operational_intent,
        operational_intent,
    )
    .await
}

async fn get_constraint<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
) -> Result<Response, DssApiError> {
    details(
        state,
        caller,
        &id,
        "constraint",
        Service::uss_get_constraint,
        constraint,
    )
    .await
}
