//! The verifier's trust list: issuer public keys by key id, with their validity.

use serde::{Deserialize, Serialize};

use super::CredentialError;

/// One trusted issuer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// First 8 bytes of SHA-256 of the public key (as the EU DCC derives kids).
    #[serde(with = "serde_bytes")]
    pub kid: Vec<u8>,
    pub name: String,
    /// Uncompressed SEC1 P-256 point.
    #[serde(with = "serde_bytes")]
    pub public_key: Vec<u8>,
    /// The key may sign credentials issued in `[not_before, not_after]` (Unix seconds).
    pub not_before: i64,
    pub not_after: i64,
}

/// Issuer keys a verifier accepts, cached on the device for offline use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustList {
    pub issuers: Vec<TrustedIssuer>,
}

impl TrustList {
    pub fn new(issuers: Vec<TrustedIssuer>) -> Self {
        Self { issuers }
    }

    pub fn find(&self, kid: &[u8]) -> Result<&TrustedIssuer, CredentialError> {
        self.issuers.iter().find(|i| i.kid == kid).ok_or(CredentialError::UnknownIssuer)
    }

    /// CBOR, for caching and for files a desk verifier is given.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(self, &mut out).expect("writing CBOR to memory cannot fail");
        out
    }

    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CredentialError> {
        ciborium::from_reader(bytes).map_err(|_| super::malformed("trust list"))
    }
}
