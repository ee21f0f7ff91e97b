//! The exact footprint test on plain coordinate slices: do two closed rings (planar lon/lat,
//! their interiors included) share a point? Used by [`crate::Footprint::intersects`] and by the
//! index, which keeps its rings in one contiguous arena — so there is one exact rule.
//!
//! Written here rather than calling `geo`'s `Polygon: Intersects<Polygon>`, which measured as a
//! quarter of a theatre query: it needs owned polygons, tests every pair of edges and derives a
//! bounding box per pair. This keeps `geo`'s exact predicates (robust `Line` intersection,
//! Shewchuk's orientation test) but first drops every edge outside the overlap of the two
//! bounding boxes, where it cannot meet the other ring. The property tests hold it to a
//! brute-force oracle and the theatre benchmark to PostGIS, query by query.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Intersects, Line, Rect};
use smallvec::SmallVec;

/// Whether closed rings `a` and `b`, with bounding boxes `a_box` and `b_box`, intersect
/// (touching counts).
pub(crate) fn rings_intersect(a: &[Coord], a_box: &Rect, b: &[Coord], b_box: &Rect) -> bool {
    let lo = Coord {
        x: a_box.min().x.max(b_box.min().x),
        y: a_box.min().y.max(b_box.min().y),
    };
    let hi = Coord {
        x: a_box.max().x.min(b_box.max().x),
        y: a_box.max().y.min(b_box.max().y),
    };
    if lo.x > hi.x || lo.y > hi.y {
        return false;
    }
    // Each edge with its bounding box, kept only if that box meets the window. Theatre rings
    // have at most 16 edges, so b's usually fit on the stack.
    let boxed = |w: &[Coord]| {
        let l = Line::new(w[0], w[1]);
        let (x0, x1) = (l.start.x.min(l.end.x), l.start.x.max(l.end.x));
        let (y0, y1) = (l.start.y.min(l.end.y), l.start.y.max(l.end.y));
        (x1 >= lo.x && x0 <= hi.x && y1 >= lo.y && y0 <= hi.y).then_some((l, [x0, x1, y0, y1]))
    };
    let theirs: SmallVec<[(Line, [f64; 4]); 24]> = b.windows(2).filter_map(boxed).collect();
    for (mine, [x0, x1, y0, y1]) in a.windows(2).filter_map(boxed) {
        for (t, [tx0, tx1, ty0, ty1]) in &theirs {
            if *tx1 >= x0 && *tx0 <= x1 && *ty1 >= y0 && *ty0 <= y1 && mine.intersects(t) {
                return true;
            }
        }
    }
    // The boundaries do not meet, so each vertex is strictly inside or strictly outside the other
    // ring: the rings intersect only if one holds the other, and then it holds its first vertex
    // (which must lie in the window).
    let held = |outer: &[Coord], inner: &[Coord]| {
        inner.first().is_some_and(|p| {
            p.x >= lo.x && p.x <= hi.x && p.y >= lo.y && p.y <= hi.y && strictly_inside(*p, outer)
        })
    };
    held(a, b) || held(b, a)
}

/// Even-odd crossing test for a point known not to lie on the ring, decided by exact orientation
/// (so no rounding can flip it). A ring that crosses itself is read as even-odd, as GEOS does.
fn strictly_inside(p: Coord, ring: &[Coord]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) {
            // The edge crosses the horizontal line through p; count it if it passes right of p.
            let o = RobustKernel::orient2d(a, b, p);
            let right = if b.y > a.y {
                o == Orientation::CounterClockwise
            } else {
                o == Orientation::Clockwise
            };
            if right {
                inside = !inside;
            }
        }
    }
    inside
}
