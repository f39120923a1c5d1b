//! The JSON the phone and the reference server exchange (DESIGN §4). Both sides use these
//! types, so the protocol cannot drift. Binary fields (keys, CBOR, COSE) travel as
//! unpadded base64url. Every body is covered by `Content-Digest` and the message signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::documents::Claims;
use crate::score::{Score, ScorePoint};

/// Paths, relative to the service's base URL.
pub mod path {
    pub const DEVICES: &str = "/v1/devices";
    pub const DOCUMENTS: &str = "/v1/documents";
    pub const TRUST_LIST: &str = "/v1/trust-list";
    pub const STATUS_LISTS: &str = "/v1/status-lists";
    /// Followed by `/{provider}`.
    pub const SCORES: &str = "/v1/scores";
    /// `POST`: a one-time nonce for a liveness attestation.
    pub const REPORT_CHALLENGES: &str = "/v1/reports/challenges";
    /// `POST` a [`super::ReportRequest`]; `GET` followed by `/{id}`.
    pub const REPORTS: &str = "/v1/reports";
}

/// The media type of every request and response body.
pub const CONTENT_TYPE: &str = "application/json";

/// Bytes as unpadded base64url in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct B64(pub Vec<u8>);

impl Serialize for B64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        URL_SAFE_NO_PAD.decode(text).map(B64).map_err(|_| serde::de::Error::custom("invalid base64url"))
    }
}

/// The key id a device signs under: derived from its public key, so a registration
/// request can prove possession of the key it registers.
pub fn device_id(public_key: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, public_key);
    format!("dev-{}", URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16]))
}

/// `POST /v1/devices`, signed by the key being registered (keyid = [`device_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// Uncompressed SEC1 P-256 point.
    pub public_key: B64,
    /// The one-time code the citizen received when enrolling for a digital ID.
    pub activation_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub device_id: String,
    /// When the activation code in this request was used (a retried request with the
    /// same code answers the same time; a new code, a new time).
    pub registered_at: i64,
}

/// One document as issued to this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedDocument {
    pub claims: Claims,
    /// CBOR of [`crate::credential::IssuerCredential`].
    pub credential: B64,
    /// The same document as an ISO 18013-5 mdoc (IssuerSigned CBOR): the driving licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdoc: Option<B64>,
}

/// `GET /v1/documents`: fresh credentials for every document, bound to the device key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentsResponse {
    pub documents: Vec<IssuedDocument>,
    /// The issuer's reference portrait (JPEG, [`crate::documents::reference`]) whose
    /// SHA-256 the identity credentials sign, for matching the face at enrolment. Absent
    /// for a citizen the issuer holds no photo of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_portrait: Option<B64>,
}

/// `GET /v1/trust-list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustListResponse {
    /// CBOR of [`crate::credential::TrustList`].
    pub trust_list: B64,
    /// How long the phone may rely on it before fetching again.
    pub max_age_secs: i64,
}

/// `GET /v1/status-lists`: every current Status List Token (COSE, issuer-signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListsResponse {
    pub tokens: Vec<B64>,
}

/// `GET /v1/scores/{provider}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreResponse {
    pub score: Score,
    /// Earlier scores, oldest first.
    pub history: Vec<ScorePoint>,
}

/// Every refusal: a stable code an app can branch on, and a sentence without personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// Why the service refused a request: one list that the server sends and the client
/// reads, so neither matches strings. On the wire in snake_case (`score_too_low`); a code
/// a newer server sends and this build does not know reads as [`ErrorCode::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The request itself.
    BadRequest,
    TooLarge,
    NotFound,
    MethodNotAllowed,
    // Its signature (RFC 9421) and freshness.
    UnknownKey,
    Replayed,
    ClockSkew,
    SignatureExpired,
    SignedBeforeRestart,
    SignaturePolicy,
    BadSignature,
    // Registration.
    InvalidActivationCode,
    Conflict,
    // Scores and visa reports.
    UnknownProvider,
    NoVisaReport,
    MissingSupplementary,
    BadSupplementary,
    BadAttestation,
    PortraitMismatch,
    AttestationReplayed,
    ChallengeExpired,
    ScoreTooLow,
    /// The service failed on its side.
    Internal,
    /// A code this build does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::TooLarge => "too_large",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnknownKey => "unknown_key",
            Self::Replayed => "replayed",
            Self::ClockSkew => "clock_skew",
            Self::SignatureExpired => "signature_expired",
            Self::SignedBeforeRestart => "signed_before_restart",
            Self::SignaturePolicy => "signature_policy",
            Self::BadSignature => "bad_signature",
            Self::InvalidActivationCode => "invalid_activation_code",
            Self::Conflict => "conflict",
            Self::UnknownProvider => "unknown_provider",
            Self::NoVisaReport => "no_visa_report",
            Self::MissingSupplementary => "missing_supplementary",
            Self::BadSupplementary => "bad_supplementary",
            Self::BadAttestation => "bad_attestation",
            Self::PortraitMismatch => "portrait_mismatch",
            Self::AttestationReplayed => "attestation_replayed",
            Self::ChallengeExpired => "challenge_expired",
            Self::ScoreTooLow => "score_too_low",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
#[test]
fn error_codes_travel_as_their_names_and_a_newer_code_does_not_fail() {
    use ErrorCode::*;
    let all = [
        BadRequest,
        TooLarge,
        NotFound,
        MethodNotAllowed,
        UnknownKey,
        Replayed,
        ClockSkew,
        SignatureExpired,
        SignedBeforeRestart,
        SignaturePolicy,
        BadSignature,
        InvalidActivationCode,
        Conflict,
        UnknownProvider,
        NoVisaReport,
        MissingSupplementary,
        BadSupplementary,
        BadAttestation,
        PortraitMismatch,
        AttestationReplayed,
        ChallengeExpired,
        ScoreTooLow,
        Internal,
    ];
    for code in all {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()), "as_str is the wire name");
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
    }
    let body: ErrorBody = serde_json::from_str(r#"{"code":"quota_exceeded","message":"later"}"#).unwrap();
    assert_eq!(body.code, Unknown);
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /v1/reports/challenges` (empty body): the nonce the next attestation must sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    pub nonce: B64,
    pub expires_at: i64,
}

/// `POST /v1/reports`: a visa report for `provider`'s score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequest {
    pub provider: String,
    /// COSE_Sign1 of a [`crate::report::LivenessAttestation`] by the device key.
    pub attestation: B64,
    pub supplementary: crate::report::Supplementary,
}

/// A report as issued (`POST /v1/reports`) or fetched again (`GET /v1/reports/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportResponse {
    /// COSE_Sign1 of the [`crate::report::VisaReport`] by the issuer.
    pub report: B64,
    /// The seal's QR text.
    pub seal: String,
}
