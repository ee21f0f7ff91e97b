//! Volumes as the API receives them: any bytes → JSON → validation → the exact rule and the index.
//! Nothing may panic; whatever validates must intersect itself and be found by the index.
#![no_main]

use deconflict_core::{SpatialTemporalIndex, VolumeLimits, VolumeSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(specs) = serde_json::from_slice::<Vec<VolumeSpec>>(data) else {
        return;
    };
    let Ok(volumes) = VolumeSpec::to_volumes(&specs, &VolumeLimits::default()) else {
        return;
    };
    let index = SpatialTemporalIndex::bulk_load(volumes.iter().enumerate().map(|(i, v)| (i, std::slice::from_ref(v))));
    for (i, v) in volumes.iter().enumerate() {
        assert!(v.intersects(v), "a volume must intersect itself");
        assert!(index.query(std::slice::from_ref(v)).contains(&i), "the index must find it");
        for w in &volumes {
            assert_eq!(v.intersects(w), w.intersects(v), "the rule is symmetric");
        }
    }
});
