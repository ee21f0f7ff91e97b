//! The native API, `/v1`: each handler authenticates, translates JSON to a service request, runs
//! the use case on a blocking thread, and translates the outcome back. No rule lives here.

pub mod dto;
pub mod error;

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use deconflict_core::{EntityId, EntityKind, PartyId, SubscriptionId};
use deconflict_service::{Caller, PutEntity, PutSubscription, Service, ServiceError};
use deconflict_store::Store;
use serde_json::json;
use uuid::Uuid;

use crate::AppState;
use crate::Authenticated;
use dto::*;
use error::ApiError;

/// Runs a use case on a blocking thread (the store blocks on disk).
async fn run<S: Store, T: Send + 'static>(
    service: &Arc<Service<S>>,
    f: impl FnOnce(&Service<S>) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| ApiError::Internal(format!("use case task failed: {e}")))?
        .map_err(ApiError::from)
}

fn entity_id(p: Result<Path<Uuid>, PathRejection>) -> Result<EntityId, ApiError> {
    Ok(EntityId(p?.0))
}

/// The routes of `/v1`.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/v1/operations/{id}",
            put(put_operation::<S>)
                .get(get_entity::<S>)
                .delete(delete_entity::<S>),
        )
        .route("/v1/operations/{id}/conflicts", get(conflicts::<S>))
        .route("/v1/operations/query", post(query_operations::<S>))
        .route(
            "/v1/zones/{id}",
            put(put_zone::<S>)
                .get(get_entity::<S>)
                .delete(delete_entity::<S>),
        )
        .route("/v1/zones/{id}/conflicts", get(conflicts::<S>))
        .route("/v1/zones/query", post(query_zones::<S>))
        .route("/v1/parties", get(list_parties::<S>))
        .route("/v1/parties/{id}", put(put_party::<S>))
        .route("/v1/parties/{id}/disclosure", put(put_disclosure::<S>))
        .route("/v1/subscriptions", get(list_subscriptions::<S>))
        .route(
            "/v1/subscriptions/{id}",
            put(put_subscription::<S>)
                .get(get_subscription::<S>)
                .delete(delete_subscription::<S>),
        )
        .route("/v1/inbox", get(inbox::<S>))
        .route("/v1/inbox/{id}/ack", post(ack::<S>))
}

fn written(created: bool, outcome: deconflict_service::WriteOutcome, name: &str) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let conflicts: Vec<ConflictJson> = outcome.conflicts.iter().map(Into::into).collect();
    let notified: Vec<NotifiedJson> = outcome.notified.iter().map(Into::into).collect();
    (
        status,
        Json(json!({
            name: EntityJson::from(&outcome.entity),
            "conflicts": conflicts,
            "notified": notified,
        })),
    )
        .into_response()
}

async fn put_operation<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PutOperationJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = entity_id(path)?;
    let Json(b) = body?;
    let created = b.ovn.is_none();
    let req = PutEntity {
        id,
        kind: EntityKind::Operation {
            state: b.state,
            priority: b.priority,
        },
        volumes: b.volumes,
        expected_ovn: b.ovn,
        key: b.key,
    };
    let outcome = run(&state.service, move |s| s.put_entity(&caller, req)).await?;
    Ok(written(created, outcome, "operation"))
}

async fn put_zone<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PutZoneJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = entity_id(path)?;
    let Json(b) = body?;
    let created = b.ovn.is_none();
    let req = PutEntity {
        id,
        kind: EntityKind::Zone(b.zone_kind),
        volumes: b.volumes,
        expected_ovn: b.ovn,
        key: Vec::new(),
    };
    let outcome = run(&state.service, move |s| s.put_entity(&caller, req)).await?;
    Ok(written(created, outcome, "zone"))
}

async fn get_entity<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<EntityJson>, ApiError> {
    let id = entity_id(path)?;
    let view = run(&state.service, move |s| s.get_entity(&caller, id)).await?;
    Ok(Json(EntityJson::from(&view)))
}

async fn delete_entity<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<OvnParam>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = entity_id(path)?;
    let Query(OvnParam { ovn }) = q?;
    let out = run(&state.service, move |s| s.delete_entity(&caller, id, ovn)).await?;
    let notified: Vec<NotifiedJson> = out.notified.iter().map(Into::into).collect();
    Ok(Json(
        json!({ "deleted": EntityJson::from(&out.entity), "notified": notified }),
    ))
}

async fn conflicts<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = entity_id(path)?;
    let cs = run(&state.service, move |s| s.conflicts(&caller, id)).await?;
    let cs: Vec<ConflictJson> = cs.iter().map(Into::into).collect();
    Ok(Json(json!({ "conflicts": cs })))
}

async fn query<S: Store>(
    state: AppState<S>,
    caller: Caller,
    body: Result<Json<QueryJson>, JsonRejection>,
    operations: bool,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(q) = body?;
    let found = run(&state.service, move |s| s.query(&caller, &q.volumes)).await?;
    let found: Vec<EntityJson> = found
        .iter()
        .filter(|v| matches!(v.kind, EntityKind::Operation { .. }) == operations)
        .map(Into::into)
        .collect();
    let name = if operations { "operations" } else { "zones" };
    Ok(Json(json!({ name: found })))
}

async fn query_operations<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<QueryJson>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    query(state, caller, body, true).await
}

async fn query_zones<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<QueryJson>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    query(state, caller, body, false).await
}

fn party_id(p: Result<Path<String>, PathRejection>) -> Result<PartyId, ApiError> {
    let Path(raw) = p?;
    PartyId::new(raw).map_err(|e| ApiError::Service(ServiceError::Invalid(e)))
}

async fn list_parties<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    let ps = run(&state.service, move |s| s.parties(&caller)).await?;
    let ps: Vec<PartyJson> = ps.iter().map(Into::into).collect();
    Ok(Json(json!({ "parties": ps })))
}

async fn put_party<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<PutPartyJson>, JsonRejection>,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    let Json(b) = body?;
    let p = run(&state.service, move |s| s.put_party(&caller, id, b.name)).await?;
    Ok(Json(PartyJson::from(&p)))
}

async fn put_disclosure<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<DisclosureJson>, JsonRejection>,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    if id != caller.party {
        return Err(ApiError::Service(ServiceError::Forbidden(
            "a party sets only its own disclosure".into(),
        )));
    }
    let Json(b) = body?;
    let p = run(&state.service, move |s| {
        s.grant_disclosure(&caller, b.full_disclosure_to)
    })
    .await?;
    Ok(Json(PartyJson::from(&p)))
}

fn subscription_id(p: Result<Path<Uuid>, PathRejection>) -> Result<SubscriptionId, ApiError> {
    Ok(SubscriptionId(p?.0))
}

async fn put_subscription<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PutSubscriptionJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = subscription_id(path)?;
    let Json(b) = body?;
    let created = b.version.is_none();
    let req = PutSubscription {
        id,
        volumes: b.volumes,
        callback_url: b.callback_url,
        notify_operations: b.notify_operations,
        notify_zones: b.notify_zones,
        expected_version: b.version,
    };
    let sub = run(&state.service, move |s| s.put_subscription(&caller, req)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(SubscriptionJson::from(&sub))).into_response())
}

async fn get_subscription<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    let id = subscription_id(path)?;
    let sub = run(&state.service, move |s| s.get_subscription(&caller, id)).await?;
    Ok(Json(SubscriptionJson::from(&sub)))
}

async fn delete_subscription<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<VersionParam>, QueryRejection>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    let id = subscription_id(path)?;
    let Query(VersionParam { version }) = q?;
    let sub = run(&state.service, move |s| {
        s.delete_subscription(&caller, id, version)
    })
    .await?;
    Ok(Json(SubscriptionJson::from(&sub)))
}

async fn list_subscriptions<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    let subs = run(&state.service, move |s| s.list_subscriptions(&caller)).await?;
    let subs: Vec<SubscriptionJson> = subs.iter().map(Into::into).collect();
    Ok(Json(json!({ "subscriptions": subs })))
}

async fn inbox<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    q: Result<Query<AfterParam>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(AfterParam { after }) = q?;
    let notes = run(&state.service, move |s| s.inbox(&caller, after)).await?;
    Ok(Json(json!({ "notifications": notes })))
}

async fn ack<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Json<NotificationJson>, ApiError> {
    let Path(id) = path?;
    let note = run(&state.service, move |s| s.acknowledge(&caller, id)).await?;
    Ok(Json(note))
}
