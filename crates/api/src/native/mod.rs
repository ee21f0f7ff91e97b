//! The native API, `/v1`: each handler authenticates, translates JSON to a service request, runs
//! the use case on a blocking thread, and translates the outcome back. No rule lives here.
//!
//! Each handler's `#[utoipa::path]` documents it for the OpenAPI document ([`crate::openapi`]):
//! its path, the scopes it needs (the service checks them; see `deconflict_service::Caller`) and
//! every status it can answer. `crate::openapi`'s tests check that every route below is there.

pub(crate) mod audit;
pub(crate) mod ceasefires;
pub mod dto;
pub(crate) mod entities;
pub mod error;
pub(crate) mod events;
pub(crate) mod parties;
pub(crate) mod protected;
pub(crate) mod reports;
pub mod responses;
pub mod schema;
pub mod sites_bulk;
pub(crate) mod sites_http;
pub(crate) mod subscriptions;
pub(crate) mod withdrawal;

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use deconflict_core::EntityId;
use deconflict_service::{Service, ServiceError};
use deconflict_store::Store;
use uuid::Uuid;

use crate::AppState;
use audit::*;
use ceasefires::*;
use entities::*;
use error::ApiError;
use events::*;
use parties::*;
use protected::*;
use reports::*;
use sites_http::*;
use subscriptions::*;
use withdrawal::*;

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
                .get(get_operation::<S>)
                .delete(delete_operation::<S>),
        )
        .route(
            "/v1/operations/{id}/conflicts",
            get(operation_conflicts::<S>),
        )
        .route("/v1/operations/query", post(query_operations::<S>))
        .route(
            "/v1/zones/{id}",
            put(put_zone::<S>)
                .get(get_zone::<S>)
                .delete(delete_zone::<S>),
        )
        .route("/v1/zones/{id}/conflicts", get(zone_conflicts::<S>))
        .route("/v1/zones/query", post(query_zones::<S>))
        .route("/v1/parties", get(list_parties::<S>))
        .route("/v1/parties/{id}", put(put_party::<S>).get(get_party::<S>))
        .route("/v1/parties/{id}/withdraw", post(withdraw_party::<S>))
        .route("/v1/parties/{id}/rejoin", post(rejoin_party::<S>))
        .route("/v1/parties/{id}/disclosure", put(put_disclosure::<S>))
        .route("/v1/subscriptions", get(list_subscriptions::<S>))
        .route(
            "/v1/subscriptions/{id}",
            put(put_subscription::<S>)
                .get(get_subscription::<S>)
                .delete(delete_subscription::<S>),
        )
        .route(
            "/v1/ceasefires",
            post(propose_ceasefire::<S>).get(list_ceasefires::<S>),
        )
        .route("/v1/ceasefires/{id}", get(get_ceasefire::<S>))
        .route("/v1/ceasefires/{id}/accept", post(accept_ceasefire::<S>))
        .route(
            "/v1/ceasefires/{id}/denounce",
            post(denounce_ceasefire::<S>),
        )
        .route("/v1/ceasefires/{id}/end", post(end_ceasefire::<S>))
        .route("/v1/protected-sites", get(list_protected::<S>))
        .route(
            "/v1/protected-sites/import",
            post(import_protected::<S>)
                .layer(axum::extract::DefaultBodyLimit::max(sites_bulk::MAX_BYTES)),
        )
        .route("/v1/protected-sites/export", get(export_protected::<S>))
        .route(
            "/v1/protected-sites/{id}",
            put(put_protected::<S>).get(get_protected::<S>),
        )
        .route(
            "/v1/protected-sites/{id}/reconfirm",
            post(reconfirm_protected::<S>),
        )
        .route("/v1/separation-zones", get(list_separations::<S>))
        .route("/v1/separation-zones/{id}", put(put_separation::<S>))
        .route("/v1/reports", post(file_report::<S>).get(list_reports::<S>))
        .route("/v1/reports/tallies", get(report_tallies::<S>))
        .route("/v1/reports/{id}", get(get_report::<S>))
        .route("/v1/reports/{id}/status", post(review_report::<S>))
        .route("/v1/inbox", get(inbox::<S>))
        .route("/v1/inbox/overdue", get(my_overdue::<S>))
        .route("/v1/acknowledgements/overdue", get(all_overdue::<S>))
        .route("/v1/inbox/{id}/ack", post(ack::<S>))
        .route("/v1/events", get(events::<S>))
        .route("/v1/audit", get(audit_page::<S>))
        .route("/v1/audit/key", get(audit_key::<S>))
}

fn status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

#[cfg(test)]
mod robustness_tests;
