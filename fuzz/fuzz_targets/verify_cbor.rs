//! Raw presentation bytes → verdict: reaches the CBOR/COSE parsers without Base45 in the
//! way (the bytes are wrapped in a valid `IDW1:` text first). The seeds are valid
//! presentations of the fixed fuzz issuer (`common.rs`), so mutants reach disclosures,
//! digests, the device signature, freshness, audience and status; each input is checked by
//! a hotel desk and by the police, whose profiles differ.
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::{qr, Verifier};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static VERIFIERS: LazyLock<[Verifier; 2]> = LazyLock::new(common::verifiers);

fuzz_target!(|bytes: &[u8]| {
    let text = qr::to_text(bytes);
    for verifier in VERIFIERS.iter() {
        let _ = verifier.verify_text(&text, common::NOW);
    }
});
