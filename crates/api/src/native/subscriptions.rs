//! Subscriptions, and the inbox their notifications reach.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use deconflict_core::SubscriptionId;
use deconflict_service::PutSubscription;
use deconflict_store::Store;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::*;
use super::error::{ApiError, ProblemJson};
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
    WriteConflict,
};
use super::schema::NotificationSchema;
use super::{run, status};
use crate::{AppState, Authenticated};

fn subscription_id(p: Result<Path<Uuid>, PathRejection>) -> Result<SubscriptionId, ApiError> {
    Ok(SubscriptionId(p?.0))
}

/// Subscribe to changes in an area, or change a subscription.
///
/// Without `version` the subscription is created (201; 409 if the id is taken); with `version`,
/// its current version, it is replaced (200; 409 if it has changed since). Every later change to
/// an entity intersecting it is notified to the caller's inbox, and POSTed to `callback_url` if
/// given.
#[utoipa::path(
    put,
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "The subscription's id, chosen by its owner")),
    request_body = PutSubscriptionJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Created", body = SubscriptionJson),
        (status = 200, description = "Replaced", body = SubscriptionJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "A `version` was given but there is no such subscription",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 409, response = WriteConflict),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn put_subscription<S: Store>(
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
    Ok((status(created), Json(SubscriptionJson::from(&sub))).into_response())
}

/// Read one's own subscription.
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such subscription of the caller's (another party's \
            subscriptions are not disclosed)",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_subscription<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    let id = subscription_id(path)?;
    let sub = run(&state.service, move |s| s.get_subscription(&caller, id)).await?;
    Ok(Json(SubscriptionJson::from(&sub)))
}

/// Unsubscribe.
///
/// Compare-and-swap on `?version=`, its current version.
#[utoipa::path(
    delete,
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "The subscription's id"), VersionParam),
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The subscription as it was", body = SubscriptionJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = WriteConflict),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn delete_subscription<S: Store>(
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

/// List one's own subscriptions.
#[utoipa::path(
    get,
    path = "/v1/subscriptions",
    tag = "subscriptions",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The caller's subscriptions", body = SubscriptionsJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_subscriptions<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<SubscriptionsJson>, ApiError> {
    let subs = run(&state.service, move |s| s.list_subscriptions(&caller)).await?;
    Ok(Json(SubscriptionsJson {
        subscriptions: subs.iter().map(Into::into).collect(),
    }))
}

/// Read one's inbox.
///
/// The caller's notifications after `?after=`, oldest first, one page at a time: ask again with
/// the last id seen.
#[utoipa::path(
    get,
    path = "/v1/inbox",
    tag = "inbox",
    params(AfterParam),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "A page of notifications", body = InboxJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn inbox<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    q: Result<Query<AfterParam>, QueryRejection>,
) -> Result<Json<InboxJson>, ApiError> {
    let Query(AfterParam { after }) = q?;
    let notifications = run(&state.service, move |s| s.inbox(&caller, after)).await?;
    Ok(Json(InboxJson { notifications }))
}

/// Acknowledge a notification.
///
/// The first acknowledgement's time is kept.
#[utoipa::path(
    post,
    path = "/v1/inbox/{id}/ack",
    tag = "inbox",
    params(("id" = u64, Path, description = "The notification's id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The notification, acknowledged", body = NotificationSchema),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "The caller has no such notification",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn ack<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Json<NotificationJson>, ApiError> {
    let Path(id) = path?;
    let note = run(&state.service, move |s| s.acknowledge(&caller, id)).await?;
    Ok(Json(note))
}

/// An acknowledgement awaited past its deadline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OverdueAcknowledgement)]
pub struct OverdueJson {
    /// The notification awaiting acknowledgement.
    notification: u64,
    /// Its recipient.
    recipient: String,
    /// When it was due.
    due_at: chrono::DateTime<chrono::Utc>,
    /// When the next reminder is due.
    next_reminder_at: chrono::DateTime<chrono::Utc>,
    /// Reminders sent so far.
    escalations: u32,
}

/// Acknowledgements awaited past their deadline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OverdueAcknowledgements)]
pub struct OverdueListJson {
    /// By deadline.
    overdue: Vec<OverdueJson>,
}

fn overdue_list(list: Vec<deconflict_service::hotline::PendingAck>) -> OverdueListJson {
    OverdueListJson {
        overdue: list
            .into_iter()
            .map(|p| OverdueJson {
                notification: p.notification,
                recipient: p.recipient.to_string(),
                due_at: p.due_at,
                next_reminder_at: p.deadline,
                escalations: p.escalations,
            })
            .collect(),
    }
}

/// One's overdue acknowledgements.
///
/// The caller's notifications that had to be acknowledged and were not by their deadline. Each
/// escalates: a reminder (`acknowledgement_overdue`) is added to the inbox, and again after each
/// further period, until the notification (or a reminder) is acknowledged.
#[utoipa::path(
    get,
    path = "/v1/inbox/overdue",
    tag = "inbox",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The caller's overdue acknowledgements", body = OverdueListJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn my_overdue<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<OverdueListJson>, ApiError> {
    let list = run(&state.service, move |s| s.overdue(&caller)).await?;
    Ok(Json(overdue_list(list)))
}

/// Every overdue acknowledgement.
///
/// Who has not acknowledged what in time, across all parties: what a notifier (a humanitarian
/// agency, a signatory) checks before relying on a notification.
#[utoipa::path(
    get,
    path = "/v1/acknowledgements/overdue",
    tag = "inbox",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Every overdue acknowledgement", body = OverdueListJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn all_overdue<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<OverdueListJson>, ApiError> {
    let list = run(&state.service, move |s| s.all_overdue(&caller)).await?;
    Ok(Json(overdue_list(list)))
}
