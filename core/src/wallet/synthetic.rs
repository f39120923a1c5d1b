//! A whole face session (enrolment or unlock) played on SYNTHETIC frames: a real photo
//! re-rendered as a turning, blinking head ([`crate::face::synthetic`]). For tests, the
//! demo and the desktop CLI, which have no camera; never in an app build.

use super::{FacePurpose, Unlocked, Wallet, WalletError};
use crate::face::liveness::{Challenge, LivenessPolicy, LivenessSession, Progress};
use crate::face::synthetic::{play, Act, Subject};
use crate::face::{FaceModels, Frame};

impl Wallet {
    /// Begin a `purpose` session, play `act` by the person in `photo` until it ends, and
    /// finish it — exactly the calls an app makes with camera frames. `challenges`, if
    /// not empty, replaces the session's random ones (reproducible runs); `progress` hears
    /// each step.
    #[allow(clippy::too_many_arguments)]
    pub fn synthetic_face_session(
        &self,
        purpose: FacePurpose,
        models: &FaceModels,
        photo: Frame,
        act: Act,
        challenges: Vec<Challenge>,
        now: i64,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Unlocked, WalletError> {
        let subject = Subject::new(models, photo, act)?;
        self.synthetic_face_session_of(purpose, models, subject, challenges, now, progress)
    }

    /// [`Wallet::synthetic_face_session`] with a subject made by the caller (one lit
    /// otherwise by the screen's colours, `Subject::with_light`).
    pub fn synthetic_face_session_of(
        &self,
        purpose: FacePurpose,
        models: &FaceModels,
        mut subject: Subject,
        challenges: Vec<Challenge>,
        now: i64,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Unlocked, WalletError> {
        let policy = purpose.liveness_policy(LivenessPolicy::default());
        let mut session = self.begin_face_session(purpose, models, policy, now)?;
        if !challenges.is_empty() {
            session = LivenessSession::with_challenges(policy, challenges);
        }
        play(
            &mut session,
            models,
            |p| {
                progress(p);
                subject.next_frame(p)
            },
            300,
        )?;
        let outcome = session.outcome().unwrap_or(Err(crate::face::liveness::LivenessFailure::TimedOut));
        self.finish_face_session(purpose, models, outcome, now)
    }
}
