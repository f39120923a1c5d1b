//! QR credentials across the FFI: presenting from a wallet, the staff `Verifier`, and a
//! `SyntheticIssuer` that issues the core's fictitious citizens for demos and tests (the
//! same issuing code the reference server uses).

use std::sync::{Arc, Mutex};

use idwallet_core::credential::qr::QrModules;
use idwallet_core::credential::scan::ScanHint;
use idwallet_core::credential::status::StatusUnknown;
use idwallet_core::credential::{self as core, DisclosedClaim, Profile, StatusCheck, StatusRef, VerifiedPresentation};
use idwallet_core::documents::{synthetic, DocumentKind};
use idwallet_core::now_unix as now;

use crate::errors::{CredentialError, WalletError};
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
    pub fn document_kinds(&self) -> Result<Vec<DocumentKind>, WalletError> {
        self.with(|w| w.documents().map(|d| d.into_iter().map(|d| d.kind).collect()))
    }

    /// A fresh QR presentation of the `kind` document for `audience` ("hotel", "police"),
    /// signed by the device key off the caller's thread.
    pub async fn present(&self, kind: DocumentKind, audience: String) -> Result<PresentationQr, WalletError> {
        let profile = Profile::named(&audience)
            .ok_or_else(|| WalletError::NotPresentable { reason: format!("unknown audience '{audience}'") })?;
        self.with_blocking(move |w| {
            let p = w.present(kind, &profile, now())?;
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
    inner: Mutex<core::Verifier>,
    /// The staff wallet whose activity log records each verification, if attached.
    log_to: Mutex<Option<Arc<Wallet>>>,
}

impl Verifier {
    pub(crate) fn with(inner: core::Verifier, log_to: Mutex<Option<Arc<Wallet>>>) -> Self {
        Self { inner: Mutex::new(inner), log_to }
    }

    fn run(
        &self,
        f: impl FnOnce(&core::Verifier) -> Result<VerifiedPresentation, core::CredentialError>,
    ) -> Result<VerifiedPresentation, CredentialError> {
        let v = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let result = f(&v);
        if let Some(wallet) = self.log_to.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            log_verification(wallet, &v.profile.audience, &result);
        }
        Ok(result?)
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
        Ok(Arc::new(Self::with(core::Verifier::new(profile, trust), Mutex::new(None))))
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
    pub fn verify_text(&self, text: String, at: Option<i64>) -> Result<VerifiedPresentation, CredentialError> {
        self.run(|v| v.verify_text(&text, at.unwrap_or_else(now)))
    }

    /// Find and verify the QR code meant for this audience in a camera frame's luma plane
    /// (the Y plane of NV21/NV12/I420 as CameraX or AVFoundation deliver it): `height` rows
    /// of `stride` bytes. Every code in view is read; `other_codes` counts the rest.
    #[uniffi::method(default(at = None))]
    pub fn verify_frame(
        &self,
        y_plane: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        at: Option<i64>,
    ) -> Result<VerifiedPresentation, CredentialError> {
        self.run(|v| v.verify_frame(&y_plane, width, height, stride, at.unwrap_or_else(now)))
    }

    /// Find and verify the QR code meant for this audience in a photo or screenshot
    /// (PNG/JPEG bytes); `other_codes` counts the other codes in it.
    #[uniffi::method(default(at = None))]
    pub fn verify_image(&self, image: Vec<u8>, at: Option<i64>) -> Result<VerifiedPresentation, CredentialError> {
        self.run(|v| v.verify_image(&image, at.unwrap_or_else(now)))
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
        crate::runtime::run_blocking(move || {
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

/// Issues the core's synthetic, clearly fictitious citizens' documents — for demos and
/// tests of apps before they reach a real issuer. Real keys, real signatures.
#[derive(uniffi::Object)]
pub struct SyntheticIssuer {
    key: Arc<core::IssuerKey>,
    uri: String,
    revoked: Mutex<Vec<u64>>,
}

#[uniffi::export]
impl SyntheticIssuer {
    /// A new issuer with a fresh P-256 key named `name`, valid from a day ago for five years.
    #[uniffi::constructor]
    pub fn new(name: String) -> Arc<Self> {
        let now = now();
        Arc::new(Self {
            key: Arc::new(core::IssuerKey::generate(&name, now - 86_400, now + 5 * 365 * 86_400)),
            uri: "https://issuer.idwallet.example/status/1".into(),
            revoked: Mutex::new(Vec::new()),
        })
    }

    /// Issue all five documents of synthetic citizen `citizen` to `wallet`'s device key,
    /// valid for `valid_secs` (negative: already expired, for tests). Status indexes are
    /// `citizen * 8 + document number`. With `id_photo` (JPEG/PNG of a real face) the
    /// citizen gets that face: the QR thumbnail and the reference portrait the holder's
    /// live face must match to enrol, which is delivered to the wallet too. Without it the
    /// thumbnail is drawn and no face can be enrolled.
    #[uniffi::method(default(id_photo = None))]
    pub async fn issue_citizen(
        &self,
        wallet: Arc<Wallet>,
        citizen: u32,
        valid_secs: i64,
        id_photo: Option<Vec<u8>>,
    ) -> Result<(), WalletError> {
        let key =
            core::IssuerKey::from_pkcs8(&self.key.name, self.key.pkcs8(), self.key.not_before, self.key.not_after)
                .map_err(idwallet_core::WalletError::from)?;
        let uri = self.uri.clone();
        wallet
            .with_blocking(move |w| {
                let mut person = synthetic::citizen(citizen);
                if let Some(photo) = id_photo {
                    person = person.with_photo(&photo, None).map_err(core::CredentialError::from)?;
                }
                let reference = person.reference_portrait.clone();
                let digest = reference.as_deref().map(idwallet_core::documents::reference::digest);
                let device = w.device_public_key()?;
                let now = now();
                let (iat, exp) =
                    if valid_secs < 0 { (now + valid_secs * 2, now + valid_secs) } else { (now, now + valid_secs) };
                for claims in person.documents {
                    let status =
                        StatusRef { uri: uri.clone(), idx: u64::from(citizen) * 8 + u64::from(claims.kind().number()) };
                    let portraits =
                        core::Portraits { thumbnail: &person.portrait, reference_digest: digest.as_deref() };
                    let cred = core::issue(&key, &claims, Some(portraits), &device, Some(&status), iat, exp)?;
                    w.store_document(claims, cred)?;
                }
                if let Some(reference) = reference {
                    w.store_reference_portrait(&reference)?;
                }
                Ok::<_, idwallet_core::WalletError>(())
            })
            .await
    }

    /// The trust list (CBOR) verifiers need for this issuer.
    pub fn trust_list(&self) -> Vec<u8> {
        core::TrustList::new(vec![self.key.trusted()]).to_cbor()
    }

    /// Revoke the `kind` document of `citizen`.
    pub fn revoke(&self, citizen: u32, kind: DocumentKind) {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).push(u64::from(citizen) * 8 + u64::from(kind.number()));
    }

    /// A signed status list token reflecting revocations so far (ttl 1 hour).
    pub fn status_list(&self) -> Result<Vec<u8>, CredentialError> {
        let mut list = core::StatusList::new(1, 1 << 12)?;
        for idx in self.revoked.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            list.set(*idx, core::status::INVALID)?;
        }
        let now = now();
        Ok(core::status::sign_token(&self.key, &self.uri, &list, now, now + 86_400, 3600)?)
    }
}

/// The registry photos that play synthetic citizen `citizen`'s face (fetched by
/// `models/fetch.sh` as `photos/NAME.jpg`): `id_photo` for the issuer, `live_photo` for
/// the holder in front of a [`crate::face::SyntheticCamera`].
#[derive(uniffi::Record)]
pub struct SyntheticFace {
    pub id_photo: String,
    pub live_photo: String,
}

/// The face synthetic citizen `citizen` has (the registry's three people in turn).
#[uniffi::export]
pub fn synthetic_face(citizen: u32) -> SyntheticFace {
    let face = synthetic::real_face(citizen);
    SyntheticFace { id_photo: face.id_photo.into(), live_photo: face.live_photo.into() }
}
