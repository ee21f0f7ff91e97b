//! DSS subscriptions: create, update with version, delete with version, get, query. The
//! subscriptions of the native API, seen and changed through the DSS's rules.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deconflict_core::{Subscription, SubscriptionId, Volume4d};
use deconflict_store::{Store, StoreError, View};

use super::oir::query_volume;
use super::{
    ConstraintRefView, DssError, DssVolume, OirView, SUBSCRIPTION_SCOPES, Viewer, VolumeRules,
    check_base_url, check_v4, covers_space, dependents, require_any, time_bounds,
};
use crate::Service;
use crate::caller::Caller;

/// A request to create (`version: None`) or update a subscription.
#[derive(Debug, Clone)]
pub struct PutDssSubscription {
    /// Its id (a version-4 UUID chosen by the USS).
    pub id: SubscriptionId,
    /// The version last read, to update.
    pub version: Option<String>,
    /// Where and when; a missing start is now (or, on update, the old start), a missing end
    /// 24 h after the start (or the old end).
    pub extents: DssVolume,
    /// Where other USSs notify the owner.
    pub uss_base_url: String,
    /// Hear of operational intents.
    pub notify_for_operational_intents: bool,
    /// Hear of constraints.
    pub notify_for_constraints: bool,
}

/// A subscription as its owner sees it through the DSS API.
#[derive(Debug, Clone, PartialEq)]
pub struct DssSubscriptionView {
    /// Its id.
    pub id: SubscriptionId,
    /// Its version (changes on every write).
    pub version: String,
    /// Notifications so far.
    pub notification_index: u64,
    /// Start of its window.
    pub time_start: DateTime<Utc>,
    /// End of its window.
    pub time_end: DateTime<Utc>,
    /// Where other USSs notify the owner (empty for a native subscription, which has none).
    pub uss_base_url: String,
    /// Hears of operational intents.
    pub notify_for_operational_intents: bool,
    /// Hears of constraints.
    pub notify_for_constraints: bool,
    /// Created by the DSS for an operational intent.
    pub implicit_subscription: bool,
    /// The operational intents it serves.
    pub dependent_operational_intents: Vec<deconflict_core::EntityId>,
}

/// A subscription written, with what is in its area now.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionPut {
    /// The subscription.
    pub subscription: DssSubscriptionView,
    /// Operational intents in its area (when it hears of them).
    pub operational_intent_references: Vec<OirView>,
    /// Constraints in its area (when it hears of them).
    pub constraint_references: Vec<ConstraintRefView>,
}

fn view_of(view: &dyn View, s: &Subscription) -> Result<DssSubscriptionView, StoreError> {
    let (time_start, time_end) = time_bounds(&s.volumes);
    Ok(DssSubscriptionView {
        id: s.id,
        version: s.version.to_string(),
        notification_index: s.notification_index,
        time_start,
        time_end,
        uss_base_url: s.uss_base_url.clone().unwrap_or_default(),
        notify_for_operational_intents: s.notify_operations,
        notify_for_constraints: s.notify_zones,
        implicit_subscription: s.implicit,
        dependent_operational_intents: dependents(view, s, None)?,
    })
}

fn not_owner(id: SubscriptionId) -> DssError {
    DssError::Forbidden(format!("Subscription {id} is owned by a different client"))
}

impl<S: Store> Service<S> {
    /// Creates or updates one of the caller's subscriptions (F3548 `PUT
    /// /dss/v1/subscriptions/{id}[/{version}]`).
    ///
    /// # Errors
    /// See [`DssError`].
    pub fn dss_put_subscription(
        &self,
        caller: &Caller,
        req: PutDssSubscription,
    ) -> Result<SubscriptionPut, DssError> {
        require_any(caller, &SUBSCRIPTION_SCOPES)?;
        let cfg = &self.config.dss;
        check_v4("subscription id", req.id.0)?;
        check_base_url("uss_base_url", &req.uss_base_url, cfg)?;
        if !req.notify_for_operational_intents && !req.notify_for_constraints {
            return Err(DssError::BadRequest(
                "No notification triggers requested for Subscription: set \
                 notify_for_operational_intents or notify_for_constraints"
                    .into(),
            ));
        }
        let now = self.clock.now();
        if let Some(start) = req.extents.time_start
            && start < now - cfg.subscription_start_tolerance
        {
            return Err(DssError::BadRequest(format!(
                "Subscription time_start must not be in the past: {start} is more than {} s \
                 before now ({now})",
                cfg.subscription_start_tolerance.num_seconds()
            )));
        }
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.subscription(&req.id)?;
            let (old_window, notification_index, version) = match (&current, &req.version) {
                (Some(_), None) => {
                    return Err(DssError::Conflict(format!(
                        "Subscription {} already exists",
                        req.id
                    )));
                }
                (None, Some(_)) => {
                    return Err(DssError::BadRequest(format!(
                        "Subscription {} does not exist",
                        req.id
                    )));
                }
                (Some(c), Some(v)) if &c.version.to_string() != v => {
                    return Err(DssError::Conflict(format!(
                        "Subscription {} is at version {}, not {v}",
                        req.id, c.version
                    )));
                }
                (Some(c), Some(_)) if c.owner != caller.party => return Err(not_owner(req.id)),
                (Some(c), Some(_)) => (
                    Some(time_bounds(&c.volumes)),
                    c.notification_index,
                    c.version + 1,
                ),
                (None, None) => (None, 0, 1),
            };
            let mut extents = req.extents.clone();
            let start = extents
                .time_start
                .or(old_window.map(|w| w.0))
                .unwrap_or(now);
            let end = extents
                .time_end
                .or(old_window.map(|w| w.1))
                .unwrap_or(start + cfg.max_subscription_window);
            if end < start {
                return Err(DssError::BadRequest(format!(
                    "extents: time_end {end} is before time_start {start}"
                )));
            }
            if end - start > cfg.max_subscription_window {
                return Err(DssError::BadRequest(format!(
                    "Subscription window exceeds {} hours",
                    cfg.max_subscription_window.num_hours()
                )));
            }
            extents.time_start = Some(start);
            extents.time_end = Some(end);
            let volume = extents.to_volume(
                "extents",
                VolumeRules {
                    altitudes_required: false,
                    times_required: true,
                },
                &self.config.limits,
            )?;
            let volumes: Arc<[Volume4d]> = Arc::from(vec![volume]);
            if let Some(c) = &current {
                for dep in dependents(&*tx, c, None)? {
                    let Some(e) = tx.entity(&dep)? else { continue };
                    let (dep_start, dep_end) = time_bounds(&e.volumes);
                    let spatial = e.volumes.iter().all(|v| covers_space(&volumes, v, true));
                    // From the intent's start (or now, when it started before: the past is
                    // not covered anyway), with the clock-skew tolerance of a start: the
                    // standard's "must cover at least the area over which this operational
                    // intent is conducted"; the reference refuses a start more than 5 minutes
                    // after the intent's.
                    let late = start > dep_start.max(now) + cfg.subscription_start_tolerance;
                    if !spatial || late || dep_end > end {
                        return Err(DssError::BadRequest(format!(
                            "Subscription does not cover dependent operational intent {dep}"
                        )));
                    }
                }
            }
            let crowd = tx
                .subscriptions_intersecting(&volumes)?
                .into_iter()
                .filter(|s| s.owner == caller.party && !s.implicit && s.id != req.id)
                .count();
            if crowd >= cfg.max_subscriptions_per_area {
                return Err(DssError::TooMany(format!(
                    "USS {} already has {crowd} subscriptions in this area, the most allowed \
                     is {}: query /dss/v1/subscriptions/query to find them, and reuse or \
                     delete some",
                    caller.party, cfg.max_subscriptions_per_area
                )));
            }
            let sub = Subscription {
                id: req.id,
                owner: caller.party.clone(),
                volumes: volumes.clone(),
                callback_url: current.as_ref().and_then(|c| c.callback_url.clone()),
                notify_operations: req.notify_for_operational_intents,
                notify_zones: req.notify_for_constraints,
                notification_index,
                version,
                uss_base_url: Some(req.uss_base_url.clone()),
                // Written by its manager through this endpoint, a subscription is explicit
                // from now on (as the reference): deleting its operational intents leaves it.
                implicit: false,
            };
            tx.put_subscription(sub.clone())?;
            let in_area = tx.entities_intersecting(&volumes)?;
            let mut viewer = Viewer::new(&caller.party, &self.config.dss);
            let operational_intent_references = if sub.notify_operations {
                viewer.oirs(&*tx, &in_area)?
            } else {
                Vec::new()
            };
            let constraint_references = if sub.notify_zones {
                viewer.constraints(&*tx, &in_area)?
            } else {
                Vec::new()
            };
            Ok(SubscriptionPut {
                subscription: view_of(&*tx, &sub)?,
                operational_intent_references,
                constraint_references,
            })
        })
    }

    /// One of the caller's subscriptions.
    ///
    /// # Errors
    /// [`DssError::NotFound`], [`DssError::Forbidden`] (another USS's), [`DssError::BadRequest`].
    pub fn dss_get_subscription(
        &self,
        caller: &Caller,
        id: SubscriptionId,
    ) -> Result<DssSubscriptionView, DssError> {
        require_any(caller, &SUBSCRIPTION_SCOPES)?;
        check_v4("subscription id", id.0)?;
        let found = self.store.read(&mut |v| match v.subscription(&id)? {
            Some(s) if s.owner == caller.party => Ok(Some(Ok(view_of(v, &s)?))),
            Some(_) => Ok(Some(Err(not_owner(id)))),
            None => Ok(None),
        })?;
        found.ok_or_else(|| DssError::NotFound(format!("Subscription {id} not found")))?
    }

    /// The caller's subscriptions intersecting an area of interest that have not ended.
    ///
    /// # Errors
    /// [`DssError::BadRequest`], [`DssError::AreaTooLarge`], [`DssError::MissingScope`].
    pub fn dss_query_subscriptions(
        &self,
        caller: &Caller,
        area: Option<&DssVolume>,
    ) -> Result<Vec<DssSubscriptionView>, DssError> {
        require_any(caller, &SUBSCRIPTION_SCOPES)?;
        let volume = query_volume(area, &self.config.limits)?;
        let now = self.clock.now();
        Ok(self.store.read(&mut |v| {
            v.subscriptions_intersecting(std::slice::from_ref(&volume))?
                .iter()
                .filter(|s| s.owner == caller.party && time_bounds(&s.volumes).1 >= now)
                .map(|s| view_of(v, s))
                .collect()
        })?)
    }

    /// Deletes one of the caller's subscriptions, compare-and-swap on its version; refused while
    /// an operational intent depends on it.
    ///
    /// # Errors
    /// See [`DssError`].
    pub fn dss_delete_subscription(
        &self,
        caller: &Caller,
        id: SubscriptionId,
        version: &str,
    ) -> Result<DssSubscriptionView, DssError> {
        require_any(caller, &SUBSCRIPTION_SCOPES)?;
        check_v4("subscription id", id.0)?;
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(s) = tx.subscription(&id)? else {
                return Err(DssError::NotFound(format!("Subscription {id} not found")));
            };
            if s.owner != caller.party {
                return Err(not_owner(id));
            }
            if s.version.to_string() != version {
                return Err(DssError::Conflict(format!(
                    "Subscription {id} is at version {}, not {version}",
                    s.version
                )));
            }
            let view = view_of(&*tx, &s)?;
            if !view.dependent_operational_intents.is_empty() {
                return Err(DssError::BadRequest(format!(
                    "Subscriptions with dependent operational intents may not be removed: {id} \
                     serves {}",
                    view.dependent_operational_intents
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            tx.delete_subscription(&id)?;
            Ok(view)
        })
    }
}
