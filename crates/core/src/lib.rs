//! # deconflict-core
//!
//! The pure domain of deconflict: validated 4D volumes (a polygon or circle footprint × a closed
//! altitude band × a half-open time window), their exact intersection, an in-memory
//! spatial-temporal index, and the OVN key rule of strategic deconfliction (ASTM F3548-21) by
//! which two parties can never both claim the same airspace unknowingly.
//!
//! No I/O, no async, no HTTP or SQL types: the store, the service and the APIs build on this.
//!
//! ```
//! use std::sync::Arc;
//! use deconflict_core::*;
//!
//! let limits = VolumeLimits::default();
//! let volume = Volume4d::new(
//!     Footprint::circle(36.2, 37.1, 2000.0, &limits)?,
//!     AltitudeBand::new(0.0, 3000.0)?,
//!     TimeWindow::new("2026-07-06T06:00:00Z".parse()?, "2026-07-06T08:00:00Z".parse()?)?,
//! );
//! let mut airspace = Airspace::new(KeyPolicy::default());
//! let patrol = |id: u128, party: &str, key: Key| -> Result<WriteRequest, ValidationError> {
//!     Ok(WriteRequest {
//!         id: EntityId(uuid::Uuid::from_u128(id)),
//!         owner: PartyId::new(party)?,
//!         kind: EntityKind::Operation { state: OperationState::Accepted, priority: 0 },
//!         volumes: Arc::from(vec![volume.clone()]),
//!         expected_ovn: None,
//!         key,
//!     })
//! };
//! airspace.put(patrol(1, "north-air-force", Key::new())?, Ovn("ovn-a".into()))?;
//!
//! // The second party has not seen the first patrol: refused, naming what it must read.
//! let refused = airspace.put(patrol(2, "south-air-force", Key::new())?, Ovn("ovn-b".into()));
//! let Err(WriteRefusal::MissingOvns(report)) = refused else { panic!() };
//! assert_eq!(report.missing_ovns().collect::<Vec<_>>(), [&Ovn("ovn-a".into())]);
//!
//! // Having read it, it may file knowingly.
//! let key = Key::from([Ovn("ovn-a".into())]);
//! airspace.put(patrol(2, "south-air-force", key)?, Ovn("ovn-b".into()))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod airspace;
mod altitude;
pub mod audit;
mod conflict;
mod entity;
mod error;
mod footprint;
mod index;
mod ring;
pub mod rules;
mod spec;
mod subscription;
#[cfg(test)]
mod testgen;
mod time;
mod volume;

pub use airspace::Airspace;
pub use altitude::AltitudeBand;
pub use audit::{AuditBreak, AuditEntry, AuditRecord, ChainVerifier, verify_chain};
pub use conflict::{Conflict, ConflictReport, EntityRef, VolumePair};
pub use entity::{
    DssAttributes, Entity, EntityId, EntityKind, Key, OperationState, Ovn, PartyId, ZoneKind,
};
pub use error::{Reason, ValidationError};
pub use footprint::{Footprint, FootprintKind, VolumeLimits, circle_vertex_count};
pub use index::SpatialTemporalIndex;
pub use rules::{KeyPolicy, WriteRefusal, WriteRequest};
pub use spec::{FootprintSpec, VolumeSpec};
pub use subscription::{
    Change, Event, NewNotification, Notification, Party, Subscription, SubscriptionId,
    SubscriptionIndex,
};
pub use time::TimeWindow;
pub use volume::{Volume4d, VolumeIntersection, check_volume_count};

/// Re-exported so that callers name the same key types.
pub use ed25519_dalek;
/// Re-exported so that callers name the same geometry types.
pub use geo;
