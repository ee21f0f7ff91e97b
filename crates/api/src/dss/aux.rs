//! The InterUSS auxiliary API (`/aux/v1`): the server's version and a token check, which the
//! InterUSS tools call before they start (`docs/f3548.md`).

use axum::Json;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use deconflict_service::dss::{self as dss, DssError};
use serde::Deserialize;
use serde_json::json;

use super::{DssApiError, DssCaller};

/// Remote ID scope: reading identification service areas (accepted by `validate_oauth`, as the
/// reference DSS's auxiliary API accepts it).
pub const RID_READ: &str = "dss.read.identification_service_areas";
/// Remote ID scope: writing identification service areas.
pub const RID_WRITE: &str = "dss.write.identification_service_areas";

/// `GET /aux/v1/version`: no authentication.
pub(super) async fn version() -> Response {
    Json(json!({ "version": concat!("deconflict-", env!("CARGO_PKG_VERSION")) })).into_response()
}

/// The query of `validate_oauth`.
#[derive(Debug, Deserialize)]
pub(super) struct ValidateOauth {
    /// The `sub` the token must have, if given.
    owner: Option<String>,
}

/// `GET /aux/v1/validate_oauth[?owner=]`: 200 when the token is valid, carries one of the DSS
/// or remote-ID scopes and (if `owner` is given) names it as its subject; 401 for an invalid
/// token; 403 otherwise.
pub(super) async fn validate_oauth(
    DssCaller(caller): DssCaller,
    query: Result<Query<ValidateOauth>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, DssApiError> {
    let Query(q) = query.map_err(|e| DssApiError::BadRequest(e.body_text()))?;
    let mut scopes: Vec<&str> = dss::REPORT_SCOPES.to_vec();
    scopes.extend([RID_READ, RID_WRITE]);
    dss::require_any(&caller, &scopes).map_err(|error| DssApiError::Service {
        error,
        area_too_large: axum::http::StatusCode::BAD_REQUEST,
    })?;
    if let Some(owner) = q.owner
        && owner != caller.party.as_str()
    {
        return Err(DssApiError::Service {
            error: DssError::Forbidden(format!(
                "the token's subject is {}, not {owner:?}",
                caller.party
            )),
            area_too_large: axum::http::StatusCode::BAD_REQUEST,
        });
    }
    Ok(Json(json!({})).into_response())
}
