//! Expiry and reconfirmation of protected sites and movements: nothing lapses silently.
//!
//! Every notice has a validity. [`Service::process_validity`] (run periodically by the server,
//! any node; each notice is handled in its own transaction, so once):
//! - `reconfirm_lead` before its validity ends, asks its notifier to reconfirm it
//!   (`reconfirmation_due`, to acknowledge);
//! - once its validity has ended, tells **every** party, the notifier included, that it lapses
//!   (`protected_site_lapsing`, to acknowledge), and only then cuts its zone to end `grace` after
//!   that announcement. Until the announcement its zone protects without end, so a notice whose
//!   announcement is late (a server down) protects longer, never shorter.
//!
//! [`Service::reconfirm_protected`] extends the validity; a lapsing (or lapsed) notice protects
//! again without end, and every party is told.

use chrono::{DateTime, Utc};
use deconflict_core::{EntityId, EntityKind, Event, Reason, ValidationError};
use deconflict_store::{Store, Tx};

use crate::Service;
use crate::caller::{Caller, SCOPE_WRITE};
use crate::error::ServiceError;
use crate::protected::{Lapse, PROTECTED_DOCUMENT, ProtectedNotice, ProtectedView, open_end};
use crate::records;

/// What one pass of [`Service::process_validity`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidityPass {
    /// Notifiers asked to reconfirm.
    pub reconfirmations_requested: usize,
    /// Lapses announced to every party.
    pub lapses_announced: usize,
}

impl<S: Store> Service<S> {
    /// Re-files the zone of `notice` protecting until `until` (a new OVN), telling the
    /// subscriptions it touches.
    fn refile_zone(
        &self,
        tx: &mut dyn Tx,
        notice: &ProtectedNotice,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Some(current) = tx.entity(&notice.id)? else {
            return Err(ServiceError::NotFound(format!(
                "the zone of protected site {}",
                notice.id
            )));
        };
        let volumes = notice
            .shape
            .zone_volumes((notice.valid_from, until), &self.config.limits)?;
        let zone = deconflict_core::Entity {
            volumes: volumes.into(),
            ovn: self.ovns.next(),
            version: current.version + 1,
            ..current.clone()
        };
        debug_assert!(matches!(zone.kind, EntityKind::Zone(_)));
        tx.put_entity(zone.clone())?;
        self.announce_zone(tx, &zone, Some(&current), now)
    }

    /// Extends the validity of a site or movement of the caller's to `valid_until` (default: the
    /// default validity from now). A lapsing or lapsed one protects again; every other party is
    /// told (to acknowledge, when they had been told it lapses).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Forbidden`] (another party's),
    /// [`ServiceError::Invalid`] (`valid_until` not in the future or beyond the longest validity),
    /// [`ServiceError::MissingScope`].
    pub fn reconfirm_protected(
        &self,
        caller: &Caller,
        id: EntityId,
        valid_until: Option<DateTime<Utc>>,
    ) -> Result<ProtectedView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        let now = self.clock.now();
        let cfg = self.config.protected;
        let until = valid_until.unwrap_or(now + cfg.default_validity);
        let invalid = |why: String| {
            ServiceError::Invalid(ValidationError::new("valid_until", Reason::Malformed(why)))
        };
        if until <= now {
            return Err(invalid("must be in the future".into()));
        }
        if until > now + cfg.max_validity {
            return Err(invalid(format!(
                "at most {} days from now",
                cfg.max_validity.num_days()
            )));
        }
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(mut notice): Option<ProtectedNotice> =
                records::get(&*tx, PROTECTED_DOCUMENT, &id.to_string())?
            else {
                return Err(ServiceError::NotFound(format!("protected site {id}")));
            };
            if notice.notifier != caller.party {
                return Err(if notice.visible_to(&caller.party) {
                    ServiceError::Forbidden(format!(
                        "protected site {id} was notified by {}",
                        notice.notifier
                    ))
                } else {
                    ServiceError::NotFound(format!("protected site {id}"))
                });
            }
            let was_lapsing = notice.lapse.is_some();
            if was_lapsing {
                self.refile_zone(tx, &notice, open_end(), now)?;
            }
            notice.valid_until = until;
            notice.reconfirmation_requested_at = None;
            notice.lapse = None;
            let others = crate::hotline::parties_but(&*tx, Some(&caller.party))?;
            crate::hotline::notify_each(
                tx,
                others,
                &Event::ProtectedSiteReconfirmed {
                    site: id,
                    category: notice.category.clone(),
                    notifier: notice.notifier.clone(),
                    valid_until: until,
                },
                was_lapsing,
                now,
                self.config.ack_deadline,
            )?;
            records::put(tx, PROTECTED_DOCUMENT, &id.to_string(), &notice)?;
            Ok(ProtectedView {
                acknowledgements: notice
                    .notifications
                    .keys()
                    .map(|p| (p.clone(), None))
                    .collect(),
                notice,
            })
        })
    }

    /// Asks for reconfirmations that are due and announces lapses (see the module's
    /// documentation). Reads every notice; writes only those that need it, one transaction each.
    ///
    /// # Errors
    /// The store's.
    pub fn process_validity(&self) -> Result<ValidityPass, ServiceError> {
        let now = self.clock.now();
        let cfg = self.config.protected;
        let all: Vec<ProtectedNotice> = self
            .store
            .read(&mut |v| records::all(v, PROTECTED_DOCUMENT))?;
        let mut pass = ValidityPass::default();
        for candidate in all {
            let due_reconfirm = candidate.lapse.is_none()
                && candidate.reconfirmation_requested_at.is_none()
                && candidate.valid_until - cfg.reconfirm_lead <= now;
            let due_lapse = candidate.lapse.is_none() && candidate.valid_until <= now;
            if !due_reconfirm && !due_lapse {
                continue;
            }
            let id = candidate.id;
            let did = self.transact("system", &mut |tx| {
                // Read again inside the transaction: another node may have done it.
                let Some(mut notice): Option<ProtectedNotice> =
                    records::get(&*tx, PROTECTED_DOCUMENT, &id.to_string())?
                else {
                    return Ok((false, false));
                };
                let mut did = (false, false);
                if notice.lapse.is_none()
                    && notice.reconfirmation_requested_at.is_none()
                    && notice.valid_until - cfg.reconfirm_lead <= now
                {
                    crate::hotline::notify_each(
                        tx,
                        [notice.notifier.clone()],
                        &Event::ReconfirmationDue {
                            site: id,
                            valid_until: notice.valid_until,
                        },
                        true,
                        now,
                        self.config.ack_deadline,
                    )?;
                    notice.reconfirmation_requested_at = Some(now);
                    did.0 = true;
                }
                if notice.lapse.is_none() && notice.valid_until <= now {
                    let protection_ends = now + cfg.grace;
                    let everyone = crate::hotline::parties_but(&*tx, None)?;
                    crate::hotline::notify_each(
                        tx,
                        everyone,
                        &Event::ProtectedSiteLapsing {
                            site: id,
                            category: notice.category.clone(),
                            notifier: notice.notifier.clone(),
                            valid_until: notice.valid_until,
                            protection_ends,
                        },
                        true,
                        now,
                        self.config.ack_deadline,
                    )?;
                    self.refile_zone(tx, &notice, protection_ends, now)?;
                    notice.lapse = Some(Lapse {
                        announced_at: now,
                        protection_ends,
                    });
                    did.1 = true;
                }
                records::put(tx, PROTECTED_DOCUMENT, &id.to_string(), &notice)?;
                Ok::<_, ServiceError>(did)
            })?;
            pass.reconfirmations_requested += usize::from(did.0);
            pass.lapses_announced += usize::from(did.1);
        }
        Ok(pass)
    }
}
