//! Lines of the benchmark workload file: any bytes → a record → a volume, never a panic.
#![no_main]

use deconflict_bench::theatre::{TheatreVolume, limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rec) = serde_json::from_slice::<TheatreVolume>(data) {
        let _ = rec.to_volume(&limits());
    }
});
