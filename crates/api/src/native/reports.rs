//! Violation reports: file, list, read, review, and the daily tallies (JSON or CSV). Locations
//! are GeoJSON in and out: a `Point` with `uncertainty_m`, or a `Polygon`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use deconflict_core::{EntityId, PartyId, Reason, ValidationError};
use deconflict_service::ServiceError;
use deconflict_service::reports::{
    FileReport, Location, Report, ReportFilter, ReportStatus, Source, SourceKind, TallyRow,
};
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{ApiError, ProblemJson};
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
};
use super::run;
use crate::{AppState, Authenticated};

/// Default page size of `GET /v1/reports`.
const DEFAULT_PAGE: usize = 100;

/// One source of a provenance chain.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReportSource)]
pub struct SourceJson {
    /// `official_statement`, `news_agency`, `eyewitness`, `observer` or `other`.
    pub kind: String,
    /// Its name, e.g. the ministry or the agency.
    pub name: String,
    /// When it published the claim (RFC 3339).
    pub published_at: Option<DateTime<Utc>>,
    /// Where (http or https).
    pub url: Option<String>,
    /// Its words, as published.
    pub quote: Option<String>,
}

/// Body of `POST /v1/reports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FileReport)]
pub struct FileReportJson {
    /// Its id: a UUID chosen by the reporter, or one chosen by the server when absent.
    #[schema(format = Uuid)]
    pub id: Option<Uuid>,
    /// Start of the observed window (RFC 3339; not in the future).
    pub observed_start: DateTime<Utc>,
    /// End of the observed window (after the start, at most 31 days later).
    pub observed_end: DateTime<Utc>,
    /// Where: a GeoJSON `Point` (WGS84 `[lon, lat]`, with `uncertainty_m`) or `Polygon` (one
    /// ring, no holes) geometry.
    #[schema(value_type = Object)]
    pub location: Value,
    /// With a `Point`: the radius within which the event took place, metres (> 0).
    pub uncertainty_m: Option<f64>,
    /// `air_strike`, `shelling`, `ground_clash`, `drone_strike` or `other`.
    pub category: String,
    /// The party the report alleges responsible, if any (a registered party; it is told).
    pub alleged_party: Option<String>,
    /// Where the claim comes from, original first: each next source relays the one before it
    /// (e.g. an official statement, then the news agency that quoted it). 1 to 20.
    pub provenance: Vec<SourceJson>,
    /// Links to evidence (http or https; at most 50).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// What was observed, factually (at most 10,000 characters).
    #[serde(default)]
    pub description: String,
}

/// Body of `POST /v1/reports/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewReport)]
pub struct ReviewJson {
    /// `under_review` (from `reported`), then `confirmed`, `unconfirmed` or `dismissed`.
    pub status: String,
    /// Why, in the reviewer's words.
    pub reason: String,
}

/// A step of a report's status history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReportTransition)]
pub struct TransitionJson {
    /// The reviewer.
    by: String,
    /// When.
    at: DateTime<Utc>,
    /// From which status.
    from: String,
    /// To which.
    to: String,
    /// Why.
    reason: String,
}

/// A report: a claim on record, not a finding.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Report)]
pub struct ReportJson {
    /// Its id.
    #[schema(format = Uuid)]
    id: String,
    /// Who filed it.
    reporter: String,
    /// When.
    filed_at: DateTime<Utc>,
    /// Start of the observed window.
    observed_start: DateTime<Utc>,
    /// End of the observed window.
    observed_end: DateTime<Utc>,
    /// A GeoJSON `Point` or `Polygon` geometry.
    #[schema(value_type = Object)]
    location: Value,
    /// With a `Point`: its uncertainty radius, metres (null with a `Polygon`).
    uncertainty_m: Option<f64>,
    /// Its category.
    category: String,
    /// The party it alleges responsible, if any.
    alleged_party: Option<String>,
    /// Where the claim comes from, original first.
    provenance: Vec<SourceJson>,
    /// Links to evidence.
    evidence: Vec<String>,
    /// What was observed.
    description: String,
    /// The agreements in force at its place at some instant of its observed window.
    agreements: Vec<String>,
    /// Its incident group: the id of one of the group's reports, shared by every report of the
    /// group (same category, near in space and time).
    #[schema(format = Uuid)]
    group: String,
    /// `reported`, `under_review`, `confirmed`, `unconfirmed` or `dismissed`.
    status: String,
    /// Every status change, oldest first.
    history: Vec<TransitionJson>,
    /// Writes so far.
    version: u64,
}

impl From<&Report> for ReportJson {
    fn from(r: &Report) -> Self {
        let (location, uncertainty_m) = match &r.location {
            Location::Point {
                lon,
                lat,
                uncertainty_m,
            } => (
                json!({"type": "Point", "coordinates": [lon, lat]}),
                Some(*uncertainty_m),
            ),
            Location::Polygon { vertices } => {
                let mut ring: Vec<[f64; 2]> = vertices.clone();
                if let (Some(first), Some(last)) = (ring.first().copied(), ring.last().copied())
                    && first != last
                {
                    ring.push(first);
                }
                (json!({"type": "Polygon", "coordinates": [ring]}), None)
            }
        };
        Self {
            id: r.id.to_string(),
            reporter: r.reporter.to_string(),
            filed_at: r.filed_at,
            observed_start: r.observed_start,
            observed_end: r.observed_end,
            location,
            uncertainty_m,
            category: r.category.clone(),
            alleged_party: r.alleged_party.as_ref().map(ToString::to_string),
            provenance: r
                .provenance
                .iter()
                .map(|s| SourceJson {
                    kind: kind_name(s.kind).to_owned(),
                    name: s.name.clone(),
                    published_at: s.published_at,
                    url: s.url.clone(),
                    quote: s.quote.clone(),
                })
                .collect(),
            evidence: r.evidence.clone(),
            description: r.description.clone(),
            agreements: r.agreements.iter().map(ToString::to_string).collect(),
            group: r.group.to_string(),
            status: r.status.as_str().to_owned(),
            history: r
                .history
                .iter()
                .map(|t| TransitionJson {
                    by: t.by.to_string(),
                    at: t.at,
                    from: t.from.as_str().to_owned(),
                    to: t.to.as_str().to_owned(),
                    reason: t.reason.clone(),
                })
                .collect(),
            version: r.version,
        }
    }
}

fn kind_name(k: SourceKind) -> &'static str {
    SourceKind::ALL
        .iter()
        .find(|(_, x)| *x == k)
        .map_or("other", |(n, _)| n)
}

/// A page of reports.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Reports)]
pub struct ReportsJson {
    /// By id.
    reports: Vec<ReportJson>,
    /// Pass as `after` for the next page; null when this is the last.
    #[schema(format = Uuid)]
    next: Option<String>,
}

/// One row of the tallies.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = TallyRow)]
pub struct TallyJson {
    /// UTC date of the reports' observed start (YYYY-MM-DD).
    day: NaiveDate,
    /// The agreement they were matched to; null for reports matched to none.
    #[schema(format = Uuid)]
    agreement: Option<String>,
    /// Their category.
    category: String,
    /// The party they allege responsible; null when none is named.
    alleged_party: Option<String>,
    /// Reports (dismissed reports are not counted).
    reports: u64,
    /// Distinct incident groups among them.
    incidents: u64,
}

impl From<&TallyRow> for TallyJson {
    fn from(t: &TallyRow) -> Self {
        Self {
            day: t.day,
            agreement: t.agreement.map(|a| a.to_string()),
            category: t.category.clone(),
            alleged_party: t.alleged_party.as_ref().map(ToString::to_string),
            reports: t.reports,
            incidents: t.incidents,
        }
    }
}

/// The tallies.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Tallies)]
pub struct TalliesJson {
    /// First day, inclusive.
    from: NaiveDate,
    /// Last day, inclusive.
    to: NaiveDate,
    /// By day, agreement (null first), category and alleged party (null first).
    tallies: Vec<TallyJson>,
}

/// Filters and paging of `GET /v1/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only reports matched to this agreement (its id).
    agreement: Option<String>,
    /// Only reports of this category.
    category: Option<String>,
    /// Only reports alleging this party.
    alleged_party: Option<String>,
    /// Only reports in this status.
    status: Option<String>,
    /// Only reports with a greater id (the `next` of the previous page).
    after: Option<String>,
    /// Most reports in the page (1 to 500; default 100).
    limit: Option<usize>,
}

/// `GET /v1/reports/tallies` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TallyParams {
    /// First day, YYYY-MM-DD (UTC), inclusive.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC), inclusive.
    to: Option<String>,
    /// Only this agreement's rows (its id).
    agreement: Option<String>,
    /// `json` or `csv`; without it, CSV when `Accept` names `text/csv`, JSON otherwise.
    format: Option<String>,
}

fn field_error(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::Service(ServiceError::Invalid(ValidationError::new(
        field,
        Reason::Malformed(why.into()),
    )))
}

fn uuid_param(field: &str, v: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    v.map(|s| Uuid::parse_str(s).map_err(|_| field_error(field, "must be a UUID")))
        .transpose()
}

fn party_param(field: &str, v: Option<&str>) -> Result<Option<PartyId>, ApiError> {
    v.map(|s| {
        PartyId::new(s).map_err(|e| {
            ApiError::Service(ServiceError::Invalid(ValidationError::new(
                field,
                e.reason().clone(),
            )))
        })
    })
    .transpose()
}

fn day_param(field: &str, v: Option<&str>) -> Result<NaiveDate, ApiError> {
    let s = v.ok_or_else(|| field_error(field, "required, as YYYY-MM-DD"))?;
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| field_error(field, "must be a date, YYYY-MM-DD"))
}

/// The location of a report from a GeoJSON geometry and its uncertainty.
fn location(geometry: &Value, uncertainty_m: Option<f64>) -> Result<Location, ApiError> {
    let g = serde_json::from_value::<geojson::Geometry>(geometry.clone())
        .map_err(|e| field_error("location", format!("not a GeoJSON geometry: {e}")))?;
    match g.value {
        geojson::GeometryValue::Point { coordinates } => {
            let [lon, lat, ..] = coordinates.as_slice() else {
                return Err(field_error("location", "a position needs lon and lat"));
            };
            let uncertainty_m = uncertainty_m.ok_or_else(|| {
                field_error(
                    "uncertainty_m",
                    "required with a Point: the radius within which the event took place, metres",
                )
            })?;
            Ok(Location::Point {
                lon: *lon,
                lat: *lat,
                uncertainty_m,
            })
        }
        geojson::GeometryValue::Polygon { coordinates } => {
            if uncertainty_m.is_some() {
                return Err(field_error(
                    "uncertainty_m",
                    "only with a Point: a Polygon is the area itself",
                ));
            }
            let [ring] = coordinates.as_slice() else {
                return Err(field_error(
                    "location",
                    format!(
                        "the polygon has {} rings: one exterior ring, no holes",
                        coordinates.len()
                    ),
                ));
            };
            let vertices = ring
                .iter()
                .map(|p| match p.as_slice() {
                    [lon, lat, ..] => Ok([*lon, *lat]),
                    _ => Err(field_error("location", "a position needs lon and lat")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Location::Polygon { vertices })
        }
        _ => Err(field_error(
            "location",
            "must be a GeoJSON Point (with uncertainty_m) or Polygon",
        )),
    }
}

/// Names a refused location field as the body spells it (GeoJSON coordinates, and
/// `uncertainty_m` beside the geometry) rather than as the service's `Location` does.
fn geojson_field(e: ApiError) -> ApiError {
    let ApiError::Service(ServiceError::Invalid(v)) = &e else {
        return e;
    };
    let f = v.field();
    let renamed = if f == "location.uncertainty_m" {
        "uncertainty_m".to_owned()
    } else if f == "location.lon" {
        "location.coordinates[0]".to_owned()
    } else if f == "location.lat" {
        "location.coordinates[1]".to_owned()
    } else if let Some(rest) = f.strip_prefix("location.vertices") {
        format!("location.coordinates[0]{rest}")
    } else {
        return e;
    };
    ApiError::Service(ServiceError::Invalid(ValidationError::new(
        renamed,
        v.reason().clone(),
    )))
}

fn file_request(b: FileReportJson) -> Result<FileReport, ApiError> {
    let provenance = b
        .provenance
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let kind = SourceKind::parse(&s.kind).ok_or_else(|| {
                field_error(
                    &format!("provenance[{i}].kind"),
                    "must be official_statement, news_agency, eyewitness, observer or other",
                )
            })?;
            Ok(Source {
                kind,
                name: s.name,
                published_at: s.published_at,
                url: s.url,
                quote: s.quote,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(FileReport {
        id: b.id,
        observed_start: b.observed_start,
        observed_end: b.observed_end,
        location: location(&b.location, b.uncertainty_m)?,
        category: b.category,
        alleged_party: party_param("alleged_party", b.alleged_party.as_deref())?,
        provenance,
        evidence: b.evidence,
        description: b.description,
    })
}

/// File a violation report.
///
/// Records the claim as `reported`, with the caller as reporter. It is matched to the ceasefire
/// agreements in force at its place at some instant of its observed window, and put in the
/// incident group of the reports of the same category observed within 6 hours and 10 km of it
/// (nearest points, uncertainty included; groups it bridges are merged). The alleged party, if
/// any and not the reporter, is told in its inbox (and by webhook, through the callback URL of
/// its subscription over the place, else its first with one), to acknowledge.
#[utoipa::path(
    post,
    path = "/v1/reports",
    tag = "reports",
    request_body = FileReportJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 201, description = "Filed", body = ReportJson),
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
pub(crate) async fn file_report<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    body: Result<Json<FileReportJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let req = file_request(b)?;
    let r = run(&state.service, move |s| s.file_report(&caller, req))
        .await
        .map_err(geojson_field)?;
    Ok((StatusCode::CREATED, Json(ReportJson::from(&r))).into_response())
}

/// List violation reports.
///
/// Reports are public to every party. Filters combine; pages follow the id order (pass `next`
/// as `after`).
#[utoipa::path(
    get,
    path = "/v1/reports",
    tag = "reports",
    params(ListParams),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "A page of reports, by id", body = ReportsJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_reports<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ReportsJson>, ApiError> {
    let Query(p) = q?;
    let filter = ReportFilter {
        agreement: uuid_param("agreement", p.agreement.as_deref())?.map(EntityId),
        category: p.category,
        alleged_party: party_param("alleged_party", p.alleged_party.as_deref())?,
        status: p
            .status
            .as_deref()
            .map(|s| {
                ReportStatus::parse(s).ok_or_else(|| {
                    field_error(
                        "status",
                        "must be reported, under_review, confirmed, unconfirmed or dismissed",
                    )
                })
            })
            .transpose()?,
    };
    let after = uuid_param("after", p.after.as_deref())?;
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    let page = run(&state.service, move |s| {
        s.list_reports(&caller, &filter, after, limit)
    })
    .await?;
    Ok(Json(ReportsJson {
        reports: page.reports.iter().map(ReportJson::from).collect(),
        next: page.next.map(|n| n.to_string()),
    }))
}

fn report_id(p: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, ApiError> {
    Ok(p?.0)
}

/// Read a violation report.
#[utoipa::path(
    get,
    path = "/v1/reports/{id}",
    tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id")),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The report", body = ReportJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_report<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let id = report_id(path)?;
    let r = run(&state.service, move |s| s.get_report(&caller, id)).await?;
    Ok(Json(ReportJson::from(&r)))
}

/// Review a violation report (reviewers only).
///
/// Moves it `reported` → `under_review` → `confirmed`, `unconfirmed` or `dismissed`, with a
/// reason; each step is kept in its history. A reviewer may not review a report it filed or
/// that names it.
#[utoipa::path(
    post,
    path = "/v1/reports/{id}/status",
    tag = "reports",
    params(("id" = Uuid, Path, description = "The report's id")),
    request_body = ReviewJson,
    security(("bearer" = ["deconflict.review"])),
    responses(
        (status = 200, description = "Its new status", body = ReportJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "\"Invalid state\": the workflow has no such step from \
            the report's status", body = ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn review_report<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ReviewJson>, JsonRejection>,
) -> Result<Json<ReportJson>, ApiError> {
    let id = report_id(path)?;
    let Json(b) = body?;
    let to = ReportStatus::parse(&b.status).ok_or_else(|| {
        field_error(
            "status",
            "must be under_review, confirmed, unconfirmed or dismissed",
        )
    })?;
    let r = run(&state.service, move |s| {
        s.review_report(&caller, id, to, &b.reason)
    })
    .await?;
    Ok(Json(ReportJson::from(&r)))
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The tallies as CSV (RFC 4180): a header line, CRLF line ends, empty fields for null.
pub(crate) fn tallies_csv(rows: &[TallyRow]) -> String {
    let mut out = String::from("day,agreement,category,alleged_party,reports,incidents\r\n");
    for t in rows {
        let fields = [
            t.day.to_string(),
            t.agreement.map(|a| a.to_string()).unwrap_or_default(),
            t.category.clone(),
            t.alleged_party
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            t.reports.to_string(),
            t.incidents.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Daily tallies of violation reports, as JSON or CSV.
///
/// One row per UTC day (of the observed start), agreement (a report counts once for each
/// agreement it was matched to; null for reports matched to none), category and alleged party
/// (null when none is named), with the number of reports and of distinct incident groups.
/// Dismissed reports are not counted. CSV (`?format=csv` or `Accept: text/csv`): RFC 4180, a
/// header line `day,agreement,category,alleged_party,reports,incidents`, CRLF line ends, null
/// as an empty field.
#[utoipa::path(
    get,
    path = "/v1/reports/tallies",
    tag = "reports",
    params(TallyParams),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The tallies", content(
            (TalliesJson = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn report_tallies<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    q: Result<Query<TallyParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let from = day_param("from", p.from.as_deref())?;
    let to = day_param("to", p.to.as_deref())?;
    let agreement = uuid_param("agreement", p.agreement.as_deref())?.map(EntityId);
    let csv = match p.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(field_error("format", "must be json or csv")),
        None => headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("text/csv")),
    };
    let rows = run(&state.service, move |s| {
        s.report_tallies(&caller, from, to, agreement)
    })
    .await?;
    if csv {
        let mut resp = tallies_csv(&rows).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
        );
        return Ok(resp);
    }
    Ok(Json(TalliesJson {
        from,
        to,
        tallies: rows.iter().map(TallyJson::from).collect(),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("shelling"), "shelling");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
    }
}
