//! The disclosure policy: what one party sees of another's entities. The service holds every
//! footprint; a party sees
//! - its own entities, zones (which exist to be known), and operations of parties that granted it
//!   full disclosure: in full;
//! - any other operation: owner, kind, state, priority, OVN (so it can name it in a key), time
//!   windows and altitude bands, and the footprint only as the H3 cells that cover it, at a
//!   configurable resolution;
//! - where another party's entity conflicts with its own: the exact clipped intersection — the
//!   part of the other's footprint inside its own, which it needs to resolve the conflict.
//!
//! Every view given to a party is built here; the APIs never read entities directly.

use chrono::{DateTime, Utc};
use deconflict_core::geo::{MultiPolygon, Polygon};
use deconflict_core::{
    Conflict, Entity, EntityId, EntityKind, Ovn, Party, PartyId, Volume4d, VolumePair, VolumeSpec,
    ZoneKind,
};
use h3o::Resolution;
use h3o::geom::{ContainmentMode, TilerBuilder};

/// A volume as another party sees it: everything but the exact footprint.
#[derive(Debug, Clone, PartialEq)]
pub struct CoarseVolume {
    /// First instant.
    pub time_start: DateTime<Utc>,
    /// First instant after.
    pub time_end: DateTime<Utc>,
    /// Lowest altitude, m.
    pub altitude_lower_m: f64,
    /// Highest altitude, m.
    pub altitude_upper_m: f64,
    /// H3 cells (hexadecimal ids) that together cover the footprint.
    pub cells: Vec<String>,
    /// Their resolution.
    pub resolution: u8,
}

/// How much of an entity's geometry a viewer sees.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// Every volume as declared.
    Full(Vec<VolumeSpec>),
    /// Times, altitudes and covering cells only.
    Coarse(Vec<CoarseVolume>),
    /// No geometry at all: a protected site or movement notified `conflict-only` (kind
    /// `confidential`), seen by another party only where its own operation meets it.
    Withheld {
        /// The site's category (hospital, school, ...).
        category: String,
    },
}

/// An entity as one party may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityView {
    /// Its id.
    pub id: EntityId,
    /// Its owner.
    pub owner: PartyId,
    /// What it is.
    pub kind: EntityKind,
    /// Current OVN.
    pub ovn: Ovn,
    /// Version.
    pub version: u64,
    /// Its geometry, as far as disclosed.
    pub detail: Detail,
}

/// Where a conflict lies, as the party whose volumes are involved may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PairView {
    /// Index among the viewer's (or the written request's) volumes.
    pub own_volume: usize,
    /// Index among the other entity's volumes.
    pub other_volume: usize,
    /// The common window.
    pub time_start: DateTime<Utc>,
    /// End of the common window.
    pub time_end: DateTime<Utc>,
    /// The common band, lower bound.
    pub altitude_lower_m: f64,
    /// The common band, upper bound.
    pub altitude_upper_m: f64,
    /// The clipped common footprint, as polygons of `[lon, lat]` rings (empty when they only
    /// touch).
    pub footprint: Vec<Vec<[f64; 2]>>,
}

/// A conflict with another entity, as the viewer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictView {
    /// The other entity, as disclosed to the viewer.
    pub with: EntityView,
    /// Where and when they meet.
    pub pairs: Vec<PairView>,
}

/// The policy's settings.
#[derive(Debug, Clone, Copy)]
pub struct DisclosurePolicy {
    /// H3 resolution of coarse footprints (default 7: cells of about 5 km²).
    pub h3_resolution: Resolution,
    /// Above this many cells, a coarse footprint is given one resolution coarser, and so on.
    pub max_cells: usize,
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self {
            h3_resolution: Resolution::Seven,
            max_cells: 2000,
        }
    }
}

fn rings(mp: &MultiPolygon) -> Vec<Vec<[f64; 2]>> {
    mp.0.iter()
        .map(|p| p.exterior().0.iter().map(|c| [c.x, c.y]).collect())
        .collect()
}

impl DisclosurePolicy {
    /// Whether `viewer` sees `entity` in full; `owner` is the owning party's record, if any.
    pub fn sees_in_full(&self, viewer: &PartyId, entity: &Entity, owner: Option<&Party>) -> bool {
        viewer == &entity.owner
            || matches!(entity.kind, EntityKind::Zone(k) if k != ZoneKind::Confidential)
            || (matches!(entity.kind, EntityKind::Operation { .. })
                && owner.is_some_and(|p| p.full_disclosure_to.contains(viewer)))
    }

    /// Whether `viewer` may know that `entity` exists where it is: every entity but another
    /// party's `confidential` zone. Lists, queries, subscriptions and the F3548 API leave out
    /// what this refuses; conflicts show it through [`Self::withheld_conflict`] only.
    pub fn may_locate(viewer: &PartyId, entity: &Entity) -> bool {
        viewer == &entity.owner || entity.kind != EntityKind::Zone(ZoneKind::Confidential)
    }

    /// A conflict of the viewer's volumes `own` with another party's `confidential` zone: the
    /// zone's id, owner, kind, OVN (to name it in a key, where its policy allows) and category;
    /// each pair's window, band and footprint are those of the viewer's **own** volume, never
    /// the site's (nor their intersection, whose edges would trace the site's).
    pub fn withheld_conflict(
        &self,
        c: &Conflict,
        other: &Entity,
        category: &str,
        own: &[Volume4d],
    ) -> ConflictView {
        let mut pairs: Vec<PairView> = Vec::new();
        for p in &c.pairs {
            if pairs.iter().any(|q| q.own_volume == p.own_volume) {
                continue;
            }
            let Some(v) = own.get(p.own_volume) else {
                continue;
            };
            pairs.push(PairView {
                own_volume: p.own_volume,
                other_volume: 0,
                time_start: v.time().start(),
                time_end: v.time().end(),
                altitude_lower_m: v.altitude().lower_m(),
                altitude_upper_m: v.altitude().upper_m(),
                footprint: vec![
                    v.footprint()
                        .planar()
                        .exterior()
                        .0
                        .iter()
                        .map(|c| [c.x, c.y])
                        .collect(),
                ],
            });
        }
        ConflictView {
            with: EntityView {
                id: other.id,
                owner: other.owner.clone(),
                kind: other.kind,
                ovn: other.ovn.clone(),
                version: other.version,
                detail: Detail::Withheld {
                    category: category.to_owned(),
                },
            },
            pairs,
        }
    }

    /// The view of `entity` given to `viewer`.
    pub fn view(&self, viewer: &PartyId, entity: &Entity, owner: Option<&Party>) -> EntityView {
        let detail = if !Self::may_locate(viewer, entity) {
            // Callers leave such entities out or use `withheld_conflict`; this is the safe
            // answer should one not.
            Detail::Withheld {
                category: String::new(),
            }
        } else if self.sees_in_full(viewer, entity, owner) {
            Detail::Full(entity.volumes.iter().map(VolumeSpec::from).collect())
        } else {
            Detail::Coarse(
                entity
                    .volumes
                    .iter()
                    .map(|v| {
                        let (cells, resolution) = self.cover(v.footprint().planar());
                        CoarseVolume {
                            time_start: v.time().start(),
                            time_end: v.time().end(),
                            altitude_lower_m: v.altitude().lower_m(),
                            altitude_upper_m: v.altitude().upper_m(),
                            cells,
                            resolution,
                        }
                    })
                    .collect(),
            )
        };
        EntityView {
            id: entity.id,
            owner: entity.owner.clone(),
            kind: entity.kind,
            ovn: entity.ovn.clone(),
            version: entity.version,
            detail,
        }
    }

    /// A conflict as `viewer` (whose volumes are the "own" side) may see it.
    pub fn conflict(
        &self,
        viewer: &PartyId,
        c: &Conflict,
        other: &Entity,
        owner: Option<&Party>,
    ) -> ConflictView {
        ConflictView {
            with: self.view(viewer, other, owner),
            pairs: c.pairs.iter().map(pair).collect(),
        }
    }

    /// A coarse outer volume of `v` for the F3548 USS API, which has no cells: a lon/lat box
    /// containing the footprint, its edges snapped outward to a grid as fine as the coarse cells
    /// (their edge length) with one more grid step of margin, so it is never smaller than the
    /// real extent and says no more of it than the cells do. Each edge is drawn with 16 vertices,
    /// so that it lies within the margin of the parallel or meridian whether its edges are read
    /// as straight lines in lon/lat or as geodesics. Window and band are the volume's (they are
    /// disclosed anyway).
    pub fn outer_box(&self, v: &Volume4d) -> VolumeSpec {
        let step = self.h3_resolution.edge_length_km() / 111.32;
        let ring = &v.footprint().planar().exterior().0;
        let fold = |f: fn(f64, f64) -> f64, get: fn(&deconflict_core::geo::Coord) -> f64| {
            ring.iter().map(get).reduce(f).unwrap_or(0.0)
        };
        let snap_down = |x: f64| (x / step).floor() * step - step;
        let snap_up = |x: f64| (x / step).ceil() * step + step;
        let west = snap_down(fold(f64::min, |c| c.x)).max(-180.0);
        let east = snap_up(fold(f64::max, |c| c.x)).min(180.0);
        let south = snap_down(fold(f64::min, |c| c.y)).max(-90.0);
        let north = snap_up(fold(f64::max, |c| c.y)).min(90.0);
        const N: u32 = 16;
        let along = |a: [f64; 2], b: [f64; 2]| {
            (0..N).map(move |i| {
                let t = f64::from(i) / f64::from(N);
                [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
            })
        };
        let corners = [[west, south], [east, south], [east, north], [west, north]];
        let vertices = (0..4)
            .flat_map(|i| along(corners[i], corners[(i + 1) % 4]))
            .collect();
        VolumeSpec {
            footprint: deconflict_core::FootprintSpec::Polygon { vertices },
            altitude_lower_m: v.altitude().lower_m(),
            altitude_upper_m: v.altitude().upper_m(),
            time_start: v.time().start(),
            time_end: v.time().end(),
        }
    }

    /// The H3 cells covering `polygon`, at the configured resolution or coarser so that there are
    /// at most `max_cells`; sorted.
    fn cover(&self, polygon: &Polygon) -> (Vec<String>, u8) {
        let mut res = self.h3_resolution;
        loop {
            let mut tiler = TilerBuilder::new(res)
                .containment_mode(ContainmentMode::Covers)
                .build();
            // Validation already refuses what the tiler would; such a polygon gets no cells
            // rather than a made-up cover.
            if tiler.add(polygon.clone()).is_err() {
                return (Vec::new(), u8::from(res));
            }
            let coarser = res.pred();
            if let Some(c) = coarser
                && tiler.coverage_size_hint() > self.max_cells * 8
            {
                res = c;
                continue;
            }
            let mut cells: Vec<String> = tiler.into_coverage().map(|c| c.to_string()).collect();
            cells.sort_unstable();
            cells.dedup();
            match coarser {
                Some(c) if cells.len() > self.max_cells => res = c,
                _ => return (cells, u8::from(res)),
            }
        }
    }
}

fn pair(p: &VolumePair) -> PairView {
    let i = &p.intersection;
    PairView {
        own_volume: p.own_volume,
        other_volume: p.other_volume,
        time_start: i.time.start(),
        time_end: i.time.end(),
        altitude_lower_m: i.altitude.lower_m(),
        altitude_upper_m: i.altitude.upper_m(),
        footprint: rings(&i.footprint),
    }
}

#[cfg(test)]
#[path = "disclosure_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "outer_box_tests.rs"]
mod outer_box_tests;
