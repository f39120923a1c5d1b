//! On-device face across the FFI: load the models once (from the app's assets, off the
//! caller's thread, with progress), compare photos, and the eID unlock gate on a wallet:
//! a liveness session fed camera frames, answering each with what the UI shows next.

use std::sync::{Arc, Mutex};

use idwallet_core::face::liveness as live;
use idwallet_core::face::{self as core, Frame};

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

/// What was measured on an enrolled face.
#[derive(uniffi::Record)]
pub struct FaceQuality {
    pub eye_distance_px: f32,
    pub sharpness: f32,
    pub brightness: f32,
    pub yaw: f32,
    pub roll_deg: f32,
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

#[uniffi::export]
impl Wallet {
    /// Enrol the holder's face from a photo (JPEG/PNG); the template is stored sealed.
    pub async fn enrol_face(&self, models: Arc<FaceModels>, photo: Vec<u8>) -> Result<FaceQuality, WalletError> {
        let m = models.inner.clone();
        let q = self.with_blocking(move |w| w.enrol_face(&m, &Frame::Encoded(photo))).await?;
        Ok(FaceQuality {
            eye_distance_px: q.eye_distance_px,
            sharpness: q.sharpness,
            brightness: q.brightness,
            yaw: q.yaw,
            roll_deg: q.roll_deg,
        })
    }

    /// Whether a face template is enrolled (sealed in this wallet) for unlocking.
    pub fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        self.with(|w| w.is_face_enrolled())
    }

    /// Delete the enrolled face; false if there was none.
    pub fn unenrol_face(&self) -> Result<bool, WalletError> {
        self.with(|w| w.unenrol_face())
    }

    /// Start unlocking the eID with the holder's face: a liveness session with fresh
    /// random movements. Feed it camera frames; it answers with what to show. Fails with
    /// `NotEnrolled` or `LockedOut` (the message says when to retry).
    pub fn start_face_unlock(&self, models: Arc<FaceModels>) -> Result<Arc<FaceUnlockSession>, WalletError> {
        let session = self.shared()?.begin_face_unlock(
            &models.inner,
            live::LivenessPolicy::default(),
            idwallet_core::now_unix(),
        )?;
        Ok(Arc::new(FaceUnlockSession {
            wallet: self.inner.clone(),
            models: models.inner.clone(),
            session: Arc::new(Mutex::new(Some(session))),
        }))
    }

    /// Until when the eID is unlocked (Unix seconds), if it is.
    pub fn unlocked_until(&self) -> Result<Option<i64>, WalletError> {
        self.with(|w| Ok::<_, WalletError>(w.unlocked_until(idwallet_core::now_unix())))
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
                let format = match format {
                    PixelFormat::Rgba8 => core::PixelFormat::Rgba8,
                    PixelFormat::Bgra8 => core::PixelFormat::Bgra8,
                    PixelFormat::Nv21 => core::PixelFormat::Nv21,
                    PixelFormat::I420 => core::PixelFormat::I420,
                };
                Frame::Raw { format, width, height, stride, rotation, data }
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
    /// Live, and the holder: the eID is unlocked until `until` (Unix seconds).
    Unlocked { until: i64, similarity: f32 },
}

/// One face unlock in progress (`Wallet.startFaceUnlock`).
#[derive(uniffi::Object)]
pub struct FaceUnlockSession {
    /// The wallet handle, not the wallet: a session left for the garbage collector must
    /// not keep the wallet from closing.
    wallet: Arc<std::sync::RwLock<Option<Arc<idwallet_core::Wallet>>>>,
    models: Arc<core::FaceModels>,
    /// `None` once the session has ended (its outcome is counted exactly once).
    session: Arc<Mutex<Option<live::LivenessSession>>>,
}

#[uniffi::export]
impl FaceUnlockSession {
    /// The movements to ask for, in order.
    pub fn challenges(&self) -> Vec<Challenge> {
        let guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|s| s.challenges().iter().map(|c| (*c).into()).collect()).unwrap_or_default()
    }

    /// Feed one camera frame captured at `timestamp_ms` (a monotonic clock). Returns what
    /// to show next, or — when the session ends — `Unlocked`, or throws `LivenessFailed`,
    /// `FaceMismatch` or `LockedOut` (each counted as a failed unlock). A frame that
    /// cannot be read throws `FaceNotUsable` and leaves the session as it was.
    pub async fn feed(&self, frame: CameraFrame, timestamp_ms: u64) -> Result<UnlockProgress, WalletError> {
        let (wallet, models, session) = (self.wallet.clone(), self.models.clone(), self.session.clone());
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
                live::Progress::Passed(_) | live::Progress::Failed(_) => {
                    let ended = guard.take().ok_or(WalletError::SessionEnded)?;
                    let outcome = ended.outcome().ok_or(WalletError::SessionEnded)?;
                    let wallet = wallet.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or(WalletError::Closed)?;
                    let u = wallet.finish_face_unlock(outcome, idwallet_core::now_unix())?;
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
