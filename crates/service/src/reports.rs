//! Violation reports: claims, on record, that something happened at a place and time — who
//! reports it, what was observed (category, window, location with its uncertainty), whom it is
//! alleged against if anyone, where the claim comes from (an ordered provenance chain) and what
//! evidence it links to. The service takes no side: it records the claim, matches it to the
//! ceasefire agreements in force at its place and time, groups the reports that describe one
//! incident, and lets a reviewer record a finding (`confirmed`, `unconfirmed`, `dismissed`) with
//! a reason.
//!
//! Reports are store documents of kind [`REPORT_DOCUMENT`] (id: the report's UUID), public to
//! every party with the read scope.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use deconflict_core::geo::{Coord, Distance, Geodesic, Point};
use deconflict_core::{
    AltitudeBand, EntityId, Event, Footprint, FootprintKind, NewNotification, PartyId, Reason,
    TimeWindow, ValidationError, Volume4d, VolumeLimits,
};
use deconflict_store::{Store, StoreError, Tx, View};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::caller::{Caller, SCOPE_READ, SCOPE_REVIEW, SCOPE_WRITE};
use crate::ceasefires;
use crate::error::ServiceError;
use crate::records;

/// Document kind of reports (id: the report's UUID).
pub const REPORT_DOCUMENT: &str = "report";

/// The categories a report may have. A fixed list, so that tallies add like with like; what does
/// not fit is `other`, described in the report's `description`.
pub const CATEGORIES: [&str; 5] = [
    "air_strike",
    "shelling",
    "ground_clash",
    "drone_strike",
    "other",
];

/// Longest observed window.
const MAX_OBSERVED: Duration = Duration::days(31);
/// How far in the future an observed window may start (clock skew).
const FUTURE_SKEW: Duration = Duration::minutes(5);
/// Most sources in a provenance chain.
const MAX_SOURCES: usize = 20;
/// Most evidence links.
const MAX_EVIDENCE: usize = 50;
/// Most reports in one page of [`Service::list_reports`].
pub const MAX_PAGE: usize = 500;

/// Settings of reports.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// Reports of one category whose observed windows are at most this far apart may be of one
    /// incident (default 6 hours).
    pub group_gap: Duration,
    /// ... and whose locations are at most this far apart, metres (default 10 km), nearest
    /// points of the two areas, uncertainty included.
    pub group_distance_m: f64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            group_gap: Duration::hours(6),
            group_distance_m: 10_000.0,
        }
    }
}

/// Where the observed event took place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Location {
    /// A point and the radius of its uncertainty.
    Point {
        /// Longitude, WGS84 degrees.
        lon: f64,
        /// Latitude, WGS84 degrees.
        lat: f64,
        /// Radius within which the event took place, metres (greater than 0).
        uncertainty_m: f64,
    },
    /// An area (`[lon, lat]` vertices, open or closed ring, no holes).
    Polygon {
        /// The vertices.
        vertices: Vec<[f64; 2]>,
    },
}

impl Location {
    /// The footprint of the location, validated by the core as every footprint is; field names
    /// are the report's (`location.lon`, `location.uncertainty_m`, `location.vertices[2].lat`).
    fn footprint(&self, limits: &VolumeLimits) -> Result<Footprint, ValidationError> {
        match self {
            Self::Point {
                lon,
                lat,
                uncertainty_m,
            } => Footprint::circle(*lon, *lat, *uncertainty_m, limits).map_err(|e| {
                let field = match e.field() {
                    "radius_m" => "uncertainty_m",
                    f => f.strip_prefix("center.").unwrap_or(f),
                };
                ValidationError::new(field, e.reason().clone()).within("location")
            }),
            Self::Polygon { vertices } => {
                Footprint::polygon(vertices, limits).map_err(|e| e.within("location"))
            }
        }
    }
}

/// What kind of source a link of the provenance chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A statement of a party or authority.
    OfficialStatement,
    /// A news agency.
    NewsAgency,
    /// Someone who saw it.
    Eyewitness,
    /// An observer mission.
    Observer,
    /// Anything else.
    Other,
}

impl SourceKind {
    /// Every kind, as spelled in JSON.
    pub const ALL: [(&'static str, Self); 5] = [
        ("official_statement", Self::OfficialStatement),
        ("news_agency", Self::NewsAgency),
        ("eyewitness", Self::Eyewitness),
        ("observer", Self::Observer),
        ("other", Self::Other),
    ];

    /// The kind spelled `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
    }
}

/// One link of a provenance chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// What kind of source.
    pub kind: SourceKind,
    /// Its name (1–200 characters).
    pub name: String,
    /// When it published the claim.
    pub published_at: Option<DateTime<Utc>>,
    /// Where (http or https).
    pub url: Option<String>,
    /// Its words (at most 5,000 characters).
    pub quote: Option<String>,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Filed, not yet reviewed.
    Reported,
    /// A reviewer is looking at it.
    UnderReview,
    /// The reviewer found it corroborated.
    Confirmed,
    /// The reviewer could neither corroborate nor refute it.
    Unconfirmed,
    /// The reviewer found it unfounded (or a duplicate, or out of scope).
    Dismissed,
}

impl ReportStatus {
    /// Every status, as spelled in JSON.
    pub const ALL: [(&'static str, Self); 5] = [
        ("reported", Self::Reported),
        ("under_review", Self::UnderReview),
        ("confirmed", Self::Confirmed),
        ("unconfirmed", Self::Unconfirmed),
        ("dismissed", Self::Dismissed),
    ];

    /// The status spelled `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
    }

    /// As spelled in JSON.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    /// Whether a reviewer may move a report from `self` to `to`.
    pub fn may_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Reported, Self::UnderReview)
                | (
                    Self::UnderReview,
                    Self::Confirmed | Self::Unconfirmed | Self::Dismissed
                )
        )
    }
}

/// One step of a report's status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The reviewer.
    pub by: PartyId,
    /// When.
    pub at: DateTime<Utc>,
    /// From which status.
    pub from: ReportStatus,
    /// To which.
    pub to: ReportStatus,
    /// Why, in the reviewer's words.
    pub reason: String,
}

/// A report as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Its id.
    pub id: Uuid,
    /// Who filed it.
    pub reporter: PartyId,
    /// When.
    pub filed_at: DateTime<Utc>,
    /// Start of the observed window.
    pub observed_start: DateTime<Utc>,
    /// End of the observed window (exclusive).
    pub observed_end: DateTime<Utc>,
    /// Where.
    pub location: Location,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// The party it is alleged against, if any.
    pub alleged_party: Option<PartyId>,
    /// Where the claim comes from: the first source is the original, each next one relays it.
    pub provenance: Vec<Source>,
    /// Links to evidence.
    pub evidence: Vec<String>,
    /// What was observed, as the reporter describes it.
    pub description: String,
    /// The agreements in force at its place at some instant of its window, when it was filed.
    pub agreements: Vec<EntityId>,
    /// Its incident group: the id of a report of the group (see [`Service::file_report`]).
    pub group: Uuid,
    /// Where it stands.
    pub status: ReportStatus,
    /// Every status change.
    pub history: Vec<Transition>,
    /// Writes so far.
    pub version: u64,
}

/// A request to file a report.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Its id (chosen by the reporter), or `None` for one chosen by the service.
    pub id: Option<Uuid>,
    /// Start of the observed window.
    pub observed_start: DateTime<Utc>,
    /// End of the observed window (after the start, at most 31 days later).
    pub observed_end: DateTime<Utc>,
    /// Where.
    pub location: Location,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// The party it is alleged against, if any (a registered party).
    pub alleged_party: Option<PartyId>,
    /// The provenance chain (1 to 20 sources, original first).
    pub provenance: Vec<Source>,
    /// Evidence links (at most 50 http(s) URLs).
    pub evidence: Vec<String>,
    /// What was observed (at most 10,000 characters).
    pub description: String,
}

/// Filters of [`Service::list_reports`] (all must hold).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Matched to this agreement.
    pub agreement: Option<EntityId>,
    /// Of this category.
    pub category: Option<String>,
    /// Alleged against this party.
    pub alleged_party: Option<PartyId>,
    /// In this status.
    pub status: Option<ReportStatus>,
}

impl ReportFilter {
    fn admits(&self, r: &Report) -> bool {
        self.agreement.is_none_or(|a| r.agreements.contains(&a))
            && self.category.as_ref().is_none_or(|c| &r.category == c)
            && self
                .alleged_party
                .as_ref()
                .is_none_or(|p| r.alleged_party.as_ref() == Some(p))
            && self.status.is_none_or(|s| r.status == s)
    }
}

/// One page of reports.
#[derive(Debug, Clone)]
pub struct ReportPage {
    /// By id.
    pub reports: Vec<Report>,
    /// The `after` of the next page, when there may be one.
    pub next: Option<Uuid>,
}

/// One row of the daily tallies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TallyRow {
    /// UTC date of the reports' observed start.
    pub day: NaiveDate,
    /// The agreement they were matched to (`None`: matched to none).
    pub agreement: Option<EntityId>,
    /// Their category.
    pub category: String,
    /// The party they are alleged against (`None`: none named).
    pub alleged_party: Option<PartyId>,
    /// How many reports.
    pub reports: u64,
    /// How many distinct incident groups they belong to.
    pub incidents: u64,
}

fn invalid(field: impl Into<String>, why: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(ValidationError::new(field, Reason::Malformed(why.into())))
}

fn read(view: &dyn View, id: Uuid) -> Result<Option<Report>, StoreError> {
    records::get(view, REPORT_DOCUMENT, &id.to_string())
}

fn write(tx: &mut dyn Tx, r: &Report) -> Result<(), StoreError> {
    records::put(tx, REPORT_DOCUMENT, &r.id.to_string(), r)
}

/// Reports with id after `after`, by id, one store page of at most `limit`.
fn page(view: &dyn View, after: Option<Uuid>, limit: usize) -> Result<Vec<Report>, StoreError> {
    let after = after.map(|a| a.to_string());
    Ok(
        records::page(view, REPORT_DOCUMENT, after.as_deref(), limit)?
            .into_iter()
            .map(|(_, r)| r)
            .collect(),
    )
}

/// Every report, by id.
fn all(view: &dyn View) -> Result<Vec<Report>, StoreError> {
    records::all(view, REPORT_DOCUMENT)
}

fn check_url(field: String, u: &str) -> Result<(), ServiceError> {
    if !(u.starts_with("http://") || u.starts_with("https://"))
        || u.len() > 2048
        || u.chars().any(char::is_whitespace)
    {
        return Err(invalid(
            field,
            "must be an http:// or https:// URL of at most 2048 characters, without spaces",
        ));
    }
    Ok(())
}

fn check_provenance(sources: &[Source]) -> Result<(), ServiceError> {
    if sources.is_empty() || sources.len() > MAX_SOURCES {
        return Err(invalid(
            "provenance",
            format!(
                "give 1 to {MAX_SOURCES} sources, the original first (e.g. an official statement, \
                 then the news agency that quoted it)"
            ),
        ));
    }
    let mut previous: Option<DateTime<Utc>> = None;
    for (i, s) in sources.iter().enumerate() {
        if s.name.trim().is_empty() || s.name.chars().count() > 200 {
            return Err(invalid(
                format!("provenance[{i}].name"),
                "must be 1 to 200 characters, not blank",
            ));
        }
        if let Some(u) = &s.url {
            check_url(format!("provenance[{i}].url"), u)?;
        }
        if s.quote.as_ref().is_some_and(|q| q.chars().count() > 5000) {
            return Err(invalid(
                format!("provenance[{i}].quote"),
                "must be at most 5,000 characters",
            ));
        }
        if let Some(t) = s.published_at {
            if previous.is_some_and(|p| t < p) {
                return Err(invalid(
                    format!("provenance[{i}].published_at"),
                    "a source relays the one before it, so it cannot have published earlier",
                ));
            }
            previous = Some(t);
        }
    }
    Ok(())
}

/// The nearest point of a closed ring to `p`, found in an equirectangular projection centred on
/// `p` (accurate to well under a percent at the distances that group reports).
fn nearest_on_ring(ring: &[Coord], p: Coord) -> Coord {
    let k = p.y.to_radians().cos().max(1e-6);
    let proj = |c: Coord| Coord {
        x: (c.x - p.x) * k,
        y: c.y - p.y,
    };
    let mut best = (f64::INFINITY, p);
    for w in ring.windows(2) {
        let (a, b) = (proj(w[0]), proj(w[1]));
        let d = Coord {
            x: b.x - a.x,
            y: b.y - a.y,
        };
        let len2 = d.x * d.x + d.y * d.y;
        let t = if len2 > 0.0 {
            (-(a.x * d.x + a.y * d.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = Coord {
            x: a.x + t * d.x,
            y: a.y + t * d.y,
        };
        let dist2 = q.x * q.x + q.y * q.y;
        if dist2 < best.0 {
            best = (
                dist2,
                Coord {
                    x: q.x / k + p.x,
                    y: q.y + p.y,
                },
            );
        }
    }
    best.1
}

fn geodesic_m(a: Coord, b: Coord) -> f64 {
    Geodesic.distance(Point::from(a), Point::from(b))
}

/// Geodesic distance between the nearest points of two footprints, metres (0 when they
/// intersect); a circle counts with its radius, so a point's uncertainty is included.
pub(crate) fn distance_m(a: &Footprint, b: &Footprint) -> f64 {
    if a.intersects(b) {
        return 0.0;
    }
    match (a.kind(), b.kind()) {
        (
            FootprintKind::Circle {
                center: c1,
                radius_m: r1,
            },
            FootprintKind::Circle {
                center: c2,
                radius_m: r2,
            },
        ) => (geodesic_m(c1, c2) - r1 - r2).max(0.0),
        (FootprintKind::Circle { center, radius_m }, FootprintKind::Polygon { ring })
        | (FootprintKind::Polygon { ring }, FootprintKind::Circle { center, radius_m }) => {
            (geodesic_m(center, nearest_on_ring(ring, center)) - radius_m).max(0.0)
        }
        (FootprintKind::Polygon { ring: ra }, FootprintKind::Polygon { ring: rb }) => {
            // Two disjoint polygons are nearest at a vertex of one of them.
            let one_way = |from: &[Coord], to: &[Coord]| {
                from.iter()
                    .map(|&v| geodesic_m(v, nearest_on_ring(to, v)))
                    .fold(f64::INFINITY, f64::min)
            };
            one_way(ra, rb).min(one_way(rb, ra))
        }
    }
}

/// A cheap lower bound of the distance between two footprints from their bounding boxes,
/// metres (so that far-apart pairs skip the exact computation).
fn distance_lower_bound_m(a: &Footprint, b: &Footprint) -> f64 {
    let (ba, bb) = (a.bbox(), b.bbox());
    let gap = |lo1: f64, hi1: f64, lo2: f64, hi2: f64| (lo2 - hi1).max(lo1 - hi2).max(0.0);
    let dlat = gap(ba.min().y, ba.max().y, bb.min().y, bb.max().y);
    let dlon = gap(ba.min().x, ba.max().x, bb.min().x, bb.max().x);
    let max_lat = [ba.min().y, ba.max().y, bb.min().y, bb.max().y]
        .iter()
        .fold(0.0_f64, |m, y| m.max(y.abs()));
    // 110.5 km is the shortest degree of latitude; a degree of longitude is at least
    // cos(latitude) of 111.3 km along a parallel, and a great circle is shorter by at most half
    // at these scales.
    (dlat * 110_500.0).max(dlon * 111_300.0 * max_lat.to_radians().cos() * 0.5)
}

/// The gap between two half-open windows (zero when they overlap or touch).
fn time_gap(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> Duration {
    (a.0.max(b.0) - a.1.min(b.1)).max(Duration::zero())
}

impl Report {
    fn footprint(&self) -> Result<Footprint, StoreError> {
        self.location
            .footprint(&VolumeLimits::stored())
            .map_err(|e| records::corrupt(REPORT_DOCUMENT, &self.id.to_string(), e))
    }
}

impl<S: Store> Service<S> {
    /// Files a report for the caller. Matches it to the agreements in force at its place at some
    /// instant of its observed window; puts it in the incident group of the reports of the same
    /// category observed within [`ReportConfig::group_gap`] and
    /// [`ReportConfig::group_distance_m`] of it (merging the groups it touches into the one with
    /// the smallest id, or starting its own group, with its own id); and tells the alleged party,
    /// if any and not the reporter, who must acknowledge.
    ///
    /// Grouping reads every report (O(number of reports) per filing): enough for the volumes a
    /// conflict zone's reports reach; an index by day and category would be the next step.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field, [`ServiceError::AlreadyExists`],
    /// [`ServiceError::MissingScope`].
    pub fn file_report(&self, caller: &Caller, req: FileReport) -> Result<Report, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        let now = self.clock.now();
        if !CATEGORIES.contains(&req.category.as_str()) {
            return Err(invalid(
                "category",
                format!("must be one of {}", CATEGORIES.join(", ")),
            ));
        }
        if req.observed_start > now + FUTURE_SKEW {
            return Err(invalid(
                "observed_start",
                "must not be in the future: a report is of something observed",
            ));
        }
        let window = TimeWindow::new(req.observed_start, req.observed_end)
            .map_err(|e| ValidationError::new("observed_end", e.reason().clone()))?;
        if req.observed_end - req.observed_start > MAX_OBSERVED {
            return Err(invalid(
                "observed_end",
                "the observed window may be at most 31 days long",
            ));
        }
        let footprint = req.location.footprint(&self.config.limits)?;
        let volume = Volume4d::new(footprint.clone(), AltitudeBand::all(), window);
        check_provenance(&req.provenance)?;
        if req.evidence.len() > MAX_EVIDENCE {
            return Err(invalid("evidence", format!("at most {MAX_EVIDENCE} links")));
        }
        for (i, u) in req.evidence.iter().enumerate() {
            check_url(format!("evidence[{i}]"), u)?;
        }
        if req.description.chars().count() > 10_000 {
            return Err(invalid("description", "must be at most 10,000 characters"));
        }
        let id = req.id.unwrap_or_else(Uuid::new_v4);
        let cfg = self.config.reports.clone();
        self.transact(caller.party.as_str(), &mut |tx| {
            if read(&*tx, id)?.is_some() {
                return Err(ServiceError::AlreadyExists(format!("report {id}")));
            }
            if let Some(p) = &req.alleged_party
                && tx.party(p)?.is_none()
            {
                return Err(invalid(
                    "alleged_party",
                    format!("no party {p} is registered"),
                ));
            }
            let agreements: Vec<EntityId> = ceasefires::all(&*tx)?
                .into_iter()
                .filter(|a| a.in_force_during(req.observed_start, req.observed_end))
                .filter(|a| {
                    a.area.iter().any(|spec| {
                        spec.to_volume(&VolumeLimits::stored())
                            .is_ok_and(|v| v.intersects(&volume))
                    })
                })
                .map(|a| a.id)
                .collect();
            // Grouping: one scan of every report (see the doc comment).
            let existing = all(&*tx)?;
            let mut touched = BTreeSet::new();
            for r in &existing {
                if r.category != req.category
                    || time_gap(
                        (r.observed_start, r.observed_end),
                        (req.observed_start, req.observed_end),
                    ) > cfg.group_gap
                {
                    continue;
                }
                let other = r.footprint()?;
                if distance_lower_bound_m(&footprint, &other) <= cfg.group_distance_m
                    && distance_m(&footprint, &other) <= cfg.group_distance_m
                {
                    touched.insert(r.group);
                }
            }
            let group = touched.first().copied().unwrap_or(id);
            for mut r in existing {
                if touched.contains(&r.group) && r.group != group {
                    r.group = group;
                    r.version += 1;
                    write(tx, &r)?;
                }
            }
            let report = Report {
                id,
                reporter: caller.party.clone(),
                filed_at: now,
                observed_start: req.observed_start,
                observed_end: req.observed_end,
                location: req.location.clone(),
                category: req.category.clone(),
                alleged_party: req.alleged_party.clone(),
                provenance: req.provenance.clone(),
                evidence: req.evidence.clone(),
                description: req.description.clone(),
                agreements: agreements.clone(),
                group,
                status: ReportStatus::Reported,
                history: Vec::new(),
                version: 1,
            };
            write(tx, &report)?;
            if let Some(alleged) = &req.alleged_party
                && alleged != &caller.party
            {
                // The webhook: the alleged party's subscription with a callback URL over the
                // report's place, else its first with one (by id); else the inbox only.
                let subs = tx.subscriptions_of(alleged)?;
                let hooked = || subs.iter().filter(|s| s.callback_url.is_some());
                let callback_url = hooked()
                    .find(|s| {
                        s.volumes
                            .iter()
                            .any(|v| v.footprint().intersects(&footprint))
                    })
                    .or_else(|| hooked().next())
                    .and_then(|s| s.callback_url.clone());
                crate::hotline::notify(
                    tx,
                    NewNotification {
                        recipient: alleged.clone(),
                        event: Event::ViolationReported {
                            report: id,
                            category: req.category.clone(),
                            alleged_party: alleged.clone(),
                            reporter: caller.party.clone(),
                            agreements: agreements.clone(),
                        },
                        requires_ack: true,
                        callback_url,
                    },
                    now,
                    self.config.ack_deadline,
                )?;
            }
            Ok(report)
        })
    }

    /// One report (reports are public to every party).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::MissingScope`].
    pub fn get_report(&self, caller: &Caller, id: Uuid) -> Result<Report, ServiceError> {
        caller.require(SCOPE_READ)?;
        self.store
            .read(&mut |v| read(v, id))?
            .ok_or_else(|| ServiceError::NotFound(format!("report {id}")))
    }

    /// The reports with id after `after` that pass `filter`, by id, at most `limit` (1 to
    /// [`MAX_PAGE`]).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] (`limit`), [`ServiceError::MissingScope`].
    pub fn list_reports(
        &self,
        caller: &Caller,
        filter: &ReportFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<ReportPage, ServiceError> {
        caller.require(SCOPE_READ)?;
        if limit == 0 || limit > MAX_PAGE {
            return Err(invalid("limit", format!("must be 1 to {MAX_PAGE}")));
        }
        Ok(self.store.read(&mut |v| {
            let mut out = Vec::new();
            let mut cursor = after;
            loop {
                let chunk = page(v, cursor, 500)?;
                let Some(last) = chunk.last() else {
                    return Ok(ReportPage {
                        reports: out,
                        next: None,
                    });
                };
                cursor = Some(last.id);
                for r in chunk {
                    if filter.admits(&r) {
                        out.push(r);
                        if out.len() == limit {
                            let next = out.last().map(|r| r.id);
                            return Ok(ReportPage { reports: out, next });
                        }
                    }
                }
            }
        })?)
    }

    /// A reviewer moves a report on: `reported` → `under_review` → `confirmed`, `unconfirmed`
    /// or `dismissed`, with a reason, kept in its history. A reviewer may not review a report it
    /// filed or that names it.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`] (`deconflict.review`), [`ServiceError::NotFound`],
    /// [`ServiceError::Forbidden`], [`ServiceError::InvalidState`] (a transition the workflow
    /// does not have), [`ServiceError::Invalid`] (`reason`).
    pub fn review_report(
        &self,
        caller: &Caller,
        id: Uuid,
        to: ReportStatus,
        reason: &str,
    ) -> Result<Report, ServiceError> {
        caller.require(SCOPE_REVIEW)?;
        if reason.trim().is_empty() || reason.chars().count() > 2000 {
            return Err(invalid("reason", "must be 1 to 2000 characters, not blank"));
        }
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(mut r) = read(&*tx, id)? else {
                return Err(ServiceError::NotFound(format!("report {id}")));
            };
            if r.reporter == caller.party || r.alleged_party.as_ref() == Some(&caller.party) {
                return Err(ServiceError::Forbidden(format!(
                    "{} filed report {id} or is named in it, and may not review it",
                    caller.party
                )));
            }
            if !r.status.may_become(to) {
                return Err(ServiceError::InvalidState(format!(
                    "report {id} is {}: it cannot become {} (reported → under_review → \
                     confirmed, unconfirmed or dismissed)",
                    r.status.as_str(),
                    to.as_str()
                )));
            }
            r.history.push(Transition {
                by: caller.party.clone(),
                at: now,
                from: r.status,
                to,
                reason: reason.to_owned(),
            });
            r.status = to;
            r.version += 1;
            write(tx, &r)?;
            Ok(r)
        })
    }

    /// Daily tallies of the reports observed (by the UTC date of their observed start) from
    /// `from` to `to` inclusive: one row per day, agreement (each report counts once for each
    /// agreement it was matched to; `None` for those matched to none), category and alleged
    /// party, with the number of reports and of distinct incident groups. Dismissed reports are
    /// not counted. With `agreement`, only that agreement's rows.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] (`to` before `from`, or more than 366 days),
    /// [`ServiceError::MissingScope`].
    pub fn report_tallies(
        &self,
        caller: &Caller,
        from: NaiveDate,
        to: NaiveDate,
        agreement: Option<EntityId>,
    ) -> Result<Vec<TallyRow>, ServiceError> {
        caller.require(SCOPE_READ)?;
        if to < from {
            return Err(invalid("to", "must not be before from"));
        }
        if (to - from).num_days() > 366 {
            return Err(invalid("to", "tallies span at most 367 days"));
        }
        let reports = self.store.read(&mut |v| all(v))?;
        type Key = (NaiveDate, Option<EntityId>, String, Option<PartyId>);
        let mut rows: BTreeMap<Key, (u64, BTreeSet<Uuid>)> = BTreeMap::new();
        for r in reports {
            let day = r.observed_start.date_naive();
            if r.status == ReportStatus::Dismissed || day < from || day > to {
                continue;
            }
            let matched: Vec<Option<EntityId>> = if r.agreements.is_empty() {
                vec![None]
            } else {
                r.agreements.iter().copied().map(Some).collect()
            };
            for a in matched {
                if agreement.is_some() && a != agreement {
                    continue;
                }
                let row = rows
                    .entry((day, a, r.category.clone(), r.alleged_party.clone()))
                    .or_default();
                row.0 += 1;
                row.1.insert(r.group);
            }
        }
        Ok(rows
            .into_iter()
            .map(
                |((day, agreement, category, alleged_party), (reports, groups))| TallyRow {
                    day,
                    agreement,
                    category,
                    alleged_party,
                    reports,
                    incidents: groups.len() as u64,
                },
            )
            .collect())
    }
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
