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

use std::borrow::Borrow;
use std::hash::Hash;
use std::ops::ControlFlow;

use geo::{Coord, Rect};
use rstar::{
    AABB, Envelope, RStarInsertionStrategy, RTree, RTreeObject, RTreeParams, SelectionFunction,
};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::ring::rings_intersect;
use crate::volume::Volume4d;

/// Node sizes of the tree: 8 to 64 measured within 10% of each other at 100k ops, 32 best at 1M;
/// rstar's default of 6 was slower.
#[derive(Debug, Clone, Copy)]
struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 12;
    const MAX_SIZE: usize = 32;
    const REINSERTION_COUNT: usize = 8;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type Box3 = AABB<[f32; 3]>;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Leaf {
    envelope: Box3,
    /// The altitude band, rounded outwards.
    altitude: [f32; 2],
    handle: u32,
    /// The volume's block in the arena: `arena[start..start + len]`.
    start: u32,
    len: u32,
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

/// The exact values of one volume, stored as the first [`HEADER`] coordinates of its block in
/// the arena, right before its ring: `(t0, t1)` in µs since the Unix epoch (exact in `f64` for
/// ±285 years), `(lower, upper)` metres, then the bounding box's min and max corners.
const HEADER: usize = 4;

fn block(v: &Volume4d) -> impl Iterator<Item = Coord> + '_ {
    let b = v.footprint().bbox();
    let header = [
        Coord {
            x: v.time().start().timestamp_micros() as f64,
            y: v.time().end().timestamp_micros() as f64,
        },
        Coord {
            x: v.altitude().lower_m(),
            y: v.altitude().upper_m(),
        },
        b.min(),
        b.max(),
    ];
    header
        .into_iter()
        .chain(v.footprint().planar().exterior().0.iter().copied())
}

/// The leaf for a block: its boxes rounded outwards from the exact header.
fn leaf_of(block: &[Coord], handle: u32, start: u32) -> Leaf {
    let (t, alt, min, max) = (block[0], block[1], block[2], block[3]);
    let t0 = t.x / 1e6 - TIME_ORIGIN_S;
    let t1 = t.y / 1e6 - TIME_ORIGIN_S;
    Leaf {
        envelope: AABB::from_corners(
            [down(min.x), down(min.y), down(t0)],
            [up(max.x), up(max.y), up(t1)],
        ),
        altitude: [down(alt.x), up(alt.y)],
        handle,
        start,
        // Blocks are bounded by the vertex limit of validation.
        len: u32::try_from(block.len()).unwrap_or(u32::MAX),
    }
}

/// Every live volume, answering "which keys have a volume intersecting this 4D volume".
#[derive(Debug, Clone)]
pub struct SpatialTemporalIndex<K> {
    tree: RTree<Leaf, Params>,
    /// By handle; `None` for a free handle.
    keys: Vec<Option<K>>,
    /// By handle: where its block lies in `arena`.
    blocks: Vec<(u32, u32)>,
    free: Vec<u32>,
    /// By key: its volumes' handles (inline for the usual one or two).
    handles: FxHashMap<K, SmallVec<[u32; 2]>>,
    /// One block per live volume (header, then the closed ring), and the blocks of removed
    /// volumes (`garbage` coordinates of them) until the next [`Self::recluster`].
    arena: Vec<Coord>,
    garbage: usize,
}

impl<K> Default for SpatialTemporalIndex<K> {
    fn default() -> Self {
        Self {
            tree: RTree::new_with_params(),
            keys: Vec::new(),
            blocks: Vec::new(),
            free: Vec::new(),
            handles: FxHashMap::default(),
            arena: Vec::new(),
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
        Self::bulk_load_volumes(
            items
                .into_iter()
                .flat_map(|(key, volumes)| volumes.iter().map(move |v| (key.clone(), v))),
        )
    }

    /// As [`Self::bulk_load`], one `(key, volume)` at a time; owned volumes are dropped as soon
    /// as they are copied in, so that loading a million of them does not hold them twice.
    pub fn bulk_load_volumes<V: Borrow<Volume4d>>(items: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut index = Self::default();
        let mut leaves = Vec::new();
        for (key, volume) in items {
            leaves.push(index.allocate(key, volume.borrow()));
        }
        index.tree = RTree::bulk_load_with_params(leaves);
        index.recluster();
        index
    }

    fn allocate(&mut self, key: K, volume: &Volume4d) -> Leaf {
        // The arena is addressed by u32: 4 billion coordinates would not fit in memory first.
        let start = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.arena.extend(block(volume));
        let end = self.arena.len();
        let handle = match self.free.pop() {
            Some(h) => {
                self.keys[h as usize] = Some(key.clone());
                h
            }
            None => {
                let h = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
                self.keys.push(Some(key.clone()));
                self.blocks.push((0, 0));
                h
            }
        };
        let leaf = leaf_of(&self.arena[start as usize..end], handle, start);
        self.blocks[handle as usize] = (start, leaf.len);
        self.handles.entry(key).or_default().push(handle);
        leaf
    }

    /// Lays the arena and the handles out in the order of the tree's leaves, dropping the blocks
    /// of removed volumes: the candidates of one query, which sit in a few neighbouring leaves,
    /// then sit in a few contiguous stretches of memory (measured: a third off each hit at 1M).
    fn recluster(&mut self) {
        let order: Vec<u32> = self.tree.iter().map(|l| l.handle).collect();
        let mut arena = Vec::with_capacity(self.arena.len() - self.garbage);
        let mut keys = Vec::with_capacity(order.len());
        let mut blocks = Vec::with_capacity(order.len());
        let mut renumber = vec![u32::MAX; self.keys.len()];
        for (new, &old) in order.iter().enumerate() {
            let (start, len) = self.blocks[old as usize];
            let new_start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
            arena.extend_from_slice(&self.arena[start as usize..(start + len) as usize]);
            keys.push(self.keys[old as usize].take());
            blocks.push((new_start, len));
            renumber[old as usize] = u32::try_from(new).unwrap_or(u32::MAX);
        }
        for leaf in self.tree.iter_mut() {
            leaf.handle = renumber[leaf.handle as usize];
            leaf.start = blocks[leaf.handle as usize].0;
        }
        for hs in self.handles.values_mut() {
            for h in hs.iter_mut() {
                *h = renumber[*h as usize];
            }
        }
        self.arena = arena;
        self.keys = keys;
        self.blocks = blocks;
        self.free.clear();
        self.garbage = 0;
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
            let (start, len) = self.blocks[h];
            if self.keys[h].take().is_some() {
                let leaf = leaf_of(
                    &self.arena[start as usize..(start + len) as usize],
                    handle,
                    start,
                );
                self.tree.remove_with_selection_function(ByHandle(leaf));
                self.garbage += len as usize;
                self.free.push(handle);
            }
        }
        if self.garbage > COMPACT_MIN_GARBAGE && self.garbage * 2 > self.arena.len() {
            self.recluster();
        }
        handles.len()
    }

    /// Calls `f(key)` for every held volume that intersects `query` exactly. A key with several
    /// intersecting volumes is reported once per volume.
    pub fn for_each_intersecting(&self, query: &Volume4d, mut f: impl FnMut(&K)) {
        let q: Vec<Coord> = block(query).collect();
        let probe = leaf_of(&q, 0, 0);
        let (qt, qalt) = (q[0], q[1]);
        let q_box = Rect::new(q[2], q[3]);
        let [lower, upper] = probe.altitude;
        let _ = self
            .tree
            .locate_in_envelope_intersecting_int(probe.envelope, |leaf| {
                if leaf.altitude[0] <= upper
                    && lower <= leaf.altitude[1]
                    && let Some(b) = self
                        .arena
                        .get(leaf.start as usize..(leaf.start + leaf.len) as usize)
                    && b[0].x < qt.y
                    && qt.x < b[0].y
                    && b[1].x <= qalt.y
                    && qalt.x <= b[1].y
                    && rings_intersect(&b[HEADER..], &Rect::new(b[2], b[3]), &q[HEADER..], &q_box)
                    && let Some(Some(key)) = self.keys.get(leaf.handle as usize)
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
