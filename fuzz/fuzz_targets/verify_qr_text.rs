//! QR text → verdict: any string must give a verdict or a typed error, never a panic. The
//! seeds are valid presentations of the fixed fuzz issuer (`common.rs`).
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::Verifier;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static VERIFIERS: LazyLock<[Verifier; 2]> = LazyLock::new(common::verifiers);

fuzz_target!(|text: &str| {
    for verifier in VERIFIERS.iter() {
        let _ = verifier.verify_text(text, common::NOW);
    }
});
