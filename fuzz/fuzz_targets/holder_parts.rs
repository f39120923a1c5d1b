//! What a holder-turned-attacker controls, reassembled and re-signed as they can. The input
//! is CBOR `[disclosures, audience, created, kind]`; the harness puts it beside a valid
//! issuer credential of that kind bound to the fixed fuzz device (`fuzz/fixtures`) and signs
//! the device part with that device's key over the disclosed ids. Every mutant thus carries
//! a valid issuer signature and a valid device signature, and reaches disclosure parsing,
//! salts, digests, duplicates, over-disclosure, freshness, audience and status — which
//! mutating a signed presentation cannot (any change breaks the device signature). Seeds
//! and fixtures: `core/tests/fuzz_seeds.rs`.
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::Verifier;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// The issuer credentials (COSE_Sign1) the seeds' disclosures belong to, one per kind in
/// `DocumentKind::ALL` order, issued to the fuzz device (committed: issuing again would
/// draw new salts).
const ISSUED: [&[u8]; 5] = [
    include_bytes!("../fixtures/0.cose"),
    include_bytes!("../fixtures/1.cose"),
    include_bytes!("../fixtures/2.cose"),
    include_bytes!("../fixtures/3.cose"),
    include_bytes!("../fixtures/4.cose"),
];

static WORLD: LazyLock<([Verifier; 2], common::Device)> = LazyLock::new(|| (common::verifiers(), common::device()));

fuzz_target!(|bytes: &[u8]| {
    let Some(parts) = common::HolderParts::parse(bytes) else { return };
    let (verifiers, device) = &*WORLD;
    let Some(text) = parts.reassemble(ISSUED[parts.kind % ISSUED.len()], device) else { return };
    for verifier in verifiers {
        let _ = verifier.verify_text(&text, common::NOW);
    }
});
