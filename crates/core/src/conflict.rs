//! Conflicts as data: which entity, and exactly where and when it meets the writer's volumes.
//! Each API renders these in its own shape; the disclosure policy decides what another party
//! sees of them.

use crate::entity::{Entity, EntityId, EntityKind, Ovn, PartyId};
use crate::volume::{Volume4d, VolumeIntersection};

/// An entity as named in a conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRef {
    /// Its id.
    pub id: EntityId,
    /// Its owner.
    pub owner: PartyId,
    /// What it is.
    pub kind: EntityKind,
    /// Its current OVN (the value a key must contain).
    pub ovn: Ovn,
    /// Its version.
    pub version: u64,
}

impl From<&Entity> for EntityRef {
    fn from(e: &Entity) -> Self {
        Self {
            id: e.id,
            owner: e.owner.clone(),
            kind: e.kind,
            ovn: e.ovn.clone(),
            version: e.version,
        }
    }
}

/// One intersecting pair of volumes.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumePair {
    /// Index of the volume among the writer's (or the queried entity's) volumes.
    pub own_volume: usize,
    /// Index of the volume among the other entity's volumes.
    pub other_volume: usize,
    /// Where and when they meet.
    pub intersection: VolumeIntersection,
}

/// Another entity that intersects, with every intersecting pair of volumes.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The other entity.
    pub with: EntityRef,
    /// Every intersecting pair, in (own, other) order.
    pub pairs: Vec<VolumePair>,
}

impl Conflict {
    /// The conflict between `own` volumes and `other`, or `None` when they do not intersect.
    pub fn between(own: &[Volume4d], other: &Entity) -> Option<Self> {
        let pairs: Vec<VolumePair> = own
            .iter()
            .enumerate()
            .flat_map(|(i, a)| {
                other.volumes.iter().enumerate().filter_map(move |(j, b)| {
                    a.intersection(b).map(|intersection| VolumePair {
                        own_volume: i,
                        other_volume: j,
                        intersection,
                    })
                })
            })
            .collect();
        (!pairs.is_empty()).then(|| Self {
            with: EntityRef::from(other),
            pairs,
        })
    }
}

/// A write refused by the key rule: every intersecting entity whose current OVN the key lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictReport {
    /// The entities missing from the key, sorted by id, with where they intersect.
    pub missing: Vec<Conflict>,
}

impl ConflictReport {
    /// The OVNs the writer must add to its key (after reading those entities).
    pub fn missing_ovns(&self) -> impl Iterator<Item = &Ovn> {
        self.missing.iter().map(|c| &c.with.ovn)
    }
}
