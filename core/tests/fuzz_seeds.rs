//! The fuzzers' seeds (`fuzz/corpus`) are valid inputs of the fuzz world
//! (`fuzz/fuzz_targets/common.rs`: a fixed, committed issuer key), so mutants get past the
//! issuer's signature to what the holder controls. This test checks that every committed
//! seed still gives the verdict its name says — a change to the wire format that left the
//! seeds stuck at the first check would fail here, not silently in a fuzz run.
//! `IDWALLET_WRITE_FUZZ_SEEDS=1 cargo test -p idwallet-core --test fuzz_seeds` remakes them.

use std::path::{Path, PathBuf};

use idwallet_core::credential::{
    issue, present, qr, CredentialError, IssuerCredential, Portraits, Profile, StatusCheck, StatusRef, TrustList,
};
use idwallet_core::documents::synthetic::citizen;
use idwallet_core::documents::{Claims, DocumentKind};
use idwallet_core::report::{self, Holder, SignedReport, Supplementary, VisaReport};
use idwallet_core::score::{Factor, Score};
use idwallet_core::KeyStore;

#[path = "../../fuzz/fuzz_targets/common.rs"]
mod common;

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target)
}

/// Every seed presentation: each kind to each audience that may see it, with a valid
/// status entry; and the ID card to the hotel with a revoked and a suspended one.
fn presentations() -> Vec<(String, Vec<u8>)> {
    seeds().0
}

/// The seed presentations, and the issuer credential of each kind they were made from
/// (`DocumentKind::ALL` order, valid status) with that kind's police presentation.
#[allow(clippy::type_complexity)]
fn seeds() -> (Vec<(String, Vec<u8>)>, Vec<(Vec<u8>, Vec<u8>)>) {
    let device = common::device();
    let device_key = device.device_public_key().unwrap();
    let issuer = common::issuer();
    let holder = citizen(1);
    let reference = [7u8; 32];
    let at = common::NOW;
    let credential = |kind: DocumentKind, idx: u64| {
        let claims = holder.documents.iter().find(|d| d.kind() == kind).unwrap();
        let portraits = Portraits { thumbnail: &holder.portrait, reference_digest: Some(&reference) };
        let status = StatusRef { uri: common::STATUS_URI.into(), idx };
        issue(&issuer, claims, Some(portraits), &device_key, Some(&status), at - 60, at + 86_400).unwrap()
    };
    let mut seeds = Vec::new();
    let mut issued = Vec::new();
    let mut make = |name: String, credential: &IssuerCredential, kind: DocumentKind, profile: &Profile| match present(
        credential, kind, profile, &device, at,
    ) {
        Ok(p) => seeds.push((name, qr::from_text(&p.text).unwrap())),
        Err(CredentialError::KindNotAllowed { .. }) => {}
        Err(e) => panic!("{e}"),
    };
    for kind in DocumentKind::ALL {
        let valid = credential(kind, common::VALID);
        for profile in [Profile::hotel(), Profile::police()] {
            make(format!("valid-{}-{}", profile.audience, kind.code()), &valid, kind, &profile);
        }
        let police = present(&valid, kind, &Profile::police(), &device, at).unwrap();
        issued.push((valid.cose.clone(), qr::from_text(&police.text).unwrap()));
    }
    for (name, idx) in [("revoked", common::REVOKED), ("suspended", common::SUSPENDED)] {
        let id_card = credential(DocumentKind::ResidentIdCard, idx);
        make(format!("{name}-hotel-resident_id_card"), &id_card, DocumentKind::ResidentIdCard, &Profile::hotel());
    }
    (seeds, issued)
}

/// `holder_parts` seeds, from each kind's police presentation: the parts as presented (to
/// the police), to the hotel (over-disclosure, or a kind it may not see), with the first
/// disclosure twice, and an hour old.
fn holder_parts(issued: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, common::HolderParts)> {
    let mut out = Vec::new();
    for (kind, (_, police)) in issued.iter().enumerate() {
        let Ok(ciborium::Value::Array(parts)) = ciborium::from_reader::<ciborium::Value, _>(&police[..]) else {
            panic!("a presentation is a CBOR array")
        };
        let ciborium::Value::Array(disclosures) = parts[2].clone() else { panic!("disclosures") };
        let code = DocumentKind::ALL[kind].code();
        let parts = |audience: &str, created: i64, disclosures: Vec<ciborium::Value>| common::HolderParts {
            disclosures,
            audience: audience.into(),
            created: created.into(),
            kind,
        };
        let mut twice = disclosures.clone();
        twice.push(disclosures[0].clone());
        out.push((format!("police-{code}"), parts("police", common::NOW, disclosures.clone())));
        out.push((format!("hotel-{code}"), parts("hotel", common::NOW, disclosures.clone())));
        out.push((format!("twice-{code}"), parts("police", common::NOW, twice)));
        out.push((format!("old-{code}"), parts("police", common::NOW - 3600, disclosures)));
    }
    out
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
            education: idwallet_core::report::Education::Bachelor,
            employer: "Fuzz Example Co.".into(),
            occupation: "engineer".into(),
            income_band: idwallet_core::report::IncomeBand::From300kTo600k,
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

    // holder_parts: every seed, reassembled and re-signed as the target does, gets the
    // verdict its name says at the police desk — past both signatures.
    let device = common::device();
    let fixtures: Vec<Vec<u8>> =
        (0..DocumentKind::ALL.len()).map(|k| std::fs::read(fixture(k)).expect("fuzz/fixtures/<kind>.cose")).collect();
    let mut seen = 0;
    for (name, parts, verdict) in holder_parts_from_corpus() {
        let text = parts.reassemble(&fixtures[parts.kind], &device).unwrap();
        let result = police.verify_text(&text, common::NOW + 5);
        match verdict {
            "valid" => assert_eq!(result.map(|v| v.status), Ok(StatusCheck::Valid), "{name}"),
            "malformed" => assert!(matches!(result, Err(CredentialError::Malformed { .. })), "{name}: {result:?}"),
            "stale" => assert!(matches!(result, Err(CredentialError::Stale { .. })), "{name}: {result:?}"),
            _ => assert!(matches!(result, Err(CredentialError::WrongAudience { .. })), "{name}: {result:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 4 * DocumentKind::ALL.len(), "four holder_parts seeds per kind");

    for (name, _) in trust_lists() {
        let list = TrustList::from_cbor(&std::fs::read(corpus("trust_list").join(&name)).unwrap()).unwrap();
        assert!(list.find(&common::issuer().kid()).is_ok(), "{name} trusts the fuzz issuer");
    }
}

fn fixture(kind: usize) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fuzz/fixtures/{kind}.cose"))
}

/// The committed holder_parts seeds with the verdict their name gives.
fn holder_parts_from_corpus() -> Vec<(String, common::HolderParts, &'static str)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus("holder_parts")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let parts = common::HolderParts::parse(&std::fs::read(&path).unwrap()).expect("a holder_parts seed");
        let verdict = match name.split('-').next().unwrap() {
            "police" => "valid",
            "twice" => "malformed",
            "old" => "stale",
            _ => "wrong_audience",
        };
        out.push((name, parts, verdict));
    }
    out
}

fn write_seeds() {
    let (presentations, issued) = seeds();
    std::fs::create_dir_all(fixture(0).parent().unwrap()).unwrap();
    for (kind, (cose, _)) in issued.iter().enumerate() {
        std::fs::write(fixture(kind), cose).unwrap();
    }
    for target in ["verify_cbor", "verify_qr_text", "trust_list", "holder_parts"] {
        let dir = corpus(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (name, parts) in holder_parts(&issued) {
        std::fs::write(corpus("holder_parts").join(format!("{name}.cbor")), parts.to_cbor()).unwrap();
    }
    for (name, cbor) in presentations {
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
