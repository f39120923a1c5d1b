//! The staff side, offline: check a presentation against cached issuer keys and status
//! lists, the freshness window and the verifier's audience profile.
//!
//! Checks run in a fixed order — encoding, issuer signature, issuer validity, device
//! signature, freshness, audience, disclosure, status — so a forged QR code is reported as
//! forged, not as merely old.

use ciborium::Value;

use super::cbor::{decode_strict, get, int};
use super::issued::{claim, digest_of};
use super::present::{device_aad, VERSION};
use super::status::StatusRef;
use super::{cose, malformed, qr, CredentialError, IssuerCredential, Profile, StatusCache, StatusCheck, TrustList};
use crate::documents::{portrait, Claims, DocumentKind, PORTRAIT, REFERENCE_PORTRAIT};

/// Time rules a verifier applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierPolicy {
    /// How old a presentation may be.
    pub window_secs: i64,
    /// Tolerated difference between the phone's clock and the verifier's.
    pub skew_secs: i64,
}

impl Default for VerifierPolicy {
    fn default() -> Self {
        Self { window_secs: super::present::DEFAULT_WINDOW_SECS, skew_secs: 30 }
    }
}

/// One disclosed claim, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedClaim {
    pub id: String,
    pub value: String,
}

/// An accepted presentation: what the staff member may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPresentation {
    pub kind: DocumentKind,
    pub issuer: String,
    pub audience: String,
    pub presented_at: i64,
    pub credential_expires_at: i64,
    /// Disclosed claims in the order the holder sent them (portrait excluded).
    pub claims: Vec<DisclosedClaim>,
    /// The portrait, if disclosed: a standard 48×64 greyscale JPEG, ready to show.
    pub portrait: Option<Vec<u8>>,
    pub status: StatusCheck,
    /// Other QR codes that were in the same image or frame and were not this one (a desk
    /// camera may see the holder's code beside another): shown so staff know they exist.
    pub other_codes: u32,
}

impl VerifiedPresentation {
    pub fn claim(&self, id: &str) -> Option<&str> {
        self.claims.iter().find(|c| c.id == id).map(|c| c.value.as_str())
    }
}

/// An offline verifier for one audience.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub profile: Profile,
    pub trust: TrustList,
    pub status: StatusCache,
    pub policy: VerifierPolicy,
}

impl Verifier {
    pub fn new(profile: Profile, trust: TrustList) -> Self {
        Self { profile, trust, status: StatusCache::default(), policy: VerifierPolicy::default() }
    }

    /// Verify QR text at `now` (Unix seconds).
    pub fn verify_text(&self, text: &str, now: i64) -> Result<VerifiedPresentation, CredentialError> {
        let _span =
            tracing::info_span!(target: "idwallet::credential", "verify", audience = %self.profile.audience).entered();
        let result = self.verify_cbor(&qr::from_text(text.trim())?, now);
        match &result {
            Ok(v) => tracing::info!(target: "idwallet::credential", kind = v.kind.code(), "presentation accepted"),
            Err(e) => tracing::info!(target: "idwallet::credential", reason = %e, "presentation rejected"),
        }
        result
    }

    /// Verify the idwallet QR code in an image (PNG/JPEG bytes) meant for this verifier's
    /// audience, when several codes are in view (see [`Verifier::verify_codes`]).
    pub fn verify_image(&self, image: &[u8], now: i64) -> Result<VerifiedPresentation, CredentialError> {
        self.verify_codes(&qr::decode_image(image)?, now)
    }

    /// Verify the idwallet QR code meant for this verifier in a camera frame's luma (Y)
    /// plane, when several codes are in view (see [`Verifier::verify_codes`]).
    pub fn verify_frame(
        &self,
        y: &[u8],
        width: u32,
        height: u32,
        stride: u32,
        now: i64,
    ) -> Result<VerifiedPresentation, CredentialError> {
        self.verify_codes(&qr::decode_y_plane(y, width, height, stride)?, now)
    }

    /// Of the QR texts found in one picture, verify the one meant for this verifier: every
    /// idwallet code is tried in turn and the first accepted wins, so the hotel's code is
    /// read beside the same holder's police code (the audience is inside the signature, not
    /// the prefix). If none is accepted, the refusal reported is the first one that is not
    /// "made for another audience" — a code for someone else says less than a forged one.
    /// With no idwallet code at all, the first code's refusal is reported.
    pub fn verify_codes(&self, texts: &[String], now: i64) -> Result<VerifiedPresentation, CredentialError> {
        let ours: Vec<&String> = texts
            .iter()
            .filter(|t| [qr::PREFIX, qr::PREFIX_ZLIB].iter().any(|p| t.trim_start().starts_with(p)))
            .collect();
        let Some(first) = texts.first() else { return Err(CredentialError::NoQrCode) };
        let others = u32::try_from(texts.len() - 1).unwrap_or(u32::MAX);
        if ours.is_empty() {
            return self.verify_text(first, now);
        }
        let mut refusal: Option<CredentialError> = None;
        for text in ours {
            match self.verify_text(text, now) {
                Ok(v) => return Ok(VerifiedPresentation { other_codes: others, ..v }),
                Err(e) => {
                    let better = match &refusal {
                        None => true,
                        Some(CredentialError::WrongAudience { .. }) => {
                            !matches!(e, CredentialError::WrongAudience { .. })
                        }
                        Some(_) => false,
                    };
                    if better {
                        refusal = Some(e);
                    }
                }
            }
        }
        Err(refusal.unwrap_or(CredentialError::NoQrCode))
    }

    fn verify_cbor(&self, cbor: &[u8], now: i64) -> Result<VerifiedPresentation, CredentialError> {
        let Value::Array(parts) = decode_strict(cbor)? else { return Err(malformed("presentation is not an array")) };
        let [version, Value::Bytes(issuer_bytes), Value::Array(disclosures), Value::Bytes(device_bytes)] =
            parts.as_slice()
        else {
            return Err(malformed("presentation must be [version, issuer, disclosures, device]"));
        };
        if int(version) != Some(VERSION as i64) {
            return Err(malformed("unsupported presentation version"));
        }

        // Issuer credential: signature first, then what it says.
        decode_strict(issuer_bytes)?;
        let issuer_cose = cose::parse(issuer_bytes)?;
        if issuer_cose.protected.header.key_id.is_empty() {
            return Err(malformed("issuer key id must be in the protected header"));
        }
        let issuer = self.trust.find(&issuer_cose.protected.header.key_id)?;
        cose::verify_es256(&issuer_cose, &[], &issuer.public_key)?;
        let claims = Credential::read(issuer_cose.payload.as_deref().ok_or(malformed("issuer payload missing"))?)?;
        if !(issuer.not_before..=issuer.not_after).contains(&claims.issued_at) {
            return Err(CredentialError::IssuerKeyNotValid);
        }
        if claims.issued_at > now + self.policy.skew_secs {
            return Err(CredentialError::NotYetValid { at: claims.issued_at });
        }
        if now > claims.expires_at {
            return Err(CredentialError::Expired { at: claims.expires_at });
        }

        // Disclosures (shape only for now; their digests are checked below).
        let mut items = Vec::with_capacity(disclosures.len());
        for d in disclosures {
            let Value::Array(f) = d else { return Err(malformed("disclosure is not an array")) };
            let [Value::Bytes(salt), Value::Text(id), value] = f.as_slice() else {
                return Err(malformed("disclosure must be [salt, id, value]"));
            };
            if salt.len() < 16 {
                return Err(malformed("disclosure salt too short"));
            }
            if items.iter().any(|(i, _, _): &(&String, _, _)| *i == id) {
                return Err(malformed("an element is disclosed twice"));
            }
            items.push((id, d, value));
        }
        let ids: Vec<String> = items.iter().map(|(id, _, _)| (*id).clone()).collect();

        // Device signature: made by the key the issuer bound, over these disclosures.
        decode_strict(device_bytes)?;
        let device = cose::parse(device_bytes)?;
        cose::verify_es256(&device, &device_aad(issuer_bytes, &ids), &claims.device_key).map_err(|e| match e {
            CredentialError::BadIssuerSignature => CredentialError::BadDeviceSignature,
            other => other,
        })?;
        let payload = decode_strict(device.payload.as_deref().ok_or(malformed("device payload missing"))?)?;
        let (audience, created) = match payload.as_array().map(Vec::as_slice) {
            Some([Value::Text(a), c]) => (a.clone(), int(c).ok_or(malformed("device timestamp"))?),
            _ => return Err(malformed("device payload must be [audience, created]")),
        };
        if created > now + self.policy.skew_secs {
            return Err(CredentialError::FromTheFuture { ahead_secs: created - now });
        }
        if now - created > self.policy.window_secs + self.policy.skew_secs {
            return Err(CredentialError::Stale { age_secs: now - created });
        }

        // Audience: made for us, and nothing beyond what we may see.
        if audience != self.profile.audience {
            return Err(CredentialError::WrongAudience {
                expected: self.profile.audience.clone(),
                presented: audience,
            });
        }
        let allowed = self.profile.allowed(claims.kind).ok_or_else(|| CredentialError::KindNotAllowed {
            kind: claims.kind.code(),
            audience: self.profile.audience.clone(),
        })?;
        if let Some(extra) = ids.iter().find(|id| !allowed.contains(id)) {
            return Err(CredentialError::OverDisclosure { element: extra.clone(), audience: audience.clone() });
        }

        // Each disclosed value must be one the issuer signed.
        let mut shown = Vec::new();
        let mut portrait = None;
        for (id, raw, value) in items {
            let digest = digest_of(&super::cbor::encode(raw));
            let signed = Claims::element_number(claims.kind, id).and_then(|n| get(&claims.digests, &Value::from(n)));
            match signed {
                Some(Value::Bytes(expected)) if *expected == digest => {}
                _ => return Err(CredentialError::DigestMismatch { element: id.clone() }),
            }
            if id == PORTRAIT {
                let compact = value.as_bytes().ok_or(malformed("portrait must be bytes"))?;
                portrait = Some(portrait::to_jpeg(compact).map_err(|_| malformed("portrait"))?);
            } else {
                shown.push(DisclosedClaim { id: id.clone(), value: display(value) });
            }
        }

        let status = match &claims.status {
            Some(reference) => self.status.check(reference, now)?,
            None => StatusCheck::NotApplicable,
        };
        Ok(VerifiedPresentation {
            kind: claims.kind,
            issuer: issuer.name.clone(),
            audience,
            presented_at: created,
            credential_expires_at: claims.expires_at,
            claims: shown,
            portrait,
            status,
            other_codes: 0,
        })
    }
}

/// The holder's side, when a credential arrives from the issuer: check that it is signed by
/// a trusted issuer, bound to *this* device's key, current, of the claims' kind, and that
/// every disclosure is one the issuer signed and matches `claims` — so the wallet never
/// stores a credential it could not present.
pub fn check_issued(
    credential: &IssuerCredential,
    claims: &Claims,
    trust: &TrustList,
    device_key: &[u8],
    now: i64,
) -> Result<(), CredentialError> {
    claims.validate()?;
    decode_strict(&credential.cose)?;
    let sign1 = cose::parse(&credential.cose)?;
    let issuer = trust.find(cose::key_id(&sign1))?;
    cose::verify_es256(&sign1, &[], &issuer.public_key)?;
    let signed = Credential::read(sign1.payload.as_deref().ok_or(malformed("issuer payload missing"))?)?;
    if !(issuer.not_before..=issuer.not_after).contains(&signed.issued_at) {
        return Err(CredentialError::IssuerKeyNotValid);
    }
    if now > signed.expires_at {
        return Err(CredentialError::Expired { at: signed.expires_at });
    }
    if signed.device_key != device_key {
        return Err(CredentialError::BadDeviceSignature);
    }
    if signed.kind != claims.kind()
        || (signed.issued_at, signed.expires_at) != (credential.issued_at, credential.expires_at)
    {
        return Err(malformed("the credential does not describe these claims"));
    }
    let elements = claims.elements();
    for d in &credential.disclosures {
        let n = Claims::element_number(signed.kind, &d.id).ok_or(malformed("unknown element"))?;
        match get(&signed.digests, &Value::from(n)) {
            Some(Value::Bytes(expected)) if *expected == d.digest() => {}
            _ => return Err(CredentialError::DigestMismatch { element: d.id.clone() }),
        }
        let claimed = elements.iter().find(|(id, _)| *id == d.id).map(|(_, v)| v);
        if d.id != PORTRAIT && d.id != REFERENCE_PORTRAIT && claimed != Some(&d.value) {
            return Err(CredentialError::DigestMismatch { element: d.id.clone() });
        }
    }
    if signed.digests.len() != credential.disclosures.len()
        || elements.iter().any(|(id, _)| !credential.disclosures.iter().any(|d| d.id == *id))
    {
        return Err(malformed("the credential's disclosures do not cover its claims"));
    }
    Ok(())
}

/// The issuer credential's CWT claims, as the verifier needs them.
struct Credential {
    issued_at: i64,
    expires_at: i64,
    kind: DocumentKind,
    device_key: Vec<u8>,
    status: Option<StatusRef>,
    digests: Vec<(Value, Value)>,
}

impl Credential {
    fn read(payload: &[u8]) -> Result<Self, CredentialError> {
        let Value::Map(m) = decode_strict(payload)? else { return Err(malformed("claims are not a map")) };
        let field = |key: i64| get(&m, &Value::from(key));
        let issued_at = field(claim::IAT).and_then(int).ok_or(malformed("iat"))?;
        let expires_at = field(claim::EXP).and_then(int).ok_or(malformed("exp"))?;
        let kind = field(claim::DOC_KIND).and_then(int).ok_or(malformed("document kind"))?;
        let kind = u64::try_from(kind)
            .ok()
            .and_then(|k| DocumentKind::from_number(k).ok())
            .ok_or(malformed("document kind"))?;
        let cose_key = field(claim::CNF)
            .and_then(Value::as_map)
            .and_then(|c| get(c, &Value::from(1)))
            .and_then(Value::as_map)
            .ok_or(malformed("cnf"))?;
        let coord = |label: i64| get(cose_key, &Value::from(label)).and_then(Value::as_bytes).filter(|b| b.len() == 32);
        let (Some(x), Some(y)) = (coord(-2), coord(-3)) else { return Err(malformed("cnf key")) };
        if get(cose_key, &Value::from(1)).and_then(int) != Some(2)
            || get(cose_key, &Value::from(-1)).and_then(int) != Some(1)
        {
            return Err(malformed("cnf key must be EC2 P-256"));
        }
        let device_key = [&[4u8][..], x, y].concat();
        let status = field(claim::STATUS).map(StatusRef::from_claim).transpose()?;
        let digests = field(claim::DIGESTS).and_then(Value::as_map).ok_or(malformed("digests"))?.clone();
        Ok(Self { issued_at, expires_at, kind, device_key, status, digests })
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Value::Bytes(b) => format!("<{} bytes>", b.len()),
        Value::Null => String::new(),
        _ => "<unsupported value>".into(),
    }
}
