//! On-device face across the FFI: load the models once (from the app's assets, off the
//! caller's thread, with progress), compare photos, and the eID unlock gate on a wallet:
//! a liveness session fed camera frames, answering each with what the UI shows next.

use std::sync::{Arc, Mutex};

use idwallet_core::face::liveness as live;
use idwallet_core::face::{self as core, gate, Frame};
use idwallet_core::wallet::FacePurpose;

use crate::errors::{FaceError, WalletError};
use crate::runtime::run_blocking;
use crate::wallet::Wallet;

/// The face models, loaded once per process and shared.
#[derive(uniffi::Object)]
pub struct FaceModels {
    inner: Arc<core::FaceModels>,
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
    /// Load the detector (YuNet) and embedder (SFace) from their ONNX bytes, as shipped in
    /// the app's assets (`face_detection_yunet_2023mar_int8bq.onnx`,
    /// `face_recognition_sface_2021dec_int8bq.onnx`). Takes about a second.
    /// `progress`, if given, hears `onProgress(done, total)` as each model is ready.
    /// `iris` (MediaPipe Iris, `iris_landmark.onnx`), if given, adds the blink to liveness
    /// sessions.
    #[uniffi::constructor(default(progress = None, iris = None))]
    pub async fn load(
        detector: Vec<u8>,
        embedder: Vec<u8>,
        progress: Option<Arc<dyn ProgressListener>>,
        iris: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, FaceError> {
        let inner = run_blocking(move || {
            let total = if iris.is_some() { 3 } else { 2 };
            let report = |done| {
                if let Some(p) = &progress {
                    p.on_progress(done, total);
                }
            };
            let mut models = core::FaceModels::load_with_progress(&detector, &embedder, &mut |done, _| report(done))?;
            if let Some(iris) = iris {
                models.load_iris(&iris)?;
                report(3);
            }
            Ok::<_, core::FaceError>(models)
        })
        .await?;
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
    pub fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        self.with(|w| w.is_face_enrolled())
    }

    /// Delete the enrolled face; false if there was none. Needs a face unlock in the last
    /// two minutes (`FaceCheckRequired` otherwise): the passphrase alone never removes it.
    pub async fn unenrol_face(&self) -> Result<bool, WalletError> {
        self.with_blocking(|w| w.unenrol_face(idwallet_core::now_unix())).await
    }

    /// Start enrolling the holder's face: a liveness session whose live face must match the
    /// issuer's reference portrait (delivered with the documents), with the screen-colour
    /// challenge (`UnlockProgress.ShowColour`). Feed it camera frames;
    /// it ends `Unlocked` with the template stored. Replacing an enrolled face needs a face
    /// unlock in the last two minutes. Fails with `NoReferencePortrait`, `FaceCheckRequired`
    /// or `LockedOut { retryAfterSecs }`.
    pub fn start_face_enrolment(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Enrol, models)
    }

    /// Start unlocking the eID with the holder's face: a liveness session with fresh
    /// random movements. Feed it camera frames; it answers with what to show. Fails with
    /// `NotEnrolled` or `LockedOut { retryAfterSecs }`.
    pub fn start_face_unlock(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Unlock, models)
    }

    /// Start the face check a visa report needs: an unlock that also makes the
    /// screen-colour challenge (`UnlockProgress.ShowColour`: fill the screen with each colour
    /// until its time). `requestVisaReport` refuses a plain unlock with `FaceCheckRequired`.
    pub fn start_report_face_check(&self, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        self.start_session(FacePurpose::Report, models)
    }

    /// Until when the eID is unlocked (Unix seconds), if it is.
    pub fn unlocked_until(&self) -> Result<Option<i64>, WalletError> {
        self.with(|w| Ok::<_, WalletError>(w.unlocked_until(idwallet_core::now_unix())))
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
    fn start_session(&self, purpose: FacePurpose, models: Arc<FaceModels>) -> Result<Arc<FaceSession>, WalletError> {
        let now = idwallet_core::now_unix();
        let session =
            self.shared()?.begin_face_session(purpose, &models.inner, live::LivenessPolicy::default(), now)?;
        Ok(Arc::new(FaceSession {
            wallet: self.inner.clone(),
            models: models.inner.clone(),
            purpose,
            session: Arc::new(Mutex::new(Some(session))),
        }))
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
/// `Wallet.startFaceUnlock`, `Wallet.startReportFaceCheck`).
#[derive(uniffi::Object)]
pub struct FaceSession {
    /// The wallet handle, not the wallet: a session left for the garbage collector must
    /// not keep the wallet from closing.
    wallet: Arc<std::sync::RwLock<Option<Arc<idwallet_core::Wallet>>>>,
    models: Arc<core::FaceModels>,
    purpose: FacePurpose,
    /// `None` once the session has ended (its outcome is counted exactly once).
    session: Arc<Mutex<Option<live::LivenessSession>>>,
}

#[uniffi::export]
impl FaceSession {
    /// Whether this session enrols the face (`true`) or unlocks with it.
    pub fn is_enrolment(&self) -> bool {
        self.purpose == FacePurpose::Enrol
    }

    /// The movements to ask for, in order.
    pub fn challenges(&self) -> Vec<Challenge> {
        let guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|s| s.challenges().iter().map(|c| (*c).into()).collect()).unwrap_or_default()
    }

    /// Feed one camera frame captured at `timestamp_ms` (a monotonic clock). Returns what
    /// to show next, or — when the session ends — `Unlocked` (an enrolment unlocks too),
    /// or throws `LivenessFailed`, `FaceMismatch` or `LockedOut` (each counted as a failed
    /// attempt). A frame that cannot be read throws `FaceNotUsable` and leaves the session
    /// as it was.
    pub async fn feed(&self, frame: CameraFrame, timestamp_ms: u64) -> Result<UnlockProgress, WalletError> {
        let (wallet, models, session) = (self.wallet.clone(), self.models.clone(), self.session.clone());
        let purpose = self.purpose;
        run_blocking(move || {
            let mut guard = session.lock().unwrap_or_else(|p| p.into_inner());
            let live = guard.as_mut().ok_or(WalletError::SessionEnded)?;
            let progress = live.feed(&models, &frame.into(), timestamp_ms).map_err(FaceError::from)?;
            let count = live.challenges().len() as u32;
            Ok(match progress {
                live::Progress::Searching { hint } => UnlockProgress::Searching { hint: hint.into() },
                live::Progress::Moving { index, challenge, done, .. } => {
                    UnlockProgress::Moving { index: index as u32, count, challenge: challenge.into(), done }
                }
                live::Progress::Returning { index, .. } => UnlockProgress::Returning { index: index as u32, count },
                live::Progress::ShowColour { rgb: [red, green, blue], until_ms } => {
                    UnlockProgress::ShowColour { red, green, blue, until_ms }
                }
                live::Progress::Passed(_) | live::Progress::Failed(_) => {
                    let ended = guard.take().ok_or(WalletError::SessionEnded)?;
                    let outcome = ended.outcome().ok_or(WalletError::SessionEnded)?;
                    let wallet = wallet.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or(WalletError::Closed)?;
                    let u = wallet.finish_face_session(purpose, &models, outcome, idwallet_core::now_unix())?;
                    UnlockProgress::Unlocked { until: u.until, similarity: u.similarity }
                }
            })
        })
        .await
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

/// How a [`SyntheticCamera`]'s subject behaves.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum SyntheticAct {
    /// A live holder: makes the movements asked for.
    Genuine,
    /// A print held still in front of the camera.
    StillPrint,
    /// The same frame again and again (a frozen or injected feed).
    Frozen,
}

/// A camera for tests and demos that have none: SYNTHETIC frames of the person in a photo,
/// re-rendered as a head that turns and blinks as the session asks. It can pass a liveness
/// session, which is why it must never stand in for a real camera in an app.
#[derive(uniffi::Object)]
pub struct SyntheticCamera {
    subject: Mutex<idwallet_core::face::synthetic::Subject>,
}

#[uniffi::export]
impl SyntheticCamera {
    /// A camera in front of the person in `photo` (JPEG/PNG), acting as `act`.
    #[uniffi::constructor]
    pub async fn create(models: Arc<FaceModels>, photo: Vec<u8>, act: SyntheticAct) -> Result<Arc<Self>, FaceError> {
        use idwallet_core::face::synthetic::{Act, Subject};
        let act = match act {
            SyntheticAct::Genuine => Act::Genuine,
            SyntheticAct::StillPrint => Act::StillPrint,
            SyntheticAct::Frozen => Act::Frozen,
        };
        let m = models.inner.clone();
        let subject = run_blocking(move || Subject::new(&m, Frame::Encoded(photo), act)).await?;
        Ok(Arc::new(Self { subject: Mutex::new(subject) }))
    }

    /// The next frame, answering what the session said last (`null` before the first).
    pub fn next_frame(&self, last: Option<UnlockProgress>) -> CameraFrame {
        let progress = match last {
            Some(UnlockProgress::Moving { index, count, challenge, done }) => live::Progress::Moving {
                index: index as usize,
                count: count as usize,
                challenge: challenge.into(),
                done,
            },
            Some(UnlockProgress::Returning { index, count }) => {
                live::Progress::Returning { index: index as usize, count: count as usize }
            }
            Some(UnlockProgress::ShowColour { red, green, blue, until_ms }) => {
                live::Progress::ShowColour { rgb: [red, green, blue], until_ms }
            }
            _ => live::Progress::Searching { hint: live::Hint::NoFace },
        };
        match self.subject.lock().unwrap_or_else(|p| p.into_inner()).next_frame(&progress) {
            Frame::Encoded(bytes) => CameraFrame::Encoded { bytes },
            Frame::Raw { format, width, height, stride, rotation, data } => {
                CameraFrame::Raw { format: format.into(), width, height, stride, rotation, data }
            }
        }
    }
}

impl From<Challenge> for live::Challenge {
    fn from(c: Challenge) -> Self {
        match c {
            Challenge::TurnLeft => Self::TurnLeft,
            Challenge::TurnRight => Self::TurnRight,
            Challenge::LookUp => Self::LookUp,
            Challenge::Blink => Self::Blink,
        }
    }
}
