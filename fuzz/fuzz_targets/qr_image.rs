//! A staff scanner's picture → the QR text or a typed error, never a panic: any bytes as
//! a PNG/JPEG to decode and search for a QR code.
//!
//! `qr::decode_luma` contains panics raised inside rxing (ZXing's port) and reports them
//! as "no code"; libFuzzer's panic hook would abort on those contained panics too, so the
//! default hook is restored: a panic that escapes our code still aborts the run (libfuzzer-
//! sys checks the unwinding result itself).
#![no_main]

use std::sync::Once;

use idwallet_core::credential::qr;
use libfuzzer_sys::fuzz_target;

static HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let _ = std::panic::take_hook();
    });
    let _ = qr::decode_image(data);
});
