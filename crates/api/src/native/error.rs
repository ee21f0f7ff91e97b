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
use serde_json::{Value, json};

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

fn problem(status: StatusCode, title: &str, detail: String, extra: Value) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

fn internal(status: StatusCode, what: &str, detail: &dyn std::fmt::Display) -> Response {
    let id = uuid::Uuid::new_v4();
    tracing::error!(error_id = %id, "{what}: {detail}");
    problem(
        status,
        what,
        format!("the server could not complete the request (error id {id})"),
        json!({ "error_id": id.to_string() }),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use ServiceError as E;
        match self {
            Self::Service(E::Invalid(v)) => problem(
                StatusCode::BAD_REQUEST,
                "Invalid input",
                v.to_string(),
                json!({ "field": v.field() }),
            ),
            Self::Service(e @ E::MissingScope(scope)) => problem(
                StatusCode::FORBIDDEN,
                "Missing scope",
                e.to_string(),
                json!({ "scope": scope }),
            ),
            Self::Service(e @ E::Forbidden(_)) => {
                problem(StatusCode::FORBIDDEN, "Forbidden", e.to_string(), json!({}))
            }
            Self::Service(e @ E::NotFound(_)) => {
                problem(StatusCode::NOT_FOUND, "Not found", e.to_string(), json!({}))
            }
            Self::Service(e @ E::AlreadyExists(_)) => problem(
                StatusCode::CONFLICT,
                "Already exists",
                e.to_string(),
                json!({}),
            ),
            Self::Service(e @ E::VersionMismatch { .. }) => problem(
                StatusCode::CONFLICT,
                "Version mismatch",
                e.to_string(),
                json!({}),
            ),
            Self::Service(e @ E::KindChanged(_)) => problem(
                StatusCode::CONFLICT,
                "Kind changed",
                e.to_string(),
                json!({}),
            ),
            Self::Service(E::MissingOvns(missing)) => {
                let missing: Vec<ConflictJson> = missing.iter().map(ConflictJson::from).collect();
                let ovns: Vec<&str> = missing.iter().map(|c| c.with.ovn.as_str()).collect();
                problem(
                    StatusCode::CONFLICT,
                    "Airspace conflict",
                    format!(
                        "the key lacks the current OVN of {} intersecting entities: read them, \
                         then retry with their OVNs in the key",
                        missing.len()
                    ),
                    json!({ "missing_ovns": ovns, "missing": missing }),
                )
            }
            Self::Service(E::Store(e @ StoreError::Contention { .. })) => {
                internal(StatusCode::SERVICE_UNAVAILABLE, "Busy, retry", &e)
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
                let mut resp = problem(
                    StatusCode::UNAUTHORIZED,
                    "Unauthenticated",
                    e.to_string(),
                    json!({}),
                );
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                resp
            }
            Self::Body(e) => problem(e.status(), "Malformed body", e.body_text(), json!({})),
            Self::Path(e) => problem(
                StatusCode::BAD_REQUEST,
                "Malformed path",
                e.body_text(),
                json!({}),
            ),
            Self::Query(e) => problem(
                StatusCode::BAD_REQUEST,
                "Malformed query",
                e.body_text(),
                json!({}),
            ),
            Self::BadRequest(detail) => {
                problem(StatusCode::BAD_REQUEST, "Bad request", detail, json!({}))
            }
            Self::Internal(detail) => {
                internal(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", &detail)
            }
        }
    }
}
