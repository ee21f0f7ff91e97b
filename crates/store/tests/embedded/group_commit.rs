//! Group commit: concurrent transactions share durable commits. The assertion counts commits, not
//! time; the throughput measurement is an ignored test, run by hand:
//! `cargo test -p deconflict-store --release --test embedded -- --ignored --nocapture throughput`.

use std::time::Instant;

use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::testing::fixtures::{entity, far_volume, read, tx};

/// Runs `threads` × `each` transactions, each putting one small entity; returns the seconds
/// taken.
fn commit_many(store: &EmbeddedStore, threads: u128, each: u128) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for n in 0..each {
                    let e = entity((t << 32) | n, "alpha", vec![far_volume()]);
                    tx(store, |tx| tx.put_entity(e.clone())).expect("committed");
                }
            });
        }
    });
    started.elapsed().as_secs_f64()
}

#[test]
fn concurrent_transactions_share_durable_commits() {
    let fixture = super::fresh();
    let before = fixture.commits();
    commit_many(&fixture, 16, 50);
    let commits = fixture.commits() - before;
    let stored = read(&*fixture, |v| v.entities()).expect("read").len();
    assert_eq!(stored, 800);
    println!("800 transactions in {commits} durable commits");
    assert!(commits < 800, "{commits} commits for 800 transactions");
}

#[test]
#[ignore = "a measurement, run by hand"]
fn throughput() {
    for (threads, each) in [(1, 2000), (4, 1000), (16, 250), (64, 100)] {
        let fixture = super::fresh();
        let secs = commit_many(&fixture, threads, each);
        let n = threads * each;
        let commits = fixture.commits();
        println!(
            "{threads:>3} threads: {n} transactions in {secs:.2} s = {:.0} tx/s, \
             {commits} commits ({:.1} tx per commit)",
            n as f64 / secs,
            n as f64 / commits as f64
        );
    }
}
