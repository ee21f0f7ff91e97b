//! The USS side of natively filed entities: deconflict is the managing USS of every operation
//! and zone filed through the native API, so it answers the F3548 USS API's detail requests
//! for them (`GET /uss/v1/operational_intents/{id}`, `GET /uss/v1/constraints/{id}`) and posts
//! their changes to F3548 subscribers (the [`Event::UssNotified`] notifications of
//! `notify::fan_out`, rendered here when they are posted). Either way a USS gets what the
//! disclosure policy gives its party: another party's operation as a coarse outer volume
//! ([`crate::DisclosurePolicy::outer_box`]) unless its owner discloses it in full.

use deconflict_core::{
    Entity, EntityId, EntityKind, Event, Notification, OperationState, PartyId, SubscriptionIndex,
    VolumeSpec, ZoneKind,
};
use deconflict_store::{Store, StoreError, View};

use super::{
    ConstraintRefView, DssConfig, DssError, OirView, SCOPE_CONSTRAINT_PROCESSING,
    SCOPE_STRATEGIC_COORDINATION, Viewer, check_v4, require_any,
};
use crate::caller::Caller;
use crate::{DisclosurePolicy, Service};

/// An operational intent with its details (F3548 `OperationalIntent`), as one USS may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OirDetails {
    /// The reference, its OVN shown (the managing USS gives it).
    pub reference: OirView,
    /// `volumes`: empty when `Contingent`.
    pub volumes: Vec<VolumeSpec>,
    /// `off_nominal_volumes`: the volumes again when `Nonconforming` or `Contingent` (a native
    /// operation declares no separate off-nominal volumes).
    pub off_nominal_volumes: Vec<VolumeSpec>,
    /// Its priority.
    pub priority: i32,
    /// Whether the volumes are coarse outer boxes rather than the declared volumes.
    pub coarse: bool,
}

/// A constraint with its details (F3548 `Constraint`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintDetails {
    /// The reference, its OVN shown.
    pub reference: ConstraintRefView,
    /// The zone's volumes (zones are disclosed in full).
    pub volumes: Vec<VolumeSpec>,
    /// The zone's kind.
    pub kind: ZoneKind,
}

/// A notification to post to a USS (F3548 `PutOperationalIntentDetailsParameters` or
/// `PutConstraintDetailsParameters`).
#[derive(Debug, Clone, PartialEq)]
pub enum UssNotification {
    /// An operational intent changed.
    OperationalIntent {
        /// Its id.
        id: EntityId,
        /// Its details now; `None` when it no longer exists.
        details: Option<OirDetails>,
        /// The subscriptions prompting it.
        subscriptions: Vec<SubscriptionIndex>,
    },
    /// A constraint changed.
    Constraint {
        /// Its id.
        id: EntityId,
        /// Its details now; `None` when it no longer exists.
        details: Option<ConstraintDetails>,
        /// The subscriptions prompting it.
        subscriptions: Vec<SubscriptionIndex>,
    },
}

/// One of [`Details`]'s views.
type DetailsOf<T> = fn(&mut Details<'_>, &dyn View, &Entity) -> Result<Option<T>, StoreError>;

/// Makes the details views of native entities for one viewer.
struct Details<'a> {
    viewer: Viewer<'a>,
    policy: &'a DisclosurePolicy,
}

impl<'a> Details<'a> {
    fn new(party: &'a PartyId, config: &'a DssConfig, policy: &'a DisclosurePolicy) -> Self {
        Self {
            viewer: Viewer::new(party, config),
            policy,
        }
    }

    /// The details of a natively filed operation (`None` for anything else).
    fn oir(&mut self, view: &dyn View, e: &Entity) -> Result<Option<OirDetails>, StoreError> {
        let EntityKind::Operation { state, priority } = e.kind else {
            return Ok(None);
        };
        if e.dss.is_some() {
            return Ok(None);
        }
        let Some(mut reference) = self.viewer.oir(view, e)? else {
            return Ok(None);
        };
        reference.ovn = Some(e.ovn.clone());
        let owner = view.party(&e.owner)?;
        let coarse = !self
            .policy
            .sees_in_full(self.viewer.caller, e, owner.as_ref());
        let volumes: Vec<VolumeSpec> = e
            .volumes
            .iter()
            .map(|v| {
                if coarse {
                    self.policy.outer_box(v)
                } else {
                    VolumeSpec::from(v)
                }
            })
            .collect();
        let (nominal, off_nominal) = match state {
            OperationState::Accepted | OperationState::Activated => (volumes, Vec::new()),
            OperationState::Nonconforming => (volumes.clone(), volumes),
            OperationState::Contingent => (Vec::new(), volumes),
        };
        Ok(Some(OirDetails {
            reference,
            volumes: nominal,
            off_nominal_volumes: off_nominal,
            priority,
            coarse,
        }))
    }

    /// The details of a natively filed zone the viewer may locate (`None` for anything else).
    fn constraint(
        &mut self,
        view: &dyn View,
        e: &Entity,
    ) -> Result<Option<ConstraintDetails>, StoreError> {
        let EntityKind::Zone(kind) = e.kind else {
            return Ok(None);
        };
        if e.dss.is_some() || !DisclosurePolicy::may_locate(self.viewer.caller, e) {
            return Ok(None);
        }
        let Some(mut reference) = self.viewer.constraint(view, e)? else {
            return Ok(None);
        };
        reference.ovn = Some(e.ovn.clone());
        Ok(Some(ConstraintDetails {
            reference,
            volumes: e.volumes.iter().map(VolumeSpec::from).collect(),
            kind,
        }))
    }
}

fn not_here(what: &str, id: EntityId) -> DssError {
    DssError::NotFound(format!(
        "{what} {id} is not managed here: deconflict answers for the entities filed through its \
         native API; ask the managing USS named in the DSS reference"
    ))
}

impl<S: Store> Service<S> {
    /// The details of a natively filed operation (F3548 `GET
    /// /uss/v1/operational_intents/{entityid}`), as the caller's party may see them.
    ///
    /// # Errors
    /// [`DssError::NotFound`] (also for an entity a USS manages), [`DssError::MissingScope`],
    /// [`DssError::BadRequest`].
    pub fn uss_get_operational_intent(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<OirDetails, DssError> {
        require_any(caller, &[SCOPE_STRATEGIC_COORDINATION])?;
        self.details_of(caller, id, "OperationalIntent", |d, v, e| d.oir(v, e))
    }

    /// The details of a natively filed zone (F3548 `GET /uss/v1/constraints/{entityid}`);
    /// another party's `conflict-only` site is not found.
    ///
    /// # Errors
    /// As [`Self::uss_get_operational_intent`].
    pub fn uss_get_constraint(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<ConstraintDetails, DssError> {
        require_any(caller, &[SCOPE_CONSTRAINT_PROCESSING])?;
        self.details_of(caller, id, "Constraint", |d, v, e| d.constraint(v, e))
    }

    /// The details `view` makes of entity `id` for the caller, if any.
    fn details_of<T>(
        &self,
        caller: &Caller,
        id: EntityId,
        what: &str,
        view: DetailsOf<T>,
    ) -> Result<T, DssError> {
        check_v4("entity id", id.0)?;
        let found = self.store.read(&mut |v| {
            let Some(e) = v.entity(&id)? else {
                return Ok(None);
            };
            let mut details =
                Details::new(&caller.party, &self.config.dss, &self.config.disclosure);
            view(&mut details, v, &e)
        })?;
        found.ok_or_else(|| not_here(what, id))
    }

    /// What to post for a [`Event::UssNotified`] notification: the entity as it is now (so a
    /// late or repeated delivery never posts a stale state), as its recipient may see it; `None`
    /// for any other notification.
    ///
    /// # Errors
    /// The store's.
    pub fn uss_notification(
        &self,
        n: &Notification,
    ) -> Result<Option<UssNotification>, StoreError> {
        let Event::UssNotified {
            entity,
            constraint,
            subscriptions,
        } = &n.event
        else {
            return Ok(None);
        };
        let (id, constraint) = (*entity, *constraint);
        let subscriptions = subscriptions.clone();
        self.store.read(&mut |v| {
            let current = v.entity(&id)?;
            let mut details = Details::new(&n.recipient, &self.config.dss, &self.config.disclosure);
            Ok(Some(if constraint {
                UssNotification::Constraint {
                    id,
                    details: match &current {
                        Some(e) => details.constraint(v, e)?,
                        None => None,
                    },
                    subscriptions: subscriptions.clone(),
                }
            } else {
                UssNotification::OperationalIntent {
                    id,
                    details: match &current {
                        Some(e) => details.oir(v, e)?,
                        None => None,
                    },
                    subscriptions: subscriptions.clone(),
                }
            }))
        })
    }
}
