//! QR text → verdict: any string must give a verdict or a typed error, never a panic.
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::Verifier;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static VERIFIER: LazyLock<Verifier> = LazyLock::new(common::verifier);

fuzz_target!(|text: &str| {
    let _ = VERIFIER.verify_text(text, common::NOW);
});
