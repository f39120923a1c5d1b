use super::*;
use crate::credential::IssuerKey;
use crate::face::liveness::Challenge;
use crate::score::Factor;

const NOW: i64 = 1_790_000_000;

fn issuer() -> IssuerKey {
    IssuerKey::generate("Test Issuer", NOW - 86_400, NOW + 365 * 86_400)
}

fn supplementary() -> Supplementary {
    Supplementary {
        education: Education::Master,
        employer: "Hangzhou Example Technology Co.".into(),
        occupation: "software engineer".into(),
        income_band: IncomeBand::From300kTo600k,
        assets: vec!["apartment, Hangzhou".into(), "car".into()],
        phone: "+86 138 0000 0000".into(),
        email: "holder@example.com".into(),
        destination: "FR".into(),
    }
}

fn report(id: &str) -> VisaReport {
    VisaReport {
        id: id.into(),
        issuer: "Test Issuer".into(),
        holder: Holder {
            name_latin: pinyin_name("王秀英"),
            sex: crate::documents::Sex::Female,
            birth_date: "1990-05-17".into(),
            id_number_masked: "330106********123X".into(),
        },
        device_id: "dev-test".into(),
        score: Score {
            provider: "sesame".into(),
            value: 781,
            factors: vec![Factor { id: "credit_history".into(), contribution: 41 }],
            computed_at: NOW - 60,
            expires_at: NOW + 86_400,
        },
        threshold: 750,
        supplementary: supplementary(),
        face_verified_at: NOW - 30,
        issued_at: NOW,
        valid_until: NOW + VALIDITY_SECS,
    }
}

fn trust(key: &IssuerKey) -> TrustList {
    TrustList::new(vec![key.trusted()])
}

#[test]
fn names_print_in_passport_pinyin() {
    assert_eq!(pinyin_name("王秀英"), "WANG XIUYING");
    assert_eq!(pinyin_name("李强"), "LI QIANG");
    assert_eq!(pinyin_name("Smith"), "SMITH");
}

#[test]
fn supplementary_information_is_checked_field_by_field() {
    assert_eq!(supplementary().validate(), Ok(()));
    type Spoil = fn(&mut Supplementary);
    let cases: Vec<(Spoil, ReportError)> = vec![
        (|s| s.employer.clear(), ReportError::MissingSupplementary { field: "employer" }),
        (
            |s| s.occupation = "工程师".into(),
            ReportError::BadSupplementary { field: "occupation", why: "must be in Latin script" },
        ),
        (|s| s.phone = "call me".into(), ReportError::BadSupplementary { field: "phone", why: "must be digits" }),
        (|s| s.email = "nobody".into(), ReportError::BadSupplementary { field: "email", why: "is not an address" }),
        (
            |s| s.destination = "fr".into(),
            ReportError::BadSupplementary { field: "destination", why: "must be an ISO country code" },
        ),
        (
            |s| s.assets = vec!["x".into(); 9],
            ReportError::BadSupplementary { field: "assets", why: "lists more than 8" },
        ),
    ];
    for (spoil, expected) in cases {
        let mut s = supplementary();
        spoil(&mut s);
        assert_eq!(s.validate(), Err(expected));
    }
}

#[test]
fn a_signed_report_verifies_and_its_seal_is_bound_to_it() {
    let key = issuer();
    let signed = SignedReport::issue(report("r-1"), &key).unwrap();
    let back = SignedReport::verify(&signed.signed, &signed.seal, &trust(&key), NOW).unwrap();
    assert_eq!(back.report, report("r-1"));
    let seal = verify_seal(&signed.seal, &trust(&key), NOW).unwrap();
    assert_eq!((seal.score, seal.name_latin.as_str(), seal.destination.as_str()), (781, "WANG XIUYING", "FR"));

    // Another report's seal (same issuer, valid) does not vouch for this one.
    let other = SignedReport::issue(report("r-2"), &key).unwrap();
    assert_eq!(SignedReport::verify(&signed.signed, &other.seal, &trust(&key), NOW), Err(ReportError::SealMismatch));
    // Expired, and from an issuer the verifier does not trust.
    let late = NOW + VALIDITY_SECS + 1;
    assert_eq!(verify_seal(&signed.seal, &trust(&key), late), Err(ReportError::Expired { at: NOW + VALIDITY_SECS }));
    assert_eq!(verify_seal(&signed.seal, &trust(&issuer()), NOW), Err(ReportError::UnknownIssuer));
    assert_eq!(verify_seal("HC1:6BFOXN", &trust(&key), NOW), Err(ReportError::NotASeal));
    // A trust list whose entry for this key ended before the report was issued (or starts
    // after): refused, as `verify` refuses such a credential (issue #18).
    for (not_before, not_after) in [(NOW - 100_000, NOW - 1_000), (NOW + 1_000, NOW + 100_000)] {
        let mut entry = key.trusted();
        (entry.not_before, entry.not_after) = (not_before, not_after);
        let list = TrustList::new(vec![entry]);
        assert_eq!(verify_seal(&signed.seal, &list, NOW), Err(ReportError::IssuerKeyNotValid));
        assert_eq!(SignedReport::verify(&signed.signed, &signed.seal, &list, NOW), Err(ReportError::IssuerKeyNotValid));
        let pdf = export_pdf(&signed).unwrap();
        assert_eq!(verify_pdf(&pdf, &list, NOW).unwrap_err(), ReportError::IssuerKeyNotValid);
    }
}

#[test]
fn a_seal_with_an_edited_score_fails_its_signature() {
    let key = issuer();
    let signed = SignedReport::issue(report("r-1"), &key).unwrap();
    let cbor = qr::decode(SEAL_PREFIXES, &signed.seal).unwrap();
    let mut sign1 = cose::parse(&cbor).unwrap();
    let mut seal: Seal = from_cbor(sign1.payload.as_deref().unwrap()).unwrap();
    seal.score = 900;
    sign1.payload = Some(to_cbor(&seal));
    let forged = qr::encode(SEAL_PREFIXES, &cose::to_bytes(sign1));
    assert_eq!(verify_seal(&forged, &trust(&key), NOW), Err(ReportError::BadSignature));
}

#[test]
fn the_pdf_carries_a_scannable_seal_and_the_signed_report() {
    let key = issuer();
    let signed = SignedReport::issue(report("r-1"), &key).unwrap();
    let pdf = export_pdf(&signed).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let contents = read_pdf(&pdf).unwrap();
    assert_eq!(contents.qr_texts, vec![signed.seal.clone()]);
    assert_eq!(contents.embedded, Some((signed.signed.clone(), signed.seal.clone())));
    let (seal, full) = verify_pdf(&pdf, &trust(&key), NOW).unwrap();
    assert_eq!((seal.id.as_str(), full.map(|r| r.id)), ("r-1", Some("r-1".to_string())));
    // No personal data in the file in Chinese script it could not print anyway.
    assert!(!pdf.windows("王".len()).any(|w| w == "王".as_bytes()));
}

#[test]
fn a_pdf_whose_qr_was_swapped_is_refused() {
    let key = issuer();
    let genuine = SignedReport::issue(report("r-1"), &key).unwrap();
    // A forger prints the genuine embedded report with a QR from their own key...
    let forger = issuer();
    let forged = SignedReport::issue(report("r-1"), &forger).unwrap();
    let pdf = pdf::render(&genuine.report, &forged.seal, &to_cbor(&(&genuine.signed, &genuine.seal))).unwrap();
    assert_eq!(verify_pdf(&pdf, &trust(&key), NOW).unwrap_err(), ReportError::UnknownIssuer);
    // ...or with the QR of another genuine report.
    let other = SignedReport::issue(report("r-2"), &key).unwrap();
    let pdf = pdf::render(&genuine.report, &other.seal, &to_cbor(&(&genuine.signed, &genuine.seal))).unwrap();
    assert_eq!(verify_pdf(&pdf, &trust(&key), NOW).unwrap_err(), ReportError::SealMismatch);
    assert!(matches!(verify_pdf(b"%PDF-1.7 garbage", &trust(&key), NOW), Err(ReportError::BadPdf { .. })));
}

#[test]
fn a_pdf_whose_embedded_report_was_damaged_is_refused_not_downgraded_to_the_seal() {
    // Found by the privacy audit's attack suite: bytes overwritten inside the embedded
    // report's hex string made lopdf drop the object, and the PDF verified on its seal alone.
    let key = issuer();
    let pdf = export_pdf(&SignedReport::issue(report("r-1"), &key).unwrap()).unwrap();
    let key_at = pdf.windows(15).position(|w| w == b"/IdwalletReport").unwrap();
    let mut damaged = pdf.clone();
    damaged[key_at + 40..key_at + 104].fill(b'x');
    assert_eq!(
        verify_pdf(&damaged, &trust(&key), NOW).unwrap_err(),
        ReportError::BadPdf { what: "the embedded report is damaged" }
    );
}

#[test]
fn attestations_are_bound_to_device_nonce_and_time() {
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = SystemRandom::new();
    let keypair = || {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    };
    let (device, stranger) = (keypair(), keypair());
    let a = LivenessAttestation {
        nonce: vec![7; 16],
        device_id: "dev-a".into(),
        verified_at: NOW - 10,
        similarity: 0.71,
        challenges: vec![Challenge::TurnLeft, Challenge::LookUp, Challenge::TurnRight],
        reference_portrait: vec![3; 32],
        reference_similarity: 0.55,
        screen_colour: true,
        integrity: None,
    };
    let sign = |k: &EcdsaKeyPair, a: &LivenessAttestation| {
        a.sign(|d| k.sign(&rng, d).map(|s| s.as_ref().to_vec()).map_err(|_| ())).unwrap()
    };
    let key = device.public_key().as_ref();
    let bytes = sign(&device, &a);
    assert_eq!(LivenessAttestation::verify(&bytes, "dev-a", key, &[7; 16], NOW), Ok(a.clone()));
    let why = |r: Result<LivenessAttestation, ReportError>| match r {
        Err(ReportError::BadAttestation { why }) => why,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        why(LivenessAttestation::verify(&sign(&stranger, &a), "dev-a", key, &[7; 16], NOW)),
        "not signed by this device"
    );
    assert_eq!(why(LivenessAttestation::verify(&bytes, "dev-b", key, &[7; 16], NOW)), "made for another device");
    assert_eq!(why(LivenessAttestation::verify(&bytes, "dev-a", key, &[8; 16], NOW)), "not over the challenge");
    assert_eq!(
        why(LivenessAttestation::verify(&bytes, "dev-a", key, &[7; 16], NOW + FRESH_FACE_SECS)),
        "the face check is not fresh"
    );
    assert_eq!(why(LivenessAttestation::verify(b"\xa0", "dev-a", key, &[7; 16], NOW)), "not COSE_Sign1");
    // Matched against no reference portrait, or too far from it.
    let unbound = LivenessAttestation { reference_portrait: vec![], ..a.clone() };
    assert_eq!(
        why(LivenessAttestation::verify(&sign(&device, &unbound), "dev-a", key, &[7; 16], NOW)),
        "no reference portrait"
    );
    let unlike = LivenessAttestation { reference_similarity: 0.2, ..a.clone() };
    assert_eq!(
        why(LivenessAttestation::verify(&sign(&device, &unlike), "dev-a", key, &[7; 16], NOW)),
        "the face does not match the reference portrait"
    );
    // Movements alone, without the screen's colours reflected (a puppet passes those).
    let uncoloured = LivenessAttestation { screen_colour: false, ..a.clone() };
    assert_eq!(
        why(LivenessAttestation::verify(&sign(&device, &uncoloured), "dev-a", key, &[7; 16], NOW)),
        "no screen-colour check"
    );
    let nan = LivenessAttestation { reference_similarity: f32::NAN, ..a };
    assert!(LivenessAttestation::verify(&sign(&device, &nan), "dev-a", key, &[7; 16], NOW).is_err());
}

#[test]
fn a_pdf_whose_printed_page_was_edited_is_refused_though_its_seal_and_report_verify() {
    use printpdf::lopdf;
    let key = issuer();
    let signed = SignedReport::issue(report("r-1"), &key).unwrap();
    let pdf = export_pdf(&signed).unwrap();
    assert!(verify_pdf(&pdf, &trust(&key), NOW).is_ok());
    assert_eq!(
        pdf_read::page_fingerprint(&pdf).unwrap(),
        pdf_read::page_fingerprint(&export_pdf(&signed).unwrap()).unwrap()
    );

    // The printed score changed from 781 to 981: the page's content stream rewritten and
    // re-compressed, the cross-reference table valid, the QR seal and embedded report intact.
    let edit = |change: &dyn Fn(&mut lopdf::Document, lopdf::ObjectId)| {
        let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
        let page = *doc.get_pages().values().next().unwrap();
        change(&mut doc, page);
        doc.compress();
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    };
    let rescored = edit(&|doc, page| {
        let content = doc.get_page_content(page).unwrap();
        // printpdf writes text as hex strings: "781" is <373831>.
        let at = content.windows(6).position(|w| w == b"373831").expect("the score is drawn as text");
        let mut changed = content.clone();
        changed[at + 1] = b'9';
        doc.change_page_content(page, changed).unwrap();
    });
    assert_eq!(read_pdf(&rescored).unwrap(), read_pdf(&pdf).unwrap(), "seal and report untouched");
    assert_eq!(verify_pdf(&rescored, &trust(&key), NOW).unwrap_err(), ReportError::PageAltered);
    // Drawn over instead: an annotation on the page.
    let annotated = edit(&|doc, page| {
        let note = lopdf::dictionary! { "Type" => "Annot", "Subtype" => "FreeText", "Contents" => lopdf::Object::string_literal("981") };
        let id = doc.add_object(note);
        doc.get_object_mut(page).unwrap().as_dict_mut().unwrap().set("Annots", vec![lopdf::Object::Reference(id)]);
    });
    assert_eq!(verify_pdf(&annotated, &trust(&key), NOW).unwrap_err(), ReportError::PageAltered);
}

#[test]
fn whatever_the_desk_is_handed_is_told_apart_by_its_first_bytes() {
    let key = issuer();
    let trust = trust(&key);
    let signed = SignedReport::issue(report("VR-any"), &key).unwrap();
    let pdf = export_pdf(&signed).unwrap();
    let (seal, full) = verify_any(&pdf, &trust, NOW).unwrap();
    assert_eq!((seal.id.as_str(), full.map(|r| r.id)), ("VR-any", Some("VR-any".to_owned())));
    let (seal, full) = verify_any(signed.seal.as_bytes(), &trust, NOW).unwrap();
    assert_eq!((seal.id.as_str(), full), ("VR-any", None));
    // A picture of the seal beside another code: the seal is found.
    let png = qr::side_by_side(&["https://example.com/menu", &signed.seal]);
    assert_eq!(verify_any(&png, &trust, NOW).unwrap().0.id, "VR-any");
    // A picture with no seal, text that is not one, bytes that are nothing.
    let other = qr::to_png("https://example.com/menu", 3).unwrap();
    assert_eq!(verify_any(&other, &trust, NOW), Err(ReportError::NoQrCode));
    assert_eq!(verify_any(b"IDW1:not a report", &trust, NOW), Err(ReportError::NotAReport));
    assert_eq!(verify_any(&[0, 159, 146, 150], &trust, NOW), Err(ReportError::NotAReport));
}

#[test]
fn declared_values_travel_as_their_codes_and_unknown_ones_do_not_parse() {
    for e in Education::ALL {
        assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{}\"", e.code()));
        assert_eq!(Education::from_code(e.code()), Some(e));
    }
    for b in IncomeBand::ALL {
        assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{}\"", b.code()));
        assert_eq!(IncomeBand::from_code(b.code()), Some(b));
    }
    let json = serde_json::to_value(supplementary()).unwrap();
    assert_eq!(json["income_band"], "300k-600k");
    for (field, value) in [("education", "phd"), ("income_band", "a lot")] {
        let mut spoiled = json.clone();
        spoiled[field] = value.into();
        assert!(serde_json::from_value::<Supplementary>(spoiled).is_err(), "{field} = {value} parsed");
    }
    // The signed attestation names the movements as the wallet shows them.
    let cbor = to_cbor(&vec![Challenge::TurnLeft, Challenge::LookUp]);
    let names: Vec<String> = ciborium::from_reader(cbor.as_slice()).unwrap();
    assert_eq!(names, [Challenge::TurnLeft.code(), Challenge::LookUp.code()]);
}
