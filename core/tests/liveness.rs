//! Liveness and the face unlock gate on the real models, with **synthetic** sequences made
//! from real photos (`face::synthetic`): a live holder re-rendered as a turning 3-D head,
//! and attacks — a frozen feed, a print turned or warped, another person spliced in, the
//! right movements in the wrong order. The full evaluation is `examples/liveness_eval.rs`.

mod common;

use std::sync::Arc;

use idwallet_core::face::liveness::*;
use idwallet_core::face::synthetic::{play, play_spliced, Act, Subject};
use idwallet_core::face::{Face, FaceError, Frame};

const ORDER: [Challenge; 3] = [Challenge::TurnLeft, Challenge::LookUp, Challenge::TurnRight];

/// The default limits, but 2.5 s a movement: attacks that cannot finish a movement fail
/// sooner (a synthetic holder needs about 1 s).
fn policy() -> LivenessPolicy {
    LivenessPolicy { step_timeout_ms: 2_500, ..LivenessPolicy::default() }
}

fn session() -> LivenessSession {
    LivenessSession::with_challenges(policy(), ORDER.to_vec())
}

fn run(name: &str, act: Act) -> Progress {
    run_order(name, act, &ORDER)
}

fn run_order(name: &str, act: Act, order: &[Challenge]) -> Progress {
    let m = common::face_models();
    let mut subject = Subject::new(m, common::photo(name), act).unwrap();
    let mut session = LivenessSession::with_challenges(policy(), order.to_vec());
    play(&mut session, m, |p| subject.next_frame(p), 150).unwrap()
}

/// A print turned, tilted or warped as the prompts ask, either way.
const PRINTS_MOVED: [Act; 4] = [
    Act::Print { focal: 400.0, reverse: false },
    Act::Print { focal: 400.0, reverse: true },
    Act::Warped { reverse: false },
    Act::Warped { reverse: true },
];

fn failure(p: Progress) -> LivenessFailure {
    match p {
        Progress::Failed(f) => f,
        other => panic!("the session should have failed, got {other:?}"),
    }
}

#[test]
fn a_live_holder_following_the_prompts_passes() {
    let Progress::Passed(evidence) = run("person_b_1", Act::Genuine) else { panic!("a genuine sequence failed") };
    assert_eq!(evidence.challenges, ORDER);
    assert_eq!(evidence.parallax.len(), 3);
    assert!(evidence.parallax.iter().all(|p| *p >= LivenessPolicy::default().min_parallax), "{:?}", evidence.parallax);
    // The identity checks, answered off the frame path, were all read before the pass: a
    // turned face never scores a perfect 1.0 against the frontal one.
    assert!((0.25..1.0).contains(&evidence.min_continuity), "{}", evidence.min_continuity);
    // The starting face is the holder's: it matches another photo of them.
    let other = common::face_models().analyze(&common::photo("person_b_2")).unwrap();
    assert!(evidence.template.similarity(&other.template) >= idwallet_core::face::MATCH_THRESHOLD);
}

#[test]
fn a_frozen_feed_is_a_replay() {
    assert_eq!(failure(run("person_b_1", Act::Frozen)), LivenessFailure::ReplayedFrame);
}

#[test]
fn a_print_held_still_times_out() {
    let m = common::face_models();
    let mut subject = Subject::new(m, common::photo("person_b_1"), Act::StillPrint).unwrap();
    let mut session = session();
    let out = play(&mut session, m, |p| subject.next_frame(p), 150).unwrap();
    assert_eq!(failure(out), LivenessFailure::TimedOut);
}

#[test]
fn a_print_turned_or_warped_either_way_fails() {
    for act in PRINTS_MOVED {
        let f = failure(run("person_b_1", act));
        assert!(
            matches!(
                f,
                LivenessFailure::Flat { .. }
                    | LivenessFailure::TimedOut
                    | LivenessFailure::WrongMovement { .. }
                    | LivenessFailure::LostTrack
            ),
            "{act:?}: {f:?}"
        );
    }
}

#[test]
fn the_right_movements_in_the_wrong_order_fail() {
    let f = failure(run("person_b_1", Act::WrongOrder));
    assert!(matches!(f, LivenessFailure::WrongMovement { .. } | LivenessFailure::TimedOut), "{f:?}");
}

#[test]
fn another_person_spliced_in_mid_session_is_caught() {
    let m = common::face_models();
    let mut holder = Subject::new(m, common::photo("person_b_1"), Act::Genuine).unwrap();
    let mut other = Subject::new(m, common::photo("person_a_1"), Act::Genuine).unwrap();
    let out = play_spliced(&mut session(), m, &mut holder, &mut other, 150).unwrap();
    let f = failure(out);
    assert!(matches!(f, LivenessFailure::IdentityChanged { .. }), "{f:?}");
}

#[test]
fn timestamps_and_time_limits_are_enforced() {
    let m = common::face_models();
    let mut subject = Subject::new(m, common::photo("person_b_1"), Act::Genuine).unwrap();
    let mut s = session();
    let first = s.feed(m, &subject.next_frame(&Progress::Searching { hint: Hint::NoFace }), 1_000).unwrap();
    assert!(matches!(first, Progress::Moving { index: 0, .. }), "{first:?}");
    // A frame from before the last one.
    assert_eq!(s.feed(m, &subject.next_frame(&first), 900).unwrap(), Progress::Failed(LivenessFailure::BadTimestamp));
    // The session has ended; later frames repeat its outcome.
    assert_eq!(s.feed(m, &subject.next_frame(&first), 2_000).unwrap(), Progress::Failed(LivenessFailure::BadTimestamp));

    let mut s = LivenessSession::with_challenges(LivenessPolicy::default(), ORDER.to_vec());
    let first = s.feed(m, &subject.next_frame(&Progress::Searching { hint: Hint::NoFace }), 1_000).unwrap();
    let late = 1_000 + LivenessPolicy::default().step_timeout_ms + 1;
    assert_eq!(s.feed(m, &subject.next_frame(&first), late).unwrap(), Progress::Failed(LivenessFailure::TimedOut));
}

#[test]
fn unreadable_frames_are_typed_errors_and_leave_the_session_alone() {
    let m = common::face_models();
    let mut s = session();
    assert_eq!(s.feed(m, &Frame::Encoded(b"not an image".to_vec()), 1).unwrap_err(), FaceError::BadImage);
    let bad = Frame::Raw {
        format: idwallet_core::face::PixelFormat::Nv21,
        width: 64,
        height: 64,
        stride: 64,
        rotation: 0,
        data: vec![0; 10],
    };
    assert_eq!(s.feed(m, &bad, 2).unwrap_err(), FaceError::BadFrame);
    let blank = Frame::Raw {
        format: idwallet_core::face::PixelFormat::Rgba8,
        width: 64,
        height: 64,
        stride: 256,
        rotation: 0,
        data: vec![128; 64 * 256],
    };
    assert_eq!(s.feed(m, &blank, 3).unwrap(), Progress::Searching { hint: Hint::NoFace });
    assert!(s.outcome().is_none());
}

/// A stand-in passive detector that flags every face: shows the trait is consulted.
struct FlagsEverything;
impl PresentationAttackDetector for FlagsEverything {
    fn attack_score(&self, _: &image::RgbImage, _: &Face) -> Result<f32, FaceError> {
        Ok(0.9)
    }
    fn threshold(&self) -> f32 {
        0.5
    }
}

#[test]
fn a_presentation_attack_detector_can_veto() {
    let m = common::face_models();
    let mut subject = Subject::new(m, common::photo("person_b_1"), Act::Genuine).unwrap();
    let mut s = session().with_detector(Arc::new(FlagsEverything));
    let out = play(&mut s, m, |p| subject.next_frame(p), 20).unwrap();
    assert_eq!(out, Progress::Failed(LivenessFailure::AttackDetected { score: 0.9 }));
}

#[test]
fn random_sessions_ask_for_varied_movements_never_twice_in_a_row() {
    let without_iris = common::face_models_without_iris();
    for (models, kinds, sequences) in [(common::face_models(), 4, 36), (&without_iris, 3, 12)] {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..300 {
            let s = LivenessSession::new(LivenessPolicy::default(), models);
            let c = s.challenges().to_vec();
            assert_eq!(c.len(), 3);
            assert!(c.windows(2).all(|w| w[0] != w[1]), "{c:?}");
            seen.insert(c);
        }
        // n·(n−1)² sequences (36 with a blink, 12 without); 300 draws see nearly all.
        let kinds_seen: std::collections::HashSet<_> = seen.iter().flatten().collect();
        assert_eq!(kinds_seen.len(), kinds);
        assert!(seen.len() * 10 >= sequences * 8, "{} of {sequences}", seen.len());
    }
}

const WITH_BLINK: [Challenge; 3] = [Challenge::TurnLeft, Challenge::Blink, Challenge::TurnRight];

#[test]
fn a_live_holder_blinks_when_asked() {
    for name in ["person_b_1", "person_a_1", "obama"] {
        let Progress::Passed(evidence) = run_order(name, Act::Genuine, &WITH_BLINK) else {
            panic!("{name}: a genuine sequence with a blink failed")
        };
        assert_eq!(evidence.challenges, WITH_BLINK);
        // Depth is measured for the two turns only.
        assert_eq!(evidence.parallax.len(), 2, "{name}");
    }
}

#[test]
fn a_print_cannot_blink_however_it_is_tilted_squeezed_or_held() {
    // Whichever step stops them, none completes a sequence with a blink in it.
    for act in PRINTS_MOVED.into_iter().chain([Act::StillPrint]) {
        let out = run_order("person_b_1", act, &WITH_BLINK);
        assert!(matches!(out, Progress::Failed(_)), "{act:?}: {out:?}");
    }
    // Only the blink is asked: a print tilted or squeezed as if the eyes closed still fails.
    for act in [Act::Print { focal: 400.0, reverse: false }, Act::Warped { reverse: false }] {
        let out = run_order("person_b_1", act, &[Challenge::Blink]);
        assert!(
            matches!(out, Progress::Failed(LivenessFailure::TimedOut | LivenessFailure::WrongMovement { .. })),
            "{act:?}: {out:?}"
        );
    }
}

#[test]
fn a_blink_without_the_eye_model_is_a_typed_error() {
    let m = common::face_models_without_iris();
    assert!(!m.can_blink());
    let mut subject = Subject::new(&m, common::photo("person_b_1"), Act::Genuine).unwrap();
    let mut session = LivenessSession::with_challenges(policy(), vec![Challenge::Blink]);
    let err = play(&mut session, &m, |p| subject.next_frame(p), 20).unwrap_err();
    assert!(matches!(err, FaceError::BadModel { .. }), "{err:?}");
}

/// The screen-colour challenge on SYNTHETIC frames whose light follows the renderer's
/// physics (`face::synthetic::Light`): a face lit by the colours shown passes; a puppet
/// without their light, lit by another sequence, or replayed on a screen (a flat glare) fails.
#[test]
fn the_screen_colour_challenge_tells_a_lit_face_from_puppets_and_screens() {
    use idwallet_core::face::colour::{ColourOutcome, ColourPolicy, ColourRequirement};
    use idwallet_core::face::synthetic::Light;
    let m = common::face_models();
    let colour = ColourPolicy { requirement: ColourRequirement::Required, ..ColourPolicy::default() };
    let run = |light: Light| {
        let mut subject = Subject::new(m, common::photo("person_b_1"), Act::Genuine).unwrap().with_light(light);
        let mut s = LivenessSession::with_challenges(LivenessPolicy { colour, ..policy() }, vec![Challenge::TurnLeft]);
        play(&mut s, m, |p| subject.next_frame(p), 150).unwrap()
    };
    let Progress::Passed(evidence) = run(Light::Reflects) else {
        panic!("a lit face failed: {:?}", run(Light::Reflects))
    };
    assert!(matches!(evidence.colour, ColourOutcome::Checked(c) if c.correlation >= 0.6), "{:?}", evidence.colour);
    for light in [Light::Ignores, Light::WrongSequence, Light::Delayed { frames: 10 }] {
        let out = run(light);
        assert!(matches!(out, Progress::Failed(LivenessFailure::LightNotReflected { .. })), "{light:?}: {out:?}");
    }
    let out = run(Light::Glare);
    assert!(
        matches!(
            out,
            Progress::Failed(LivenessFailure::LightNotReflected { .. } | LivenessFailure::LightNotFromAFace { .. })
        ),
        "{out:?}"
    );
}

/// Another person's live face answers the colours while the holder's puppet (no light) does
/// the frontal frame and the movements: the colour phase is part of the same person's
/// session, so it is caught as another face.
#[test]
fn another_face_spliced_in_for_the_colours_is_caught() {
    use idwallet_core::face::colour::{ColourPolicy, ColourRequirement};
    use idwallet_core::face::synthetic::Light;
    let m = common::face_models();
    let colour = ColourPolicy { requirement: ColourRequirement::Required, ..ColourPolicy::default() };
    for accomplice in ["person_a_1", "biden"] {
        let mut puppet = Subject::new(m, common::photo("person_b_1"), Act::Genuine).unwrap().with_light(Light::Ignores);
        let mut live = Subject::new(m, common::photo(accomplice), Act::Genuine).unwrap();
        let mut s = LivenessSession::with_challenges(LivenessPolicy { colour, ..policy() }, vec![Challenge::TurnLeft]);
        let out = play(
            &mut s,
            m,
            |p| if matches!(p, Progress::ShowColour { .. }) { live.next_frame(p) } else { puppet.next_frame(p) },
            150,
        )
        .unwrap();
        assert!(matches!(out, Progress::Failed(LivenessFailure::IdentityChanged { .. })), "{accomplice}: {out:?}");
    }
}
