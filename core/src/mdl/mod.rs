//! ISO/IEC 18013-5 mobile driving licence (mDL): the cryptography a reader and a holder
//! share — session establishment ([`session`]: ECDH on the ephemeral keys, HKDF-derived
//! SKDevice / SKReader, AES-256-GCM SessionData with 18013-5's counters) — and the
//! reader's verification of a DeviceResponse ([`response`]: issuerAuth under the document
//! signer's certificate, every disclosed element's digest, the MSO's validity, the device
//! MAC or signature over the session transcript).
//!
//! Issue #21, first part: checked against ISO 18013-5 Annex D (`core/tests/mdl_annex_d.rs`).
//! Not yet here: issuing mdocs, device engagement, DeviceRequest consent, IACA chains.

pub mod response;
pub mod session;

use crate::credential::cbor::encode;
use crate::crypto::sha256;

/// The mDL document type and its namespace.
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

/// Why an mDL message was refused. Element identifiers (`family_name`) are the standard's
/// names, never values; nothing here carries personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdlError {
    #[error("the mDL message is malformed: {what}")]
    Malformed { what: &'static str },
    #[error("not a P-256 key")]
    BadKey,
    #[error("the session data does not decrypt (another session's key or counter, or altered)")]
    Decrypt,
    #[error("the document signer certificate cannot be read")]
    BadCertificate,
    #[error("the document signer certificate is not valid at this time")]
    CertificateNotValid,
    #[error("the issuer's signature does not verify")]
    BadIssuerSignature,
    #[error("unsupported: {what}")]
    Unsupported { what: &'static str },
    #[error("the document type is not the one the issuer signed")]
    DocTypeMismatch,
    #[error("the issuer's signed data (MSO) is not valid at this time")]
    NotValidNow,
    #[error("element {element} of {namespace} is not what the issuer signed")]
    DigestMismatch { namespace: String, element: String },
    #[error("the device's MAC or signature over this session does not verify")]
    BadDeviceAuth,
}

fn malformed(what: &'static str) -> MdlError {
    MdlError::Malformed { what }
}

/// Decode one CBOR item that must fill `bytes` exactly.
fn decode(bytes: &[u8], what: &'static str) -> Result<ciborium::Value, MdlError> {
    let mut reader = bytes;
    let value: ciborium::Value = ciborium::from_reader(&mut reader).map_err(|_| malformed(what))?;
    if !reader.is_empty() {
        return Err(malformed(what));
    }
    Ok(value)
}

/// The bytes inside `#6.24(bstr)` (18013-5's embedded CBOR).
fn tagged_bytes<'a>(value: &'a ciborium::Value, what: &'static str) -> Result<&'a [u8], MdlError> {
    match value {
        ciborium::Value::Tag(24, inner) => inner.as_bytes().map(Vec::as_slice).ok_or(malformed(what)),
        _ => Err(malformed(what)),
    }
}

/// `map[key]` for a text key.
fn field<'a>(map: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    map.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}
