//! A DeviceResponse as a police reader receives it (decrypted) → verified documents or a
//! typed error, never a panic: under ISO 18013-5 Annex D's session transcript, reader key
//! and pinned document signer, so a mutation of the Annex D response (the seed) is checked
//! all the way to its digests and device MAC. Also read as an IssuerSigned alone.
#![no_main]

use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::response::{verify_device_response, verify_issuer_signed, Session};
use libfuzzer_sys::fuzz_target;

const TRANSCRIPT: &[u8] = include_bytes!("../fixtures/mdl/annex-d-transcript.cbor");
const E_READER: &[u8] = include_bytes!("../fixtures/mdl/annex-d-e-reader.key");
const DS: &[u8] = include_bytes!("../fixtures/mdl/annex-d-ds.der");
/// 2021-01-01: inside the Annex D signer's validity.
const AT: i64 = 1_609_459_200;

fuzz_target!(|bytes: &[u8]| {
    let session = Session { transcript_bytes: TRANSCRIPT, e_reader_private: E_READER };
    let _ = verify_device_response(bytes, &session, Anchors::DocumentSigner(DS), AT);
    let _ = verify_issuer_signed(bytes, Anchors::DocumentSigner(DS), AT);
});
