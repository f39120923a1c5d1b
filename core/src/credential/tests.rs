//! Issue → present → verify, the byte budget, and the attack suite: every generated bad
//! presentation must be refused with the expected reason, and none may panic.

use std::collections::BTreeMap;
use std::sync::Arc;

use ciborium::Value;

use super::cbor::encode;
use super::status::{sign_token, StatusUnknown, INVALID, SUSPENDED};
use super::*;
use crate::documents::synthetic::citizen;
use crate::documents::{DocumentKind, PORTRAIT};
use crate::platform::{KdfParams, KeyStore, SoftwareKeyStore};

const NOW: i64 = 1_795_000_000;
const STATUS_URI: &str = "https://issuer.idwallet.test/status/1";

struct World {
    _dir: tempfile::TempDir,
    issuer: IssuerKey,
    device: Arc<dyn KeyStore>,
    other_device: Arc<dyn KeyStore>,
    trust: TrustList,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let device: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(dir.path().join("a"), b"pw", fast).unwrap());
    let other_device: Arc<dyn KeyStore> =
        Arc::new(SoftwareKeyStore::create(dir.path().join("b"), b"pw", fast).unwrap());
    let issuer = IssuerKey::generate("Test Public Security Bureau", NOW - 86_400 * 365, NOW + 86_400 * 365);
    let trust = TrustList::new(vec![issuer.trusted()]);
    World { _dir: dir, issuer, device, other_device, trust }
}

impl World {
    fn credential_for(&self, kind: DocumentKind, idx: u64, iat: i64, exp: i64) -> IssuerCredential {
        let c = citizen(1);
        let claims = c.documents.iter().find(|d| d.kind() == kind).unwrap();
        let status = StatusRef { uri: STATUS_URI.into(), idx };
        let device_key = self.device.device_public_key().unwrap();
        issue(&self.issuer, claims, Some(Portraits::thumbnail(&c.portrait)), &device_key, Some(&status), iat, exp)
            .unwrap()
    }

    fn id_card(&self) -> IssuerCredential {
        self.credential_for(DocumentKind::ResidentIdCard, 7, NOW - 3600, NOW + 86_400 * 30)
    }

    fn verifier(&self, profile: Profile, statuses: &[(u64, u8)]) -> Verifier {
        let mut v = Verifier::new(profile, self.trust.clone());
        let mut list = StatusList::new(1, 1024).unwrap();
        if statuses.iter().any(|(_, s)| *s > 1) {
            list = StatusList::new(2, 1024).unwrap();
        }
        for (idx, s) in statuses {
            list.set(*idx, *s).unwrap();
        }
        let token = sign_token(&self.issuer, STATUS_URI, &list, NOW - 600, NOW + 86_400, 3600).unwrap();
        v.status.insert(&token, &self.trust, NOW - 60).unwrap();
        v
    }
}

fn present_at(w: &World, cred: &IssuerCredential, profile: &Profile, at: i64) -> Presentation {
    present(cred, DocumentKind::ResidentIdCard, profile, w.device.as_ref(), at).unwrap()
}

#[test]
fn hotel_sees_name_number_and_portrait_only() {
    let w = world();
    let p = present_at(&w, &w.id_card(), &Profile::hotel(), NOW);
    assert_eq!(p.disclosed, ["name", "id_number", PORTRAIT]);
    let v = w.verifier(Profile::hotel(), &[]).verify_text(&p.text, NOW + 5).unwrap();
    assert_eq!(v.kind, DocumentKind::ResidentIdCard);
    assert_eq!(v.claim("name"), Some(citizen(1).name()));
    assert_eq!(v.claim("id_number"), Some(citizen(1).id_number()));
    assert_eq!(v.claim("address"), None);
    let expected = crate::documents::portrait::to_jpeg(&citizen(1).portrait).unwrap();
    assert_eq!(v.portrait.as_deref(), Some(expected.as_slice()));
    assert_eq!(v.status, StatusCheck::Valid);
    assert_eq!(v.issuer, "Test Public Security Bureau");
}

#[test]
fn police_see_every_identity_field() {
    let w = world();
    let p = present_at(&w, &w.id_card(), &Profile::police(), NOW);
    let v = w.verifier(Profile::police(), &[]).verify_text(&p.text, NOW).unwrap();
    let ids: Vec<_> = v.claims.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "name",
            "sex",
            "ethnicity",
            "birth_date",
            "address",
            "id_number",
            "issuing_authority",
            "valid_from",
            "valid_until"
        ]
    );
    assert!(v.portrait.is_some());
}

#[test]
fn every_kind_presents_to_police_and_only_id_documents_to_hotels() {
    let w = world();
    for kind in DocumentKind::ALL {
        let cred = w.credential_for(kind, 3, NOW - 10, NOW + 1000);
        let p = present(&cred, kind, &Profile::police(), w.device.as_ref(), NOW).unwrap();
        let v = w.verifier(Profile::police(), &[]).verify_text(&p.text, NOW).unwrap();
        assert_eq!(v.kind, kind);
        assert_eq!(v.portrait.is_some(), kind.has_portrait());
        let hotel = present(&cred, kind, &Profile::hotel(), w.device.as_ref(), NOW);
        let allowed = matches!(kind, DocumentKind::ResidentIdCard | DocumentKind::ResidencePermit);
        assert_eq!(hotel.is_ok(), allowed, "{kind:?}");
    }
}

#[test]
fn presentations_stay_within_the_qr_byte_budget() {
    let w = world();
    println!("{:<22} {:<8} {:>9} {:>6} {:>10}", "document", "audience", "portrait", "bytes", "QR (M)");
    for kind in DocumentKind::ALL {
        for with_portrait in [true, false] {
            if with_portrait && !kind.has_portrait() {
                continue;
            }
            // Every real face with its reference digest, cropped by the issuer's face box or
            // (as a photo given without one) centred.
            let faces = crate::documents::synthetic::REAL_FACES.iter().flat_map(|f| [(f, true), (f, false)]);
            for (face, cropped) in faces.filter(|_| with_portrait) {
                let c =
                    citizen(1).with_photo(&crate::face::tests::photo(face.id_photo), cropped.then_some(face.id_face));
                let c = c.unwrap();
                let digest = crate::documents::reference::digest(c.reference_portrait.as_ref().unwrap());
                let claims = c.documents.iter().find(|d| d.kind() == kind).unwrap();
                let portraits = Portraits { thumbnail: &c.portrait, reference_digest: Some(&digest) };
                let key = w.device.device_public_key().unwrap();
                let status = StatusRef { uri: STATUS_URI.into(), idx: 123_456 };
                let cred = issue(&w.issuer, claims, Some(portraits), &key, Some(&status), NOW, NOW + 3600).unwrap();
                let p = present(&cred, kind, &Profile::hotel(), w.device.as_ref(), NOW);
                let Ok(p) = p else { continue };
                let version = qr::modules(&p.text).unwrap().version;
                println!(
                    "{:<22} hotel    {:>9} {:>6} v{version} (portrait {} B)",
                    kind.code(),
                    face.id_photo,
                    p.cbor_bytes,
                    c.portrait.len()
                );
                assert!(version <= 25, "{kind:?} hotel with {}'s face: version {version} > 25", face.id_photo);
            }
            let c = citizen(1);
            let claims = c.documents.iter().find(|d| d.kind() == kind).unwrap();
            let portrait = with_portrait.then_some(Portraits::thumbnail(&c.portrait));
            let key = w.device.device_public_key().unwrap();
            let status = StatusRef { uri: STATUS_URI.into(), idx: 123_456 };
            let cred = issue(&w.issuer, claims, portrait, &key, Some(&status), NOW, NOW + 3600).unwrap();
            for profile in [Profile::hotel(), Profile::police()] {
                let Ok(p) = present(&cred, kind, &profile, w.device.as_ref(), NOW) else { continue };
                let version = qr::modules(&p.text).unwrap().version;
                println!(
                    "{:<22} {:<8} {:>9} {:>6} {:>7} v{version}",
                    kind.code(),
                    profile.audience,
                    with_portrait,
                    p.cbor_bytes,
                    p.text.len()
                );
                if profile.audience == "hotel" {
                    // DESIGN asks v15 without a portrait; two ES256 signatures, the bound
                    // device key and the digests alone exceed v15's 400 bytes (ADR 0003),
                    // so we hold the measured v19 instead.
                    let budget = if with_portrait { 25 } else { 19 };
                    assert!(version <= budget, "{kind:?} hotel portrait={with_portrait}: version {version} > {budget}");
                }
            }
        }
    }
}

#[test]
fn the_png_decodes_back_to_the_same_text_and_verifies() {
    let w = world();
    let p = present_at(&w, &w.id_card(), &Profile::hotel(), NOW);
    let png = qr::to_png(&p.text, 4).unwrap();
    assert_eq!(qr::decode_image(&png).unwrap(), vec![p.text.clone()]);
    let mut dark = image::load_from_memory(&png).unwrap().to_luma8();
    image::imageops::invert(&mut dark);
    assert_eq!(qr::decode_luma(&dark).unwrap(), vec![p.text.clone()], "light modules on a dark screen");
    let v = w.verifier(Profile::hotel(), &[]).verify_image(&png, NOW).unwrap();
    assert_eq!(v.claim("name"), Some(citizen(1).name()));
}

#[test]
fn with_several_codes_in_view_each_desk_reads_the_one_meant_for_it() {
    let w = world();
    let id_card = w.id_card();
    let hotel = present_at(&w, &id_card, &Profile::hotel(), NOW);
    let police = present_at(&w, &id_card, &Profile::police(), NOW);
    let poster = "https://example.com/wifi";
    let png = qr::side_by_side(&[&police.text, poster, &hotel.text]);
    let mut found = qr::decode_image(&png).unwrap();
    found.sort();
    let mut expected = vec![hotel.text.clone(), police.text.clone(), poster.to_owned()];
    expected.sort();
    assert_eq!(found, expected, "every code in the picture is read");
    for (profile, audience) in [(Profile::hotel(), "hotel"), (Profile::police(), "police")] {
        let v = w.verifier(profile, &[]).verify_image(&png, NOW).unwrap();
        assert_eq!((v.audience.as_str(), v.other_codes), (audience, 2), "three codes in view");
    }

    // Two codes: the holder's hotel code beside a poster's. The police desk sees no code
    // for itself and says so, not "this is not an idwallet code".
    let png = qr::side_by_side(&[poster, &hotel.text]);
    assert_eq!(w.verifier(Profile::hotel(), &[]).verify_image(&png, NOW).unwrap().other_codes, 1);
    assert!(matches!(
        w.verifier(Profile::police(), &[]).verify_image(&png, NOW),
        Err(CredentialError::WrongAudience { .. })
    ));

    // A forged code (another, untrusted issuer) beside a genuine one for another desk: the
    // refusal that matters is the forgery, not the audience.
    let forger = world();
    let forged = present_at(&forger, &forger.id_card(), &Profile::hotel(), NOW);
    let png = qr::side_by_side(&[&police.text, &forged.text]);
    assert_eq!(w.verifier(Profile::hotel(), &[]).verify_image(&png, NOW), Err(CredentialError::UnknownIssuer));
    assert_eq!(w.verifier(Profile::police(), &[]).verify_image(&png, NOW).unwrap().other_codes, 1);
}

#[test]
fn a_camera_frame_with_row_padding_verifies() {
    let w = world();
    let p = present_at(&w, &w.id_card(), &Profile::hotel(), NOW);
    let code = image::load_from_memory(&qr::to_png(&p.text, 3).unwrap()).unwrap().to_luma8();
    let (width, height, stride) = (code.width() + 40, code.height() + 20, code.width() + 64);
    let mut y = vec![255u8; (stride * height) as usize];
    for (x, yy, px) in code.enumerate_pixels() {
        y[((yy + 10) * stride + x + 20) as usize] = px.0[0];
    }
    let v = w.verifier(Profile::hotel(), &[]).verify_frame(&y, width, height, stride, NOW).unwrap();
    assert_eq!(v.claim("name"), Some(citizen(1).name()));
    let verifier = w.verifier(Profile::hotel(), &[]);
    assert_eq!(verifier.verify_frame(&y[..100], width, height, stride, NOW), Err(CredentialError::BadImage));
    assert_eq!(verifier.verify_frame(&y, width, height, width - 1, NOW), Err(CredentialError::BadImage));
    assert_eq!(
        verifier.verify_frame(&vec![255; (stride * height) as usize], width, height, stride, NOW),
        Err(CredentialError::NoQrCode)
    );
}

#[test]
fn status_list_states_are_reported_distinctly() {
    let w = world();
    let p = present_at(&w, &w.id_card(), &Profile::hotel(), NOW);
    assert_eq!(w.verifier(Profile::hotel(), &[(7, INVALID)]).verify_text(&p.text, NOW), Err(CredentialError::Revoked));
    assert_eq!(
        w.verifier(Profile::hotel(), &[(7, SUSPENDED)]).verify_text(&p.text, NOW),
        Err(CredentialError::Suspended)
    );
    // Other entries revoked: ours is fine.
    assert_eq!(
        w.verifier(Profile::hotel(), &[(6, INVALID), (8, INVALID)]).verify_text(&p.text, NOW).unwrap().status,
        StatusCheck::Valid
    );
    // No list at all, and a list past its ttl: unknown, not revoked.
    let bare = Verifier::new(Profile::hotel(), w.trust.clone());
    assert_eq!(bare.verify_text(&p.text, NOW).unwrap().status, StatusCheck::Unknown { reason: StatusUnknown::NoList });
    let later = NOW + 7200;
    let p2 = present_at(&w, &w.id_card(), &Profile::hotel(), later);
    let stale = w.verifier(Profile::hotel(), &[]).verify_text(&p2.text, later).unwrap().status;
    assert_eq!(stale, StatusCheck::Unknown { reason: StatusUnknown::Stale { since: NOW - 60 + 3600 } });
}

#[test]
fn a_status_list_from_an_untrusted_key_or_tampered_is_refused() {
    let w = world();
    let rogue = IssuerKey::generate("rogue", NOW - 10, NOW + 10);
    let list = StatusList::new(1, 64).unwrap();
    let token = sign_token(&rogue, STATUS_URI, &list, NOW, NOW + 100, 60).unwrap();
    assert_eq!(StatusCache::default().insert(&token, &w.trust, NOW), Err(CredentialError::UnknownIssuer));
    let mut token = sign_token(&w.issuer, STATUS_URI, &list, NOW, NOW + 100, 60).unwrap();
    let n = token.len();
    token[n - 40] ^= 1;
    assert_eq!(StatusCache::default().insert(&token, &w.trust, NOW), Err(CredentialError::BadIssuerSignature));
}

// ---- the attack suite ----

/// Reassemble a presentation from parts, re-signing the device part with `ks` as a
/// holder-turned-attacker can.
fn assemble(issuer: &[u8], disclosures: Vec<Value>, ks: &dyn KeyStore, audience: &str, created: i64) -> String {
    let ids: Vec<String> = disclosures.iter().map(|d| d.as_array().unwrap()[1].as_text().unwrap().to_owned()).collect();
    let payload = encode(&Value::Array(vec![Value::from(audience), Value::from(created)]));
    let device = cose::sign_es256(None, vec![], payload, &present::device_aad(issuer, &ids), |t| ks.sign(t)).unwrap();
    qr::to_text(&encode(&Value::Array(vec![
        Value::from(1),
        Value::Bytes(issuer.to_vec()),
        Value::Array(disclosures),
        Value::Bytes(cose::to_bytes(device)),
    ])))
}

fn parts(text: &str) -> Vec<Value> {
    match cbor::decode_strict(&qr::from_text(text).unwrap()).unwrap() {
        Value::Array(p) => p,
        _ => unreachable!(),
    }
}

type Check = fn(&CredentialError) -> bool;

#[test]
fn attack_suite_rejects_every_bad_presentation() {
    let w = world();
    let cred = w.id_card();
    let hotel = w.verifier(Profile::hotel(), &[]);
    let police = w.verifier(Profile::police(), &[]);
    let good = present_at(&w, &cred, &Profile::hotel(), NOW);
    assert!(hotel.verify_text(&good.text, NOW).is_ok());
    let cbor = qr::from_text(&good.text).unwrap();
    let mut cases: Vec<(String, String, &Verifier, Check)> = Vec::new();
    let mut add = |name: String, text: String, v: &'static str, check: Check| {
        let verifier = if v == "police" { &police } else { &hotel };
        cases.push((name, text, verifier, check));
    };

    // Regions of the CBOR: the issuer credential, the disclosures, the device signature.
    let issuer_bytes = match &parts(&good.text)[1] {
        Value::Bytes(b) => b.clone(),
        _ => unreachable!(),
    };
    let issuer_at = cbor.windows(issuer_bytes.len()).position(|w| w == issuer_bytes).unwrap();
    let issuer_end = issuer_at + issuer_bytes.len();
    let step = (cbor.len() / 150).max(1);
    for pos in (0..cbor.len()).step_by(step) {
        for bit in [0x01u8, 0x80] {
            let mut bad = cbor.clone();
            bad[pos] ^= bit;
            let region = if pos < issuer_at {
                "header"
            } else if pos < issuer_end {
                "issuer"
            } else {
                "rest"
            };
            let check: Check = match region {
                "issuer" => |e| {
                    matches!(
                        e,
                        CredentialError::BadIssuerSignature
                            | CredentialError::UnknownIssuer
                            | CredentialError::UnsupportedAlgorithm
                            | CredentialError::Malformed { .. }
                            | CredentialError::NonCanonical
                            | CredentialError::DuplicateKey
                    )
                },
                _ => |e| {
                    !matches!(
                        e,
                        CredentialError::Expired { .. } | CredentialError::Revoked | CredentialError::Stale { .. }
                    )
                },
            };
            add(format!("flip bit {bit:#x} at {pos} ({region})"), qr::to_text(&bad), "hotel", check);
        }
    }
    for cut in (1..cbor.len()).step_by((cbor.len() / 25).max(1)) {
        add(format!("truncated to {cut}"), qr::to_text(&cbor[..cut]), "hotel", |e| {
            matches!(e, CredentialError::Malformed { .. })
        });
    }
    for tail in [&[0x00u8][..], &[0xff], &[0x01, 0x02, 0x03]] {
        add(format!("extended by {tail:?}"), qr::to_text(&[&cbor[..], tail].concat()), "hotel", |e| {
            matches!(e, CredentialError::Malformed { .. })
        });
    }
    add("text truncated".into(), good.text[..good.text.len() - 1].into(), "hotel", |e| {
        matches!(e, CredentialError::BadEncoding | CredentialError::Malformed { .. })
    });
    add("wrong prefix".into(), good.text.replacen("IDW1", "HC1", 1), "hotel", |e| *e == CredentialError::UnknownPrefix);
    add("not base45".into(), format!("{}abc~", qr::PREFIX), "hotel", |e| *e == CredentialError::BadEncoding);
    add("over 10 KB".into(), format!("{}{}", qr::PREFIX, "0".repeat(11_000)), "hotel", |e| {
        matches!(e, CredentialError::TooLarge { .. })
    });

    // Issuer-side forgeries.
    let c = citizen(1);
    let key = w.device.device_public_key().unwrap();
    let id_claims = &c.documents[0];
    let status = StatusRef { uri: STATUS_URI.into(), idx: 7 };
    let stranger = IssuerKey::generate("stranger", NOW - 1000, NOW + 1000);
    let s_cred =
        issue(&stranger, id_claims, Some(Portraits::thumbnail(&c.portrait)), &key, Some(&status), NOW - 10, NOW + 1000)
            .unwrap();
    add("unknown issuer".into(), present_at(&w, &s_cred, &Profile::hotel(), NOW).text, "hotel", |e| {
        *e == CredentialError::UnknownIssuer
    });
    // A stranger signs but claims the trusted issuer's key id.
    let mut forged = cose::parse(&s_cred.cose).unwrap();
    forged.protected = coset::ProtectedHeader {
        original_data: None,
        header: coset::HeaderBuilder::new().algorithm(coset::iana::Algorithm::ES256).key_id(w.issuer.kid()).build(),
    };
    forged.signature = stranger.sign(&forged.tbs_data(&[])).unwrap();
    let forged_cred = IssuerCredential { cose: cose::to_bytes(forged), ..s_cred.clone() };
    add(
        "another issuer's key under a trusted kid".into(),
        present_at(&w, &forged_cred, &Profile::hotel(), NOW).text,
        "hotel",
        |e| *e == CredentialError::BadIssuerSignature,
    );
    // Algorithm substitution: same key, header says ES384 / HS256.
    for alg in [coset::iana::Algorithm::ES384, coset::iana::Algorithm::HMAC_256_256, coset::iana::Algorithm::EdDSA] {
        let mut sub = cose::parse(&cred.cose).unwrap();
        sub.protected = coset::ProtectedHeader {
            original_data: None,
            header: coset::HeaderBuilder::new().algorithm(alg).key_id(w.issuer.kid()).build(),
        };
        sub.signature = w.issuer.sign(&sub.tbs_data(&[])).unwrap();
        let sub_cred = IssuerCredential { cose: cose::to_bytes(sub), ..cred.clone() };
        add(format!("algorithm {alg:?}"), present_at(&w, &sub_cred, &Profile::hotel(), NOW).text, "hotel", |e| {
            *e == CredentialError::UnsupportedAlgorithm
        });
    }
    let expired = w.credential_for(DocumentKind::ResidentIdCard, 7, NOW - 7200, NOW - 3600);
    add("expired credential".into(), present_at(&w, &expired, &Profile::hotel(), NOW - 4000).text, "hotel", |e| {
        *e == CredentialError::Expired { at: NOW - 3600 }
    });
    let early = w.credential_for(DocumentKind::ResidentIdCard, 7, NOW + 3600, NOW + 7200);
    add("not yet valid".into(), present_at(&w, &early, &Profile::hotel(), NOW).text, "hotel", |e| {
        *e == CredentialError::NotYetValid { at: NOW + 3600 }
    });
    let old_key = IssuerKey::generate("old", NOW - 2000, NOW - 1000);
    let old_trust = old_key.trusted();
    let old_cred = issue(
        &old_key,
        id_claims,
        Some(Portraits::thumbnail(&c.portrait)),
        &key,
        Some(&status),
        NOW - 1500,
        NOW + 1000,
    )
    .unwrap();
    let mut outside = IssuerCredential { ..old_cred.clone() };
    outside.cose = {
        let mut s = cose::parse(&old_cred.cose).unwrap();
        let mut claims: Value = ciborium::from_reader(s.payload.as_deref().unwrap()).unwrap();
        if let Value::Map(m) = &mut claims {
            for (k, v) in m.iter_mut() {
                if *k == Value::from(6) {
                    *v = Value::from(NOW - 500); // issued after the key's validity ended
                }
            }
        }
        s.payload = Some(encode(&claims));
        s.signature = old_key.sign(&s.tbs_data(&[])).unwrap();
        cose::to_bytes(s)
    };
    let mut hotel_old = w.verifier(Profile::hotel(), &[]);
    hotel_old.trust.issuers.push(old_trust);
    let old_text = present_at(&w, &outside, &Profile::hotel(), NOW).text;
    assert_eq!(hotel_old.verify_text(&old_text, NOW), Err(CredentialError::IssuerKeyNotValid));

    // Holder-side attacks: time, audience, disclosure.
    add("older than the window".into(), present_at(&w, &cred, &Profile::hotel(), NOW - 200).text, "hotel", |e| {
        *e == CredentialError::Stale { age_secs: 200 }
    });
    add("dated in the future".into(), present_at(&w, &cred, &Profile::hotel(), NOW + 300).text, "hotel", |e| {
        *e == CredentialError::FromTheFuture { ahead_secs: 300 }
    });
    add("hotel QR shown to police".into(), good.text.clone(), "police", |e| {
        matches!(e, CredentialError::WrongAudience { .. })
    });
    let police_qr = present_at(&w, &cred, &Profile::police(), NOW).text;
    add("police QR shown to a hotel".into(), police_qr.clone(), "hotel", |e| {
        matches!(e, CredentialError::WrongAudience { .. })
    });
    let all: Vec<Value> = cred.disclosures.iter().map(Disclosure::to_value).collect();
    add(
        "over-disclosure to a hotel".into(),
        assemble(&cred.cose, all.clone(), w.device.as_ref(), "hotel", NOW),
        "hotel",
        |e| matches!(e, CredentialError::OverDisclosure { element, .. } if element == "sex"),
    );
    let hotel_items: Vec<Value> = cred
        .disclosures
        .iter()
        .filter(|d| ["name", "id_number"].contains(&d.id.as_str()))
        .map(Disclosure::to_value)
        .collect();
    let mut forged_value = hotel_items.clone();
    forged_value[0].as_array_mut().unwrap()[2] = Value::from("张三");
    add("forged value".into(), assemble(&cred.cose, forged_value, w.device.as_ref(), "hotel", NOW), "hotel", |e| {
        *e == CredentialError::DigestMismatch { element: "name".into() }
    });
    let mut injected = all.clone();
    injected.push(Value::Array(vec![Value::Bytes(vec![0; 16]), Value::from("nationality"), Value::from("X")]));
    add(
        "injected claim outside the profile".into(),
        assemble(&cred.cose, injected, w.device.as_ref(), "police", NOW),
        "police",
        |e| matches!(e, CredentialError::OverDisclosure { element, .. } if element == "nationality"),
    );
    let mut salted = hotel_items.clone();
    salted[1].as_array_mut().unwrap()[0] = Value::Bytes(vec![9; 16]);
    add(
        "undisclosed salt guessed".into(),
        assemble(&cred.cose, salted, w.device.as_ref(), "hotel", NOW),
        "hotel",
        |e| *e == CredentialError::DigestMismatch { element: "id_number".into() },
    );
    let mut twice = hotel_items.clone();
    twice.push(hotel_items[0].clone());
    add("element disclosed twice".into(), assemble(&cred.cose, twice, w.device.as_ref(), "hotel", NOW), "hotel", |e| {
        matches!(e, CredentialError::Malformed { .. })
    });
    add(
        "presented by another device".into(),
        assemble(&cred.cose, hotel_items.clone(), w.other_device.as_ref(), "hotel", NOW),
        "hotel",
        |e| *e == CredentialError::BadDeviceSignature,
    );
    // Same device signature, swapped disclosure list: the signed ids no longer match.
    let p = parts(&good.text);
    let swapped = qr::to_text(&encode(&Value::Array(vec![
        p[0].clone(),
        p[1].clone(),
        Value::Array(hotel_items.clone()),
        p[3].clone(),
    ])));
    add("disclosures swapped under the device signature".into(), swapped, "hotel", |e| {
        *e == CredentialError::BadDeviceSignature
    });

    // Encoding tricks.
    let mut noncanon = vec![0x84, 0x18, 0x01];
    noncanon.extend_from_slice(&cbor[2..]);
    add("non-canonical version integer".into(), qr::to_text(&noncanon), "hotel", |e| {
        *e == CredentialError::NonCanonical
    });
    // The device COSE with an unprotected header {99: 1, 99: 2} (coset refuses to write one).
    let Value::Array(mut device) = ciborium::from_reader::<Value, _>(p[3].as_bytes().unwrap().as_slice()).unwrap()
    else {
        unreachable!()
    };
    device[1] = Value::Map(vec![(Value::from(99), Value::from(1)), (Value::from(99), Value::from(2))]);
    let dup = qr::to_text(&encode(&Value::Array(vec![
        p[0].clone(),
        p[1].clone(),
        p[2].clone(),
        Value::Bytes(encode(&Value::Array(device))),
    ])));
    add("duplicate map key in the device header".into(), dup, "hotel", |e| *e == CredentialError::DuplicateKey);
    add("status: revoked".into(), good.text.clone(), "revoked", |e| *e == CredentialError::Revoked);

    // Random input with a valid prefix.
    let mut seed = 0x1234_5678_9abc_def0u64;
    for n in 0..40 {
        let len = 1 + (n * 37) % 900;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        add(format!("random {len} bytes"), qr::to_text(&bytes), "hotel", |e| {
            matches!(
                e,
                CredentialError::Malformed { .. } | CredentialError::NonCanonical | CredentialError::DuplicateKey
            )
        });
    }

    let revoked = w.verifier(Profile::hotel(), &[(7, INVALID)]);
    let total = cases.len();
    let mut failures = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (name, text, verifier, check) in cases {
        let verifier = if name.starts_with("status: revoked") { &revoked } else { verifier };
        match std::panic::catch_unwind(|| verifier.verify_text(&text, NOW)) {
            Err(_) => failures.push(format!("{name}: PANICKED")),
            Ok(Ok(_)) => failures.push(format!("{name}: ACCEPTED")),
            Ok(Err(e)) if !check(&e) => failures.push(format!("{name}: wrong reason: {e:?}")),
            Ok(Err(e)) => {
                *reasons.entry(format!("{e:?}").split([' ', '{', '(']).next().unwrap().to_owned()).or_default() += 1
            }
        }
    }
    println!("attack suite: {total} cases; reasons: {reasons:?}");
    assert!(total >= 200, "only {total} cases");
    assert!(failures.is_empty(), "{} of {total} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn custom_profiles_cannot_name_elements_a_kind_lacks() {
    let ok = Profile::custom(
        "pharmacy",
        BTreeMap::from([(DocumentKind::ResidentIdCard, vec!["name".to_string(), "birth_date".to_string()])]),
    );
    assert!(ok.is_ok());
    let bad = Profile::custom("bank", BTreeMap::from([(DocumentKind::ResidentIdCard, vec!["salary".to_string()])]));
    assert!(matches!(bad, Err(CredentialError::OverDisclosure { .. })));
    assert!(Profile::custom("has space", BTreeMap::new()).is_err());
}

#[test]
fn a_holder_accepts_only_credentials_issued_to_it_for_its_own_claims() {
    let w = world();
    let c = citizen(1);
    let claims = &c.documents[0];
    let me = w.device.device_public_key().unwrap();
    let cred = w.id_card();
    check_issued(&cred, claims, &w.trust, &me, NOW).unwrap();

    let other = w.other_device.device_public_key().unwrap();
    assert_eq!(check_issued(&cred, claims, &w.trust, &other, NOW), Err(CredentialError::BadDeviceSignature));
    assert_eq!(check_issued(&cred, claims, &TrustList::new(vec![]), &me, NOW), Err(CredentialError::UnknownIssuer));
    assert!(matches!(
        check_issued(&cred, claims, &w.trust, &me, NOW + 86_400 * 31),
        Err(CredentialError::Expired { .. })
    ));
    // Claims that are not what the issuer signed: another person's, or one value changed.
    assert!(check_issued(&cred, &citizen(2).documents[0], &w.trust, &me, NOW).is_err());
    let mut forged = cred.clone();
    forged.disclosures[0].value = Value::Text("someone else".into());
    assert!(matches!(check_issued(&forged, claims, &w.trust, &me, NOW), Err(CredentialError::DigestMismatch { .. })));
    let mut partial = cred.clone();
    partial.disclosures.pop();
    assert!(check_issued(&partial, claims, &w.trust, &me, NOW).is_err());
    let mut resigned = cred.clone();
    resigned.cose[20] ^= 1;
    assert!(check_issued(&resigned, claims, &w.trust, &me, NOW).is_err());
}
