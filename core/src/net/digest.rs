//! RFC 9530 `Content-Digest`: `sha-256=:<base64>:` over the body as sent.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::digest::{digest, SHA256, SHA512};
use sfv::{BareItem, Dictionary, ListEntry, Parser};

use super::NetError;

/// The `Content-Digest` value idwallet sends: SHA-256 of `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(digest(&SHA256, body)))
}

/// Check `header` (a `Content-Digest` value) against `body`. Every algorithm we know that
/// the header lists must match, and at least one must be present.
pub fn verify_content_digest(header: &str, body: &[u8]) -> Result<(), NetError> {
    let dict: Dictionary = Parser::new(header).parse().map_err(|_| NetError::BadHeader { field: "Content-Digest" })?;
    let mut checked = 0;
    for (alg, entry) in &dict {
        let algorithm = match alg.as_str() {
            "sha-256" => &SHA256,
            "sha-512" => &SHA512,
            _ => continue, // RFC 9530: ignore algorithms we do not know
        };
        let ListEntry::Item(item) = entry else { return Err(NetError::BadHeader { field: "Content-Digest" }) };
        let BareItem::ByteSequence(expected) = &item.bare_item else {
            return Err(NetError::BadHeader { field: "Content-Digest" });
        };
        if digest(algorithm, body).as_ref() != expected.as_slice() {
            return Err(NetError::DigestMismatch);
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(NetError::DigestUnsupported);
    }
    Ok(())
}
