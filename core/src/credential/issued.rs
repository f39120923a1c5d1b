//! What an issuer hands the holder, read by holder and verifier alike: the CWT claim
//! keys, the salted disclosures and the credential the wallet keeps.

use ciborium::Value;
use serde::{Deserialize, Serialize};

use super::cbor::encode;

/// CWT claim keys (RFC 8392, RFC 8747) and idwallet's private claims (< -65536).
/// No `iss`: the protected key id names the issuer, and the trust list its name.
pub(crate) mod claim {
    pub const EXP: i64 = 4;
    pub const IAT: i64 = 6;
    pub const CNF: i64 = 8;
    /// Token Status List reference (draft-ietf-oauth-status-list, requested assignment).
    pub const STATUS: i64 = 65535;
    pub const DOC_KIND: i64 = -65537;
    pub const DIGESTS: i64 = -65538;
}

/// Element digests are SHA-256 truncated to 128 bits, the byte budget's price (ADR 0003):
/// a forger needs a second preimage of a salted value, 2^128 work.
pub(crate) const DIGEST_LEN: usize = 16;

pub(crate) fn digest_of(encoded_disclosure: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, encoded_disclosure).as_ref()[..DIGEST_LEN].to_vec()
}

#[cfg(feature = "issuer")]
pub(crate) fn kid_of(public_key: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, public_key).as_ref()[..8].to_vec()
}

/// One element with the salt that hides it until disclosed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disclosure {
    #[serde(with = "serde_bytes")]
    pub salt: Vec<u8>,
    pub id: String,
    pub value: Value,
}

impl Disclosure {
    pub(crate) fn to_value(&self) -> Value {
        Value::Array(vec![Value::Bytes(self.salt.clone()), Value::Text(self.id.clone()), self.value.clone()])
    }

    /// `SHA-256(CBOR([salt, id, value]))` truncated to [`DIGEST_LEN`] bytes: what the
    /// issuer signs in place of the value.
    pub(crate) fn digest(&self) -> Vec<u8> {
        digest_of(&encode(&self.to_value()))
    }
}

/// What the holder keeps for one document: the issuer's COSE bytes and every element
/// with its salt, to disclose some of them later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuerCredential {
    #[serde(with = "serde_bytes")]
    pub cose: Vec<u8>,
    pub disclosures: Vec<Disclosure>,
    pub issued_at: i64,
    pub expires_at: i64,
}
