//! Site lists as CSV and GeoJSON: the one parser of bulk imports, shared by the server
//! (`POST /v1/protected-sites/import`) and the CLI (`deconflict sites import`, which checks a
//! file before sending it), so that both name the same line and field; and the export.
//!
//! Each row becomes the same JSON object `PUT /v1/protected-sites/{id}` takes, decoded with the
//! same DTO ([`PutProtectedJson`]) and the same geometry conversion, so every field of the
//! single-site endpoint is a column (CSV) or property (GeoJSON) here. Pure: no I/O.
//!
//! **CSV**: a header line, then one site per line. Columns (any order; all but `name` and
//! `category` optional; an empty cell is an absent field):
//! `id` (UUID; absent: derived from the notifier and the row, so that re-importing the same file
//! makes new versions, not duplicates), `name`, `category`, `lon`, `lat`, `radius_m` (a point
//! site), `geometry` (instead of `lon`/`lat`: a GeoJSON geometry as JSON text — a `Polygon`, or a
//! `LineString` route with `corridor_width_m` and `windows`), `corridor_width_m`, `windows` (JSON
//! text: `[{"start": …, "end": …}]`), `valid_from`, `valid_until` (RFC 3339), `disclosure`
//! (`full` | `conflict-only`), `on_conflict` (`refuse` | `flag`). Lines count from 1, the header
//! being line 1.
//!
//! **GeoJSON**: a `FeatureCollection`; each feature's `geometry` is the site's, its `properties`
//! the other fields, its `id` (or `properties.id`) the site's id; `notifier` and `version`
//! (added by an export) are ignored. Errors name the feature index (from 0).

use chrono::{DateTime, Utc};
use deconflict_core::{EntityId, FootprintSpec, PartyId};
use deconflict_service::ServiceError;
use deconflict_service::protected::{ProtectedNotice, ProtectedShape, PutProtected};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::ApiError;
use super::protected::{PutProtectedJson, shape};

/// The formats of site lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV with a header line.
    Csv,
    /// A GeoJSON `FeatureCollection`.
    Geojson,
}

impl Format {
    /// The format of a `Content-Type` (`text/csv`; `application/geo+json` or
    /// `application/json`), if it is one.
    pub fn of_content_type(ct: &str) -> Option<Self> {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Self::Csv),
            "application/geo+json" | "application/json" => Some(Self::Geojson),
            _ => None,
        }
    }

    /// The format of a file name's extension (`.csv`; `.geojson` or `.json`).
    pub fn of_path(path: &str) -> Option<Self> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Self::Geojson)
        } else {
            None
        }
    }

    /// Its `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Geojson => "application/geo+json",
        }
    }
}

/// Why one row was refused: where (a CSV line, or a GeoJSON feature index), which field, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportRowError)]
pub struct RowError {
    /// CSV: the line number (the header is line 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// GeoJSON: the feature's index in `features` (from 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<usize>,
    /// The field (CSV column or GeoJSON property; `geometry`, `id`, or `row` for the whole row).
    pub field: String,
    /// Why.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.feature) {
            (Some(l), _) => write!(f, "line {l}, field {}: {}", self.field, self.message),
            (None, Some(i)) => write!(f, "feature {i}, field {}: {}", self.field, self.message),
            (None, None) => write!(f, "field {}: {}", self.field, self.message),
        }
    }
}

/// Where a row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A CSV line (from 1, the header).
    Line(usize),
    /// A GeoJSON feature index (from 0).
    Feature(usize),
}

impl Place {
    /// A row error here.
    pub fn error(self, field: impl Into<String>, message: impl Into<String>) -> RowError {
        let (line, feature) = match self {
            Self::Line(l) => (Some(l), None),
            Self::Feature(i) => (None, Some(i)),
        };
        RowError {
            line,
            feature,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One decoded row, ready for the service.
#[derive(Debug, Clone)]
pub struct SiteRow {
    /// Where it is in its file.
    pub place: Place,
    /// The request (its id given or derived).
    pub request: PutProtected,
}

/// Most bytes of a site list (`POST /v1/protected-sites/import` answers 413 beyond).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The namespace of derived site ids (UUID v5 of the notifier and the row).
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6465_636f_6e66_6c69_6374_2d73_6974_6573);

/// Properties an export adds for its reader, ignored by an import.
const EXPORT_ONLY: &[&str] = &["notifier", "version"];

const CSV_COLUMNS: &[&str] = &[
    "id",
    "name",
    "category",
    "lon",
    "lat",
    "radius_m",
    "geometry",
    "corridor_width_m",
    "windows",
    "valid_from",
    "valid_until",
    "disclosure",
    "on_conflict",
];

/// The field a serde error names: its path, or the field of a missing/unknown field message.
fn serde_field(path: &str, message: &str) -> String {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(end) = rest.find('`')
        {
            return rest[..end].to_owned();
        }
    }
    let path = path.trim_start_matches('.');
    if path.is_empty() {
        "row".into()
    } else {
        path.split(['.', '[']).next().unwrap_or("row").to_owned()
    }
}

/// The column (or property) of a row that a service's field name is about: the service names
/// fields of the zone it builds (`volumes[0].footprint.radius_m`), a list names its columns.
pub fn column_of(field: &str) -> String {
    let Some(rest) = field.strip_prefix("volumes[") else {
        return field.to_owned();
    };
    let inner = rest.split_once("].").map_or("", |(_, f)| f);
    if inner.starts_with("footprint.radius_m") {
        "radius_m".into()
    } else if inner.starts_with("footprint.center") {
        "lon,lat".into()
    } else if inner.starts_with("time") {
        "valid_from".into()
    } else {
        "geometry".into()
    }
}

/// A conversion refusal as a row error (its field and message).
fn api_error(place: Place, e: ApiError) -> RowError {
    match e {
        ApiError::BadRequest(s) => match s.split_once(": ") {
            Some((field, why)) => {
                let field = if field == "area" { "geometry" } else { field };
                place.error(field, why)
            }
            None => place.error("row", s),
        },
        ApiError::Service(ServiceError::Invalid(v)) => {
            place.error(v.field().to_owned(), v.reason().to_string())
        }
        other => place.error("row", format!("{other:?}")),
    }
}

/// The id of a row without one: the same for the same notifier, name, category and geometry
/// (so that a list re-imported with other validity, radius or disclosure makes new versions of
/// the same sites).
pub fn derived_id(notifier: &PartyId, object: &Map<String, Value>) -> EntityId {
    let identity = json!([
        notifier.as_str(),
        object.get("name"),
        object.get("category"),
        object.get("geometry"),
    ]);
    EntityId(Uuid::new_v5(&ID_NAMESPACE, identity.to_string().as_bytes()))
}

/// Decodes one row's object (the body of the single-site endpoint) into a request.
fn decode(
    place: Place,
    id: Option<EntityId>,
    object: Map<String, Value>,
    notifier: &PartyId,
) -> Result<SiteRow, RowError> {
    let id = id.unwrap_or_else(|| derived_id(notifier, &object));
    let body: PutProtectedJson =
        serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            place.error(serde_field(&path, &message), message)
        })?;
    let shape = shape(&body).map_err(|e| api_error(place, e))?;
    Ok(SiteRow {
        place,
        request: PutProtected {
            id,
            shape,
            name: body.name,
            category: body.category,
            valid_from: body.valid_from,
            valid_until: body.valid_until,
            disclosure: body.disclosure,
            on_conflict: body.on_conflict,
        },
    })
}

fn parse_id(place: Place, v: &Value) -> Result<EntityId, RowError> {
    v.as_str()
        .and_then(|s| Uuid::parse_str(s.trim()).ok())
        .map(EntityId)
        .ok_or_else(|| place.error("id", format!("must be a UUID, got {v}")))
}

/// A row's id, if given, and its object (the body of the single-site endpoint).
type RowObject = (Option<EntityId>, Map<String, Value>);

/// One CSV record's object, or every error of its cells.
fn csv_object(
    place: Place,
    header: &[String],
    record: &csv::StringRecord,
) -> Result<RowObject, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut object = Map::new();
    let mut id = None;
    let (mut lon, mut lat) = (None, None);
    let (mut lon_given, mut lat_given) = (false, false);
    if record.len() != header.len() {
        errors.push(place.error(
            "row",
            format!(
                "has {} cells, the header {} columns",
                record.len(),
                header.len()
            ),
        ));
        return Err(errors);
    }
    for (column, cell) in header.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let number = |errors: &mut Vec<RowError>| match cell.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                errors.push(place.error(column, format!("must be a number, got {cell:?}")));
                None
            }
        };
        let json_text = |errors: &mut Vec<RowError>| match serde_json::from_str::<Value>(cell) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(place.error(column, format!("must be JSON: {e}")));
                None
            }
        };
        match column.as_str() {
            "id" => match parse_id(place, &json!(cell)) {
                Ok(v) => id = Some(v),
                Err(e) => errors.push(e),
            },
            "lon" => {
                lon_given = true;
                lon = number(&mut errors);
            }
            "lat" => {
                lat_given = true;
                lat = number(&mut errors);
            }
            "radius_m" | "corridor_width_m" => {
                if let Some(x) = number(&mut errors) {
                    object.insert(column.clone(), json!(x));
                }
            }
            "geometry" | "windows" => {
                if let Some(v) = json_text(&mut errors) {
                    object.insert(column.clone(), v);
                }
            }
            _ => {
                object.insert(column.clone(), json!(cell));
            }
        }
    }
    match (lon, lat, object.contains_key("geometry")) {
        (Some(_), Some(_), true) => {
            errors.push(place.error("geometry", "give lon and lat, or geometry, not both"));
        }
        (Some(lon), Some(lat), false) => {
            object.insert(
                "geometry".into(),
                json!({"type": "Point", "coordinates": [lon, lat]}),
            );
        }
        // A cell already refused is reported once.
        (Some(_), None, _) if !lat_given => errors.push(place.error("lat", "lon needs lat")),
        (None, Some(_), _) if !lon_given => errors.push(place.error("lon", "lat needs lon")),
        (None, None, false)
            if !lon_given && !lat_given && !errors.iter().any(|e| e.field == "geometry") =>
        {
            errors.push(place.error("lon", "a site needs lon and lat, or geometry"));
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok((id, object))
    } else {
        Err(errors)
    }
}

/// Parses a CSV site list; `progress` is told the byte offset reached after each row.
fn parse_csv(
    bytes: &[u8],
    notifier: &PartyId,
    progress: &mut dyn FnMut(u64),
) -> (Vec<SiteRow>, Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => return (vec![], vec![Place::Line(1).error("header", e.to_string())]),
    };
    let mut errors = Vec::new();
    for (i, column) in header.iter().enumerate() {
        // An empty header cell still gets a field to name (found by the `site_list` fuzz target).
        let named = if column.is_empty() {
            format!("column {}", i + 1)
        } else {
            column.clone()
        };
        if !CSV_COLUMNS.contains(&column.as_str()) {
            errors.push(Place::Line(1).error(
                named,
                format!(
                    "unknown column (column {}); the columns are {}",
                    i + 1,
                    CSV_COLUMNS.join(",")
                ),
            ));
        } else if header[..i].contains(column) {
            errors.push(Place::Line(1).error(named, "column given twice"));
        }
    }
    for required in ["name", "category"] {
        if !header.iter().any(|c| c == required) {
            errors.push(Place::Line(1).error(required, "missing column"));
        }
    }
    if !errors.is_empty() {
        return (vec![], errors);
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let place_before = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(place_before, |p| p.line() as usize);
                let place = Place::Line(line);
                match csv_object(place, &header, &record) {
                    Ok((id, object)) => match decode(place, id, object, notifier) {
                        Ok(row) => rows.push(row),
                        Err(e) => errors.push(e),
                    },
                    Err(mut es) => errors.append(&mut es),
                }
            }
            Err(e) => {
                let line = e.position().map_or(place_before, |p| p.line() as usize);
                errors.push(Place::Line(line).error("row", format!("not CSV: {e}")));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
        progress(reader.position().byte());
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(Place::Line(2).error("row", "the file lists no site"));
    }
    (rows, errors)
}

/// Parses a GeoJSON site list.
fn parse_geojson(
    bytes: &[u8],
    notifier: &PartyId,
    progress: &mut dyn FnMut(u64),
) -> (Vec<SiteRow>, Vec<RowError>) {
    let whole = |field: &str, message: String| {
        (
            Vec::new(),
            vec![RowError {
                line: None,
                feature: None,
                field: field.to_owned(),
                message,
            }],
        )
    };
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(doc) => doc,
        Err(e) => return whole("features", format!("not JSON: {e}")),
    };
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return whole("type", "must be a FeatureCollection".into());
    }
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        return whole("features", "must be an array of features".into());
    };
    if features.is_empty() {
        return whole("features", "the collection lists no site".into());
    }
    let total = features.len() as u64;
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (i, f) in features.iter().enumerate() {
        let place = Place::Feature(i);
        let mut object = match f.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            Some(Value::Null) | None => Map::new(),
            Some(_) => {
                errors.push(place.error("properties", "must be an object"));
                continue;
            }
        };
        if f.get("type").and_then(Value::as_str) != Some("Feature") {
            errors.push(place.error("type", "must be a Feature"));
            continue;
        }
        let id_value = f.get("id").cloned().or_else(|| object.remove("id"));
        object.remove("id");
        // What an export adds for the reader, ignored on the way back.
        for informative in EXPORT_ONLY {
            object.remove(*informative);
        }
        let id = match id_value {
            None | Some(Value::Null) => None,
            Some(v) => match parse_id(place, &v) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
        };
        match f.get("geometry") {
            Some(g) if !g.is_null() => {
                object.insert("geometry".into(), g.clone());
            }
            _ => {
                errors.push(place.error("geometry", "a feature needs a geometry"));
                continue;
            }
        }
        match decode(place, id, object, notifier) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
        progress((i as u64 + 1) * bytes.len() as u64 / total);
    }
    (rows, errors)
}

/// Parses a site list into requests, reporting every bad row (all of them, each with its line
/// or feature and field). `notifier` is who will notify them (for the ids derived of rows
/// without one); `progress` is told how many bytes have been read.
///
/// # Errors
/// Every row error, in file order.
pub fn parse(
    bytes: &[u8],
    format: Format,
    notifier: &PartyId,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<SiteRow>, Vec<RowError>> {
    let (rows, errors) = parse_all(bytes, format, notifier, progress);
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// [`parse`], keeping the good rows beside the errors (so that the server can check those
/// further and report every bad row at once).
pub fn parse_all(
    bytes: &[u8],
    format: Format,
    notifier: &PartyId,
    progress: &mut dyn FnMut(u64),
) -> (Vec<SiteRow>, Vec<RowError>) {
    let (out, mut errors) = match format {
        Format::Csv => parse_csv(bytes, notifier, progress),
        Format::Geojson => parse_geojson(bytes, notifier, progress),
    };
    // An id twice in one file: the second is an error (also checked by the service).
    let mut seen = std::collections::HashMap::new();
    for row in &out {
        if let Some(first) = seen.insert(row.request.id, row.place) {
            let at = match first {
                Place::Line(l) => format!("line {l}"),
                Place::Feature(i) => format!("feature {i}"),
            };
            errors.push(
                row.place
                    .error("id", format!("{} is also the id of {at}", row.request.id)),
            );
        }
    }
    errors.sort_by_key(|e| (e.line, e.feature));
    (out, errors)
}

/// Whether `viewer` may have `notice` in an export (with its geometry): its notifier always;
/// another party only when the notice's disclosure shows it in full.
pub fn exportable(notice: &ProtectedNotice, viewer: &PartyId) -> bool {
    notice.visible_to(viewer)
}

/// The single-site body of a notice, as a JSON object (geometry included).
fn body_of(n: &ProtectedNotice) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("name".into(), json!(n.name));
    o.insert("category".into(), json!(n.category));
    match &n.shape {
        ProtectedShape::Site {
            footprint: FootprintSpec::Circle { center, radius_m },
        } => {
            o.insert(
                "geometry".into(),
                json!({"type": "Point", "coordinates": center}),
            );
            o.insert("radius_m".into(), json!(radius_m));
        }
        ProtectedShape::Site {
            footprint: FootprintSpec::Polygon { vertices },
        } => {
            let mut ring = vertices.clone();
            if ring.first() != ring.last()
                && let Some(first) = ring.first().copied()
            {
                ring.push(first);
            }
            o.insert(
                "geometry".into(),
                json!({"type": "Polygon", "coordinates": [ring]}),
            );
        }
        ProtectedShape::Movement {
            route,
            corridor_width_m,
            windows,
        } => {
            o.insert(
                "geometry".into(),
                json!({"type": "LineString", "coordinates": route}),
            );
            o.insert("corridor_width_m".into(), json!(corridor_width_m));
            o.insert(
                "windows".into(),
                Value::Array(
                    windows
                        .iter()
                        .map(|(s, e)| json!({"start": s, "end": e}))
                        .collect(),
                ),
            );
        }
    }
    o.insert("valid_from".into(), json!(n.valid_from));
    o.insert("valid_until".into(), json!(n.valid_until));
    o.insert("disclosure".into(), json!(n.disclosure));
    o.insert("on_conflict".into(), json!(n.on_conflict));
    o
}

fn rfc3339(v: &Value) -> String {
    v.as_str()
        .and_then(|s| s.parse::<DateTime<Utc>>().ok())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// The notices as a CSV site list (the import's columns), in the order given.
pub fn export_csv(notices: &[ProtectedNotice]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for n in notices {
        let o = body_of(n);
        let text = |k: &str| match o.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        };
        let point = match &n.shape {
            ProtectedShape::Site {
                footprint: FootprintSpec::Circle { center, .. },
            } => Some(*center),
            _ => None,
        };
        let record = [
            n.id.to_string(),
            text("name"),
            text("category"),
            point.map(|p| p[0].to_string()).unwrap_or_default(),
            point.map(|p| p[1].to_string()).unwrap_or_default(),
            text("radius_m"),
            if point.is_some() {
                String::new()
            } else {
                text("geometry")
            },
            text("corridor_width_m"),
            o.get("windows").map(Value::to_string).unwrap_or_default(),
            o.get("valid_from").map(rfc3339).unwrap_or_default(),
            o.get("valid_until").map(rfc3339).unwrap_or_default(),
            text("disclosure"),
            text("on_conflict"),
        ];
        let _ = w.write_record(&record);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The notices as a GeoJSON `FeatureCollection` (the import's shape), in the order given.
pub fn export_geojson(notices: &[ProtectedNotice]) -> Value {
    let features: Vec<Value> = notices
        .iter()
        .map(|n| {
            let mut o = body_of(n);
            let geometry = o.remove("geometry").unwrap_or(Value::Null);
            let mut props = o;
            props.insert("notifier".into(), json!(n.notifier));
            props.insert("version".into(), json!(n.version));
            json!({"type": "Feature", "id": n.id.to_string(), "geometry": geometry,
                   "properties": props})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
#[path = "sites_bulk_tests.rs"]
mod tests;
