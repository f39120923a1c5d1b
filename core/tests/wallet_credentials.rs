//! A holder wallet keeps issued documents sealed, presents them, and a staff wallet
//! verifies and logs — the flow the apps run, from Rust.

mod common;

use common::*;
use idwallet_core::credential::{IssuerKey, Profile, TrustList, Verifier};
use idwallet_core::documents::DocumentKind;
use idwallet_core::wallet::FacePurpose;
use idwallet_core::{ActivityKind, Outcome};

#[test]
fn holder_presents_staff_verifies_both_log_and_nothing_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let (holder, ks, path) = new_wallet(dir.path());
    let now = 1_795_000_000;
    let issuer = IssuerKey::generate("Test Bureau", now - 1000, now + 1000);
    let person = issue_citizen(&holder, &issuer, 4, now);
    assert_eq!(holder.documents().unwrap().len(), 5);
    // The eID opens only to its holder's face (SYNTHETIC liveness frames of another photo).
    let (photo, act) = (live_photo(4), idwallet_core::face::synthetic::Act::Genuine);
    holder.synthetic_face_session(FacePurpose::Enrol, face_models(), photo, act, vec![], now, &mut |_| {}).unwrap();

    let qr = holder.present(DocumentKind::ResidentIdCard, &Profile::hotel(), now).unwrap();
    let staff_dir = dir.path().join("staff");
    std::fs::create_dir_all(&staff_dir).unwrap();
    let (desk, _, _) = new_wallet(&staff_dir);
    let verifier = Verifier::new(Profile::hotel(), TrustList::new(vec![issuer.trusted()]));
    let seen = desk.verify(&verifier, &qr.text, now + 3).unwrap();
    assert_eq!(seen.claim("id_number"), Some(person.id_number()));
    assert!(desk.verify(&verifier, &qr.text, now + 500).is_err());

    let desk_log = desk.activity(5).unwrap();
    assert_eq!(desk_log[0].kind, ActivityKind::Verified);
    assert!(matches!(desk_log[0].outcome, Outcome::Failure { .. }));
    assert_eq!((desk_log[1].kind, desk_log[1].counterparty.as_deref()), (ActivityKind::Verified, Some("hotel")));
    let holder_log = holder.activity(1).unwrap();
    assert_eq!((holder_log[0].kind, holder_log[0].counterparty.as_deref()), (ActivityKind::Presented, Some("hotel")));

    // A hotel cannot be shown a vehicle registration; the refusal is logged too.
    assert!(holder.present(DocumentKind::VehicleRegistration, &Profile::hotel(), now).is_err());
    assert!(matches!(holder.activity(1).unwrap()[0].outcome, Outcome::Failure { .. }));

    holder.close().unwrap();
    let files: Vec<u8> = std::fs::read_dir(dir.path())
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap_or_default())
        .collect();
    for secret in [person.name().as_bytes(), person.id_number().as_bytes()] {
        assert!(!files.windows(secret.len()).any(|w| w == secret), "personal data in the wallet files");
    }
    assert_eq!(reopen(&path, &ks).documents().unwrap()[0].claims, person.documents[0]);
}
