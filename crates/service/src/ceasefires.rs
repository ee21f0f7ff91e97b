//! Ceasefire agreements as data: an area (a zone of kind `ceasefire`, with the agreement's id),
//! a window, signatory parties, terms and declared exemption categories. Proposed, then in force
//! once every signatory has accepted (each acceptance an authenticated act, recorded), then ended
//! or denounced by a signatory, or expired at the end of its window.
//!
//! While an agreement is in force, an operation of a signatory that intersects its area is a
//! conflict of kind `ceasefire`: refused, unless the operation declares an exemption of a
//! category the agreement lists, which is kept on record and told at once to every other
//! signatory (who must acknowledge it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    AltitudeBand, Change, Entity, EntityId, EntityKind, Event, FootprintSpec, PartyId, Reason,
    ValidationError, Volume4d, VolumeSpec, ZoneKind,
};
use deconflict_store::{Store, StoreError, Tx, View};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::caller::{Caller, SCOPE_READ, SCOPE_WRITE};
use crate::error::ServiceError;
use crate::notify::{ChangeOf, fan_out};
use crate::records;

/// Document kind of agreements (id: the agreement id).
pub const CEASEFIRE_DOCUMENT: &str = "ceasefire";
/// Document kind of declared exemptions (id: `<agreement>/<operation>/<operation version>`).
pub const EXEMPTION_DOCUMENT: &str = "ceasefire.exemption";

/// The largest polygon of an agreement's area, km² (an operation's limit is far smaller).
pub const MAX_AGREEMENT_AREA_KM2: f64 = 250_000.0;

/// How an agreement was closed before its window ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedHow {
    /// Ended by a signatory or its proposer (by agreement).
    Ended,
    /// Denounced by a signatory.
    Denounced,
}

/// The closing act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    /// Ended or denounced.
    pub how: ClosedHow,
    /// By whom.
    pub by: PartyId,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in the party's words.
    pub reason: String,
}

/// An agreement as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Its id (also the id of its area's zone).
    pub id: EntityId,
    /// Its name.
    pub name: String,
    /// Its terms, as agreed.
    pub terms: String,
    /// Its area, as declared.
    pub area: Vec<VolumeSpec>,
    /// Start of its window.
    pub window_start: DateTime<Utc>,
    /// End of its window.
    pub window_end: DateTime<Utc>,
    /// The parties it binds.
    pub signatories: BTreeSet<PartyId>,
    /// Categories of declared exemptions it allows.
    pub exemption_categories: BTreeSet<String>,
    /// Who proposed it.
    pub proposer: PartyId,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// Each signatory's acceptance, when.
    pub acceptances: BTreeMap<PartyId, DateTime<Utc>>,
    /// When the last acceptance put it in force.
    pub in_force_from: Option<DateTime<Utc>>,
    /// The closing act, if any.
    pub closed: Option<Closure>,
    /// Every act on it (acceptances, closing), with when it took effect and when it was
    /// recorded: an act may be recorded after the fact (`effective_at`), never before.
    #[serde(default)]
    pub recorded: Vec<Act>,
    /// Writes so far.
    pub version: u64,
}

/// An authenticated act on an agreement, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Act {
    /// Who.
    pub by: PartyId,
    /// `accept`, `end` or `denounce`.
    pub act: String,
    /// When it took effect.
    pub effective_at: DateTime<Utc>,
    /// When it was recorded here.
    pub recorded_at: DateTime<Utc>,
    /// The reason given, if any.
    pub reason: Option<String>,
}

impl Act {
    fn new(
        caller: &Caller,
        act: &str,
        effective_at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Self {
        Self {
            by: caller.party.clone(),
            act: act.to_owned(),
            effective_at,
            recorded_at,
            reason: reason.map(str::to_owned),
        }
    }
}

/// When an act takes effect: now, or a time declared after the fact — not in the future, not
/// before the agreement's window starts.
fn effective_time(
    effective: Option<DateTime<Utc>>,
    a: &Agreement,
    now: DateTime<Utc>,
    field: &str,
) -> Result<DateTime<Utc>, ServiceError> {
    let Some(t) = effective else { return Ok(now) };
    if t > now {
        return Err(invalid(field, "an act cannot take effect in the future"));
    }
    if t < a.window_start {
        return Err(invalid(
            field,
            "an act cannot take effect before the agreement's window starts",
        ));
    }
    Ok(t)
}

/// Where an agreement stands at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Waiting for acceptances.
    Proposed,
    /// Accepted by every signatory, window not over.
    InForce,
    /// Ended by agreement.
    Ended,
    /// Denounced by a signatory.
    Denounced,
    /// Its window is over.
    Expired,
}

impl AgreementStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::InForce => "in_force",
            Self::Ended => "ended",
            Self::Denounced => "denounced",
            Self::Expired => "expired",
        }
    }
}

impl Agreement {
    /// Its status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> AgreementStatus {
        match &self.closed {
            Some(c) if c.how == ClosedHow::Ended => AgreementStatus::Ended,
            Some(_) => AgreementStatus::Denounced,
            None if now >= self.window_end => AgreementStatus::Expired,
            None if self.in_force_from.is_some() => AgreementStatus::InForce,
            None => AgreementStatus::Proposed,
        }
    }

    /// Whether it was in force at `t` (for matching reports and operations to it).
    pub fn in_force_at(&self, t: DateTime<Utc>) -> bool {
        self.in_force_from.is_some_and(|f| f <= t)
            && t >= self.window_start
            && t < self.window_end
            && self.closed.as_ref().is_none_or(|c| t < c.at)
    }

    /// Whether it was in force at some instant of `[start, end)` (the same rule as
    /// [`Self::in_force_at`], over a window).
    pub fn in_force_during(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let Some(from) = self.in_force_from else {
            return false;
        };
        let lo = from.max(self.window_start).max(start);
        let hi = self
            .closed
            .as_ref()
            .map_or(self.window_end, |c| c.at.min(self.window_end))
            .min(end);
        lo < hi
    }
}

/// A request to propose an agreement.
#[derive(Debug, Clone)]
pub struct ProposeCeasefire {
    /// Its id (chosen by the proposer).
    pub id: EntityId,
    /// Its name (1–200 characters).
    pub name: String,
    /// Its terms (at most 20,000 characters).
    pub terms: String,
    /// Its area: one or more footprints.
    pub area: Vec<FootprintSpec>,
    /// Its altitude band; every altitude when `None`.
    pub altitude_m: Option<(f64, f64)>,
    /// Start of its window.
    pub window_start: DateTime<Utc>,
    /// End of its window.
    pub window_end: DateTime<Utc>,
    /// The parties it binds (at least two).
    pub signatories: BTreeSet<PartyId>,
    /// Categories of exemptions it allows (e.g. `medical-evacuation`).
    pub exemption_categories: BTreeSet<String>,
}

/// An exemption an operation declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemption {
    /// One of the agreement's categories.
    pub category: String,
    /// Why (1–2000 characters).
    pub justification: String,
}

/// An agreement as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementView {
    /// The record.
    pub agreement: Agreement,
    /// Its status now.
    pub status: AgreementStatus,
}

/// An agreement in force that an operation would breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeasefireBreach {
    /// The agreement.
    pub agreement: EntityId,
    /// Its name.
    pub name: String,
    /// The exemption categories it allows.
    pub exemption_categories: Vec<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(ValidationError::new(field, Reason::Malformed(why.into())))
}

/// The agreement stored under `id`, if any.
pub(crate) fn read(view: &dyn View, id: EntityId) -> Result<Option<Agreement>, StoreError> {
    records::get(view, CEASEFIRE_DOCUMENT, &id.to_string())
}

/// Every agreement, by id.
pub(crate) fn all(view: &dyn View) -> Result<Vec<Agreement>, StoreError> {
    records::all(view, CEASEFIRE_DOCUMENT)
}

fn write(tx: &mut dyn Tx, a: &Agreement) -> Result<(), StoreError> {
    records::put(tx, CEASEFIRE_DOCUMENT, &a.id.to_string(), a)
}

/// The agreements in force at `now` whose area intersects the operation's volumes and that bind
/// `party`, from the entities the operation intersects.
pub(crate) fn breaches(
    view: &dyn View,
    party: &PartyId,
    intersecting: &[Entity],
    now: DateTime<Utc>,
) -> Result<Vec<Agreement>, StoreError> {
    let mut out = Vec::new();
    for e in intersecting {
        if e.kind != EntityKind::Zone(ZoneKind::Ceasefire) {
            continue;
        }
        if let Some(a) = read(view, e.id)?
            && a.status(now) == AgreementStatus::InForce
            && a.signatories.contains(party)
        {
            out.push(a);
        }
    }
    Ok(out)
}

/// Applies the ceasefire rule to `operation` as it would be written: refuses it when it breaches
/// an agreement in force that binds its owner, without a valid exemption; with one, records it
/// and tells every other signatory.
pub(crate) fn check_operation(
    tx: &mut dyn Tx,
    written: &Entity,
    intersecting: &[Entity],
    exemption: Option<&Exemption>,
    now: DateTime<Utc>,
    ack_within: chrono::Duration,
) -> Result<(), ServiceError> {
    let (party, operation, version) = (&written.owner, written.id, written.version);
    let breached = breaches(&*tx, party, intersecting, now)?;
    if breached.is_empty() {
        return Ok(());
    }
    let refused = |why: String| ServiceError::CeasefireConflict {
        detail: why,
        agreements: breached
            .iter()
            .map(|a| CeasefireBreach {
                agreement: a.id,
                name: a.name.clone(),
                exemption_categories: a.exemption_categories.iter().cloned().collect(),
            })
            .collect(),
    };
    let Some(ex) = exemption else {
        return Err(refused(format!(
            "the operation intersects {} ceasefire agreement(s) in force that bind {party}: \
             it may be filed only with an exemption of a category they allow",
            breached.len()
        )));
    };
    if let Some(a) = breached
        .iter()
        .find(|a| !a.exemption_categories.contains(&ex.category))
    {
        return Err(refused(format!(
            "agreement {} ({}) allows no exemption of category {:?}",
            a.id, a.name, ex.category
        )));
    }
    for a in &breached {
        let key = format!("{}/{operation}/{version}", a.id);
        let record = serde_json::json!({
            "agreement": a.id, "operation": operation, "version": version, "party": party,
            "category": ex.category, "justification": ex.justification, "at": now,
        });
        records::put(tx, EXEMPTION_DOCUMENT, &key, &record)?;
        let others: Vec<PartyId> = a
            .signatories
            .iter()
            .filter(|p| *p != party)
            .cloned()
            .collect();
        crate::hotline::notify_each(
            tx,
            others,
            &Event::ExemptionDeclared {
                agreement: a.id,
                operation,
                party: party.clone(),
                category: ex.category.clone(),
                justification: ex.justification.clone(),
            },
            true,
            now,
            ack_within,
        )?;
    }
    Ok(())
}

/// Whether `e` is the zone of a ceasefire agreement (changed only by the agreement's acts).
pub(crate) fn is_agreement_zone(view: &dyn View, e: &Entity) -> Result<bool, StoreError> {
    Ok(e.kind == EntityKind::Zone(ZoneKind::Ceasefire) && read(view, e.id)?.is_some())
}

/// Checks an exemption's fields.
pub(crate) fn check_exemption(ex: &Exemption) -> Result<(), ServiceError> {
    if ex.category.is_empty() || ex.category.len() > 64 {
        return Err(invalid("exemption.category", "must be 1 to 64 characters"));
    }
    if ex.justification.trim().is_empty() || ex.justification.len() > 2000 {
        return Err(invalid(
            "exemption.justification",
            "must be 1 to 2000 characters, not blank",
        ));
    }
    Ok(())
}

impl<S: Store> Service<S> {
    /// Proposes an agreement: records it, files its area as a `ceasefire` zone (owned by the
    /// proposer, managed only here), and tells every signatory, who must acknowledge.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::AlreadyExists`], [`ServiceError::MissingScope`].
    pub fn propose_ceasefire(
        &self,
        caller: &Caller,
        req: ProposeCeasefire,
    ) -> Result<AgreementView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        if req.name.trim().is_empty() || req.name.len() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters, not blank"));
        }
        if req.terms.len() > 20_000 {
            return Err(invalid("terms", "must be at most 20,000 characters"));
        }
        if req.signatories.len() < 2 {
            return Err(invalid(
                "signatories",
                "an agreement binds at least two parties",
            ));
        }
        if req.exemption_categories.len() > 32
            || req
                .exemption_categories
                .iter()
                .any(|c| c.is_empty() || c.len() > 64)
        {
            return Err(invalid(
                "exemption_categories",
                "at most 32 categories of 1 to 64 characters",
            ));
        }
        let now = self.clock.now();
        if req.window_end <= now {
            return Err(invalid("window.end", "the window must end in the future"));
        }
        let (lower, upper) = req
            .altitude_m
            .unwrap_or((AltitudeBand::all().lower_m(), AltitudeBand::all().upper_m()));
        let area: Vec<VolumeSpec> = req
            .area
            .iter()
            .map(|footprint| VolumeSpec {
                footprint: footprint.clone(),
                altitude_lower_m: lower,
                altitude_upper_m: upper,
                time_start: req.window_start,
                time_end: req.window_end,
            })
            .collect();
        // An agreement may cover a whole country: its polygons may be larger than an
        // operation's (up to MAX_AGREEMENT_AREA_KM2 each).
        let limits = deconflict_core::VolumeLimits {
            max_area_km2: MAX_AGREEMENT_AREA_KM2,
            ..self.config.limits.clone()
        };
        deconflict_core::check_volume_count(area.len(), &limits)
            .map_err(|e| ServiceError::Invalid(e.within("area")))?;
        let volumes: Arc<[Volume4d]> = area
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.to_volume(&limits)
                    .map_err(|e| e.within(format!("area[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?
            .into();
        let ovn = self.ovns.next();
        self.transact(caller.party.as_str(), &mut |tx| {
            if tx.entity(&req.id)?.is_some() || read(&*tx, req.id)?.is_some() {
                return Err(ServiceError::AlreadyExists(format!("ceasefire {}", req.id)));
            }
            let agreement = Agreement {
                id: req.id,
                name: req.name.clone(),
                terms: req.terms.clone(),
                area: area.clone(),
                window_start: req.window_start,
                window_end: req.window_end,
                signatories: req.signatories.clone(),
                exemption_categories: req.exemption_categories.clone(),
                proposer: caller.party.clone(),
                proposed_at: now,
                acceptances: BTreeMap::new(),
                in_force_from: None,
                closed: None,
                recorded: Vec::new(),
                version: 1,
            };
            let zone = Entity {
                id: req.id,
                owner: caller.party.clone(),
                kind: EntityKind::Zone(ZoneKind::Ceasefire),
                volumes: volumes.clone(),
                ovn: ovn.clone(),
                version: 1,
                dss: None,
            };
            tx.put_entity(zone.clone())?;
            write(tx, &agreement)?;
            fan_out(
                tx,
                &ChangeOf {
                    entity: zone.id,
                    owner: &zone.owner,
                    kind: zone.kind,
                    change: Change::Created,
                    ovn: Some(zone.ovn.clone()),
                    volumes: zone.volumes.to_vec(),
                    conflicting: &[],
                    include_writer: false,
                },
                now,
                self.config.ack_deadline,
            )?;
            crate::hotline::notify_each(
                tx,
                agreement.signatories.iter().cloned(),
                &Event::CeasefireChanged {
                    agreement: agreement.id,
                    status: AgreementStatus::Proposed.as_str().into(),
                    by: caller.party.clone(),
                },
                true,
                now,
                self.config.ack_deadline,
            )?;
            Ok(AgreementView {
                status: agreement.status(now),
                agreement,
            })
        })
    }

    /// A signatory accepts a proposed agreement; the last acceptance puts it in force, and every
    /// signatory is told.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Forbidden`] (not a signatory),
    /// [`ServiceError::InvalidState`] (not proposed), [`ServiceError::MissingScope`].
    pub fn accept_ceasefire(
        &self,
        caller: &Caller,
        id: EntityId,
        effective: Option<DateTime<Utc>>,
    ) -> Result<AgreementView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let mut a = self.agreement_for_act(tx, caller, id)?;
            let at = effective_time(effective, &a, now, "effective_at")?;
            if a.status(now) != AgreementStatus::Proposed {
                return Err(ServiceError::InvalidState(format!(
                    "ceasefire {id} is {}, not proposed: there is nothing to accept",
                    a.status(now).as_str()
                )));
            }
            a.acceptances.entry(caller.party.clone()).or_insert(at);
            a.recorded.push(Act::new(caller, "accept", at, now, None));
            a.version += 1;
            let all = a.signatories.iter().all(|p| a.acceptances.contains_key(p));
            if all {
                a.in_force_from = a.acceptances.values().max().copied();
                crate::hotline::notify_each(
                    tx,
                    a.signatories.iter().cloned(),
                    &Event::CeasefireChanged {
                        agreement: id,
                        status: AgreementStatus::InForce.as_str().into(),
                        by: caller.party.clone(),
                    },
                    true,
                    now,
                    self.config.ack_deadline,
                )?;
            }
            write(tx, &a)?;
            Ok(AgreementView {
                status: a.status(now),
                agreement: a,
            })
        })
    }

    /// A signatory denounces (`ClosedHow::Denounced`), or a signatory or the proposer ends
    /// (`ClosedHow::Ended`), a proposed or in-force agreement; its area stops binding anyone,
    /// its zone is withdrawn (the agreement keeps the area on record), and every signatory is
    /// told.
    ///
    /// # Errors
    /// As [`Self::accept_ceasefire`]; [`ServiceError::Invalid`] for a blank reason.
    pub fn close_ceasefire(
        &self,
        caller: &Caller,
        id: EntityId,
        how: ClosedHow,
        reason: &str,
        effective: Option<DateTime<Utc>>,
    ) -> Result<AgreementView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        if reason.trim().is_empty() || reason.len() > 2000 {
            return Err(invalid("reason", "must be 1 to 2000 characters, not blank"));
        }
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(mut a) = read(&*tx, id)? else {
                return Err(ServiceError::NotFound(format!("ceasefire {id}")));
            };
            let may = a.signatories.contains(&caller.party)
                || (how == ClosedHow::Ended && a.proposer == caller.party);
            if !may {
                return Err(ServiceError::Forbidden(format!(
                    "only a signatory may {} ceasefire {id}",
                    if how == ClosedHow::Ended {
                        "end"
                    } else {
                        "denounce"
                    }
                )));
            }
            let status = a.status(now);
            if !matches!(status, AgreementStatus::Proposed | AgreementStatus::InForce) {
                return Err(ServiceError::InvalidState(format!(
                    "ceasefire {id} is already {}",
                    status.as_str()
                )));
            }
            let at = effective_time(effective, &a, now, "effective_at")?;
            if a.in_force_from.is_some_and(|f| at < f) {
                return Err(invalid(
                    "effective_at",
                    "an agreement cannot close before it entered into force",
                ));
            }
            a.closed = Some(Closure {
                how,
                by: caller.party.clone(),
                at,
                reason: reason.to_owned(),
            });
            a.recorded.push(Act::new(
                caller,
                if how == ClosedHow::Ended {
                    "end"
                } else {
                    "denounce"
                },
                at,
                now,
                Some(reason),
            ));
            a.version += 1;
            write(tx, &a)?;
            if let Some(zone) = tx.entity(&id)? {
                tx.delete_entity(&id)?;
                fan_out(
                    tx,
                    &ChangeOf {
                        entity: id,
                        owner: &zone.owner,
                        kind: zone.kind,
                        change: Change::Deleted,
                        ovn: None,
                        volumes: zone.volumes.to_vec(),
                        conflicting: &[],
                        include_writer: false,
                    },
                    now,
                    self.config.ack_deadline,
                )?;
            }
            crate::hotline::notify_each(
                tx,
                a.signatories.iter().cloned(),
                &Event::CeasefireChanged {
                    agreement: id,
                    status: a.status(now).as_str().into(),
                    by: caller.party.clone(),
                },
                true,
                now,
                self.config.ack_deadline,
            )?;
            Ok(AgreementView {
                status: a.status(now),
                agreement: a,
            })
        })
    }

    fn agreement_for_act(
        &self,
        tx: &dyn Tx,
        caller: &Caller,
        id: EntityId,
    ) -> Result<Agreement, ServiceError> {
        let Some(a) = read(tx, id)? else {
            return Err(ServiceError::NotFound(format!("ceasefire {id}")));
        };
        if !a.signatories.contains(&caller.party) {
            return Err(ServiceError::Forbidden(format!(
                "{} is not a signatory of ceasefire {id}",
                caller.party
            )));
        }
        Ok(a)
    }

    /// One agreement (agreements are public to every party).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::MissingScope`].
    pub fn get_ceasefire(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<AgreementView, ServiceError> {
        caller.require(SCOPE_READ)?;
        let now = self.clock.now();
        let a = self.store.read(&mut |v| read(v, id))?;
        a.map(|agreement| AgreementView {
            status: agreement.status(now),
            agreement,
        })
        .ok_or_else(|| ServiceError::NotFound(format!("ceasefire {id}")))
    }

    /// Every agreement, by id.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn list_ceasefires(&self, caller: &Caller) -> Result<Vec<AgreementView>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let now = self.clock.now();
        let docs = self.store.read(&mut |v| all(v))?;
        Ok(docs
            .into_iter()
            .map(|agreement| AgreementView {
                status: agreement.status(now),
                agreement,
            })
            .collect())
    }
}
