//! The issuing side (the reference server, the test issuer): issuer keys, credentials
//! and the one status-index scheme. Behind the `issuer` feature: never in the app library.

use ciborium::Value;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use zeroize::Zeroizing;

use super::cbor::{canonical_map, encode};
use super::issued::{claim, kid_of, Disclosure, IssuerCredential};
use super::status::StatusRef;
use super::{cose, CredentialError, TrustedIssuer};
use crate::documents::{Claims, PORTRAIT, REFERENCE_PORTRAIT};

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

/// Whose documents an [`Issuer`] issues: the holder's number in the issuer's register
/// (from 1; it places the documents in the status list), the documents, and the portraits.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub number: u32,
    pub documents: &'a [Claims],
    /// The compact thumbnail identity documents carry.
    pub thumbnail: &'a [u8],
    /// The reference portrait delivered beside the credentials, if the issuer has one.
    pub reference_portrait: Option<&'a [u8]>,
}

/// An issuing authority: its key, its status list's URI and the one status-index scheme
/// (document `n` of person `p` at `(p − 1) × 5 + n`) the reference server and the test
/// issuer both use.
#[derive(Debug)]
pub struct Issuer {
    key: IssuerKey,
    status_uri: String,
    mdl: Option<MdlIssuing>,
}

/// How an issuer also issues the driving licence as an ISO 18013-5 mdoc.
#[derive(Debug)]
struct MdlIssuing {
    signer: crate::mdl::issue::DocumentSigner,
    iaca: Vec<u8>,
}

/// One document as issued: its claims, the QR credential, and (for the licence, when the
/// issuer has a document signer) the same document as an mdoc's IssuerSigned.
#[derive(Debug, Clone)]
pub struct Issued {
    pub claims: Claims,
    pub credential: IssuerCredential,
    pub mdoc: Option<Vec<u8>>,
}

impl Issuer {
    /// Two bits per document: [`super::status::VALID`], `INVALID` (revoked), `SUSPENDED`.
    pub const STATUS_BITS: u8 = 2;
    /// How long a signed status list may be relied on (its `ttl`), and its lifetime.
    pub const STATUS_TTL_SECS: i64 = 3_600;
    pub const STATUS_LIFETIME_SECS: i64 = 86_400;

    pub fn new(key: IssuerKey, status_uri: impl Into<String>) -> Self {
        Self { key, status_uri: status_uri.into(), mdl: None }
    }

    /// Also issue the licence as an mdoc, signed by `signer`, whose IACA root `iaca` (DER)
    /// the trust list then carries.
    pub fn with_mdl(mut self, signer: crate::mdl::issue::DocumentSigner, iaca: Vec<u8>) -> Self {
        self.mdl = Some(MdlIssuing { signer, iaca });
        self
    }

    pub fn key(&self) -> &IssuerKey {
        &self.key
    }

    pub fn status_uri(&self) -> &str {
        &self.status_uri
    }

    /// The trust list verifiers need for this issuer.
    pub fn trust_list(&self) -> super::TrustList {
        super::TrustList::new(vec![self.key.trusted()]).with_iaca(self.mdl.iter().map(|m| m.iaca.clone()).collect())
    }

    /// Where document `kind` of person `number` sits in the status list.
    pub fn status_ref(&self, number: u32, kind: crate::documents::DocumentKind) -> Result<StatusRef, CredentialError> {
        let kinds = crate::documents::DocumentKind::ALL.len() as u64;
        let person = u64::from(number.checked_sub(1).ok_or(super::malformed("people are numbered from 1"))?);
        Ok(StatusRef { uri: self.status_uri.clone(), idx: person * kinds + u64::from(kind.number()) })
    }

    /// A status list with room for every document of `people` people, all valid.
    pub fn new_status_list(&self, people: u32) -> Result<super::StatusList, CredentialError> {
        let entries = people as usize * crate::documents::DocumentKind::ALL.len();
        // Rounded up to whole bytes.
        let per_byte = 8 / usize::from(Self::STATUS_BITS);
        super::StatusList::new(Self::STATUS_BITS, entries.div_ceil(per_byte) * per_byte)
    }

    /// Set document `kind` of person `number` to `value` (revoke, suspend, reinstate).
    pub fn set_status(
        &self,
        list: &mut super::StatusList,
        number: u32,
        kind: crate::documents::DocumentKind,
        value: u8,
    ) -> Result<(), CredentialError> {
        list.set(self.status_ref(number, kind)?.idx, value)
    }

    /// `list`, signed now as a Status List Token.
    pub fn status_token(&self, list: &super::StatusList, now: i64) -> Result<Vec<u8>, CredentialError> {
        let expires = now + Self::STATUS_LIFETIME_SECS;
        super::status::sign_token(&self.key, &self.status_uri, list, now, expires, Self::STATUS_TTL_SECS)
    }

    /// Credentials for every document of `person`, bound to `device_key` (SEC1 P-256),
    /// valid `[issued_at, expires_at]`, each pointing at its status-list entry.
    pub fn issue_documents(
        &self,
        person: &Person<'_>,
        device_key: &[u8],
        issued_at: i64,
        expires_at: i64,
    ) -> Result<Vec<Issued>, CredentialError> {
        let reference = person.reference_portrait.map(crate::documents::reference::digest);
        person
            .documents
            .iter()
            .map(|claims| {
                let status = self.status_ref(person.number, claims.kind())?;
                let portraits = claims
                    .kind()
                    .has_portrait()
                    .then_some(Portraits { thumbnail: person.thumbnail, reference_digest: reference.as_deref() });
                let credential = issue(&self.key, claims, portraits, device_key, Some(&status), issued_at, expires_at)?;
                let mdoc = match (claims, &self.mdl) {
                    (Claims::DrivingLicence(licence), Some(mdl)) => {
                        Some(self.issue_mdoc(mdl, licence, person, device_key, issued_at, expires_at)?)
                    }
                    _ => None,
                };
                Ok(Issued { claims: claims.clone(), credential, mdoc })
            })
            .collect()
    }

    fn issue_mdoc(
        &self,
        mdl: &MdlIssuing,
        licence: &crate::documents::DrivingLicence,
        person: &Person<'_>,
        device_key: &[u8],
        issued_at: i64,
        expires_at: i64,
    ) -> Result<Vec<u8>, CredentialError> {
        let id_card = person.documents.iter().find_map(|c| match c {
            Claims::ResidentIdCard(card) => Some(card),
            _ => None,
        });
        let portrait_jpeg = crate::documents::portrait::to_jpeg(person.thumbnail)?;
        let data = crate::mdl::issue::LicenceData {
            licence,
            id_card,
            portrait_jpeg: &portrait_jpeg,
            issuing_country: "CN",
            issuing_authority: &self.key.name,
        };
        crate::mdl::issue::issue_mdl(&mdl.signer, &data, device_key, issued_at, expires_at).map_err(|e| {
            tracing::warn!(target: "idwallet::credential", error = %e, "mDL not issued");
            super::malformed("the mDL could not be issued")
        })
    }
}
