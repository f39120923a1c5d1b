//! Visa reports (DESIGN §4): a credit report a consulate accepts instead of bank
//! statements, issued to holders whose score reaches the provider's threshold after a fresh
//! face check and the supplementary information they declare.
//!
//! Three signed objects, all COSE_Sign1 ES256:
//! - the **liveness attestation** the device signs (its key store's key) over the server's
//!   one-time challenge, saying a liveness session and a face match passed, and when;
//! - the **report** the issuer signs (a key in the trust list verifiers already cache);
//! - the **seal** the issuer signs: the report's SHA-256 and the summary a consulate
//!   compares with the printed page. It travels in the PDF's QR code (`IDR1:` + Base45, as
//!   presentations do) so the paper verifies offline, with no call to anyone.

mod pdf;
#[cfg(feature = "consulate")]
mod pdf_read;

use serde::{Deserialize, Serialize};

use crate::credential::{cose, qr, CredentialError, TrustList};
use crate::crypto::sha256;
use crate::score::Score;
use crate::store::Record;

pub use pdf::export_pdf;
#[cfg(feature = "consulate")]
pub use pdf_read::{read_pdf, PdfContents};

/// QR prefixes of a report seal (plain, zlib).
pub const SEAL_PREFIXES: (&str, &str) = ("IDR1:", "IDR1Z:");
/// How long a report is valid after issue.
pub const VALIDITY_SECS: i64 = 90 * 86_400;
/// A face unlock older than this is not fresh enough to request a report.
pub const FRESH_FACE_SECS: i64 = 300;
/// How long the server's challenge nonce may be used.
pub const CHALLENGE_SECS: i64 = 120;
const ATTESTATION_AAD: &[u8] = b"idwallet liveness attestation v1";
const REPORT_AAD: &[u8] = b"idwallet visa report v1";
const SEAL_AAD: &[u8] = b"idwallet visa report seal v1";
/// Clock skew tolerated between phone, server and consulate.
const SKEW_SECS: i64 = 300;

/// Why a report could not be requested, issued or verified. Messages name fields, never
/// their values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("supplementary information is missing: {field}")]
    MissingSupplementary { field: &'static str },
    #[error("supplementary information is invalid: {field} {why}")]
    BadSupplementary { field: &'static str, why: &'static str },
    #[error("a report needs a face check in the last {FRESH_FACE_SECS} s: unlock with your face first")]
    FaceCheckRequired,
    #[error("a report's face check must show the screen's colours: run a report face check (not a plain unlock)")]
    ColourCheckRequired,
    #[error("the score is below the provider's visa report threshold")]
    ScoreTooLow,
    #[error("the liveness attestation is invalid: {why}")]
    BadAttestation { why: &'static str },
    #[error("the report is malformed: {what}")]
    Malformed { what: &'static str },
    #[error("the report's signature does not verify")]
    BadSignature,
    #[error("the report was not issued by a trusted issuer")]
    UnknownIssuer,
    #[error("the issuer's key was not valid when the report was issued")]
    IssuerKeyNotValid,
    #[error("the report expired at {at}")]
    Expired { at: i64 },
    #[error("the report is dated in the future")]
    NotYetValid,
    #[error("the QR seal does not match this report")]
    SealMismatch,
    #[error("not a visa report QR code")]
    NotASeal,
    #[error("no visa report QR code (IDR1…) found")]
    NoQrCode,
    #[error("the PDF cannot be read: {what}")]
    BadPdf { what: &'static str },
    #[error("the printed page differs from the signed report it carries: the page was altered")]
    PageAltered,
    #[error("not a visa report: neither its PDF, a picture of its QR code nor the code's text")]
    NotAReport,
}

impl From<CredentialError> for ReportError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::UnknownIssuer => Self::UnknownIssuer,
            CredentialError::BadIssuerSignature | CredentialError::UnsupportedAlgorithm => Self::BadSignature,
            CredentialError::UnknownPrefix => Self::NotASeal,
            CredentialError::NoQrCode | CredentialError::BadImage => Self::NoQrCode,
            _ => Self::Malformed { what: "signed object" },
        }
    }
}

/// The highest education a holder may declare (signed as its [`Education::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Education {
    Secondary,
    Vocational,
    Bachelor,
    Master,
    Doctorate,
}

/// Annual income bands in CNY (signed as its [`IncomeBand::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncomeBand {
    #[serde(rename = "<100k")]
    Below100k,
    #[serde(rename = "100k-300k")]
    From100kTo300k,
    #[serde(rename = "300k-600k")]
    From300kTo600k,
    #[serde(rename = "600k-1m")]
    From600kTo1m,
    #[serde(rename = ">1m")]
    Above1m,
}

impl Education {
    pub const ALL: [Self; 5] = [Self::Secondary, Self::Vocational, Self::Bachelor, Self::Master, Self::Doctorate];

    pub fn code(self) -> &'static str {
        match self {
            Self::Secondary => "secondary",
            Self::Vocational => "vocational",
            Self::Bachelor => "bachelor",
            Self::Master => "master",
            Self::Doctorate => "doctorate",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }
}

impl IncomeBand {
    pub const ALL: [Self; 5] =
        [Self::Below100k, Self::From100kTo300k, Self::From300kTo600k, Self::From600kTo1m, Self::Above1m];

    pub fn code(self) -> &'static str {
        match self {
            Self::Below100k => "<100k",
            Self::From100kTo300k => "100k-300k",
            Self::From300kTo600k => "300k-600k",
            Self::From600kTo1m => "600k-1m",
            Self::Above1m => ">1m",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// What the holder declares for a report. Free text is in Latin script, as on the passport
/// the consulate reads next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplementary {
    pub education: Education,
    pub employer: String,
    pub occupation: String,
    pub income_band: IncomeBand,
    /// Declared assets (e.g. "apartment, Hangzhou"); may be empty, at most 8.
    pub assets: Vec<String>,
    pub phone: String,
    pub email: String,
    /// ISO 3166-1 alpha-2 code of the destination country.
    pub destination: String,
}

impl Supplementary {
    pub fn validate(&self) -> Result<(), ReportError> {
        let text = |field: &'static str, v: &str, max: usize| -> Result<(), ReportError> {
            if v.trim().is_empty() {
                return Err(ReportError::MissingSupplementary { field });
            }
            if v.len() > max {
                return Err(ReportError::BadSupplementary { field, why: "is too long" });
            }
            if !v.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
                return Err(ReportError::BadSupplementary { field, why: "must be in Latin script" });
            }
            Ok(())
        };
        text("employer", &self.employer, 80)?;
        text("occupation", &self.occupation, 80)?;
        if self.assets.len() > 8 {
            return Err(ReportError::BadSupplementary { field: "assets", why: "lists more than 8" });
        }
        for asset in &self.assets {
            text("assets", asset, 80)?;
        }
        text("phone", &self.phone, 20)?;
        if !self.phone.chars().all(|c| c.is_ascii_digit() || " +-".contains(c)) {
            return Err(ReportError::BadSupplementary { field: "phone", why: "must be digits" });
        }
        text("email", &self.email, 80)?;
        if !matches!(self.email.split_once('@'), Some((a, b)) if !a.is_empty() && b.contains('.')) {
            return Err(ReportError::BadSupplementary { field: "email", why: "is not an address" });
        }
        text("destination", &self.destination, 2)?;
        if self.destination.len() != 2 || !self.destination.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ReportError::BadSupplementary { field: "destination", why: "must be an ISO country code" });
        }
        Ok(())
    }
}

/// What the device attests after a face unlock: signed by its key over the server's nonce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivenessAttestation {
    #[serde(with = "serde_bytes")]
    pub nonce: Vec<u8>,
    pub device_id: String,
    /// When the liveness session passed and the face matched.
    pub verified_at: i64,
    pub similarity: f32,
    /// The movements made, in order (signed as `["turn-left", "look-up", …]`).
    pub challenges: Vec<crate::face::liveness::Challenge>,
    /// SHA-256 of the issuer's reference portrait the holder's face was enrolled against;
    /// the service checks it is the portrait it issued to this device's citizen.
    #[serde(with = "serde_bytes")]
    pub reference_portrait: Vec<u8>,
    /// Cosine similarity of this check's live face to that reference portrait.
    pub reference_similarity: f32,
    /// Whether the face reflected the screen-colour challenge (#23). Absent (false) in an
    /// attestation from a wallet that predates it, which the service refuses.
    #[serde(default)]
    pub screen_colour: bool,
    /// The platform's integrity verdict over [`crate::platform::integrity::report_nonce`]
    /// of this nonce, device and `verified_at`, if the app has a platform integrity service.
    /// The service must check it with the platform's vendor (`docs/integrity.md`).
    #[serde(default)]
    pub integrity: Option<crate::platform::IntegrityToken>,
}

impl LivenessAttestation {
    /// COSE_Sign1 bytes signed by `sign` (the device key store).
    pub fn sign<E>(&self, sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>) -> Result<Vec<u8>, E> {
        let payload = to_cbor(self);
        Ok(cose::to_bytes(cose::sign_es256(Some(self.device_id.as_bytes()), vec![], payload, ATTESTATION_AAD, sign)?))
    }

    /// The nonce `bytes` claims to sign, before anything is verified: only to find which
    /// challenge to verify it against.
    pub fn claimed_nonce(bytes: &[u8]) -> Option<Vec<u8>> {
        let sign1 = cose::parse(bytes).ok()?;
        from_cbor::<Self>(sign1.payload.as_deref()?).ok().map(|a| a.nonce)
    }

    /// Check `bytes` is an attestation signed by `device_key` for `device_id`, over `nonce`,
    /// made at most [`FRESH_FACE_SECS`] before `now`.
    pub fn verify(
        bytes: &[u8],
        device_id: &str,
        device_key: &[u8],
        nonce: &[u8],
        now: i64,
    ) -> Result<Self, ReportError> {
        let bad = |why| ReportError::BadAttestation { why };
        let sign1 = cose::parse(bytes).map_err(|_| bad("not COSE_Sign1"))?;
        cose::verify_es256(&sign1, ATTESTATION_AAD, device_key).map_err(|_| bad("not signed by this device"))?;
        let a: Self = from_cbor(sign1.payload.as_deref().unwrap_or_default()).map_err(|_| bad("malformed"))?;
        if a.device_id != device_id {
            return Err(bad("made for another device"));
        }
        if a.nonce != nonce {
            return Err(bad("not over the challenge"));
        }
        if a.verified_at > now + SKEW_SECS || now - a.verified_at > FRESH_FACE_SECS {
            return Err(bad("the face check is not fresh"));
        }
        if a.challenges.is_empty() {
            return Err(bad("no liveness movements"));
        }
        if !a.screen_colour {
            return Err(bad("no screen-colour check"));
        }
        if a.integrity
            .as_ref()
            .is_some_and(|t| t.token.is_empty() || t.token.len() > crate::platform::integrity::MAX_TOKEN_BYTES)
        {
            return Err(bad("the platform integrity token is empty or too long"));
        }
        if a.reference_portrait.len() != 32 {
            return Err(bad("no reference portrait"));
        }
        // NaN too: a similarity that is not a number matches nothing.
        if a.reference_similarity.is_nan() || a.reference_similarity < crate::face::REFERENCE_MATCH_THRESHOLD {
            return Err(bad("the face does not match the reference portrait"));
        }
        Ok(a)
    }
}

/// The holder as a consulate sees them: the name as on the passport, the ID number masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Hanyu Pinyin, surname first in capitals (e.g. "WANG XIUYING").
    pub name_latin: String,
    pub sex: crate::documents::Sex,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// First 6 and last 4 characters of the resident ID number.
    pub id_number_masked: String,
}

#[cfg(feature = "issuer")]
impl Holder {
    pub fn from_id_card(card: &crate::documents::ResidentIdCard) -> Self {
        let n = &card.id_number;
        let masked =
            if n.len() == 18 && n.is_ascii() { format!("{}********{}", &n[..6], &n[14..]) } else { "*".repeat(18) };
        Self {
            name_latin: pinyin_name(&card.name),
            sex: card.sex,
            birth_date: card.birth_date.to_string(),
            id_number_masked: masked,
        }
    }
}

/// A Chinese name in passport style: the (single-character) surname, then the given name,
/// in plain pinyin capitals. Latin input passes through upper-cased.
#[cfg(feature = "issuer")]
pub fn pinyin_name(name: &str) -> String {
    use pinyin::ToPinyin;
    let syllables: Vec<String> = name
        .chars()
        .map(|c| c.to_pinyin().map_or_else(|| c.to_ascii_uppercase().to_string(), |p| p.plain().to_uppercase()))
        .collect();
    match syllables.split_first() {
        Some((surname, given)) if !given.is_empty() && !name.is_ascii() => format!("{surname} {}", given.concat()),
        _ => syllables.concat(),
    }
}

/// The report, as the issuer signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisaReport {
    pub id: String,
    pub issuer: String,
    pub holder: Holder,
    pub device_id: String,
    pub score: Score,
    /// The provider's report threshold the score met.
    pub threshold: i32,
    pub supplementary: Supplementary,
    /// When the face check the request carried was made.
    pub face_verified_at: i64,
    pub issued_at: i64,
    pub valid_until: i64,
}

/// What the QR code carries: the report's digest and the summary printed beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub id: String,
    /// SHA-256 of the signed report's payload.
    #[serde(with = "serde_bytes")]
    pub digest: Vec<u8>,
    pub name_latin: String,
    pub id_number_masked: String,
    pub destination: String,
    pub provider: String,
    pub score: i32,
    pub issued_at: i64,
    pub valid_until: i64,
}

/// A report with its signatures, as the wallet stores it (sealed) and the PDF embeds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedReport {
    /// COSE_Sign1 over the [`VisaReport`] CBOR.
    #[serde(with = "serde_bytes")]
    pub signed: Vec<u8>,
    /// The seal's QR text.
    pub seal: String,
    /// The verified content (not trusted from storage: [`SignedReport::verify`] re-derives it).
    pub report: VisaReport,
}

impl Record for SignedReport {
    const KIND: &'static str = "visa_report";
    fn id(&self) -> &str {
        &self.report.id
    }
}

impl SignedReport {
    /// Sign `report` and its seal with the issuer's key.
    #[cfg(feature = "issuer")]
    pub fn issue(report: VisaReport, issuer: &crate::credential::IssuerKey) -> Result<Self, ReportError> {
        let kid = &issuer.kid();
        let sign = |data: &[u8]| issuer.sign(data);
        let payload = to_cbor(&report);
        let seal = Seal {
            id: report.id.clone(),
            digest: sha256(&payload),
            name_latin: report.holder.name_latin.clone(),
            id_number_masked: report.holder.id_number_masked.clone(),
            destination: report.supplementary.destination.clone(),
            provider: report.score.provider.clone(),
            score: report.score.value,
            issued_at: report.issued_at,
            valid_until: report.valid_until,
        };
        let signed = cose::to_bytes(cose::sign_es256(Some(kid), vec![], payload, REPORT_AAD, sign)?);
        let seal = cose::to_bytes(cose::sign_es256(Some(kid), vec![], to_cbor(&seal), SEAL_AAD, sign)?);
        Ok(Self { signed, seal: qr::encode(SEAL_PREFIXES, &seal), report })
    }

    /// Verify a report as received or read back: the issuer's signatures (trust list), the
    /// validity at `now`, and that the seal is this report's.
    pub fn verify(signed: &[u8], seal: &str, trust: &TrustList, now: i64) -> Result<Self, ReportError> {
        let (payload, key_validity) = verify_signed(signed, REPORT_AAD, trust)?;
        let report: VisaReport = from_cbor(&payload).map_err(|_| ReportError::Malformed { what: "report" })?;
        check_dates(report.issued_at, report.valid_until, key_validity, now)?;
        let s = verify_seal(seal, trust, now)?;
        if s.digest != sha256(&payload) || s.id != report.id {
            return Err(ReportError::SealMismatch);
        }
        Ok(Self { signed: signed.to_vec(), seal: seal.to_owned(), report })
    }
}

/// Verify a report PDF as a consulate would: the seal in its QR code; and when the signed
/// report is embedded, that it verifies and is the one the printed QR seals.
#[cfg(feature = "consulate")]
pub fn verify_pdf(bytes: &[u8], trust: &TrustList, now: i64) -> Result<(Seal, Option<VisaReport>), ReportError> {
    let contents = pdf_read::read_pdf(bytes)?;
    let prefix = SEAL_PREFIXES.0.trim_end_matches(':');
    let text = contents.qr_texts.iter().find(|t| t.starts_with(prefix)).ok_or(ReportError::NoQrCode)?;
    let seal = verify_seal(text, trust, now)?;
    let report = match contents.embedded {
        Some((signed, _)) => {
            let report = SignedReport::verify(&signed, text, trust, now)?;
            // The consulate reads the page: it must be exactly what the signed report
            // renders to (the renderer is deterministic), every drawn character included.
            if pdf_read::page_fingerprint(bytes)? != pdf_read::page_fingerprint(&export_pdf(&report)?)? {
                return Err(ReportError::PageAltered);
            }
            Some(report.report)
        }
        None => None,
    };
    Ok((seal, report))
}

/// Verify whatever a consulate desk was handed, told apart by its first bytes: a report
/// PDF ([`verify_pdf`]), a seal's QR text ([`verify_seal`]), or a photo or scan of the
/// printed page (PNG/JPEG: its seal, among any other codes in the picture). Only a PDF
/// that embeds the signed report gives the report itself; the others give its seal.
/// Without the `consulate` feature (the app library) a PDF is refused as `BadPdf`.
pub fn verify_any(input: &[u8], trust: &TrustList, now: i64) -> Result<(Seal, Option<VisaReport>), ReportError> {
    if input.starts_with(b"%PDF-") {
        #[cfg(feature = "consulate")]
        return verify_pdf(input, trust, now);
        #[cfg(not(feature = "consulate"))]
        return Err(ReportError::BadPdf { what: "this build reads no PDFs: give the seal's QR text or a photo of it" });
    }
    let prefix = SEAL_PREFIXES.0.trim_end_matches(':');
    if let Ok(text) = std::str::from_utf8(input) {
        if text.trim_start().starts_with(prefix) {
            return Ok((verify_seal(text, trust, now)?, None));
        }
    }
    let texts = match qr::decode_image(input) {
        Err(CredentialError::BadImage) => return Err(ReportError::NotAReport),
        other => other?,
    };
    let text = texts.iter().find(|t| t.starts_with(prefix)).ok_or(ReportError::NoQrCode)?;
    Ok((verify_seal(text, trust, now)?, None))
}

/// Verify a seal's QR text offline: issuer signature against the trust list, validity.
pub fn verify_seal(text: &str, trust: &TrustList, now: i64) -> Result<Seal, ReportError> {
    let cbor = qr::decode(SEAL_PREFIXES, text.trim())?;
    let (payload, key_validity) = verify_signed(&cbor, SEAL_AAD, trust)?;
    let seal: Seal = from_cbor(&payload).map_err(|_| ReportError::Malformed { what: "seal" })?;
    check_dates(seal.issued_at, seal.valid_until, key_validity, now)?;
    Ok(seal)
}

/// The verified payload and the validity `[not_before, not_after]` of the key that signed it.
fn verify_signed(bytes: &[u8], aad: &[u8], trust: &TrustList) -> Result<(Vec<u8>, (i64, i64)), ReportError> {
    let sign1 = cose::parse(bytes)?;
    let issuer = trust.find(cose::key_id(&sign1))?;
    cose::verify_es256(&sign1, aad, &issuer.public_key)?;
    let payload = sign1.payload.ok_or(ReportError::Malformed { what: "no payload" })?;
    Ok((payload, (issuer.not_before, issuer.not_after)))
}

/// The report's own dates, and the trust list's word on the key that signed it: as for
/// credentials, a key signs only within its validity.
fn check_dates(issued_at: i64, valid_until: i64, key_validity: (i64, i64), now: i64) -> Result<(), ReportError> {
    if !(key_validity.0..=key_validity.1).contains(&issued_at) {
        return Err(ReportError::IssuerKeyNotValid);
    }
    if issued_at > now + SKEW_SECS {
        return Err(ReportError::NotYetValid);
    }
    if now > valid_until {
        return Err(ReportError::Expired { at: valid_until });
    }
    Ok(())
}

fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to memory cannot fail");
    out
}

fn from_cbor<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ()> {
    ciborium::from_reader(bytes).map_err(|_| ())
}

#[cfg(test)]
mod tests;
