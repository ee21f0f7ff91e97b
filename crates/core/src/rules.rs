//! The concurrency rule of strategic deconfliction (ASTM F3548-21 §5, the DSS "key"), as pure
//! functions over the entities a write would intersect, so that every store — the embedded one
//! with its in-memory index, the SQL one inside its transaction — decides with the same code.
//!
//! - A write into a state that needs a key (an operation Accepted or Activated) must present a
//!   key containing the current OVN of every intersecting entity that must be named: other
//!   operations that are themselves Accepted or Activated, and zones when the policy says so.
//!   The entity being written is never required in its own key.
//! - Updates and deletes are compare-and-swap on the current OVN.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::conflict::{Conflict, ConflictReport};
use crate::entity::{Entity, EntityId, EntityKind, Key, Ovn, PartyId};
use crate::volume::Volume4d;

/// Which intersecting entities a key must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicy {
    /// Whether zones (restricted areas, protected sites, ceasefire areas) must be named too. The
    /// native API says yes: a party must have seen the zone it flies into. F3548 asks it only of
    /// USSs whose subscription wants constraint notifications.
    pub zones_need_key: bool,
    /// Whether intersecting operations in every state must be named (the F3548 DSS as the
    /// InterUSS reference implements it: off-nominal operations too), or only those Accepted or
    /// Activated (the native API: off-nominal operations are announced, not negotiated).
    pub every_operation_state: bool,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            zones_need_key: true,
            every_operation_state: false,
        }
    }
}

impl KeyPolicy {
    /// The F3548 DSS's rule for a writer whose subscription does (or does not) want constraint
    /// notifications: every intersecting operational intent, and constraints only for it.
    pub fn f3548(constraint_processing: bool) -> Self {
        Self {
            zones_need_key: constraint_processing,
            every_operation_state: true,
        }
    }
}

/// Whether writing an entity of this kind needs a key at all.
pub fn write_needs_key(kind: &EntityKind) -> bool {
    match kind {
        EntityKind::Operation { state, .. } => state.requires_key(),
        EntityKind::Zone(_) => false,
    }
}

/// Whether an intersecting `other` must be named in the key of a write that needs one.
pub fn must_be_named(other: &Entity, policy: KeyPolicy) -> bool {
    match other.kind {
        EntityKind::Operation { state, .. } => policy.every_operation_state || state.requires_key(),
        EntityKind::Zone(_) => policy.zones_need_key,
    }
}

/// The key rule. `intersecting` are the entities whose volumes intersect `volumes` (the store
/// finds them; the writer itself may be among them and is skipped).
///
/// # Errors
/// A [`ConflictReport`] naming, sorted by id, every entity that must be named and is not.
pub fn check_key<'a>(
    writer: EntityId,
    kind: &EntityKind,
    volumes: &[Volume4d],
    key: &Key,
    intersecting: impl IntoIterator<Item = &'a Entity>,
    policy: KeyPolicy,
) -> Result<(), ConflictReport> {
    if !write_needs_key(kind) {
        return Ok(());
    }
    let mut missing: Vec<Conflict> = intersecting
        .into_iter()
        .filter(|e| e.id != writer && must_be_named(e, policy) && !key.contains(&e.ovn))
        .filter_map(|e| Conflict::between(volumes, e))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_by_key(|c| c.with.id);
    Err(ConflictReport { missing })
}

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

/// Every rule of a write, in order: existence (create vs update), ownership, compare-and-swap on
/// the OVN, kind, then the key rule against `intersecting` (the live entities whose volumes
/// intersect the request's; the written entity itself may be among them).
///
/// # Errors
/// The first rule broken.
pub fn check_write<'a>(
    current: Option<&Entity>,
    req: &WriteRequest,
    intersecting: impl IntoIterator<Item = &'a Entity>,
    policy: KeyPolicy,
) -> Result<(), WriteRefusal> {
    match (current, &req.expected_ovn) {
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
        intersecting,
        policy,
    )
    .map_err(WriteRefusal::MissingOvns)
}

/// The entity a write that passed [`check_write`] produces: the request's content, the new OVN,
/// and the next version; the DSS attributes are kept (the DSS adapter sets its own).
pub fn apply_write(current: Option<&Entity>, req: WriteRequest, new_ovn: Ovn) -> Entity {
    Entity {
        id: req.id,
        owner: req.owner,
        kind: req.kind,
        volumes: req.volumes,
        ovn: new_ovn,
        version: current.map_or(1, |c| c.version + 1),
        dss: current.and_then(|c| c.dss.clone()),
    }
}

/// The rules of a delete: the entity exists, `party` owns it, and `ovn` is its current OVN.
///
/// # Errors
/// [`WriteRefusal::NotFound`], [`WriteRefusal::NotOwner`] or [`WriteRefusal::OvnMismatch`].
pub fn check_delete(
    current: Option<&Entity>,
    id: &EntityId,
    ovn: &Ovn,
    party: &PartyId,
) -> Result<(), WriteRefusal> {
    let current = current.ok_or(WriteRefusal::NotFound(*id))?;
    if &current.owner != party {
        return Err(WriteRefusal::NotOwner { id: *id });
    }
    if &current.ovn != ovn {
        return Err(WriteRefusal::OvnMismatch { id: *id });
    }
    Ok(())
}
