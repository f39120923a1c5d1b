//! Raw presentation bytes → verdict: reaches the CBOR/COSE parsers without Base45 in the
//! way (the bytes are wrapped in a valid `IDW1:` text first).
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::{qr, Verifier};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static VERIFIER: LazyLock<Verifier> = LazyLock::new(common::verifier);

fuzz_target!(|bytes: &[u8]| {
    let _ = VERIFIER.verify_text(&qr::to_text(bytes), common::NOW);
});
