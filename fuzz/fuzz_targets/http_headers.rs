//! Signature-Input / Signature / Content-Digest header values from a hostile server or
//! client → a typed error or a verdict, never a panic.
#![no_main]

use idwallet_core::net::digest::verify_content_digest;
use idwallet_core::net::httpsig::{self, Message, VerifyKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (input, signature, header) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let headers = vec![("content-type".to_owned(), header.to_owned()), ("content-digest".to_owned(), header.to_owned())];
    let request = Message { method: Some("POST"), target_uri: Some("https://example.com/a?b=c&d"), status: None, headers: &headers };
    let response = Message { method: None, target_uri: None, status: Some(200), headers: &headers };
    let key = [4u8; 65];
    let _ = httpsig::verify(&response, Some(&request), input, signature, "sig", VerifyKey::EcdsaP256Sha256(&key));
    let _ = httpsig::signature_base(&request, None, input, "sig");
    let _ = httpsig::label_tagged(input, "idwallet");
    let _ = httpsig::declared(input, "sig");
    let _ = verify_content_digest(header, data);
});
