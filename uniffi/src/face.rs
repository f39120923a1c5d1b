//! On-device face across the FFI: load the models once (from the app's assets, off the
//! caller's thread), compare photos, and the eID unlock gate on a wallet.

use std::sync::Arc;

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
    #[uniffi::constructor]
    pub async fn load(detector: Vec<u8>, embedder: Vec<u8>) -> Result<Arc<Self>, FaceError> {
        let inner = run_blocking(move || core::FaceModels::load(&detector, &embedder)).await?;
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

    pub fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        self.with(|w| w.is_face_enrolled())
    }

    /// Delete the enrolled face; false if there was none.
    pub fn unenrol_face(&self) -> Result<bool, WalletError> {
        self.with(|w| w.unenrol_face())
    }

    /// Unlock the eID with the holder's face in `photo`. Mismatches count towards a
    /// growing lockout that survives restarts (`LockedOut` says when to retry).
    pub async fn unlock_with_face(&self, models: Arc<FaceModels>, photo: Vec<u8>) -> Result<FaceUnlock, WalletError> {
        let m = models.inner.clone();
        let u = self
            .with_blocking(move |w| w.unlock_with_face(&m, &Frame::Encoded(photo), idwallet_core::now_unix()))
            .await?;
        Ok(FaceUnlock { until: u.until, similarity: u.similarity })
    }

    /// Until when the eID is unlocked (Unix seconds), if it is.
    pub fn unlocked_until(&self) -> Result<Option<i64>, WalletError> {
        self.with(|w| Ok::<_, WalletError>(w.unlocked_until(idwallet_core::now_unix())))
    }
}
