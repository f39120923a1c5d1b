//! Public errors and the one place core errors map onto them (application-services
//! style). Core errors carry no personal data; this mapping keeps it that way and decides
//! what an app developer can act on. Flat errors surface in Kotlin/Swift/Python with their
//! readable `Display` text as the exception message; the others export `Display`.

use idwallet_core::platform::KeyStoreError as CoreKeyStoreError;
pub use idwallet_core::wire::ErrorCode;
use idwallet_core::StoreError;

/// Why the service refused a request (`WalletError.Rejected.code`); `Unknown` for a code
/// a newer service sends that this version does not know.
#[uniffi::remote(Enum)]
pub enum ErrorCode {
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
    Unknown,
}

/// What went wrong with a wallet, by what the app can do about it.
///
/// Not flat: variants carry what the caller acts on (`LockedOut.retryAfterSecs` for a
/// countdown, `Rejected.code`). uniffi builds the exception's message from the fields, so
/// `Display` is exported: Kotlin's `toString()` and Swift's `description` read as the text.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum WalletError {
    /// No wallet file exists and creation was not asked for.
    #[error("no wallet exists at this path")]
    NoWallet,
    /// The file is not an idwallet wallet (another app's database, a random file).
    #[error("the file is not an idwallet wallet")]
    NotAWallet,
    /// The wallet file is damaged. The app may offer to reset it (and refresh from the issuer).
    #[error("the wallet file is damaged")]
    Corrupt,
    /// The wallet was written by a newer app version (schema `found`; this one reads up to
    /// `supported`); update the app.
    #[error("the wallet was written by a newer version (schema {found}, this build supports {supported})")]
    TooNew { found: u32, supported: u32 },
    /// The key store cannot unlock this wallet: it belongs to another device or key store.
    #[error("this key store cannot open the wallet")]
    WrongKey,
    /// The key store failed (see the message); e.g. user authentication was cancelled.
    #[error("key store: {reason}")]
    KeyStore { reason: String },
    /// The app's `PlatformIntegrity` gave no verdict for a report request.
    #[error("{reason}")]
    IntegrityUnavailable { reason: String },
    /// No record with that id.
    #[error("{reason}")]
    NotFound { reason: String },
    /// A stored value failed authentication: the file was altered outside idwallet.
    #[error("{reason}")]
    Tampered { reason: String },
    /// Another process holds the wallet; retry later.
    #[error("the wallet is busy in another process")]
    Busy,
    /// The wallet was closed; open it again.
    #[error("the wallet is closed")]
    Closed,
    /// Disk or SQLite failure (full disk, permissions…).
    #[error("storage failure: {reason}")]
    Storage { reason: String },
    /// The document cannot be presented so (e.g. a hotel may not see this kind, or the
    /// credential expired); the message says why.
    #[error("{reason}")]
    NotPresentable { reason: String },
    /// The wallet has not registered with a service yet: call `register` first.
    #[error("the wallet is not registered with a service")]
    NotRegistered,
    /// The service cannot be reached. Cached data stays available.
    #[error("the service cannot be reached (offline?)")]
    Offline,
    /// The service did not answer in time; retry later.
    #[error("the service did not answer in time")]
    Timeout,
    /// The service refused the request: `code` says why (branch on it), `reason` is the
    /// service's sentence.
    #[error("{code}: {reason}")]
    Rejected { code: ErrorCode, reason: String },
    /// A response failed verification (forged, altered, replayed or for another request):
    /// nothing from it was used. Possibly an attack on the connection.
    #[error("{reason}")]
    Untrusted { reason: String },
    /// The service failed on its side.
    #[error("{reason}")]
    ServiceFailed { reason: String },
    /// An argument is invalid (URL, server key, provider); the message says which.
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// The photo or frame has no usable face; `problem` says which (none, several, too
    /// small, blurred, too dark or bright, head turned, unreadable), so the UI can guide.
    #[error("{reason}")]
    FaceNotUsable { problem: FaceProblem, reason: String },
    /// The face models are unusable or failed (a damaged model file, not the user's face).
    #[error("{reason}")]
    FaceEngine { reason: String },
    /// No face is enrolled: run `startFaceEnrolment` first.
    #[error("no face is enrolled")]
    NotEnrolled,
    /// The face did not match the enrolled holder (an unlock) or the issuer's reference
    /// portrait (an enrolment); counted as a failed attempt. `retry_after_secs`: locked out
    /// for that long now.
    #[error("the face does not match (similarity {similarity:.2})")]
    FaceMismatch { similarity: f32, retry_after_secs: Option<i64> },
    /// Too many failed face checks: no attempt and no disclosure for `retry_after_secs`.
    #[error("too many failed attempts: try again in {retry_after_secs} s")]
    LockedOut { retry_after_secs: i64 },
    /// The liveness check failed (frozen or replayed feed, a flat picture, the face
    /// changed, the wrong movement, too slow); it counts as a failed attempt.
    #[error("the liveness check failed: {reason}")]
    LivenessFailed { reason: String, retry_after_secs: Option<i64> },
    /// The unlock session already ended: start a new one.
    #[error("the unlock session has ended")]
    SessionEnded,
    /// The eID is locked: a presentation, a visa report or a change of the enrolled face
    /// needs a face unlock recent enough for it (the disclosure policy's window). Run one
    /// (`startFaceUnlock`), then ask again.
    #[error("{reason}")]
    FaceCheckRequired { reason: String },
    /// The disclosure policy asks for the platform's user authentication, which this key
    /// store does not enforce.
    #[error("the policy needs the platform's user authentication, which this key store does not enforce")]
    UserAuthenticationUnavailable,
    /// The issuer has sent no reference portrait to enrol against: refresh the documents.
    #[error("no reference portrait from the issuer: refresh the documents")]
    NoReferencePortrait,
    /// The reference portrait is not the one the issuer signed.
    #[error("the reference portrait is not the one the issuer signed")]
    ReferencePortraitMismatch,
    /// The score is below the provider's visa report threshold.
    #[error("{reason}")]
    ScoreTooLow { reason: String },
}

impl From<idwallet_core::WalletError> for WalletError {
    fn from(e: idwallet_core::WalletError) -> Self {
        use idwallet_core::net::client::ClientError as C;
        use idwallet_core::WalletError as W;
        let text = e.to_string();
        match e {
            W::Store(s) => s.into(),
            W::Credential(idwallet_core::credential::CredentialError::KeyStore(k)) => {
                Self::KeyStore { reason: k.to_string() }
            }
            W::Credential(c) => Self::NotPresentable { reason: c.to_string() },
            W::NotRegistered => Self::NotRegistered,
            W::BadServerKey | W::Score(_) | W::Net(C::BadUrl) => Self::InvalidInput { reason: text },
            W::Net(C::Offline) => Self::Offline,
            W::Net(C::Timeout) => Self::Timeout,
            W::Net(C::Rejected { code, message, .. }) => Self::Rejected { code, reason: message },
            W::Net(C::BadResponse(_) | C::Malformed { .. }) => Self::Untrusted { reason: text },
            W::Net(C::Server { .. } | C::Interrupted) => Self::ServiceFailed { reason: text },
            W::Net(C::Sign(_)) => Self::KeyStore { reason: text },
            W::Face(f) => FaceError::from(f).into(),
            W::NotEnrolled => Self::NotEnrolled,
            W::FaceMismatch { similarity, retry_after_secs } => Self::FaceMismatch { similarity, retry_after_secs },
            W::LockedOut { retry_after_secs } => Self::LockedOut { retry_after_secs },
            W::LivenessFailed { failure, retry_after_secs } => {
                Self::LivenessFailed { reason: failure.to_string(), retry_after_secs }
            }
            W::FaceCheckRequired => Self::FaceCheckRequired { reason: text },
            W::UserAuthenticationUnavailable => Self::UserAuthenticationUnavailable,
            W::NoReferencePortrait => Self::NoReferencePortrait,
            W::ReferencePortraitMismatch => Self::ReferencePortraitMismatch,
            W::InvalidPolicy => Self::InvalidInput { reason: text },
            W::Integrity(_) => Self::IntegrityUnavailable { reason: text },
            W::SessionEnded => Self::SessionEnded,
            W::Closed => Self::Closed,
            W::Mdl(m) => {
                use idwallet_core::mdl::MdlError as M;
                match m {
                    M::NoMdoc => Self::NotFound { reason: text },
                    M::Signing { reason } => Self::KeyStore { reason },
                    // What the holder's app asked (an element not allowed, a step out of order).
                    M::NotAllowed { .. } | M::OutOfOrder => Self::InvalidInput { reason: text },
                    // A stored or delivered mdoc that fails its checks.
                    _ => Self::Untrusted { reason: text },
                }
            }
            W::Report(r) => {
                use idwallet_core::report::ReportError as R;
                match r {
                    R::FaceCheckRequired | R::ColourCheckRequired => Self::FaceCheckRequired { reason: text },
                    R::ScoreTooLow => Self::ScoreTooLow { reason: text },
                    R::MissingSupplementary { .. } | R::BadSupplementary { .. } => Self::InvalidInput { reason: text },
                    // A kept report past its date: still stored, no longer for a consulate.
                    R::Expired { .. } | R::NotYetValid => Self::NotPresentable { reason: text },
                    // What the service sent, or what was read back, failed verification.
                    R::BadAttestation { .. }
                    | R::Malformed { .. }
                    | R::BadSignature
                    | R::UnknownIssuer
                    | R::IssuerKeyNotValid
                    | R::SealMismatch
                    | R::NotASeal
                    | R::NotAReport
                    | R::NoQrCode
                    | R::BadPdf { .. }
                    | R::PageAltered => Self::Untrusted { reason: text },
                }
            }
        }
    }
}

/// Why a consulate's offline check refused a visa report (`verifyVisaReport`). The variant
/// is what the desk shows; the message explains it without personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum ReportError {
    /// The trust list given is not one (not the issuer's CBOR file).
    #[error("{0}")]
    BadTrustList(String),
    /// Not a visa report: no seal QR code, an unreadable PDF, not a seal's text.
    #[error("{0}")]
    Unreadable(String),
    /// Not signed by a trusted issuer, or by a key outside its validity.
    #[error("{0}")]
    UnknownIssuer(String),
    /// A signature does not verify, or the QR seal is not this report's: forged or altered.
    #[error("{0}")]
    Forged(String),
    /// The printed page differs from the signed report it carries: the page was edited.
    #[error("{0}")]
    PageAltered(String),
    /// Past its validity: ask for a new report.
    #[error("{0}")]
    Expired(String),
    /// Dated in the future (check the desk's clock).
    #[error("{0}")]
    NotYetValid(String),
}

impl From<idwallet_core::report::ReportError> for ReportError {
    fn from(e: idwallet_core::report::ReportError) -> Self {
        use idwallet_core::report::ReportError as R;
        let text = e.to_string();
        match e {
            R::NotASeal | R::NotAReport | R::NoQrCode | R::BadPdf { .. } | R::Malformed { .. } => {
                Self::Unreadable(text)
            }
            R::UnknownIssuer | R::IssuerKeyNotValid => Self::UnknownIssuer(text),
            R::BadSignature | R::SealMismatch => Self::Forged(text),
            R::PageAltered => Self::PageAltered(text),
            R::Expired { .. } => Self::Expired(text),
            R::NotYetValid => Self::NotYetValid(text),
            // The holder's side of a report request: a consulate's check never produces them.
            R::MissingSupplementary { .. }
            | R::BadSupplementary { .. }
            | R::FaceCheckRequired
            | R::ColourCheckRequired
            | R::ScoreTooLow
            | R::BadAttestation { .. } => Self::Unreadable(text),
        }
    }
}

/// Why a QR code was refused by a verifier, or an issuer input was bad. The variant is the
/// reason staff are shown; the message explains it without any personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum CredentialError {
    #[error("{0}")]
    NotIdwallet(String),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    UnknownIssuer(String),
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    NotYetValid(String),
    /// Older than the freshness window (or dated in the future): ask for a fresh QR code.
    #[error("{0}")]
    Stale(String),
    #[error("{0}")]
    WrongAudience(String),
    #[error("{0}")]
    OverDisclosure(String),
    #[error("{0}")]
    Revoked(String),
    #[error("{0}")]
    Suspended(String),
    #[error("{0}")]
    NoQrCode(String),
    #[error("{0}")]
    InvalidInput(String),
}

impl From<idwallet_core::credential::CredentialError> for CredentialError {
    fn from(e: idwallet_core::credential::CredentialError) -> Self {
        use idwallet_core::credential::CredentialError as C;
        let text = e.to_string();
        match e {
            C::UnknownPrefix | C::BadEncoding => Self::NotIdwallet(text),
            C::TooLarge { .. } | C::Malformed { .. } | C::NonCanonical | C::DuplicateKey | C::UnsupportedAlgorithm => {
                Self::Malformed(text)
            }
            C::UnknownIssuer | C::IssuerKeyNotValid => Self::UnknownIssuer(text),
            C::BadIssuerSignature | C::BadDeviceSignature | C::DigestMismatch { .. } => Self::BadSignature(text),
            C::Expired { .. } => Self::Expired(text),
            C::NotYetValid { .. } => Self::NotYetValid(text),
            C::Stale { .. } | C::FromTheFuture { .. } => Self::Stale(text),
            C::WrongAudience { .. } | C::KindNotAllowed { .. } => Self::WrongAudience(text),
            C::OverDisclosure { .. } => Self::OverDisclosure(text),
            C::Revoked => Self::Revoked(text),
            C::Suspended => Self::Suspended(text),
            C::NoQrCode | C::BadImage => Self::NoQrCode(text),
            C::BadStatusList { .. } | C::Document(_) | C::KeyStore(_) => Self::InvalidInput(text),
        }
    }
}

impl From<StoreError> for WalletError {
    fn from(e: StoreError) -> Self {
        let text = e.to_string();
        match e {
            StoreError::NoWallet => Self::NoWallet,
            StoreError::NotAWallet => Self::NotAWallet,
            StoreError::Corrupt => Self::Corrupt,
            StoreError::TooNew { found, supported } => Self::TooNew { found, supported },
            StoreError::WrongKey => Self::WrongKey,
            StoreError::KeyStore(inner) => Self::KeyStore { reason: inner.to_string() },
            StoreError::NotFound { .. } => Self::NotFound { reason: text },
            StoreError::Tampered { .. } => Self::Tampered { reason: text },
            StoreError::Busy => Self::Busy,
            StoreError::ReadOnly => Self::Storage { reason: text },
            StoreError::Io { reason } => Self::Storage { reason },
        }
    }
}

/// Errors a key store (ours or one the app implements) reports.
///
/// Not flat, so a key store the app implements can throw it back into Rust; uniffi then
/// builds the exception's message from the fields alone (empty for most variants), so
/// `Display` is exported: Kotlin's `toString()` and Swift's `description` read well.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum KeyStoreError {
    /// The passphrase or user authentication was wrong.
    #[error("the key store passphrase is wrong")]
    WrongPassphrase,
    /// A wrapped key was not made by this key store or was altered.
    #[error("the wrapped key does not belong to this key store")]
    UnwrapFailed,
    /// No key store (or no key) exists.
    #[error("no key store exists at this location")]
    NotFound,
    /// A key store already exists where a new one was to be created.
    #[error("a key store already exists at this location")]
    AlreadyExists,
    /// The key store's own storage is damaged.
    #[error("the key store is damaged")]
    Corrupt,
    /// The key is bound to the platform's user authentication and the user has not
    /// authenticated (fingerprint or device credential) for this use.
    #[error("the platform's user authentication is needed")]
    AuthenticationRequired,
    /// The platform could not do it; `reason` must not contain personal data.
    #[error("the key store is unavailable: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The host's exception text is not ours to vouch for: log that it happened, keep
        // it out of the error that travels on.
        tracing::warn!(target: "idwallet::ffi", "a host key store threw an undeclared exception");
        drop(e);
        Self::Unavailable { reason: "the host key store threw an unexpected exception".into() }
    }
}

impl From<CoreKeyStoreError> for KeyStoreError {
    fn from(e: CoreKeyStoreError) -> Self {
        match e {
            CoreKeyStoreError::WrongPassphrase => Self::WrongPassphrase,
            CoreKeyStoreError::UnwrapFailed => Self::UnwrapFailed,
            CoreKeyStoreError::NotFound => Self::NotFound,
            CoreKeyStoreError::AlreadyExists => Self::AlreadyExists,
            CoreKeyStoreError::Corrupt => Self::Corrupt,
            CoreKeyStoreError::AuthenticationRequired => Self::AuthenticationRequired,
            CoreKeyStoreError::Unavailable { reason } => Self::Unavailable { reason },
        }
    }
}

impl From<KeyStoreError> for CoreKeyStoreError {
    fn from(e: KeyStoreError) -> Self {
        match e {
            KeyStoreError::WrongPassphrase => Self::WrongPassphrase,
            KeyStoreError::UnwrapFailed => Self::UnwrapFailed,
            KeyStoreError::NotFound => Self::NotFound,
            KeyStoreError::AlreadyExists => Self::AlreadyExists,
            KeyStoreError::Corrupt => Self::Corrupt,
            KeyStoreError::AuthenticationRequired => Self::AuthenticationRequired,
            KeyStoreError::Unavailable { reason } => Self::Unavailable { reason },
        }
    }
}

/// What is wrong with a face in view, for the guidance an app shows ("move closer",
/// "more light", "look at the camera").
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FaceProblem {
    /// The photo or frame buffer could not be read (a dropped or corrupt frame).
    Unreadable,
    NoFace,
    /// More than one face of similar size: only the holder should be in view.
    SeveralFaces,
    TooSmall,
    Blurred,
    TooDark,
    TooBright,
    HeadTurned,
}

/// Why the face pipeline could not use a photo or load its models.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum FaceError {
    /// The model bytes are not the expected prepared models (`models/fetch.sh`).
    #[error("{reason}")]
    BadModel { reason: String },
    /// No usable face: `problem` says which, for guidance; `reason` is the sentence.
    #[error("{reason}")]
    NotUsable { problem: FaceProblem, reason: String },
    /// The models failed on this input (a bug or a damaged model file, not the user's face).
    #[error("{reason}")]
    Inference { reason: String },
    /// The load was cancelled (its coroutine or Task was): it stopped at the next model.
    #[error("{reason}")]
    Cancelled { reason: String },
}

impl From<idwallet_core::face::FaceError> for FaceError {
    fn from(e: idwallet_core::face::FaceError) -> Self {
        use idwallet_core::face::FaceError as F;
        let reason = e.to_string();
        let problem = match e {
            F::BadModel { .. } => return Self::BadModel { reason },
            F::Inference => return Self::Inference { reason },
            F::Cancelled => return Self::Cancelled { reason },
            F::BadImage | F::BadFrame => FaceProblem::Unreadable,
            F::NoFace => FaceProblem::NoFace,
            F::SeveralFaces { .. } => FaceProblem::SeveralFaces,
            F::TooSmall { .. } => FaceProblem::TooSmall,
            F::Blurred { .. } => FaceProblem::Blurred,
            F::TooDark { .. } => FaceProblem::TooDark,
            F::TooBright { .. } => FaceProblem::TooBright,
            F::HeadTurned { .. } => FaceProblem::HeadTurned,
        };
        Self::NotUsable { problem, reason }
    }
}

impl From<FaceError> for WalletError {
    fn from(e: FaceError) -> Self {
        match e {
            FaceError::NotUsable { problem, reason } => Self::FaceNotUsable { problem, reason },
            FaceError::BadModel { reason } | FaceError::Inference { reason } | FaceError::Cancelled { reason } => {
                Self::FaceEngine { reason }
            }
        }
    }
}

/// Why an mDL session or a reader's check refused (`MdlHolderSession`, `MdlReader`). The
/// variant is what the app shows or branches on; the message names the standard's element
/// identifiers at most, never a value.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum MdlError {
    /// Not a well-formed 18013-5 message (or too large, or repeating a key).
    #[error("{0}")]
    Malformed(String),
    /// The document signer is not from a trusted IACA root, or a certificate is outside
    /// its validity or profile.
    #[error("{0}")]
    UntrustedIssuer(String),
    /// A signature, a disclosed element's digest or the device's signature over this
    /// session does not verify: forged, altered, taken from another mdoc, or replayed.
    #[error("{0}")]
    Forged(String),
    /// The mdoc is not valid at this time.
    #[error("{0}")]
    Expired(String),
    /// The session's messages do not decrypt (another session's) or came out of order.
    #[error("{0}")]
    Session(String),
    /// The holder declined, or the other side ended the session.
    #[error("{0}")]
    Declined(String),
    /// Something 18013-5 allows that this build does not support (another curve, a MAC
    /// without the reader's key).
    #[error("{0}")]
    Unsupported(String),
}

impl From<idwallet_core::mdl::MdlError> for MdlError {
    fn from(e: idwallet_core::mdl::MdlError) -> Self {
        use idwallet_core::mdl::MdlError as M;
        let text = e.to_string();
        match e {
            M::Malformed { .. } | M::TooLarge { .. } | M::DuplicateKey | M::BadKey | M::BadCertificate | M::BadRoot => {
                Self::Malformed(text)
            }
            M::UntrustedSigner | M::CertificateNotValid | M::RootNotValid | M::CertificateProfile { .. } => {
                Self::UntrustedIssuer(text)
            }
            M::BadIssuerSignature
            | M::DigestMismatch { .. }
            | M::BadDeviceAuth
            | M::DocTypeMismatch
            | M::OtherDevice => Self::Forged(text),
            M::NotValidNow => Self::Expired(text),
            M::Decrypt | M::OutOfOrder | M::Transport { .. } | M::NotAllowed { .. } | M::NothingRequested => {
                Self::Session(text)
            }
            M::Terminated { .. } => Self::Declined(text),
            M::Unsupported { .. } | M::NoMdoc | M::Signing { .. } => Self::Unsupported(text),
        }
    }
}
