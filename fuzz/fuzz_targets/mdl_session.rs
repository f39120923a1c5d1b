//! What a reader sends the holder's phone, and what a phone sends a reader: a
//! SessionEstablishment into a fresh holder session, and a SessionData into a reader
//! session that has sent its request → a consent request or a typed error, never a panic.
//! Seeds: Annex D's SessionEstablishment and session termination.
#![no_main]

use idwallet_core::mdl::holder::{HolderSession, ReaderPolicy};
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::reader::{road_check_request, ReaderSession};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut holder = HolderSession::new(ReaderPolicy::police(), vec![]).expect("a fresh session");
    let _ = holder.receive_request(bytes);
    let mut reader = ReaderSession::new(holder.engagement()).expect("our own engagement");
    reader.request(&road_check_request()).expect("a request is always encodable");
    let _ = reader.receive(bytes, Anchors::Iaca(&[]), 1_800_000_000);
});
