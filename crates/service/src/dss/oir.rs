//! Operational intent references: create, update, delete, get, query.

use std::sync::Arc;

use deconflict_core::rules::{apply_write, check_key};
use deconflict_core::{
    Change, DssAttributes, Entity, EntityId, EntityKind, Key, KeyPolicy, OperationState, Ovn,
    Subscription, SubscriptionId, Volume4d, WriteRequest,
};
use deconflict_store::{Store, StoreError, Tx, View};

use super::availability::{self, Availability};
use super::key_scope::key_pool;
use super::{
    Changed, DssError, DssVolume, NULL_SUBSCRIPTION, OIR_SCOPES, OirView,
    SCOPE_CONFORMANCE_MONITORING, Viewer, VolumeRules, check_base_url, check_v4, covers,
    dependents, extents, new_subscription_id, requested_ovn, require_any, subscribers, time_bounds,
};
use crate::Service;
use crate::caller::Caller;
use crate::notify::{ChangeOf, fan_out};

/// `new_subscription`: the implicit subscription to create for an operational intent.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitSubscription {
    /// Where other USSs notify its manager.
    pub uss_base_url: String,
    /// Whether it wants constraint notifications (and so the key must name constraints).
    pub notify_for_constraints: bool,
}

/// A request to create (`ovn: None`) or update an operational intent reference.
#[derive(Debug, Clone)]
pub struct PutOperationalIntent {
    /// Its id (a version-4 UUID chosen by the USS).
    pub id: EntityId,
    /// The current OVN, to update; `None` to create.
    pub ovn: Option<Ovn>,
    /// Where and when.
    pub extents: Vec<DssVolume>,
    /// The OVNs the USS has seen.
    pub key: Vec<Ovn>,
    /// Its state.
    pub state: OperationState,
    /// Where its details are.
    pub uss_base_url: String,
    /// An existing subscription to serve it.
    pub subscription_id: Option<SubscriptionId>,
    /// Or an implicit subscription to create.
    pub new_subscription: Option<ImplicitSubscription>,
    /// The OVN suffix the USS requests (`{id}_{suffix}`), if any.
    pub requested_ovn_suffix: Option<String>,
}

const OIR_RULES: VolumeRules = VolumeRules::OPERATIONAL_INTENT;

fn is_operation(e: &Entity) -> bool {
    matches!(e.kind, EntityKind::Operation { .. })
}

/// The subscription the written operational intent will have, after creating, checking or
/// widening it inside `tx`; `None` for none.
fn attach_subscription(
    tx: &mut dyn Tx,
    caller: &Caller,
    req: &PutOperationalIntent,
    volumes: &Arc<[Volume4d]>,
    previous: Option<SubscriptionId>,
) -> Result<Option<Subscription>, DssError> {
    if let Some(new) = &req.new_subscription {
        let sub = Subscription {
            id: new_subscription_id(),
            owner: caller.party.clone(),
            volumes: volumes.clone(),
            callback_url: None,
            notify_operations: true,
            notify_zones: new.notify_for_constraints,
            notification_index: 0,
            version: 1,
            uss_base_url: Some(new.uss_base_url.clone()),
            implicit: true,
        };
        tx.put_subscription(sub.clone())?;
        return Ok(Some(sub));
    }
    let Some(id) = req.subscription_id else {
        return Ok(None);
    };
    let Some(mut sub) = tx.subscription(&id)? else {
        return Err(DssError::BadRequest(format!(
            "Specified Subscription {id} does not exist"
        )));
    };
    if sub.owner != caller.party {
        return Err(DssError::Forbidden(format!(
            "Specified Subscription {id} is owned by a different client"
        )));
    }
    if !sub.notify_operations && Some(id) != previous {
        return Err(DssError::BadRequest(format!(
            "Specified Subscription {id} does not notify for operational intents"
        )));
    }
    if !covers(&sub.volumes, volumes, false) {
        if !sub.implicit {
            return Err(DssError::BadRequest(format!(
                "Specified Subscription {id} does not cover the extents of the operational \
                 intent (in space or time)"
            )));
        }
        // An implicit subscription grows with its operational intent (as the reference DSS).
        let mut grown: Vec<Volume4d> = sub.volumes.to_vec();
        grown.extend(
            volumes
                .iter()
                .filter(|v| !covers(&sub.volumes, std::slice::from_ref(v), false))
                .cloned(),
        );
        sub.volumes = grown.into();
        sub.version += 1;
        tx.put_subscription(sub.clone())?;
    }
    Ok(Some(sub))
}

/// Deletes `old` if it is an implicit subscription no operational intent but `except` depends on.
fn drop_orphaned_implicit(
    tx: &mut dyn Tx,
    old: Option<SubscriptionId>,
    keep: Option<SubscriptionId>,
    except: EntityId,
) -> Result<(), StoreError> {
    let Some(old) = old.filter(|o| Some(*o) != keep) else {
        return Ok(());
    };
    if let Some(sub) = tx.subscription(&old)?
        && sub.implicit
        && dependents(&*tx, &sub, Some(except))?.is_empty()
    {
        tx.delete_subscription(&old)?;
    }
    Ok(())
}

/// Refuses writes of a USS marked Down (412, as the standard says).
fn refuse_if_down(view: &dyn View, caller: &Caller, doing: &str) -> Result<(), DssError> {
    if availability::read(view, caller.party.as_str())?.availability == Availability::Down {
        return Err(DssError::UssDown(format!(
            "USS {} is marked Down in the DSS and may not {doing}",
            caller.party
        )));
    }
    Ok(())
}

impl<S: Store> Service<S> {
    /// Creates or updates an operational intent reference (F3548 `PUT
    /// /dss/v1/operational_intent_references/{entityid}[/{ovn}]`).
    ///
    /// # Errors
    /// See [`DssError`]; `docs/f3548.md` lists which rule gives which.
    pub fn dss_put_operational_intent(
        &self,
        caller: &Caller,
        mut req: PutOperationalIntent,
    ) -> Result<Changed<OirView>, DssError> {
        require_any(caller, &OIR_SCOPES)?;
        let cfg = &self.config.dss;
        check_v4("entity id", req.id.0)?;
        check_base_url("uss_base_url", &req.uss_base_url, cfg)?;
        if req
            .subscription_id
            .is_some_and(|s| s.0 == NULL_SUBSCRIPTION)
        {
            req.subscription_id = None;
        }
        if let Some(s) = req.subscription_id {
            check_v4("subscription_id", s.0)?;
        }
        if let Some(new) = &req.new_subscription {
            if req.subscription_id.is_some() {
                return Err(DssError::BadRequest(
                    "Cannot provide both a Subscription ID and request an implicit subscription"
                        .into(),
                ));
            }
            check_base_url("new_subscription.uss_base_url", &new.uss_base_url, cfg)?;
        }
        if req.ovn.is_none() && req.state != OperationState::Accepted {
            return Err(DssError::BadRequest(format!(
                "Invalid state for initial version: {:?} (an operational intent is created \
                 Accepted)",
                req.state
            )));
        }
        if req.state != OperationState::Accepted
            && req.subscription_id.is_none()
            && req.new_subscription.is_none()
        {
            return Err(DssError::BadRequest(format!(
                "Provided Operational Intent Reference state {:?} requires either a \
                 subscription ID or information to create an implicit subscription",
                req.state
            )));
        }
        if !req.state.requires_key() && !caller.scopes.contains(SCOPE_CONFORMANCE_MONITORING) {
            return Err(DssError::MissingScope(format!(
                "{SCOPE_CONFORMANCE_MONITORING} (to declare an operational intent {:?})",
                req.state
            )));
        }
        let volumes: Arc<[Volume4d]> =
            extents(&req.extents, OIR_RULES, &self.config.limits)?.into();
        let now = self.clock.now();
        let (_, end) = time_bounds(&volumes);
        if end < now {
            return Err(DssError::BadRequest(format!(
                "End time may not be in the past: the extents end at {end}, now is {now}"
            )));
        }
        let key: Key = req.key.iter().cloned().collect();
        self.check_probing(caller, &volumes).map_err(|e| match e {
            crate::ServiceError::TooManyChecks { detail, .. } => DssError::TooMany(detail),
            crate::ServiceError::Store(s) => DssError::Store(s),
            other => DssError::BadRequest(other.to_string()),
        })?;
        let random_ovn = self.ovns.next();
        requested_ovn(req.id, req.requested_ovn_suffix.as_deref(), now, None)?;
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.entity(&req.id)?;
            let new_ovn = requested_ovn(
                req.id,
                req.requested_ovn_suffix.as_deref(),
                now,
                current.as_ref().map(|c| &c.ovn),
            )?
            .unwrap_or_else(|| random_ovn.clone());
            if let Some(c) = &current {
                if c.owner != caller.party {
                    return Err(DssError::Forbidden(format!(
                        "OperationalIntent {} is owned by {}, not {}",
                        req.id, c.owner, caller.party
                    )));
                }
                match &req.ovn {
                    None => {
                        return Err(DssError::Conflict(format!(
                            "OperationalIntent {} already exists",
                            req.id
                        )));
                    }
                    Some(o) if o != &c.ovn => {
                        return Err(DssError::Conflict(format!(
                            "Current version of OperationalIntent {} is not {o}",
                            req.id
                        )));
                    }
                    Some(_) => {}
                }
                if !is_operation(c) {
                    return Err(DssError::BadRequest(format!(
                        "{} is a constraint, not an operational intent",
                        req.id
                    )));
                }
            } else if req.ovn.is_some() {
                return Err(DssError::BadRequest(format!(
                    "OperationalIntent {} does not exist",
                    req.id
                )));
            }
            if req.state.requires_key() {
                refuse_if_down(&*tx, caller, "plan or activate an operational intent")?;
            }
            let previous = current
                .as_ref()
                .and_then(|c| c.dss.as_ref())
                .and_then(|d| d.subscription);
            let sub = attach_subscription(tx, caller, &req, &volumes, previous)?;
            let policy = KeyPolicy::f3548(sub.as_ref().is_some_and(|s| s.notify_zones));
            let intersecting = tx.entities_intersecting(&volumes)?;
            // Protected sites whose notifiers refuse operations there refuse a USS's too; one
            // notified conflict-only is described without its geometry.
            let hidden = crate::entities::withheld(&*tx, &caller.party, &intersecting)?;
            crate::entities::refuse_protected(
                &*tx,
                &self.config.disclosure,
                &caller.party,
                &volumes,
                &intersecting,
                &hidden,
            )
            .map_err(|e| match e {
                crate::ServiceError::ProtectedSiteConflict(sites) => DssError::Conflict(format!(
                    "Protected site conflict: {}",
                    sites
                        .iter()
                        .map(|c| format!(
                            "a protected site of category {}, notified by {} (reference {}), \
                             whose notifier refuses operations there",
                            match &c.with.detail {
                                crate::Detail::Withheld { category } => category.as_str(),
                                _ => "protected",
                            },
                            c.with.owner,
                            c.with.id
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                crate::ServiceError::Store(s) => DssError::Store(s),
                other => DssError::BadRequest(other.to_string()),
            })?;
            let mut viewer = Viewer::new(&caller.party, &self.config.dss);
            // Accepted operational intents of a USS marked Down need not be named (as the
            // reference DSS): their manager cannot be asked for details. Only those filed
            // through the DSS API: deconflict itself is the managing USS of natively filed
            // operations and is never down, so an arbiter's mark never lifts a native party's
            // protection (docs/f3548.md, "USS availability").
            let (key_volumes, pool) = key_pool(&*tx, cfg.key_scope, &volumes, &intersecting)?;
            let mut relevant = Vec::with_capacity(pool.len());
            for e in &pool {
                let down_accepted = e.dss.is_some()
                    && matches!(
                        e.kind,
                        EntityKind::Operation {
                            state: OperationState::Accepted,
                            ..
                        }
                    )
                    && viewer.availability_of(&*tx, &e.owner)? == Availability::Down;
                if !down_accepted {
                    relevant.push(e);
                }
            }
            let kind = EntityKind::Operation {
                state: req.state,
                priority: match current.as_ref().map(|c| c.kind) {
                    Some(EntityKind::Operation { priority, .. }) => priority,
                    _ => 0,
                },
            };
            if let Err(report) = check_key(req.id, &kind, &key_volumes, &key, relevant, policy) {
                let missing: Vec<&Entity> = report
                    .missing
                    .iter()
                    .filter_map(|c| pool.iter().find(|e| e.id == c.with.id))
                    .collect();
                let mut ops = Vec::new();
                let mut zones = Vec::new();
                for e in missing {
                    ops.extend(viewer.oir(&*tx, e)?);
                    zones.extend(viewer.constraint(&*tx, e)?);
                }
                return Err(DssError::AirspaceConflict {
                    missing_operational_intents: ops,
                    missing_constraints: zones,
                });
            }
            let write = WriteRequest {
                id: req.id,
                owner: caller.party.clone(),
                kind,
                volumes: volumes.clone(),
                expected_ovn: req.ovn.clone(),
                key: key.clone(),
            };
            let mut entity = apply_write(current.as_ref(), write, new_ovn.clone());
            // The ceasefire rule binds a USS like any party; the DSS API has no way to declare
            // an exemption (the native API has).
            crate::ceasefires::check_operation(
                tx,
                &entity,
                &intersecting,
                None,
                now,
                self.config.ack_deadline,
            )
            .map_err(|e| match e {
                crate::ServiceError::CeasefireConflict { detail, .. } => {
                    DssError::Conflict(format!("Ceasefire conflict: {detail}"))
                }
                crate::ServiceError::Store(s) => DssError::Store(s),
                other => DssError::BadRequest(other.to_string()),
            })?;
            let sub_id = sub.as_ref().map(|s| s.id);
            entity.dss = Some(DssAttributes {
                uss_base_url: req.uss_base_url.clone(),
                subscription: sub_id,
            });
            tx.put_entity(entity.clone())?;
            drop_orphaned_implicit(tx, previous, sub_id, req.id)?;
            let mut touched: Vec<Volume4d> = entity.volumes.to_vec();
            if let Some(old) = &current {
                touched.extend(old.volumes.iter().cloned());
            }
            let notified = fan_out(
                tx,
                &ChangeOf {
                    entity: entity.id,
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
            let reference = viewer
                .oir(&*tx, &entity)?
                .ok_or_else(|| DssError::BadRequest("not an operational intent".into()))?;
            Ok(Changed {
                reference,
                subscribers: subscribers(&notified),
                created: current.is_none(),
            })
        })
    }

    /// Deletes one of the caller's operational intent references (F3548 `DELETE
    /// /dss/v1/operational_intent_references/{entityid}/{ovn}`); its implicit subscription goes
    /// with it when nothing else depends on it.
    ///
    /// # Errors
    /// See [`DssError`].
    pub fn dss_delete_operational_intent(
        &self,
        caller: &Caller,
        id: EntityId,
        ovn: Ovn,
    ) -> Result<Changed<OirView>, DssError> {
        require_any(caller, &OIR_SCOPES)?;
        check_v4("entity id", id.0)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(old) = tx.entity(&id)?.filter(is_operation) else {
                return Err(DssError::NotFound(format!(
                    "OperationalIntent {id} not found"
                )));
            };
            if old.owner != caller.party {
                return Err(DssError::Forbidden(format!(
                    "OperationalIntent {id} is owned by {}, not {}",
                    old.owner, caller.party
                )));
            }
            if old.ovn != ovn {
                return Err(DssError::Conflict(format!(
                    "Current version of OperationalIntent {id} is not {ovn}"
                )));
            }
            refuse_if_down(&*tx, caller, "delete an operational intent")?;
            let mut viewer = Viewer::new(&caller.party, &self.config.dss);
            let reference = viewer
                .oir(&*tx, &old)?
                .ok_or_else(|| DssError::NotFound(format!("OperationalIntent {id} not found")))?;
            tx.delete_entity(&id)?;
            let previous = old.dss.as_ref().and_then(|d| d.subscription);
            drop_orphaned_implicit(tx, previous, None, id)?;
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

    /// One operational intent reference (F3548 `GET .../{entityid}`).
    ///
    /// # Errors
    /// [`DssError::NotFound`], [`DssError::MissingScope`], [`DssError::BadRequest`].
    pub fn dss_get_operational_intent(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<OirView, DssError> {
        require_any(caller, &OIR_SCOPES)?;
        check_v4("entity id", id.0)?;
        let found = self.store.read(&mut |v| {
            let Some(e) = v.entity(&id)? else {
                return Ok(None);
            };
            Viewer::new(&caller.party, &self.config.dss).oir(v, &e)
        })?;
        found.ok_or_else(|| DssError::NotFound(format!("OperationalIntent {id} not found")))
    }

    /// The operational intent references intersecting an area of interest (F3548 `POST
    /// .../query`); missing times and altitudes are unbounded.
    ///
    /// # Errors
    /// [`DssError::BadRequest`], [`DssError::AreaTooLarge`], [`DssError::MissingScope`].
    pub fn dss_query_operational_intents(
        &self,
        caller: &Caller,
        area: Option<&DssVolume>,
    ) -> Result<Vec<OirView>, DssError> {
        require_any(caller, &OIR_SCOPES)?;
        let volume = query_volume(area, &self.config.limits)?;
        Ok(self.store.read(&mut |v| {
            let found = v.entities_intersecting(std::slice::from_ref(&volume))?;
            Viewer::new(&caller.party, &self.config.dss).oirs(v, &found)
        })?)
    }
}

/// The volume of a query's `area_of_interest`.
pub(crate) fn query_volume(
    area: Option<&DssVolume>,
    limits: &deconflict_core::VolumeLimits,
) -> Result<Volume4d, DssError> {
    let area = area.ok_or_else(|| DssError::BadRequest("Missing area_of_interest".into()))?;
    area.to_volume("area_of_interest", VolumeRules::QUERY, limits)
}
