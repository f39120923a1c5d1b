//! The holder's side: a short-lived presentation that discloses only what the viewer's
//! audience profile allows, signed by the device key the credential is bound to.

use std::collections::BTreeMap;

use ciborium::Value;

use super::cbor::encode;
use super::issued::IssuerCredential;
use super::{cose, qr, CredentialError};
use crate::documents::{Claims, DocumentKind, PORTRAIT};
use crate::platform::KeyStore;

/// Presentation format version (first element of the CBOR array).
pub(crate) const VERSION: u64 = 1;

/// An audience and the elements it may see, per document kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub audience: String,
    pub elements: BTreeMap<DocumentKind, Vec<String>>,
}

impl Profile {
    /// A hotel registers a guest: name, ID number, a small portrait.
    pub fn hotel() -> Self {
        let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        Self {
            audience: "hotel".into(),
            elements: BTreeMap::from([
                (DocumentKind::ResidentIdCard, ids(&["name", "id_number", PORTRAIT])),
                (DocumentKind::ResidencePermit, ids(&["name", "permit_number", PORTRAIT])),
            ]),
        }
    }

    /// The police see every identity field of any document (not the holder-only ones).
    pub fn police() -> Self {
        Self {
            audience: "police".into(),
            elements: DocumentKind::ALL
                .into_iter()
                .map(|k| {
                    let ids = Claims::element_ids(k).iter().filter(|e| !crate::documents::is_holder_only(e));
                    (k, ids.map(|s| s.to_string()).collect())
                })
                .collect(),
        }
    }

    /// Built-in profiles by audience name.
    pub fn named(audience: &str) -> Option<Self> {
        match audience {
            "hotel" => Some(Self::hotel()),
            "police" => Some(Self::police()),
            _ => None,
        }
    }

    /// A custom audience: only element ids the kinds really have are kept.
    pub fn custom(audience: &str, elements: BTreeMap<DocumentKind, Vec<String>>) -> Result<Self, CredentialError> {
        if audience.is_empty()
            || audience.len() > 32
            || !audience.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(super::malformed("audience must be 1-32 letters, digits or '-'"));
        }
        for (kind, ids) in &elements {
            let unknown = |id: &&String| {
                !Claims::element_ids(*kind).contains(&id.as_str()) || crate::documents::is_holder_only(id)
            };
            if let Some(bad) = ids.iter().find(unknown) {
                return Err(CredentialError::OverDisclosure { element: bad.clone(), audience: audience.into() });
            }
        }
        Ok(Self { audience: audience.into(), elements })
    }

    pub fn allowed(&self, kind: DocumentKind) -> Option<&[String]> {
        self.elements.get(&kind).map(Vec::as_slice)
    }
}

/// A presentation ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// `IDW1:…` text to put in a QR code.
    pub text: String,
    pub audience: String,
    pub disclosed: Vec<String>,
    pub created_at: i64,
    /// When a verifier will stop accepting it (created + freshness window).
    pub expires_at: i64,
    /// Size of the CBOR before text encoding.
    pub cbor_bytes: usize,
}

/// Default freshness window a presentation is made for (and verifiers accept).
pub const DEFAULT_WINDOW_SECS: i64 = 60;

/// Present `credential` (a document of `kind`) to `profile`'s audience at `now`.
pub fn present(
    credential: &IssuerCredential,
    kind: DocumentKind,
    profile: &Profile,
    key_store: &dyn KeyStore,
    now: i64,
) -> Result<Presentation, CredentialError> {
    let allowed = profile
        .allowed(kind)
        .ok_or_else(|| CredentialError::KindNotAllowed { kind: kind.code(), audience: profile.audience.clone() })?;
    if now > credential.expires_at {
        return Err(CredentialError::Expired { at: credential.expires_at });
    }
    let disclosed: Vec<_> = credential.disclosures.iter().filter(|d| allowed.contains(&d.id)).collect();
    let ids: Vec<String> = disclosed.iter().map(|d| d.id.clone()).collect();

    let payload = encode(&Value::Array(vec![Value::from(profile.audience.as_str()), Value::from(now)]));
    let aad = device_aad(&credential.cose, &ids);
    let device = cose::sign_es256(None, vec![], payload, &aad, |tbs| key_store.sign(tbs))?;
    let cbor = encode(&Value::Array(vec![
        Value::from(VERSION),
        Value::Bytes(credential.cose.clone()),
        Value::Array(disclosed.iter().map(|d| d.to_value()).collect()),
        Value::Bytes(cose::to_bytes(device)),
    ]));
    tracing::info!(target: "idwallet::credential", audience = %profile.audience, elements = ids.len(), bytes = cbor.len(), "presentation made");
    Ok(Presentation {
        text: qr::to_text(&cbor),
        audience: profile.audience.clone(),
        disclosed: ids,
        created_at: now,
        expires_at: now + DEFAULT_WINDOW_SECS,
        cbor_bytes: cbor.len(),
    })
}

/// What the device signature binds besides its payload: the issuer credential and the
/// list of disclosed element ids, in order.
pub fn device_aad(issuer_cose: &[u8], ids: &[String]) -> Vec<u8> {
    let mut aad = ring::digest::digest(&ring::digest::SHA256, issuer_cose).as_ref().to_vec();
    aad.extend(encode(&Value::Array(ids.iter().map(|i| Value::from(i.as_str())).collect())));
    aad
}
