//! Bearer tokens and Authorization headers as clients send them: any bytes must be refused or
//! accepted, never panic (the verifier trusts one fixed public key).
#![no_main]

use std::sync::OnceLock;

use deconflict_api::auth::Verifier;
use libfuzzer_sys::fuzz_target;

const KEY: &str = include_str!("../../crates/api/tests/fixtures/auth/test-only-rsa-public.pem");

fuzz_target!(|data: &[u8]| {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        Verifier::with_keys("deconflict", 30, &[KEY], None).expect("the fixture key loads")
    });
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = verifier.verify(text);
    let _ = verifier.verify_header(Some(text));
});
