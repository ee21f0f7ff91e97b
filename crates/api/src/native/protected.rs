//! Protected sites and movements (humanitarian notification), and separation zones. GeoJSON in
//! and out.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use deconflict_core::FootprintSpec;
use deconflict_service::protected::{
    NoticeStatus, OnConflict, ProtectedNotice, ProtectedShape, ProtectedView, PutProtected,
    SeparationClaim, SiteDisclosure,
};
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ceasefires::footprints;
use super::entity_id;
use super::error::ApiError;
use super::responses::{
    BadRequest, Forbidden, InternalError, NotFound, Unauthenticated, Unavailable, UnreadableBody,
};
use super::run;
use crate::{AppState, Authenticated};

/// A time window.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Window)]
pub struct WindowJson {
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
}

/// Body of `PUT /v1/protected-sites/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutProtectedSite)]
pub struct PutProtectedJson {
    /// Its name.
    pub name: String,
    /// hospital, school, camp, warehouse, convoy, ...
    pub category: String,
    /// A GeoJSON `Point` (a site, with `radius_m`), `Polygon` (a site) or `LineString` (a
    /// movement's route, with `corridor_width_m` and `windows`).
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// A point site's radius, metres.
    pub radius_m: Option<f64>,
    /// A movement's corridor width, metres.
    pub corridor_width_m: Option<f64>,
    /// A movement's time windows.
    #[serde(default)]
    pub windows: Vec<WindowJson>,
    /// Start of its validity (default now).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of its validity (default: 30 days after its start; at most 366 days from now). Its
    /// notifier is asked to reconfirm it before; if not, every party is told it lapses, and it
    /// protects for a grace period after that.
    pub valid_until: Option<DateTime<Utc>>,
    /// What other parties learn of it: `full` (its name and geometry, the default) or
    /// `conflict-only` (that it exists, its category and notifier; an operation of theirs that
    /// meets it learns of the conflict with its own footprint only). See `docs/disclosure.md`.
    #[serde(default)]
    #[schema(value_type = String, example = "conflict-only")]
    pub disclosure: SiteDisclosure,
    /// What happens to another party's operation that meets it: `refuse` (409 "Protected site
    /// conflict", whatever its key) or `flag` (a conflict its key must name). Default: `flag`
    /// for `full`, `refuse` for `conflict-only`.
    #[schema(value_type = Option<String>, example = "refuse")]
    pub on_conflict: Option<OnConflict>,
}

/// Body of `POST /v1/protected-sites/{id}/reconfirm`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReconfirmProtectedSite)]
pub struct ReconfirmJson {
    /// The new end of its validity (default: 30 days from now; at most 366).
    pub valid_until: Option<DateTime<Utc>>,
}

/// A protected site or movement, with each party's acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProtectedSite)]
pub struct ProtectedJson {
    /// Its id.
    #[schema(format = Uuid)]
    id: String,
    /// Who notified it.
    notifier: String,
    /// Its name.
    name: String,
    /// Its category.
    category: String,
    /// `site` or `movement`.
    kind: &'static str,
    /// As declared: GeoJSON `Point`, `Polygon` or `LineString`.
    #[schema(value_type = Object)]
    geometry: Value,
    /// A point site's radius, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    radius_m: Option<f64>,
    /// A movement's corridor width, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    corridor_width_m: Option<f64>,
    /// A movement's windows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    windows: Vec<WindowJson>,
    /// Start of its validity.
    valid_from: DateTime<Utc>,
    /// End of its validity.
    valid_until: DateTime<Utc>,
    /// `full` or `conflict-only` (only its notifier sees a `conflict-only` one here).
    #[schema(value_type = String)]
    disclosure: SiteDisclosure,
    /// `refuse` or `flag`.
    #[schema(value_type = String)]
    on_conflict: OnConflict,
    /// `active`, `reconfirmation_due`, `lapsing` (validity ended; still protecting) or `lapsed`.
    #[schema(value_type = String)]
    status: NoticeStatus,
    /// When it stops protecting, once its lapse has been announced.
    #[serde(skip_serializing_if = "Option::is_none")]
    protection_ends: Option<DateTime<Utc>>,
    /// Writes so far.
    version: u64,
    /// When this version was notified.
    notified_at: DateTime<Utc>,
    /// Each notified party's acknowledgement time of this version (null: not yet). Only in
    /// the answer for one site.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    acknowledgements: Option<Value>,
}

impl ProtectedJson {
    fn of(n: &ProtectedNotice, acks: Option<Value>, now: DateTime<Utc>) -> Self {
        let (kind, geometry, radius_m, corridor_width_m, windows) = match &n.shape {
            ProtectedShape::Site {
                footprint: FootprintSpec::Circle { center, radius_m },
            } => (
                "site",
                json!({"type": "Point", "coordinates": center}),
                Some(*radius_m),
                None,
                vec![],
            ),
            ProtectedShape::Site {
                footprint: FootprintSpec::Polygon { vertices },
            } => {
                let mut ring = vertices.clone();
                if ring.first() != ring.last()
                    && let Some(first) = ring.first().copied()
                {
                    ring.push(first);
                }
                (
                    "site",
                    json!({"type": "Polygon", "coordinates": [ring]}),
                    None,
                    None,
                    vec![],
                )
            }
            ProtectedShape::Movement {
                route,
                corridor_width_m,
                windows,
            } => (
                "movement",
                json!({"type": "LineString", "coordinates": route}),
                None,
                Some(*corridor_width_m),
                windows
                    .iter()
                    .map(|(start, end)| WindowJson {
                        start: *start,
                        end: *end,
                    })
                    .collect(),
            ),
        };
        Self {
            id: n.id.to_string(),
            notifier: n.notifier.to_string(),
            name: n.name.clone(),
            category: n.category.clone(),
            kind,
            geometry,
            radius_m,
            corridor_width_m,
            windows,
            valid_from: n.valid_from,
            valid_until: n.valid_until,
            disclosure: n.disclosure,
            on_conflict: n.on_conflict,
            status: n.status(now),
            protection_ends: n.lapse.as_ref().map(|l| l.protection_ends),
            version: n.version,
            notified_at: n.notified_at,
            acknowledgements: acks,
        }
    }
}

fn view_json(v: &ProtectedView, now: DateTime<Utc>) -> ProtectedJson {
    let acks: serde_json::Map<String, Value> = v
        .acknowledgements
        .iter()
        .map(|(p, t)| (p.to_string(), json!(t)))
        .collect();
    ProtectedJson::of(&v.notice, Some(Value::Object(acks)), now)
}

/// Every protected site and movement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProtectedSites)]
pub struct ProtectedListJson {
    /// By id.
    protected_sites: Vec<ProtectedJson>,
}

fn shape(b: &PutProtectedJson) -> Result<ProtectedShape, ApiError> {
    let bad = |why: &str| ApiError::BadRequest(format!("geometry: {why}"));
    let geometry = serde_json::from_value::<geojson::Geometry>(b.geometry.clone())
        .map_err(|e| ApiError::BadRequest(format!("geometry: not a GeoJSON geometry: {e}")))?;
    match geometry.value {
        geojson::GeometryValue::Point { coordinates } => {
            let radius_m = b
                .radius_m
                .ok_or_else(|| bad("a Point site needs radius_m"))?;
            match coordinates.as_slice() {
                [lon, lat] => Ok(ProtectedShape::Site {
                    footprint: FootprintSpec::Circle {
                        center: [*lon, *lat],
                        radius_m,
                    },
                }),
                _ => Err(bad("a position is [longitude, latitude]")),
            }
        }
        geojson::GeometryValue::Polygon { .. } => {
            let mut f = footprints(&b.geometry)?;
            match (f.pop(), f.is_empty()) {
                (Some(footprint), true) => Ok(ProtectedShape::Site { footprint }),
                _ => Err(bad("one polygon")),
            }
        }
        geojson::GeometryValue::LineString { coordinates } => {
            let route = coordinates
                .iter()
                .map(|p| match p.as_slice() {
                    [lon, lat] => Ok([*lon, *lat]),
                    _ => Err(bad("a position is [longitude, latitude]")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ProtectedShape::Movement {
                route,
                corridor_width_m: b
                    .corridor_width_m
                    .ok_or_else(|| bad("a LineString movement needs corridor_width_m"))?,
                windows: b.windows.iter().map(|w| (w.start, w.end)).collect(),
            })
        }
        _ => Err(bad("a Point (with radius_m), a Polygon or a LineString")),
    }
}

/// Notify a protected site or movement (or re-notify it, changed).
///
/// Its notifier only. Files or replaces its zone (kind `protected`, with this id): operations
/// that intersect it are conflicts of kind `protected` and must name it in their key. Every
/// registered party but the notifier is told in its inbox and must acknowledge before the
/// deadline; overdue acknowledgements are listed and escalate.
#[utoipa::path(
    put,
    path = "/v1/protected-sites/{id}",
    tag = "protected sites",
    params(("id" = Uuid, Path, description = "The site's id, chosen by its notifier")),
    request_body = PutProtectedJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Notified (see `version`)", body = ProtectedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, description = "\"Already exists\": the id is another entity's",
            body = super::error::ProblemJson, content_type = "application/problem+json"),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn put_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PutProtectedJson>, JsonRejection>,
) -> Result<Json<ProtectedJson>, ApiError> {
    let id = entity_id(path)?;
    let Json(b) = body?;
    let req = PutProtected {
        id,
        shape: shape(&b)?,
        name: b.name,
        category: b.category,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
        disclosure: b.disclosure,
        on_conflict: b.on_conflict,
    };
    let now = state.service.now();
    let v = run(&state.service, move |s| s.put_protected(&caller, req)).await?;
    Ok(Json(view_json(&v, now)))
}

/// Read a protected site or movement, with each party's acknowledgement of its current version.
#[utoipa::path(
    get,
    path = "/v1/protected-sites/{id}",
    tag = "protected sites",
    params(("id" = Uuid, Path, description = "The site's id")),
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "The site", body = ProtectedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn get_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<ProtectedJson>, ApiError> {
    let id = entity_id(path)?;
    let now = state.service.now();
    let v = run(&state.service, move |s| s.get_protected(&caller, id)).await?;
    Ok(Json(view_json(&v, now)))
}

/// Reconfirm a protected site or movement: extend its validity.
///
/// Its notifier only. Before its validity ends its notifier is asked (`reconfirmation_due`);
/// a notice not reconfirmed lapses: every party is told (`protected_site_lapsing`) and it stops
/// protecting a grace period later. Reconfirming extends it; a lapsing or lapsed one protects
/// again, and every other party is told (`protected_site_reconfirmed`).
#[utoipa::path(
    post,
    path = "/v1/protected-sites/{id}/reconfirm",
    tag = "protected sites",
    params(("id" = Uuid, Path, description = "The site's id")),
    request_body = ReconfirmJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Reconfirmed", body = ProtectedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = UnreadableBody),
        (status = 415, response = UnreadableBody),
        (status = 422, response = UnreadableBody),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn reconfirm_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<ReconfirmJson>, JsonRejection>,
) -> Result<Json<ProtectedJson>, ApiError> {
    let id = entity_id(path)?;
    let Json(b) = body?;
    let now = state.service.now();
    let v = run(&state.service, move |s| {
        s.reconfirm_protected(&caller, id, b.valid_until)
    })
    .await?;
    Ok(Json(view_json(&v, now)))
}

/// List the protected sites and movements.
#[utoipa::path(
    get,
    path = "/v1/protected-sites",
    tag = "protected sites",
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "Every site and movement", body = ProtectedListJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_protected<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<ProtectedListJson>, ApiError> {
    let now = state.service.now();
    let all = run(&state.service, move |s| s.list_protected(&caller)).await?;
    Ok(Json(ProtectedListJson {
        protected_sites: all
            .iter()
            .map(|n| ProtectedJson::of(n, None, now))
            .collect(),
    }))
}

/// Body of `PUT /v1/separation-zones/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PutSeparationZone)]
pub struct PutSeparationJson {
    /// The group declared present.
    pub group: String,
    /// A statement, in the author's words.
    #[serde(default)]
    pub statement: String,
    /// Where: a GeoJSON `Polygon` or `MultiPolygon`.
    #[schema(value_type = Object)]
    pub area: Value,
    /// Lowest altitude, metres (default: every altitude).
    pub altitude_lower_m: Option<f64>,
    /// Highest altitude, metres.
    pub altitude_upper_m: Option<f64>,
    /// From.
    pub window_start: DateTime<Utc>,
    /// Until.
    pub window_end: DateTime<Utc>,
}

/// A separation zone claim.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SeparationZone)]
pub struct SeparationJson {
    /// Its id.
    #[schema(format = Uuid)]
    id: String,
    /// Who declared it.
    author: String,
    /// The group declared present.
    group: String,
    /// The author's statement.
    statement: String,
    /// Where: a GeoJSON `MultiPolygon`.
    #[schema(value_type = Object)]
    area: Value,
    /// Altitude band.
    altitude_lower_m: f64,
    /// Altitude band upper bound.
    altitude_upper_m: f64,
    /// From.
    window_start: DateTime<Utc>,
    /// Until.
    window_end: DateTime<Utc>,
    /// When declared.
    declared_at: DateTime<Utc>,
    /// Its zone's OVN (operations over it name it in their key).
    ovn: String,
}

impl From<&SeparationClaim> for SeparationJson {
    fn from(c: &SeparationClaim) -> Self {
        let polygons: Vec<Value> = c
            .volumes
            .iter()
            .filter_map(|v| match &v.footprint {
                FootprintSpec::Polygon { vertices } => Some(json!([vertices])),
                FootprintSpec::Circle { .. } => None,
            })
            .collect();
        let first = c.volumes.first();
        Self {
            id: c.id.to_string(),
            author: c.author.to_string(),
            group: c.group.clone(),
            statement: c.statement.clone(),
            area: json!({"type": "MultiPolygon", "coordinates": polygons}),
            altitude_lower_m: first.map_or(0.0, |v| v.altitude_lower_m),
            altitude_upper_m: first.map_or(0.0, |v| v.altitude_upper_m),
            window_start: first.map_or(c.declared_at, |v| v.time_start),
            window_end: first.map_or(c.declared_at, |v| v.time_end),
            declared_at: c.declared_at,
            ovn: c.ovn.to_string(),
        }
    }
}

/// Every separation zone claim.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SeparationZones)]
pub struct SeparationListJson {
    /// By id.
    separation_zones: Vec<SeparationJson>,
}

/// Declare a separation zone.
///
/// Where a named group is present, by the declaring party's account: recorded with its author
/// (the service takes no side), and filed as a zone of kind `separation` that operations over it
/// conflict with (and name in their key). Re-declaring replaces it (its author only).
#[utoipa::path(
    put,
    path = "/v1/separation-zones/{id}",
    tag = "separation zones",
    params(("id" = Uuid, Path, description = "The zone's id, chosen by its author")),
    request_body = PutSeparationJson,
    security(("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "Declared", body = SeparationJson),
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
pub(crate) async fn put_separation<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    path: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<PutSeparationJson>, JsonRejection>,
) -> Result<Json<SeparationJson>, ApiError> {
    let id = entity_id(path)?;
    let Json(b) = body?;
    let (lo, hi) = match (b.altitude_lower_m, b.altitude_upper_m) {
        (Some(l), Some(u)) => (l, u),
        (None, None) => {
            let all = deconflict_core::AltitudeBand::all();
            (all.lower_m(), all.upper_m())
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give both altitude_lower_m and altitude_upper_m, or neither".into(),
            ));
        }
    };
    let volumes = footprints(&b.area)?
        .into_iter()
        .map(|footprint| deconflict_core::VolumeSpec {
            footprint,
            altitude_lower_m: lo,
            altitude_upper_m: hi,
            time_start: b.window_start,
            time_end: b.window_end,
        })
        .collect();
    let claim = run(&state.service, move |s| {
        s.put_separation(&caller, id, &b.group, &b.statement, volumes)
    })
    .await?;
    Ok(Json(SeparationJson::from(&claim)))
}

/// List the separation zone claims.
#[utoipa::path(
    get,
    path = "/v1/separation-zones",
    tag = "separation zones",
    security(("bearer" = ["deconflict.read"])),
    responses(
        (status = 200, description = "Every claim", body = SeparationListJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn list_separations<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<SeparationListJson>, ApiError> {
    let all = run(&state.service, move |s| s.list_separations(&caller)).await?;
    Ok(Json(SeparationListJson {
        separation_zones: all.iter().map(SeparationJson::from).collect(),
    }))
}
