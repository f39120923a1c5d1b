//! Active liveness (DESIGN §5): the holder performs a random sequence of head movements in
//! front of the camera, checked frame by frame from the five landmarks.
//!
//! What it checks, per frame: the frame is new (a bit-identical frame seen earlier in the
//! session is a replay); the face is tracked (a jump re-checks the identity); the expected
//! movement progresses within its time limit and no other movement is made. At each
//! completed movement: the nose moved *off the plane* of the eyes and mouth corners — a
//! flat photo that is moved, zoomed, turned or sheared moves all five points by one
//! homography, a head does not — and the face is still the person who started. A blink
//! (when MediaPipe Iris is loaded) must close the eyes to under 65 % of their openness and
//! open them again; openness is a ratio no warp of a flat photo changes (`eyes.rs`).
//!
//! What it does not stop (see `docs/liveness.md`): a 3-D mask or a 3-D re-rendering of a
//! stolen photo driven in real time, a deepfake injected into the camera feed, a printed
//! photo bent into a cylinder. A passive [`PresentationAttackDetector`] plugs in for those.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::colour::{
    ColourChallenge, ColourOutcome, ColourPolicy, ColourRequirement, ColourUnavailable, ColourVerdict,
};
use super::identity::{Changed, IdentityChecks};
use super::track::Tracker;
use super::{align, detect, main_face, Face, FaceError, FaceModels, Frame, Template, MATCH_THRESHOLD};

/// How far (in units of a completed movement) another movement must go to count as made
/// instead of the one asked for: heads drift a little on the other axis.
const WRONG_MOVEMENT: f32 = 1.3;

/// A movement the holder is asked to make. Signed into report attestations by its
/// [`Challenge::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Challenge {
    TurnLeft,
    TurnRight,
    LookUp,
    /// Close both eyes and open them again (needs MediaPipe Iris).
    Blink,
}

impl Challenge {
    pub const ALL: [Challenge; 4] = [Challenge::TurnLeft, Challenge::TurnRight, Challenge::LookUp, Challenge::Blink];
    /// The head movements, read from the pose.
    pub const MOVEMENTS: [Challenge; 3] = [Challenge::TurnLeft, Challenge::TurnRight, Challenge::LookUp];

    /// A stable name for logs, attestations and command lines.
    pub fn code(self) -> &'static str {
        match self {
            Challenge::TurnLeft => "turn-left",
            Challenge::TurnRight => "turn-right",
            Challenge::LookUp => "look-up",
            Challenge::Blink => "blink",
        }
    }

    /// How far along the movement is, 0…1 and beyond, from the pose change since the start.
    fn progress(self, d_yaw: f32, d_pitch: f32, p: &LivenessPolicy) -> f32 {
        match self {
            Challenge::TurnLeft => d_yaw / p.turn,
            Challenge::TurnRight => -d_yaw / p.turn,
            Challenge::LookUp => -d_pitch / p.look_up,
            Challenge::Blink => 0.0,
        }
    }
}

/// Limits of a liveness session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LivenessPolicy {
    /// Movements asked for (random, no movement twice in a row).
    pub challenges: usize,
    /// Time allowed to find the face and for each movement.
    pub step_timeout_ms: u64,
    pub session_timeout_ms: u64,
    /// Yaw change that completes a turn (nose offset per eye distance).
    pub turn: f32,
    /// Pitch change that completes looking up.
    pub look_up: f32,
    /// How close to the starting pose counts as facing the camera again.
    pub neutral: f32,
    /// Off-plane motion of the face's pixels during a movement (RMS distance from the best
    /// homography, per eye distance) that a completed movement must show.
    pub min_parallax: f32,
    /// Similarity to the starting face that a frame facing the camera again must keep.
    pub continuity: f32,
    /// The same for a turned face (embeddings of turned faces match less well).
    pub turned_continuity: f32,
    /// Frame-to-frame face box overlap below which the identity is re-checked.
    pub track_iou: f32,
    /// Share of the eyes' openness a blink must lose (0.35: closed to under 65 %).
    pub blink_closure: f32,
    /// Share of it they must regain to count as open again.
    pub reopen: f32,
    /// How much the face's shape — eyes-to-mouth per eye distance, and the face box's height
    /// per width — may change while blinking: a print tilted or squeezed to fake a blink
    /// changes it (at a steep tilt the landmarks regain their shape but the box does not).
    pub blink_aspect: f32,
    /// The screen-colour challenge, made facing the camera before the movements.
    pub colour: ColourPolicy,
}

impl Default for LivenessPolicy {
    fn default() -> Self {
        Self {
            challenges: 3,
            step_timeout_ms: 7_000,
            session_timeout_ms: 30_000,
            turn: 0.12,
            look_up: 0.08,
            neutral: 0.07,
            min_parallax: 0.04,
            continuity: MATCH_THRESHOLD,
            turned_continuity: 0.25,
            track_iou: 0.3,
            blink_closure: 0.35,
            reopen: 0.8,
            blink_aspect: 0.08,
            colour: ColourPolicy::default(),
        }
    }
}

/// Why a session failed. Carries measurements, never images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum LivenessFailure {
    #[error("took too long")]
    TimedOut,
    #[error("a frame was repeated: the camera feed is replayed or frozen")]
    ReplayedFrame,
    #[error("frame timestamps went backwards")]
    BadTimestamp,
    #[error("the face moved like a flat picture (off-plane motion {parallax:.3})")]
    Flat { parallax: f32 },
    #[error("the face could not be followed through the movement")]
    LostTrack,
    #[error("the face changed during the check (similarity {similarity:.2})")]
    IdentityChanged { similarity: f32 },
    #[error("the wrong movement was made ({made:?} instead of {expected:?})")]
    WrongMovement { expected: Challenge, made: Challenge },
    #[error("the presentation-attack detector flagged the face (score {score:.2})")]
    AttackDetected { score: f32 },
    /// The face did not follow the colours the screen showed (a pre-rendered, replayed or
    /// differently lit face).
    #[error("the face did not reflect the screen's colours (correlation {correlation:.2}): face the screen, out of direct sunlight")]
    LightNotReflected { correlation: f32 },
    /// It followed them as a glare on a screen would: the background as bright, or flat.
    #[error("the screen's light came back as from a flat screen (falloff {falloff:.2}, pattern {pattern:.2})")]
    LightNotFromAFace { falloff: f32, pattern: f32 },
    /// The colour check is required and could not be made.
    #[error("the colour check could not be made: {reason}")]
    LightCheckUnavailable { reason: ColourUnavailable },
}

/// What the app should tell the holder while no movement is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hint {
    NoFace,
    SeveralFaces,
    MoveCloser,
    FaceTheCamera,
    HoldStill,
}

/// The session's state after a frame: what the UI shows next.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Looking for the holder's face, facing the camera.
    Searching {
        hint: Hint,
    },
    /// Movement `index` of `count` under way; `done` runs 0…1.
    Moving {
        index: usize,
        count: usize,
        challenge: Challenge,
        done: f32,
    },
    /// Movement `index` done: face the camera again.
    Returning {
        index: usize,
        count: usize,
    },
    /// Fill the screen with `rgb` until `until_ms` (the frames' clock), the face held still
    /// before it; the app locks exposure and white balance meanwhile (`docs/mobile.md`).
    ShowColour {
        rgb: [u8; 3],
        until_ms: u64,
    },
    Passed(Evidence),
    Failed(LivenessFailure),
}

/// Proof a session passed: the starting face and what was checked. Only a session makes
/// one (`non_exhaustive`), so no caller outside core can hand the wallet a passing `Evidence`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Evidence {
    /// Embedding of the frontal face that started the session (for the 1:1 match).
    pub template: Template,
    /// Lowest similarity of any checked frame to the starting face.
    pub min_continuity: f32,
    /// Off-plane motion measured in each movement.
    pub parallax: Vec<f32>,
    pub challenges: Vec<Challenge>,
    pub frames: u32,
    pub elapsed_ms: u64,
    /// The screen-colour challenge's outcome.
    pub colour: ColourOutcome,
}

/// A passive presentation-attack detector (print, screen, mask), for when a trustworthy
/// model exists. Called on the frames whose identity is checked.
pub trait PresentationAttackDetector: Send + Sync {
    /// 0 (live) … 1 (attack).
    fn attack_score(&self, image: &RgbImage, face: &Face) -> Result<f32, FaceError>;
    /// Scores at or above this fail the session.
    fn threshold(&self) -> f32;
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Searching,
    /// The screen-colour challenge, facing the camera.
    Colour,
    Moving(usize),
    Returning(usize),
    /// Every movement made: the next frame passes once every identity check has answered
    /// (`identity.rs`).
    Confirming,
    Done,
}

/// The start of the session: where the landmarks sat and the pose.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    yaw: f32,
    pitch: f32,
}

/// One liveness check. Feed it camera frames with their capture times; it answers with
/// the [`Progress`] to show. It ends at `Passed` or `Failed`; later frames repeat that.
pub struct LivenessSession {
    policy: LivenessPolicy,
    challenges: Vec<Challenge>,
    detector: Option<Arc<dyn PresentationAttackDetector>>,
    phase: Phase,
    started_ms: Option<u64>,
    step_started_ms: u64,
    last_ms: Option<u64>,
    baseline: Option<Baseline>,
    tracker: Option<Tracker>,
    last_box: Option<[f32; 4]>,
    last_thumb: Option<Vec<f32>>,
    /// The most open the eyes were in the current blink step, and the face's shape then.
    open_max: f32,
    blink_shape: [f32; 2],
    seen: HashSet<u64>,
    frames: u32,
    /// The identity checks, answered off the frame path; started with the baseline.
    identity: Option<IdentityChecks>,
    parallax: Vec<f32>,
    colour: Option<ColourChallenge>,
    colour_outcome: ColourOutcome,
    end: Option<Progress>,
}

impl std::fmt::Debug for LivenessSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessSession").field("challenges", &self.challenges).field("phase", &self.phase).finish()
    }
}

impl LivenessSession {
    /// A session with a fresh random sequence of movements (a blink among them only if
    /// `models` has MediaPipe Iris).
    pub fn new(policy: LivenessPolicy, models: &FaceModels) -> Self {
        let bytes: [u8; 16] = crate::crypto::random_array();
        let mut challenges: Vec<Challenge> = Vec::with_capacity(policy.challenges);
        for b in bytes.iter().take(policy.challenges.max(1)) {
            let options: Vec<Challenge> = Challenge::ALL
                .iter()
                .copied()
                .filter(|c| challenges.last() != Some(c) && (*c != Challenge::Blink || models.can_blink()))
                .collect();
            challenges.push(options[usize::from(*b) % options.len()]);
        }
        Self::with_challenges(policy, challenges)
    }

    /// A session with a given sequence (tests and the evaluation need to choose it).
    pub fn with_challenges(policy: LivenessPolicy, challenges: Vec<Challenge>) -> Self {
        Self {
            policy,
            challenges,
            detector: None,
            phase: Phase::Searching,
            started_ms: None,
            step_started_ms: 0,
            last_ms: None,
            baseline: None,
            tracker: None,
            last_box: None,
            last_thumb: None,
            open_max: 0.0,
            blink_shape: [0.0; 2],
            seen: HashSet::new(),
            frames: 0,
            identity: None,
            parallax: Vec::new(),
            colour: None,
            colour_outcome: ColourOutcome::NotAsked,
            end: None,
        }
    }

    /// Add a passive presentation-attack detector.
    pub fn with_detector(mut self, detector: Arc<dyn PresentationAttackDetector>) -> Self {
        self.detector = Some(detector);
        self
    }

    /// The movements to ask for, in order.
    pub fn challenges(&self) -> &[Challenge] {
        &self.challenges
    }

    /// The outcome, once the session has ended.
    pub fn outcome(&self) -> Option<Result<&Evidence, LivenessFailure>> {
        match self.end.as_ref()? {
            Progress::Passed(evidence) => Some(Ok(evidence)),
            Progress::Failed(failure) => Some(Err(*failure)),
            _ => None,
        }
    }

    /// Take one camera frame captured at `at_ms` (a monotonic clock, milliseconds).
    /// A frame that cannot be read is an error and leaves the session as it was.
    pub fn feed(&mut self, models: &FaceModels, frame: &Frame, at_ms: u64) -> Result<Progress, FaceError> {
        if let Some(end) = &self.end {
            return Ok(end.clone());
        }
        let image = frame.to_rgb()?;
        let progress = match self.step(models, &image, at_ms)? {
            Ok(p) => p,
            Err(failure) => Progress::Failed(self.explain(failure)?),
        };
        if matches!(progress, Progress::Passed(_) | Progress::Failed(_)) {
            // Every answer is in (or no longer matters): let the worker thread end.
            self.identity = None;
            tracing::info!(target: "idwallet::face", frames = self.frames, passed = matches!(progress, Progress::Passed(_)), "liveness session ended");
            self.end = Some(progress.clone());
        }
        Ok(progress)
    }

    fn step(
        &mut self,
        models: &FaceModels,
        image: &RgbImage,
        at_ms: u64,
    ) -> Result<Result<Progress, LivenessFailure>, FaceError> {
        if self.last_ms.is_some_and(|last| at_ms <= last) {
            return Ok(Err(LivenessFailure::BadTimestamp));
        }
        self.last_ms = Some(at_ms);
        let started = *self.started_ms.get_or_insert(at_ms);
        if self.step_started_ms == 0 {
            self.step_started_ms = at_ms;
        }
        if at_ms - started > self.policy.session_timeout_ms
            || at_ms - self.step_started_ms > self.policy.step_timeout_ms
        {
            return Ok(Err(LivenessFailure::TimedOut));
        }
        if !self.seen.insert(fingerprint(image)) {
            return Ok(Err(LivenessFailure::ReplayedFrame));
        }
        self.frames += 1;
        if let Some(fail) = self.identity_failure(false)? {
            return Ok(Err(fail));
        }
        if self.phase == Phase::Confirming {
            return self.confirm(at_ms, started);
        }

        let faces = detect::run(&models.detector, image)?;
        let face = match main_face(&faces) {
            Ok((face, _)) => face,
            Err(FaceError::SeveralFaces { .. }) => return Ok(Ok(self.hint(Hint::SeveralFaces))),
            Err(_) => return Ok(Ok(self.hint(Hint::NoFace))),
        };
        let (eye_px, yaw, pitch, _) = align::pose(&face.landmarks);
        if eye_px < models.policy.min_eye_distance_px {
            return Ok(Ok(self.hint(Hint::MoveCloser)));
        }
        // A frame no different from the last (a frozen feed) moves nothing forward.
        let thumb = thumbnail(image, &face.bbox);
        let still = self.last_thumb.as_ref().is_some_and(|t| mean_abs_diff(t, &thumb) < 0.25);
        self.last_thumb = Some(thumb);
        let jumped = self.last_box.is_some_and(|b| super::detect::iou(&b, &face.bbox) < self.policy.track_iou);
        self.last_box = Some(face.bbox);
        // A face held still for the colours is expected; the colours change it anyway.
        if still && self.phase != Phase::Colour {
            return Ok(Ok(self.current(0.0)));
        }

        let Some(base) = self.baseline else {
            if yaw.abs() > 2.0 * self.policy.neutral || (pitch - 0.5).abs() > 0.25 {
                return Ok(Ok(self.hint(Hint::FaceTheCamera)));
            }
            if let Some(fail) = self.detect_attack(image, &face)? {
                return Ok(Err(fail));
            }
            self.identity = Some(IdentityChecks::start(&models.embedder, align::warp(image, &face.landmarks)));
            self.baseline = Some(Baseline { yaw, pitch });
            self.tracker = Some(Tracker::seed(image, &face.landmarks));
            if self.policy.colour.requirement != ColourRequirement::Off {
                self.colour = Some(ColourChallenge::new(self.policy.colour, at_ms));
                return Ok(Ok(self.advance(Phase::Colour, at_ms)));
            }
            return Ok(Ok(self.advance(Phase::Moving(0), at_ms)));
        };

        if jumped {
            if let Some(fail) = self.check_identity(image, &face, self.policy.turned_continuity)? {
                return Ok(Err(fail));
            }
        }
        if let Some(tracker) = &mut self.tracker {
            tracker.track(image);
        }
        let (d_yaw, d_pitch) = (yaw - base.yaw, pitch - base.pitch);
        match self.phase {
            Phase::Colour => {
                let Some(colour) = &mut self.colour else { return Ok(Ok(self.current(0.0))) };
                colour.sample(image, &face.landmarks, &face.bbox, at_ms);
                // The light must come back from the session's own face: checked at a moment
                // drawn with the sequence, and on the frame that ends the colours.
                let complete = colour.complete(at_ms);
                let identity_due = at_ms >= colour.identity_at_ms;
                if identity_due {
                    colour.identity_at_ms = u64::MAX;
                }
                if identity_due || complete {
                    if let Some(fail) = self.check_identity(image, &face, self.policy.continuity)? {
                        return Ok(Err(fail));
                    }
                }
                if !complete {
                    return Ok(Ok(self.current(0.0)));
                }
                let Some(colour) = &self.colour else { return Ok(Ok(self.current(0.0))) };
                self.colour_outcome = match colour.verdict() {
                    ColourVerdict::Passed(m) => ColourOutcome::Checked(m),
                    ColourVerdict::NotReflected(m) => {
                        return Ok(Err(LivenessFailure::LightNotReflected { correlation: m.correlation }))
                    }
                    ColourVerdict::NotAFace(m) => {
                        return Ok(Err(LivenessFailure::LightNotFromAFace { falloff: m.falloff, pattern: m.pattern }))
                    }
                    ColourVerdict::Unavailable(reason) => {
                        if self.policy.colour.requirement == ColourRequirement::Required {
                            return Ok(Err(LivenessFailure::LightCheckUnavailable { reason }));
                        }
                        ColourOutcome::Unavailable(reason)
                    }
                };
                tracing::debug!(target: "idwallet::face", outcome = ?self.colour_outcome, "colour check done");
                // The colours changed the pixels the tracker follows: start it afresh.
                self.tracker = Some(Tracker::seed(image, &face.landmarks));
                Ok(Ok(self.advance(Phase::Moving(0), at_ms)))
            }
            Phase::Moving(i) => {
                let expected = self.challenges[i];
                let done = match expected {
                    Challenge::Blink => {
                        let shape = [align::aspect(&face.landmarks), face.bbox[3] / face.bbox[2].max(1.0)];
                        let kept = shape
                            .iter()
                            .zip(self.blink_shape)
                            .all(|(now, then)| (now / then - 1.0).abs() <= self.policy.blink_aspect);
                        match self.openness(models, image, &face)? {
                            Some(open) if open > self.open_max => {
                                (self.open_max, self.blink_shape) = (open, shape);
                                0.0
                            }
                            // Narrowing eyes count only in a face of unchanged shape.
                            Some(open) if kept => (1.0 - open / self.open_max) / self.policy.blink_closure,
                            _ => 0.0,
                        }
                    }
                    _ => expected.progress(d_yaw, d_pitch, &self.policy),
                };
                if done < 1.0 {
                    // Another movement made clearly instead is the wrong order.
                    if let Some(made) = Challenge::MOVEMENTS
                        .into_iter()
                        .find(|c| *c != expected && c.progress(d_yaw, d_pitch, &self.policy) >= WRONG_MOVEMENT)
                    {
                        return Ok(Err(LivenessFailure::WrongMovement { expected, made }));
                    }
                    return Ok(Ok(Progress::Moving {
                        index: i,
                        count: self.challenges.len(),
                        challenge: expected,
                        done,
                    }));
                }
                // A blink is no head movement to test for depth: a photo cannot blink.
                if expected != Challenge::Blink {
                    let Some(parallax) = self.tracker.as_ref().and_then(|t| t.off_plane(eye_px)) else {
                        return Ok(Err(LivenessFailure::LostTrack));
                    };
                    tracing::debug!(target: "idwallet::face", parallax, "movement done");
                    self.parallax.push(parallax);
                    if parallax < self.policy.min_parallax {
                        return Ok(Err(LivenessFailure::Flat { parallax }));
                    }
                }
                if let Some(fail) = self.check_identity(image, &face, self.policy.turned_continuity)? {
                    return Ok(Err(fail));
                }
                Ok(Ok(self.advance(Phase::Returning(i), at_ms)))
            }
            Phase::Returning(i) => {
                let eyes_shut = self.challenges[i] == Challenge::Blink
                    && self
                        .openness(models, image, &face)?
                        .is_none_or(|open| open < self.policy.reopen * self.open_max);
                if eyes_shut || d_yaw.abs() > self.policy.neutral || d_pitch.abs() > self.policy.neutral {
                    return Ok(Ok(Progress::Returning { index: i, count: self.challenges.len() }));
                }
                if let Some(fail) = self.check_identity(image, &face, self.policy.continuity)? {
                    return Ok(Err(fail));
                }
                if i + 1 < self.challenges.len() {
                    self.tracker = Some(Tracker::seed(image, &face.landmarks));
                    return Ok(Ok(self.advance(Phase::Moving(i + 1), at_ms)));
                }
                Ok(Ok(self.advance(Phase::Confirming, at_ms)))
            }
            Phase::Searching | Phase::Confirming | Phase::Done => Ok(Ok(self.current(0.0))),
        }
    }

    /// The frame after the last movement: the pass, once every identity check has answered
    /// and passed. The last check was asked a frame ago, so at a camera's pace its answer
    /// is in or nearly; a feed faster than the worker waits here. Always this frame, so the
    /// outcome and the frame count never depend on the worker's speed.
    fn confirm(&mut self, at_ms: u64, started: u64) -> Result<Result<Progress, LivenessFailure>, FaceError> {
        if let Some(fail) = self.identity_failure(true)? {
            return Ok(Err(fail));
        }
        let Some(identity) = &self.identity else { return Ok(Err(LivenessFailure::LostTrack)) };
        let Some((template, min_continuity)) = identity.answered()? else { return Err(FaceError::Inference) };
        self.phase = Phase::Done;
        Ok(Ok(Progress::Passed(Evidence {
            template,
            min_continuity,
            parallax: self.parallax.clone(),
            challenges: self.challenges.clone(),
            frames: self.frames,
            elapsed_ms: at_ms - started,
            colour: self.colour_outcome,
        })))
    }

    fn advance(&mut self, phase: Phase, at_ms: u64) -> Progress {
        if matches!(phase, Phase::Moving(_)) {
            self.open_max = 0.0;
        }
        self.phase = phase;
        self.step_started_ms = at_ms;
        self.current(0.0)
    }

    fn current(&self, done: f32) -> Progress {
        let count = self.challenges.len();
        match self.phase {
            Phase::Moving(index) => Progress::Moving { index, count, challenge: self.challenges[index], done },
            Phase::Returning(index) => Progress::Returning { index, count },
            // Facing the camera again after the last movement, the answers on their way.
            Phase::Confirming => Progress::Returning { index: count.saturating_sub(1), count },
            Phase::Colour => match self.colour.as_ref().zip(self.last_ms).and_then(|(c, at)| c.showing(at)) {
                Some((rgb, until_ms)) => Progress::ShowColour { rgb, until_ms },
                None => Progress::Searching { hint: Hint::HoldStill },
            },
            Phase::Searching | Phase::Done => Progress::Searching { hint: Hint::HoldStill },
        }
    }

    fn hint(&self, hint: Hint) -> Progress {
        match self.phase {
            Phase::Searching => Progress::Searching { hint },
            _ => self.current(0.0),
        }
    }

    /// How open the eyes are; `None` when the lids' order makes no sense (not a face).
    fn openness(&self, models: &FaceModels, image: &RgbImage, face: &Face) -> Result<Option<f32>, FaceError> {
        Ok(Some(models.eyes(image, face)?.openness).filter(|o| *o > 0.0))
    }

    /// Ask whether this is still the face the session started with (answered at a later
    /// frame, and before any pass: `identity.rs`), and run the attack detector on it.
    fn check_identity(
        &mut self,
        image: &RgbImage,
        face: &Face,
        threshold: f32,
    ) -> Result<Option<LivenessFailure>, FaceError> {
        if let Some(identity) = &mut self.identity {
            identity.check(align::warp(image, &face.landmarks), threshold);
        }
        self.detect_attack(image, face)
    }

    /// A session that fails waits for its pending identity checks first: another face
    /// spliced in is the reason behind the jump or the lost track it causes, and the one to
    /// report.
    fn explain(&mut self, failure: LivenessFailure) -> Result<LivenessFailure, FaceError> {
        if matches!(failure, LivenessFailure::IdentityChanged { .. }) {
            return Ok(failure);
        }
        Ok(self.identity_failure(true)?.unwrap_or(failure))
    }

    /// The first identity check that failed, of those answered so far (all, if `wait`).
    fn identity_failure(&mut self, wait: bool) -> Result<Option<LivenessFailure>, FaceError> {
        let Some(identity) = &mut self.identity else { return Ok(None) };
        Ok(identity.collect(wait)?.map(|Changed { similarity }| LivenessFailure::IdentityChanged { similarity }))
    }

    fn detect_attack(&self, image: &RgbImage, face: &Face) -> Result<Option<LivenessFailure>, FaceError> {
        let Some(detector) = &self.detector else { return Ok(None) };
        let score = detector.attack_score(image, face)?;
        Ok((score >= detector.threshold()).then_some(LivenessFailure::AttackDetected { score }))
    }
}

/// A 16×16 grey thumbnail of the face box, to tell a frozen feed from a live one.
fn thumbnail(image: &RgbImage, bbox: &[f32; 4]) -> Vec<f32> {
    const N: usize = 16;
    let mut out = Vec::with_capacity(N * N);
    for j in 0..N {
        for i in 0..N {
            let x = bbox[0] + bbox[2] * (i as f32 + 0.5) / N as f32;
            let y = bbox[1] + bbox[3] * (j as f32 + 0.5) / N as f32;
            let p = align::sample(image, x, y).0;
            out.push(0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]));
        }
    }
    out
}

fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len().max(1) as f32
}

/// A hash of the decoded pixels: equal frames, whatever their encoding, hash equal.
fn fingerprint(image: &RgbImage) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    image.dimensions().hash(&mut h);
    image.as_raw().hash(&mut h);
    h.finish()
}
