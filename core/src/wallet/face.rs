//! The face unlock gate (DESIGN §5): enrol a template (sealed); unlock the eID for a while
//! after a liveness session passed *and* its face matches the template; count every other
//! outcome into a growing lockout that survives restarts; log every attempt.

use serde::{Deserialize, Serialize};

use super::{Wallet, WalletError};
use crate::face::gate::GateState;
use crate::face::liveness::{Evidence, LivenessFailure, LivenessPolicy, LivenessSession};
use crate::face::{FaceModels, Frame, Quality, Template};
use crate::store::{ActivityEntry, ActivityKind, Outcome, Record};

/// A passed face unlock, kept in memory for what needs a fresh one (a visa report).
#[derive(Debug, Clone)]
pub(crate) struct FaceCheck {
    pub until: i64,
    /// When the liveness session passed and the face matched.
    pub at: i64,
    pub similarity: f32,
    pub challenges: Vec<crate::face::liveness::Challenge>,
}

/// The holder's enrolled face, sealed in the wallet like every record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EnrolledFace {
    template: Vec<f32>,
    enrolled_at: i64,
}

impl Record for EnrolledFace {
    const KIND: &'static str = "face_template";
    fn id(&self) -> &str {
        "holder"
    }
}

/// A successful unlock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unlocked {
    /// The eID stays unlocked until then (Unix seconds).
    pub until: i64,
    pub similarity: f32,
}

impl Wallet {
    /// Enrol the holder's face from `frame` (replacing any earlier enrolment).
    pub fn enrol_face(&self, models: &FaceModels, frame: &Frame) -> Result<Quality, WalletError> {
        let analysis = models.analyze(frame)?;
        let record = EnrolledFace { template: analysis.template.0, enrolled_at: crate::now_unix() };
        self.store.write(|w| {
            w.put(&record)?;
            w.put(&GateState::default())?;
            w.log(&ActivityEntry::now(ActivityKind::FaceEnrolled))
        })?;
        tracing::info!(target: "idwallet::face", "face enrolled");
        Ok(analysis.quality)
    }

    pub fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        Ok(self.store.find::<EnrolledFace>("holder")?.is_some())
    }

    /// Delete the enrolled template; false if there was none.
    pub fn unenrol_face(&self) -> Result<bool, WalletError> {
        *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(self.store.write(|w| {
            let existed = w.delete::<EnrolledFace>("holder")?;
            w.delete::<GateState>("holder")?;
            if existed {
                w.log(&ActivityEntry::now(ActivityKind::FaceRemoved))?;
            }
            Ok(existed)
        })?)
    }

    /// Start a face unlock: a liveness session with fresh random movements (a blink among
    /// them if `models` has Face Mesh). Refused when no face is enrolled or the gate is
    /// locked out.
    pub fn begin_face_unlock(
        &self,
        models: &FaceModels,
        policy: LivenessPolicy,
        now: i64,
    ) -> Result<LivenessSession, WalletError> {
        self.store.find::<EnrolledFace>("holder")?.ok_or(WalletError::NotEnrolled)?;
        let state = self.store.find::<GateState>("holder")?.unwrap_or_default();
        if let Some(retry_after_secs) = state.retry_after(now) {
            return Err(WalletError::LockedOut { retry_after_secs });
        }
        Ok(LivenessSession::new(policy, models))
    }

    /// Finish a face unlock with the session's outcome at `now`. A passed session whose
    /// starting face matches the enrolled one unlocks the eID; a failed session or a
    /// mismatch counts towards the lockout.
    pub fn finish_face_unlock(
        &self,
        outcome: Result<&Evidence, LivenessFailure>,
        now: i64,
    ) -> Result<Unlocked, WalletError> {
        let _span = tracing::info_span!(target: "idwallet::face", "unlock").entered();
        let enrolled = self.store.find::<EnrolledFace>("holder")?.ok_or(WalletError::NotEnrolled)?;
        let state = self.store.find::<GateState>("holder")?.unwrap_or_default();
        if let Some(retry_after_secs) = state.retry_after(now) {
            return Err(WalletError::LockedOut { retry_after_secs });
        }
        let entry = ActivityEntry::now(ActivityKind::Unlock);
        let evidence = match outcome {
            Ok(evidence) => evidence,
            Err(failure) => {
                let next = self.count_failure(state, entry, &format!("liveness failed: {failure}"), now)?;
                return Err(WalletError::LivenessFailed { failure, retry_after_secs: next.retry_after(now) });
            }
        };
        let similarity = evidence.template.similarity(&Template(enrolled.template));
        if similarity < crate::face::MATCH_THRESHOLD {
            let next = self.count_failure(state, entry, "face did not match", now)?;
            return Err(WalletError::FaceMismatch { similarity, retry_after_secs: next.retry_after(now) });
        }
        let until = now + self.lockout.session_secs;
        self.store.write(|w| {
            w.put(&GateState::default())?;
            w.log(&entry)
        })?;
        let check = FaceCheck { until, at: now, similarity, challenges: evidence.challenges.clone() };
        *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = Some(check);
        tracing::info!(target: "idwallet::face", frames = evidence.frames, "eID unlocked");
        Ok(Unlocked { until, similarity })
    }

    fn count_failure(
        &self,
        state: GateState,
        entry: ActivityEntry,
        why: &str,
        now: i64,
    ) -> Result<GateState, WalletError> {
        let next = state.failed(&self.lockout, now);
        let reason = format!("{why} (attempt {})", next.failures);
        self.store.write(|w| {
            w.put(&next)?;
            w.log(&entry.outcome(Outcome::Failure { reason }))
        })?;
        tracing::info!(target: "idwallet::face", failures = next.failures, "face unlock failed");
        Ok(next)
    }

    /// Until when the eID is unlocked, if it is (unlocks do not survive a restart).
    pub fn unlocked_until(&self, now: i64) -> Option<i64> {
        self.face_check(now).map(|c| c.until)
    }

    /// The face unlock in force at `now`, if any.
    pub(crate) fn face_check(&self, now: i64) -> Option<FaceCheck> {
        self.unlock.lock().unwrap_or_else(|p| p.into_inner()).clone().filter(|c| now < c.until)
    }

    /// Lock the eID now.
    pub fn lock(&self) {
        *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
