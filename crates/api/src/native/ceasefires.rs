//! Ceasefire agreements: propose, accept, denounce, end, read. Areas are GeoJSON in and out.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deconflict_core::{FootprintSpec, PartyId};
use deconflict_service::ceasefires::{AgreementStatus, AgreementView, ClosedHow, ProposeCeasefire};
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity_id;
use super::error::{ApiError, ProblemJson};
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
};
use super::run;
use crate::{AppState, Authenticated};

/// Body of `POST /v1/ceasefires`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProposeCeasefire)]
pub struct ProposeCeasefireJson {
    /// Its id (a UUID chosen by the proposer; also the id of its area's zone).
    #[schema(format = Uuid)]
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its terms, as agreed.
    #[serde(default)]
    pub terms: String,
    /// Its area: a GeoJSON `Polygon` or `MultiPolygon` geometry (WGS84 lon/lat; no holes).
    #[schema(value_type = Object)]
    pub area: Value,
    /// Lowest altitude bound, metres (with `altitude_upper_m`; every altitude when absent).
    pub altitude_lower_m: Option<f64>,
    /// Highest altitude bound, metres.
    pub altitude_upper_m: Option<f64>,
    /// Start of the window (RFC 3339).
    pub window_start: DateTime<Utc>,
    /// End of the window (RFC 3339), e.g. 72 hours after the start.
    pub window_end: DateTime<Utc>,
    /// The parties it binds (at least two).
    #[schema(value_type = Vec<String>)]
    pub signatories: BTreeSet<PartyId>,
    /// Categories of exemptions it allows (e.g. `medical-evacuation`).
    #[serde(default)]
    pub exemption_categories: BTreeSet<String>,
}

/// Body of `POST /v1/ceasefires/{id}/denounce` and `/end`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CloseCeasefire)]
pub struct CloseCeasefireJson {
    /// Why, in the party's words.
    pub reason: String,
    /// When it took effect, if earlier than now (recorded after the fact; not before the
    /// agreement's window starts, nor before it entered into force).
    pub effective_at: Option<DateTime<Utc>>,
}

/// Body of `POST /v1/ceasefires/{id}/accept` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcceptCeasefire)]
pub struct AcceptCeasefireJson {
    /// When the acceptance took effect, if earlier than now (recorded after the fact; not
    /// before the agreement's window starts).
    pub effective_at: Option<DateTime<Utc>>,
}

/// An agreement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Ceasefire)]
pub struct CeasefireJson {
    /// Its id.
    #[schema(format = Uuid)]
    id: String,
    /// Its name.
    name: String,
    /// Its terms.
    terms: String,
    /// `proposed`, `in_force`, `ended`, `denounced` or `expired`.
    status: String,
    /// Its area, a GeoJSON `MultiPolygon` (circles as their polygon).
    #[schema(value_type = Object)]
    area: Value,
    /// Altitude band, metres (±1,000,000 for every altitude).
    altitude_lower_m: f64,
    /// Altitude band upper bound.
    altitude_upper_m: f64,
    /// Window start.
    window_start: DateTime<Utc>,
    /// Window end.
    window_end: DateTime<Utc>,
    /// The parties it binds.
    signatories: Vec<String>,
    /// Exemption categories it allows.
    exemption_categories: Vec<String>,
    /// Who proposed it, and when.
    proposer: String,
    /// When it was proposed.
    proposed_at: DateTime<Utc>,
    /// Each signatory's acceptance time.
    #[schema(value_type = Object)]
    acceptances: Value,
    /// When it entered into force.
    in_force_from: Option<DateTime<Utc>>,
    /// The closing act (`how`: `ended` or `denounced`, `by`, `at`, `reason`).
    #[schema(value_type = Object)]
    closed: Value,
    /// Every act on it: `by`, `act`, `effective_at`, `recorded_at`, `reason`.
    #[schema(value_type = Vec<Object>)]
    recorded: Value,
    /// Writes so far.
    version: u64,
}

fn status_name(s: AgreementStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<&AgreementView> for CeasefireJson {
    fn from(v: &AgreementView) -> Self {
        let a = &v.agreement;
        let polygons: Vec<Value> = a
            .area
            .iter()
            .filter_map(|spec| {
                spec.to_volume(&deconflict_core::VolumeLimits::stored())
                    .ok()
            })
            .map(|vol| {
                let ring: Vec<Value> = vol
                    .footprint()
                    .planar()
                    .exterior()
                    .0
                    .iter()
                    .map(|c| serde_json::json!([c.x, c.y]))
                    .collect();
                serde_json::json!([ring])
            })
            .collect();
        let (lo, hi) = a
            .area
            .first()
            .map_or((0.0, 0.0), |s| (s.altitude_lower_m, s.altitude_upper_m));
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            terms: a.terms.clone(),
            status: status_name(v.status),
            area: serde_json::json!({"type": "MultiPolygon", "coordinates": polygons}),
            altitude_lower_m: lo,
            altitude_upper_m: hi,
            window_start: a.window_start,
            window_end: a.window_end,
            signatories: a.signatories.iter().map(ToString::to_string).collect(),
            exemption_categories: a.exemption_categories.iter().cloned().collect(),
            proposer: a.proposer.to_string(),
            proposed_at: a.proposed_at,
            acceptances: serde_json::to_value(&a.acceptances).unwrap_or(Value::Null),
            in_force_from: a.in_force_from,
            closed: serde_json::to_value(&a.closed).unwrap_or(Value::Null),
            recorded: serde_json::to_value(&a.recorded).unwrap_or(Value::Null),
            version: a.version,
        }
    }
}

/// Every agreement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Ceasefires)]
pub struct CeasefiresJson {
    /// By id.
    ceasefires: Vec<CeasefireJson>,
}

/// The footprints of a GeoJSON `Polygon` or `MultiPolygon` geometry.
pub(crate) fn footprints(area: &Value) -> Result<Vec<FootprintSpec>, ApiError> {
    let bad = |why: String| ApiError::BadRequest(format!("area: {why}"));
    let geometry = serde_json::from_value::<geojson::Geometry>(area.clone())
        .map_err(|e| bad(format!("not a GeoJSON geometry: {e}")))?;
    let polygons = match geometry.value {
        geojson::GeometryValue::Polygon { coordinates } => vec![coordinates],
        geojson::GeometryValue::MultiPolygon { coordinates } => coordinates,
        _ => return Err(bad("must be a GeoJSON Polygon or MultiPolygon".into())),
    };
    polygons
        .into_iter()
        .enumerate()
        .map(|(i, rings)| {
            if rings.len() != 1 {
                return Err(bad(format!(
                    "polygon {i} has {} rings: one exterior ring, no holes",
                    rings.len()
                )));
            }
            let vertices = rings[0]
                .iter()
                .map(|p| match p.as_slice() {
                    [lon, lat, ..] => Ok([*lon, *lat]),
                    _ => Err(bad(format!("polygon {i}: a position needs lon and lat"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(FootprintSpec::Polygon { vertices })
        })
        .collect()
}

fn agreement_id(
    p: Result<Path<Uuid>, PathRejection>,
) -> Result<deconflict_core::EntityId, ApiError> {
    entity_id(p)
}

/// Propose a ceasefire agreement.
///
/// Records it as proposed, files its area as a zone of kind `ceasefire` (with the agreement's
/// id; it changes only through this resource), and tells every signatory in its inbox, to be
/// acknowledged. It enters into force when every signatory has accepted it.
#[utoipa::path(
    post,
    path = "/v1/ceasefires",
    tag = "ceasefires",
    request_body = ProposeCeasefireJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Proposed", body = CeasefireJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, description = "\"Already exists\": the id is taken",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn propose_ceasefire<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<ProposeCeasefireJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let altitude_m = match (b.altitude_lower_m, b.altitude_upper_m) {
        (Some(l), Some(u)) => Some((l, u)),
        (None, None) => None,
        _ => {
            return Err(ApiError::BadRequest(
                "give both altitude_lower_m and altitude_upper_m, or neither".into(),
            ));
        }
    };
    let req = ProposeCeasefire {
        id: deconflict_core::EntityId(b.id),
        name: b.name,
        terms: b.terms,
        area: footprints(&b.area)?,
        altitude_m,
        window_start: b.window_start,
        window_end: b.window_end,
        signatories: b.signatories,
        exemption_categories: b.exemption_categories,
    };
    let v = run(&state.service, move |s| s.propose_ceasefire(&caller, req)).await?;
    Ok((StatusCode::CREATED, Json(CeasefireJson::from(&v))).into_response())
}

/// List the ceasefire agreements.
///
/// Every agreement, whatever its status; agreements are public to every party.
#[utoipa::path(
    get,
    path = "/v1/ceasefires",
    tag = "ceasefires",
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "Every agreement, by id", body = CeasefiresJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_ceasefires<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<CeasefiresJson>, ApiError> {
    let all = run(&state.service, move |s| s.list_ceasefires(&caller)).await?;
    Ok(Json(CeasefiresJson {
        ceasefires: all.iter().map(CeasefireJson::from).collect(),
    }))
}

/// Read a ceasefire agreement.
#[utoipa::path(
    get,
    path = "/v1/ceasefires/{id}",
    tag = "ceasefires",
    params(("id" = Uuid, Path, description = "The agreement's id")),
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "The agreement", body = CeasefireJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_ceasefire<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<CeasefireJson>, ApiError> {
    let id = agreement_id(path)?;
    let v = run(&state.service, move |s| s.get_ceasefire(&caller, id)).await?;
    Ok(Json(CeasefireJson::from(&v)))
}

/// Accept a proposed ceasefire agreement (signatories only).
///
/// The caller's acceptance is recorded with its time; the last one puts the agreement in force,
/// and every signatory is told.
#[utoipa::path(
    post,
    path = "/v1/ceasefires/{id}/accept",
    tag = "ceasefires",
    params(("id" = Uuid, Path, description = "The agreement's id")),
    request_body(content = Option<AcceptCeasefireJson>, description = "Optional: an earlier \
        `effective_at`"),
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Accepted (see `status`)", body = CeasefireJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": not proposed (in force, closed or \
            expired)", body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn accept_ceasefire<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: axum::body::Bytes,
) -> Result<Json<CeasefireJson>, ApiError> {
    let id = agreement_id(path)?;
    let b: AcceptCeasefireJson = if body.iter().all(u8::is_ascii_whitespace) {
        AcceptCeasefireJson::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not an acceptance: {e}")))?
    };
    let v = run(&state.service, move |s| {
        s.accept_ceasefire(&caller, id, b.effective_at)
    })
    .await?;
    Ok(Json(CeasefireJson::from(&v)))
}

async fn close<S: Store>(
    state: AppState<S>,
    caller: deconflict_service::Caller,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<CloseCeasefireJson>, JsonRejection>,
    how: ClosedHow,
) -> Result<Json<CeasefireJson>, ApiError> {
    let id = agreement_id(path)?;
    let Json(b) = body?;
    let v = run(&state.service, move |s| {
        s.close_ceasefire(&caller, id, how, &b.reason, b.effective_at)
    })
    .await?;
    Ok(Json(CeasefireJson::from(&v)))
}

/// Denounce a ceasefire agreement (signatories only).
///
/// A proposed or in-force agreement stops binding anyone; its zone is withdrawn (the agreement
/// keeps its area on record) and every signatory is told.
#[utoipa::path(
    post,
    path = "/v1/ceasefires/{id}/denounce",
    tag = "ceasefires",
    params(("id" = Uuid, Path, description = "The agreement's id")),
    request_body = CloseCeasefireJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Denounced", body = CeasefireJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": already closed or expired",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn denounce_ceasefire<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<CloseCeasefireJson>, JsonRejection>,
) -> Result<Json<CeasefireJson>, ApiError> {
    close(state, caller, path, body, ClosedHow::Denounced).await
}

/// End a ceasefire agreement by agreement (a signatory or its proposer).
///
/// As a denunciation, but recorded as ended.
#[utoipa::path(
    post,
    path = "/v1/ceasefires/{id}/end",
    tag = "ceasefires",
    params(("id" = Uuid, Path, description = "The agreement's id")),
    request_body = CloseCeasefireJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Ended", body = CeasefireJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": already closed or expired",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn end_ceasefire<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<CloseCeasefireJson>, JsonRejection>,
) -> Result<Json<CeasefireJson>, ApiError> {
    close(state, caller, path, body, ClosedHow::Ended).await
}
