//! QR credentials (DESIGN §3): the issuer's signed, selectively disclosable credential;
//! the holder's short-lived, device-signed presentation; and the offline verifier for
//! hotel and police staff, with trust list and status lists.
//!
//! Wire format, built on the EU DCC stack plus ISO 18013-5-style salted digests:
//! - issuer credential: COSE_Sign1 (ES256, kid protected) over CWT claims — `iss`, `iat`,
//!   `exp`, `cnf` (the device's P-256 COSE_Key), `status` (Token Status List reference),
//!   and private claims for the document kind and the element digests
//!   `SHA-256(CBOR([salt, element id, value]))`;
//! - presentation: CBOR `[issuer COSE, [[salt, id, value]…], device COSE_Sign1]`, where
//!   the device signs `[audience, created]` with external AAD
//!   `SHA-256(issuer COSE) ‖ CBOR([disclosed ids])`;
//! - text: `IDW1:` + Base45, or `IDW1Z:` + Base45(zlib) when that is shorter.

pub(crate) mod cbor;
pub mod cose;
#[cfg(feature = "issuer")]
mod issue;
mod issued;
mod present;
pub mod qr;
pub mod scan;
pub mod status;
mod trust;
mod verify;

#[cfg(feature = "issuer")]
pub use issue::{issue, Issued, Issuer, IssuerKey, Person, Portraits};
pub use issued::{Disclosure, IssuerCredential};
pub use present::{device_aad, present, Presentation, Profile};
pub use status::{StatusCache, StatusCheck, StatusList, StatusRef};
pub use trust::{TrustList, TrustedIssuer};
pub use verify::{check_issued, DisclosedClaim, VerifiedPresentation, Verifier, VerifierPolicy};

/// Why a credential or presentation was refused, or could not be made. Each variant is a
/// reason a verifier can show; none carries a claim value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("not an idwallet QR code (unknown prefix)")]
    UnknownPrefix,
    #[error("the QR text is not valid Base45")]
    BadEncoding,
    #[error("the input is too large ({bytes} bytes)")]
    TooLarge { bytes: usize },
    #[error("the credential is malformed: {what}")]
    Malformed { what: &'static str },
    #[error("the credential's CBOR is not in canonical form")]
    NonCanonical,
    #[error("the credential repeats a map key")]
    DuplicateKey,
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    #[error("the issuer is not in the trust list")]
    UnknownIssuer,
    #[error("the issuer key was not valid when the credential was issued")]
    IssuerKeyNotValid,
    #[error("the issuer's signature does not verify")]
    BadIssuerSignature,
    #[error("the device signature does not verify (not presented by the device it was issued to)")]
    BadDeviceSignature,
    #[error("the credential expired at {at}")]
    Expired { at: i64 },
    #[error("the credential is not valid before {at}")]
    NotYetValid { at: i64 },
    #[error("the QR code is {age_secs} s old; it must be refreshed")]
    Stale { age_secs: i64 },
    #[error("the QR code is dated {ahead_secs} s in the future")]
    FromTheFuture { ahead_secs: i64 },
    #[error("the QR code was made for '{presented}', not for this verifier ('{expected}')")]
    WrongAudience { expected: String, presented: String },
    #[error("the QR code discloses '{element}', which '{audience}' may not see")]
    OverDisclosure { element: String, audience: String },
    #[error("'{audience}' may not be shown a {kind}")]
    KindNotAllowed { kind: &'static str, audience: String },
    #[error("a disclosed value does not match what the issuer signed ('{element}')")]
    DigestMismatch { element: String },
    #[error("the issuer revoked this credential")]
    Revoked,
    #[error("the issuer suspended this credential")]
    Suspended,
    #[error("no QR code found in the image")]
    NoQrCode,
    #[error("the image could not be read")]
    BadImage,
    #[error("the status list is invalid: {what}")]
    BadStatusList { what: &'static str },
    #[error(transparent)]
    Document(#[from] crate::documents::DocumentError),
    #[error(transparent)]
    KeyStore(#[from] crate::platform::KeyStoreError),
}

impl CredentialError {
    /// A stable, machine-readable name for the reason (for JSON output and logs): it does
    /// not change with the wording of the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownPrefix => "unknown_prefix",
            Self::BadEncoding => "bad_encoding",
            Self::TooLarge { .. } => "too_large",
            Self::Malformed { .. } => "malformed",
            Self::NonCanonical => "non_canonical",
            Self::DuplicateKey => "duplicate_key",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnknownIssuer => "unknown_issuer",
            Self::IssuerKeyNotValid => "issuer_key_not_valid",
            Self::BadIssuerSignature => "bad_issuer_signature",
            Self::BadDeviceSignature => "bad_device_signature",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Stale { .. } => "stale",
            Self::FromTheFuture { .. } => "from_the_future",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::OverDisclosure { .. } => "over_disclosure",
            Self::KindNotAllowed { .. } => "kind_not_allowed",
            Self::DigestMismatch { .. } => "digest_mismatch",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::NoQrCode => "no_qr_code",
            Self::BadImage => "bad_image",
            Self::BadStatusList { .. } => "bad_status_list",
            Self::Document(_) => "invalid_document",
            Self::KeyStore(_) => "key_store",
        }
    }

    /// The input itself could not be read (no code, not an image, not idwallet's), as
    /// opposed to a credential that was read and refused.
    pub fn is_unreadable_input(&self) -> bool {
        matches!(
            self,
            Self::UnknownPrefix | Self::BadEncoding | Self::NoQrCode | Self::BadImage | Self::TooLarge { .. }
        )
    }
}

pub(crate) fn malformed(what: &'static str) -> CredentialError {
    CredentialError::Malformed { what }
}

#[cfg(test)]
mod tests;
