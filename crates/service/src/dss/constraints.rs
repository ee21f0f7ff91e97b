//! Constraint references: create, update, delete, get, query. A constraint is a zone: one
//! created here is `restricted`; a zone of another kind updated here keeps its kind.

use std::sync::Arc;

use deconflict_core::rules::apply_write;
use deconflict_core::{
    Change, DssAttributes, Entity, EntityId, EntityKind, Key, Ovn, Volume4d, WriteRequest, ZoneKind,
};
use deconflict_store::Store;

use super::oir::query_volume;
use super::{
    CONSTRAINT_READ_SCOPES, CONSTRAINT_WRITE_SCOPES, Changed, ConstraintRefView, DssError,
    DssVolume, Viewer, VolumeRules, check_base_url, check_v4, extents, requested_ovn, require_any,
    subscribers, time_bounds,
};
use crate::Service;
use crate::caller::Caller;
use crate::notify::{ChangeOf, fan_out};

const RULES: VolumeRules = VolumeRules::CONSTRAINT;

fn agreement_zone(id: EntityId) -> DssError {
    DssError::Forbidden(format!(
        "constraint {id} is the area of a ceasefire agreement, a protected site or a \
         separation claim: it changes only through that resource of the native API"
    ))
}

fn is_zone(e: &Entity) -> bool {
    matches!(e.kind, EntityKind::Zone(_))
}

impl<S: Store> Service<S> {
    /// Creates (`ovn: None`) or updates a constraint reference (F3548 `PUT
    /// /dss/v1/constraint_references/{entityid}[/{ovn}]`). Missing altitudes mean every
    /// altitude.
    ///
    /// # Errors
    /// See [`DssError`].
    pub fn dss_put_constraint(
        &self,
        caller: &Caller,
        id: EntityId,
        ovn: Option<Ovn>,
        extents_: &[DssVolume],
        uss_base_url: &str,
        requested_ovn_suffix: Option<&str>,
    ) -> Result<Changed<ConstraintRefView>, DssError> {
        require_any(caller, &CONSTRAINT_WRITE_SCOPES)?;
        check_v4("entity id", id.0)?;
        check_base_url("uss_base_url", uss_base_url, &self.config.dss)?;
        let volumes: Arc<[Volume4d]> = extents(extents_, RULES, &self.config.limits)?.into();
        let now = self.clock.now();
        let (_, end) = time_bounds(&volumes);
        if end < now {
            return Err(DssError::BadRequest(format!(
                "End time may not be in the past: the extents end at {end}, now is {now}"
            )));
        }
        let random_ovn = self.ovns.next();
        requested_ovn(id, requested_ovn_suffix, now, None)?;
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.entity(&id)?;
            let new_ovn = requested_ovn(
                id,
                requested_ovn_suffix,
                now,
                current.as_ref().map(|c| &c.ovn),
            )?
            .unwrap_or_else(|| random_ovn.clone());
            if let Some(c) = &current
                && (crate::ceasefires::is_agreement_zone(&*tx, c)?
                    || crate::protected::managing_resource(&*tx, c)?.is_some())
            {
                return Err(agreement_zone(id));
            }
            match (&current, &ovn) {
                (Some(c), _) if c.owner != caller.party => {
                    return Err(DssError::Forbidden(format!(
                        "Constraint {id} is owned by {}, not {}",
                        c.owner, caller.party
                    )));
                }
                (Some(_), None) => {
                    return Err(DssError::Conflict(format!(
                        "Constraint {id} already exists"
                    )));
                }
                (None, Some(o)) => {
                    return Err(DssError::Conflict(format!(
                        "Old version {o} of Constraint {id} does not exist"
                    )));
                }
                (Some(c), Some(o)) if &c.ovn != o => {
                    return Err(DssError::Conflict(format!(
                        "Current version of Constraint {id} is not {o}"
                    )));
                }
                (Some(c), Some(_)) if !is_zone(c) => {
                    return Err(DssError::BadRequest(format!(
                        "{id} is an operational intent, not a constraint"
                    )));
                }
                _ => {}
            }
            let kind = current
                .as_ref()
                .map_or(EntityKind::Zone(ZoneKind::Restricted), |c| c.kind);
            let write = WriteRequest {
                id,
                owner: caller.party.clone(),
                kind,
                volumes: volumes.clone(),
                expected_ovn: ovn.clone(),
                key: Key::new(),
            };
            let mut entity = apply_write(current.as_ref(), write, new_ovn.clone());
            entity.dss = Some(DssAttributes {
                uss_base_url: uss_base_url.to_owned(),
                subscription: None,
            });
            tx.put_entity(entity.clone())?;
            let mut touched: Vec<Volume4d> = entity.volumes.to_vec();
            if let Some(old) = &current {
                touched.extend(old.volumes.iter().cloned());
            }
            let intersecting = tx.entities_intersecting(&entity.volumes)?;
            let notified = fan_out(
                tx,
                &ChangeOf {
                    entity: id,
                    owner: &entity.owner,
                    kind: entity.kind,
                    change: if current.is_some() {
                        Change::Updated
                    } else {
                        Change::Created
                    },
                    ovn: Some(entity.ovn.clone()),
                    volumes: touched,
                    conflicting: &intersecting,
                    include_writer: true,
                },
                now,
                self.config.ack_deadline,
            )?;
            let reference = Viewer::new(&caller.party, &self.config.dss)
                .constraint(&*tx, &entity)?
                .ok_or_else(|| DssError::BadRequest("not a constraint".into()))?;
            Ok(Changed {
                reference,
                subscribers: subscribers(&notified),
                created: current.is_none(),
            })
        })
    }

    /// Deletes one of the caller's constraint references.
    ///
    /// # Errors
    /// See [`DssError`].
    pub fn dss_delete_constraint(
        &self,
        caller: &Caller,
        id: EntityId,
        ovn: Ovn,
    ) -> Result<Changed<ConstraintRefView>, DssError> {
        require_any(caller, &CONSTRAINT_WRITE_SCOPES)?;
        check_v4("entity id", id.0)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(old) = tx.entity(&id)?.filter(is_zone) else {
                return Err(DssError::NotFound(format!("Constraint {id} not found")));
            };
            if crate::ceasefires::is_agreement_zone(&*tx, &old)?
                || crate::protected::managing_resource(&*tx, &old)?.is_some()
            {
                return Err(agreement_zone(id));
            }
            if old.owner != caller.party {
                return Err(DssError::Forbidden(format!(
                    "Constraint {id} is owned by {}, not {}",
                    old.owner, caller.party
                )));
            }
            if old.ovn != ovn {
                return Err(DssError::Conflict(format!(
                    "Current version of Constraint {id} is not {ovn}"
                )));
            }
            let reference = Viewer::new(&caller.party, &self.config.dss)
                .constraint(&*tx, &old)?
                .ok_or_else(|| DssError::NotFound(format!("Constraint {id} not found")))?;
            tx.delete_entity(&id)?;
            let notified = fan_out(
                tx,
                &ChangeOf {
                    entity: id,
                    owner: &old.owner,
                    kind: old.kind,
                    change: Change::Deleted,
                    ovn: None,
                    volumes: old.volumes.to_vec(),
                    conflicting: &[],
                    include_writer: true,
                },
                now,
                self.config.ack_deadline,
            )?;
            Ok(Changed {
                reference,
                subscribers: subscribers(&notified),
                created: false,
            })
        })
    }

    /// One constraint reference.
    ///
    /// # Errors
    /// [`DssError::NotFound`], [`DssError::MissingScope`], [`DssError::BadRequest`].
    pub fn dss_get_constraint(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<ConstraintRefView, DssError> {
        require_any(caller, &CONSTRAINT_READ_SCOPES)?;
        check_v4("entity id", id.0)?;
        let found = self.store.read(&mut |v| {
            let Some(e) = v.entity(&id)? else {
                return Ok(None);
            };
            if !crate::DisclosurePolicy::may_locate(&caller.party, &e) {
                return Ok(None);
            }
            Viewer::new(&caller.party, &self.config.dss).constraint(v, &e)
        })?;
        found.ok_or_else(|| DssError::NotFound(format!("Constraint {id} not found")))
    }

    /// The constraint references intersecting an area of interest.
    ///
    /// # Errors
    /// [`DssError::BadRequest`], [`DssError::AreaTooLarge`], [`DssError::MissingScope`].
    pub fn dss_query_constraints(
        &self,
        caller: &Caller,
        area: Option<&DssVolume>,
    ) -> Result<Vec<ConstraintRefView>, DssError> {
        require_any(caller, &CONSTRAINT_READ_SCOPES)?;
        let volume = query_volume(area, &self.config.limits)?;
        Ok(self.store.read(&mut |v| {
            let found = v.entities_intersecting(std::slice::from_ref(&volume))?;
            Viewer::new(&caller.party, &self.config.dss).constraints(v, &found)
        })?)
    }
}
