//! Crash safety: a child process commits groups of entities (each group one transaction, with a
//! notification) from several threads and prints each acknowledged group; the parent kills it
//! with SIGKILL at a random moment, reopens the store and checks that every acknowledged group is
//! there whole and no group is there in part — for many rounds on one directory.
//!
//! The child is this very test binary, re-run on the ignored test [`child_writes_until_killed`]
//! with `DECONFLICT_CRASH_DIR` set: no extra binary target, and the child runs exactly the code
//! under test.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use deconflict_core::Event;
use deconflict_store::StoreError;
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::testing::fixtures::{Rng, entity, far_volume, news, party, read, t0, tx};

const DIR_VAR: &str = "DECONFLICT_CRASH_DIR";
const ROUND_VAR: &str = "DECONFLICT_CRASH_ROUND";
const CHILD: &str = "crash::child_writes_until_killed";
const ROUNDS: u64 = 24;
const THREADS: u64 = 4;
const GROUP: u128 = 5;

/// Group `g`'s entities have ids `g << 8 | i`.
fn group_of(id: u128) -> u128 {
    id >> 8
}

/// The writer: runs only as the child of [`killed_writers_lose_no_acknowledged_group`].
#[test]
#[ignore = "the child process of the crash test"]
fn child_writes_until_killed() {
    let (Ok(dir), Ok(round)) = (std::env::var(DIR_VAR), std::env::var(ROUND_VAR)) else {
        return;
    };
    let round: u128 = round.parse().expect("a round number");
    let store = EmbeddedStore::open(dir.as_ref()).expect("the child opens the store");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let store = &store;
            scope.spawn(move || {
                // Bounded, so that a child nobody kills still stops by itself.
                for n in 0..100_000u128 {
                    if started.elapsed() > Duration::from_secs(60) {
                        return;
                    }
                    let g = (round << 40) | (u128::from(thread) << 32) | n;
                    tx(store, |tx| {
                        for i in 0..GROUP {
                            tx.put_entity(entity(g << 8 | i, "alpha", vec![far_volume()]))?;
                        }
                        tx.notify(news("alpha", g << 8, None), t0())
                    })
                    .expect("committed");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {g}").expect("printed");
                    out.flush().expect("flushed");
                }
            });
        }
    });
}

/// Starts the child of round `round`; returns it and a channel of the groups it acknowledges.
fn spawn_child(dir: &std::path::Path, round: u64) -> (std::process::Child, mpsc::Receiver<u128>) {
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(ROUND_VAR, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped");
    let (acks, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(g) = line.strip_prefix("ack ") {
                let _ = acks.send(g.parse().expect("a group id"));
            }
        }
    });
    (child, received)
}

#[test]
fn killed_writers_lose_no_acknowledged_group() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    println!("crash test seed {seed}");
    let mut rng = Rng::new(seed);
    let mut acked = BTreeSet::new();
    for round in 0..ROUNDS {
        let (mut child, received) = spawn_child(dir.path(), round);
        // Wait for the child to be writing, then let it run a random while.
        let first = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the child acknowledges a first group");
        acked.insert(first);
        std::thread::sleep(Duration::from_millis(rng.below(200)));
        if round.is_multiple_of(4) {
            let refused = EmbeddedStore::open(dir.path()).expect_err("the child holds the lock");
            assert!(
                matches!(refused, StoreError::Unavailable { .. }),
                "{refused}"
            );
        }
        child.kill().expect("killed");
        child.wait().expect("reaped");
        // Everything the child printed before it died was acknowledged.
        let before = acked.len();
        acked.extend(received.iter());
        let this_round = acked.len() - before + 1;

        let store = EmbeddedStore::open(dir.path()).expect("reopens after a crash");
        let (entities, inbox) = read(&store, |v| {
            Ok((v.entities()?, v.inbox(&party("alpha"), 0, usize::MAX)?))
        })
        .expect("read");
        let mut groups: BTreeMap<u128, u128> = BTreeMap::new();
        for e in &entities {
            *groups.entry(group_of(e.id.0.as_u128())).or_default() += 1;
        }
        for (g, count) in &groups {
            assert_eq!(*count, GROUP, "round {round}: group {g} is partly there");
        }
        let notified: BTreeSet<u128> = inbox
            .iter()
            .map(|n| match &n.event {
                Event::EntityChanged { entity, .. } => group_of(entity.0.as_u128()),
                other => panic!("the writer records only entity changes, found {other:?}"),
            })
            .collect();
        assert_eq!(notified.len(), inbox.len(), "one notification per group");
        assert!(
            notified.iter().eq(groups.keys()),
            "round {round}: a group's entities and its notification commit together"
        );
        let missing: Vec<_> = acked.iter().filter(|g| !groups.contains_key(g)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged groups lost: {missing:?}"
        );
        let max_id = inbox.iter().map(|n| n.id).max().unwrap_or(0);
        let next = tx(&store, |tx| tx.notify(news("bravo", 1, None), t0())).expect("notified");
        assert!(
            next.id > max_id,
            "notification ids are not reused after a crash"
        );
        println!(
            "round {round}: {this_round} acknowledged, {} groups stored, {} unacknowledged",
            groups.len(),
            groups.len() - acked.len()
        );
    }
}
