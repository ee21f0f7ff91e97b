//! F3548 request bodies as the DSS API receives them: any bytes → the standard's JSON →
//! `Volume4D` translation (units, references, times) → validation under each volume rule.
//! Nothing may panic; whatever validates must intersect itself, and an area of interest built
//! from it must find it.
#![no_main]

use deconflict_api::dss::wire::{PutOperationalIntentReferenceParameters, extents};
use deconflict_core::VolumeLimits;
use deconflict_service::dss::VolumeRules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = serde_json::from_slice::<PutOperationalIntentReferenceParameters>(data) else {
        return;
    };
    let Some(volumes) = params.extents else {
        return;
    };
    let Ok(volumes) = extents(&volumes) else {
        return;
    };
    let limits = VolumeLimits::default();
    for (i, v) in volumes.iter().enumerate() {
        for rules in [VolumeRules::OPERATIONAL_INTENT, VolumeRules::CONSTRAINT, VolumeRules::QUERY] {
            if let Ok(volume) = v.to_volume(&format!("extents[{i}]"), rules, &limits) {
                assert!(volume.intersects(&volume), "a volume must intersect itself");
                let mut area = v.clone();
                area.time_start = None;
                area.time_end = None;
                area.altitude_lower_m = None;
                area.altitude_upper_m = None;
                if let Ok(everywhere) = area.to_volume("area", VolumeRules::QUERY, &limits) {
                    assert!(everywhere.intersects(&volume), "an unbounded area finds it");
                }
            }
        }
    }
});
