//! Withdrawal: a party may leave the service and come back.
//!
//! Withdrawing (`withdraw_party`, by the party itself or an administrator) is one audited
//! transaction that
//! - **ends its operations** that are live or planned after the withdrawal time `t`: each volume
//!   that has already ended is kept as it was, a volume under way at `t` is truncated to end at
//!   `t`, a volume that starts at or after `t` is dropped. An operation with something left is
//!   kept on record with those volumes (a new version, new OVN); one with nothing left (all of it
//!   was in the future) is removed from the airspace. Either way nothing of it remains after
//!   `t`, so it no longer conflicts with anyone's later filing, and its subscribers are told as
//!   for any change. Every ended operation's previous version (OVN, version, volumes) is kept in
//!   the withdrawal record;
//! - **stops its subscriptions** (deleted; their ids are in the record; rejoining does not bring
//!   them back);
//! - keeps **everything else on record**: its zones, protected sites, separation claims, reports
//!   and its signatures of ceasefire agreements (the agreements it signed that are not closed are
//!   named in the notification: they stay binding on paper, it is for the other signatories to
//!   end or denounce them);
//! - tells **every other party** (`party_withdrew`, to acknowledge);
//! - records the party's **standing** (document [`STANDING_DOCUMENT`], id: the party id):
//!   withdrawn, when, by whom, with its statement.
//!
//! While withdrawn, every write transaction with the party as actor is refused
//! ([`Withdrawn`], 403 naming the withdrawal: see [`Service::transact`]); reads go on.
//! Rejoining (`rejoin_party`, the party itself or an administrator) restores writing and tells
//! the others (`party_rejoined`); the withdrawal moves to the standing's history.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{
    Change, Entity, EntityId, EntityKind, Event, Ovn, Party, PartyId, TimeWindow, Volume4d,
    VolumeSpec,
};
use deconflict_store::{Store, StoreError, View};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::caller::{Caller, SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE};
use crate::error::ServiceError;
use crate::notify::{ChangeOf, fan_out};
use crate::records;

/// Document kind of parties' standings (id: the party id). No document: active, never withdrawn.
pub const STANDING_DOCUMENT: &str = "party.standing";

/// Longest statement, characters.
pub const MAX_STATEMENT: usize = 5000;

/// A write refused because its actor has withdrawn (403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// The party.
    pub party: PartyId,
    /// Since when.
    pub at: DateTime<Utc>,
}

impl std::fmt::Display for Withdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "party {p} withdrew from the service at {at}: its writes are refused until it \
             rejoins (POST /v1/parties/{p}/rejoin)",
            p = self.party,
            at = self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    }
}

impl From<Withdrawn> for ServiceError {
    fn from(w: Withdrawn) -> Self {
        Self::Forbidden(w.to_string())
    }
}

impl From<Withdrawn> for crate::dss::DssError {
    fn from(w: Withdrawn) -> Self {
        Self::Forbidden(w.to_string())
    }
}

/// What happened to one operation at a withdrawal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndedOperation {
    /// The operation.
    pub id: EntityId,
    /// `truncated` (kept, ending at the withdrawal) or `removed` (it had not started).
    pub outcome: String,
    /// Its OVN before.
    pub ovn_before: Ovn,
    /// Its version before.
    pub version_before: u64,
    /// Its volumes before.
    pub volumes_before: Vec<VolumeSpec>,
}

/// One withdrawal, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// When.
    pub at: DateTime<Utc>,
    /// Who recorded it (the party, or an administrator).
    pub by: PartyId,
    /// The statement given, if any.
    pub statement: Option<String>,
    /// The operations it ended.
    pub ended_operations: Vec<EndedOperation>,
    /// The subscriptions it stopped.
    pub stopped_subscriptions: Vec<deconflict_core::SubscriptionId>,
    /// The agreements the party signed that were not closed (kept, unchanged).
    pub agreements: Vec<EntityId>,
    /// When it rejoined (history only).
    pub rejoined_at: Option<DateTime<Utc>>,
    /// Who recorded the rejoining.
    pub rejoined_by: Option<PartyId>,
}

/// A party's standing: the withdrawal in effect, if any, and the past ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Standing {
    /// The withdrawal in effect (`None`: active).
    pub withdrawn: Option<Withdrawal>,
    /// Earlier withdrawals, each with its rejoining, oldest first.
    #[serde(default)]
    pub history: Vec<Withdrawal>,
}

/// A party with its standing.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyRecord {
    /// The party.
    pub party: Party,
    /// Its standing.
    pub standing: Standing,
}

/// The standing of `party` as `view` sees it.
pub(crate) fn standing(view: &dyn View, party: &str) -> Result<Standing, StoreError> {
    Ok(records::get(view, STANDING_DOCUMENT, party)?.unwrap_or_default())
}

/// Refuses (with [`Withdrawn`]) a write by `actor` while it has withdrawn.
pub(crate) fn check_actor(view: &dyn View, actor: &str) -> Result<Option<Withdrawn>, StoreError> {
    let Some(w) = standing(view, actor)?.withdrawn else {
        return Ok(None);
    };
    Ok(PartyId::new(actor)
        .ok()
        .map(|party| Withdrawn { party, at: w.at }))
}

/// `e`'s volumes with nothing after `t`: `None` if nothing changes (it had ended), `Some(vec)`
/// otherwise (empty: nothing is left).
fn end_at(e: &Entity, t: DateTime<Utc>) -> Option<Vec<Volume4d>> {
    if e.volumes.iter().all(|v| v.time().end() <= t) {
        return None;
    }
    Some(
        e.volumes
            .iter()
            .filter(|v| v.time().start() < t)
            .filter_map(|v| {
                if v.time().end() <= t {
                    return Some(v.clone());
                }
                let w = TimeWindow::new(v.time().start(), t).ok()?;
                Some(Volume4d::new(v.footprint().clone(), *v.altitude(), w))
            })
            .collect(),
    )
}

fn may_act_for(caller: &Caller, party: &PartyId, act: &str) -> Result<(), ServiceError> {
    if caller.require(SCOPE_ADMIN).is_ok() {
        return Ok(());
    }
    caller.require(SCOPE_WRITE)?;
    if &caller.party != party {
        return Err(ServiceError::Forbidden(format!(
            "a party {act}s only itself (or an administrator, with {SCOPE_ADMIN})"
        )));
    }
    Ok(())
}

impl<S: Store> Service<S> {
    /// Withdraws `party` from the service (see the module docs for what it does).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (another party, without the admin scope),
    /// [`ServiceError::NotFound`] (no such party), [`ServiceError::InvalidState`] (already
    /// withdrawn), [`ServiceError::Invalid`] (statement too long), [`ServiceError::MissingScope`].
    pub fn withdraw_party(
        &self,
        caller: &Caller,
        party: PartyId,
        statement: Option<String>,
    ) -> Result<PartyRecord, ServiceError> {
        may_act_for(caller, &party, "withdraw")?;
        let statement = statement
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if statement
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_STATEMENT)
        {
            return Err(ServiceError::Invalid(
                deconflict_core::ValidationError::new(
                    "statement",
                    deconflict_core::Reason::Malformed(format!(
                        "must be at most {MAX_STATEMENT} characters"
                    )),
                ),
            ));
        }
        let now = self.clock.now();
        self.transact_unchecked(caller.party.as_str(), &mut |tx| {
            let Some(record) = tx.party(&party)? else {
                return Err(ServiceError::NotFound(format!("party {party}")));
            };
            let mut standing = standing(&*tx, party.as_str())?;
            if let Some(w) = &standing.withdrawn {
                return Err(ServiceError::InvalidState(format!(
                    "party {party} has already withdrawn (at {})",
                    w.at.to_rfc3339()
                )));
            }
            let mut stopped = Vec::new();
            for sub in tx.subscriptions_of(&party)? {
                tx.delete_subscription(&sub.id)?;
                stopped.push(sub.id);
            }
            let stopped_set: BTreeSet<_> = stopped.iter().copied().collect();
            let mut ended = Vec::new();
            let mut ops: Vec<Entity> = tx
                .entities()?
                .into_iter()
                .filter(|e| e.owner == party && matches!(e.kind, EntityKind::Operation { .. }))
                .collect();
            ops.sort_by_key(|e| e.id);
            for old in ops {
                let Some(left) = end_at(&old, now) else {
                    continue;
                };
                let removed = left.is_empty();
                if removed {
                    tx.delete_entity(&old.id)?;
                } else {
                    let mut dss = old.dss.clone();
                    if let Some(d) = dss.as_mut()
                        && d.subscription.is_some_and(|s| stopped_set.contains(&s))
                    {
                        d.subscription = None;
                    }
                    tx.put_entity(Entity {
                        volumes: Arc::from(left.clone()),
                        ovn: self.ovns.next(),
                        version: old.version + 1,
                        dss,
                        ..old.clone()
                    })?;
                }
                let new_ovn = if removed {
                    None
                } else {
                    tx.entity(&old.id)?.map(|e| e.ovn)
                };
                fan_out(
                    tx,
                    &ChangeOf {
                        entity: old.id,
                        owner: &old.owner,
                        kind: old.kind,
                        change: if removed {
                            Change::Deleted
                        } else {
                            Change::Updated
                        },
                        ovn: new_ovn,
                        volumes: old.volumes.to_vec(),
                        conflicting: &[],
                        include_writer: false,
                    },
                    now,
                    self.config.ack_deadline,
                )?;
                ended.push(EndedOperation {
                    id: old.id,
                    outcome: if removed { "removed" } else { "truncated" }.into(),
                    ovn_before: old.ovn.clone(),
                    version_before: old.version,
                    volumes_before: old.volumes.iter().map(VolumeSpec::from).collect(),
                });
            }
            let agreements: Vec<EntityId> = records::all::<crate::ceasefires::Agreement>(
                &*tx,
                crate::ceasefires::CEASEFIRE_DOCUMENT,
            )?
            .into_iter()
            .filter(|a| a.closed.is_none() && a.signatories.contains(&party))
            .map(|a| a.id)
            .collect();
            let others = crate::hotline::parties_but(&*tx, Some(&party))?;
            crate::hotline::notify_each(
                tx,
                others,
                &Event::PartyWithdrew {
                    party: party.clone(),
                    at: now,
                    by: caller.party.clone(),
                    statement: statement.clone(),
                    ended_operations: ended.iter().map(|e| e.id).collect(),
                    agreements: agreements.clone(),
                },
                true,
                now,
                self.config.ack_deadline,
            )?;
            standing.withdrawn = Some(Withdrawal {
                at: now,
                by: caller.party.clone(),
                statement: statement.clone(),
                ended_operations: ended,
                stopped_subscriptions: stopped.clone(),
                agreements,
                rejoined_at: None,
                rejoined_by: None,
            });
            records::put(tx, STANDING_DOCUMENT, party.as_str(), &standing)?;
            Ok(PartyRecord {
                party: record,
                standing,
            })
        })
    }

    /// Brings a withdrawn party back: it may write again; every other party is told
    /// (`party_rejoined`). Its ended operations and stopped subscriptions are not restored.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (another party, without the admin scope),
    /// [`ServiceError::NotFound`], [`ServiceError::InvalidState`] (not withdrawn),
    /// [`ServiceError::MissingScope`].
    pub fn rejoin_party(
        &self,
        caller: &Caller,
        party: PartyId,
    ) -> Result<PartyRecord, ServiceError> {
        may_act_for(caller, &party, "rejoin")?;
        let now = self.clock.now();
        self.transact_unchecked(caller.party.as_str(), &mut |tx| {
            let Some(record) = tx.party(&party)? else {
                return Err(ServiceError::NotFound(format!("party {party}")));
            };
            let mut standing = standing(&*tx, party.as_str())?;
            let Some(mut w) = standing.withdrawn.take() else {
                return Err(ServiceError::InvalidState(format!(
                    "party {party} has not withdrawn"
                )));
            };
            w.rejoined_at = Some(now);
            w.rejoined_by = Some(caller.party.clone());
            standing.history.push(w);
            let others = crate::hotline::parties_but(&*tx, Some(&party))?;
            crate::hotline::notify_each(
                tx,
                others,
                &Event::PartyRejoined {
                    party: party.clone(),
                    at: now,
                    by: caller.party.clone(),
                },
                false,
                now,
                self.config.ack_deadline,
            )?;
            records::put(tx, STANDING_DOCUMENT, party.as_str(), &standing)?;
            Ok(PartyRecord {
                party: record,
                standing,
            })
        })
    }

    /// One party with its standing (any reader, or an administrator: a withdrawn party reads
    /// its own).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::MissingScope`].
    pub fn party_record(&self, caller: &Caller, id: &PartyId) -> Result<PartyRecord, ServiceError> {
        if caller.require(SCOPE_ADMIN).is_err() {
            caller.require(SCOPE_READ)?;
        }
        let found = self.store.read(&mut |v| {
            let Some(party) = v.party(id)? else {
                return Ok(None);
            };
            Ok(Some(PartyRecord {
                party,
                standing: standing(v, id.as_str())?,
            }))
        })?;
        found.ok_or_else(|| ServiceError::NotFound(format!("party {id}")))
    }

    /// Every party with its standing.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn party_records(&self, caller: &Caller) -> Result<Vec<PartyRecord>, ServiceError> {
        caller.require(SCOPE_READ)?;
        Ok(self.store.read(&mut |v| {
            v.parties()?
                .into_iter()
                .map(|party| {
                    let standing = standing(v, party.id.as_str())?;
                    Ok(PartyRecord { party, standing })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?)
    }
}
