//! On-device face (DESIGN §5): frames → detection (YuNet) → main face → quality gate →
//! 5-point similarity alignment to 112×112 → embedding (SFace, 128-d) → cosine similarity.
//! Models load from bytes — apps ship them as assets, prepared at build time by
//! `models/fetch.sh` (ADR 0013) — and run with tract, in pure Rust.
//! Nothing here leaves the device; templates are stored sealed by the wallet.

mod align;
pub mod colour;
mod detect;
mod eyes;
mod frame;
pub mod gate;
mod identity;
pub mod liveness;
pub mod model;
#[cfg(feature = "testing")]
pub mod synthetic;
mod track;

pub use detect::Face;
pub use eyes::{Eye, Eyes};
pub use frame::{Frame, PixelFormat};
pub use model::Model;

/// The prepared model files as `models/fetch.sh` names them (and apps ship them): tract's
/// NNEF archives of YuNet (for a 320×320 input), SFace (112×112) and MediaPipe Iris
/// (64×64, optional: the blink).
pub const DETECTOR_FILE: &str = "face_detection_yunet_2023mar.nnef.tar";
pub const EMBEDDER_FILE: &str = "face_recognition_sface_2021dec.nnef.tar";
pub const IRIS_FILE: &str = "iris_landmark.nnef.tar";

/// Cosine similarity at or above which two faces are taken to be the same person.
/// Calibration (data, ROC points, false-match rate) is in `docs/face-calibration.md`.
pub const MATCH_THRESHOLD: f32 = 0.40;

/// Cosine similarity at or above which a live face at enrolment is taken to be the person
/// in the issuer's reference portrait (an ID photo against a later live face: a different
/// population from two selfies). Calibration: `docs/face-calibration.md`.
pub const REFERENCE_MATCH_THRESHOLD: f32 = 0.40;

/// Why a face could not be used. Variants carry measurements, never images.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaceError {
    #[error("the face model is unusable: {what}")]
    BadModel { what: &'static str },
    #[error("the image could not be read")]
    BadImage,
    #[error("the frame buffer does not match its size, stride or format")]
    BadFrame,
    #[error("no face found")]
    NoFace,
    #[error("{count} faces of similar size: only the holder should be in view")]
    SeveralFaces { count: usize },
    #[error("the face is too small ({eye_distance_px:.0} px between the eyes; need {min_px:.0})")]
    TooSmall { eye_distance_px: f32, min_px: f32 },
    #[error("the face is blurred (sharpness {sharpness:.0}, need {min:.0})")]
    Blurred { sharpness: f32, min: f32 },
    #[error("the face is too dark (brightness {brightness:.0})")]
    TooDark { brightness: f32 },
    #[error("the face is too bright (brightness {brightness:.0})")]
    TooBright { brightness: f32 },
    #[error("the head is turned too far (yaw {yaw:.2}, roll {roll_deg:.0}°)")]
    HeadTurned { yaw: f32, roll_deg: f32 },
    #[error("inference failed")]
    Inference,
    /// The caller stopped a model load ([`FaceModels::load_all`]'s progress said so).
    #[error("the model load was cancelled")]
    Cancelled,
}

/// Quality limits a face must meet before it is embedded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityPolicy {
    pub min_eye_distance_px: f32,
    /// Variance of the Laplacian of the aligned 112×112 grey face.
    pub min_sharpness: f32,
    /// Mean grey level of the aligned face.
    pub brightness: (f32, f32),
    /// |nose offset from the eyes' midpoint| / eye distance.
    pub max_yaw: f32,
    pub max_roll_deg: f32,
}

impl Default for QualityPolicy {
    fn default() -> Self {
        Self {
            min_eye_distance_px: 24.0,
            min_sharpness: 50.0,
            brightness: (40.0, 215.0),
            max_yaw: 0.35,
            max_roll_deg: 25.0,
        }
    }
}

/// What was measured on the main face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub eye_distance_px: f32,
    pub sharpness: f32,
    pub brightness: f32,
    pub yaw: f32,
    pub roll_deg: f32,
}

/// An L2-normalised 128-d face embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(pub Vec<f32>);

impl Template {
    /// Cosine similarity in −1…1.
    pub fn similarity(&self, other: &Template) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// A face found, measured and embedded.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub face: Face,
    /// Other faces in view (smaller, accepted as background).
    pub others: usize,
    pub quality: Quality,
    pub template: Template,
}

/// Two faces compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub similarity: f32,
    pub threshold: f32,
    pub same_person: bool,
}

/// The loaded models. Load once per process (about a second) and share.
pub struct FaceModels {
    detector: Model,
    embedder: Model,
    /// MediaPipe Iris, for the blink challenge; without it sessions ask only for movements.
    iris: Option<Model>,
    pub policy: QualityPolicy,
}

impl std::fmt::Debug for FaceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceModels").finish_non_exhaustive()
    }
}

impl FaceModels {
    /// Load YuNet and SFace from their prepared archives ([`DETECTOR_FILE`], [`EMBEDDER_FILE`]).
    pub fn load(yunet: &[u8], sface: &[u8]) -> Result<Self, FaceError> {
        Self::load_with_progress(yunet, sface, &mut |_, _| {})
    }

    /// [`FaceModels::load`], calling `progress(done, total)` as each model is ready.
    pub fn load_with_progress(
        yunet: &[u8],
        sface: &[u8],
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<Self, FaceError> {
        Self::load_all(yunet, sface, None, &mut |done, total| {
            progress(done, total);
            true
        })
    }

    /// Load YuNet, SFace and, if given, MediaPipe Iris (the blink), telling `progress`
    /// `(done, total)` before the first and as each is ready; it answers whether to go on,
    /// so a cancelled load ends with [`FaceError::Cancelled`].
    ///
    /// SFace and Iris load on threads of their own while YuNet loads on the caller's: each
    /// load is tract optimising one graph on one core, so on a phone's several cores the
    /// slowest (SFace) sets the time, not the sum. A cancel is therefore seen once the
    /// models in flight are in (a load cannot be stopped half-way). Where no thread can be
    /// started, they load one after another.
    pub fn load_all(
        yunet: &[u8],
        sface: &[u8],
        iris: Option<&[u8]>,
        progress: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Result<Self, FaceError> {
        let total = if iris.is_some() { 3 } else { 2 };
        let mut go_on = |done| progress(done, total).then_some(()).ok_or(FaceError::Cancelled);
        go_on(0)?;
        let _span = tracing::info_span!(target: "idwallet::face", "load_models").entered();
        let models = std::thread::scope(|s| {
            let embedder = load_beside(s, sface, [1, 3, align::SIZE, align::SIZE]);
            let iris = iris.map(|bytes| load_beside(s, bytes, [1, eyes::SIZE, eyes::SIZE, 3]));
            let detector = load(yunet, &[1, 3, detect::SIZE, detect::SIZE])?;
            go_on(1)?;
            let embedder = embedder.join()?;
            go_on(2)?;
            let iris = iris.map(Beside::join).transpose()?;
            if iris.is_some() {
                go_on(3)?;
            }
            Ok::<_, FaceError>(Self { detector, embedder, iris, policy: QualityPolicy::default() })
        })?;
        tracing::info!(target: "idwallet::face", iris = models.iris.is_some(), "face models loaded");
        Ok(models)
    }

    /// Add MediaPipe Iris ([`IRIS_FILE`]), which the blink challenge needs.
    pub fn load_iris(&mut self, bytes: &[u8]) -> Result<(), FaceError> {
        self.iris = Some(load(bytes, &[1, eyes::SIZE, eyes::SIZE, 3])?);
        Ok(())
    }

    /// Whether a liveness session can ask for a blink (MediaPipe Iris is loaded).
    pub fn can_blink(&self) -> bool {
        self.iris.is_some()
    }

    /// The eyes of `face` found in `image`, and how open they are.
    pub fn eyes(&self, image: &image::RgbImage, face: &Face) -> Result<Eyes, FaceError> {
        let model = self.iris.as_ref().ok_or(FaceError::BadModel { what: "the eye model is not loaded" })?;
        eyes::run(model, image, face)
    }

    /// Run each model on up to `threads` threads (1, the default: the caller's only).
    #[cfg(feature = "parallel")]
    pub fn set_threads(&mut self, threads: usize) -> Result<(), FaceError> {
        self.detector.set_threads(threads)?;
        if let Some(iris) = &mut self.iris {
            iris.set_threads(threads)?;
        }
        self.embedder.set_threads(threads)
    }

    /// Every face in `frame`, largest first.
    pub fn detect(&self, frame: &Frame) -> Result<Vec<Face>, FaceError> {
        detect::run(&self.detector, &frame.to_rgb()?)
    }

    /// Detect, pick the main face, check its quality, align and embed it.
    pub fn analyze(&self, frame: &Frame) -> Result<Analysis, FaceError> {
        let image = frame.to_rgb()?;
        let faces = detect::run(&self.detector, &image)?;
        let (face, others) = main_face(&faces)?;
        let aligned = align::warp(&image, &face.landmarks);
        let quality = align::measure(&aligned, &face.landmarks);
        self.check(&quality)?;
        let template = embed(&self.embedder, &aligned)?;
        Ok(Analysis { face, others, quality, template })
    }

    /// Compare the main faces of two frames.
    pub fn compare(&self, a: &Frame, b: &Frame) -> Result<Comparison, FaceError> {
        let similarity = self.analyze(a)?.template.similarity(&self.analyze(b)?.template);
        Ok(Comparison { similarity, threshold: MATCH_THRESHOLD, same_person: similarity >= MATCH_THRESHOLD })
    }

    fn check(&self, q: &Quality) -> Result<(), FaceError> {
        let p = &self.policy;
        if q.eye_distance_px < p.min_eye_distance_px {
            return Err(FaceError::TooSmall { eye_distance_px: q.eye_distance_px, min_px: p.min_eye_distance_px });
        }
        if q.yaw.abs() > p.max_yaw || q.roll_deg.abs() > p.max_roll_deg {
            return Err(FaceError::HeadTurned { yaw: q.yaw, roll_deg: q.roll_deg });
        }
        if q.brightness < p.brightness.0 {
            return Err(FaceError::TooDark { brightness: q.brightness });
        }
        if q.brightness > p.brightness.1 {
            return Err(FaceError::TooBright { brightness: q.brightness });
        }
        if q.sharpness < p.min_sharpness {
            return Err(FaceError::Blurred { sharpness: q.sharpness, min: p.min_sharpness });
        }
        Ok(())
    }
}

/// A model loading on a scoped thread of its own, or loaded already where none could start.
enum Beside<'s> {
    Thread(std::thread::ScopedJoinHandle<'s, Result<Model, FaceError>>),
    Done(Result<Model, FaceError>),
}

fn load_beside<'s>(scope: &'s std::thread::Scope<'s, '_>, bytes: &'s [u8], shape: [usize; 4]) -> Beside<'s> {
    let thread = std::thread::Builder::new().name("idwallet-face-load".into());
    match thread.spawn_scoped(scope, move || load(bytes, &shape)) {
        Ok(handle) => Beside::Thread(handle),
        Err(_) => Beside::Done(load(bytes, &shape)),
    }
}

impl Beside<'_> {
    fn join(self) -> Result<Model, FaceError> {
        match self {
            // A panic in tract while loading: the model is unusable, not the app.
            Beside::Thread(handle) => {
                handle.join().unwrap_or(Err(FaceError::BadModel { what: "the model could not be loaded" }))
            }
            Beside::Done(done) => done,
        }
    }
}

/// SFace's unit-length embedding of an aligned face.
fn embed(embedder: &Model, aligned: &image::RgbImage) -> Result<Template, FaceError> {
    // SFace takes BGR 0..255 (it normalises inside the graph).
    let v = embedder.run(model::bgr_planes(aligned, align::SIZE))?.into_iter().next().ok_or(FaceError::Inference)?;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if v.len() != 128 || norm <= f32::EPSILON || !norm.is_finite() {
        return Err(FaceError::Inference);
    }
    Ok(Template(v.into_iter().map(|x| x / norm).collect()))
}

/// A prepared model, which must take `shape` (another file, or one prepared for another
/// size, would be read wrong).
fn load(bytes: &[u8], shape: &[usize]) -> Result<Model, FaceError> {
    let model = Model::load(bytes)?;
    if model.input_shape() != shape {
        return Err(FaceError::BadModel { what: "the model was prepared for another input" });
    }
    Ok(model)
}

/// The holder's face: the largest; another face at least 70 % of its width makes the
/// frame ambiguous (someone else could be the one being checked).
fn main_face(faces: &[Face]) -> Result<(Face, usize), FaceError> {
    let main = faces.first().ok_or(FaceError::NoFace)?;
    let rivals = faces[1..].iter().filter(|f| f.bbox[2] >= 0.7 * main.bbox[2]).count();
    if rivals > 0 {
        return Err(FaceError::SeveralFaces { count: rivals + 1 });
    }
    Ok((main.clone(), faces.len() - 1))
}

#[cfg(test)]
pub(crate) mod tests;
