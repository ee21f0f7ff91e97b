//! GeoJSON ⇄ domain: how `deconflict check`, `import` and `export` read and write operations and
//! zones as GeoJSON (RFC 7946), and the one place that converts between the two.
//!
//! # The shape
//! A file is a `FeatureCollection` (a single `Feature` is read too). **One feature is one entity**
//! (an operation or a zone) with one or more volumes:
//!
//! - `geometry`, in WGS84 `[longitude, latitude]` degrees (a position with a third value is
//!   refused: altitudes come from the properties below):
//!   - `Polygon`: one volume; one ring, no holes; open or closed, either orientation;
//!   - `Point` with the property `radius_m`: one volume, a geodesic circle;
//!   - `MultiPolygon`: one volume per polygon;
//!   - `GeometryCollection` of `Polygon`s and `Point`s: one volume per member, in order.
//! - `properties`:
//!   - `id`: the entity id. A UUID is used as it is; any other text is mapped to the UUID v5 of
//!     that text (its UTF-8 bytes) in the namespace [`FEATURE_ID_NAMESPACE`]
//!     (`6d1f0c2e-4a7b-5c3d-9e8f-1a2b3c4d5e6f`), so the same text always gives the same entity.
//!     The feature's own `id` member is read when the property is absent; when both are given
//!     they must be equal.
//!   - `entity`: `"operation"` (the default) or `"zone"`;
//!   - operations: `state` (`Accepted`, the default, `Activated`, `Nonconforming` or
//!     `Contingent`) and `priority` (a 32-bit integer, default 0);
//!   - zones: `zone_kind` (`restricted`, `protected`, `ceasefire` or `separation`), required;
//!   - `altitude_lower_m`, `altitude_upper_m`: the closed altitude band, metres above the WGS84
//!     ellipsoid;
//!   - `time_start`, `time_end`: the half-open time window, RFC 3339 (`2026-07-06T06:00:00Z`);
//!   - `radius_m`: the radius of `Point` members, metres;
//!   - `volumes` (optional): an array with one object per geometry member, each holding any of
//!     `altitude_lower_m`, `altitude_upper_m`, `time_start`, `time_end`, `radius_m` for that
//!     member; a value given there overrides the flat property of the same name, so volumes
//!     with different bands or windows fit in one feature;
//!   - `owner`: written by `export` (the party that filed the entity); `import` ignores it and
//!     files every entity as its `--party`. Other properties (`name`, styling) are ignored.
//!
//! `export` writes one feature per entity, sorted by id: a `Polygon` (its ring closed and
//! counter-clockwise, as validation normalises it) or a `Point` for one volume, with the flat
//! properties; a `GeometryCollection` with a `volumes` array for several. What it writes reads back
//! to the same entities.
//!
//! # Errors
//! Features are numbered from 0, as in the file's `features` array. Each refused feature is named
//! by its index and id with the field at fault: `geometry…` and `properties…` paths for what does
//! not fit the shape, and the domain's paths (`volumes[0].footprint.vertices[2].lat`,
//! `volumes[1].time_end`) for values that [`VolumeSpec::to_volume`] refuses.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use ::geojson::feature::Id;
use ::geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, JsonValue};
use chrono::{DateTime, SecondsFormat, Utc};
use deconflict_core::{
    Entity, EntityId, EntityKind, FootprintSpec, OperationState, Volume4d, VolumeLimits,
    VolumeSpec, ZoneKind,
};
use serde_json::json;
use uuid::Uuid;

/// The namespace of the UUID v5 that a feature id which is not a UUID is mapped to.
pub const FEATURE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_0c2e_4a7b_5c3d_9e8f_1a2b_3c4d_5e6f);

/// The per-volume keys of the `volumes` property.
const VOLUME_KEYS: [&str; 5] = [
    "altitude_lower_m",
    "altitude_upper_m",
    "time_start",
    "time_end",
    "radius_m",
];

/// A feature read and validated: an entity ready to be checked or filed.
#[derive(Debug, Clone)]
pub struct FeatureEntity {
    /// The id as written in the file (for messages).
    pub label: String,
    /// The entity id.
    pub id: EntityId,
    /// Operation (state, priority) or zone.
    pub kind: EntityKind,
    /// The volumes as declared.
    pub volumes: Vec<VolumeSpec>,
    /// The same volumes, validated under [`VolumeLimits::default`].
    pub validated: Vec<Volume4d>,
}

/// Why one feature was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureError {
    /// Its index in the file's `features` array.
    pub index: usize,
    /// Its id as written, when it has one.
    pub label: Option<String>,
    /// The field at fault (empty when the feature is not a GeoJSON feature at all).
    pub field: String,
    /// Why.
    pub reason: String,
}

impl FeatureError {
    /// `feature 3 (id "op-7")`.
    pub fn feature(&self) -> String {
        match &self.label {
            Some(label) => format!("feature {} (id {label:?})", self.index),
            None => format!("feature {}", self.index),
        }
    }
}

impl fmt::Display for FeatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.feature(), self.reason)
        } else {
            write!(f, "{}: {}: {}", self.feature(), self.field, self.reason)
        }
    }
}

/// Why a file was refused. Nothing in it is used.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// Unreadable, not JSON, or not a GeoJSON `FeatureCollection` or `Feature`.
    File(String),
    /// These features (every invalid one, in file order) are invalid.
    Features(Vec<FeatureError>),
}

/// A field at fault and why, before the feature is named.
struct Bad {
    field: String,
    reason: String,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Bad {
    Bad {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Reads and validates every feature of a file.
///
/// # Errors
/// [`ReadError::File`] if the file cannot be read or is not GeoJSON of the shape above;
/// [`ReadError::Features`] listing every invalid feature.
pub fn read_path(path: &Path) -> Result<Vec<FeatureEntity>, ReadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReadError::File(format!("cannot read {}: {e}", path.display())))?;
    parse(&text, &VolumeLimits::default())
}

/// Parses and validates every feature of a GeoJSON text.
///
/// # Errors
/// As [`read_path`].
pub fn parse(text: &str, limits: &VolumeLimits) -> Result<Vec<FeatureEntity>, ReadError> {
    let root: JsonValue =
        serde_json::from_str(text).map_err(|e| ReadError::File(format!("not JSON: {e}")))?;
    let JsonValue::Object(mut root) = root else {
        return Err(ReadError::File(
            "not a GeoJSON FeatureCollection: the top level is not an object".to_owned(),
        ));
    };
    let features = match root.get("type").and_then(JsonValue::as_str) {
        Some("FeatureCollection") => match root.remove("features") {
            Some(JsonValue::Array(features)) => features,
            _ => {
                return Err(ReadError::File(
                    "the FeatureCollection has no \"features\" array".to_owned(),
                ));
            }
        },
        Some("Feature") => vec![JsonValue::Object(root)],
        other => {
            return Err(ReadError::File(format!(
                "not a GeoJSON FeatureCollection or Feature (type {})",
                other.map_or_else(|| "missing".to_owned(), |t| format!("{t:?}"))
            )));
        }
    };
    let mut read = Vec::with_capacity(features.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<EntityId, (usize, String)> = HashMap::with_capacity(features.len());
    for (index, value) in features.into_iter().enumerate() {
        match read_feature(index, value, limits) {
            Ok(f) => {
                if let Some((first, label)) = seen.get(&f.id) {
                    errors.push(FeatureError {
                        index,
                        label: Some(f.label.clone()),
                        field: "id".to_owned(),
                        reason: format!(
                            "the same entity id {} as feature {first} (id {label:?})",
                            f.id
                        ),
                    });
                } else {
                    seen.insert(f.id, (index, f.label.clone()));
                    read.push(f);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(ReadError::Features(errors))
    }
}

/// The id text of a raw feature, if it has one (to name a feature that does not parse).
fn raw_label(value: &JsonValue) -> Option<String> {
    let text = |v: &JsonValue| match v {
        JsonValue::String(s) => Some(s.clone()),
        JsonValue::Number(n) => Some(n.to_string()),
        _ => None,
    };
    value
        .get("properties")
        .and_then(|p| p.get("id"))
        .and_then(text)
        .or_else(|| value.get("id").and_then(text))
}

fn read_feature(
    index: usize,
    value: JsonValue,
    limits: &VolumeLimits,
) -> Result<FeatureEntity, FeatureError> {
    let raw = raw_label(&value);
    let feature: Feature = serde_json::from_value(value).map_err(|e| FeatureError {
        index,
        label: raw.clone(),
        field: String::new(),
        reason: format!("not a GeoJSON Feature: {e}"),
    })?;
    let empty = JsonObject::new();
    let props = feature.properties.as_ref().unwrap_or(&empty);
    let (label, id) = entity_id(&feature, props).map_err(|b| FeatureError {
        index,
        label: raw,
        field: b.field,
        reason: b.reason,
    })?;
    let named = |b: Bad| FeatureError {
        index,
        label: Some(label.clone()),
        field: b.field,
        reason: b.reason,
    };
    let kind = entity_kind(props).map_err(named)?;
    let volumes = volume_specs(feature.geometry.as_ref(), props).map_err(named)?;
    let validated = VolumeSpec::to_volumes(&volumes, limits)
        .map_err(|e| named(bad(e.field(), e.reason().to_string())))?;
    Ok(FeatureEntity {
        label: label.clone(),
        id,
        kind,
        volumes,
        validated,
    })
}

fn entity_id(feature: &Feature, props: &JsonObject) -> Result<(String, EntityId), Bad> {
    let from_props = match props.get("id") {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::String(s)) => Some(s.clone()),
        Some(JsonValue::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(bad(
                "properties.id",
                format!("must be a string (a UUID or any text), got {other}"),
            ));
        }
    };
    let from_feature = feature.id.as_ref().map(|id| match id {
        Id::String(s) => s.clone(),
        Id::Number(n) => n.to_string(),
    });
    let text = match (from_props, from_feature) {
        (Some(p), Some(f)) if p != f => {
            return Err(bad(
                "id",
                format!("the feature's id {f:?} and properties.id {p:?} differ"),
            ));
        }
        (Some(text), _) | (None, Some(text)) => text,
        (None, None) => {
            return Err(bad(
                "properties.id",
                "missing: give every feature an id (a UUID, or any text, which is mapped to a \
                 UUID v5)",
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(bad("properties.id", "must not be empty"));
    }
    let uuid = Uuid::parse_str(&text)
        .unwrap_or_else(|_| Uuid::new_v5(&FEATURE_ID_NAMESPACE, text.as_bytes()));
    Ok((text, EntityId(uuid)))
}

fn present<'a>(props: &'a JsonObject, key: &str) -> Option<&'a JsonValue> {
    props.get(key).filter(|v| !v.is_null())
}

fn text<'a>(props: &'a JsonObject, key: &str) -> Result<Option<&'a str>, Bad> {
    match present(props, key) {
        None => Ok(None),
        Some(JsonValue::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad(
            format!("properties.{key}"),
            format!("must be a string, got {other}"),
        )),
    }
}

fn entity_kind(props: &JsonObject) -> Result<EntityKind, Bad> {
    let entity = text(props, "entity")?.unwrap_or("operation");
    match entity.to_ascii_lowercase().as_str() {
        "operation" => {
            if present(props, "zone_kind").is_some() {
                return Err(bad(
                    "properties.zone_kind",
                    "only zones have a zone_kind: set entity to \"zone\", or remove it",
                ));
            }
            let state = match text(props, "state")? {
                None => OperationState::Accepted,
                Some(s) => operation_state(s).ok_or_else(|| {
                    bad(
                        "properties.state",
                        format!(
                            "must be Accepted, Activated, Nonconforming or Contingent, got {s:?}"
                        ),
                    )
                })?,
            };
            let priority = match present(props, "priority") {
                None => 0,
                Some(v) => v
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| {
                        bad(
                            "properties.priority",
                            format!("must be a whole number of 32 bits, got {v}"),
                        )
                    })?,
            };
            Ok(EntityKind::Operation { state, priority })
        }
        "zone" => {
            for key in ["state", "priority"] {
                if present(props, key).is_some() {
                    return Err(bad(
                        format!("properties.{key}"),
                        "only operations have a state and a priority",
                    ));
                }
            }
            let Some(kind) = text(props, "zone_kind")? else {
                return Err(bad(
                    "properties.zone_kind",
                    "missing: a zone needs one of restricted, protected, ceasefire, separation",
                ));
            };
            zone_kind(kind).map(EntityKind::Zone).ok_or_else(|| {
                bad(
                    "properties.zone_kind",
                    format!("must be restricted, protected, ceasefire or separation, got {kind:?}"),
                )
            })
        }
        _ => Err(bad(
            "properties.entity",
            format!("must be \"operation\" or \"zone\", got {entity:?}"),
        )),
    }
}

fn operation_state(s: &str) -> Option<OperationState> {
    [
        OperationState::Accepted,
        OperationState::Activated,
        OperationState::Nonconforming,
        OperationState::Contingent,
    ]
    .into_iter()
    .find(|state| state_name(*state).eq_ignore_ascii_case(s))
}

fn state_name(state: OperationState) -> &'static str {
    match state {
        OperationState::Accepted => "Accepted",
        OperationState::Activated => "Activated",
        OperationState::Nonconforming => "Nonconforming",
        OperationState::Contingent => "Contingent",
    }
}

fn zone_kind(s: &str) -> Option<ZoneKind> {
    [
        ZoneKind::Restricted,
        ZoneKind::Protected,
        ZoneKind::Ceasefire,
        ZoneKind::Separation,
    ]
    .into_iter()
    .find(|kind| zone_kind_name(*kind).eq_ignore_ascii_case(s))
}

fn zone_kind_name(kind: ZoneKind) -> &'static str {
    match kind {
        ZoneKind::Restricted => "restricted",
        ZoneKind::Protected => "protected",
        ZoneKind::Ceasefire => "ceasefire",
        ZoneKind::Separation => "separation",
        ZoneKind::Confidential => "confidential",
    }
}

/// One member of a feature's geometry: the footprint of one volume.
enum Member {
    Polygon(Vec<[f64; 2]>),
    Point([f64; 2]),
}

fn position(p: &[f64], path: &str) -> Result<[f64; 2], Bad> {
    match p {
        [lon, lat] => Ok([*lon, *lat]),
        _ => Err(bad(
            path,
            format!(
                "a position must be [longitude, latitude], got {} values (altitudes are given \
                 as altitude_lower_m and altitude_upper_m)",
                p.len()
            ),
        )),
    }
}

fn polygon(rings: &[Vec<::geojson::Position>], path: &str) -> Result<Member, Bad> {
    match rings {
        [] => Err(bad(path, "a polygon needs one ring")),
        [ring] => ring
            .iter()
            .enumerate()
            .map(|(k, p)| position(p.as_slice(), &format!("{path}[0][{k}]")))
            .collect::<Result<_, _>>()
            .map(Member::Polygon),
        [_, ..] => Err(bad(
            format!("{path}[1]"),
            "holes are not supported: a footprint is one ring",
        )),
    }
}

fn members(geometry: Option<&Geometry>) -> Result<Vec<Member>, Bad> {
    let Some(geometry) = geometry else {
        return Err(bad(
            "geometry",
            "missing: a Polygon, a Point with radius_m, a MultiPolygon or a GeometryCollection",
        ));
    };
    match &geometry.value {
        GeometryValue::Polygon { coordinates } => {
            Ok(vec![polygon(coordinates, "geometry.coordinates")?])
        }
        GeometryValue::Point { coordinates } => Ok(vec![Member::Point(position(
            coordinates.as_slice(),
            "geometry.coordinates",
        )?)]),
        GeometryValue::MultiPolygon { coordinates } => coordinates
            .iter()
            .enumerate()
            .map(|(m, rings)| polygon(rings, &format!("geometry.coordinates[{m}]")))
            .collect(),
        GeometryValue::GeometryCollection { geometries } => geometries
            .iter()
            .enumerate()
            .map(|(m, g)| match &g.value {
                GeometryValue::Polygon { coordinates } => polygon(
                    coordinates,
                    &format!("geometry.geometries[{m}].coordinates"),
                ),
                GeometryValue::Point { coordinates } => Ok(Member::Point(position(
                    coordinates.as_slice(),
                    &format!("geometry.geometries[{m}].coordinates"),
                )?)),
                other => Err(bad(
                    format!("geometry.geometries[{m}].type"),
                    format!(
                        "a GeometryCollection may hold Polygons and Points only, got {}",
                        other.type_name()
                    ),
                )),
            })
            .collect(),
        other => Err(bad(
            "geometry.type",
            format!(
                "{} cannot be a footprint: use a Polygon, a Point with radius_m, a MultiPolygon \
                 or a GeometryCollection",
                other.type_name()
            ),
        )),
    }
}

/// A per-volume value: from `volumes[i]` if given there, else from the flat properties.
struct Lookup<'a> {
    props: &'a JsonObject,
    own: Option<(usize, &'a JsonObject)>,
}

impl Lookup<'_> {
    fn get(&self, key: &str) -> Option<(&JsonValue, String)> {
        if let Some((i, own)) = self.own
            && let Some(v) = present(own, key)
        {
            return Some((v, format!("properties.volumes[{i}].{key}")));
        }
        present(self.props, key).map(|v| (v, format!("properties.{key}")))
    }

    fn required(&self, key: &str) -> Result<(&JsonValue, String), Bad> {
        self.get(key).ok_or_else(|| {
            let where_ = if self.own.is_some() {
                " (in properties or in this member's entry of properties.volumes)"
            } else {
                ""
            };
            bad(format!("properties.{key}"), format!("missing{where_}"))
        })
    }

    fn number(&self, key: &str) -> Result<f64, Bad> {
        let (v, path) = self.required(key)?;
        v.as_f64()
            .ok_or_else(|| bad(path, format!("must be a number, got {v}")))
    }

    fn time(&self, key: &str) -> Result<DateTime<Utc>, Bad> {
        let (v, path) = self.required(key)?;
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                bad(
                    path,
                    format!("must be an RFC 3339 time such as \"2026-07-06T06:00:00Z\", got {v}"),
                )
            })
    }
}

fn volume_specs(geometry: Option<&Geometry>, props: &JsonObject) -> Result<Vec<VolumeSpec>, Bad> {
    let members = members(geometry)?;
    let own: Option<&Vec<JsonValue>> = match present(props, "volumes") {
        None => None,
        Some(JsonValue::Array(a)) if a.len() == members.len() => Some(a),
        Some(JsonValue::Array(a)) => {
            return Err(bad(
                "properties.volumes",
                format!(
                    "has {} entries but the geometry has {} members (polygons or points)",
                    a.len(),
                    members.len()
                ),
            ));
        }
        Some(_) => {
            return Err(bad(
                "properties.volumes",
                "must be an array with one object per geometry member",
            ));
        }
    };
    if present(props, "radius_m").is_some()
        && !members.iter().any(|m| matches!(m, Member::Point(_)))
    {
        return Err(bad(
            "properties.radius_m",
            "only a Point (a circle) has a radius",
        ));
    }
    members
        .into_iter()
        .enumerate()
        .map(|(i, member)| {
            let own = match own.and_then(|a| a.get(i)) {
                None => None,
                Some(JsonValue::Object(o)) => {
                    if let Some(key) = o.keys().find(|k| !VOLUME_KEYS.contains(&k.as_str())) {
                        return Err(bad(
                            format!("properties.volumes[{i}].{key}"),
                            format!("unknown; a volume may give {}", VOLUME_KEYS.join(", ")),
                        ));
                    }
                    Some((i, o))
                }
                Some(other) => {
                    return Err(bad(
                        format!("properties.volumes[{i}]"),
                        format!("must be an object, got {other}"),
                    ));
                }
            };
            let at = Lookup { props, own };
            let footprint = match member {
                Member::Polygon(vertices) => {
                    if let Some((_, path)) = own.and_then(|(_, o)| {
                        present(o, "radius_m")
                            .map(|v| (v, format!("properties.volumes[{i}].radius_m")))
                    }) {
                        return Err(bad(path, "only a Point (a circle) has a radius"));
                    }
                    FootprintSpec::Polygon { vertices }
                }
                Member::Point(center) => FootprintSpec::Circle {
                    center,
                    radius_m: at.number("radius_m")?,
                },
            };
            Ok(VolumeSpec {
                footprint,
                altitude_lower_m: at.number("altitude_lower_m")?,
                altitude_upper_m: at.number("altitude_upper_m")?,
                time_start: at.time("time_start")?,
                time_end: at.time("time_end")?,
            })
        })
        .collect()
}

/// An RFC 3339 time, UTC, with as many fractional digits as it has.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn member_geometry(v: &VolumeSpec) -> Geometry {
    match &v.footprint {
        FootprintSpec::Polygon { vertices } => Geometry::new_polygon([vertices.iter().copied()]),
        FootprintSpec::Circle { center, .. } => Geometry::new_point(*center),
    }
}

/// The per-volume properties of one volume.
fn volume_properties(v: &VolumeSpec, into: &mut JsonObject) {
    if let FootprintSpec::Circle { radius_m, .. } = v.footprint {
        into.insert("radius_m".to_owned(), json!(radius_m));
    }
    into.insert("altitude_lower_m".to_owned(), json!(v.altitude_lower_m));
    into.insert("altitude_upper_m".to_owned(), json!(v.altitude_upper_m));
    into.insert("time_start".to_owned(), json!(rfc3339(v.time_start)));
    into.insert("time_end".to_owned(), json!(rfc3339(v.time_end)));
}

/// An entity as a feature of the shape above.
pub fn feature_of(entity: &Entity) -> Feature {
    let mut props = JsonObject::new();
    props.insert("id".to_owned(), json!(entity.id.to_string()));
    match entity.kind {
        EntityKind::Operation { state, priority } => {
            props.insert("entity".to_owned(), json!("operation"));
            props.insert("state".to_owned(), json!(state_name(state)));
            props.insert("priority".to_owned(), json!(priority));
        }
        EntityKind::Zone(kind) => {
            props.insert("entity".to_owned(), json!("zone"));
            props.insert("zone_kind".to_owned(), json!(zone_kind_name(kind)));
        }
    }
    props.insert("owner".to_owned(), json!(entity.owner.as_str()));
    let specs: Vec<VolumeSpec> = entity.volumes.iter().map(VolumeSpec::from).collect();
    let geometry = match specs.as_slice() {
        [one] => {
            volume_properties(one, &mut props);
            member_geometry(one)
        }
        several => {
            let volumes: Vec<JsonValue> = several
                .iter()
                .map(|v| {
                    let mut o = JsonObject::new();
                    volume_properties(v, &mut o);
                    JsonValue::Object(o)
                })
                .collect();
            props.insert("volumes".to_owned(), JsonValue::Array(volumes));
            Geometry::new_geometry_collection(several.iter().map(member_geometry))
        }
    };
    Feature {
        bbox: None,
        geometry: Some(geometry),
        id: Some(Id::String(entity.id.to_string())),
        properties: Some(props),
        foreign_members: None,
    }
}

/// Entities as a `FeatureCollection`, in the order given.
pub fn collection_of(entities: &[Entity]) -> FeatureCollection {
    FeatureCollection {
        bbox: None,
        features: entities.iter().map(feature_of).collect(),
        foreign_members: None,
    }
}
