//! The face gate as an attacker and a careless user meet it (DESIGN §2, issue #17): the
//! eID discloses nothing until the holder's face unlocks it; the enrolled face is the face
//! in the issuer's reference portrait; the passphrase or key store alone never enrols,
//! replaces or removes it. Real models, real photos, SYNTHETIC liveness frames.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use idwallet_core::credential::{issue, IssuerKey, Portraits, Profile};
use idwallet_core::documents::{reference, DocumentKind};
use idwallet_core::face::gate::DisclosurePolicy;
use idwallet_core::face::liveness::{Challenge, LivenessFailure};
use idwallet_core::face::synthetic::Act;
use idwallet_core::face::Frame;
use idwallet_core::wallet::{FacePurpose, Unlocked};
use idwallet_core::{ActivityKind, KeyStore, KeyStoreError, Outcome, SoftwareKeyStore, Wallet, WalletError};

const NOW: i64 = 1_800_000_000;
/// Citizen 1's real face is person_b (ID photo person_b_2, live person_b_1).
const CITIZEN: u32 = 1;
const ORDER: [Challenge; 3] = [Challenge::TurnLeft, Challenge::LookUp, Challenge::TurnRight];

fn holder(dir: &std::path::Path) -> (Wallet, Arc<dyn KeyStore>, std::path::PathBuf) {
    let (wallet, ks, path) = new_wallet(dir);
    let issuer = IssuerKey::generate("Test Bureau", NOW - 1000, NOW + 1000);
    issue_citizen(&wallet, &issuer, CITIZEN, NOW);
    (wallet, ks, path)
}

fn face(wallet: &Wallet, purpose: FacePurpose, photo: Frame, act: Act, now: i64) -> Result<Unlocked, WalletError> {
    wallet.synthetic_face_session(purpose, face_models(), photo, act, ORDER.to_vec(), now, &mut |_| {})
}

fn enrol(wallet: &Wallet, now: i64) -> Unlocked {
    face(wallet, FacePurpose::Enrol, live_photo(CITIZEN), Act::Genuine, now).expect("the holder enrols")
}

fn hotel(wallet: &Wallet, now: i64) -> Result<String, WalletError> {
    wallet.present(DocumentKind::ResidentIdCard, &Profile::hotel(), now).map(|p| p.text)
}

fn last(wallet: &Wallet) -> (ActivityKind, Outcome) {
    let e = wallet.activity(1).unwrap().remove(0);
    (e.kind, e.outcome)
}

#[test]
fn a_locked_wallet_discloses_nothing_and_logs_the_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = holder(dir.path());

    // A fresh process: nothing is unlocked, so no audience gets a code.
    for profile in [Profile::hotel(), Profile::police()] {
        let refused = wallet.present(DocumentKind::ResidentIdCard, &profile, NOW).unwrap_err();
        assert_eq!(refused, WalletError::FaceCheckRequired);
        let (kind, outcome) = last(&wallet);
        assert_eq!(kind, ActivityKind::Presented);
        assert!(matches!(outcome, Outcome::Failure { reason } if reason.contains("locked")), "refusal not logged");
    }

    let enrolled = enrol(&wallet, NOW);
    assert!(enrolled.similarity >= idwallet_core::face::REFERENCE_MATCH_THRESHOLD);
    assert!(hotel(&wallet, NOW + 1).unwrap().starts_with("IDW1"));
    assert_eq!(last(&wallet), (ActivityKind::Presented, Outcome::Success));

    // Each audience's window: the police need an unlock in the last minute, a hotel in five.
    let police = |now| wallet.present(DocumentKind::ResidentIdCard, &Profile::police(), now);
    assert!(police(NOW + 60).is_ok());
    assert_eq!(police(NOW + 61).unwrap_err(), WalletError::FaceCheckRequired);
    assert!(hotel(&wallet, NOW + 299).is_ok());
    assert_eq!(hotel(&wallet, NOW + 300).unwrap_err(), WalletError::FaceCheckRequired);

    // lock() (the app went to the background) and a restart both lock.
    face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, NOW + 400).unwrap();
    assert!(hotel(&wallet, NOW + 401).is_ok());
    wallet.lock();
    assert_eq!(hotel(&wallet, NOW + 402).unwrap_err(), WalletError::FaceCheckRequired);
    face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, NOW + 410).unwrap();
    drop(wallet);
    let wallet = reopen(&path, &ks);
    assert_eq!(hotel(&wallet, NOW + 411).unwrap_err(), WalletError::FaceCheckRequired);

    // Locked out after failed checks: present says so, with the seconds to wait.
    for _ in 0..4 {
        let _ = face(&wallet, FacePurpose::Unlock, photo("biden"), Act::Genuine, NOW + 500);
    }
    assert_eq!(hotel(&wallet, NOW + 510).unwrap_err(), WalletError::LockedOut { retry_after_secs: 20 });
    assert!(matches!(last(&wallet), (ActivityKind::Presented, Outcome::Failure { .. })));
    drop(wallet);
    let wallet = reopen(&path, &ks);
    assert_eq!(hotel(&wallet, NOW + 520).unwrap_err(), WalletError::LockedOut { retry_after_secs: 10 }, "survives");
    let m = face_models();
    let begin = wallet.begin_face_session(FacePurpose::Unlock, m, Default::default(), NOW + 520).unwrap_err();
    assert_eq!(begin, WalletError::LockedOut { retry_after_secs: 10 });

    // No policy can switch the gate off.
    let open = DisclosurePolicy { default_secs: 0, ..DisclosurePolicy::default() };
    assert_eq!(wallet.set_disclosure_policy(open).unwrap_err(), WalletError::InvalidPolicy);
}

#[test]
fn another_person_cannot_replace_the_face_even_through_a_passing_live_session() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = holder(dir.path());
    enrol(&wallet, NOW);

    // The phone is unlocked and in someone else's hands: their live face does not match
    // the issuer's reference portrait, so it is not enrolled; the attempt counts.
    let refused = face(&wallet, FacePurpose::Enrol, photo("biden"), Act::Genuine, NOW + 5).unwrap_err();
    assert!(matches!(refused, WalletError::FaceMismatch { similarity, .. } if similarity < 0.3), "{refused:?}");
    assert!(matches!(last(&wallet), (ActivityKind::FaceEnrolled, Outcome::Failure { .. })));
    wallet.lock();
    let stranger = face(&wallet, FacePurpose::Unlock, photo("biden"), Act::Genuine, NOW + 10).unwrap_err();
    assert!(matches!(stranger, WalletError::FaceMismatch { .. }), "{stranger:?}");
    face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, NOW + 20).expect("the holder still unlocks");

    // With the passphrase alone (a new process, nothing unlocked): no re-enrolment, no removal.
    drop(wallet);
    let wallet = reopen(&path, &ks);
    let m = face_models();
    let begin = wallet.begin_face_session(FacePurpose::Enrol, m, Default::default(), NOW + 30).unwrap_err();
    assert_eq!(begin, WalletError::FaceCheckRequired);
    assert_eq!(wallet.unenrol_face(NOW + 30).unwrap_err(), WalletError::FaceCheckRequired);
    assert!(wallet.is_face_enrolled().unwrap());

    // After a fresh unlock the holder may re-enrol (matching the reference again) or remove it;
    // two minutes later no longer.
    face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, NOW + 40).unwrap();
    assert_eq!(wallet.unenrol_face(NOW + 40 + 121).unwrap_err(), WalletError::FaceCheckRequired);
    face(&wallet, FacePurpose::Enrol, live_photo(CITIZEN), Act::Genuine, NOW + 50).expect("re-enrolment");
    assert!(wallet.unenrol_face(NOW + 60).unwrap());
    assert!(!wallet.is_face_enrolled().unwrap());
    assert_eq!(hotel(&wallet, NOW + 61).unwrap_err(), WalletError::FaceCheckRequired, "removal locks");
}

#[test]
fn enrolment_needs_a_live_face_matching_the_reference_portrait() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = holder(dir.path());

    // One still photo of the holder (held up, or a frozen feed) never enrols.
    for act in [Act::StillPrint, Act::Frozen] {
        let e = face(&wallet, FacePurpose::Enrol, live_photo(CITIZEN), act, NOW).unwrap_err();
        assert!(matches!(e, WalletError::LivenessFailed { .. }), "{act:?}: {e:?}");
    }
    // Someone else, live, on a new wallet: refused, and the third failure locks out.
    let e = face(&wallet, FacePurpose::Enrol, photo("impostor_2"), Act::Genuine, NOW).unwrap_err();
    assert!(matches!(e, WalletError::FaceMismatch { retry_after_secs: Some(30), .. }), "{e:?}");
    assert!(!wallet.is_face_enrolled().unwrap());
    let locked = face(&wallet, FacePurpose::Enrol, live_photo(CITIZEN), Act::Genuine, NOW + 10).unwrap_err();
    assert_eq!(locked, WalletError::LockedOut { retry_after_secs: 20 });
    let kinds: Vec<_> = wallet.activity(3).unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [ActivityKind::FaceEnrolled; 3], "every attempt is logged");
    // Once the lockout is over the holder enrols, from their live face.
    enrol(&wallet, NOW + 30);
    assert!(wallet.is_face_enrolled().unwrap());
}

#[test]
fn a_reference_portrait_the_issuer_did_not_sign_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = new_wallet(dir.path());
    let issuer = IssuerKey::generate("Test Bureau", NOW - 1000, NOW + 1000);
    let person = issue_citizen(&wallet, &issuer, CITIZEN, NOW);

    // Another face's portrait in its place: its digest is not the one signed.
    let biden = std::fs::read(models_dir().join("photos/biden.jpg")).unwrap();
    let forged = reference::from_photo(&biden, None).unwrap();
    assert_eq!(wallet.store_reference_portrait(&forged).unwrap_err(), WalletError::ReferencePortraitMismatch);
    assert!(wallet.store_reference_portrait(b"not a jpeg").is_err());
    assert_eq!(wallet.store_reference_portrait(person.reference_portrait.as_ref().unwrap()), Ok(()));

    // Documents whose issuer signed no reference portrait: nothing to enrol against.
    let bare_dir = dir.path().join("bare");
    std::fs::create_dir_all(&bare_dir).unwrap();
    let (bare, _, _) = new_wallet(&bare_dir);
    let device = bare.device_public_key().unwrap();
    for claims in &person.documents {
        let cred =
            issue(&issuer, claims, Some(Portraits::thumbnail(&person.portrait)), &device, None, NOW, NOW + 99).unwrap();
        bare.store_document(claims.clone(), cred).unwrap();
    }
    assert_eq!(
        bare.store_reference_portrait(person.reference_portrait.as_ref().unwrap()).unwrap_err(),
        WalletError::NoReferencePortrait
    );
    let e = bare.begin_face_session(FacePurpose::Enrol, face_models(), Default::default(), NOW).unwrap_err();
    assert_eq!(e, WalletError::NoReferencePortrait);
    assert_eq!(
        bare.begin_face_session(FacePurpose::Unlock, face_models(), Default::default(), NOW).unwrap_err(),
        WalletError::NotEnrolled
    );
}

/// A key store whose device key signs only after the platform's user authentication, as
/// an auth-bound Android Keystore / Secure Enclave key does.
struct AuthBound {
    inner: SoftwareKeyStore,
    authenticated: AtomicBool,
}

impl KeyStore for AuthBound {
    fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError> {
        self.inner.device_public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        if !self.authenticated.swap(false, Ordering::SeqCst) {
            return Err(KeyStoreError::AuthenticationRequired);
        }
        self.inner.sign(message)
    }
    fn wrap_key(&self, key: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.inner.wrap_key(key)
    }
    fn unwrap_key(&self, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.inner.unwrap_key(wrapped)
    }
    fn requires_user_authentication(&self) -> bool {
        true
    }
}

#[test]
fn the_platform_authentication_policy_refuses_without_it() {
    let strict = DisclosurePolicy { require_user_authentication: true, ..DisclosurePolicy::default() };
    // The software key store cannot enforce it, and says so: every disclosure is refused.
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = holder(dir.path());
    wallet.set_disclosure_policy(strict.clone()).unwrap();
    enrol(&wallet, NOW);
    assert_eq!(hotel(&wallet, NOW + 1).unwrap_err(), WalletError::UserAuthenticationUnavailable);

    // An auth-bound key: face and fingerprint both needed, each disclosure signed only
    // after the platform authenticated the user.
    let keys = Arc::new(AuthBound {
        inner: SoftwareKeyStore::create(dir.path().join("bound.keys"), b"pw", TEST_KDF).unwrap(),
        authenticated: AtomicBool::new(false),
    });
    let wallet = Wallet::open(dir.path().join("bound.db"), keys.clone(), Default::default()).unwrap();
    wallet.set_disclosure_policy(strict).unwrap();
    let issuer = IssuerKey::generate("Test Bureau", NOW - 1000, NOW + 1000);
    issue_citizen(&wallet, &issuer, CITIZEN, NOW);
    enrol(&wallet, NOW);
    let refused = hotel(&wallet, NOW + 1).unwrap_err();
    assert_eq!(refused, WalletError::Credential(KeyStoreError::AuthenticationRequired.into()), "{refused:?}");
    keys.authenticated.store(true, Ordering::SeqCst);
    assert!(hotel(&wallet, NOW + 2).is_ok());
    assert!(hotel(&wallet, NOW + 3).is_err(), "one authentication, one signature");
}

#[test]
fn the_liveness_failure_of_an_unlock_counts_like_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = holder(dir.path());
    enrol(&wallet, NOW);
    wallet.lock();
    let e = face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Frozen, NOW + 1).unwrap_err();
    assert!(
        matches!(e, WalletError::LivenessFailed { failure: LivenessFailure::ReplayedFrame, retry_after_secs: None }),
        "{e:?}"
    );
    assert_eq!(hotel(&wallet, NOW + 2).unwrap_err(), WalletError::FaceCheckRequired);
}

/// A puppet re-rendered from another photo of the holder (person_b_2, the ID photo) passes a
/// plain unlock's movements and match — the attack of issue #23 — but not a report face
/// check, which makes the screen-colour challenge: the puppet shows none of the screen's
/// light. A session run without the colours is not taken as one that made them.
#[test]
fn a_puppet_of_the_holder_unlocks_but_fails_the_screen_colours_of_a_report_check() {
    use idwallet_core::face::colour::ColourUnavailable;
    use idwallet_core::face::liveness::{LivenessPolicy, LivenessSession};
    use idwallet_core::face::synthetic::{play, Light, Subject};
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _, _) = holder(dir.path());
    enrol(&wallet, NOW);
    wallet.lock();
    let m = face_models();
    let puppet = || Subject::new(m, photo("person_b_2"), Act::Genuine).unwrap().with_light(Light::Ignores);
    let session =
        |purpose, now| wallet.synthetic_face_session_of(purpose, m, puppet(), ORDER.to_vec(), now, &mut |_| {});
    assert!(session(FacePurpose::Unlock, NOW + 10).is_ok(), "the puppet no longer passes a plain unlock");
    wallet.lock();
    let e = session(FacePurpose::Report, NOW + 20).unwrap_err();
    assert!(
        matches!(e, WalletError::LivenessFailed { failure: LivenessFailure::LightNotReflected { .. }, .. }),
        "{e:?}"
    );
    assert_eq!(hotel(&wallet, NOW + 21).unwrap_err(), WalletError::FaceCheckRequired);

    // Evidence from a session the app ran without the colours does not finish a report check.
    let mut plain = LivenessSession::with_challenges(LivenessPolicy::default(), ORDER.to_vec());
    let mut holder_face = Subject::new(m, live_photo(CITIZEN), Act::Genuine).unwrap();
    play(&mut plain, m, |p| holder_face.next_frame(p), 300).unwrap();
    let outcome = plain.outcome().expect("the plain session ended");
    let e = wallet.finish_face_session(FacePurpose::Report, m, outcome, NOW + 30).unwrap_err();
    assert!(
        matches!(
            e,
            WalletError::LivenessFailed {
                failure: LivenessFailure::LightCheckUnavailable { reason: ColourUnavailable::NotShown },
                ..
            }
        ),
        "{e:?}"
    );
}

/// Abandoning sessions — to wait for the random movements or colour order a puppet was
/// pre-rendered for — costs attempts like failing them, across a restart too.
#[test]
fn a_session_left_unfinished_counts_as_a_failed_attempt_at_the_next() {
    use idwallet_core::face::liveness::LivenessPolicy;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = holder(dir.path());
    enrol(&wallet, NOW);
    let begin =
        |w: &Wallet, now| w.begin_face_session(FacePurpose::Report, face_models(), LivenessPolicy::default(), now);
    drop(begin(&wallet, NOW + 10).unwrap());
    drop(begin(&wallet, NOW + 11).unwrap());
    let (kind, outcome) = last(&wallet);
    assert_eq!(kind, ActivityKind::Unlock);
    assert!(matches!(&outcome, Outcome::Failure { reason } if reason.contains("unfinished")), "{outcome:?}");
    drop(wallet);
    let wallet = Wallet::open(&path, ks, idwallet_core::OpenOptions::default()).unwrap();
    drop(begin(&wallet, NOW + 12).unwrap());
    // Three left unfinished: the fourth begin counts the third and locks the gate out.
    assert_eq!(begin(&wallet, NOW + 13).unwrap_err(), WalletError::LockedOut { retry_after_secs: 30 });
    // A session that finishes (here: passes) clears the count.
    let later = NOW + 13 + 30;
    face(&wallet, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, later).unwrap();
    drop(begin(&wallet, later + 1).unwrap());
}

/// The enrolment threshold, calibrated on what enrolment compares: the issuer's reference
/// portrait made from one photo ([`reference::from_photo`]) against the live face a
/// liveness session ends with, re-rendered from another photo (SYNTHETIC frames). Every
/// ordered pair of the ten registry photos; prints the ROC points that
/// `docs/face-calibration.md` reports
/// (`cargo test -p idwallet-core --features testing --test face_gate calibration -- --nocapture`).
#[test]
fn reference_portrait_calibration_separates_people_at_the_enrolment_threshold() {
    use idwallet_core::face::liveness::{LivenessPolicy, LivenessSession, Progress};
    use idwallet_core::face::synthetic::{play, Subject};
    use idwallet_core::face::REFERENCE_MATCH_THRESHOLD;
    let m = face_models();
    let photos = idwallet_core::documents::synthetic::LABELLED_PHOTOS;
    let bytes = |name: &str| std::fs::read(models_dir().join(format!("photos/{name}.jpg"))).unwrap();
    let references: Vec<_> = photos
        .iter()
        .map(|(name, _)| {
            let portrait = reference::from_photo(&bytes(name), None).unwrap();
            m.analyze(&Frame::Encoded(portrait)).unwrap().template
        })
        .collect();
    // The live side: the template a passed session ends with (None: the renderer could not
    // make this photo pass — a synthetic-frame limit, reported, not a face result).
    let live: Vec<_> = photos
        .iter()
        .map(|(name, _)| {
            let mut session = LivenessSession::with_challenges(LivenessPolicy::default(), ORDER.to_vec());
            let mut subject = Subject::new(m, photo(name), Act::Genuine).ok()?;
            match play(&mut session, m, |p| subject.next_frame(p), 300).ok()? {
                Progress::Passed(evidence) => Some(evidence.template),
                _ => None,
            }
        })
        .collect();
    let (mut genuine, mut impostor, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (_, who)) in photos.iter().enumerate() {
        for (j, (name, other)) in photos.iter().enumerate() {
            if i == j {
                continue;
            }
            let Some(face) = &live[j] else {
                skipped.push(*name);
                continue;
            };
            let s = references[i].similarity(face);
            if who == other && s < REFERENCE_MATCH_THRESHOLD {
                println!("genuine pair refused: reference {} vs live {name}: {s:.3}", photos[i].0);
            }
            if who == other {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
        }
    }
    skipped.dedup();
    let range = |v: &[f32]| (v.iter().copied().fold(f32::MAX, f32::min), v.iter().copied().fold(f32::MIN, f32::max));
    println!("reference portrait vs live face (synthetic session): genuine {} {:?}; impostor {} {:?}; live sessions that did not pass: {skipped:?}", genuine.len(), range(&genuine), impostor.len(), range(&impostor));
    println!("threshold  FMR (impostors accepted)  FNMR (genuine refused)");
    for t in [0.20f32, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55] {
        let fm = impostor.iter().filter(|s| **s >= t).count();
        let fnm = genuine.iter().filter(|s| **s < t).count();
        println!("{t:>9.3}  {fm:>2}/{}  {fnm:>2}/{}", impostor.len(), genuine.len());
    }
    assert!(genuine.len() >= 12 && impostor.len() >= 60, "too few pairs: {} / {}", genuine.len(), impostor.len());
    assert!(impostor.iter().all(|s| *s < REFERENCE_MATCH_THRESHOLD), "an impostor reaches the enrolment threshold");
    let refused = genuine.iter().filter(|s| **s < REFERENCE_MATCH_THRESHOLD).count();
    assert!(refused * 10 <= genuine.len(), "{refused} of {} genuine pairs refused", genuine.len());
}

#[test]
fn deleting_the_lockout_or_the_template_from_the_file_is_refused_as_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = holder(dir.path());
    enrol(&wallet, NOW);
    wallet.close().unwrap();
    // Someone with the file (no passphrase needed to delete a row) resets the lockout, or
    // removes the face to enrol without an unlock.
    for kind in ["face_gate", "face_template"] {
        let copy = dir.path().join(format!("without-{kind}.db"));
        std::fs::copy(&path, &copy).unwrap();
        assert_eq!(raw(&copy).execute("DELETE FROM records WHERE kind = ?1", [kind]).unwrap(), 1);
        let w = reopen(&copy, &ks);
        let tampered = |r: Result<_, WalletError>| {
            matches!(r, Err(WalletError::Store(idwallet_core::StoreError::Tampered { .. })))
        };
        let m = face_models();
        assert!(tampered(w.begin_face_session(FacePurpose::Unlock, m, Default::default(), NOW + 1).map(|_| ())));
        assert!(tampered(w.begin_face_session(FacePurpose::Enrol, m, Default::default(), NOW + 1).map(|_| ())));
        assert!(tampered(hotel(&w, NOW + 1).map(|_| ())), "{kind}: a presentation must not go out either");
    }
    // The untouched file still works.
    let w = reopen(&path, &ks);
    face(&w, FacePurpose::Unlock, live_photo(CITIZEN), Act::Genuine, NOW + 2).unwrap();
}

#[test]
fn a_face_attempt_cancelled_or_dropped_counts_at_once_and_after_a_close_at_the_next_start() {
    use idwallet_core::face::liveness::LivenessPolicy;
    use idwallet_core::platform::ManualClock;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, ks, path) = holder(dir.path());
    enrol(&wallet, NOW);
    drop(wallet);
    let clock = Arc::new(ManualClock::at(NOW + 100));
    let open = || Arc::new(Wallet::open_with_clock(&path, ks.clone(), Default::default(), clock.clone()).unwrap());
    let wallet = open();
    let models = Arc::new(common::face_models_without_iris());
    let start = |w: &Arc<Wallet>| w.start_face(FacePurpose::Unlock, models.clone(), LivenessPolicy::default());
    let abandoned = |w: &Wallet| matches!(last(w), (ActivityKind::Unlock, Outcome::Failure { reason }) if reason.contains("abandoned"));

    // Cancelled (the holder closed the screen): counted and logged now; then it has ended.
    let mut attempt = start(&wallet).unwrap();
    assert_eq!(attempt.challenges().len(), 3);
    attempt.cancel().unwrap();
    assert!(abandoned(&wallet), "{:?}", last(&wallet));
    assert!(attempt.is_ended() && attempt.challenges().is_empty());
    assert_eq!(attempt.feed(&live_photo(CITIZEN), 0).unwrap_err(), WalletError::SessionEnded);
    attempt.cancel().unwrap();
    drop(attempt);
    // Dropped unfinished (the app forgot it): the same, at once; the third locks out.
    drop(start(&wallet).unwrap());
    assert!(abandoned(&wallet));
    drop(start(&wallet).unwrap());
    assert_eq!(start(&wallet).unwrap_err(), WalletError::LockedOut { retry_after_secs: 30 });

    // Dropped after its wallet closed: no panic, and the next start counts it.
    clock.advance(30);
    let attempt = start(&wallet).unwrap();
    drop(wallet);
    drop(attempt);
    let wallet = open();
    assert!(matches!(start(&wallet).unwrap_err(), WalletError::LockedOut { .. }));
    assert!(matches!(last(&wallet), (_, Outcome::Failure { reason }) if reason.contains("unfinished")));
}
