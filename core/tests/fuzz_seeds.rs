//! The fuzzers' seeds (`fuzz/corpus`) are valid inputs of the fuzz world
//! (`fuzz/fuzz_targets/common.rs`: a fixed, committed issuer key), so mutants get past the
//! issuer's signature to what the holder controls. This test checks that every committed
//! seed still gives the verdict its name says — a change to the wire format that left the
//! seeds stuck at the first check would fail here, not silently in a fuzz run.
//! `IDWALLET_WRITE_FUZZ_SEEDS=1 cargo test -p idwallet-core --test fuzz_seeds` remakes them.

use std::path::{Path, PathBuf};

use idwallet_core::credential::{
    issue, present, qr, CredentialError, Portraits, Profile, StatusCheck, StatusRef, TrustList,
};
use idwallet_core::documents::synthetic::citizen;
use idwallet_core::documents::{Claims, DocumentKind};
use idwallet_core::platform::{KdfParams, KeyStore, SoftwareKeyStore};
use idwallet_core::report::{self, Holder, SignedReport, Supplementary, VisaReport};
use idwallet_core::score::{Factor, Score};

#[path = "../../fuzz/fuzz_targets/common.rs"]
mod common;

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target)
}

/// Every seed presentation: each kind to each audience that may see it, with a valid
/// status entry; and the ID card to the hotel with a revoked and a suspended one.
fn presentations() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let device = SoftwareKeyStore::create(dir.path().join("keys"), b"fuzz", fast).unwrap();
    let device_key = device.device_public_key().unwrap();
    let issuer = common::issuer();
    let holder = citizen(1);
    let reference = [7u8; 32];
    let mut seeds = Vec::new();
    let mut make = |name: String, kind: DocumentKind, profile: &Profile, idx: u64| {
        let claims = holder.documents.iter().find(|d| d.kind() == kind).unwrap();
        let portraits = Portraits { thumbnail: &holder.portrait, reference_digest: Some(&reference) };
        let status = StatusRef { uri: common::STATUS_URI.into(), idx };
        let at = common::NOW;
        let credential =
            issue(&issuer, claims, Some(portraits), &device_key, Some(&status), at - 60, at + 86_400).unwrap();
        match present(&credential, kind, profile, &device, at) {
            Ok(p) => seeds.push((name, qr::from_text(&p.text).unwrap())),
            Err(CredentialError::KindNotAllowed { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    };
    for profile in [Profile::hotel(), Profile::police()] {
        for kind in DocumentKind::ALL {
            make(format!("valid-{}-{}", profile.audience, kind.code()), kind, &profile, common::VALID);
        }
    }
    make("revoked-hotel-resident_id_card".into(), DocumentKind::ResidentIdCard, &Profile::hotel(), common::REVOKED);
    make("suspended-hotel-resident_id_card".into(), DocumentKind::ResidentIdCard, &Profile::hotel(), common::SUSPENDED);
    seeds
}

fn report() -> SignedReport {
    let holder = citizen(1);
    let now = common::NOW;
    let report = VisaReport {
        id: "rpt-fuzz-1".into(),
        issuer: "Fuzz Public Security Bureau".into(),
        holder: match &holder.documents[0] {
            Claims::ResidentIdCard(card) => Holder::from_id_card(card),
            _ => unreachable!("a citizen's first document is the ID card"),
        },
        device_id: "dev-fuzz".into(),
        score: Score {
            provider: "sesame".into(),
            value: 801,
            factors: vec![Factor { id: "credit_history".into(), contribution: 41 }],
            computed_at: now - 60,
            expires_at: now + 86_400,
        },
        threshold: 750,
        supplementary: Supplementary {
            education: "bachelor".into(),
            employer: "Fuzz Example Co.".into(),
            occupation: "engineer".into(),
            income_band: "300k-600k".into(),
            assets: vec!["car".into()],
            phone: "+86 138 0000 0000".into(),
            email: "holder@example.com".into(),
            destination: "FR".into(),
        },
        face_verified_at: now - 30,
        issued_at: now - 10,
        valid_until: now + report::VALIDITY_SECS,
    };
    SignedReport::issue(report, &common::issuer()).unwrap()
}

fn trust_lists() -> Vec<(String, Vec<u8>)> {
    let other = idwallet_core::credential::IssuerKey::generate("Other Bureau", common::NOW - 10, common::NOW + 10);
    vec![
        ("fuzz-issuer.cbor".into(), common::trust().to_cbor()),
        ("two-issuers.cbor".into(), TrustList::new(vec![other.trusted(), common::issuer().trusted()]).to_cbor()),
    ]
}

#[test]
fn the_committed_seeds_reach_past_the_issuer_signature() {
    if std::env::var_os("IDWALLET_WRITE_FUZZ_SEEDS").is_some() {
        write_seeds();
    }
    let [hotel, police] = common::verifiers();
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus("verify_cbor")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = qr::to_text(&std::fs::read(&path).unwrap());
        let audience = name.split('-').nth(1).unwrap();
        let verifier = if audience == "hotel" { &hotel } else { &police };
        let result = verifier.verify_text(&text, common::NOW + 5);
        match name.split('-').next().unwrap() {
            "valid" => assert_eq!(result.map(|v| v.status), Ok(StatusCheck::Valid), "{name}"),
            "revoked" => assert_eq!(result.map(|_| ()), Err(CredentialError::Revoked), "{name}"),
            "suspended" => assert_eq!(result.map(|_| ()), Err(CredentialError::Suspended), "{name}"),
            other => panic!("a verify_cbor seed named {other}-…: name seeds by their verdict"),
        }
        // The same bytes as QR text are verify_qr_text's seed.
        let seed_text = std::fs::read_to_string(corpus("verify_qr_text").join(format!("{name}.txt"))).unwrap();
        assert_eq!(seed_text, text, "{name}: the text seed is the CBOR seed's QR text");
        checked += 1;
    }
    assert_eq!(checked, presentations().len(), "one file per seed presentation");

    let trust = common::trust();
    let pdf = std::fs::read(corpus("verify_report").join("report.pdf")).unwrap();
    let (seal, embedded) = report::verify_pdf(&pdf, &trust, common::NOW).unwrap();
    assert!(embedded.is_some(), "the report seed embeds the signed report");
    let seal_text = std::fs::read_to_string(corpus("verify_report").join("seal.txt")).unwrap();
    assert_eq!(report::verify_seal(&seal_text, &trust, common::NOW).unwrap(), seal);

    for (name, _) in trust_lists() {
        let list = TrustList::from_cbor(&std::fs::read(corpus("trust_list").join(&name)).unwrap()).unwrap();
        assert!(list.find(&common::issuer().kid()).is_ok(), "{name} trusts the fuzz issuer");
    }
}

fn write_seeds() {
    for target in ["verify_cbor", "verify_qr_text", "trust_list"] {
        let dir = corpus(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (name, cbor) in presentations() {
        std::fs::write(corpus("verify_qr_text").join(format!("{name}.txt")), qr::to_text(&cbor)).unwrap();
        std::fs::write(corpus("verify_cbor").join(format!("{name}.cbor")), cbor).unwrap();
    }
    let signed = report();
    std::fs::write(corpus("verify_report").join("report.pdf"), report::export_pdf(&signed).unwrap()).unwrap();
    std::fs::write(corpus("verify_report").join("seal.txt"), &signed.seal).unwrap();
    for (name, bytes) in trust_lists() {
        std::fs::write(corpus("trust_list").join(name), bytes).unwrap();
    }
}
