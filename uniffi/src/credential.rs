//! QR credentials across the FFI: presenting from a wallet, the staff `Verifier`, and a
//! `SyntheticIssuer` that issues the core's fictitious citizens for demos and tests (the
//! same issuing code the reference server uses).

use std::sync::{Arc, Mutex};

use idwallet_core::credential::qr::QrModules;
use idwallet_core::credential::scan::ScanHint;
use idwallet_core::credential::status::StatusUnknown;
use idwallet_core::credential::{self as core, DisclosedClaim, Profile, StatusCheck, VerifiedPresentation};
use idwallet_core::documents::DocumentKind;
use idwallet_core::now_unix as now;

use crate::errors::{CredentialError, WalletError};
use crate::runtime::run_blocking;
use crate::wallet::Wallet;

/// The five kinds of document.
#[uniffi::remote(Enum)]
pub enum DocumentKind {
    ResidentIdCard,
    DrivingLicence,
    VehicleRegistration,
    ResidencePermit,
    HouseholdRegister,
}

/// A QR code to show: its text, a PNG, and what it discloses to whom until when.
#[derive(uniffi::Record)]
pub struct PresentationQr {
    pub text: String,
    /// The QR code as a PNG (ECC level M, 4 px per module).
    pub png: Vec<u8>,
    pub audience: String,
    pub disclosed: Vec<String>,
    pub created_at: i64,
    /// Refresh before this (Unix seconds): verifiers refuse older codes.
    pub expires_at: i64,
}

#[uniffi::export]
impl Wallet {
    /// Kinds of document held.
    pub async fn document_kinds(&self) -> Result<Vec<DocumentKind>, WalletError> {
        self.with_blocking(|w| w.documents().map(|d| d.into_iter().map(|d| d.kind).collect())).await
    }

    /// A fresh QR presentation of the `kind` document for `audience` ("hotel", "police"),
    /// signed by the device key off the caller's thread.
    pub async fn present(&self, kind: DocumentKind, audience: String) -> Result<PresentationQr, WalletError> {
        let profile = Profile::named(&audience)
            .ok_or_else(|| WalletError::NotPresentable { reason: format!("unknown audience '{audience}'") })?;
        self.with_blocking(move |w| {
            let p = w.present(kind, &profile, w.now())?;
            let png = core::qr::to_png(&p.text, 4).map_err(idwallet_core::WalletError::from)?;
            Ok::<_, idwallet_core::WalletError>(PresentationQr {
                text: p.text,
                png,
                audience: p.audience,
                disclosed: p.disclosed,
                created_at: p.created_at,
                expires_at: p.expires_at,
            })
        })
        .await
    }
}

/// A QR code as modules, for apps that draw it themselves (e.g. full-screen, at the
/// display's native pixel grid).
#[uniffi::remote(Record)]
pub struct QrModules {
    /// Modules per side.
    pub size: u32,
    pub version: u8,
    /// Row-major, `size * size` entries, true = dark.
    pub dark: Vec<bool>,
}

/// The QR code (ECC level M) for a presentation's text.
#[uniffi::export]
pub fn qr_modules(text: String) -> Result<QrModules, CredentialError> {
    Ok(core::qr::modules(&text)?)
}

/// One disclosed claim.
#[uniffi::remote(Record)]
pub struct DisclosedClaim {
    pub id: String,
    pub value: String,
}

/// Why a status could not be checked.
#[uniffi::remote(Enum)]
pub enum StatusUnknown {
    /// No status list for this credential was ever cached.
    NoList,
    /// The cached list went stale at `since` (Unix seconds).
    Stale { since: i64 },
}

/// Whether the credential's status could be checked.
#[uniffi::remote(Enum)]
pub enum StatusCheck {
    Valid,
    NotApplicable,
    /// No current status list: the verifier cannot tell (not the same as revoked).
    Unknown {
        reason: StatusUnknown,
    },
}

/// What staff may see of an accepted QR code.
#[uniffi::remote(Record)]
pub struct VerifiedPresentation {
    pub kind: DocumentKind,
    pub issuer: String,
    pub audience: String,
    pub presented_at: i64,
    pub credential_expires_at: i64,
    pub claims: Vec<DisclosedClaim>,
    /// The portrait as a standard 48×64 greyscale JPEG, if disclosed.
    pub portrait: Option<Vec<u8>>,
    pub status: StatusCheck,
    /// Other QR codes seen in the same image or frame (not this one), to tell staff.
    pub other_codes: u32,
}

/// An offline verifier for one audience, holding cached issuer keys and status lists.
#[derive(uniffi::Object)]
pub struct Verifier {
    inner: Arc<Mutex<core::Verifier>>,
    /// The staff wallet whose activity log records each verification, if attached.
    log_to: Arc<Mutex<Option<Arc<Wallet>>>>,
}

impl Verifier {
    pub(crate) fn with(inner: core::Verifier, log_to: Option<Arc<Wallet>>) -> Self {
        Self { inner: Arc::new(Mutex::new(inner)), log_to: Arc::new(Mutex::new(log_to)) }
    }

    /// Verify with `f` and log the verdict, off the caller's thread (decoding a camera
    /// frame takes milliseconds, the log write a disk sync).
    async fn run(
        &self,
        f: impl FnOnce(&core::Verifier) -> Result<VerifiedPresentation, core::CredentialError> + Send + 'static,
    ) -> Result<VerifiedPresentation, CredentialError> {
        let (inner, log_to) = (self.inner.clone(), self.log_to.clone());
        run_blocking(move || {
            let v = inner.lock().unwrap_or_else(|p| p.into_inner());
            let result = f(&v);
            if let Some(wallet) = log_to.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                log_verification(wallet, &v.profile.audience, &result);
            }
            Ok(result?)
        })
        .await
    }
}

#[uniffi::export]
impl Verifier {
    /// A verifier for `audience` ("hotel" or "police") trusting the issuers in
    /// `trust_list` (CBOR, as an issuer publishes it).
    #[uniffi::constructor]
    pub fn new(audience: String, trust_list: Vec<u8>) -> Result<Arc<Self>, CredentialError> {
        let profile = Profile::named(&audience)
            .ok_or_else(|| CredentialError::InvalidInput(format!("unknown audience '{audience}'")))?;
        let trust = core::TrustList::from_cbor(&trust_list)?;
        Ok(Arc::new(Self::with(core::Verifier::new(profile, trust), None)))
    }

    /// Record every later verification in `wallet`'s activity log (the desk's own audit).
    pub fn log_to(&self, wallet: Arc<Wallet>) {
        *self.log_to.lock().unwrap_or_else(|p| p.into_inner()) = Some(wallet);
    }

    /// Verify and cache a signed status list token; returns its URI.
    pub fn add_status_list(&self, token: Vec<u8>) -> Result<String, CredentialError> {
        let mut v = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let trust = v.trust.clone();
        Ok(v.status.insert(&token, &trust, now())?)
    }

    /// Verify QR text, at `at` (Unix seconds) or now.
    #[uniffi::method(default(at = None))]
    pub async fn verify_text(&self, text: String, at: Option<i64>) -> Result<VerifiedPresentation, CredentialError> {
        self.run(move |v| v.verify_text(&text, at.unwrap_or_else(now))).await
    }

    /// Find and verify the QR code meant for this audience in a camera frame's luma plane
    /// (the Y plane of NV21/NV12/I420 as CameraX or AVFoundation deliver it): `height` rows
    /// of `stride` bytes. Every code in view is read; `other_codes` counts the rest.
    #[uniffi::method(default(at = None))]
    pub async fn verify_frame(
        &self,
        y_plane: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        at: Option<i64>,
    ) -> Result<VerifiedPresentation, CredentialError> {
        self.run(move |v| v.verify_frame(&y_plane, width, height, stride, at.unwrap_or_else(now))).await
    }

    /// Find and verify the QR code meant for this audience in a photo or screenshot
    /// (PNG/JPEG bytes); `other_codes` counts the other codes in it.
    #[uniffi::method(default(at = None))]
    pub async fn verify_image(&self, image: Vec<u8>, at: Option<i64>) -> Result<VerifiedPresentation, CredentialError> {
        self.run(move |v| v.verify_image(&image, at.unwrap_or_else(now))).await
    }
}

/// Record a verdict in the desk's wallet. The verdict stands even if the log write fails;
/// the failure is reported.
fn log_verification(wallet: &Wallet, audience: &str, verdict: &Result<VerifiedPresentation, core::CredentialError>) {
    if wallet.with(|w| w.record_verification(audience, verdict)).is_err() {
        tracing::warn!(target: "idwallet::ffi", "a verification could not be logged");
    }
}

/// What to tell staff while a live scan reads no code.
#[uniffi::remote(Enum)]
pub enum ScanHint {
    /// Point at the code, move closer.
    NoCode,
    /// More light, or the phone's screen brighter.
    TooDark,
    /// Glare or an over-exposed screen: tilt the phone.
    TooBright,
}

/// One step of a live scan.
#[derive(Debug, uniffi::Enum)]
pub enum ScanStep {
    Searching {
        hint: ScanHint,
    },
    /// A code was read and accepted: what the desk may see. The scan is over.
    Found {
        presentation: VerifiedPresentation,
    },
}

/// A live scan for one desk: feed camera frames until `Found`. A code that is read but
/// refused throws its `CredentialException` — and so does every later frame: the scan is
/// over either way, and the camera can stop. The verdict is recorded once in the wallet
/// the verifier logs to (`Verifier.logTo`), as a verification.
#[derive(uniffi::Object)]
pub struct QrScanner {
    inner: Arc<Mutex<Scan>>,
}

struct Scan {
    scanner: core::scan::Scanner,
    audience: String,
    log_to: Option<Arc<Wallet>>,
    logged: bool,
}

#[uniffi::export]
impl QrScanner {
    /// A scan with `verifier`'s audience, trust list, cached status lists and log (as they
    /// are now; later changes to the verifier do not reach this scan).
    #[uniffi::constructor]
    pub fn new(verifier: Arc<Verifier>) -> Arc<Self> {
        let v = verifier.inner.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let log_to = verifier.log_to.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let audience = v.profile.audience.clone();
        let scan = Scan { scanner: core::scan::Scanner::new(v), audience, log_to, logged: false };
        Arc::new(Self { inner: Arc::new(Mutex::new(scan)) })
    }

    /// Read one frame, off the caller's thread (a 1280×720 frame takes milliseconds, more
    /// when no code is in it); at `at` (Unix seconds) or now. An unreadable frame throws
    /// `NoQrCode` and leaves the scan as it was.
    #[uniffi::method(default(at = None))]
    pub async fn feed(&self, frame: crate::face::CameraFrame, at: Option<i64>) -> Result<ScanStep, CredentialError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut scan = inner.lock().unwrap_or_else(|p| p.into_inner());
            match scan.scanner.feed(&frame.into(), at.unwrap_or_else(now))? {
                core::scan::ScanStep::Searching { hint } => Ok(ScanStep::Searching { hint }),
                core::scan::ScanStep::Found(verdict) => {
                    if let (false, Some(wallet)) = (scan.logged, &scan.log_to) {
                        log_verification(wallet, &scan.audience, &verdict);
                    }
                    scan.logged = true;
                    Ok(ScanStep::Found { presentation: verdict? })
                }
            }
        })
        .await
    }

    /// Frames read so far.
    pub fn frames(&self) -> u32 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).scanner.frames()
    }
}
