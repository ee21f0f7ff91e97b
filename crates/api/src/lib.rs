//! # deconflict-api
//!
//! The HTTP layer, as thin translation over `deconflict-service`: the native API under `/v1`
//! ([`native`]), bearer-token authentication ([`auth`]), and the operational endpoints
//! `/healthz`, `/readyz` and `/metrics`. Every use case, rule and disclosure decision lives in
//! the service; this crate maps JSON and HTTP onto it and back.

pub mod auth;
pub mod native;
pub mod webhook;

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
use serde_json::json;

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

async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

async fn readyz<S: Store>(State(state): State<AppState<S>>) -> impl IntoResponse {
    let service = Arc::clone(&state.service);
    let ready =
        tokio::task::spawn_blocking(move || service.store().read(&mut |v| v.parties().map(|_| ())))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false);
    if ready {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "storage unavailable" })),
        )
    }
}

/// The whole HTTP application over `state`; `metrics` renders the Prometheus exposition.
pub fn router<S: Store>(
    state: AppState<S>,
    metrics: Arc<dyn Fn() -> String + Send + Sync>,
) -> Router {
    native::routes::<S>()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route(
            "/metrics",
            get(move || {
                let m = Arc::clone(&metrics);
                async move { m() }
            }),
        )
        .fallback(|| async {
            ApiError::Service(deconflict_service::ServiceError::NotFound(
                "this path".into(),
            ))
        })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
