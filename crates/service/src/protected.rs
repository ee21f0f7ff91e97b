//! Protected sites and movements (humanitarian notification), and separation zones.
//!
//! A **site** is a place (a point with a radius, or a polygon) of a category such as hospital,
//! school, camp or warehouse; a **movement** is a route (a line) with a corridor width and time
//! windows, such as an aid convoy. Each is notified to every registered party, which must
//! acknowledge every new or changed notification before the deadline (the hotline escalates
//! overdue ones). Its area is a zone of kind `protected` with the notice's id: operations that
//! intersect it are conflicts of kind `protected`, and must name it in their key.
//!
//! A **separation zone** is an area a party declares as where a named group is present — for
//! the record and for conflict checks (a zone of kind `separation`). The service keeps the claim
//! and its author; it takes no side.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    AltitudeBand, Change, Entity, EntityId, EntityKind, Event, FootprintSpec, Ovn, PartyId, Reason,
    ValidationError, Volume4d, VolumeSpec, ZoneKind,
};
use deconflict_store::{Store, StoreError, Tx, View};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::caller::{Caller, SCOPE_READ, SCOPE_WRITE};
use crate::error::ServiceError;
use crate::notify::{ChangeOf, fan_out};
use crate::records;

/// Document kind of protected sites and movements (id: the notice's id).
pub const PROTECTED_DOCUMENT: &str = "protected";
/// Document kind of separation zone claims (id: the zone's id).
pub const SEPARATION_DOCUMENT: &str = "separation";

/// What is protected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProtectedShape {
    /// A fixed place.
    Site {
        /// Its footprint (a circle for a point with a radius, or a polygon).
        footprint: FootprintSpec,
    },
    /// A route travelled in time windows.
    Movement {
        /// The route, `[lon, lat]` WGS84 degrees, at least two points.
        route: Vec<[f64; 2]>,
        /// Width of the protected corridor around the route, metres.
        corridor_width_m: f64,
        /// When it moves (at least one window).
        windows: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    },
}

/// What other parties learn of a protected site or movement (its notifier chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteDisclosure {
    /// Its name and geometry, to every party (as the notification systems of the past did).
    #[default]
    Full,
    /// Only that it exists, its category and its notifier; an operation of theirs that meets it
    /// learns of the conflict (with its own footprint), never the site's geometry. See
    /// `docs/disclosure.md`.
    ConflictOnly,
}

impl SiteDisclosure {
    /// `full` or `conflict-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::ConflictOnly => "conflict-only",
        }
    }
}

/// What happens to another party's operation that meets a protected site or movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// It is refused (409 "Protected site conflict"), whatever its key.
    Refuse,
    /// It is a conflict like any other: accepted once its key names the site's current OVN, and
    /// listed among its conflicts.
    Flag,
}

impl OnConflict {
    /// The default: `flag` for sites disclosed in full (the key rule, as before the choice
    /// existed), `refuse` for `conflict-only` ones.
    pub fn default_for(disclosure: SiteDisclosure) -> Self {
        match disclosure {
            SiteDisclosure::Full => Self::Flag,
            SiteDisclosure::ConflictOnly => Self::Refuse,
        }
    }

    fn flag() -> Self {
        Self::Flag
    }
}

/// The announcement that a notice was not reconfirmed in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lapse {
    /// When every party was told.
    pub announced_at: DateTime<Utc>,
    /// When it stops protecting: the announcement plus the grace period.
    pub protection_ends: DateTime<Utc>,
}

/// Where a notice stands in its validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Valid, protecting.
    Active,
    /// Its validity ends soon: its notifier was asked to reconfirm it.
    ReconfirmationDue,
    /// Its validity ended; it still protects until the lapse is announced and the grace period
    /// after it has passed.
    Lapsing,
    /// It no longer protects.
    Lapsed,
}

/// A humanitarian notification as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectedNotice {
    /// Its id (also its zone's).
    pub id: EntityId,
    /// Who notified it.
    pub notifier: PartyId,
    /// Its name (a hospital's, a convoy's).
    pub name: String,
    /// hospital, school, camp, warehouse, convoy, ...
    pub category: String,
    /// Where (and, for a movement, when).
    pub shape: ProtectedShape,
    /// Start of its validity.
    pub valid_from: DateTime<Utc>,
    /// End of its validity: before it, its notifier is asked to reconfirm it; after it (and a
    /// grace period once every party has been told) it stops protecting.
    pub valid_until: DateTime<Utc>,
    /// What other parties learn of it.
    #[serde(default)]
    pub disclosure: SiteDisclosure,
    /// What happens to another party's operation that meets it.
    #[serde(default = "OnConflict::flag")]
    pub on_conflict: OnConflict,
    /// Writes so far.
    pub version: u64,
    /// When this version was notified.
    pub notified_at: DateTime<Utc>,
    /// The notification of this version to each party (for its acknowledgement).
    pub notifications: BTreeMap<PartyId, u64>,
    /// When its notifier was asked to reconfirm it (this validity).
    #[serde(default)]
    pub reconfirmation_requested_at: Option<DateTime<Utc>>,
    /// The announcement of its lapse, once made.
    #[serde(default)]
    pub lapse: Option<Lapse>,
}

impl ProtectedNotice {
    /// Where it stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> NoticeStatus {
        match &self.lapse {
            Some(l) if l.protection_ends <= now => NoticeStatus::Lapsed,
            Some(_) => NoticeStatus::Lapsing,
            None if self.valid_until <= now => NoticeStatus::Lapsing,
            None if self.reconfirmation_requested_at.is_some() => NoticeStatus::ReconfirmationDue,
            None => NoticeStatus::Active,
        }
    }

    /// Whether `viewer` may see its name and geometry.
    pub fn visible_to(&self, viewer: &PartyId) -> bool {
        self.disclosure == SiteDisclosure::Full || &self.notifier == viewer
    }
}

/// A request to notify (or re-notify, changed) a site or movement.
#[derive(Debug, Clone)]
pub struct PutProtected {
    /// Its id.
    pub id: EntityId,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: String,
    /// Where and when.
    pub shape: ProtectedShape,
    /// Start of its validity (default now).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of its validity (default: [`ProtectedConfig::default_validity`] after its start; at
    /// most [`ProtectedConfig::max_validity`] from now).
    pub valid_until: Option<DateTime<Utc>>,
    /// What other parties learn of it (default `full`).
    pub disclosure: SiteDisclosure,
    /// What happens to others' operations that meet it (default: [`OnConflict::default_for`]).
    pub on_conflict: Option<OnConflict>,
}

/// A validated notice, ready to be filed inside a transaction ([`Service::file_protected`]).
#[derive(Debug, Clone)]
pub struct PreparedNotice {
    /// The request.
    pub req: PutProtected,
    /// Its validity.
    pub valid: (DateTime<Utc>, DateTime<Utc>),
    /// Its zone's volumes (protecting until its lapse is announced).
    pub volumes: Arc<[Volume4d]>,
}

/// Settings of protected sites and movements.
#[derive(Debug, Clone, Copy)]
pub struct ProtectedConfig {
    /// Validity of a notice that names none.
    pub default_validity: chrono::Duration,
    /// Longest validity from now.
    pub max_validity: chrono::Duration,
    /// How long before its validity ends the notifier is asked to reconfirm.
    pub reconfirm_lead: chrono::Duration,
    /// How long a notice protects after every party was told it lapsed.
    pub grace: chrono::Duration,
    /// Most checks a party may make near one `conflict-only` site per [`Self::probe_period`];
    /// beyond, its checks there are refused (429) and the notifier is told.
    pub probe_limit: u32,
    /// The period of the probing limit.
    pub probe_period: chrono::Duration,
    /// "Near": within this many metres of the site's bounding box.
    pub probe_vicinity_m: f64,
}

impl Default for ProtectedConfig {
    fn default() -> Self {
        Self {
            default_validity: chrono::Duration::days(30),
            max_validity: chrono::Duration::days(366),
            reconfirm_lead: chrono::Duration::days(3),
            grace: chrono::Duration::hours(24),
            probe_limit: 8,
            probe_period: chrono::Duration::hours(24),
            probe_vicinity_m: 5_000.0,
        }
    }
}

/// A notice with each party's acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedView {
    /// The record.
    pub notice: ProtectedNotice,
    /// Each notified party's acknowledgement time of this version (`None`: not yet).
    pub acknowledgements: BTreeMap<PartyId, Option<DateTime<Utc>>>,
}

/// A separation zone claim as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeparationClaim {
    /// The zone's id.
    pub id: EntityId,
    /// Who declared it.
    pub author: PartyId,
    /// The group declared present.
    pub group: String,
    /// A statement, in the author's words.
    pub statement: String,
    /// Its area and window.
    pub volumes: Vec<VolumeSpec>,
    /// When declared (this version).
    pub declared_at: DateTime<Utc>,
    /// The zone's OVN.
    pub ovn: Ovn,
}

/// The hotline event telling a party of `notice` (its name withheld when `conflict-only`).
fn notified_event(notice: &ProtectedNotice) -> Event {
    Event::ProtectedSiteNotified {
        site: notice.id,
        name: (notice.disclosure == SiteDisclosure::Full).then(|| notice.name.clone()),
        category: notice.category.clone(),
        notifier: notice.notifier.clone(),
        version: notice.version,
        disclosure: notice.disclosure.as_str().to_owned(),
        valid_until: Some(notice.valid_until),
    }
}

/// The category of `conflict-only` notice `id` (what another party may learn of it), if it is
/// one.
pub(crate) fn withheld_category(
    view: &dyn View,
    id: EntityId,
) -> Result<Option<(String, OnConflict)>, StoreError> {
    Ok(read::<ProtectedNotice>(view, PROTECTED_DOCUMENT, id)?
        .filter(|n| n.disclosure == SiteDisclosure::ConflictOnly)
        .map(|n| (n.category, n.on_conflict)))
}

/// The notice of protected zone `id`, if it is one.
pub(crate) fn notice_of(
    view: &dyn View,
    id: EntityId,
) -> Result<Option<ProtectedNotice>, StoreError> {
    read(view, PROTECTED_DOCUMENT, id)
}

fn invalid(field: &str, why: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(ValidationError::new(field, Reason::Malformed(why.into())))
}

fn read<T: serde::de::DeserializeOwned>(
    view: &dyn View,
    kind: &str,
    id: EntityId,
) -> Result<Option<T>, StoreError> {
    records::get(view, kind, &id.to_string())
}

fn write<T: Serialize>(tx: &mut dyn Tx, kind: &str, id: EntityId, v: &T) -> Result<(), StoreError> {
    records::put(tx, kind, &id.to_string(), v)
}

/// Metres per degree of latitude, and of longitude at the equator (WGS84, mean).
pub(crate) const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON: f64 = 111_320.0;

/// The corridor of a route: the line buffered by half the width, computed in a local
/// equirectangular projection around the route's mean latitude (geo's `Buffer` is planar), with
/// a 2% margin so that the projection's error (well under 1% over a few hundred km) errs towards
/// protecting more. Round ends and joins.
fn corridor(route: &[[f64; 2]], width_m: f64) -> Result<Vec<FootprintSpec>, ServiceError> {
    use geo::{Buffer, Coord, LineString};
    let lat0 = route.iter().map(|p| p[1]).sum::<f64>() / route.len() as f64;
    let kx = M_PER_DEG_LON * lat0.to_radians().cos().max(0.01);
    let line: LineString = route
        .iter()
        .map(|p| Coord {
            x: p[0] * kx,
            y: p[1] * M_PER_DEG_LAT,
        })
        .collect();
    let area = line.buffer(width_m / 2.0 * 1.02);
    let out: Vec<FootprintSpec> = area
        .0
        .iter()
        .map(|poly| FootprintSpec::Polygon {
            vertices: poly
                .exterior()
                .0
                .iter()
                .map(|c| [c.x / kx, c.y / M_PER_DEG_LAT])
                .collect(),
        })
        .collect();
    if out.is_empty() {
        return Err(invalid("route", "the corridor is empty"));
    }
    Ok(out)
}

impl ProtectedShape {
    /// The zone volumes of this shape: a site's from `valid.0` to `valid.1`; a movement's
    /// windows, cut at `valid.1`.
    pub(crate) fn zone_volumes(
        &self,
        valid: (DateTime<Utc>, DateTime<Utc>),
        limits: &deconflict_core::VolumeLimits,
    ) -> Result<Vec<Volume4d>, ServiceError> {
        let all = AltitudeBand::all();
        let spec = |footprint: FootprintSpec, start, end| VolumeSpec {
            footprint,
            altitude_lower_m: all.lower_m(),
            altitude_upper_m: all.upper_m(),
            time_start: start,
            time_end: end,
        };
        let specs: Vec<VolumeSpec> = match self {
            Self::Site { footprint } => vec![spec(footprint.clone(), valid.0, valid.1)],
            Self::Movement {
                route,
                corridor_width_m,
                windows,
            } => {
                if route.len() < 2 {
                    return Err(invalid("route", "a route needs at least two points"));
                }
                if !(1.0..=10_000.0).contains(corridor_width_m) {
                    return Err(invalid(
                        "corridor_width_m",
                        "must be between 1 and 10,000 metres",
                    ));
                }
                if windows.is_empty() {
                    return Err(invalid("windows", "a movement needs at least one window"));
                }
                for (i, p) in route.iter().enumerate() {
                    if !(-180.0..=180.0).contains(&p[0]) || !(-85.0..=85.0).contains(&p[1]) {
                        return Err(invalid(
                            &format!("route[{i}]"),
                            "longitude -180..180, latitude -85..85",
                        ));
                    }
                }
                let corridor = corridor(route, *corridor_width_m)?;
                let cut: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows
                    .iter()
                    .map(|(s, e)| (*s, (*e).min(valid.1)))
                    .filter(|(s, e)| s < e)
                    .collect();
                if cut.is_empty() {
                    // Every window is past its protection: a zone needs a volume, so it keeps
                    // an instant-long one at the end (it protects nothing further).
                    let end = valid.1;
                    return Ok(vec![
                        spec(corridor[0].clone(), end - chrono::Duration::seconds(1), end)
                            .to_volume(limits)
                            .map_err(|e| ServiceError::Invalid(e.within("windows")))?,
                    ]);
                }
                cut.iter()
                    .flat_map(|(s, e)| corridor.iter().map(move |f| spec(f.clone(), *s, *e)))
                    .collect()
            }
        };
        deconflict_core::check_volume_count(specs.len(), limits)?;
        specs
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.to_volume(limits)
                    .map_err(|e| ServiceError::Invalid(e.within(format!("volumes[{i}]"))))
            })
            .collect()
    }
}

/// The resource that manages zone `e`, if it is a protected site's or a separation claim's.
pub(crate) fn managing_resource(
    view: &dyn View,
    e: &Entity,
) -> Result<Option<&'static str>, StoreError> {
    let key = e.id.to_string();
    Ok(match e.kind {
        EntityKind::Zone(ZoneKind::Protected | ZoneKind::Confidential)
            if view.document(PROTECTED_DOCUMENT, &key)?.is_some() =>
        {
            Some("/v1/protected-sites")
        }
        EntityKind::Zone(ZoneKind::Separation)
            if view.document(SEPARATION_DOCUMENT, &key)?.is_some() =>
        {
            Some("/v1/separation-zones")
        }
        _ => None,
    })
}

/// The end of time for zones that protect until their lapse is announced.
pub(crate) fn open_end() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl<S: Store> Service<S> {
    /// Validates a notice (no I/O): name, category, validity, disclosure and its zone's volumes.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field.
    pub fn prepare_protected(&self, req: PutProtected) -> Result<PreparedNotice, ServiceError> {
        if req.name.trim().is_empty() || req.name.len() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters, not blank"));
        }
        if req.category.trim().is_empty() || req.category.len() > 64 {
            return Err(invalid("category", "must be 1 to 64 characters, not blank"));
        }
        let now = self.clock.now();
        let cfg = &self.config.protected;
        let from = req.valid_from.unwrap_or(now);
        let until = req
            .valid_until
            .unwrap_or(from.max(now) + cfg.default_validity);
        if until <= from {
            return Err(invalid("valid_until", "must be after valid_from"));
        }
        if until <= now {
            return Err(invalid("valid_until", "must be in the future"));
        }
        if until > now + cfg.max_validity {
            return Err(invalid(
                "valid_until",
                format!(
                    "at most {} days from now: a notice must be reconfirmed at least that often",
                    cfg.max_validity.num_days()
                ),
            ));
        }
        let volumes: Arc<[Volume4d]> = req
            .shape
            .zone_volumes((from, open_end()), &self.config.limits)?
            .into();
        Ok(PreparedNotice {
            req,
            valid: (from, until),
            volumes,
        })
    }

    /// Notifies a protected site or movement, or re-notifies it changed (its notifier only):
    /// records it, files or replaces its `protected` zone (`confidential` when it is notified
    /// `conflict-only`), and tells every registered party but the notifier, each to acknowledge
    /// before the deadline.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::Forbidden`] (another party's notice, or an id
    /// taken by another entity), [`ServiceError::MissingScope`].
    pub fn put_protected(
        &self,
        caller: &Caller,
        req: PutProtected,
    ) -> Result<ProtectedView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        let prepared = self.prepare_protected(req)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            self.file_protected(tx, caller, &prepared, now, None)
        })
    }

    /// Files one prepared notice inside `tx`. With `notifications`, those (existing)
    /// notifications are each party's to acknowledge for it (a bulk import notifies once per
    /// party); without, every other party is notified of it here.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (another party's notice), [`ServiceError::AlreadyExists`] (an
    /// id taken by another entity), or the store's.
    pub fn file_protected(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        prepared: &PreparedNotice,
        now: DateTime<Utc>,
        notifications: Option<&BTreeMap<PartyId, u64>>,
    ) -> Result<ProtectedView, ServiceError> {
        let req = &prepared.req;
        let previous: Option<ProtectedNotice> = read(&*tx, PROTECTED_DOCUMENT, req.id)?;
        let current = tx.entity(&req.id)?;
        match (&previous, &current) {
            (Some(p), _) if p.notifier != caller.party => {
                return Err(ServiceError::Forbidden(format!(
                    "protected site {} was notified by {}",
                    req.id, p.notifier
                )));
            }
            (None, Some(_)) => {
                return Err(ServiceError::AlreadyExists(format!("entity {}", req.id)));
            }
            _ => {}
        }
        let zone_kind = match req.disclosure {
            SiteDisclosure::Full => ZoneKind::Protected,
            SiteDisclosure::ConflictOnly => ZoneKind::Confidential,
        };
        let zone = Entity {
            id: req.id,
            owner: caller.party.clone(),
            kind: EntityKind::Zone(zone_kind),
            volumes: prepared.volumes.clone(),
            ovn: self.ovns.next(),
            version: current.as_ref().map_or(1, |c| c.version + 1),
            dss: None,
        };
        tx.put_entity(zone.clone())?;
        self.announce_zone(tx, &zone, current.as_ref(), now)?;
        let version = previous.as_ref().map_or(1, |p| p.version + 1);
        let notice = ProtectedNotice {
            id: req.id,
            notifier: caller.party.clone(),
            name: req.name.clone(),
            category: req.category.clone(),
            shape: req.shape.clone(),
            valid_from: prepared.valid.0,
            valid_until: prepared.valid.1,
            disclosure: req.disclosure,
            on_conflict: req
                .on_conflict
                .unwrap_or(OnConflict::default_for(req.disclosure)),
            version,
            notified_at: now,
            notifications: BTreeMap::new(),
            reconfirmation_requested_at: None,
            lapse: None,
        };
        let notifications = match notifications {
            Some(given) => given.clone(),
            None => {
                let others = crate::hotline::parties_but(&*tx, Some(&caller.party))?;
                crate::hotline::notify_each(
                    tx,
                    others,
                    &notified_event(&notice),
                    true,
                    now,
                    self.config.ack_deadline,
                )?
            }
        };
        let notice = ProtectedNotice {
            notifications,
            ..notice
        };
        write(tx, PROTECTED_DOCUMENT, req.id, &notice)?;
        let acknowledgements = notice
            .notifications
            .keys()
            .map(|p| (p.clone(), None))
            .collect();
        Ok(ProtectedView {
            notice,
            acknowledgements,
        })
    }

    /// Tells the subscriptions whose area a (re)filed protected zone touches. A `confidential`
    /// zone is told to its notifier's subscriptions only (none: the writer's own are skipped):
    /// a subscription's notification would say where it is.
    pub(crate) fn announce_zone(
        &self,
        tx: &mut dyn Tx,
        zone: &Entity,
        previous: Option<&Entity>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let mut touched = zone.volumes.to_vec();
        if let Some(c) = previous {
            touched.extend(c.volumes.iter().cloned());
        }
        let intersecting = tx.entities_intersecting(&zone.volumes)?;
        fan_out(
            tx,
            &ChangeOf {
                entity: zone.id,
                owner: &zone.owner,
                kind: zone.kind,
                change: if previous.is_some() {
                    Change::Updated
                } else {
                    Change::Created
                },
                ovn: Some(zone.ovn.clone()),
                volumes: touched,
                conflicting: &intersecting,
                include_writer: false,
            },
            now,
            self.config.ack_deadline,
        )?;
        Ok(())
    }

    /// One protected site or movement, with each party's acknowledgement of its current version.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::MissingScope`].
    pub fn get_protected(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<ProtectedView, ServiceError> {
        caller.require(SCOPE_READ)?;
        let found = self.store.read(&mut |v| {
            let Some(notice) = read::<ProtectedNotice>(v, PROTECTED_DOCUMENT, id)? else {
                return Ok(None);
            };
            if !notice.visible_to(&caller.party) {
                // A `conflict-only` notice is not shown to other parties, not even as existing
                // under this id (their inbox told them of it, with its category).
                return Ok(None);
            }
            let mut acknowledgements = BTreeMap::new();
            for (party, n) in &notice.notifications {
                let acked = v
                    .inbox(party, n - 1, 1)?
                    .into_iter()
                    .find(|x| x.id == *n)
                    .and_then(|x| x.acked_at);
                acknowledgements.insert(party.clone(), acked);
            }
            Ok(Some(ProtectedView {
                notice,
                acknowledgements,
            }))
        })?;
        found.ok_or_else(|| ServiceError::NotFound(format!("protected site {id}")))
    }

    /// Every protected site and movement the caller may see, by id: those disclosed in full,
    /// and its own.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn list_protected(&self, caller: &Caller) -> Result<Vec<ProtectedNotice>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let all: Vec<ProtectedNotice> = self
            .store
            .read(&mut |v| records::all(v, PROTECTED_DOCUMENT))?;
        Ok(all
            .into_iter()
            .filter(|n| n.visible_to(&caller.party))
            .collect())
    }

    /// Declares (or re-declares) a separation zone: where `group` is present, by the caller's
    /// account. Recorded with its author; its zone (kind `separation`) takes part in conflicts.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::Forbidden`] (another party's claim or entity),
    /// [`ServiceError::MissingScope`].
    pub fn put_separation(
        &self,
        caller: &Caller,
        id: EntityId,
        group: &str,
        statement: &str,
        volumes: Vec<VolumeSpec>,
    ) -> Result<SeparationClaim, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        if group.trim().is_empty() || group.len() > 200 {
            return Err(invalid("group", "must be 1 to 200 characters, not blank"));
        }
        if statement.len() > 5000 {
            return Err(invalid("statement", "must be at most 5,000 characters"));
        }
        let vols: Arc<[Volume4d]> = VolumeSpec::to_volumes(&volumes, &self.config.limits)?.into();
        let now = self.clock.now();
        let ovn = self.ovns.next();
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.entity(&id)?;
            if let Some(c) = &current
                && (c.owner != caller.party || c.kind != EntityKind::Zone(ZoneKind::Separation))
            {
                return Err(ServiceError::Forbidden(format!(
                    "entity {id} is not a separation zone of {}",
                    caller.party
                )));
            }
            let zone = Entity {
                id,
                owner: caller.party.clone(),
                kind: EntityKind::Zone(ZoneKind::Separation),
                volumes: vols.clone(),
                ovn: ovn.clone(),
                version: current.as_ref().map_or(1, |c| c.version + 1),
                dss: None,
            };
            tx.put_entity(zone.clone())?;
            self.announce_zone(tx, &zone, current.as_ref(), now)?;
            let claim = SeparationClaim {
                id,
                author: caller.party.clone(),
                group: group.to_owned(),
                statement: statement.to_owned(),
                volumes: volumes.clone(),
                declared_at: now,
                ovn: ovn.clone(),
            };
            write(tx, SEPARATION_DOCUMENT, id, &claim)?;
            Ok(claim)
        })
    }

    /// Every separation zone claim, by id.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn list_separations(&self, caller: &Caller) -> Result<Vec<SeparationClaim>, ServiceError> {
        caller.require(SCOPE_READ)?;
        Ok(self
            .store
            .read(&mut |v| records::all(v, SEPARATION_DOCUMENT))?)
    }
}
