//! The puppet attack, measured before any defence (issue #23): an attacker who has *one
//! still photo* of the holder — another photo than the one the holder enrolled with, as a
//! social-media picture is — re-renders it as a moving head that follows the session's
//! prompts (today's synthetic renderer is exactly such a puppet: a depth map, eyelids,
//! jitter and noise) and plays it to the face unlock. For each of the three people with
//! more than one photo, the holder enrols live (their live photo, as in the tests), then
//! every other photo of them is played as a puppet through the real unlock path: liveness
//! *and* the 1:1 match against the enrolled template. Also tried: the 48×64 thumbnail a
//! hotel QR code discloses. Run: `cargo run --release -p idwallet-core --features synthetic
//! --example puppet_eval` (after `models/fetch.sh`; a few minutes).

#[path = "../tests/common/mod.rs"]
mod common;

use idwallet_core::credential::IssuerKey;
use idwallet_core::documents::{portrait, synthetic};
use idwallet_core::face::liveness::Challenge;
use idwallet_core::face::synthetic::Act;
use idwallet_core::face::Frame;
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
    let dir = tempfile::tempdir().unwrap();
    // Citizens 1-3 have person_b, person_a and Obama's faces (synthetic::REAL_FACES).
    let puppets: [(u32, &[&str]); 3] =
        [(1, &["person_b_2"]), (2, &["person_a_2"]), (3, &["obama", "obama3", "impostor_1"])];
    println!("| holder (enrolled live from) | puppet source | sessions | unlocked | refused: liveness | refused: match | other |");
    println!("|---|---|---|---|---|---|---|");
    let (mut total, mut unlocked_total) = (0, 0);
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
            let (mut unlocked, mut liveness, mut mismatch, mut other) = (0, 0, 0, 0);
            for order in ORDERS {
                // Far apart, so no lockout from an earlier attempt stands in the way.
                now += 10 * 86_400;
                wallet.lock();
                match wallet.synthetic_face_session(
                    FacePurpose::Unlock,
                    models,
                    photo.clone(),
                    Act::Genuine,
                    order.to_vec(),
                    now,
                    &mut |_| {},
                ) {
                    Ok(_) => unlocked += 1,
                    Err(WalletError::LivenessFailed { .. }) => liveness += 1,
                    Err(WalletError::FaceMismatch { .. }) => mismatch += 1,
                    Err(e) => {
                        eprintln!("{source}: {e}");
                        other += 1
                    }
                }
            }
            total += ORDERS.len();
            unlocked_total += unlocked;
            println!(
                "| citizen {n} ({}) | {source} | {} | **{unlocked}** | {liveness} | {mismatch} | {other} |",
                face.live_photo,
                ORDERS.len()
            );
        }
    }
    println!("\npuppet unlocks: {unlocked_total} of {total} sessions");
}
