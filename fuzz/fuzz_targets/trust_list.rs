//! A trust-list file, as a desk verifier is given it → a trust list or a typed error,
//! never a panic; a list that parses then verifies a valid presentation of the fuzz issuer
//! (a seed of `verify_cbor`), so key ids, keys and validity dates from the file are used.
#![no_main]

use idwallet_core::credential::{qr, Profile, TrustList};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const PRESENTATION: &[u8] = include_bytes!("../corpus/verify_cbor/valid-hotel-resident_id_card.cbor");

fuzz_target!(|bytes: &[u8]| {
    if let Ok(trust) = TrustList::from_cbor(bytes) {
        let _ = common::verifier(Profile::hotel(), trust).verify_text(&qr::to_text(PRESENTATION), common::NOW);
    }
});
