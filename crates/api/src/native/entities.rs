//! Operations and zones: file, read, withdraw, find, and their conflicts.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use deconflict_core::EntityKind;
use deconflict_service::{Caller, PutEntity};
use deconflict_store::Store;
use uuid::Uuid;

use super::dto::*;
use super::entity_id;
use super::error::{ApiError, ProblemJson};
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
    WriteConflict,
};
use super::{run, status};
use crate::{AppState, Authenticated};

fn conflicts_and_notified(
    outcome: &deconflict_service::WriteOutcome,
) -> (Vec<ConflictJson>, Vec<NotifiedJson>) {
    (
        outcome.conflicts.iter().map(Into::into).collect(),
        outcome.notified.iter().map(Into::into).collect(),
    )
}

/// File or change an operation.
///
/// Without `ovn` the operation is created (201; 409 if the id is taken); with `ovn`, its current
/// OVN, it is replaced (200; 409 if it has changed since). A write in state `Accepted` or
/// `Activated` must name in `key` the current OVN of every operation in those states and every
/// zone that it intersects (the key rule); otherwise nothing is written and the answer is 409
/// "Airspace conflict", listing them in `missing_ovns` and `missing`. The answer lists the
/// entities the operation intersects and the subscriptions told.
#[utoipa::path(
    put,
    path = "/v1/operations/{id}",
    tag = "operations",
    params(("id" = Uuid, Path, description = "The operation's id, chosen by its owner")),
    request_body = PutOperationJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Created", body = OperationWrittenJson),
        (status = 200, description = "Replaced", body = OperationWrittenJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "An `ovn` was given but there is no such operation",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 409, description = "\"Airspace conflict\": the key lacks the current OVN of \
            intersecting entities, listed in `missing_ovns` (and, as the caller may see them, in \
            `missing`): read them, then retry with these OVNs in `key`. Or \"Already exists\", \
            \"Version mismatch\" or \"Kind changed\" (compare-and-swap).",
            body = ProblemJson, content_type = "application/problem+json",
            example = json!({
                "type": "about:blank",
                "title": "Airspace conflict",
                "status": 409,
                "detail": "the key lacks the current OVN of 1 intersecting entities: read them, \
                    then retry with their OVNs in the key",
                "missing_ovns": ["0b6a3c1e5d0f4d7c9a1b2c3d4e5f6a7b"],
                "missing": [{ "with": { "id": "dec00000-0000-0000-0000-000000000002",
                    "owner": "northern-air-force", "entity": "operation", "state": "Accepted",
                    "priority": 0, "ovn": "0b6a3c1e5d0f4d7c9a1b2c3d4e5f6a7b", "version": 1,
                    "disclosure": "coarse", "coarse_volumes": [] }, "pairs": [] }]
            })),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn put_operation<S: Store>(
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
        exemption: b.exemption.map(Into::into),
    };
    let outcome = run(&state.service, move |s| s.put_entity(&caller, req)).await?;
    let (conflicts, notified) = conflicts_and_notified(&outcome);
    let written = OperationWrittenJson {
        operation: EntityJson::from(&outcome.entity),
        conflicts,
        notified,
    };
    Ok((status(created), Json(written)).into_response())
}

/// File or change a zone.
///
/// Without `ovn` the zone is created (201; 409 if the id is taken); with `ovn`, its current OVN,
/// it is replaced (200; 409 if it has changed since). Zones need no key; operations filed later
/// over them must name them in theirs. The answer lists the entities the zone intersects and the
/// subscriptions told.
#[utoipa::path(
    put,
    path = "/v1/zones/{id}",
    tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id, chosen by its owner")),
    request_body = PutZoneJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Created", body = ZoneWrittenJson),
        (status = 200, description = "Replaced", body = ZoneWrittenJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "An `ovn` was given but there is no such zone",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 409, response = WriteConflict),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn put_zone<S: Store>(
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
        exemption: None,
    };
    let outcome = run(&state.service, move |s| s.put_entity(&caller, req)).await?;
    let (conflicts, notified) = conflicts_and_notified(&outcome);
    let written = ZoneWrittenJson {
        zone: EntityJson::from(&outcome.entity),
        conflicts,
        notified,
    };
    Ok((status(created), Json(written)).into_response())
}

async fn get_entity<S: Store>(
    state: AppState<S>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<EntityJson>, ApiError> {
    let id = entity_id(path)?;
    let view = run(&state.service, move |s| s.get_entity(&caller, id)).await?;
    Ok(Json(EntityJson::from(&view)))
}

/// Read an operation.
///
/// In full (`volumes`) for its owner and the parties it granted full disclosure; otherwise
/// coarse (`coarse_volumes`: H3 cells, exact window and band).
#[utoipa::path(
    get,
    path = "/v1/operations/{id}",
    tag = "operations",
    params(("id" = Uuid, Path, description = "The operation's id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The operation as the caller may see it", body = EntityJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_operation<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<EntityJson>, ApiError> {
    get_entity(state, caller, path).await
}

/// Read a zone.
///
/// Zones are always disclosed in full.
#[utoipa::path(
    get,
    path = "/v1/zones/{id}",
    tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The zone", body = EntityJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_zone<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<EntityJson>, ApiError> {
    get_entity(state, caller, path).await
}

async fn delete_entity<S: Store>(
    state: AppState<S>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<OvnParam>, QueryRejection>,
) -> Result<Json<DeletedJson>, ApiError> {
    let id = entity_id(path)?;
    let Query(OvnParam { ovn }) = q?;
    let out = run(&state.service, move |s| s.delete_entity(&caller, id, ovn)).await?;
    Ok(Json(DeletedJson {
        deleted: EntityJson::from(&out.entity),
        notified: out.notified.iter().map(Into::into).collect(),
    }))
}

/// Withdraw an operation.
///
/// Compare-and-swap on `?ovn=`, its current OVN. Subscribers are told.
#[utoipa::path(
    delete,
    path = "/v1/operations/{id}",
    tag = "operations",
    params(("id" = Uuid, Path, description = "The operation's id"), OvnParam),
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Withdrawn", body = DeletedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = WriteConflict),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn delete_operation<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<OvnParam>, QueryRejection>,
) -> Result<Json<DeletedJson>, ApiError> {
    delete_entity(state, caller, path, q).await
}

/// Withdraw a zone.
///
/// Compare-and-swap on `?ovn=`, its current OVN. Subscribers are told.
#[utoipa::path(
    delete,
    path = "/v1/zones/{id}",
    tag = "zones",
    params(("id" = Uuid, Path, description = "The zone's id"), OvnParam),
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Withdrawn", body = DeletedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = WriteConflict),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn delete_zone<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    q: Result<Query<OvnParam>, QueryRejection>,
) -> Result<Json<DeletedJson>, ApiError> {
    delete_entity(state, caller, path, q).await
}

async fn conflicts<S: Store>(
    state: AppState<S>,
    caller: Caller,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ConflictsJson>, ApiError> {
    let id = entity_id(path)?;
    let cs = run(&state.service, move |s| s.conflicts(&caller, id)).await?;
    Ok(Json(ConflictsJson {
        conflicts: cs.iter().map(Into::into).collect(),
    }))
}

/// The conflicts of one's own operation.
///
/// Every entity it intersects now, as the caller may see it, with where and when they meet.
#[utoipa::path(
    get,
    path = "/v1/operations/{id}/conflicts",
    tag = "operations",
    params(("id" = Uuid, Path, description = "The id of one of the caller's operations")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Its conflicts", body = ConflictsJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn operation_conflicts<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ConflictsJson>, ApiError> {
    conflicts(state, caller, path).await
}

/// The conflicts of one's own zone.
///
/// Every entity it intersects now, as the caller may see it, with where and when they meet.
#[utoipa::path(
    get,
    path = "/v1/zones/{id}/conflicts",
    tag = "zones",
    params(("id" = Uuid, Path, description = "The id of one of the caller's zones")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Its conflicts", body = ConflictsJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn zone_conflicts<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ConflictsJson>, ApiError> {
    conflicts(state, caller, path).await
}

async fn query<S: Store>(
    state: AppState<S>,
    caller: Caller,
    body: Result<Json<QueryJson>, JsonRejection>,
    operations: bool,
) -> Result<Vec<EntityJson>, ApiError> {
    let Json(q) = body?;
    let found = run(&state.service, move |s| s.query(&caller, &q.volumes)).await?;
    Ok(found
        .iter()
        .filter(|v| matches!(v.kind, EntityKind::Operation { .. }) == operations)
        .map(Into::into)
        .collect())
}

/// Find the operations in an area and window.
///
/// Every operation intersecting any of the volumes, as the caller may see it: the answer to read
/// before filing, whose OVNs go in the key.
#[utoipa::path(
    post,
    path = "/v1/operations/query",
    tag = "operations",
    request_body = QueryJson,
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The operations found", body = OperationsJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn query_operations<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<QueryJson>, JsonRejection>,
) -> Result<Json<OperationsJson>, ApiError> {
    let operations = query(state, caller, body, true).await?;
    Ok(Json(OperationsJson { operations }))
}

/// Find the zones in an area and window.
///
/// Every zone intersecting any of the volumes.
#[utoipa::path(
    post,
    path = "/v1/zones/query",
    tag = "zones",
    request_body = QueryJson,
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The zones found", body = ZonesJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn query_zones<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<QueryJson>, JsonRejection>,
) -> Result<Json<ZonesJson>, ApiError> {
    let zones = query(state, caller, body, false).await?;
    Ok(Json(ZonesJson { zones }))
}
