//! The face gate (DESIGN §2, §5). Enrolment is a liveness session whose live face must
//! match the issuer's reference portrait (its digest signed in the ID credential); the
//! template comes from the live face. Unlocking needs a liveness session matching that
//! template, and opens the gate for the disclosure policy's windows. Every other outcome
//! counts into a growing lockout that survives restarts; every attempt is logged. The
//! passphrase or the key store alone never enrols, replaces or removes the face.

use serde::{Deserialize, Serialize};

use super::{Wallet, WalletError};
use crate::documents::{reference, REFERENCE_PORTRAIT};
use crate::face::colour::{ColourOutcome, ColourRequirement, ColourUnavailable};
use crate::face::gate::{GateState, RE_ENROL_SECS};
use crate::face::liveness::{Challenge, Evidence, LivenessFailure, LivenessPolicy, LivenessSession};
use crate::face::{FaceModels, Frame, Template, MATCH_THRESHOLD, REFERENCE_MATCH_THRESHOLD};
use crate::store::{ActivityEntry, ActivityKind, Outcome, Record};

/// A passed face check (an unlock or an enrolment), kept in memory only: a restart locks.
#[derive(Debug, Clone)]
pub(crate) struct FaceCheck {
    pub until: i64,
    /// When the liveness session passed and the face matched.
    pub at: i64,
    pub similarity: f32,
    pub challenges: Vec<Challenge>,
    /// The issuer's reference portrait the enrolled face was matched against, and how
    /// close this check's live face is to it.
    pub reference_digest: Vec<u8>,
    pub reference_similarity: f32,
    /// The screen-colour challenge's outcome in that session.
    pub colour: ColourOutcome,
}

/// The holder's enrolled face, sealed in the wallet like every record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EnrolledFace {
    /// From the live face at enrolment.
    template: Vec<f32>,
    enrolled_at: i64,
    /// The reference portrait the live face matched (empty: an enrolment from before
    /// identity binding, which no longer unlocks).
    #[serde(default, with = "serde_bytes")]
    reference_digest: Vec<u8>,
    #[serde(default)]
    reference_template: Vec<f32>,
}

impl Record for EnrolledFace {
    const KIND: &'static str = "face_template";
    fn id(&self) -> &str {
        "holder"
    }
}

/// The issuer's reference portrait, received with the documents and kept sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReferencePortrait {
    #[serde(with = "serde_bytes")]
    pub jpeg: Vec<u8>,
}

impl ReferencePortrait {
    /// `jpeg` as a reference portrait, if it is one and its SHA-256 is `signed`.
    pub(super) fn checked(jpeg: Vec<u8>, signed: &[u8]) -> Result<Self, WalletError> {
        reference::validate(&jpeg).map_err(crate::credential::CredentialError::from)?;
        if reference::digest(&jpeg) != signed {
            return Err(WalletError::ReferencePortraitMismatch);
        }
        Ok(Self { jpeg })
    }
}

/// The digest of the reference portrait the issuer signed in `docs`' credentials.
pub(super) fn signed_reference_digest(docs: &[super::HeldDocument]) -> Option<Vec<u8>> {
    docs.iter().find_map(|doc| {
        let disclosure = doc.credential.disclosures.iter().find(|d| d.id == REFERENCE_PORTRAIT)?;
        disclosure.value.as_bytes().cloned()
    })
}

impl Record for ReferencePortrait {
    const KIND: &'static str = "reference_portrait";
    fn id(&self) -> &str {
        "holder"
    }
}

/// A successful unlock (or enrolment, which unlocks too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unlocked {
    /// The eID stays unlocked until then (Unix seconds).
    pub until: i64,
    /// To the enrolled template (an unlock) or to the reference portrait (an enrolment).
    pub similarity: f32,
}

/// What a face session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacePurpose {
    Unlock,
    Enrol,
    /// An unlock for a visa report: the screen-colour challenge must be made.
    Report,
}

impl FacePurpose {
    fn activity(self) -> ActivityKind {
        match self {
            FacePurpose::Unlock | FacePurpose::Report => ActivityKind::Unlock,
            FacePurpose::Enrol => ActivityKind::FaceEnrolled,
        }
    }

    /// The liveness policy a session for this purpose runs under, from the app's `base`:
    /// enrolment and a visa report's face check always make the screen-colour challenge
    /// (a puppet re-rendered from a photo passes the movements, #23); an unlock as `base` says.
    pub fn liveness_policy(self, base: LivenessPolicy) -> LivenessPolicy {
        let mut policy = base;
        if self != FacePurpose::Unlock {
            policy.colour.requirement = ColourRequirement::Required;
        }
        policy
    }
}

impl Wallet {
    /// The signed digest of the reference portrait in the held documents, if any carries one.
    fn signed_reference_digest(&self) -> Result<Option<Vec<u8>>, WalletError> {
        Ok(signed_reference_digest(&self.store.list::<super::HeldDocument>()?))
    }

    /// Keep the issuer's reference portrait: only if its SHA-256 is the one the issuer
    /// signed in a held credential.
    pub fn store_reference_portrait(&self, jpeg: &[u8]) -> Result<(), WalletError> {
        let signed = self.signed_reference_digest()?.ok_or(WalletError::NoReferencePortrait)?;
        self.store.put(&ReferencePortrait::checked(jpeg.to_vec(), &signed)?, None)?;
        Ok(())
    }

    /// The reference portrait, re-checked against the issuer-signed digest.
    fn reference_portrait(&self) -> Result<(ReferencePortrait, Vec<u8>), WalletError> {
        let portrait = self.store.find::<ReferencePortrait>("holder")?.ok_or(WalletError::NoReferencePortrait)?;
        let signed = self.signed_reference_digest()?.ok_or(WalletError::NoReferencePortrait)?;
        Ok((ReferencePortrait::checked(portrait.jpeg, &signed)?, signed))
    }

    /// The enrolled face, if it is bound to a reference portrait. A template without its
    /// gate state, or a gate state that says a face is enrolled without one, means a
    /// record was deleted from the file (to reset the lockout, or to enrol without an
    /// unlock): refused as tampering.
    fn enrolled(&self) -> Result<Option<EnrolledFace>, WalletError> {
        let face = self.store.find::<EnrolledFace>("holder")?.filter(|e| !e.reference_digest.is_empty());
        let gate = self.store.find::<GateState>("holder")?;
        match (&face, gate) {
            (Some(_), None) | (None, Some(GateState { enrolled: true, .. })) => {
                Err(crate::store::StoreError::Tampered { table: "records".into() }.into())
            }
            _ => Ok(face),
        }
    }

    pub fn is_face_enrolled(&self) -> Result<bool, WalletError> {
        Ok(self.enrolled()?.is_some())
    }

    pub(super) fn gate_state(&self, now: i64) -> Result<GateState, WalletError> {
        self.enrolled()?;
        let state = self.store.find::<GateState>("holder")?.unwrap_or_default();
        match state.retry_after(now) {
            Some(retry_after_secs) => Err(WalletError::LockedOut { retry_after_secs }),
            None => Ok(state),
        }
    }

    /// Replacing or removing an enrolled face needs a recent unlock of it.
    fn check_may_change_face(&self, now: i64) -> Result<(), WalletError> {
        if self.enrolled()?.is_some() && self.face_check(now).is_none_or(|c| now - c.at > RE_ENROL_SECS) {
            return Err(WalletError::FaceCheckRequired);
        }
        Ok(())
    }

    /// Start a face session: a liveness session with fresh random challenges (a blink
    /// among them if `models` has the eye model).
    ///
    /// - [`FacePurpose::Enrol`] needs the issuer's reference portrait, and — when a face is
    ///   enrolled already — an unlock in the last [`RE_ENROL_SECS`].
    /// - [`FacePurpose::Unlock`] and [`FacePurpose::Report`] need an enrolled face.
    ///
    /// All are refused while the gate is locked out. The session runs under
    /// [`FacePurpose::liveness_policy`] of `policy`. A session begun before and never
    /// finished counts now as a failed attempt (and may lock the gate out).
    pub fn begin_face_session(
        &self,
        purpose: FacePurpose,
        models: &FaceModels,
        policy: LivenessPolicy,
        now: i64,
    ) -> Result<LivenessSession, WalletError> {
        match purpose {
            FacePurpose::Unlock | FacePurpose::Report => {
                self.enrolled()?.ok_or(WalletError::NotEnrolled)?;
            }
            FacePurpose::Enrol => {
                self.reference_portrait()?;
                self.check_may_change_face(now)?;
            }
        }
        let mut state = self.gate_state(now)?;
        if state.pending {
            let entry = ActivityEntry::new(self.store.now(), purpose.activity());
            state = self.count_failure(state, entry, "a face session was left unfinished", now)?;
            if let Some(retry_after_secs) = state.retry_after(now) {
                return Err(WalletError::LockedOut { retry_after_secs });
            }
        }
        self.store.put(&GateState { pending: true, ..state }, None)?;
        Ok(LivenessSession::new(purpose.liveness_policy(policy), models))
    }

    /// Finish a face session with its outcome at `now`.
    ///
    /// An unlock passes when the session passed and its starting face matches the enrolled
    /// template. An enrolment passes when the session passed and the live face matches the
    /// issuer's reference portrait; the live face's template is then stored. Either opens
    /// the gate; any failure counts towards the lockout.
    pub fn finish_face_session(
        &self,
        purpose: FacePurpose,
        models: &FaceModels,
        outcome: Result<&Evidence, LivenessFailure>,
        now: i64,
    ) -> Result<Unlocked, WalletError> {
        let _span = tracing::info_span!(target: "idwallet::face", "face_session", ?purpose).entered();
        let state = self.gate_state(now)?;
        let entry = ActivityEntry::new(self.store.now(), purpose.activity());
        // A session run under another policy than the purpose's (no colours shown) does not
        // count as one that made the challenge.
        let required = purpose.liveness_policy(LivenessPolicy::default()).colour.requirement;
        let outcome = outcome.and_then(|e| match e.colour {
            ColourOutcome::NotAsked if required == ColourRequirement::Required => {
                Err(LivenessFailure::LightCheckUnavailable { reason: ColourUnavailable::NotShown })
            }
            _ => Ok(e),
        });
        let evidence = match outcome {
            Ok(evidence) => evidence,
            Err(failure) => {
                let next = self.count_failure(state, entry, &format!("liveness failed: {failure}"), now)?;
                return Err(WalletError::LivenessFailed { failure, retry_after_secs: next.retry_after(now) });
            }
        };
        let (record, similarity, reference_similarity) = match purpose {
            FacePurpose::Unlock | FacePurpose::Report => {
                let enrolled = self.enrolled()?.ok_or(WalletError::NotEnrolled)?;
                let similarity = evidence.template.similarity(&Template(enrolled.template.clone()));
                if similarity < MATCH_THRESHOLD {
                    let next = self.count_failure(state, entry, "face did not match", now)?;
                    return Err(WalletError::FaceMismatch { similarity, retry_after_secs: next.retry_after(now) });
                }
                let to_reference = evidence.template.similarity(&Template(enrolled.reference_template.clone()));
                (enrolled, similarity, to_reference)
            }
            FacePurpose::Enrol => {
                self.check_may_change_face(now)?;
                let (portrait, digest) = self.reference_portrait()?;
                let reference = models.analyze(&Frame::Encoded(portrait.jpeg))?.template;
                let similarity = evidence.template.similarity(&reference);
                if similarity < REFERENCE_MATCH_THRESHOLD {
                    let next = self.count_failure(state, entry, "face did not match the reference portrait", now)?;
                    return Err(WalletError::FaceMismatch { similarity, retry_after_secs: next.retry_after(now) });
                }
                let record = EnrolledFace {
                    template: evidence.template.0.clone(),
                    enrolled_at: now,
                    reference_digest: digest,
                    reference_template: reference.0,
                };
                (record, similarity, similarity)
            }
        };
        let until = now + self.lockout.session_secs;
        self.store.write(|w| {
            if purpose == FacePurpose::Enrol {
                w.put(&record)?;
            }
            w.put(&GateState { enrolled: true, ..GateState::default() })?;
            w.log(&entry)
        })?;
        let check = FaceCheck {
            until,
            at: now,
            similarity,
            challenges: evidence.challenges.clone(),
            reference_digest: record.reference_digest,
            reference_similarity,
            colour: evidence.colour,
        };
        *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = Some(check);
        tracing::info!(target: "idwallet::face", frames = evidence.frames, "eID unlocked");
        Ok(Unlocked { until, similarity })
    }

    /// Start an unlock ([`Wallet::begin_face_session`] with [`FacePurpose::Unlock`]).
    pub fn begin_face_unlock(
        &self,
        models: &FaceModels,
        policy: LivenessPolicy,
        now: i64,
    ) -> Result<LivenessSession, WalletError> {
        self.begin_face_session(FacePurpose::Unlock, models, policy, now)
    }

    /// Finish an unlock ([`Wallet::finish_face_session`] with [`FacePurpose::Unlock`]).
    pub fn finish_face_unlock(
        &self,
        models: &FaceModels,
        outcome: Result<&Evidence, LivenessFailure>,
        now: i64,
    ) -> Result<Unlocked, WalletError> {
        self.finish_face_session(FacePurpose::Unlock, models, outcome, now)
    }

    /// Delete the enrolled template (needs an unlock in the last [`RE_ENROL_SECS`]); false
    /// if there was none. Locks the eID.
    pub fn unenrol_face(&self, now: i64) -> Result<bool, WalletError> {
        self.check_may_change_face(now)?;
        self.lock();
        Ok(self.forget_face(None)?)
    }

    /// Delete the template (logged when there was one), keeping the lockout state.
    pub(super) fn forget_face(&self, why: Option<&str>) -> Result<bool, crate::store::StoreError> {
        let state = self.store.find::<GateState>("holder")?.unwrap_or_default();
        self.store.write(|w| {
            let existed = w.delete::<EnrolledFace>("holder")?;
            // The lockout stays; only the record of an enrolment goes.
            w.put(&GateState { enrolled: false, ..state })?;
            if existed {
                let mut entry = ActivityEntry::new(self.store.now(), ActivityKind::FaceRemoved);
                entry.detail = why.map(str::to_owned);
                w.log(&entry)?;
            }
            Ok(existed)
        })
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
        tracing::info!(target: "idwallet::face", failures = next.failures, "face check failed");
        Ok(next)
    }

    /// Until when the eID is unlocked, if it is (unlocks do not survive a restart).
    pub fn unlocked_until(&self, now: i64) -> Option<i64> {
        self.face_check(now).map(|c| c.until)
    }

    /// The face check in force at `now`, if any.
    pub(crate) fn face_check(&self, now: i64) -> Option<FaceCheck> {
        self.unlock.lock().unwrap_or_else(|p| p.into_inner()).clone().filter(|c| now < c.until && c.at <= now)
    }

    /// The gate for a disclosure to `audience` at `now`: an unlock within the policy's
    /// window, no lockout in force, and the platform's user authentication if the policy
    /// asks for it. Refusals are the caller's to log.
    pub(crate) fn require_unlock(&self, audience: &str, now: i64) -> Result<FaceCheck, WalletError> {
        self.gate_state(now)?;
        let policy = self.disclosure_policy();
        let check = self
            .face_check(now)
            .filter(|c| now - c.at <= policy.window(audience))
            .ok_or(WalletError::FaceCheckRequired)?;
        if policy.require_user_authentication && !self.key_store.requires_user_authentication() {
            return Err(WalletError::UserAuthenticationUnavailable);
        }
        Ok(check)
    }

    /// Lock the eID now (an app calls this when it goes to the background).
    pub fn lock(&self) {
        *self.unlock.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// What a [`FaceAttempt`] answers a frame with.
#[derive(Debug, Clone)]
pub enum FaceStep {
    /// What to show next (never `Passed` or `Failed`: the attempt finishes itself).
    Progress(crate::face::liveness::Progress),
    /// Live and the holder: the gate is open (an enrolment stored the face too).
    Unlocked(Unlocked),
}

/// One face enrolment, unlock or report check in progress ([`Wallet::start_face`]): it owns
/// its liveness session, finishes itself with the wallet when the session ends, and keeps
/// the evidence to itself — no caller hands the gate an outcome. Cancelled or dropped
/// unfinished, it counts as a failed attempt at once and is logged as abandoned (a process
/// killed mid-session is counted at the next start instead).
pub struct FaceAttempt {
    /// Weak: an attempt left to a garbage collector must not keep the wallet open.
    wallet: std::sync::Weak<Wallet>,
    models: std::sync::Arc<FaceModels>,
    purpose: FacePurpose,
    /// `None` once ended: its outcome is counted exactly once.
    session: Option<LivenessSession>,
}

impl std::fmt::Debug for FaceAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceAttempt").field("purpose", &self.purpose).finish_non_exhaustive()
    }
}

impl Wallet {
    /// Begin a `purpose` face session ([`Wallet::begin_face_session`]'s rules) as an
    /// attempt that finishes itself.
    pub fn start_face(
        self: &std::sync::Arc<Self>,
        purpose: FacePurpose,
        models: std::sync::Arc<FaceModels>,
        policy: LivenessPolicy,
    ) -> Result<FaceAttempt, WalletError> {
        let session = self.begin_face_session(purpose, &models, policy, self.now())?;
        Ok(FaceAttempt { wallet: std::sync::Arc::downgrade(self), models, purpose, session: Some(session) })
    }

    /// Count a session begun and not finished as a failed attempt, now.
    fn abandon_face_session(&self, purpose: FacePurpose) -> Result<(), WalletError> {
        let now = self.now();
        let state = self.gate_state(now)?;
        if state.pending {
            let entry = ActivityEntry::new(now, purpose.activity());
            self.count_failure(state, entry, "the face session was abandoned", now)?;
        }
        Ok(())
    }
}

impl FaceAttempt {
    pub fn purpose(&self) -> FacePurpose {
        self.purpose
    }

    /// The movements to ask for, in order (empty once ended).
    pub fn challenges(&self) -> &[Challenge] {
        self.session.as_ref().map_or(&[], |s| s.challenges())
    }

    /// Whether the attempt has ended (passed, failed or cancelled).
    pub fn is_ended(&self) -> bool {
        self.session.is_none()
    }

    /// Feed one camera frame captured at `timestamp_ms` (a monotonic clock). A frame that
    /// cannot be read is `WalletError::Face` and leaves the attempt as it was; when the
    /// session ends, the attempt finishes: `Unlocked`, or the gate's refusal (counted).
    pub fn feed(&mut self, frame: &Frame, timestamp_ms: u64) -> Result<FaceStep, WalletError> {
        let session = self.session.as_mut().ok_or(WalletError::SessionEnded)?;
        match session.feed(&self.models, frame, timestamp_ms)? {
            crate::face::liveness::Progress::Passed(_) | crate::face::liveness::Progress::Failed(_) => {
                let ended = self.session.take().ok_or(WalletError::SessionEnded)?;
                let outcome = ended.outcome().ok_or(WalletError::SessionEnded)?;
                let wallet = self.wallet.upgrade().ok_or(WalletError::Closed)?;
                let unlocked = wallet.finish_face_session(self.purpose, &self.models, outcome, wallet.now())?;
                Ok(FaceStep::Unlocked(unlocked))
            }
            progress => Ok(FaceStep::Progress(progress)),
        }
    }

    /// Give up: counted as a failed attempt and logged. Nothing to do once ended.
    pub fn cancel(&mut self) -> Result<(), WalletError> {
        if self.session.take().is_none() {
            return Ok(());
        }
        match self.wallet.upgrade() {
            Some(wallet) => wallet.abandon_face_session(self.purpose),
            // Closed: the pending mark counts it when the wallet next starts a session.
            None => Ok(()),
        }
    }
}

impl Drop for FaceAttempt {
    fn drop(&mut self) {
        if let Err(e) = self.cancel() {
            tracing::warn!(target: "idwallet::face", error = %e, "an abandoned face session could not be counted now");
        }
    }
}
