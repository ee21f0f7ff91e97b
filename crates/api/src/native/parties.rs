//! Parties: the register, and whom each lets see its operations in full.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use deconflict_core::PartyId;
use deconflict_service::ServiceError;
use deconflict_store::Store;

use super::dto::*;
use super::error::{ApiError, ProblemJson};
use super::responses::{
    BadRequest, Forbidden, InternalError, Unauthenticated, Unavailable, UnreadableBody,
};
use super::run;
use crate::{AppState, Authenticated};

pub(super) fn party_id(p: Result<Path<String>, PathRejection>) -> Result<PartyId, ApiError> {
    let Path(raw) = p?;
    PartyId::new(raw).map_err(|e| ApiError::Service(ServiceError::Invalid(e)))
}

/// List the parties.
#[utoipa::path(
    get,
    path = "/v1/parties",
    tag = "parties",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Every registered party", body = PartiesJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_parties<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<PartiesJson>, ApiError> {
    let ps = run(&state.service, move |s| s.party_records(&caller)).await?;
    Ok(Json(PartiesJson {
        parties: ps.iter().map(Into::into).collect(),
    }))
}

/// Register or rename a party.
///
/// Its disclosure grants are kept.
#[utoipa::path(
    put,
    path = "/v1/parties/{id}",
    tag = "parties",
    params(("id" = String, Path,
        description = "The party id (the `sub` of its tokens): 1-128 letters, digits and .-_:@")),
    request_body = PutPartyJson,
    security(("bearer" = ["deconflict.admin"])),
    responses(
        (status = 200, description = "The party as registered", body = PartyJson),
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
pub(crate) async fn put_party<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<PutPartyJson>, JsonRejection>,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    let Json(b) = body?;
    let p = run(&state.service, move |s| {
        let p = s.put_party(&caller, id, b.name)?;
        s.party_record(&caller, &p.id)
    })
    .await?;
    Ok(Json(PartyJson::from(&p)))
}

/// Choose who sees one's operations in full.
///
/// Replaces the list of parties that see the caller's operations exactly; every other party
/// sees them coarse. A party sets only its own.
#[utoipa::path(
    put,
    path = "/v1/parties/{id}/disclosure",
    tag = "parties",
    params(("id" = String, Path, description = "The caller's own party id")),
    request_body = DisclosureJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The caller's party with its new grants", body = PartyJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "The caller, or a party named, is not registered",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn put_disclosure<S: Store>(
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
