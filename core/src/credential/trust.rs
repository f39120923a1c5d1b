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
    /// IACA root certificates (DER) for ISO 18013-5 mDLs (`crate::mdl::iaca`). Absent in
    /// lists written before mDLs were issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "der_list")]
    pub iaca: Vec<Vec<u8>>,
}

/// A list of byte strings as CBOR byte strings (not arrays of integers).
mod der_list {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::ByteBuf;

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|der| serde_bytes::Bytes::new(der)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Ok(Vec::<ByteBuf>::deserialize(d)?.into_iter().map(ByteBuf::into_vec).collect())
    }
}

impl TrustList {
    pub fn new(issuers: Vec<TrustedIssuer>) -> Self {
        Self { issuers, iaca: Vec::new() }
    }

    /// With these IACA roots (DER) for mDLs.
    pub fn with_iaca(mut self, roots: Vec<Vec<u8>>) -> Self {
        self.iaca = roots;
        self
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
