//! The probing limit around `conflict-only` protected sites.
//!
//! Each conflict answer tells a party one thing about a site it may not see: whether its
//! operation meets it. Many small operations could map the site, one answer at a time (a binary
//! search). So every check a party makes **near** another party's `conflict-only` site — an
//! operation written (natively or through F3548) whose footprint's bounding box, grown by
//! `probe_vicinity_m`, meets the site in its window — is counted, per party and site, over a
//! `probe_period`. Beyond `probe_limit` checks the party's writes near the site are refused with
//! [`ServiceError::TooManyChecks`] (429) until the period ends, and the site's notifier is told
//! once per period (`probing_detected`, to acknowledge). The counts are store documents written
//! in their own transaction before the write is decided, so a refused write still counts and
//! every node sees the same counts; the notification is an audit entry like every write.
//!
//! Near, not only meeting: a miss teaches as much as a hit in a search, and a search must
//! converge near the site. What this leaves (a party may still learn `probe_limit` answers per
//! period, and colluding parties each their own) is written down in `docs/disclosure.md`.

use chrono::{DateTime, Utc};
use deconflict_core::{
    AltitudeBand, EntityId, EntityKind, Event, FootprintSpec, NewNotification, PartyId, Volume4d,
    VolumeSpec, ZoneKind,
};
use deconflict_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::records;

/// Document kind of probing counts (id: `<site>/<party>`).
pub const PROBE_DOCUMENT: &str = "probe";

/// A party's checks near one site in the current period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ProbeCount {
    site: EntityId,
    party: PartyId,
    period_start: DateTime<Utc>,
    checks: u32,
    reported: bool,
}

// Metres per degree of latitude (WGS84 mean), as the corridors of movements use.
use crate::protected::M_PER_DEG_LAT as M_PER_DEG;

/// The bounding boxes of `volumes`' footprints grown by `margin_m`, over their windows and every
/// altitude (protected zones span every altitude). The boxes are looked up, never stored: no
/// area limit applies to them (a large first probe of a search counts like a small one).
fn vicinity(volumes: &[Volume4d], margin_m: f64) -> Vec<Volume4d> {
    let limits = deconflict_core::VolumeLimits {
        max_area_km2: f64::INFINITY,
        ..deconflict_core::VolumeLimits::default()
    };
    use geo::BoundingRect;
    let all = AltitudeBand::all();
    volumes
        .iter()
        .map(|v| {
            let Some(r) = v.footprint().planar().bounding_rect() else {
                return v.clone();
            };
            let lat = r.center().y;
            let dy = margin_m / M_PER_DEG;
            let dx = margin_m / (M_PER_DEG * lat.to_radians().cos().max(0.05));
            let (x0, y0) = ((r.min().x - dx).max(-180.0), (r.min().y - dy).max(-85.0));
            let (x1, y1) = ((r.max().x + dx).min(180.0), (r.max().y + dy).min(85.0));
            VolumeSpec {
                footprint: FootprintSpec::Polygon {
                    vertices: vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
                },
                altitude_lower_m: all.lower_m(),
                altitude_upper_m: all.upper_m(),
                time_start: v.time().start(),
                time_end: v.time().end(),
            }
            .to_volume(&limits)
            .unwrap_or_else(|_| v.clone())
        })
        .collect()
}

impl<S: Store> Service<S> {
    /// Counts a check by `caller` of an operation with `volumes` near other parties'
    /// `conflict-only` sites, and refuses it beyond the limit (see the module's documentation).
    ///
    /// # Errors
    /// [`ServiceError::TooManyChecks`], or the store's.
    pub(crate) fn check_probing(
        &self,
        caller: &Caller,
        volumes: &[Volume4d],
    ) -> Result<(), ServiceError> {
        let cfg = self.config.protected;
        let grown = vicinity(volumes, cfg.probe_vicinity_m);
        let near: Vec<(EntityId, PartyId)> = self.store.read(&mut |v| {
            Ok::<_, StoreError>(
                v.entities_intersecting(&grown)?
                    .into_iter()
                    .filter(|e| {
                        e.kind == EntityKind::Zone(ZoneKind::Confidential)
                            && e.owner != caller.party
                    })
                    .map(|e| (e.id, e.owner))
                    .collect(),
            )
        })?;
        if near.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let refused = self.transact(caller.party.as_str(), &mut |tx| {
            let mut refused: Option<(EntityId, DateTime<Utc>)> = None;
            for (site, notifier) in &near {
                let key = format!("{site}/{}", caller.party);
                let mut count = records::get::<ProbeCount>(&*tx, PROBE_DOCUMENT, &key)?
                    .filter(|c| now - c.period_start < cfg.probe_period)
                    .unwrap_or(ProbeCount {
                        site: *site,
                        party: caller.party.clone(),
                        period_start: now,
                        checks: 0,
                        reported: false,
                    });
                count.checks = count.checks.saturating_add(1);
                if count.checks > cfg.probe_limit {
                    if !count.reported {
                        crate::hotline::notify(
                            tx,
                            NewNotification {
                                recipient: notifier.clone(),
                                event: Event::ProbingDetected {
                                    site: *site,
                                    party: caller.party.clone(),
                                    checks: count.checks,
                                },
                                requires_ack: true,
                                callback_url: None,
                            },
                            now,
                            self.config.ack_deadline,
                        )?;
                        count.reported = true;
                    }
                    let until = count.period_start + cfg.probe_period;
                    if refused.is_none_or(|(_, u)| until > u) {
                        refused = Some((*site, until));
                    }
                }
                records::put(tx, PROBE_DOCUMENT, &key, &count)?;
            }
            Ok::<_, ServiceError>(refused)
        })?;
        match refused {
            None => Ok(()),
            Some((_, until)) => Err(ServiceError::TooManyChecks {
                detail: format!(
                    "too many checks of operations near a protected site notified conflict-only \
                     (at most {} per {} hours): its notifier has been told; retry after {until}",
                    cfg.probe_limit,
                    cfg.probe_period.num_hours()
                ),
                retry_after_s: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use chrono::{DateTime, Duration, Utc};
    use deconflict_core::{FootprintSpec, VolumeLimits, VolumeSpec};
    use geo::{Contains, Point};
    use proptest::prelude::*;

    use super::{M_PER_DEG, vicinity};

    proptest! {
        /// The grown box holds every point within the margin of the footprint's box along each
        /// axis, and none well beyond it (the oracle: distances in metres along each axis).
        #[test]
        fn the_vicinity_is_the_box_grown_by_the_margin(
            x in -30.0..30.0f64, y in -60.0..60.0f64, w in 0.001..0.5f64, h in 0.001..0.5f64,
            margin in 100.0..20_000.0f64,
        ) {
            let t = DateTime::<Utc>::from_timestamp(1_900_000_000, 0).expect("a time");
            let v = VolumeSpec {
                footprint: FootprintSpec::Polygon {
                    vertices: vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]],
                },
                altitude_lower_m: 0.0,
                altitude_upper_m: 100.0,
                time_start: t,
                time_end: t + Duration::hours(1),
            }
            .to_volume(&VolumeLimits { max_area_km2: f64::INFINITY, ..VolumeLimits::default() })
            .expect("valid");
            let grown = vicinity(std::slice::from_ref(&v), margin);
            let area = grown[0].footprint().planar();
            let lat = y + h / 2.0;
            let dy = margin / M_PER_DEG;
            let dx = margin / (M_PER_DEG * lat.to_radians().cos());
            let mid = (x + w / 2.0, y + h / 2.0);
            for (px, py) in [
                (x - 0.99 * dx, mid.1), (x + w + 0.99 * dx, mid.1),
                (mid.0, y - 0.99 * dy), (mid.0, y + h + 0.99 * dy),
            ] {
                prop_assert!(area.contains(&Point::new(px, py)), "({px}, {py}) is within the margin");
            }
            for (px, py) in [(x - 1.2 * dx, mid.1), (mid.0, y + h + 1.2 * dy)] {
                prop_assert!(!area.contains(&Point::new(px, py)), "({px}, {py}) is beyond it");
            }
            prop_assert_eq!(grown[0].time(), v.time());
        }
    }
}
