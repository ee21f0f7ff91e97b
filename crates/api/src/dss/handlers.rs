//! One handler per DSS operation (`operationId` in the standard's OpenAPI).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use deconflict_core::{EntityId, Ovn, SubscriptionId};
use deconflict_service::dss::{
    self as dss, ImplicitSubscription, PutDssSubscription, PutOperationalIntent, SubscriptionPut,
};
use deconflict_store::Store;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::wire::{self, ConstraintReference, OperationalIntentReference, Subscription};
use super::{DssApiError, DssCaller, run};
use crate::AppState;

const TOO_LARGE: StatusCode = StatusCode::PAYLOAD_TOO_LARGE;
const BAD: StatusCode = StatusCode::BAD_REQUEST;

/// Refuses a token without one of the endpoint's scopes before reading its input (the use case
/// checks again).
fn scopes(caller: &deconflict_service::Caller, any: &[&str]) -> Result<(), DssApiError> {
    dss::require_any(caller, any).map_err(|error| DssApiError::Service {
        error,
        area_too_large: BAD,
    })
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, DssApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| DssApiError::BadRequest(format!("Malformed params: {e}")))
}

pub(super) fn uuid(what: &str, s: &str) -> Result<Uuid, DssApiError> {
    Uuid::parse_str(s)
        .map_err(|_| DssApiError::BadRequest(format!("Invalid ID format: {what} {s:?}")))
}

fn required<T>(field: &str, v: Option<T>) -> Result<T, DssApiError> {
    v.ok_or_else(|| DssApiError::BadRequest(format!("Missing required {field}")))
}

fn ovn(s: String) -> Result<Ovn, DssApiError> {
    if s.is_empty() {
        return Err(DssApiError::BadRequest("Missing OVN".into()));
    }
    Ok(Ovn(s))
}

fn created(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

fn oir_change(c: &deconflict_service::dss::Changed<deconflict_service::dss::OirView>) -> Response {
    (
        created(c.created),
        Json(json!({
            "subscribers": wire::subscribers(&c.subscribers),
            "operational_intent_reference": OperationalIntentReference::from(&c.reference),
        })),
    )
        .into_response()
}

fn constraint_change(
    c: &deconflict_service::dss::Changed<deconflict_service::dss::ConstraintRefView>,
) -> Response {
    (
        created(c.created),
        Json(json!({
            "subscribers": wire::subscribers(&c.subscribers),
            "constraint_reference": ConstraintReference::from(&c.reference),
        })),
    )
        .into_response()
}

fn query_area(bytes: &Bytes) -> Result<Option<deconflict_service::dss::DssVolume>, DssApiError> {
    let params: wire::QueryParameters = body(bytes)?;
    params
        .area_of_interest
        .map(|a| a.to_dss("area_of_interest"))
        .transpose()
        .map_err(DssApiError::BadRequest)
}

// ---- operational intent references ----

pub(super) async fn query_oirs<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::OIR_SCOPES)?;
    let area = query_area(&bytes)?;
    let found = run(&state.service, TOO_LARGE, move |s| {
        s.dss_query_operational_intents(&caller, area.as_ref())
    })
    .await?;
    let refs: Vec<_> = found.iter().map(OperationalIntentReference::from).collect();
    Ok(Json(json!({ "operational_intent_references": refs })).into_response())
}

pub(super) async fn get_oir<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::OIR_SCOPES)?;
    let id = EntityId(uuid("entity id", &id)?);
    let found = run(&state.service, BAD, move |s| {
        s.dss_get_operational_intent(&caller, id)
    })
    .await?;
    Ok(Json(json!({
        "operational_intent_reference": OperationalIntentReference::from(&found)
    }))
    .into_response())
}

async fn put_oir<S: Store>(
    state: AppState<S>,
    caller: deconflict_service::Caller,
    id: String,
    ovn_: Option<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    let id = EntityId(uuid("entity id", &id)?);
    let ovn_ = ovn_.map(ovn).transpose()?;
    let p: wire::PutOperationalIntentReferenceParameters = body(&bytes)?;
    let extents =
        wire::extents(&required("extents", p.extents)?).map_err(DssApiError::BadRequest)?;
    let state_ = wire::state(&required("state", p.state)?).map_err(DssApiError::BadRequest)?;
    let uss_base_url = required("uss_base_url", p.uss_base_url)?;
    let subscription_id = match p.subscription_id.filter(|s| !s.is_empty()) {
        Some(s) => Some(SubscriptionId(uuid("subscription_id", &s)?)),
        None => None,
    };
    let new_subscription = match p.new_subscription {
        Some(n) => Some(ImplicitSubscription {
            uss_base_url: required("new_subscription.uss_base_url", n.uss_base_url)?,
            notify_for_constraints: n.notify_for_constraints.unwrap_or(false),
        }),
        None => None,
    };
    let req = PutOperationalIntent {
        id,
        ovn: ovn_,
        extents,
        key: p.key.unwrap_or_default().into_iter().map(Ovn).collect(),
        state: state_,
        uss_base_url,
        subscription_id,
        new_subscription,
        requested_ovn_suffix: p.requested_ovn_suffix,
    };
    let changed = run(&state.service, TOO_LARGE, move |s| {
        s.dss_put_operational_intent(&caller, req)
    })
    .await?;
    Ok(oir_change(&changed))
}

pub(super) async fn create_oir<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::OIR_SCOPES)?;
    put_oir(state, caller, id, None, bytes).await
}

pub(super) async fn update_oir<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, ovn_)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::OIR_SCOPES)?;
    put_oir(state, caller, id, Some(ovn_), bytes).await
}

pub(super) async fn delete_oir<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, ovn_)): Path<(String, String)>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::OIR_SCOPES)?;
    let id = EntityId(uuid("entity id", &id)?);
    let ovn_ = ovn(ovn_)?;
    let changed = run(&state.service, BAD, move |s| {
        s.dss_delete_operational_intent(&caller, id, ovn_)
    })
    .await?;
    Ok(oir_change(&changed))
}

// ---- constraint references ----

pub(super) async fn query_constraints<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::CONSTRAINT_READ_SCOPES)?;
    let area = query_area(&bytes)?;
    let found = run(&state.service, TOO_LARGE, move |s| {
        s.dss_query_constraints(&caller, area.as_ref())
    })
    .await?;
    let refs: Vec<_> = found.iter().map(ConstraintReference::from).collect();
    Ok(Json(json!({ "constraint_references": refs })).into_response())
}

pub(super) async fn get_constraint<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::CONSTRAINT_READ_SCOPES)?;
    let id = EntityId(uuid("entity id", &id)?);
    let found = run(&state.service, BAD, move |s| {
        s.dss_get_constraint(&caller, id)
    })
    .await?;
    Ok(Json(json!({ "constraint_reference": ConstraintReference::from(&found) })).into_response())
}

async fn put_constraint<S: Store>(
    state: AppState<S>,
    caller: deconflict_service::Caller,
    id: String,
    ovn_: Option<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    let id = EntityId(uuid("entity id", &id)?);
    let ovn_ = ovn_.map(ovn).transpose()?;
    let p: wire::PutConstraintReferenceParameters = body(&bytes)?;
    let extents =
        wire::extents(&required("extents", p.extents)?).map_err(DssApiError::BadRequest)?;
    let uss_base_url = required("uss_base_url", p.uss_base_url)?;
    let suffix = p.requested_ovn_suffix;
    let changed = run(&state.service, TOO_LARGE, move |s| {
        s.dss_put_constraint(
            &caller,
            id,
            ovn_,
            &extents,
            &uss_base_url,
            suffix.as_deref(),
        )
    })
    .await?;
    Ok(constraint_change(&changed))
}

pub(super) async fn create_constraint<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::CONSTRAINT_WRITE_SCOPES)?;
    put_constraint(state, caller, id, None, bytes).await
}

pub(super) async fn update_constraint<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, ovn_)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::CONSTRAINT_WRITE_SCOPES)?;
    put_constraint(state, caller, id, Some(ovn_), bytes).await
}

pub(super) async fn delete_constraint<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, ovn_)): Path<(String, String)>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::CONSTRAINT_WRITE_SCOPES)?;
    let id = EntityId(uuid("entity id", &id)?);
    let ovn_ = ovn(ovn_)?;
    let changed = run(&state.service, BAD, move |s| {
        s.dss_delete_constraint(&caller, id, ovn_)
    })
    .await?;
    Ok(constraint_change(&changed))
}

// ---- subscriptions ----

fn subscription_put(p: &SubscriptionPut) -> Response {
    let mut body = json!({ "subscription": Subscription::from(&p.subscription) });
    if p.subscription.notify_for_operational_intents {
        body["operational_intent_references"] = json!(
            p.operational_intent_references
                .iter()
                .map(OperationalIntentReference::from)
                .collect::<Vec<_>>()
        );
    }
    if p.subscription.notify_for_constraints {
        body["constraint_references"] = json!(
            p.constraint_references
                .iter()
                .map(ConstraintReference::from)
                .collect::<Vec<_>>()
        );
    }
    Json(body).into_response()
}

async fn put_subscription<S: Store>(
    state: AppState<S>,
    caller: deconflict_service::Caller,
    id: String,
    version: Option<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    let id = SubscriptionId(uuid("subscription id", &id)?);
    let p: wire::PutSubscriptionParameters = body(&bytes)?;
    let extents = required("extents", p.extents)?
        .to_dss("extents")
        .map_err(DssApiError::BadRequest)?;
    let req = PutDssSubscription {
        id,
        version,
        extents,
        uss_base_url: required("uss_base_url", p.uss_base_url)?,
        notify_for_operational_intents: p.notify_for_operational_intents.unwrap_or(false),
        notify_for_constraints: p.notify_for_constraints.unwrap_or(false),
    };
    let put = run(&state.service, BAD, move |s| {
        s.dss_put_subscription(&caller, req)
    })
    .await?;
    Ok(subscription_put(&put))
}

pub(super) async fn create_subscription<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::SUBSCRIPTION_SCOPES)?;
    put_subscription(state, caller, id, None, bytes).await
}

pub(super) async fn update_subscription<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, version)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::SUBSCRIPTION_SCOPES)?;
    put_subscription(state, caller, id, Some(version), bytes).await
}

pub(super) async fn get_subscription<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(id): Path<String>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::SUBSCRIPTION_SCOPES)?;
    let id = SubscriptionId(uuid("subscription id", &id)?);
    let found = run(&state.service, BAD, move |s| {
        s.dss_get_subscription(&caller, id)
    })
    .await?;
    Ok(Json(json!({ "subscription": Subscription::from(&found) })).into_response())
}

pub(super) async fn query_subscriptions<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::SUBSCRIPTION_SCOPES)?;
    let area = query_area(&bytes)?;
    let found = run(&state.service, TOO_LARGE, move |s| {
        s.dss_query_subscriptions(&caller, area.as_ref())
    })
    .await?;
    let subs: Vec<_> = found.iter().map(Subscription::from).collect();
    Ok(Json(json!({ "subscriptions": subs })).into_response())
}

pub(super) async fn delete_subscription<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::SUBSCRIPTION_SCOPES)?;
    let id = SubscriptionId(uuid("subscription id", &id)?);
    if version.is_empty() {
        return Err(DssApiError::BadRequest("Missing version".into()));
    }
    let gone = run(&state.service, BAD, move |s| {
        s.dss_delete_subscription(&caller, id, &version)
    })
    .await?;
    Ok(Json(json!({ "subscription": Subscription::from(&gone) })).into_response())
}

// ---- reports and availability ----

pub(super) async fn make_report<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::REPORT_SCOPES)?;
    let submitted: wire::ErrorReport = body(&bytes)?;
    submitted.check().map_err(DssApiError::BadRequest)?;
    // Only what the schema declares is archived and echoed (never an undeclared `problem: {}`).
    let mut report = serde_json::to_value(&submitted)
        .map_err(|e| DssApiError::Internal(format!("a report as JSON: {e}")))?;
    let archived = report.clone();
    let id = run(&state.service, BAD, move |s| {
        s.dss_make_report(&caller, &archived)
    })
    .await?;
    tracing::info!(report_id = %id, "DSS report archived");
    report["report_id"] = Value::String(id);
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

pub(super) async fn get_availability<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(uss): Path<String>,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::AVAILABILITY_READ_SCOPES)?;
    let status = run(&state.service, BAD, move |s| {
        s.dss_get_availability(&caller, &uss)
    })
    .await?;
    Ok(Json(wire::UssAvailabilityStatusResponse::from(status)).into_response())
}

pub(super) async fn set_availability<S: Store>(
    State(state): State<AppState<S>>,
    DssCaller(caller): DssCaller,
    Path(uss): Path<String>,
    bytes: Bytes,
) -> Result<Response, DssApiError> {
    scopes(&caller, &dss::AVAILABILITY_WRITE_SCOPES)?;
    let p: wire::SetUssAvailabilityStatusParameters = body(&bytes)?;
    let availability = wire::availability(&required("availability", p.availability)?)
        .map_err(DssApiError::BadRequest)?;
    let old_version = wire::old_version(p.old_version).map_err(DssApiError::BadRequest)?;
    let status = run(&state.service, BAD, move |s| {
        s.dss_set_availability(&caller, &uss, &old_version, availability)
    })
    .await?;
    Ok(Json(wire::UssAvailabilityStatusResponse::from(status)).into_response())
}
