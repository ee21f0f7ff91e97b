//! The ASTM F3548-21 DSS API, `/dss/v1/...` (`../shared/specs/utm.yaml`): each handler
//! authenticates, translates the standard's JSON to a service request, runs the DSS use case on a
//! blocking thread, and translates the outcome back, with the standard's status codes and
//! `ErrorResponse` bodies. The rules live in `deconflict_service::dss`; the choices made where
//! the standard is silent are listed in `docs/f3548.md`.

mod aux;
mod handlers;
pub mod uss;
pub mod wire;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use deconflict_core::PartyId;
use deconflict_service::dss::DssError;
use deconflict_service::{Caller, Service};
use deconflict_store::{Store, StoreError};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{AuthError, Verifier};
use handlers::*;
use wire::{ConstraintReference, ErrorResponse, OperationalIntentReference};

/// The routes of `/dss/v1`, `/uss/v1` (the USS API of natively filed entities) and `/aux/v1`.
/// Every answer under `/dss/v1` is the standard's: an empty version or OVN segment is 400, an
/// unknown path 404 and an unknown method 405, each with an `ErrorResponse`.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    let empty_ovn = || {
        put(missing_ovn)
            .delete(missing_ovn)
            .fallback(method_not_allowed)
    };
    Router::new()
        .route(
            "/dss/v1/operational_intent_references/{entityid}/",
            empty_ovn(),
        )
        .route("/dss/v1/constraint_references/{entityid}/", empty_ovn())
        .route(
            "/dss/v1/subscriptions/{subscriptionid}/",
            put(missing_version)
                .delete(missing_version)
                .fallback(method_not_allowed),
        )
        .route("/dss/v1/{*rest}", any(unknown_path))
        .route("/dss/v1", any(unknown_path))
        .route("/dss/v1/", any(unknown_path))
        .route("/aux/v1/version", get(aux::version))
        .route("/aux/v1/validate_oauth", get(aux::validate_oauth))
        .merge(uss::routes::<S>())
        .route(
            "/dss/v1/operational_intent_references/query",
            dss(post(query_oirs::<S>)),
        )
        .route(
            "/dss/v1/operational_intent_references/{entityid}",
            dss(get(get_oir::<S>).put(create_oir::<S>)),
        )
        .route(
            "/dss/v1/operational_intent_references/{entityid}/{ovn}",
            dss(put(update_oir::<S>).delete(delete_oir::<S>)),
        )
        .route(
            "/dss/v1/constraint_references/query",
            dss(post(query_constraints::<S>)),
        )
        .route(
            "/dss/v1/constraint_references/{entityid}",
            dss(get(get_constraint::<S>).put(create_constraint::<S>)),
        )
        .route(
            "/dss/v1/constraint_references/{entityid}/{ovn}",
            dss(put(update_constraint::<S>).delete(delete_constraint::<S>)),
        )
        .route(
            "/dss/v1/subscriptions/query",
            dss(post(query_subscriptions::<S>)),
        )
        .route(
            "/dss/v1/subscriptions/{subscriptionid}",
            dss(get(get_subscription::<S>).put(create_subscription::<S>)),
        )
        .route(
            "/dss/v1/subscriptions/{subscriptionid}/{version}",
            dss(put(update_subscription::<S>).delete(delete_subscription::<S>)),
        )
        .route("/dss/v1/reports", dss(post(make_report::<S>)))
        .route(
            "/dss/v1/uss_availability/{uss_id}",
            dss(get(get_availability::<S>).put(set_availability::<S>)),
        )
}

/// Adds the `/dss/v1` 405 fallback to a method router.
fn dss<S: Store>(
    m: axum::routing::MethodRouter<AppState<S>>,
) -> axum::routing::MethodRouter<AppState<S>> {
    m.fallback(method_not_allowed)
}

async fn missing_ovn() -> DssApiError {
    DssApiError::BadRequest("Missing OVN".into())
}

async fn missing_version() -> DssApiError {
    DssApiError::BadRequest("Missing version".into())
}

async fn unknown_path() -> Response {
    message(StatusCode::NOT_FOUND, "No such DSS endpoint".into())
}

async fn method_not_allowed() -> Response {
    message(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed at this DSS endpoint".into(),
    )
}

/// Everything a DSS handler can answer instead of success, as the standard shapes it.
#[derive(Debug)]
pub enum DssApiError {
    /// A use case refused.
    Service {
        /// The refusal.
        error: DssError,
        /// The status of "area too large" at this endpoint (413 where the standard lists it).
        area_too_large: StatusCode,
    },
    /// No valid bearer token.
    Auth(AuthError),
    /// Malformed input (400).
    BadRequest(String),
    /// The blocking task running the use case failed (a bug).
    Internal(String),
}

impl From<AuthError> for DssApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

fn message(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(ErrorResponse {
            message,
            missing_operational_intents: None,
            missing_constraints: None,
        }),
    )
        .into_response()
}

fn logged(status: StatusCode, what: &str, detail: &dyn std::fmt::Display) -> Response {
    let id = Uuid::new_v4();
    tracing::error!(error_id = %id, "{what}: {detail}");
    message(status, format!("{what} (E:{id})"))
}

impl IntoResponse for DssApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(e) => {
                let mut resp = message(StatusCode::UNAUTHORIZED, e.to_string());
                resp.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer"),
                );
                resp
            }
            Self::BadRequest(m) => message(StatusCode::BAD_REQUEST, m),
            Self::Internal(m) => logged(StatusCode::INTERNAL_SERVER_ERROR, "internal error", &m),
            Self::Service {
                error,
                area_too_large,
            } => match error {
                DssError::BadRequest(m) => message(StatusCode::BAD_REQUEST, m),
                DssError::AreaTooLarge(m) => message(area_too_large, m),
                e @ DssError::MissingScope(_) => message(StatusCode::FORBIDDEN, e.to_string()),
                DssError::Forbidden(m) => message(StatusCode::FORBIDDEN, m),
                DssError::NotFound(m) => message(StatusCode::NOT_FOUND, m),
                DssError::Conflict(m) => message(StatusCode::CONFLICT, m),
                DssError::UssDown(m) => message(StatusCode::PRECONDITION_FAILED, m),
                DssError::TooMany(m) => message(StatusCode::TOO_MANY_REQUESTS, m),
                e @ DssError::AirspaceConflict { .. } => {
                    let text = e.to_string();
                    let DssError::AirspaceConflict {
                        missing_operational_intents,
                        missing_constraints,
                    } = e
                    else {
                        return message(StatusCode::CONFLICT, text);
                    };
                    let body = ErrorResponse {
                        message: text,
                        missing_operational_intents: Some(
                            missing_operational_intents
                                .iter()
                                .map(OperationalIntentReference::from)
                                .collect(),
                        ),
                        missing_constraints: Some(
                            missing_constraints
                                .iter()
                                .map(ConstraintReference::from)
                                .collect(),
                        ),
                    };
                    (StatusCode::CONFLICT, Json(body)).into_response()
                }
                DssError::Store(StoreError::Contention { attempts }) => {
                    // The standard gives 409 to "unable to complete the update because of other
                    // simultaneous changes".
                    message(
                        StatusCode::CONFLICT,
                        format!(
                            "the DSS was unable to complete the change because of other \
                             simultaneous changes ({attempts} attempts): retry"
                        ),
                    )
                }
                DssError::Store(e @ (StoreError::Unavailable { .. } | StoreError::Closed)) => {
                    logged(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable", &e)
                }
                DssError::Store(e) => logged(StatusCode::INTERNAL_SERVER_ERROR, "storage", &e),
            },
        }
    }
}

/// The caller of a DSS request: a verified bearer token whose `sub` is the USS.
pub struct DssCaller(pub Caller);

impl<St> FromRequestParts<St> for DssCaller
where
    Arc<Verifier>: FromRef<St>,
    St: Send + Sync,
{
    type Rejection = DssApiError;

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
            AuthError::Malformed(format!("the token's subject is not a USS id: {e}"))
        })?;
        Ok(Self(Caller::new(party, principal.scopes)))
    }
}

/// Runs a DSS use case on a blocking thread; `area_too_large` is this endpoint's status for an
/// area above the limit.
async fn run<S: Store, T: Send + 'static>(
    service: &Arc<Service<S>>,
    area_too_large: StatusCode,
    f: impl FnOnce(&Service<S>) -> Result<T, DssError> + Send + 'static,
) -> Result<T, DssApiError> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| DssApiError::Internal(format!("use case task failed: {e}")))?
        .map_err(|error| DssApiError::Service {
            error,
            area_too_large,
        })
}

#[cfg(test)]
mod robustness_tests;
