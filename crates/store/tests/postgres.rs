//! The PostgreSQL store against a real server (`DECONFLICT_TEST_POSTGRES`, by default the local
//! one that `.ci/run` starts): the conformance suite every store passes, then what is particular
//! to SQL — migrations, retries under contention, and several stores (nodes) on one database.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failure aborts the test with its reason"
)]

#[path = "postgres/nodes.rs"]
mod nodes;
#[path = "postgres/schema.rs"]
mod schema;

use deconflict_store::postgres::testing::TempStore;

fn fresh() -> TempStore {
    TempStore::new().unwrap_or_else(|e| panic!("a PostgreSQL test database: {e}"))
}

deconflict_store::conformance_tests!(fresh);

/// A query too large for keys (a 2° square over two months: tens of thousands of them) falls back
/// to the envelope and still answers exactly: the entity inside is found, the far one is not.
#[test]
fn a_query_too_large_for_keys_still_answers_exactly() {
    use chrono::Duration;
    use deconflict_core::{AltitudeBand, Footprint, TimeWindow, Volume4d, VolumeLimits};
    use deconflict_store::postgres::cells::{MAX_QUERY_KEYS, query_keys};
    use deconflict_store::testing::fixtures::{Rng, entity, far_volume, read, t0, tx};

    let store = fresh();
    let near = entity(1, "alpha", vec![Rng::new(3).volume()]);
    let far = entity(2, "alpha", vec![far_volume()]);
    tx(&*store, |tx| {
        tx.put_entity(near.clone())?;
        tx.put_entity(far.clone())
    })
    .expect("written");
    let limits = VolumeLimits {
        max_area_km2: f64::MAX,
        ..VolumeLimits::default()
    };
    let square = Footprint::polygon(
        &[[35.0, 34.0], [37.0, 34.0], [37.0, 36.0], [35.0, 36.0]],
        &limits,
    )
    .expect("a square");
    let huge = Volume4d::new(
        square,
        AltitudeBand::all(),
        TimeWindow::new(t0() - Duration::days(30), t0() + Duration::days(30)).expect("a window"),
    );
    assert_eq!(
        query_keys(
            std::slice::from_ref(&huge),
            store.resolution(),
            MAX_QUERY_KEYS
        ),
        None,
        "the query must be too large for keys"
    );
    let found = read(&*store, |v| {
        v.entities_intersecting(std::slice::from_ref(&huge))
    })
    .expect("read");
    let ids: Vec<_> = found.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![near.id]);
}
