//! The in-memory spatial-temporal index: every live volume, filed under its bounding box in
//! (lon, lat, time) in an `rstar` R*-tree, then confirmed by the exact rule of
//! [`Volume4d::intersects`].
//!
//! The layout was chosen by measurement on the theatre workload (`deconflict bench theatre`,
//! `cargo bench -p deconflict-bench`); each step roughly doubled or added a third:
//! - The tree is 3D. Altitude bands of real traffic overlap most of the time, so as a fourth
//!   axis it diluted the tree's partitioning; it is checked in the leaf instead.
//! - Leaves are small — a box in `f32` rounded outwards (so it always contains the true box), the
//!   altitude band likewise, and a `u32` handle — so nodes are dense.
//! - What the exact test reads sits in one 64-byte record per volume (exact time, altitude and
//!   bounding box, and where its ring lies) and one contiguous arena of ring coordinates, instead
//!   of behind the three pointers of a `geo::Polygon`: a candidate costs two cache misses.
//! - The tree is walked by rstar's internal iteration, not its iterator.
//!
//! The index is generic over the key so that the airspace files entity ids and the benchmark
//! files workload ids through the very same code.

use std::hash::Hash;
use std::ops::ControlFlow;

use geo::{Coord, Rect};
use rstar::{
    AABB, Envelope, RStarInsertionStrategy, RTree, RTreeObject, RTreeParams, SelectionFunction,
};
use rustc_hash::FxHashMap;

use crate::ring::rings_intersect;
use crate::volume::Volume4d;

/// Node sizes of the tree: 8 to 32 measured alike; rstar's default of 6 was slower.
#[derive(Debug, Clone, Copy)]
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type Box3 = AABB<[f32; 3]>;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Leaf {
    envelope: Box3,
    /// The altitude band, rounded outwards.
    altitude: [f32; 2],
    handle: u32,
}

impl RTreeObject for Leaf {
    type Envelope = Box3;

    fn envelope(&self) -> Box3 {
        self.envelope
    }
}

/// Selects the leaf of one handle, descending only into nodes whose box contains its box.
struct ByHandle(Leaf);

impl SelectionFunction<Leaf> for ByHandle {
    fn should_unpack_parent(&self, envelope: &Box3) -> bool {
        envelope.contains_envelope(&self.0.envelope)
    }

    fn should_unpack_leaf(&self, leaf: &Leaf) -> bool {
        leaf.handle == self.0.handle
    }
}

/// The arena is compacted once at least this many coordinates, and half of it, are garbage.
const COMPACT_MIN_GARBAGE: usize = 4096;

/// Seconds from the Unix epoch to 2020-01-01, the origin of the time axis (so that `f32` keeps
/// about 16 s of resolution for decades; the exact test decides anyway).
const TIME_ORIGIN_S: f64 = 1_577_836_800.0;

fn down(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) > x { f.next_down() } else { f }
}

fn up(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) < x { f.next_up() } else { f }
}

/// What the exact test reads of one volume, in one cache line.
#[derive(Debug, Clone, Copy)]
struct Hot {
    /// Microseconds since the Unix epoch, `[t0, t1)`.
    t0: i64,
    t1: i64,
    /// Metres, closed.
    lower_m: f64,
    upper_m: f64,
    bbox: Rect,
    /// The closed ring is `coords[start..start + len]`.
    start: u32,
    len: u32,
}

impl Hot {
    fn of(v: &Volume4d, start: u32) -> Self {
        let ring = &v.footprint().planar().exterior().0;
        Self {
            t0: v.time().start().timestamp_micros(),
            t1: v.time().end().timestamp_micros(),
            lower_m: v.altitude().lower_m(),
            upper_m: v.altitude().upper_m(),
            bbox: v.footprint().bbox(),
            start,
            // Rings are at most a few thousand vertices (validation bounds them).
            len: u32::try_from(ring.len()).unwrap_or(u32::MAX),
        }
    }

    fn leaf(&self, handle: u32) -> Leaf {
        let t0 = self.t0 as f64 / 1e6 - TIME_ORIGIN_S;
        let t1 = self.t1 as f64 / 1e6 - TIME_ORIGIN_S;
        Leaf {
            envelope: AABB::from_corners(
                [down(self.bbox.min().x), down(self.bbox.min().y), down(t0)],
                [up(self.bbox.max().x), up(self.bbox.max().y), up(t1)],
            ),
            altitude: [down(self.lower_m), up(self.upper_m)],
            handle,
        }
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// Every live volume, answering "which keys have a volume intersecting this 4D volume".
#[derive(Debug, Clone)]
pub struct SpatialTemporalIndex<K> {
    tree: RTree<Leaf, Params>,
    /// By handle.
    hot: Vec<Hot>,
    /// By handle; `None` for a free handle.
    keys: Vec<Option<K>>,
    free: Vec<u32>,
    handles: FxHashMap<K, Vec<u32>>,
    /// Ring coordinates of every live volume, and some of removed ones (`garbage` of them) until
    /// the arena is compacted.
    coords: Vec<Coord>,
    garbage: usize,
}

impl<K> Default for SpatialTemporalIndex<K> {
    fn default() -> Self {
        Self {
            tree: RTree::new_with_params(),
            hot: Vec::new(),
            keys: Vec::new(),
            free: Vec::new(),
            handles: FxHashMap::default(),
            coords: Vec::new(),
            garbage: 0,
        }
    }
}

impl<K: Clone + Eq + Hash + Ord> SpatialTemporalIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an index of many keys at once (bulk loading: a far better tree, far faster than
    /// inserting one by one). A key given twice keeps all its volumes.
    pub fn bulk_load<'a>(items: impl IntoIterator<Item = (K, &'a [Volume4d])>) -> Self {
        let mut index = Self::default();
        let mut leaves = Vec::new();
        for (key, volumes) in items {
            for v in volumes {
                leaves.push(index.allocate(key.clone(), v));
            }
        }
        index.tree = RTree::bulk_load_with_params(leaves);
        index
    }

    fn allocate(&mut self, key: K, volume: &Volume4d) -> Leaf {
        // The arena is addressed by u32: 4 billion vertices would not fit in memory first.
        let start = u32::try_from(self.coords.len()).unwrap_or(u32::MAX);
        self.coords
            .extend_from_slice(&volume.footprint().planar().exterior().0);
        let hot = Hot::of(volume, start);
        let handle = match self.free.pop() {
            Some(h) => {
                self.hot[h as usize] = hot;
                self.keys[h as usize] = Some(key.clone());
                h
            }
            None => {
                let h = u32::try_from(self.hot.len()).unwrap_or(u32::MAX);
                self.hot.push(hot);
                self.keys.push(Some(key.clone()));
                h
            }
        };
        self.handles.entry(key).or_default().push(handle);
        hot.leaf(handle)
    }

    /// Number of volumes held.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether no volume is held.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Files `volumes` under `key`, beside any it already has.
    pub fn insert(&mut self, key: K, volumes: &[Volume4d]) {
        for v in volumes {
            let leaf = self.allocate(key.clone(), v);
            self.tree.insert(leaf);
        }
    }

    /// Removes every volume filed under `key`. Returns how many there were.
    pub fn remove(&mut self, key: &K) -> usize {
        let Some(handles) = self.handles.remove(key) else {
            return 0;
        };
        for &handle in &handles {
            let h = handle as usize;
            if let (Some(hot), Some(slot)) = (self.hot.get(h), self.keys.get_mut(h))
                && slot.take().is_some()
            {
                self.tree
                    .remove_with_selection_function(ByHandle(hot.leaf(handle)));
                self.garbage += hot.len as usize;
                self.free.push(handle);
            }
        }
        if self.garbage > COMPACT_MIN_GARBAGE && self.garbage * 2 > self.coords.len() {
            self.compact();
        }
        handles.len()
    }

    /// Rewrites the arena with only live rings.
    fn compact(&mut self) {
        let mut coords = Vec::with_capacity(self.coords.len() - self.garbage);
        for (hot, key) in self.hot.iter_mut().zip(&self.keys) {
            if key.is_some() {
                let start = u32::try_from(coords.len()).unwrap_or(u32::MAX);
                coords.extend_from_slice(&self.coords[hot.range()]);
                hot.start = start;
            }
        }
        self.coords = coords;
        self.garbage = 0;
    }

    /// Calls `f(key)` for every held volume that intersects `query` exactly. A key with several
    /// intersecting volumes is reported once per volume.
    pub fn for_each_intersecting(&self, query: &Volume4d, mut f: impl FnMut(&K)) {
        let q = Hot::of(query, 0);
        let ring = &query.footprint().planar().exterior().0;
        let probe = q.leaf(0);
        let [lower, upper] = probe.altitude;
        let _ = self
            .tree
            .locate_in_envelope_intersecting_int(probe.envelope, |leaf| {
                let h = leaf.handle as usize;
                if leaf.altitude[0] <= upper
                    && lower <= leaf.altitude[1]
                    && let (Some(hot), Some(Some(key))) = (self.hot.get(h), self.keys.get(h))
                    && hot.t0 < q.t1
                    && q.t0 < hot.t1
                    && hot.lower_m <= q.upper_m
                    && q.lower_m <= hot.upper_m
                    && let Some(theirs) = self.coords.get(hot.range())
                    && rings_intersect(theirs, &hot.bbox, ring, &q.bbox)
                {
                    f(key);
                }
                ControlFlow::<()>::Continue(())
            });
    }

    /// The keys with a volume intersecting any of `query`, sorted and without repeats.
    pub fn query(&self, query: &[Volume4d]) -> Vec<K> {
        let mut out = Vec::new();
        for q in query {
            self.for_each_intersecting(q, |k| out.push(k.clone()));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
