//! The airspace: every live entity, its index, and the write rules applied atomically.
//!
//! This is what the embedded store keeps in memory (rebuilt from disk at start) and what a
//! property test checks against a brute-force model. It does not make OVNs: the caller passes the
//! new one, drawn from a secure random source, so that no party can predict another's.

use rustc_hash::FxHashMap;

use crate::conflict::Conflict;
use crate::entity::{Entity, EntityId, Ovn, PartyId};
use crate::index::SpatialTemporalIndex;
use crate::rules::{KeyPolicy, WriteRefusal, WriteRequest, apply_write, check_delete, check_write};
use crate::volume::Volume4d;

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
        check_write(
            self.entities.get(&req.id),
            req,
            self.intersecting(&req.volumes),
            self.policy,
        )
    }

    /// Applies a write that passes [`Self::check_put`], giving the entity `new_ovn`.
    ///
    /// # Errors
    /// As [`Self::check_put`]; on error nothing changes.
    pub fn put(&mut self, req: WriteRequest, new_ovn: Ovn) -> Result<&Entity, WriteRefusal> {
        self.check_put(&req)?;
        let old = self.entities.remove(&req.id);
        if old.is_some() {
            self.index.remove(&req.id);
        }
        let entity = apply_write(old.as_ref(), req, new_ovn);
        let id = entity.id;
        self.index.insert(id, &entity.volumes);
        Ok(self.entities.entry(id).or_insert(entity))
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
        let current = self.entities.get(id);
        check_delete(current, id, ovn, party)?;
        current.ok_or(WriteRefusal::NotFound(*id))
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
