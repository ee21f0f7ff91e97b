//! The airspace: every live entity, its index, and the write rules applied atomically.
//!
//! This is what the embedded store keeps in memory (rebuilt from disk at start) and what a
//! property test checks against a brute-force model. It does not make OVNs: the caller passes the
//! new one, drawn from a secure random source, so that no party can predict another's.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::conflict::{Conflict, ConflictReport};
use crate::entity::{Entity, EntityId, EntityKind, Key, Ovn, PartyId};
use crate::index::SpatialTemporalIndex;
use crate::rules::{KeyPolicy, check_key};
use crate::volume::Volume4d;

/// A request to create (`expected_ovn: None`) or update an entity.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// The entity.
    pub id: EntityId,
    /// The party writing; must own the entity when it exists.
    pub owner: PartyId,
    /// What it is (an operation may change state; an operation may not become a zone).
    pub kind: EntityKind,
    /// Its new volumes, already validated.
    pub volumes: Arc<[Volume4d]>,
    /// The OVN the writer last read: `None` to create, `Some` to update (compare-and-swap).
    pub expected_ovn: Option<Ovn>,
    /// The OVNs the writer has seen.
    pub key: Key,
}

/// Why a write was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteRefusal {
    /// Create of an id that exists.
    #[error("entity {0} already exists")]
    AlreadyExists(EntityId),
    /// Update or delete of an id that does not exist.
    #[error("entity {0} does not exist")]
    NotFound(EntityId),
    /// The writer does not own the entity.
    #[error("entity {id} belongs to another party")]
    NotOwner {
        /// The entity.
        id: EntityId,
    },
    /// Compare-and-swap failed: the entity changed since the writer read it.
    #[error("entity {id} has changed: the OVN given is not its current OVN")]
    OvnMismatch {
        /// The entity.
        id: EntityId,
    },
    /// An operation may not become a zone or the other way round.
    #[error("entity {id} cannot change between operation and zone")]
    KindChanged {
        /// The entity.
        id: EntityId,
    },
    /// The key rule: OVNs of intersecting entities are missing from the key.
    #[error("the key lacks the current OVN of {} intersecting entities", .0.missing.len())]
    MissingOvns(ConflictReport),
}

/// Every live entity and its index.
#[derive(Debug, Clone, Default)]
pub struct Airspace {
    entities: FxHashMap<EntityId, Entity>,
    index: SpatialTemporalIndex<EntityId>,
    policy: KeyPolicy,
}

impl Airspace {
    /// An empty airspace under `policy`.
    pub fn new(policy: KeyPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// An airspace holding `entities` (as loaded from a store at start), bulk-indexed.
    pub fn from_entities(entities: impl IntoIterator<Item = Entity>, policy: KeyPolicy) -> Self {
        let entities: FxHashMap<EntityId, Entity> =
            entities.into_iter().map(|e| (e.id, e)).collect();
        let index =
            SpatialTemporalIndex::bulk_load(entities.values().map(|e| (e.id, &e.volumes[..])));
        Self {
            entities,
            index,
            policy,
        }
    }

    /// The key policy in force.
    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }

    /// Number of live entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// One entity.
    pub fn get(&self, id: &EntityId) -> Option<&Entity> {
        self.entities.get(id)
    }

    /// Every entity, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    /// Ids of the entities intersecting any of `volumes`, sorted.
    pub fn query(&self, volumes: &[Volume4d]) -> Vec<EntityId> {
        self.index.query(volumes)
    }

    /// The entities intersecting any of `volumes`, sorted by id.
    pub fn intersecting(&self, volumes: &[Volume4d]) -> Vec<&Entity> {
        self.query(volumes)
            .iter()
            .filter_map(|id| self.entities.get(id))
            .collect()
    }

    /// Every conflict of `volumes` with entities other than `exclude`, sorted by the other's id.
    pub fn conflicts_of(&self, volumes: &[Volume4d], exclude: Option<EntityId>) -> Vec<Conflict> {
        self.intersecting(volumes)
            .into_iter()
            .filter(|e| Some(e.id) != exclude)
            .filter_map(|e| Conflict::between(volumes, e))
            .collect()
    }

    /// Every conflict of a live entity, or `None` if there is no such entity.
    pub fn conflicts(&self, id: &EntityId) -> Option<Vec<Conflict>> {
        let e = self.entities.get(id)?;
        Some(self.conflicts_of(&e.volumes, Some(e.id)))
    }

    /// Checks a write against every rule without applying it: existence, ownership,
    /// compare-and-swap on the OVN, kind, then the key rule.
    ///
    /// # Errors
    /// The first rule broken, as a [`WriteRefusal`].
    pub fn check_put(&self, req: &WriteRequest) -> Result<(), WriteRefusal> {
        match (self.entities.get(&req.id), &req.expected_ovn) {
            (Some(_), None) => return Err(WriteRefusal::AlreadyExists(req.id)),
            (None, Some(_)) => return Err(WriteRefusal::NotFound(req.id)),
            (Some(current), Some(expected)) => {
                if current.owner != req.owner {
                    return Err(WriteRefusal::NotOwner { id: req.id });
                }
                if &current.ovn != expected {
                    return Err(WriteRefusal::OvnMismatch { id: req.id });
                }
                let was_op = matches!(current.kind, EntityKind::Operation { .. });
                let is_op = matches!(req.kind, EntityKind::Operation { .. });
                if was_op != is_op {
                    return Err(WriteRefusal::KindChanged { id: req.id });
                }
            }
            (None, None) => {}
        }
        check_key(
            req.id,
            &req.kind,
            &req.volumes,
            &req.key,
            self.intersecting(&req.volumes),
            self.policy,
        )
        .map_err(WriteRefusal::MissingOvns)
    }

    /// Applies a write that passes [`Self::check_put`], giving the entity `new_ovn`.
    ///
    /// # Errors
    /// As [`Self::check_put`]; on error nothing changes.
    pub fn put(&mut self, req: WriteRequest, new_ovn: Ovn) -> Result<&Entity, WriteRefusal> {
        self.check_put(&req)?;
        let version = match self.entities.remove(&req.id) {
            Some(old) => {
                self.index.remove(&old.id);
                old.version + 1
            }
            None => 1,
        };
        self.index.insert(req.id, &req.volumes);
        let entity = Entity {
            id: req.id,
            owner: req.owner,
            kind: req.kind,
            volumes: req.volumes,
            ovn: new_ovn,
            version,
        };
        Ok(self.entities.entry(req.id).or_insert(entity))
    }

    /// Checks a delete (the entity exists, `party` owns it, `ovn` is current) without applying it.
    ///
    /// # Errors
    /// [`WriteRefusal::NotFound`], [`WriteRefusal::NotOwner`] or [`WriteRefusal::OvnMismatch`].
    pub fn check_delete(
        &self,
        id: &EntityId,
        ovn: &Ovn,
        party: &PartyId,
    ) -> Result<&Entity, WriteRefusal> {
        let current = self.entities.get(id).ok_or(WriteRefusal::NotFound(*id))?;
        if &current.owner != party {
            return Err(WriteRefusal::NotOwner { id: *id });
        }
        if &current.ovn != ovn {
            return Err(WriteRefusal::OvnMismatch { id: *id });
        }
        Ok(current)
    }

    /// Deletes an entity (compare-and-swap on its OVN), returning it.
    ///
    /// # Errors
    /// As [`Self::check_delete`]; on error nothing changes.
    pub fn delete(
        &mut self,
        id: &EntityId,
        ovn: &Ovn,
        party: &PartyId,
    ) -> Result<Entity, WriteRefusal> {
        self.check_delete(id, ovn, party)?;
        let old = self
            .entities
            .remove(id)
            .ok_or(WriteRefusal::NotFound(*id))?;
        self.index.remove(&old.id);
        Ok(old)
    }
}

#[cfg(test)]
#[path = "airspace_tests.rs"]
mod tests;
