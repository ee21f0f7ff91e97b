//! What the conformance cases are made of: a seeded generator of random volumes (small squares on
//! a grid and circles in one small area, with altitudes and times on coarse grids, so that many
//! intersect and many only touch), builders of entities, subscriptions and notifications, and
//! shorthands for running closures in a store.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use deconflict_core::{
    AltitudeBand, Change, Entity, EntityId, EntityKind, Event, Footprint, NewNotification,
    OperationState, Ovn, PartyId, Subscription, SubscriptionId, TimeWindow, Volume4d, VolumeLimits,
    ZoneKind,
};
use uuid::Uuid;

use crate::{Store, StoreError, Tx, View};

/// A small, seeded generator (SplitMix64): the same seed gives the same cases on every backend.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `[lo, hi)`.
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + unit * (hi - lo)
    }

    /// A random volume in the test area.
    pub fn volume(&mut self) -> Volume4d {
        let limits = VolumeLimits::default();
        let footprint = if self.below(3) == 0 {
            let (lon, lat) = (self.between(36.0, 36.06), self.between(35.0, 35.06));
            Footprint::circle(lon, lat, self.between(100.0, 2500.0), &limits)
        } else {
            // Grid squares, which share edges and corners exactly.
            let x0 = 36.0 + 0.01 * self.below(6) as f64;
            let y0 = 35.0 + 0.01 * self.below(6) as f64;
            let x1 = x0 + 0.01 * (1 + self.below(3)) as f64;
            let y1 = y0 + 0.01 * (1 + self.below(3)) as f64;
            Footprint::polygon(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]], &limits)
        };
        let lower = 100.0 * self.below(5) as f64;
        let upper = lower + 100.0 * self.below(4) as f64;
        let start = t0() + Duration::minutes(30 * self.below(8) as i64);
        let end = start + Duration::minutes(30 * (1 + self.below(4)) as i64);
        volume(footprint, lower, upper, start, end)
    }

    /// One to three random volumes.
    pub fn volumes(&mut self) -> Vec<Volume4d> {
        let n = 1 + self.below(3);
        (0..n).map(|_| self.volume()).collect()
    }
}

#[expect(
    clippy::expect_used,
    reason = "the generator's shapes, bands and windows are valid by construction"
)]
fn volume(
    footprint: Result<Footprint, deconflict_core::ValidationError>,
    lower: f64,
    upper: f64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Volume4d {
    Volume4d::new(
        footprint.expect("a valid footprint"),
        AltitudeBand::new(lower, upper).expect("a valid band"),
        TimeWindow::new(start, end).expect("a valid window"),
    )
}

/// The start of the test period, and the clock of the notification cases.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_783_317_600, 0).unwrap_or_default()
}

/// A volume far from the test area (never intersecting a generated one).
pub fn far_volume() -> Volume4d {
    let limits = VolumeLimits::default();
    volume(
        Footprint::circle(-120.0, -40.0, 500.0, &limits),
        0.0,
        100.0,
        t0(),
        t0() + Duration::hours(1),
    )
}

/// A party id.
#[expect(clippy::expect_used, reason = "test names are valid party ids")]
pub fn party(name: &str) -> PartyId {
    PartyId::new(name).expect("a valid party id")
}

/// Entity id number `n`.
pub fn entity_id(n: u128) -> EntityId {
    EntityId(Uuid::from_u128(n))
}

/// Subscription id number `n`.
pub fn subscription_id(n: u128) -> SubscriptionId {
    SubscriptionId(Uuid::from_u128(n))
}

/// An accepted operation (or, for odd `n`, a restricted zone) of `owner`, at version 1.
pub fn entity(n: u128, owner: &str, volumes: Vec<Volume4d>) -> Entity {
    let kind = if n.is_multiple_of(2) {
        EntityKind::Operation {
            state: OperationState::Accepted,
            priority: 0,
        }
    } else {
        EntityKind::Zone(ZoneKind::Restricted)
    };
    Entity {
        id: entity_id(n),
        owner: party(owner),
        kind,
        volumes: Arc::from(volumes),
        ovn: Ovn(format!("ovn-{n}-1")),
        version: 1,
        dss: None,
    }
}

/// A subscription of `owner` to operations and zones, without a callback.
pub fn subscription(n: u128, owner: &str, volumes: Vec<Volume4d>) -> Subscription {
    Subscription {
        id: subscription_id(n),
        owner: party(owner),
        volumes: Arc::from(volumes),
        callback_url: None,
        notify_operations: true,
        notify_zones: n.is_multiple_of(2),
        notification_index: 0,
        version: 1,
        uss_base_url: None,
        implicit: false,
    }
}

/// A notification to `recipient` about entity `n`, with an optional callback.
pub fn news(recipient: &str, n: u128, callback_url: Option<&str>) -> NewNotification {
    NewNotification {
        recipient: party(recipient),
        event: Event::EntityChanged {
            entity: entity_id(n),
            owner: party("someone-else"),
            change: Change::Created,
            ovn: Some(Ovn(format!("ovn-{n}-1"))),
            subscription: subscription_id(n),
        },
        requires_ack: n.is_multiple_of(2),
        callback_url: callback_url.map(str::to_owned),
    }
}

/// Runs `f` in a transaction whose error type is [`StoreError`].
///
/// # Errors
/// `f`'s error or the store's.
pub fn tx<S: Store, T: Send>(
    store: &S,
    mut f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send,
) -> Result<T, StoreError> {
    store.transact(&mut f)
}

/// Runs `f` on a view of committed state.
///
/// # Errors
/// `f`'s error or the store's.
pub fn read<S: Store, T>(
    store: &S,
    mut f: impl FnMut(&dyn View) -> Result<T, StoreError> + Send,
) -> Result<T, StoreError> {
    store.read(&mut f)
}

/// Runs `f` both on a view of committed state and inside a transaction that writes nothing,
/// checks that the two agree, and returns the answer.
///
/// # Errors
/// `f`'s error or the store's.
pub fn both<S: Store, T: Send + PartialEq + std::fmt::Debug>(
    store: &S,
    mut f: impl FnMut(&dyn View) -> Result<T, StoreError> + Send,
) -> Result<T, StoreError> {
    let outside = read(store, &mut f)?;
    let inside = tx(store, |tx| f(&*tx))?;
    assert_eq!(outside, inside, "a read and a transaction disagree");
    Ok(outside)
}

/// The ids of entities, in order.
pub fn ids(entities: &[Entity]) -> Vec<EntityId> {
    entities.iter().map(|e| e.id).collect()
}
