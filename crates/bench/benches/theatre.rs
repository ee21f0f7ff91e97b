#![allow(
    clippy::expect_used,
    reason = "a benchmark aborts loudly on a broken workload"
)]
//! `cargo bench -p deconflict-bench`: the core's index on the shared theatre workload at 10k, 100k
//! and 1M ops — per-query cost (to see it grow about as log N) and bulk build time.
//!
//! The workload files are made once by `../shared/bench/gen_theatre.py` (override the path with
//! `DECONFLICT_THEATRE_GEN`) and cached in the system temp directory.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use deconflict_bench::theatre::{limits, read_volumes};
use deconflict_core::{SpatialTemporalIndex, Volume4d};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn workload(kind: &str, n: usize, seed: u32) -> Vec<(u64, Volume4d)> {
    let path = std::env::temp_dir().join(format!("deconflict-theatre-{kind}-{n}-{seed}.jsonl"));
    if !path.exists() {
        let generator = std::env::var_os("DECONFLICT_THEATRE_GEN").map_or_else(
            || {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../../shared/bench/gen_theatre.py")
            },
            PathBuf::from,
        );
        let tmp = path.with_extension("partial");
        let out = std::fs::File::create(&tmp).expect("temp dir writable");
        let status = Command::new("python3")
            .arg(&generator)
            .args([
                "--kind",
                kind,
                "--n",
                &n.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .stdout(out)
            .status()
            .expect("python3 runs the generator");
        assert!(status.success(), "{} failed", generator.display());
        std::fs::rename(&tmp, &path).expect("rename workload");
    }
    read_volumes(&path, &limits()).expect("a valid workload")
}

fn queries() -> &'static [(u64, Volume4d)] {
    static Q: OnceLock<Vec<(u64, Volume4d)>> = OnceLock::new();
    Q.get_or_init(|| workload("queries", 10_000, 2))
}

fn ops(n: usize) -> &'static [(u64, Volume4d)] {
    static OPS: [OnceLock<Vec<(u64, Volume4d)>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = SIZES.iter().position(|s| *s == n).expect("a known size");
    OPS[i].get_or_init(|| workload("ops", n, 1))
}

fn index(n: usize) -> &'static SpatialTemporalIndex<u64> {
    static IDX: [OnceLock<SpatialTemporalIndex<u64>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = SIZES.iter().position(|s| *s == n).expect("a known size");
    IDX[i].get_or_init(|| {
        SpatialTemporalIndex::bulk_load(ops(n).iter().map(|(id, v)| (*id, std::slice::from_ref(v))))
    })
}

/// One theatre query against an index of `n` ops (cycling through the 10k queries).
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 50)]
fn query(bencher: divan::Bencher, n: usize) {
    let index = index(n);
    let qs = queries();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % qs.len();
        index.query(std::slice::from_ref(&qs[i].1))
    });
}

/// Bulk-loading the index from `n` validated volumes.
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn build(bencher: divan::Bencher, n: usize) {
    let ops = ops(n);
    bencher
        .with_inputs(|| ops.to_vec())
        .bench_local_values(|ops| {
            SpatialTemporalIndex::bulk_load(
                ops.iter().map(|(id, v)| (*id, std::slice::from_ref(v))),
            )
        });
}

fn main() {
    divan::main();
}
