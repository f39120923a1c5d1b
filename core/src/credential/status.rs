//! IETF Token Status List (draft-ietf-oauth-status-list): the compressed bit array an
//! issuer publishes, signed as a CWT, that verifiers cache to check revocation offline.
//!
//! Index `i` with `bits` bits per entry lives in byte `i*bits/8` at bit offset
//! `(i % (8/bits))*bits`, least significant bits first; the array is zlib-compressed.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use ciborium::Value;

#[cfg(feature = "issuer")]
use super::cbor::{canonical_map, encode};
use super::cbor::{get, int};
use super::{cose, CredentialError, TrustList};

pub const VALID: u8 = 0;
pub const INVALID: u8 = 1;
pub const SUSPENDED: u8 = 2;

/// CWT claim keys of a Status List Token (the draft's requested assignments).
const SUB: i64 = 2;
const EXP: i64 = 4;
const IAT: i64 = 6;
const TTL: i64 = 65534;
const STATUS_LIST: i64 = 65533;
/// COSE header `typ` (RFC 9596).
const TYP: i64 = 16;
const TYP_VALUE: &str = "application/statuslist+cwt";
/// Largest decompressed list accepted (2^20 entries at 8 bits): bounds a zlib bomb.
const MAX_LIST_BYTES: usize = 1 << 20;
/// How long a list without `ttl` is trusted as current.
const DEFAULT_TTL: i64 = 24 * 3600;

fn bad(what: &'static str) -> CredentialError {
    CredentialError::BadStatusList { what }
}

/// Where a credential's status lives: list URI and index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusRef {
    pub uri: String,
    pub idx: u64,
}

impl StatusRef {
    #[cfg(feature = "issuer")]
    /// The CWT `status` claim value: `{"status_list": {"idx": i, "uri": u}}`.
    pub(crate) fn to_claim(&self) -> Value {
        canonical_map(vec![(
            Value::from("status_list"),
            canonical_map(vec![
                (Value::from("idx"), Value::from(self.idx)),
                (Value::from("uri"), Value::from(self.uri.as_str())),
            ]),
        )])
    }

    pub(crate) fn from_claim(v: &Value) -> Result<Self, CredentialError> {
        let inner = v.as_map().and_then(|m| get(m, &Value::from("status_list"))).and_then(Value::as_map);
        let inner = inner.ok_or(super::malformed("status claim"))?;
        let idx = get(inner, &Value::from("idx")).and_then(int).and_then(|i| u64::try_from(i).ok());
        let uri = get(inner, &Value::from("uri")).and_then(Value::as_text);
        match (idx, uri) {
            (Some(idx), Some(uri)) => Ok(Self { uri: uri.into(), idx }),
            _ => Err(super::malformed("status claim")),
        }
    }
}

/// A decompressed status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl StatusList {
    /// `entries` statuses of `bits` bits each (1, 2, 4 or 8), all VALID.
    pub fn new(bits: u8, entries: usize) -> Result<Self, CredentialError> {
        if ![1, 2, 4, 8].contains(&bits) {
            return Err(bad("bits must be 1, 2, 4 or 8"));
        }
        let len = (entries * bits as usize).div_ceil(8);
        if len > MAX_LIST_BYTES {
            return Err(bad("too many entries"));
        }
        Ok(Self { bits, bytes: vec![0; len] })
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / self.bits as usize
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The status at `idx`, or `None` past the end (a reference out of range is invalid).
    pub fn get(&self, idx: u64) -> Option<u8> {
        let bits = self.bits as u64;
        let byte = *self.bytes.get(usize::try_from(idx * bits / 8).ok()?)?;
        let shift = (idx % (8 / bits)) * bits;
        Some((byte >> shift) & ((1u16 << bits) - 1) as u8)
    }

    pub fn set(&mut self, idx: u64, status: u8) -> Result<(), CredentialError> {
        let bits = self.bits as u64;
        let mask = ((1u16 << bits) - 1) as u8;
        if status > mask {
            return Err(bad("status does not fit the list's bits"));
        }
        let byte = usize::try_from(idx * bits / 8)
            .ok()
            .and_then(|i| self.bytes.get_mut(i))
            .ok_or(bad("index out of range"))?;
        let shift = (idx % (8 / bits)) * bits;
        *byte = (*byte & !(mask << shift)) | (status << shift);
        Ok(())
    }

    pub fn compressed(&self) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&self.bytes).expect("compressing to memory cannot fail");
        z.finish().expect("compressing to memory cannot fail")
    }

    pub fn from_compressed(bits: u8, lst: &[u8]) -> Result<Self, CredentialError> {
        if ![1, 2, 4, 8].contains(&bits) {
            return Err(bad("bits must be 1, 2, 4 or 8"));
        }
        let mut bytes = Vec::new();
        flate2::read::ZlibDecoder::new(lst)
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| bad("lst is not zlib data"))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(bad("list too large"));
        }
        Ok(Self { bits, bytes })
    }

    /// Parse a CBOR `status_list` map `{"bits": b, "lst": zlib bytes}`.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CredentialError> {
        let v: Value = ciborium::from_reader(bytes).map_err(|_| bad("not CBOR"))?;
        Self::from_value(&v)
    }

    #[cfg(feature = "issuer")]
    /// The `status_list` claim: `{"bits": b, "lst": zlib bytes}`.
    fn to_value(&self) -> Value {
        canonical_map(vec![
            (Value::from("bits"), Value::from(self.bits)),
            (Value::from("lst"), Value::Bytes(self.compressed())),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, CredentialError> {
        let m = v.as_map().ok_or(bad("status_list is not a map"))?;
        let bits = get(m, &Value::from("bits")).and_then(int).and_then(|b| u8::try_from(b).ok());
        let lst = get(m, &Value::from("lst")).and_then(Value::as_bytes);
        match (bits, lst) {
            (Some(bits), Some(lst)) => Self::from_compressed(bits, lst),
            _ => Err(bad("status_list needs bits and lst")),
        }
    }
}

/// A verified Status List Token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListToken {
    pub uri: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    pub ttl: Option<i64>,
    pub list: StatusList,
}

/// Sign a Status List Token (COSE_Sign1, tagged, `typ: application/statuslist+cwt`).
#[cfg(feature = "issuer")]
pub fn sign_token(
    key: &super::IssuerKey,
    uri: &str,
    list: &StatusList,
    issued_at: i64,
    expires_at: i64,
    ttl: i64,
) -> Result<Vec<u8>, CredentialError> {
    let claims = canonical_map(vec![
        (Value::from(SUB), Value::from(uri)),
        (Value::from(IAT), Value::from(issued_at)),
        (Value::from(EXP), Value::from(expires_at)),
        (Value::from(TTL), Value::from(ttl)),
        (Value::from(STATUS_LIST), list.to_value()),
    ]);
    let sign1 =
        cose::sign_es256(Some(&key.kid()), vec![(TYP, Value::from(TYP_VALUE))], encode(&claims), &[], |d| key.sign(d))?;
    Ok(cose::to_tagged_bytes(sign1))
}

/// Verify a Status List Token against the trust list and read it.
pub fn verify_token(bytes: &[u8], trust: &TrustList, now: i64) -> Result<StatusListToken, CredentialError> {
    let sign1 = cose::parse(bytes)?;
    let typ = sign1.protected.header.rest.iter().find(|(l, _)| *l == coset::Label::Int(TYP)).map(|(_, v)| v);
    if typ.and_then(Value::as_text) != Some(TYP_VALUE) {
        return Err(bad("not a status list token (typ)"));
    }
    let issuer = trust.find(cose::key_id(&sign1))?;
    cose::verify_es256(&sign1, &[], &issuer.public_key)?;
    let token = read_claims(sign1.payload.as_deref().ok_or(bad("no payload"))?)?;
    if token.expires_at.is_some_and(|exp| now > exp) {
        return Err(bad("the status list token has expired"));
    }
    Ok(token)
}

fn read_claims(payload: &[u8]) -> Result<StatusListToken, CredentialError> {
    let claims: Value = ciborium::from_reader(payload).map_err(|_| bad("claims are not CBOR"))?;
    let m = claims.as_map().ok_or(bad("claims are not a map"))?;
    let uri = get(m, &Value::from(SUB)).and_then(Value::as_text).ok_or(bad("no sub"))?.to_owned();
    let issued_at = get(m, &Value::from(IAT)).and_then(int).ok_or(bad("no iat"))?;
    let expires_at = get(m, &Value::from(EXP)).and_then(int);
    let ttl = get(m, &Value::from(TTL)).and_then(int);
    let list = StatusList::from_value(get(m, &Value::from(STATUS_LIST)).ok_or(bad("no status_list"))?)?;
    Ok(StatusListToken { uri, issued_at, expires_at, ttl, list })
}

/// What the status check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusCheck {
    /// The cached list is current and says VALID.
    Valid,
    /// The credential carries no status reference.
    NotApplicable,
    /// No current list for the credential's URI: the verifier cannot tell. Distinct from
    /// revoked: the app decides whether to accept (e.g. offline at the desk).
    Unknown { reason: StatusUnknown },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusUnknown {
    /// No list for this URI was ever cached.
    NoList,
    /// The cached list is past its `ttl` or `exp`; `since` is when it went stale.
    Stale { since: i64 },
}

impl StatusUnknown {
    /// A stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoList => "no_list",
            Self::Stale { .. } => "stale_list",
        }
    }
}

impl StatusCheck {
    /// A stable, machine-readable name: `valid`, `not_applicable`, or the unknown reason.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::NotApplicable => "not_applicable",
            Self::Unknown { reason } => reason.code(),
        }
    }
}

/// Verified status lists by URI, with the time each was fetched.
#[derive(Debug, Clone, Default)]
pub struct StatusCache {
    lists: BTreeMap<String, (StatusListToken, i64)>,
}

impl StatusCache {
    /// Verify `token` and keep it (replacing an older list for the same URI).
    pub fn insert(&mut self, token: &[u8], trust: &TrustList, now: i64) -> Result<String, CredentialError> {
        let token = verify_token(token, trust, now)?;
        let uri = token.uri.clone();
        if let Some((old, _)) = self.lists.get(&uri) {
            if old.issued_at > token.issued_at {
                return Err(bad("older than the cached list"));
            }
        }
        self.lists.insert(uri.clone(), (token, now));
        Ok(uri)
    }

    /// Status of `reference` at `now`: `Err(Revoked | Suspended)`, or what is known.
    pub(crate) fn check(&self, reference: &StatusRef, now: i64) -> Result<StatusCheck, CredentialError> {
        let Some((token, fetched_at)) = self.lists.get(&reference.uri) else {
            return Ok(StatusCheck::Unknown { reason: StatusUnknown::NoList });
        };
        let stale_at =
            [token.expires_at, Some(fetched_at + token.ttl.unwrap_or(DEFAULT_TTL))].into_iter().flatten().min();
        if let Some(since) = stale_at.filter(|t| now > *t) {
            return Ok(StatusCheck::Unknown { reason: StatusUnknown::Stale { since } });
        }
        match token.list.get(reference.idx) {
            Some(VALID) => Ok(StatusCheck::Valid),
            Some(SUSPENDED) => Err(CredentialError::Suspended),
            // INVALID, an out-of-range index, and application-specific values are refusals.
            _ => Err(CredentialError::Revoked),
        }
    }
}
