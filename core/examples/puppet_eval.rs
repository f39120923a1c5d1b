//! The puppet attack, measured before any defence (issue #23): an attacker who has *one
//! still photo* of the holder — another photo than the one the holder enrolled with, as a
//! social-media picture is — re-renders it as a moving head that follows the session's
//! prompts (today's synthetic renderer is exactly such a puppet: a depth map, eyelids,
//! jitter and noise) and plays it to the face unlock. For each of the three people with
//! more than one photo, the holder enrols live (their live photo, as in the tests), then
//! every other photo of them is played as a puppet through the real unlock path: liveness
//! *and* the 1:1 match against the enrolled template. Also tried: the 48×64 thumbnail a
//! hotel QR code discloses.
//!
//! Each puppet is played twice: to a plain unlock (no screen colours: *before* the defence)
//! and to a report face check, which makes the screen-colour challenge (*after*); the puppet
//! renders no light of the screen (`Light::Ignores`). A second table plays every photo's
//! SYNTHETIC physics-lit sequences (`face::synthetic::Light`) to sessions with the colour
//! challenge required: a lit live face (BPCER) and each attack class (APCER).
//! Run: `cargo run --release -p idwallet-core --features testing --example puppet_eval`
//! (after `models/fetch.sh`; ~15 minutes). `PUPPET_EVAL=unlock` or `=colour` runs one table.

#[path = "../tests/common/mod.rs"]
mod common;

use idwallet_core::credential::IssuerKey;
use idwallet_core::documents::{portrait, synthetic};
use idwallet_core::face::colour::{ColourPolicy, ColourRequirement};
use idwallet_core::face::liveness::{Challenge, LivenessFailure, LivenessPolicy, LivenessSession, Progress};
use idwallet_core::face::synthetic::{play, Act, Light, Subject};
use idwallet_core::face::{FaceModels, Frame};
use idwallet_core::wallet::FacePurpose;
use idwallet_core::WalletError;

const NOW: i64 = 1_800_000_000;
/// Challenge orders played per puppet photo (a blink in four of them).
const ORDERS: [[Challenge; 3]; 6] = [
    [Challenge::TurnLeft, Challenge::LookUp, Challenge::TurnRight],
    [Challenge::TurnRight, Challenge::Blink, Challenge::TurnLeft],
    [Challenge::LookUp, Challenge::TurnLeft, Challenge::Blink],
    [Challenge::Blink, Challenge::TurnRight, Challenge::LookUp],
    [Challenge::TurnLeft, Challenge::Blink, Challenge::LookUp],
    [Challenge::LookUp, Challenge::TurnRight, Challenge::TurnLeft],
];

fn main() {
    let models = common::face_models();
    let only = std::env::var("PUPPET_EVAL").unwrap_or_default();
    if only != "colour" {
        unlock_table(models);
    }
    if only != "unlock" {
        colour_table(models);
    }
}

/// Puppets of the holder through the real unlock path, before and after the colour challenge.
fn unlock_table(models: &FaceModels) {
    let dir = tempfile::tempdir().unwrap();
    // Citizens 1-3 have person_b, person_a and Obama's faces (synthetic::REAL_FACES).
    let puppets: [(u32, &[&str]); 3] =
        [(1, &["person_b_2"]), (2, &["person_a_2"]), (3, &["obama", "obama3", "impostor_1"])];
    println!("| holder (enrolled live from) | puppet source | face check | sessions | unlocked | refused: liveness | refused: match | other |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut total, mut unlocked_total) = ([0; 2], [0; 2]);
    for (n, sources) in puppets {
        let home = dir.path().join(format!("c{n}"));
        std::fs::create_dir_all(&home).unwrap();
        let (wallet, _, _) = common::new_wallet(&home);
        let person = common::issue_citizen(&wallet, &IssuerKey::generate("Bureau", NOW - 100, NOW + 100), n, NOW);
        let face = synthetic::real_face(n);
        let mut now = NOW;
        let enrol = |now| {
            wallet.synthetic_face_session(
                FacePurpose::Enrol,
                models,
                common::live_photo(n),
                Act::Genuine,
                ORDERS[0].to_vec(),
                now,
                &mut |_| {},
            )
        };
        enrol(now).expect("the holder enrols live");
        let thumbnail = Frame::Encoded(portrait::to_jpeg(&person.portrait).unwrap());
        let named: Vec<(String, Frame)> = sources
            .iter()
            .map(|s| (s.to_string(), common::photo(s)))
            .chain([("hotel QR thumbnail (48×64 grey)".to_string(), thumbnail)])
            .collect();
        for (source, photo) in named {
            for (k, purpose) in [FacePurpose::Unlock, FacePurpose::Report].into_iter().enumerate() {
                let (mut unlocked, mut liveness, mut mismatch, mut other) = (0, 0, 0, 0);
                for order in ORDERS {
                    // Far apart, so no lockout from an earlier attempt stands in the way.
                    now += 10 * 86_400;
                    wallet.lock();
                    let puppet = Subject::new(models, photo.clone(), Act::Genuine).unwrap().with_light(Light::Ignores);
                    match wallet.synthetic_face_session_of(purpose, models, puppet, order.to_vec(), now, &mut |_| {}) {
                        Ok(_) => unlocked += 1,
                        Err(WalletError::LivenessFailed { .. }) => liveness += 1,
                        Err(WalletError::FaceMismatch { .. }) => mismatch += 1,
                        Err(e) => {
                            eprintln!("{source}: {e}");
                            other += 1
                        }
                    }
                }
                total[k] += ORDERS.len();
                unlocked_total[k] += unlocked;
                let check = if k == 0 { "plain unlock (before)" } else { "with screen colours (after)" };
                println!(
                    "| citizen {n} ({}) | {source} | {check} | {} | **{unlocked}** | {liveness} | {mismatch} | {other} |",
                    face.live_photo,
                    ORDERS.len()
                );
            }
        }
    }
    println!(
        "\npuppet unlocks: before {} of {}, after {} of {} sessions",
        unlocked_total[0], total[0], unlocked_total[1], total[1]
    );
}

/// Every photo's physics-lit SYNTHETIC sequences against sessions that require the colours.
fn colour_table(models: &FaceModels) {
    let policy = LivenessPolicy {
        colour: ColourPolicy { requirement: ColourRequirement::Required, ..ColourPolicy::default() },
        ..LivenessPolicy::default()
    };
    // The colours come first: an attack is refused (or not) before any movement, so one
    // order per photo; the live face plays three.
    let classes: [(&str, Act, Light, usize); 7] = [
        ("live face lit by the colours shown — BPCER", Act::Genuine, Light::Reflects, 3),
        ("puppet without the screen's light", Act::Genuine, Light::Ignores, 1),
        ("puppet lit by another sequence (drawn before)", Act::Genuine, Light::WrongSequence, 1),
        ("puppet lit by the colours 200 ms late (4 frames)", Act::Genuine, Light::Delayed { frames: 4 }, 1),
        ("puppet lit by the colours 500 ms late (10 frames)", Act::Genuine, Light::Delayed { frames: 10 }, 1),
        ("screen replay (flat glare of the colours, no light on the face)", Act::Genuine, Light::Glare, 1),
        ("print held still, lit evenly by the colours", Act::StillPrint, Light::Reflects, 1),
    ];
    println!("\n| class | sessions | passed | failures | measures (median correlation / lag / falloff / pattern) |");
    println!("|---|---|---|---|---|");
    for (label, act, light, orders) in classes {
        let (mut sessions, mut passed) = (0, 0);
        let mut failures = std::collections::BTreeMap::<String, u32>::new();
        let mut measures: Vec<[f32; 4]> = Vec::new();
        for (k, (photo, _)) in synthetic::LABELLED_PHOTOS.iter().enumerate() {
            for o in 0..orders {
                let mut subject = Subject::new(models, common::photo(photo), act).unwrap().with_light(light);
                let order = ORDERS[(k + o) % ORDERS.len()].to_vec();
                let mut session = LivenessSession::with_challenges(policy, order);
                let end = play(&mut session, models, |p| subject.next_frame(p), 300).unwrap();
                sessions += 1;
                match end {
                    Progress::Passed(e) => {
                        passed += 1;
                        if let idwallet_core::face::colour::ColourOutcome::Checked(m) = e.colour {
                            measures.push([m.correlation, m.lag_ms as f32, m.falloff, m.pattern]);
                        }
                    }
                    Progress::Failed(f) => {
                        match f {
                            LivenessFailure::LightNotReflected { correlation } => {
                                measures.push([correlation, f32::NAN, f32::NAN, f32::NAN])
                            }
                            LivenessFailure::LightNotFromAFace { falloff, pattern } => {
                                measures.push([f32::NAN, f32::NAN, falloff, pattern])
                            }
                            _ => {}
                        }
                        *failures
                            .entry(format!("{f:?}").split([' ', '{', '(']).next().unwrap().to_owned())
                            .or_default() += 1;
                    }
                    _ => *failures.entry("TimedOut".into()).or_default() += 1,
                }
            }
        }
        let median = |i: usize| {
            let mut v: Vec<f32> = measures.iter().map(|m| m[i]).filter(|x| x.is_finite()).collect();
            v.sort_by(f32::total_cmp);
            v.get(v.len() / 2).map_or("–".to_owned(), |x| format!("{x:.2}"))
        };
        let failures: Vec<String> = failures.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "| {label} | {sessions} | {passed} | {} | {} / {} / {} / {} |",
            failures.join(", "),
            median(0),
            median(1),
            median(2),
            median(3)
        );
    }
}
