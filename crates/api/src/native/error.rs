//! The one mapping from every failure to an HTTP answer of the native API: an
//! `application/problem+json` body (RFC 9457) with a clear title and detail, and for the key rule
//! the missing entities as data. Internal failures are logged with a generated id; the client
//! gets the id only.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deconflict_service::ServiceError;
use deconflict_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::native::dto::ConflictJson;

/// Everything a native handler can answer instead of success.
#[derive(Debug)]
pub enum ApiError {
    /// A use case refused.
    Service(ServiceError),
    /// No valid bearer token.
    Auth(AuthError),
    /// The body is not the JSON the endpoint takes.
    Body(JsonRejection),
    /// A path segment is malformed.
    Path(PathRejection),
    /// A query parameter is malformed.
    Query(QueryRejection),
    /// Other malformed input, described.
    BadRequest(String),
    /// The blocking task running the use case failed (a bug).
    Internal(String),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        Self::Body(e)
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        Self::Path(e)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::Query(e)
    }
}

/// An `application/problem+json` body (RFC 9457): every answer of the native API that is not a
/// success. The extension members appear only with the problems that carry them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemJson {
    /// Always `about:blank`: the `title` names the problem.
    #[serde(rename = "type")]
    #[schema(format = "uri-reference")]
    kind: &'static str,
    /// What went wrong, in a few words ("Invalid input", "Missing scope", "Airspace conflict",
    /// ...).
    title: &'static str,
    /// The HTTP status.
    status: u16,
    /// What went wrong and what to do about it.
    detail: String,
    /// With "Invalid input": the field refused, as a path such as `volumes[0].footprint.radius_m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    field: Option<String>,
    /// With "Missing scope": the scope the token lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    scope: Option<&'static str>,
    /// With 500 and 503: the id under which the server logged the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = Uuid)]
    error_id: Option<String>,
    /// With "Airspace conflict" (409, the key rule): the current OVNs of the intersecting
    /// entities the key lacks. Read them, then retry with these OVNs in `key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<String>)]
    missing_ovns: Option<Vec<String>>,
    /// With "Airspace conflict": those entities, as the caller may see them, and where they
    /// intersect the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<ConflictJson>)]
    missing: Option<Vec<ConflictJson>>,
    /// With "Ceasefire conflict" (409): the agreements in force, binding the caller, that the
    /// operation intersects, with the exemption categories each allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<CeasefireBreachJson>)]
    agreements: Option<Vec<CeasefireBreachJson>>,
    /// With "Protected site conflict" (409): the protected sites and movements whose notifiers
    /// refuse operations there, as the caller may see them — for one notified `conflict-only`
    /// (`with.disclosure` = `withheld`): its reference id, notifier and category, and, in each
    /// pair, the caller's own volume, never the site's geometry.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<ConflictJson>)]
    protected: Option<Vec<ConflictJson>>,
}

/// An agreement an operation would breach.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CeasefireBreach)]
pub struct CeasefireBreachJson {
    /// The agreement's id.
    #[schema(format = Uuid)]
    agreement: String,
    /// Its name.
    name: String,
    /// The exemption categories it allows.
    exemption_categories: Vec<String>,
}

impl From<&deconflict_service::ceasefires::CeasefireBreach> for CeasefireBreachJson {
    fn from(b: &deconflict_service::ceasefires::CeasefireBreach) -> Self {
        Self {
            agreement: b.agreement.to_string(),
            name: b.name.clone(),
            exemption_categories: b.exemption_categories.clone(),
        }
    }
}

impl ProblemJson {
    fn new(status: StatusCode, title: &'static str, detail: String) -> Self {
        Self {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail,
            field: None,
            scope: None,
            error_id: None,
            missing_ovns: None,
            missing: None,
            agreements: None,
            protected: None,
        }
    }

    fn respond(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, Json(self)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

fn problem(status: StatusCode, title: &'static str, detail: String) -> Response {
    ProblemJson::new(status, title, detail).respond()
}

fn internal(status: StatusCode, what: &'static str, detail: &dyn std::fmt::Display) -> Response {
    let id = uuid::Uuid::new_v4();
    tracing::error!(error_id = %id, "{what}: {detail}");
    ProblemJson {
        error_id: Some(id.to_string()),
        ..ProblemJson::new(
            status,
            what,
            format!("the server could not complete the request (error id {id})"),
        )
    }
    .respond()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use ServiceError as E;
        match self {
            Self::Service(E::Invalid(v)) => ProblemJson {
                field: Some(v.field().to_owned()),
                ..ProblemJson::new(StatusCode::BAD_REQUEST, "Invalid input", v.to_string())
            }
            .respond(),
            Self::Service(e @ E::MissingScope(scope)) => ProblemJson {
                scope: Some(scope),
                ..ProblemJson::new(StatusCode::FORBIDDEN, "Missing scope", e.to_string())
            }
            .respond(),
            Self::Service(e @ E::Forbidden(_)) => {
                problem(StatusCode::FORBIDDEN, "Forbidden", e.to_string())
            }
            Self::Service(e @ E::NotFound(_)) => {
                problem(StatusCode::NOT_FOUND, "Not found", e.to_string())
            }
            Self::Service(e @ E::AlreadyExists(_)) => {
                problem(StatusCode::CONFLICT, "Already exists", e.to_string())
            }
            Self::Service(e @ E::VersionMismatch { .. }) => {
                problem(StatusCode::CONFLICT, "Version mismatch", e.to_string())
            }
            Self::Service(e @ E::KindChanged(_)) => {
                problem(StatusCode::CONFLICT, "Kind changed", e.to_string())
            }
            Self::Service(E::MissingOvns(missing)) => {
                let missing: Vec<ConflictJson> = missing.iter().map(ConflictJson::from).collect();
                let ovns: Vec<String> = missing.iter().map(|c| c.with.ovn.clone()).collect();
                let detail = format!(
                    "the key lacks the current OVN of {} intersecting entities: read them, then \
                     retry with their OVNs in the key",
                    missing.len()
                );
                ProblemJson {
                    missing_ovns: Some(ovns),
                    missing: Some(missing),
                    ..ProblemJson::new(StatusCode::CONFLICT, "Airspace conflict", detail)
                }
                .respond()
            }
            Self::Service(E::CeasefireConflict { detail, agreements }) => ProblemJson {
                agreements: Some(agreements.iter().map(CeasefireBreachJson::from).collect()),
                ..ProblemJson::new(StatusCode::CONFLICT, "Ceasefire conflict", detail)
            }
            .respond(),
            Self::Service(E::ProtectedSiteConflict(sites)) => {
                let sites: Vec<ConflictJson> = sites.iter().map(ConflictJson::from).collect();
                let detail = sites
                    .iter()
                    .map(|c| {
                        format!(
                            "conflict with a protected site of category {}, notified by {} \
                             (reference {})",
                            c.with.category().unwrap_or("protected"),
                            c.with.owner,
                            c.with.id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                ProblemJson {
                    protected: Some(sites),
                    ..ProblemJson::new(
                        StatusCode::CONFLICT,
                        "Protected site conflict",
                        format!("{detail}: its notifier refuses operations there"),
                    )
                }
                .respond()
            }
            Self::Service(E::TooManyChecks {
                detail,
                retry_after_s,
            }) => {
                let mut resp = problem(StatusCode::TOO_MANY_REQUESTS, "Too many checks", detail);
                if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
            Self::Service(e @ E::InvalidState(_)) => {
                problem(StatusCode::CONFLICT, "Invalid state", e.to_string())
            }
            Self::Service(E::Store(StoreError::Contention { attempts })) => {
                // Not a fault: concurrent writes to the same airspace kept colliding. Nothing
                // was written; the client may simply retry.
                tracing::warn!(attempts, "transaction gave up under contention");
                let mut resp = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Busy, retry",
                    format!(
                        "concurrent writes to the same airspace kept colliding: nothing was \
                         written after {attempts} attempts; retry shortly"
                    ),
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                resp
            }
            Self::Service(E::Store(
                e @ (StoreError::Unavailable { .. }
                | StoreError::Closed
                | StoreError::Corrupt { .. }),
            )) => internal(StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable", &e),
            Self::Service(E::Store(e)) => {
                internal(StatusCode::INTERNAL_SERVER_ERROR, "Storage failure", &e)
            }
            Self::Auth(e) => {
                let mut resp = problem(StatusCode::UNAUTHORIZED, "Unauthenticated", e.to_string());
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                resp
            }
            Self::Body(e) => problem(e.status(), "Malformed body", e.body_text()),
            Self::Path(e) => problem(StatusCode::BAD_REQUEST, "Malformed path", e.body_text()),
            Self::Query(e) => problem(StatusCode::BAD_REQUEST, "Malformed query", e.body_text()),
            Self::BadRequest(detail) => problem(StatusCode::BAD_REQUEST, "Bad request", detail),
            Self::Internal(detail) => {
                internal(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", &detail)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_retries_are_a_503_with_retry_after_not_a_500() {
        let resp = ApiError::Service(ServiceError::Store(StoreError::Contention { attempts: 20 }))
            .into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            resp.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("1"))
        );
        let resp = ApiError::Service(ServiceError::Store(StoreError::Unavailable {
            doing: "committing (the outcome is unknown)".into(),
            detail: "connection closed".into(),
        }))
        .into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
