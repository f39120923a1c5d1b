//! The issuing side (the reference server and tests): issuer keys and credentials.

use ciborium::Value;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::cbor::{canonical_map, encode};
use super::status::StatusRef;
use super::{cose, CredentialError, TrustedIssuer};
use crate::documents::{Claims, PORTRAIT, REFERENCE_PORTRAIT};

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

/// An issuer's signing key with its key id and validity.
pub struct IssuerKey {
    pub name: String,
    pub not_before: i64,
    pub not_after: i64,
    pkcs8: Zeroizing<Vec<u8>>,
    key: EcdsaKeyPair,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey").field("name", &self.name).finish_non_exhaustive()
    }
}

impl IssuerKey {
    pub fn generate(name: &str, not_before: i64, not_after: i64) -> Self {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .expect("P-256 key generation");
        Self::from_pkcs8(name, pkcs8.as_ref(), not_before, not_after).expect("a key we just generated")
    }

    pub fn from_pkcs8(name: &str, pkcs8: &[u8], not_before: i64, not_after: i64) -> Result<Self, CredentialError> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
            .map_err(|_| super::malformed("issuer key"))?;
        Ok(Self { name: name.into(), not_before, not_after, pkcs8: Zeroizing::new(pkcs8.to_vec()), key })
    }

    /// PKCS#8 bytes, for the issuer to keep its key (sealed) between runs.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    pub fn kid(&self) -> Vec<u8> {
        kid_of(self.public_key())
    }

    /// The trust-list entry verifiers need for this key.
    pub fn trusted(&self) -> TrustedIssuer {
        TrustedIssuer {
            kid: self.kid(),
            name: self.name.clone(),
            public_key: self.public_key().to_vec(),
            not_before: self.not_before,
            not_after: self.not_after,
        }
    }

    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, CredentialError> {
        self.key
            .sign(&SystemRandom::new(), data)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| super::malformed("signing failed"))
    }
}

/// Element digests are SHA-256 truncated to 128 bits, the byte budget's price (ADR 0003):
/// a forger needs a second preimage of a salted value, 2^128 work.
pub(crate) const DIGEST_LEN: usize = 16;

pub(crate) fn digest_of(encoded_disclosure: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, encoded_disclosure).as_ref()[..DIGEST_LEN].to_vec()
}

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

/// The portraits an identity document's credential carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Portraits<'a> {
    /// The compact 48×64 thumbnail a QR code may disclose.
    pub thumbnail: &'a [u8],
    /// SHA-256 of the reference portrait delivered beside the credential, if the issuer
    /// has one: the wallet matches the enrolling face against that portrait.
    pub reference_digest: Option<&'a [u8]>,
}

impl<'a> Portraits<'a> {
    pub fn thumbnail(thumbnail: &'a [u8]) -> Self {
        Self { thumbnail, reference_digest: None }
    }
}

/// Issue a credential for `claims` (and `portraits`, for identity documents), bound to
/// `device_key` (SEC1 P-256), valid `[issued_at, expires_at]`.
pub fn issue(
    key: &IssuerKey,
    claims: &Claims,
    portraits: Option<Portraits<'_>>,
    device_key: &[u8],
    status: Option<&StatusRef>,
    issued_at: i64,
    expires_at: i64,
) -> Result<IssuerCredential, CredentialError> {
    claims.validate()?;
    if let Some(p) = portraits {
        crate::documents::validate_portrait(p.thumbnail)?;
        if p.reference_digest.is_some_and(|d| d.len() != 32) {
            return Err(super::malformed("a reference portrait digest is 32 bytes (SHA-256)"));
        }
    }
    if device_key.len() != 65 || device_key[0] != 4 {
        return Err(super::malformed("device key must be an uncompressed P-256 point"));
    }
    if !(key.not_before..=key.not_after).contains(&issued_at) {
        return Err(CredentialError::IssuerKeyNotValid);
    }
    let mut elements = claims.elements();
    if let Some(p) = portraits.filter(|_| claims.kind().has_portrait()) {
        elements.push((PORTRAIT.into(), Value::Bytes(p.thumbnail.to_vec())));
        if let Some(digest) = p.reference_digest {
            elements.push((REFERENCE_PORTRAIT.into(), Value::Bytes(digest.to_vec())));
        }
    }
    let disclosures: Vec<Disclosure> = elements
        .into_iter()
        .map(|(id, value)| Disclosure { salt: crate::crypto::random_array::<16>().to_vec(), id, value })
        .collect();
    let kind = claims.kind();
    let digests = canonical_map(
        disclosures
            .iter()
            .map(|d| {
                let n = Claims::element_number(kind, &d.id).expect("elements come from the kind's own list");
                (Value::from(n), Value::Bytes(d.digest()))
            })
            .collect(),
    );

    let cose_key = canonical_map(vec![
        (Value::from(1), Value::from(2)),  // kty: EC2
        (Value::from(-1), Value::from(1)), // crv: P-256
        (Value::from(-2), Value::Bytes(device_key[1..33].to_vec())),
        (Value::from(-3), Value::Bytes(device_key[33..65].to_vec())),
    ]);
    let mut cwt = vec![
        (Value::from(claim::IAT), Value::from(issued_at)),
        (Value::from(claim::EXP), Value::from(expires_at)),
        (Value::from(claim::CNF), canonical_map(vec![(Value::from(1), cose_key)])),
        (Value::from(claim::DOC_KIND), Value::from(kind.number())),
        (Value::from(claim::DIGESTS), digests),
    ];
    if let Some(status) = status {
        cwt.push((Value::from(claim::STATUS), status.to_claim()));
    }
    let payload = encode(&canonical_map(cwt));
    let sign1 = cose::sign_es256(Some(&key.kid()), vec![], payload, &[], |data| key.sign(data))?;
    tracing::info!(target: "idwallet::credential", kind = claims.kind().code(), elements = disclosures.len(), "credential issued");
    Ok(IssuerCredential { cose: cose::to_bytes(sign1), disclosures, issued_at, expires_at })
}
