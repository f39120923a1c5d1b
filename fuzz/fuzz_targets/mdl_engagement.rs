//! A scanned mDL device engagement (ISO 18013-5 §8.2.1) — as bytes and as an `mdoc:` URI —
//! → an engagement or a typed error, never a panic; one that parses starts a reader
//! session (ECDH with its key) and a request. Seed: Annex D's engagement.
#![no_main]

use idwallet_core::mdl::engagement::DeviceEngagement;
use idwallet_core::mdl::reader::{road_check_request, ReaderSession};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(engagement) = DeviceEngagement::from_bytes(bytes) {
        let mut reader = ReaderSession::new(&engagement).expect("a parsed engagement has a valid key");
        reader.request(&road_check_request()).expect("a request is always encodable");
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = DeviceEngagement::from_uri(text);
    }
});
