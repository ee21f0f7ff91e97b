//! Bulk site lists over HTTP: `POST /v1/protected-sites/import` (CSV or GeoJSON, all or
//! nothing, one acknowledgement per party) and `GET /v1/protected-sites/export`. The parsing is
//! [`super::sites_bulk`]'s, shared with the CLI.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deconflict_service::protected_bulk::RowError as ServiceRowError;
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemJson};
use super::responses::{BadRequest, Forbidden, InternalError, Unauthenticated, Unavailable};
use super::run;
use super::sites_bulk::{self, Format, RowError, SiteRow};
use crate::{AppState, Authenticated};

/// An import that was accepted.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportedSites)]
pub struct ImportedJson {
    /// The batch's id (named in every party's `protected_sites_imported` notification).
    #[schema(format = Uuid)]
    batch: String,
    /// Notices filed.
    count: usize,
    /// Of which new.
    created: usize,
    /// Of which new versions of the caller's own notices.
    updated: usize,
    /// Parties told (one notification each, to acknowledge).
    notified_parties: usize,
    /// The notices' ids, in row order.
    #[schema(value_type = Vec<String>)]
    sites: Vec<String>,
}

/// An import refused: every bad row, with its line (CSV) or feature (GeoJSON) and field.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportRefused)]
pub struct RefusedJson {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// "Invalid rows".
    title: &'static str,
    /// 422.
    status: u16,
    /// How many rows were refused; nothing was written.
    detail: String,
    /// Every refused row, in file order.
    errors: Vec<RowError>,
}

fn refused(errors: Vec<RowError>) -> Response {
    let body = RefusedJson {
        kind: "about:blank",
        title: "Invalid rows",
        status: 422,
        detail: format!(
            "{} row error(s): nothing was imported; correct every row listed and send the whole \
             list again",
            errors.len()
        ),
        errors,
    };
    problem_response(StatusCode::UNPROCESSABLE_ENTITY, Json(body).into_response())
}

fn problem_response(status: StatusCode, mut resp: Response) -> Response {
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

fn simple_problem(status: StatusCode, title: &str, detail: String) -> Response {
    problem_response(
        status,
        Json(
            json!({"type": "about:blank", "title": title, "status": status.as_u16(),
                    "detail": detail}),
        )
        .into_response(),
    )
}

/// Import a list of protected sites and movements, all or nothing.
///
/// The body is a CSV site list (`Content-Type: text/csv`; a header line, then one site per
/// line) or a GeoJSON `FeatureCollection` (`application/geo+json` or `application/json`), at
/// most 64 MiB and 50,000 sites. Each row is the body of `PUT /v1/protected-sites/{id}` (see
/// `docs/humanitarian.md`, "Bulk lists", for the columns). Every row is checked first: if any
/// fails, the answer is 422 listing every bad row with its line (CSV, the header being line 1)
/// or feature index (GeoJSON, from 0) and field, and nothing is written. Otherwise every notice
/// is filed in one transaction, and every other party gets one `protected_sites_imported`
/// notification to acknowledge for the whole batch. Rows without an id get one derived from
/// the caller and the row: importing the same file again makes new versions.
#[utoipa::path(
    post,
    path = "/v1/protected-sites/import",
    tag = "protected sites",
    request_body(description = "A CSV site list or a GeoJSON FeatureCollection", content(
        (String = "text/csv"),
        (Object = "application/geo+json"),
        (Object = "application/json"),
    )),
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Imported", body = ImportedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, description = "Not expected: the rows are checked against the store \
            first (a row error is 422)", body = ProblemJson,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 MiB", body = ProblemJson,
            content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor GeoJSON", body = ProblemJson,
            content_type = "application/problem+json"),
        (status = 422, description = "Row errors: nothing was imported", body = RefusedJson,
            content_type = "application/problem+json"),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn import_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status();
            let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "a site list is at most {} MiB: split it",
                    sites_bulk::MAX_BYTES / (1024 * 1024)
                )
            } else {
                e.body_text()
            };
            return Ok(simple_problem(status, "Unreadable body", detail));
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(format) = Format::of_content_type(content_type) else {
        return Ok(simple_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!(
                "a site list is text/csv, application/geo+json or application/json, not \
                 {content_type:?}"
            ),
        ));
    };
    let notifier = caller.party.clone();
    let service = std::sync::Arc::clone(&state.service);
    let parsed = tokio::task::spawn_blocking(move || {
        let (rows, mut errors) = sites_bulk::parse_all(&body, format, &notifier, &mut |_| {});
        if !errors.is_empty() {
            // Report the service's refusals of the rows that parsed too: every bad row at once.
            let requests: Vec<_> = rows.iter().map(|r| r.request.clone()).collect();
            errors.extend(service.check_protected(&requests).into_iter().map(|e| {
                rows[e.row]
                    .place
                    .error(sites_bulk::column_of(&e.field), e.message)
            }));
            errors.sort_by_key(|e| (e.line, e.feature));
        }
        (rows, errors)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("parsing task failed: {e}")))?;
    let rows: Vec<SiteRow> = match parsed {
        (rows, errors) if errors.is_empty() => rows,
        (_, errors) => return Ok(refused(errors)),
    };
    let places: Vec<sites_bulk::Place> = rows.iter().map(|r| r.place).collect();
    let requests = rows.into_iter().map(|r| r.request).collect();
    let outcome = run(&state.service, move |s| {
        s.import_protected(&caller, requests)
    })
    .await?;
    match outcome {
        Ok(batch) => {
            let count = batch.sites.len();
            let body = ImportedJson {
                batch: batch.batch.to_string(),
                count,
                created: batch.created,
                updated: count - batch.created,
                notified_parties: batch.notifications.len(),
                sites: batch.sites.iter().map(ToString::to_string).collect(),
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(errors) => Ok(refused(
            errors
                .into_iter()
                .map(|e: ServiceRowError| {
                    places
                        .get(e.row)
                        .copied()
                        .unwrap_or(sites_bulk::Place::Feature(e.row))
                        .error(sites_bulk::column_of(&e.field), e.message)
                })
                .collect(),
        )),
    }
}

/// `?format=` of the export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (the import's columns) or `geojson` (a FeatureCollection); default `geojson`.
    pub format: Option<String>,
}

/// Export the protected sites and movements the caller may see, as a site list.
///
/// The caller's own notices, and others' whose disclosure is `full` (never a `conflict-only`
/// notice of another party). The list imports back as it is (`POST
/// /v1/protected-sites/import`): the caller's own rows become new versions.
#[utoipa::path(
    get,
    path = "/v1/protected-sites/export",
    tag = "protected sites",
    params(ExportParams),
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "The site list", content(
            (String = "text/csv"),
            (Object = "application/geo+json"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn export_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    q: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let format = match p.format.as_deref() {
        None | Some("geojson") => Format::Geojson,
        Some("csv") => Format::Csv,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format: must be csv or geojson, not {other:?}"
            )));
        }
    };
    let viewer = caller.party.clone();
    let mut notices = run(&state.service, move |s| s.list_protected(&caller)).await?;
    notices.retain(|n| sites_bulk::exportable(n, &viewer));
    let (body, content_type) = match format {
        Format::Csv => (
            sites_bulk::export_csv(&notices),
            "text/csv; charset=utf-8; header=present",
        ),
        Format::Geojson => (
            sites_bulk::export_geojson(&notices).to_string(),
            "application/geo+json",
        ),
    };
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(resp)
}
