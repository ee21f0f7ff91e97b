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

use crate::conflict::{Conflict, ConflictReport};
use crate::entity::{Entity, EntityId, EntityKind, Key};
use crate::volume::Volume4d;

/// Which intersecting entities a key must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicy {
    /// Whether zones (restricted areas, protected sites, ceasefire areas) must be named too. The
    /// native API says yes: a party must have seen the zone it flies into. F3548 asks it only of
    /// USSs whose subscription wants constraint notifications.
    pub zones_need_key: bool,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            zones_need_key: true,
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
        EntityKind::Operation { state, .. } => state.requires_key(),
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
