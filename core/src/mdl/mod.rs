//! ISO/IEC 18013-5 mobile driving licence (mDL), holder and reader, sans I/O:
//! - [`session`]: ECDH on the ephemeral keys, HKDF-derived SKDevice / SKReader,
//!   AES-256-GCM SessionData with 18013-5's counters;
//! - [`engagement`]: DeviceEngagement and its `mdoc:` QR URI;
//! - [`holder`]: the wallet's side — parse the reader's DeviceRequest, show each requested
//!   element for consent under a [`holder::ReaderPolicy`], answer with the issuer-signed
//!   elements and a device signature over the session transcript (through the `KeyStore`);
//! - [`reader`]: the police reader — open the session from the engagement, request, and
//!   verify any wallet's DeviceResponse ([`response`]) against trusted IACA roots ([`iaca`]);
//! - [`issue`] (feature `issuer`): the IACA root, document signers, and the licence as an mdoc;
//! - [`transport`]: the radio is the platform's (BLE, NFC); a [`transport::Transport`] carries
//!   the messages, and an in-memory pair connects both sides in one process for tests.
//!
//! Checked against ISO 18013-5 Annex D (`core/tests/mdl_annex_d.rs`) and by an independent
//! implementation (`tests/python/mdl_interop.py`, pyMDOC-CBOR).

pub mod engagement;
pub mod holder;
pub mod iaca;
#[cfg(feature = "issuer")]
pub mod issue;
pub mod reader;
pub mod response;
pub mod session;
pub mod transport;

pub use ciborium::Value;

pub(crate) use crate::credential::cbor::encode;
use crate::crypto::sha256;

/// The mDL document type and its namespace.
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";
/// What a Chinese licence holds beyond 18013-5's data elements (penalty points, status,
/// first issue): a domestic namespace, as 18013-5 §7.2.1 allows (AAMVA's is
/// `org.iso.18013.5.1.aamva`). Ours is reverse-domain, not the standard's: no authority
/// has defined one for China.
pub const CN_NAMESPACE: &str = "org.idwallet.cn.dl.1";

/// Largest mDL message read (a DeviceResponse with a full-size portrait is ~10–60 kB).
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024;
/// CBOR nesting deeper than this is refused (18013-5 structures nest ≤ 8).
const MAX_DEPTH: usize = 16;

/// Why an mDL message was refused. Element identifiers (`family_name`) are the standard's
/// names, never values; nothing here carries personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdlError {
    #[error("the mDL message is malformed: {what}")]
    Malformed { what: &'static str },
    #[error("the mDL message is too large ({bytes} bytes)")]
    TooLarge { bytes: usize },
    #[error("the mDL message repeats a map key")]
    DuplicateKey,
    #[error("not a P-256 key")]
    BadKey,
    #[error("the session data does not decrypt (another session's key or counter, or altered)")]
    Decrypt,
    #[error("the document signer certificate cannot be read")]
    BadCertificate,
    #[error("the document signer certificate is not valid at this time")]
    CertificateNotValid,
    #[error("a trusted root (IACA) certificate cannot be read (DER or PEM X.509 expected)")]
    BadRoot,
    #[error("the trusted root (IACA) certificate is not valid at this time")]
    RootNotValid,
    #[error("the document signer was not issued by a trusted IACA root")]
    UntrustedSigner,
    #[error("the certificate does not follow the 18013-5 profile: {what}")]
    CertificateProfile { what: &'static str },
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
    #[error("the mdoc is bound to another device key")]
    OtherDevice,
    #[error("element {element} of {namespace} may not be given to this reader")]
    NotAllowed { namespace: String, element: String },
    #[error("the reader asked for no document this wallet holds")]
    NothingRequested,
    #[error("the wallet holds no mDL: refresh the documents")]
    NoMdoc,
    #[error("the session is not at this step (or has ended)")]
    OutOfOrder,
    #[error("the other side ended the session (status {status})")]
    Terminated { status: u64 },
    #[error("the device signature could not be made: {reason}")]
    Signing { reason: String },
    #[error("the transport failed: {reason}")]
    Transport { reason: String },
}

/// The CBOR of a value (a disclosed element's, for a caller that passes it on).
pub fn to_cbor(value: &Value) -> Vec<u8> {
    encode(value)
}

fn malformed(what: &'static str) -> MdlError {
    MdlError::Malformed { what }
}

/// Decode one CBOR item that must fill `bytes` exactly: bounded in size and depth, and no
/// map may repeat a key (two readers of the same bytes must not see different values).
pub(crate) fn decode(bytes: &[u8], what: &'static str) -> Result<Value, MdlError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(MdlError::TooLarge { bytes: bytes.len() });
    }
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH).map_err(|_| malformed(what))?;
    if !reader.is_empty() {
        return Err(malformed(what));
    }
    unique_keys(&value)?;
    Ok(value)
}

fn unique_keys(value: &Value) -> Result<(), MdlError> {
    match value {
        Value::Map(entries) => {
            let mut keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| encode(k)).collect();
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return Err(MdlError::DuplicateKey);
            }
            entries.iter().try_for_each(|(k, v)| unique_keys(k).and(unique_keys(v)))
        }
        Value::Array(items) => items.iter().try_for_each(unique_keys),
        Value::Tag(_, inner) => unique_keys(inner),
        _ => Ok(()),
    }
}

/// The bytes inside `#6.24(bstr)` (18013-5's embedded CBOR).
fn tagged_bytes<'a>(value: &'a Value, what: &'static str) -> Result<&'a [u8], MdlError> {
    match value {
        Value::Tag(24, inner) => inner.as_bytes().map(Vec::as_slice).ok_or(malformed(what)),
        _ => Err(malformed(what)),
    }
}

/// `#6.24(bstr .cbor value)`.
pub(crate) fn tagged(value: &Value) -> Value {
    Value::Tag(24, Box::new(Value::Bytes(encode(value))))
}

/// Decode the item embedded in `#6.24(bstr)`.
fn decode_tagged(value: &Value, what: &'static str) -> Result<Value, MdlError> {
    decode(tagged_bytes(value, what)?, what)
}

/// `map[key]` for a text key.
fn field<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

/// `map[key]` for an integer key.
fn int_field(map: &Value, key: i64) -> Option<&Value> {
    map.as_map()?.iter().find(|(k, _)| k.as_integer() == Some(key.into())).map(|(_, v)| v)
}

/// A text-keyed map, in the deterministic order (18013-5 §8.1 recommends it).
pub(crate) fn text_map(entries: Vec<(&str, Value)>) -> Value {
    crate::credential::cbor::canonical_map(entries.into_iter().map(|(k, v)| (Value::Text(k.into()), v)).collect())
}

/// A P-256 public key (SEC1 uncompressed) as a COSE_Key (EC2).
pub(crate) fn cose_key(sec1: &[u8]) -> Result<Value, MdlError> {
    if sec1.len() != 65 || sec1[0] != 4 {
        return Err(MdlError::BadKey);
    }
    Ok(crate::credential::cbor::canonical_map(vec![
        (Value::from(1), Value::from(2)),  // kty: EC2
        (Value::from(-1), Value::from(1)), // crv: P-256
        (Value::from(-2), Value::Bytes(sec1[1..33].to_vec())),
        (Value::from(-3), Value::Bytes(sec1[33..].to_vec())),
    ]))
}

/// A fresh ephemeral P-256 key: (private scalar, SEC1 public key).
pub(crate) fn ephemeral_key() -> (zeroize::Zeroizing<[u8; 32]>, Vec<u8>) {
    loop {
        let scalar = zeroize::Zeroizing::new(crate::crypto::random_array::<32>());
        // A scalar ≥ n (probability ~2⁻³²) is drawn again.
        if let Ok(secret) = p256::SecretKey::from_slice(scalar.as_ref()) {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let public = secret.public_key().to_encoded_point(false).as_bytes().to_vec();
            return (scalar, public);
        }
    }
}

/// `SessionTranscript = [DeviceEngagementBytes, EReaderKeyBytes, Handover]` as
/// SessionTranscriptBytes (`#6.24`), for a QR engagement (Handover null).
pub(crate) fn session_transcript_bytes(engagement_bytes: &[u8], e_reader_key: &[u8]) -> Result<Vec<u8>, MdlError> {
    let transcript = Value::Array(vec![
        Value::Tag(24, Box::new(Value::Bytes(engagement_bytes.to_vec()))),
        tagged(&cose_key(e_reader_key)?),
        Value::Null,
    ]);
    Ok(encode(&tagged(&transcript)))
}

/// A `tdate` as Unix seconds.
pub(crate) fn tdate(value: Option<&Value>) -> Result<i64, MdlError> {
    let text = match value {
        Some(Value::Tag(0, inner)) => inner.as_text(),
        _ => None,
    }
    .ok_or(malformed("tdate"))?;
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| malformed("tdate"))?;
    Ok(t.unix_timestamp())
}
