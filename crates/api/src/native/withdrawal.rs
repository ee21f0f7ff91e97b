//! Withdrawal from the service, and rejoining; one party's record with its standing.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use deconflict_service::withdrawal::{EndedOperation, Withdrawal};
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::PartyJson;
use super::error::{ApiError, ProblemJson};
use super::parties::party_id;
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
};
use super::run;
use crate::{AppState, Authenticated};

/// Body of `POST /v1/parties/{id}/withdraw` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WithdrawParty)]
pub struct WithdrawJson {
    /// The party's statement, kept on record and sent to every other party (at most 5,000
    /// characters).
    #[serde(default)]
    pub statement: Option<String>,
}

/// An operation ended by a withdrawal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EndedOperation)]
pub struct EndedOperationJson {
    /// The operation's id.
    #[schema(format = Uuid)]
    id: String,
    /// `truncated` (kept on record, its volumes ending at the withdrawal) or `removed` (it had
    /// not started: removed from the airspace, its last version kept here).
    outcome: String,
    /// Its OVN before the withdrawal.
    ovn_before: String,
    /// Its version before.
    version_before: u64,
    /// How many volumes it had before.
    volumes_before: usize,
}

impl From<&EndedOperation> for EndedOperationJson {
    fn from(e: &EndedOperation) -> Self {
        Self {
            id: e.id.to_string(),
            outcome: e.outcome.clone(),
            ovn_before: e.ovn_before.to_string(),
            version_before: e.version_before,
            volumes_before: e.volumes_before.len(),
        }
    }
}

/// A withdrawal from the service.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Withdrawal)]
pub struct WithdrawalJson {
    /// When.
    at: DateTime<Utc>,
    /// Who recorded it: the party itself, or an administrator.
    by: String,
    /// The party's statement, if any.
    statement: Option<String>,
    /// Its operations live or planned at the withdrawal, ended by it.
    ended_operations: Vec<EndedOperationJson>,
    /// Its subscriptions, stopped (deleted).
    stopped_subscriptions: Vec<String>,
    /// Ceasefire agreements it signed that were not closed: kept on record, unchanged.
    agreements: Vec<String>,
    /// When it rejoined (past withdrawals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    rejoined_at: Option<DateTime<Utc>>,
    /// Who recorded the rejoining.
    #[serde(skip_serializing_if = "Option::is_none")]
    rejoined_by: Option<String>,
}

impl From<&Withdrawal> for WithdrawalJson {
    fn from(w: &Withdrawal) -> Self {
        Self {
            at: w.at,
            by: w.by.to_string(),
            statement: w.statement.clone(),
            ended_operations: w.ended_operations.iter().map(Into::into).collect(),
            stopped_subscriptions: w
                .stopped_subscriptions
                .iter()
                .map(ToString::to_string)
                .collect(),
            agreements: w.agreements.iter().map(ToString::to_string).collect(),
            rejoined_at: w.rejoined_at,
            rejoined_by: w.rejoined_by.as_ref().map(ToString::to_string),
        }
    }
}

/// One party, with its standing.
///
/// Every reader may read it; a withdrawn party reads its own.
#[utoipa::path(
    get,
    path = "/v1/parties/{id}",
    tag = "parties",
    params(("id" = String, Path, description = "The party id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The party, with `status` and any withdrawal", body = PartyJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_party<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    let r = run(&state.service, move |s| s.party_record(&caller, &id)).await?;
    Ok(Json(PartyJson::from(&r)))
}

/// Withdraw a party from the service.
///
/// By the party itself (`deconflict.write`) or an administrator (`deconflict.admin`), with an
/// optional statement. In one audited transaction: its operations live or planned now are ended
/// (volumes truncated at now; one that had not started is removed from the airspace, its last
/// version kept in the withdrawal record), its subscriptions stopped; its zones, protected
/// sites, reports and ceasefire signatures stay on record; every other party is told
/// (`party_withdrew`, to acknowledge). Then every write by the party is refused (403 naming the
/// withdrawal) until it rejoins; it may still read.
#[utoipa::path(
    post,
    path = "/v1/parties/{id}/withdraw",
    tag = "parties",
    params(("id" = String, Path, description = "The party id")),
    request_body(content = Option<WithdrawJson>, description = "Optional: a statement"),
    security(("bearer" = ["deconflict.write"]), ("bearer" = ["deconflict.admin"])),
    responses(
        (status = 200, description = "Withdrawn: the party with its withdrawal", body = PartyJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": the party has already withdrawn",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn withdraw_party<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: axum::body::Bytes,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    let b: WithdrawJson = if body.iter().all(u8::is_ascii_whitespace) {
        WithdrawJson::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not a withdrawal: {e}")))?
    };
    let r = run(&state.service, move |s| {
        s.withdraw_party(&caller, id, b.statement)
    })
    .await?;
    Ok(Json(PartyJson::from(&r)))
}

/// Bring a withdrawn party back.
///
/// By the party itself (`deconflict.write`) or an administrator (`deconflict.admin`): its
/// writes are accepted again and every other party is told (`party_rejoined`). Its ended
/// operations and stopped subscriptions are not restored.
#[utoipa::path(
    post,
    path = "/v1/parties/{id}/rejoin",
    tag = "parties",
    params(("id" = String, Path, description = "The party id")),
    security(("bearer" = ["deconflict.write"]), ("bearer" = ["deconflict.admin"])),
    responses(
        (status = 200, description = "Active again: the party with its past withdrawals",
            body = PartyJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": the party has not withdrawn",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn rejoin_party<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<PartyJson>, ApiError> {
    let id = party_id(path)?;
    let r = run(&state.service, move |s| s.rejoin_party(&caller, id)).await?;
    Ok(Json(PartyJson::from(&r)))
}
