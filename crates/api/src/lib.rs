//! # deconflict-api
//!
//! The HTTP layer, as thin translation over `deconflict-service`: the native API under `/v1`
//! ([`native`]), bearer-token authentication ([`auth`]), its OpenAPI document and docs page
//! ([`openapi`]), request metrics ([`request_metrics`]), and the operational endpoints
//! `/healthz`, `/readyz` and `/metrics`. Every use case, rule and disclosure decision lives in
//! the service; this crate maps JSON and HTTP onto it and back.

pub mod auth;
pub mod dss;
pub mod native;
pub mod openapi;
pub mod request_metrics;
pub mod webhook;

#[cfg(test)]
mod test_support;

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use deconflict_core::PartyId;
use deconflict_service::{Caller, Service};
use deconflict_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthError, Verifier};
use crate::native::error::ApiError;

/// What every handler shares.
pub struct AppState<S> {
    /// The use cases.
    pub service: Arc<Service<S>>,
    /// Token verification.
    pub verifier: Arc<Verifier>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            service: Arc::clone(&self.service),
            verifier: Arc::clone(&self.verifier),
        }
    }
}

impl<S> FromRef<AppState<S>> for Arc<Verifier> {
    fn from_ref(state: &AppState<S>) -> Self {
        Arc::clone(&state.verifier)
    }
}

/// The caller of a request, from its verified bearer token.
pub struct Authenticated(pub Caller);

impl<St> FromRequestParts<St> for Authenticated
where
    Arc<Verifier>: FromRef<St>,
    St: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let verifier = Arc::<Verifier>::from_ref(state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|v| {
                v.to_str().map_err(|_| {
                    AuthError::Malformed("the Authorization header is not text".into())
                })
            })
            .transpose()?;
        let principal = verifier.verify_header(header)?;
        let party = PartyId::new(principal.subject.clone()).map_err(|e| {
            AuthError::Malformed(format!("the token's subject is not a party id: {e}"))
        })?;
        Ok(Self(Caller::new(party, principal.scopes)))
    }
}

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Status)]
pub struct StatusJson {
    /// "ok", "ready" or "storage unavailable".
    status: &'static str,
}

/// Liveness.
///
/// The process answers HTTP. No token needed.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses((status = 200, description = "Alive: `{\"status\": \"ok\"}`", body = StatusJson)),
)]
async fn healthz() -> impl IntoResponse {
    Json(StatusJson { status: "ok" })
}

/// Readiness.
///
/// The store answers reads. No token needed.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    responses(
        (status = 200, description = "Ready: `{\"status\": \"ready\"}`", body = StatusJson),
        (status = 503, description = "The store does not answer: \
            `{\"status\": \"storage unavailable\"}`", body = StatusJson),
    ),
)]
async fn readyz<S: Store>(State(state): State<AppState<S>>) -> impl IntoResponse {
    let service = Arc::clone(&state.service);
    let ready =
        tokio::task::spawn_blocking(move || service.store().read(&mut |v| v.parties().map(|_| ())))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false);
    if ready {
        (StatusCode::OK, Json(StatusJson { status: "ready" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(StatusJson {
                status: "storage unavailable",
            }),
        )
    }
}

/// Renders the Prometheus exposition.
pub type RenderMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// Metrics.
///
/// Prometheus text exposition: among others `http_requests_total{method, route, status}` and the
/// histogram `http_request_duration_seconds{method, route}`, where `route` is the route template
/// (`/v1/operations/{id}`), never the raw path. No token needed.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((status = 200, description = "The metrics", body = String,
        content_type = "text/plain")),
)]
async fn metrics(render: RenderMetrics) -> String {
    render()
}

/// The whole HTTP application over `state`; `metrics` renders the Prometheus exposition.
pub fn router<S: Store>(state: AppState<S>, metrics: RenderMetrics) -> Router {
    native::routes::<S>()
        .merge(dss::routes::<S>())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/metrics", get(move || self::metrics(Arc::clone(&metrics))))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::docs))
        .fallback(|| async {
            ApiError::Service(deconflict_service::ServiceError::NotFound(
                "this path".into(),
            ))
        })
        .layer(axum::middleware::from_fn(request_metrics::record))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
