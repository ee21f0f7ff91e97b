//! Operations and zones: file, change, withdraw, read, query, and list conflicts — each write
//! decided by the core's rules inside one store transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use deconflict_core::rules::{apply_write, check_delete, check_write};
use deconflict_core::{
    Change, Conflict, Entity, EntityId, EntityKind, Key, Ovn, Party, PartyId, Volume4d, VolumeSpec,
    WriteRefusal, WriteRequest, ZoneKind,
};
use deconflict_store::{Store, StoreError, View};

use crate::Service;
use crate::caller::{Caller, SCOPE_READ, SCOPE_WRITE};
use crate::disclosure::{ConflictView, DisclosurePolicy, EntityView};
use crate::error::ServiceError;
use crate::notify::{ChangeOf, Notified, fan_out};
use crate::protected::OnConflict;

/// A request to file (`expected_ovn: None`) or change an operation or zone.
#[derive(Debug, Clone)]
pub struct PutEntity {
    /// The entity's id (chosen by the caller, as F3548 ids are).
    pub id: EntityId,
    /// Operation (with state and priority) or zone.
    pub kind: EntityKind,
    /// Where and when.
    pub volumes: Vec<VolumeSpec>,
    /// The OVN last read, to change an existing entity; `None` to create.
    pub expected_ovn: Option<Ovn>,
    /// The OVNs of intersecting entities the caller has seen.
    pub key: Vec<Ovn>,
    /// An exemption declared to file an operation inside a ceasefire in force that binds the
    /// caller (see [`crate::ceasefires`]).
    pub exemption: Option<crate::ceasefires::Exemption>,
}

/// A write that succeeded.
#[derive(Debug, Clone)]
pub struct WriteOutcome {
    /// The entity as written (in full: the caller owns it).
    pub entity: EntityView,
    /// Its conflicts now (entities it intersects), as the caller may see them.
    pub conflicts: Vec<ConflictView>,
    /// Subscriptions told of the change.
    pub notified: Vec<Notified>,
}

/// A withdrawal that succeeded.
#[derive(Debug, Clone)]
pub struct DeleteOutcome {
    /// The entity as it was.
    pub entity: EntityView,
    /// Subscriptions told of the change.
    pub notified: Vec<Notified>,
}

/// Other parties' `conflict-only` sites among `entities`: their category and policy.
pub(crate) type Withheld = BTreeMap<EntityId, (String, OnConflict)>;

/// The categories and policies of the `conflict-only` sites among `entities` that `viewer` may
/// not locate.
pub(crate) fn withheld(
    view: &dyn View,
    viewer: &PartyId,
    entities: &[Entity],
) -> Result<Withheld, StoreError> {
    let mut out = BTreeMap::new();
    for e in entities {
        if !DisclosurePolicy::may_locate(viewer, e) {
            let found = crate::protected::withheld_category(view, e.id)?;
            out.insert(
                e.id,
                found.unwrap_or_else(|| (String::from("protected"), OnConflict::Refuse)),
            );
        }
    }
    Ok(out)
}

/// A conflict of the viewer's `own` volumes with `other`, as the viewer may see it.
pub(crate) fn conflict_view(
    disclosure: &DisclosurePolicy,
    viewer: &PartyId,
    c: &Conflict,
    other: &Entity,
    parties: &BTreeMap<PartyId, Party>,
    withheld: &Withheld,
    own: &[Volume4d],
) -> ConflictView {
    match withheld.get(&other.id) {
        Some((category, _)) => disclosure.withheld_conflict(c, other, category, own),
        None => disclosure.conflict(viewer, c, other, parties.get(&other.owner)),
    }
}

#[allow(clippy::too_many_arguments)]
fn refusal(
    r: WriteRefusal,
    disclosure: &DisclosurePolicy,
    caller: &PartyId,
    parties: &BTreeMap<PartyId, Party>,
    intersecting: &[Entity],
    withheld: &Withheld,
    own: &[Volume4d],
) -> ServiceError {
    match r {
        WriteRefusal::AlreadyExists(id) => ServiceError::AlreadyExists(format!("entity {id}")),
        WriteRefusal::NotFound(id) => ServiceError::NotFound(format!("entity {id}")),
        WriteRefusal::NotOwner { id } => {
            ServiceError::Forbidden(format!("entity {id} belongs to another party"))
        }
        WriteRefusal::OvnMismatch { id } => ServiceError::VersionMismatch {
            what: format!("entity {id}"),
        },
        WriteRefusal::KindChanged { id } => ServiceError::KindChanged(id),
        WriteRefusal::MissingOvns(report) => ServiceError::MissingOvns(
            report
                .missing
                .iter()
                .filter_map(|c| {
                    let other = intersecting.iter().find(|e| e.id == c.with.id)?;
                    Some(conflict_view(
                        disclosure, caller, c, other, parties, withheld, own,
                    ))
                })
                .collect(),
        ),
    }
}

/// Refuses writes through the entity use cases to the zone of a ceasefire agreement: it is
/// changed only by the agreement's life cycle.
fn managed_elsewhere(view: &dyn View, current: Option<&Entity>) -> Result<(), ServiceError> {
    if let Some(e) = current
        && crate::ceasefires::is_agreement_zone(view, e)?
    {
        return Err(ServiceError::Forbidden(format!(
            "zone {} is the area of a ceasefire agreement: it changes only through \
             /v1/ceasefires/{}",
            e.id, e.id
        )));
    }
    if let Some(e) = current
        && let Some(resource) = crate::protected::managing_resource(view, e)?
    {
        return Err(ServiceError::Forbidden(format!(
            "zone {} changes only through {resource}/{}",
            e.id, e.id
        )));
    }
    Ok(())
}

/// Refuses an operation of `caller` that meets protected sites or movements whose policy is
/// `refuse` (other parties' only), listing them as the caller may see them.
pub(crate) fn refuse_protected(
    view: &dyn View,
    disclosure: &DisclosurePolicy,
    caller: &PartyId,
    volumes: &[Volume4d],
    intersecting: &[Entity],
    hidden: &Withheld,
) -> Result<(), ServiceError> {
    let mut refused = Vec::new();
    for e in intersecting {
        if &e.owner == caller
            || !matches!(
                e.kind,
                EntityKind::Zone(ZoneKind::Protected | ZoneKind::Confidential)
            )
        {
            continue;
        }
        let policy = match hidden.get(&e.id) {
            Some((_, p)) => *p,
            None => match crate::protected::notice_of(view, e.id)? {
                Some(n) => n.on_conflict,
                None => continue,
            },
        };
        if policy != OnConflict::Refuse {
            continue;
        }
        if let Some(c) = Conflict::between(volumes, e) {
            let parties = owners(view, std::slice::from_ref(e))?;
            refused.push(conflict_view(
                disclosure, caller, &c, e, &parties, hidden, volumes,
            ));
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::ProtectedSiteConflict(refused))
    }
}

/// The owners' party records of `entities`, for disclosure grants.
fn owners(view: &dyn View, entities: &[Entity]) -> Result<BTreeMap<PartyId, Party>, StoreError> {
    let mut out = BTreeMap::new();
    for e in entities {
        if !out.contains_key(&e.owner)
            && let Some(p) = view.party(&e.owner)?
        {
            out.insert(e.owner.clone(), p);
        }
    }
    Ok(out)
}

impl<S: Store> Service<S> {
    fn conflict_views(
        &self,
        viewer: &PartyId,
        volumes: &[Volume4d],
        exclude: EntityId,
        intersecting: &[Entity],
        parties: &BTreeMap<PartyId, Party>,
        withheld: &Withheld,
    ) -> Vec<ConflictView> {
        intersecting
            .iter()
            .filter(|e| e.id != exclude)
            .filter_map(|e| {
                let c = Conflict::between(volumes, e)?;
                Some(conflict_view(
                    &self.config.disclosure,
                    viewer,
                    &c,
                    e,
                    parties,
                    withheld,
                    volumes,
                ))
            })
            .collect()
    }

    /// Files or changes an operation or zone of the caller's.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field; [`ServiceError::MissingScope`];
    /// [`ServiceError::AlreadyExists`], [`ServiceError::NotFound`], [`ServiceError::Forbidden`]
    /// (another party's entity), [`ServiceError::VersionMismatch`], [`ServiceError::KindChanged`],
    /// or [`ServiceError::MissingOvns`] listing, as the caller may see them, the intersecting
    /// entities whose current OVN the key lacks.
    pub fn put_entity(
        &self,
        caller: &Caller,
        req: PutEntity,
    ) -> Result<WriteOutcome, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        if req.kind == EntityKind::Zone(ZoneKind::Confidential) {
            return Err(ServiceError::Forbidden(
                "a zone of kind confidential is a protected site notified conflict-only: file it \
                 through /v1/protected-sites with \"disclosure\": \"conflict-only\""
                    .into(),
            ));
        }
        if let Some(ex) = &req.exemption {
            crate::ceasefires::check_exemption(ex)?;
        }
        let volumes: Arc<[Volume4d]> =
            VolumeSpec::to_volumes(&req.volumes, &self.config.limits)?.into();
        let key: Key = req.key.iter().cloned().collect();
        if matches!(req.kind, EntityKind::Operation { .. }) {
            self.check_probing(caller, &volumes)?;
        }
        let new_ovn = self.ovns.next();
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.entity(&req.id)?;
            managed_elsewhere(&*tx, current.as_ref())?;
            let intersecting = tx.entities_intersecting(&volumes)?;
            let hidden = withheld(&*tx, &caller.party, &intersecting)?;
            if matches!(req.kind, EntityKind::Operation { .. }) {
                refuse_protected(
                    tx,
                    &self.config.disclosure,
                    &caller.party,
                    &volumes,
                    &intersecting,
                    &hidden,
                )?;
            }
            let write = WriteRequest {
                id: req.id,
                owner: caller.party.clone(),
                kind: req.kind,
                volumes: volumes.clone(),
                expected_ovn: req.expected_ovn.clone(),
                key: key.clone(),
            };
            if let Err(r) = check_write(
                current.as_ref(),
                &write,
                &intersecting,
                self.config.key_policy,
            ) {
                let parties = owners(&*tx, &intersecting)?;
                return Err(refusal(
                    r,
                    &self.config.disclosure,
                    &caller.party,
                    &parties,
                    &intersecting,
                    &hidden,
                    &volumes,
                ));
            }
            let entity = apply_write(current.as_ref(), write, new_ovn.clone());
            if matches!(entity.kind, EntityKind::Operation { .. }) {
                crate::ceasefires::check_operation(
                    tx,
                    &entity,
                    &intersecting,
                    req.exemption.as_ref(),
                    now,
                    self.config.ack_deadline,
                )?;
            }
            tx.put_entity(entity.clone())?;
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
                    include_writer: false,
                },
                now,
                self.config.ack_deadline,
            )?;
            let parties = owners(&*tx, &intersecting)?;
            Ok(WriteOutcome {
                entity: self.config.disclosure.view(&caller.party, &entity, None),
                conflicts: self.conflict_views(
                    &caller.party,
                    &entity.volumes,
                    entity.id,
                    &intersecting,
                    &parties,
                    &hidden,
                ),
                notified,
            })
        })
    }

    /// Withdraws (or ends) an entity of the caller's, compare-and-swap on its OVN.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Forbidden`], [`ServiceError::VersionMismatch`],
    /// [`ServiceError::MissingScope`].
    pub fn delete_entity(
        &self,
        caller: &Caller,
        id: EntityId,
        ovn: Ovn,
    ) -> Result<DeleteOutcome, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx
                .entity(&id)?
                .filter(|e| DisclosurePolicy::may_locate(&caller.party, e));
            managed_elsewhere(&*tx, current.as_ref())?;
            if let Err(r) = check_delete(current.as_ref(), &id, &ovn, &caller.party) {
                return Err(refusal(
                    r,
                    &self.config.disclosure,
                    &caller.party,
                    &BTreeMap::new(),
                    &[],
                    &BTreeMap::new(),
                    &[],
                ));
            }
            let Some(old) = current else {
                return Err(ServiceError::NotFound(format!("entity {id}")));
            };
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
                    include_writer: false,
                },
                now,
                self.config.ack_deadline,
            )?;
            Ok(DeleteOutcome {
                entity: self.config.disclosure.view(&caller.party, &old, None),
                notified,
            })
        })
    }

    /// One entity, as the caller may see it.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::MissingScope`].
    pub fn get_entity(&self, caller: &Caller, id: EntityId) -> Result<EntityView, ServiceError> {
        caller.require(SCOPE_READ)?;
        let found = self.store.read(&mut |v| {
            let Some(e) = v.entity(&id)? else {
                return Ok(None);
            };
            if !DisclosurePolicy::may_locate(&caller.party, &e) {
                return Ok(None);
            }
            let owner = v.party(&e.owner)?;
            Ok(Some(self.config.disclosure.view(
                &caller.party,
                &e,
                owner.as_ref(),
            )))
        })?;
        found.ok_or_else(|| ServiceError::NotFound(format!("entity {id}")))
    }

    /// Every entity intersecting any of `volumes`, as the caller may see them, sorted by id.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::MissingScope`].
    pub fn query(
        &self,
        caller: &Caller,
        volumes: &[VolumeSpec],
    ) -> Result<Vec<EntityView>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let volumes = VolumeSpec::to_volumes(volumes, &self.config.limits)?;
        Ok(self.store.read(&mut |v| {
            let found = v.entities_intersecting(&volumes)?;
            let parties = owners(v, &found)?;
            Ok(found
                .iter()
                .filter(|e| DisclosurePolicy::may_locate(&caller.party, e))
                .map(|e| {
                    self.config
                        .disclosure
                        .view(&caller.party, e, parties.get(&e.owner))
                })
                .collect())
        })?)
    }

    /// Every conflict of one of the caller's entities, as the caller may see them.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Forbidden`] (conflicts of another party's
    /// entity are its own business), [`ServiceError::MissingScope`].
    pub fn conflicts(
        &self,
        caller: &Caller,
        id: EntityId,
    ) -> Result<Vec<ConflictView>, ServiceError> {
        caller.require(SCOPE_READ)?;
        self.store.read(&mut |v| {
            let Some(e) = v.entity(&id)? else {
                return Ok(Err(ServiceError::NotFound(format!("entity {id}"))));
            };
            if !DisclosurePolicy::may_locate(&caller.party, &e) {
                return Ok(Err(ServiceError::NotFound(format!("entity {id}"))));
            }
            if e.owner != caller.party {
                return Ok(Err(ServiceError::Forbidden(format!(
                    "entity {id} belongs to another party"
                ))));
            }
            let intersecting = v.entities_intersecting(&e.volumes)?;
            let parties = owners(v, &intersecting)?;
            let hidden = withheld(v, &caller.party, &intersecting)?;
            Ok(Ok(self.conflict_views(
                &caller.party,
                &e.volumes,
                e.id,
                &intersecting,
                &parties,
                &hidden,
            )))
        })?
    }
}
