//! On-device face across the FFI: load the models once (from the app's assets, off the
//! caller's thread, with progress), compare photos, and the eID unlock gate on a wallet:
//! a liveness session fed camera frames, answering each with what the UI shows next.

use std::sync::{Arc, Mutex};

use idwallet_core::face::liveness as live;
use idwallet_core::face::{self as core, gate, Frame};
use idwallet_core::wallet::{FacePurpose, FaceStep};

use crate::errors::{FaceError, WalletError};
use crate::runtime::run_blocking;
use crate::wallet::Wallet;

/// The face models, loaded once per process and shared.
#[derive(uniffi::Object)]
pub struct FaceModels {
    pub(crate) inner: Arc<core::FaceModels>,
}

/// Two faces compared.
#[derive(uniffi::Record)]
pub struct FaceComparison {
    /// Cosine similarity, −1…1.
    pub similarity: f32,
    pub threshold: f32,
    pub same_person: bool,
}

/// A successful unlock.
#[derive(uniffi::Record)]
pub struct FaceUnlock {
    /// The eID stays unlocked until then (Unix seconds).
    pub until: i64,
    pub similarity: f32,
}

#[uniffi::export]
impl FaceModels {
    /// Load the detector (YuNet) and embedder (SFace) from the archives `models/fetch.sh`
    /// prepares and the app ships as assets (`face_detection_yunet_2023mar.nnef.tar`,
    /// `face_recognition_sface_2021dec.nnef.tar`; tract's NNEF, int8 weights).
    /// `progress`, if given, hears `onProgress(done, total)` as each model is ready.
    /// `iris` (MediaPipe Iris, `iris_landmark.nnef.tar`), if given, adds the blink to liveness
    /// sessions. The models load side by side on threads of their own (the slowest sets the
    /// time); cancelling the coroutine or Task ends the load once those in flight are in.
    #[uniffi::constructor(default(progress = None, iris = None))]
    pub async fn load(
        detector: Vec<u8>,
        embedder: Vec<u8>,
        progress: Option<Arc<dyn ProgressListener>>,
        iris: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, FaceError> {
        let cancel = crate::runtime::CancelOnDrop::default();
        let cancelled = cancel.flag();
        let inner = run_blocking(move || {
            core::FaceModels::load_all(&detector, &embedder, iris.as_deref(), &mut |done, total| {
                if cancelled.load(std::sync::atomic::Ordering::SeqCst) {
                    return false;
                }
                if let Some(p) = &progress {
                    p.on_progress(done, total);
                }
                true
            })
        })
        .await?;
        drop(cancel);
        Ok(Arc::new(Self { inner: Arc::new(inner) }))
    }

    /// Compare the faces in two photos (JPEG/PNG bytes).
    pub async fn compare(&self, photo_a: Vec<u8>, photo_b: Vec<u8>) -> Result<FaceComparison, FaceError> {
        let m = self.inner.clone();
        let c = run_blocking(move || m.compare(&Frame::Encoded(photo_a), &Frame::Encoded(photo_b))).await?;
        Ok(FaceComparison { similarity: c.similarity, threshold: c.threshold, same_person: c.same_person })
    }
}

/// How fresh a face unlock each disclosure needs (the face gate). Every audience needs one;
/// the windows say how recent. `require_user_authentication` also asks for the platform's
/// fingerprint or device credential, proven by the auth-bound device key's signature.
#[derive(uniffi::Record)]
pub struct DisclosurePolicy {
    /// Seconds since the unlock, per audience (e.g. `police` → 60, `hotel` → 300).
    pub windows: std::collections::HashMap<String, i64>,
    /// For audiences not listed.
    pub default_secs: i64,
    pub require_user_authentication: bool,
}

impl From<gate::DisclosurePolicy> for DisclosurePolicy {
    fn from(p: gate::DisclosurePolicy) -> Self {
        Self {
            windows: p.windows.into_iter().collect(),
            default_secs: p.default_secs,
            require_user_authentication: p.require_user_authentication,
        }
    }
}

impl From<DisclosurePolicy> for gate::DisclosurePolicy {
    fn from(p: DisclosurePolicy) -> Self {
        Self {
            windows: p.windows.into_iter().collect(),
            default_secs: p.default_secs,
            require_user_authentication: p.require_user_authentication,
        }
    }
}

#[uniffi::export]
impl Wallet {
    /// Whether the holder's face is enrolled (matched against the issuer's reference
    /// portrait, template sealed in this wallet) for unlocking.
    pub async fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        self.with_blocking(|w| w.is_face_enrolled()).await
    }

    /// Delete the enrolled face; false if there was none. Needs a face unlock in the last
    /// two minutes (`FaceCheckRequired` otherwise): the passphrase alone never removes it.
    pub async fn unenrol_face(&self) -> Result<bool, WalletError> {
        self.with_blocking(|w| w.unenrol_face(w.now())).await
    }

    /// Start enrolling the holder's face: a liveness session whose live face must match the
    /// issuer's reference portrait (delivered with the documents), with the screen-colour
    /// challenge (`UnlockProgress.ShowColour`). Feed it camera frames;
    /// it ends `Unlocked` with the template stored. Replacing an enrolled face needs a face
    /// unlock in the last two minutes. Fails with `NoReferencePortrait`, `FaceCheckRequired`
    /// or `LockedOut { retryAfterSecs }`.
    pub async fn start_face_enrolment(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Enrol, models).await
    }

    /// Start unlocking the eID with the holder's face: a liveness session with fresh
    /// random movements. Feed it camera frames; it answers with what to show. Fails with
    /// `NotEnrolled` or `LockedOut { retryAfterSecs }`.
    pub async fn start_face_unlock(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Unlock, models).await
    }

    /// Start the face check a visa report needs: an unlock that also makes the
    /// screen-colour challenge (`UnlockProgress.ShowColour`: fill the screen with each colour
    /// until its time). `requestVisaReport` refuses a plain unlock with `FaceCheckRequired`.
    pub async fn start_report_face_check(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Report, models).await
    }

    /// Until when the eID is unlocked (Unix seconds), if it is.
    pub fn unlocked_until(&self) -> Result<Option<i64>, WalletError> {
        self.with(|w| Ok::<_, WalletError>(w.unlocked_until(w.now())))
    }

    /// Lock the eID now: call it when the app goes to the background.
    pub fn lock(&self) -> Result<(), WalletError> {
        self.with(|w| {
            w.lock();
            Ok::<_, WalletError>(())
        })
    }

    /// The disclosure policy in force (not stored: set it at each start).
    pub fn disclosure_policy(&self) -> Result<DisclosurePolicy, WalletError> {
        self.with(|w| Ok::<_, WalletError>(w.disclosure_policy().into()))
    }

    /// Use `policy` from now on; a window outside 1 s…1 h is `InvalidInput`.
    pub fn set_disclosure_policy(&self, policy: DisclosurePolicy) -> Result<(), WalletError> {
        self.with(|w| w.set_disclosure_policy(policy.into()))
    }
}

impl Wallet {
    /// Begins by writing the gate's pending mark (a disk sync): off the caller's thread.
    async fn start_session(
        &self,
        purpose: FacePurpose,
        models: Arc<FaceModels>,
    ) -> Result<Arc<FaceSession>, WalletError> {
        let wallet = self.shared()?;
        let attempt =
            run_blocking(move || wallet.start_face(purpose, models.inner.clone(), live::LivenessPolicy::default()))
                .await?;
        Ok(Arc::new(FaceSession { purpose, attempt: Arc::new(Mutex::new(attempt)) }))
    }
}

/// Hears how far a long task has got.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, done: u32, total: u32);
}

/// Layout of a raw camera buffer.
#[derive(uniffi::Enum)]
pub enum PixelFormat {
    Rgba8,
    Bgra8,
    /// Android's camera default (`ImageFormat.NV21`).
    Nv21,
    /// Planar Y, U, V (`YUV_420_888` copied tightly).
    I420,
}

impl From<PixelFormat> for core::PixelFormat {
    fn from(f: PixelFormat) -> Self {
        match f {
            PixelFormat::Rgba8 => Self::Rgba8,
            PixelFormat::Bgra8 => Self::Bgra8,
            PixelFormat::Nv21 => Self::Nv21,
            PixelFormat::I420 => Self::I420,
        }
    }
}

impl From<core::PixelFormat> for PixelFormat {
    fn from(f: core::PixelFormat) -> Self {
        match f {
            core::PixelFormat::Rgba8 => Self::Rgba8,
            core::PixelFormat::Bgra8 => Self::Bgra8,
            core::PixelFormat::Nv21 => Self::Nv21,
            core::PixelFormat::I420 => Self::I420,
        }
    }
}

/// One camera frame.
#[derive(uniffi::Enum)]
pub enum CameraFrame {
    /// JPEG or PNG bytes (EXIF orientation honoured).
    Encoded { bytes: Vec<u8> },
    /// A raw buffer: `stride` is bytes per row of the first plane; `rotation` (0, 90, 180,
    /// 270, clockwise) turns it upright.
    Raw { format: PixelFormat, width: u32, height: u32, stride: u32, rotation: u32, data: Vec<u8> },
}

impl From<CameraFrame> for Frame {
    fn from(f: CameraFrame) -> Self {
        match f {
            CameraFrame::Encoded { bytes } => Frame::Encoded(bytes),
            CameraFrame::Raw { format, width, height, stride, rotation, data } => {
                Frame::Raw { format: format.into(), width, height, stride, rotation, data }
            }
        }
    }
}

/// A movement the holder is asked to make (their left and right, not the screen's).
#[derive(uniffi::Enum, Clone, Copy)]
pub enum Challenge {
    TurnLeft,
    TurnRight,
    LookUp,
    /// Close both eyes, then open them (only when the models include MediaPipe Iris).
    Blink,
}

impl From<live::Challenge> for Challenge {
    fn from(c: live::Challenge) -> Self {
        match c {
            live::Challenge::TurnLeft => Self::TurnLeft,
            live::Challenge::TurnRight => Self::TurnRight,
            live::Challenge::LookUp => Self::LookUp,
            live::Challenge::Blink => Self::Blink,
        }
    }
}

/// What to tell the holder while no movement is under way.
#[derive(uniffi::Enum)]
pub enum LivenessHint {
    NoFace,
    SeveralFaces,
    MoveCloser,
    FaceTheCamera,
    HoldStill,
}

/// What the UI shows after a frame.
#[derive(uniffi::Enum)]
pub enum UnlockProgress {
    /// Looking for the holder's face, facing the camera.
    Searching { hint: LivenessHint },
    /// Movement `index` (from 0) of `count` under way; `done` runs 0…1.
    Moving { index: u32, count: u32, challenge: Challenge, done: f32 },
    /// Movement `index` done: face the camera again.
    Returning { index: u32, count: u32 },
    /// Fill the screen with this colour until `untilMs` (the frames' clock), at full
    /// brightness, exposure and white balance locked; the holder holds still, facing it.
    ShowColour { red: u8, green: u8, blue: u8, until_ms: u64 },
    /// Live, and the holder: the eID is unlocked until `until` (Unix seconds).
    Unlocked { until: i64, similarity: f32 },
}

/// One face enrolment or unlock in progress (`Wallet.startFaceEnrolment`,
/// `Wallet.startFaceUnlock`, `Wallet.startReportFaceCheck`). Core's `FaceAttempt`: it
/// finishes itself; cancelled, or released unfinished, it counts as a failed attempt.
#[derive(uniffi::Object)]
pub struct FaceSession {
    purpose: FacePurpose,
    attempt: Arc<Mutex<idwallet_core::wallet::FaceAttempt>>,
}

#[uniffi::export]
impl FaceSession {
    /// Whether this session enrols the face (`true`) or unlocks with it.
    pub fn is_enrolment(&self) -> bool {
        self.purpose == FacePurpose::Enrol
    }

    /// The movements to ask for, in order.
    pub fn challenges(&self) -> Vec<Challenge> {
        let attempt = self.attempt.lock().unwrap_or_else(|p| p.into_inner());
        attempt.challenges().iter().map(|c| (*c).into()).collect()
    }

    /// Feed one camera frame captured at `timestamp_ms` (a monotonic clock). Returns what
    /// to show next, or — when the session ends — `Unlocked` (an enrolment unlocks too),
    /// or throws `LivenessFailed`, `FaceMismatch` or `LockedOut` (each counted as a failed
    /// attempt). A frame that cannot be read throws `FaceNotUsable` and leaves the session
    /// as it was; after the end, `SessionEnded`.
    pub async fn feed(&self, frame: CameraFrame, timestamp_ms: u64) -> Result<UnlockProgress, WalletError> {
        let attempt = self.attempt.clone();
        run_blocking(move || {
            let mut attempt = attempt.lock().unwrap_or_else(|p| p.into_inner());
            let count = attempt.challenges().len() as u32;
            Ok(match attempt.feed(&frame.into(), timestamp_ms)? {
                FaceStep::Unlocked(u) => UnlockProgress::Unlocked { until: u.until, similarity: u.similarity },
                FaceStep::Progress(live::Progress::Searching { hint }) => {
                    UnlockProgress::Searching { hint: hint.into() }
                }
                FaceStep::Progress(live::Progress::Moving { index, challenge, done, .. }) => {
                    UnlockProgress::Moving { index: index as u32, count, challenge: challenge.into(), done }
                }
                FaceStep::Progress(live::Progress::Returning { index, .. }) => {
                    UnlockProgress::Returning { index: index as u32, count }
                }
                FaceStep::Progress(live::Progress::ShowColour { rgb: [red, green, blue], until_ms }) => {
                    UnlockProgress::ShowColour { red, green, blue, until_ms }
                }
                // The attempt finishes itself: an ended session is never a step.
                FaceStep::Progress(live::Progress::Passed(_) | live::Progress::Failed(_)) => {
                    return Err(WalletError::SessionEnded)
                }
            })
        })
        .await
    }

    /// Give up (the holder closed the screen): counted as a failed attempt and logged, as
    /// a session released unfinished is. Nothing happens once the session has ended.
    pub async fn cancel(&self) -> Result<(), WalletError> {
        let attempt = self.attempt.clone();
        run_blocking(move || Ok::<_, WalletError>(attempt.lock().unwrap_or_else(|p| p.into_inner()).cancel()?)).await
    }
}

impl From<live::Hint> for LivenessHint {
    fn from(h: live::Hint) -> Self {
        match h {
            live::Hint::NoFace => Self::NoFace,
            live::Hint::SeveralFaces => Self::SeveralFaces,
            live::Hint::MoveCloser => Self::MoveCloser,
            live::Hint::FaceTheCamera => Self::FaceTheCamera,
            live::Hint::HoldStill => Self::HoldStill,
        }
    }
}
