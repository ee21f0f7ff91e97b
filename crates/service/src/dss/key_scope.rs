//! The scope of the DSS key rule: which entities a write of an operational intent must name.
//! deconflict tests each volume exactly against each volume ([`KeyScope::Exact`], the default);
//! the InterUSS reference DSS tests the union of the request's volumes against the union of
//! each entity's — earliest start to latest end, lowest to highest altitude, every footprint
//! together ([`KeyScope::Union`], `--dss-key-scope union`, for deployments that must answer as
//! the reference does). The reference's footprints are S2 cells; deconflict's stay exact.

use std::str::FromStr;

use deconflict_core::{AltitudeBand, Entity, TimeWindow, Volume4d};
use deconflict_store::{StoreError, View};

use super::{far_future, far_past};

/// How the key rule matches volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyScope {
    /// Each volume against each volume (the standard's 4D volumes, exactly).
    #[default]
    Exact,
    /// The union of the request's volumes against the union of each entity's (the reference).
    Union,
}

impl FromStr for KeyScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "exact" => Ok(Self::Exact),
            "union" => Ok(Self::Union),
            other => Err(format!("the key scope is exact or union, not {other:?}")),
        }
    }
}

/// Each of `volumes` stretched to their common altitude band and window: two sets of volumes
/// so widened intersect exactly when their unions do (some footprint of one meets some
/// footprint of the other, and the bands and the windows overlap).
pub(crate) fn widened(volumes: &[Volume4d]) -> Vec<Volume4d> {
    let lower = volumes
        .iter()
        .map(|v| v.altitude().lower_m())
        .reduce(f64::min);
    let upper = volumes
        .iter()
        .map(|v| v.altitude().upper_m())
        .reduce(f64::max);
    let start = volumes.iter().map(|v| v.time().start()).min();
    let end = volumes.iter().map(|v| v.time().end()).max();
    let band = lower
        .zip(upper)
        .and_then(|(l, u)| AltitudeBand::new(l, u).ok());
    let window = start.zip(end).and_then(|(s, e)| TimeWindow::new(s, e).ok());
    volumes
        .iter()
        .map(|v| {
            Volume4d::new(
                v.footprint().clone(),
                band.unwrap_or(*v.altitude()),
                window.unwrap_or(*v.time()),
            )
        })
        .collect()
}

/// The volumes the key rule tests and the entities it tests them against, under `scope`:
/// `volumes` and `intersecting` (the entities meeting them exactly) when exact; when union,
/// both widened, the entities being every one whose footprints meet the request's at any time
/// and altitude.
///
/// # Errors
/// The store's.
pub(crate) fn key_pool(
    view: &dyn View,
    scope: KeyScope,
    volumes: &[Volume4d],
    intersecting: &[Entity],
) -> Result<(Vec<Volume4d>, Vec<Entity>), StoreError> {
    match scope {
        KeyScope::Exact => Ok((volumes.to_vec(), intersecting.to_vec())),
        KeyScope::Union => {
            let wide = widened(volumes);
            let everywhen: Vec<Volume4d> = match TimeWindow::new(far_past(), far_future()) {
                Ok(always) => volumes
                    .iter()
                    .map(|v| Volume4d::new(v.footprint().clone(), AltitudeBand::all(), always))
                    .collect(),
                Err(_) => wide.clone(),
            };
            let entities = view
                .entities_intersecting(&everywhen)?
                .into_iter()
                .map(|mut e| {
                    e.volumes = widened(&e.volumes).into();
                    e
                })
                .filter(|e| {
                    wide.iter()
                        .any(|w| e.volumes.iter().any(|v| w.intersects(v)))
                })
                .collect();
            Ok((wide, entities))
        }
    }
}

#[cfg(test)]
#[path = "key_scope_tests.rs"]
mod tests;
