//! Liveness evaluation on **synthetic** sequences made from every fetched photo (see
//! `face::synthetic` and `docs/liveness.md`): BPCER over live-holder re-renderings, APCER
//! per attack class, and the per-frame cost. Run with `scripts/liveness-eval.sh`.
//!
//! There are 36 sequences of three challenges (turn left, turn right, look up, blink; none
//! twice in a row), 24 of them with a blink. Each photo is played with a third of them
//! (sequence s for photo k when (s + k) mod 3 = 0), so every sequence is played on 3–4
//! photos and each class has 120 sessions, as with the 12 sequences before the blink.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use idwallet_core::face::liveness::{Challenge, LivenessPolicy, LivenessSession, Progress};
use idwallet_core::face::synthetic::{play, play_spliced, Act, Subject};

const PHOTOS: [&str; 13] = [
    "person_a_1",
    "person_a_2",
    "person_b_1",
    "person_b_2",
    "impostor_1",
    "impostor_2",
    "obama",
    "obama2",
    "obama3",
    "biden",
    "obama",
    "biden",
    "person_b_1",
];

fn sequences() -> Vec<Vec<Challenge>> {
    let mut out = Vec::new();
    for a in Challenge::ALL {
        for b in Challenge::ALL.into_iter().filter(|b| *b != a) {
            for c in Challenge::ALL.into_iter().filter(|c| *c != b) {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

fn main() {
    let m = common::face_models();
    let photos: Vec<&str> = PHOTOS[..10].to_vec();
    let classes: Vec<(&str, Vec<Act>)> = vec![
        ("live holder (synthetic 3-D re-rendering)", vec![Act::Genuine]),
        ("frozen feed (one frame repeated)", vec![Act::Frozen]),
        ("print held still (fresh noise each frame)", vec![Act::StillPrint]),
        (
            "print turned/tilted close to the lens (f = 400 px), either way",
            vec![Act::Print { focal: 400.0, reverse: false }, Act::Print { focal: 400.0, reverse: true }],
        ),
        (
            "print turned/tilted at arm's length (f = 1500 px), either way",
            vec![Act::Print { focal: 1500.0, reverse: false }, Act::Print { focal: 1500.0, reverse: true }],
        ),
        (
            "print sheared, zoomed and jittered in 2-D, either way",
            vec![Act::Warped { reverse: false }, Act::Warped { reverse: true }],
        ),
        ("right movements, wrong order", vec![Act::WrongOrder]),
        ("another person spliced in after the first movement", vec![]),
    ];
    // `LIVENESS_EVAL_CLASSES=print,spliced` runs only the classes whose label contains one of
    // the words (to split a run across cores).
    let only = std::env::var("LIVENESS_EVAL_CLASSES").unwrap_or_default();
    let classes: Vec<_> = classes
        .into_iter()
        .filter(|(label, _)| only.is_empty() || only.split(',').any(|w| label.contains(w)))
        .collect();
    let sequences = sequences();
    let mut per_frame = Vec::new();
    let mut parallax: Vec<(f32, String)> = Vec::new();
    let mut blinks = [0u32; 2]; // live holder: sessions with a blink, and those passed
    println!("| class | sessions | passed | rate | failures |\n|---|---|---|---|---|");
    for (label, acts) in &classes {
        let (mut sessions, mut passed) = (0, 0);
        let mut reasons = std::collections::BTreeMap::<String, u32>::new();
        for (k, name) in photos.iter().enumerate() {
            for (s, order) in sequences.iter().enumerate().filter(|(s, _)| (s + k) % 3 == 0) {
                // An attack succeeds if any of its variants passes.
                let mut any_passed = false;
                let variants: Vec<Option<Act>> =
                    if acts.is_empty() { vec![None] } else { acts.iter().copied().map(Some).collect() };
                for act in variants {
                    let mut session = LivenessSession::with_challenges(LivenessPolicy::default(), order.clone());
                    let started = Instant::now();
                    let out = match act {
                        Some(act) => {
                            let mut subject = Subject::new(m, common::photo(name), act).unwrap();
                            play(&mut session, m, |p| subject.next_frame(p), 200).unwrap()
                        }
                        None => {
                            let other = photos[(k + 1 + s % (photos.len() - 1)) % photos.len()];
                            // The people behind the photos (CREDITS.md): impostor_1 is Obama too.
                            let who = |n: &str| match n {
                                "impostor_1" => "obama".to_string(),
                                n if n.starts_with("obama") => "obama".to_string(),
                                n => n.trim_end_matches(char::is_numeric).to_string(),
                            };
                            let same = |a: &str, b: &str| who(a) == who(b);
                            if same(name, other) {
                                continue;
                            }
                            let mut a = Subject::new(m, common::photo(name), Act::Genuine).unwrap();
                            let mut b = Subject::new(m, common::photo(other), Act::Genuine).unwrap();
                            let out = play_spliced(&mut session, m, &mut a, &mut b, 200).unwrap();
                            if matches!(out, Progress::Passed(_)) {
                                eprintln!("splice passed: {name} then {other} {order:?}");
                            }
                            out
                        }
                    };
                    if act == Some(Act::Genuine) && order.contains(&Challenge::Blink) {
                        blinks[0] += 1;
                        blinks[1] += u32::from(matches!(out, Progress::Passed(_)));
                    }
                    if let Progress::Passed(e) = &out {
                        per_frame.push(started.elapsed().as_secs_f64() * 1000.0 / f64::from(e.frames));
                        parallax.extend(e.parallax.iter().map(|p| (*p, label.to_string())));
                        if act.is_some_and(|a| a != Act::Genuine) {
                            eprintln!("attack passed: {label}: {name} {order:?}");
                        }
                        any_passed = true;
                    } else if let Progress::Failed(f) = &out {
                        if act == Some(Act::Genuine) {
                            eprintln!("live holder refused: {name} {order:?}: {f:?}");
                        }
                        let key = format!("{f:?}");
                        *reasons.entry(key.split([' ', '{']).next().unwrap_or("").to_string()).or_default() += 1;
                    }
                }
                sessions += 1;
                passed += u32::from(any_passed);
            }
        }
        let rate = 100.0 * f64::from(passed) / f64::from(sessions.max(1));
        let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("| {label} | {sessions} | {passed} | {rate:.1} % | {} |", reasons.join(", "));
    }
    println!("\nlive holder, sequences with a blink: {} of {} passed", blinks[1], blinks[0]);
    parallax.sort_by(|a, b| a.0.total_cmp(&b.0));
    let live: Vec<f32> = parallax.iter().filter(|p| p.1.starts_with("live")).map(|p| p.0).collect();
    if !live.is_empty() {
        let q = |f: f64| live[((live.len() - 1) as f64 * f) as usize];
        println!(
            "\noff-plane motion of completed movements, live holder: min {:.3}, 5 % {:.3}, median {:.3} (threshold {:.3})",
            q(0.0), q(0.05), q(0.5), LivenessPolicy::default().min_parallax
        );
    }
    per_frame.sort_by(f64::total_cmp);
    if !per_frame.is_empty() {
        println!(
            "\nwall time per frame of passing sessions (render + feed): median {:.1} ms",
            per_frame[per_frame.len() / 2]
        );
    }
}
