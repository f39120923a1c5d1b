//! A consulate's input → verdict: any bytes as a report PDF, and any string as a seal's QR
//! text, must give a verdict or a typed error, never a panic (the PDF parser included). The
//! seeds are a report and its seal from the fixed fuzz issuer (`common.rs`), so mutants get
//! past the signatures to the embedded report, the seal binding and the page comparison.
#![no_main]

use std::sync::LazyLock;

use idwallet_core::credential::TrustList;
use idwallet_core::report;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static TRUST: LazyLock<TrustList> = LazyLock::new(common::trust);

fuzz_target!(|data: &[u8]| {
    let _ = report::verify_pdf(data, &TRUST, common::NOW);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = report::verify_seal(text, &TRUST, common::NOW);
    }
});
