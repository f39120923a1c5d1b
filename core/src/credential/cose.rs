//! COSE_Sign1 (RFC 9052) with ES256 — the only algorithm idwallet signs or accepts.
//!
//! Verification is byte-preserving: the protected header is checked over the bytes that
//! arrived, never a re-encoding (so the COSE WG `sign-pass-01` case, whose signature covers
//! an empty bstr while it carries an encoded empty map, is rejected — see docs/adr/0003).
//! The algorithm must be in the protected header.

use ciborium::Value;
use coset::{iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

use super::{malformed, CredentialError};

const COSE_SIGN1_TAG: u64 = 18;

/// Parse a COSE_Sign1, tagged 18 or untagged; any other tag is refused.
pub fn parse(bytes: &[u8]) -> Result<CoseSign1, CredentialError> {
    let value: Value = ciborium::from_reader(bytes).map_err(|_| malformed("COSE_Sign1 is not CBOR"))?;
    let value = match value {
        Value::Tag(COSE_SIGN1_TAG, inner) => *inner,
        Value::Tag(..) => return Err(malformed("unexpected CBOR tag on COSE_Sign1")),
        other => other,
    };
    use coset::AsCborValue;
    CoseSign1::from_cbor_value(value).map_err(|_| malformed("not a COSE_Sign1"))
}

/// Check that `sign1` is ES256 and verifies under `public_key` (SEC1 P-256) with
/// `external_aad`.
pub fn verify_es256(sign1: &CoseSign1, external_aad: &[u8], public_key: &[u8]) -> Result<(), CredentialError> {
    if sign1.protected.header.alg != Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) {
        return Err(CredentialError::UnsupportedAlgorithm);
    }
    sign1
        .verify_signature(external_aad, |sig, data| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key).verify(data, sig).map_err(|_| ())
        })
        .map_err(|()| CredentialError::BadIssuerSignature)
}

/// Build an ES256 COSE_Sign1 over `payload`; `sign` returns the 64-byte `r ‖ s` signature
/// of the Sig_structure it is given (a key store, or an issuer key).
pub fn sign_es256<E>(
    kid: Option<&[u8]>,
    extra_protected: Vec<(i64, Value)>,
    payload: Vec<u8>,
    external_aad: &[u8],
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<CoseSign1, E> {
    let mut header = HeaderBuilder::new().algorithm(iana::Algorithm::ES256);
    if let Some(kid) = kid {
        header = header.key_id(kid.to_vec());
    }
    for (label, value) in extra_protected {
        header = header.value(label, value);
    }
    let mut sign1 = CoseSign1Builder::new().protected(header.build()).payload(payload).build();
    sign1.signature = sign(&sign1.tbs_data(external_aad))?;
    Ok(sign1)
}

/// Serialise untagged.
pub fn to_bytes(sign1: CoseSign1) -> Vec<u8> {
    sign1.to_vec().expect("serialising a COSE_Sign1 to memory cannot fail")
}

/// Serialise with tag 18.
pub fn to_tagged_bytes(sign1: CoseSign1) -> Vec<u8> {
    use coset::TaggedCborSerializable;
    sign1.to_tagged_vec().expect("serialising a COSE_Sign1 to memory cannot fail")
}

/// The key id from the protected header (where idwallet puts it), else the unprotected one.
pub fn key_id(sign1: &CoseSign1) -> &[u8] {
    if sign1.protected.header.key_id.is_empty() {
        &sign1.unprotected.key_id
    } else {
        &sign1.protected.header.key_id
    }
}
