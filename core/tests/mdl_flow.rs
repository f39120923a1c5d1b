//! The mDL end to end in one process: the issuer's IACA and document signer, the licence as
//! an mdoc, a holder and a police reader joined by an in-memory transport — and the attacks
//! issue #21 names, each refused with a typed reason and none a panic.

use std::time::Duration;

use ciborium::Value;
use idwallet_core::documents::{synthetic, Claims};
use idwallet_core::mdl::engagement::{DeviceEngagement, RetrievalMethod};
use idwallet_core::mdl::holder::{HolderSession, ReaderPolicy};
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::issue::{issue_mdl, DocumentSigner, Iaca, LicenceData};
use idwallet_core::mdl::reader::{road_check_request, ReaderSession};
use idwallet_core::mdl::response::{verify_issuer_signed, VerifiedResponse};
use idwallet_core::mdl::transport::{memory_pair, Transport};
use idwallet_core::mdl::{MdlError, CN_NAMESPACE, MDL_NAMESPACE};
use idwallet_core::platform::{KdfParams, SoftwareKeyStore};
use idwallet_core::KeyStore;

const NOW: i64 = 1_790_000_000;
const DAY: i64 = 86_400;
const WAIT: Duration = Duration::from_secs(10);

struct Authority {
    iaca: Iaca,
    signer: DocumentSigner,
}

fn authority() -> Authority {
    let iaca = Iaca::generate("CN", "test IACA", NOW - DAY, NOW + 3650 * DAY).unwrap();
    let signer = iaca.issue_signer("test DS", NOW - DAY, NOW + 450 * DAY).unwrap();
    Authority { iaca, signer }
}

fn key_store(dir: &tempfile::TempDir, name: &str) -> SoftwareKeyStore {
    let fast = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
    SoftwareKeyStore::create(dir.path().join(name), b"pass", fast).unwrap()
}

/// Citizen `n`'s licence as an mdoc, bound to `device_key`.
fn licence_mdoc(signer: &DocumentSigner, n: u32, device_key: &[u8]) -> Vec<u8> {
    let citizen = synthetic::citizen(n);
    let licence = citizen
        .documents
        .iter()
        .find_map(|c| match c {
            Claims::DrivingLicence(l) => Some(l.clone()),
            _ => None,
        })
        .unwrap();
    let card = citizen.documents.iter().find_map(|c| match c {
        Claims::ResidentIdCard(card) => Some(card.clone()),
        _ => None,
    });
    let portrait = idwallet_core::documents::portrait::to_jpeg(&citizen.portrait).unwrap();
    let data = LicenceData {
        licence: &licence,
        id_card: card.as_ref(),
        portrait_jpeg: &portrait,
        issuing_country: "CN",
        issuing_authority: "test authority",
    };
    issue_mdl(signer, &data, device_key, NOW - DAY, NOW + 30 * DAY).unwrap()
}

fn licence_number(n: u32) -> String {
    synthetic::citizen(n)
        .documents
        .iter()
        .find_map(|c| match c {
            Claims::DrivingLicence(l) => Some(l.licence_number.clone()),
            _ => None,
        })
        .unwrap()
}

/// A holder with `policy` and a reader: engagement, request, consent (everything
/// allowed), response. Returns the reader (to verify with) and the SessionData it got.
fn road_check(
    mdoc: &[u8],
    keys: &dyn KeyStore,
    policy: ReaderPolicy,
) -> (ReaderSession, Vec<u8>, idwallet_core::mdl::holder::ConsentRequest) {
    let (mut phone, mut police) = memory_pair();
    let ble = RetrievalMethod::Ble { peripheral_server: Some([7; 16]), central_client: None };
    let mut holder = HolderSession::new(policy, vec![ble]).unwrap();
    let uri = holder.engagement().to_uri();
    assert!(uri.starts_with("mdoc:"));

    let mut reader = ReaderSession::from_uri(&uri).unwrap();
    police.send(reader.request(&road_check_request()).unwrap()).unwrap();
    let consent = holder.receive_request(&phone.receive(WAIT).unwrap()).unwrap();
    phone.send(holder.respond(mdoc, &consent.allowed(), keys).unwrap()).unwrap();
    (reader, police.receive(WAIT).unwrap(), consent)
}

fn roots(a: &Authority) -> Vec<Vec<u8>> {
    vec![a.iaca.certificate().to_vec()]
}

#[test]
fn a_police_reader_verifies_the_licence_over_an_in_memory_transport() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());
    let (mut reader, answer, consent) = road_check(&mdoc, &keys, ReaderPolicy::police());

    assert_eq!(consent.elements.len(), road_check_request().len());
    assert!(consent.elements.iter().all(|e| e.allowed && !e.intent_to_retain));
    let verdict = reader.receive(&answer, Anchors::Iaca(&roots(&a)), NOW).unwrap();
    assert_eq!(verdict.not_returned, vec![]);
    let doc = &verdict.documents[0];
    assert_eq!(doc.device_key, keys.device_public_key().unwrap());
    let citizen = synthetic::citizen(3);
    let Some(Claims::DrivingLicence(licence)) =
        citizen.documents.iter().find(|c| matches!(c, Claims::DrivingLicence(_)))
    else {
        panic!("citizen 3 has a licence")
    };
    assert_eq!(doc.element(MDL_NAMESPACE, "document_number"), Some(&Value::Text(licence.licence_number.clone())));
    assert_eq!(doc.element(CN_NAMESPACE, "points"), Some(&Value::from(licence.points)));
    assert!(
        matches!(doc.element(MDL_NAMESPACE, "portrait"), Some(Value::Bytes(jpeg)) if jpeg.starts_with(&[0xff, 0xd8]))
    );
    assert!(matches!(doc.element(MDL_NAMESPACE, "birth_date"), Some(Value::Tag(1004, _))));
    // Exactly what was asked: nothing more disclosed.
    assert_eq!(doc.elements.len(), road_check_request().len());
    assert_eq!(doc.element(MDL_NAMESPACE, "sex"), None);
}

#[test]
fn the_exported_issuer_signed_verifies_alone_under_the_iaca() {
    let a = authority();
    let device = idwallet_core::mdl::engagement::DeviceEngagement::new(&p256_point(), vec![]).unwrap();
    let mdoc = licence_mdoc(&a.signer, 5, &device.e_device_key);
    let doc = verify_issuer_signed(&mdoc, Anchors::Iaca(&roots(&a)), NOW).unwrap();
    assert!(doc.elements.len() >= 15, "{}", doc.elements.len());
    assert_eq!(doc.element(MDL_NAMESPACE, "issuing_country"), Some(&Value::Text("CN".into())));
    // The MSO's validity, and the root's (before both the root and its DS were valid).
    assert_eq!(verify_issuer_signed(&mdoc, Anchors::Iaca(&roots(&a)), NOW + 31 * DAY), Err(MdlError::NotValidNow));
    assert_eq!(verify_issuer_signed(&mdoc, Anchors::Iaca(&roots(&a)), NOW - 2 * DAY), Err(MdlError::RootNotValid));
}

/// Some valid P-256 point (from a fresh engagement's ephemeral key).
fn p256_point() -> Vec<u8> {
    let holder = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    holder.engagement().e_device_key.clone()
}

/// The decrypted DeviceResponse of a road check, and its reader.
fn opened_response(mdoc: &[u8], keys: &dyn KeyStore) -> (ReaderSession, Vec<u8>) {
    let (mut reader, answer, _) = road_check(mdoc, keys, ReaderPolicy::police());
    let response = reader.open(&answer).unwrap();
    (reader, response)
}

/// Replace the first occurrence of `from` in `bytes` with `to` (same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the bytes are there");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

/// The `#6.24` IssuerSignedItem of `element` in a DeviceResponse or IssuerSigned, as bytes.
fn item_bytes(cbor: &[u8], element: &str) -> Vec<u8> {
    fn find(v: &Value, element: &str) -> Option<Vec<u8>> {
        match v {
            Value::Tag(24, inner) => {
                let bytes = inner.as_bytes()?;
                let decoded: Value = ciborium::from_reader(bytes.as_slice()).ok()?;
                let is_it = decoded
                    .as_map()?
                    .iter()
                    .any(|(k, v)| k.as_text() == Some("elementIdentifier") && v.as_text() == Some(element));
                is_it.then(|| {
                    let mut out = Vec::new();
                    ciborium::into_writer(v, &mut out).unwrap();
                    out
                })
            }
            Value::Map(m) => m.iter().find_map(|(_, v)| find(v, element)),
            Value::Array(a) => a.iter().find_map(|v| find(v, element)),
            _ => None,
        }
    }
    find(&ciborium::from_reader(cbor).unwrap(), element).expect("the element is there")
}

#[test]
fn tampered_spliced_replayed_and_untrusted_responses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());
    let roots = roots(&a);
    let trusted = Anchors::Iaca(&roots);
    let (reader, response) = opened_response(&mdoc, &keys);
    assert!(reader.verify(&response, trusted, NOW).is_ok());
    let digest_mismatch = |element: &str| {
        Err::<VerifiedResponse, _>(MdlError::DigestMismatch {
            namespace: MDL_NAMESPACE.into(),
            element: element.into(),
        })
    };

    // A tampered element value under a valid issuerAuth: one digit of the licence number.
    let number = item_bytes(&response, "document_number");
    let digits = licence_number(3);
    let last = if digits.ends_with('0') { "1" } else { "0" };
    let forged_digits = format!("{}{last}", &digits[..digits.len() - 1]);
    let forged_item = replaced(&number, digits.as_bytes(), forged_digits.as_bytes());
    assert_eq!(
        reader.verify(&replaced(&response, &number, &forged_item), trusted, NOW),
        digest_mismatch("document_number")
    );

    // The same element taken from another citizen's mdoc (same signer, same device).
    let other = licence_mdoc(&a.signer, 4, &keys.device_public_key().unwrap());
    let theirs = item_bytes(&other, "family_name");
    let ours = item_bytes(&response, "family_name");
    if theirs.len() == ours.len() {
        assert_eq!(reader.verify(&replaced(&response, &ours, &theirs), trusted, NOW), digest_mismatch("family_name"));
    }
    let theirs = item_bytes(&other, "document_number");
    assert_eq!(theirs.len(), number.len());
    assert_eq!(reader.verify(&replaced(&response, &number, &theirs), trusted, NOW), digest_mismatch("document_number"));

    // A non-canonical re-encoding inside a signed item (a text length in a longer form):
    // the same value, other signed bytes — not what the issuer signed.
    let decoded: Value = ciborium::from_reader(&number[2..]).unwrap();
    let Value::Bytes(inner) = decoded else { panic!("an IssuerSignedItemBytes is a byte string") };
    let short = [&[0x71u8][..], b"elementIdentifier"].concat();
    let long = [&[0x78u8, 0x11][..], b"elementIdentifier"].concat();
    let at = position(&inner, &short);
    let stretched = [&inner[..at], &long[..], &inner[at + short.len()..]].concat();
    let mut item = Vec::new();
    ciborium::into_writer(&Value::Tag(24, Box::new(Value::Bytes(stretched))), &mut item).unwrap();
    let at = position(&response, &number);
    let re_encoded = [&response[..at], &item[..], &response[at + number.len()..]].concat();
    assert_eq!(reader.verify(&re_encoded, trusted, NOW), digest_mismatch("document_number"));
    // The byte string around the item in a longer length form: the bytes inside, which the
    // digest covers, are unchanged, so it still verifies (the wrapper is not signed).
    let mut wrapper = vec![0xd8, 0x18, 0x59];
    wrapper.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    wrapper.extend_from_slice(&inner);
    let rewrapped = [&response[..at], &wrapper[..], &response[at + number.len()..]].concat();
    assert!(reader.verify(&rewrapped, trusted, NOW).is_ok());

    // Replayed into another session: the device signature is over the other transcript.
    let (other_reader, _) = opened_response(&mdoc, &keys);
    assert_eq!(other_reader.verify(&response, trusted, NOW), Err(MdlError::BadDeviceAuth));

    // A document signer not issued by a trusted IACA.
    let stranger = authority();
    assert_eq!(
        reader.verify(&response, Anchors::Iaca(&[stranger.iaca.certificate().to_vec()]), NOW),
        Err(MdlError::UntrustedSigner)
    );
    assert_eq!(reader.verify(&response, Anchors::Iaca(&[]), NOW), Err(MdlError::UntrustedSigner));
    // The DS certificate itself offered as the root: not a CA, and it did not sign itself.
    let ds_as_root = vec![a.signer.certificate().to_vec()];
    assert!(matches!(
        reader.verify(&response, Anchors::Iaca(&ds_as_root), NOW),
        Err(MdlError::UntrustedSigner | MdlError::CertificateProfile { .. })
    ));
    // An expired document signer (and a root no longer valid).
    let old_iaca = Iaca::generate("CN", "old IACA", NOW - 900 * DAY, NOW + 3650 * DAY).unwrap();
    let expired = old_iaca.issue_signer("old DS", NOW - 900 * DAY, NOW - 440 * DAY).unwrap();
    let expired_mdoc = licence_mdoc(&expired, 3, &keys.device_public_key().unwrap());
    let (expired_reader, expired_response) = opened_response(&expired_mdoc, &keys);
    let old_roots = vec![old_iaca.certificate().to_vec()];
    assert_eq!(
        expired_reader.verify(&expired_response, Anchors::Iaca(&old_roots), NOW),
        Err(MdlError::CertificateNotValid)
    );
    assert_eq!(reader.verify(&response, trusted, NOW + 3651 * DAY), Err(MdlError::RootNotValid));

    // A device key other than the one the mdoc is bound to signs the session.
    let thief = key_store(&dir, "thief.keys");
    let (mut stolen_reader, stolen_answer, _) = road_check(&mdoc, &thief, ReaderPolicy::police());
    assert_eq!(stolen_reader.receive(&stolen_answer, trusted, NOW).map(|_| ()), Err(MdlError::BadDeviceAuth));

    // Truncated at every length, oversized, repeated keys: typed, never a panic.
    for len in (0..response.len()).step_by(97) {
        assert!(reader.verify(&response[..len], trusted, NOW).is_err(), "{len}");
    }
    let huge = vec![0x40u8; idwallet_core::mdl::MAX_MESSAGE_BYTES + 1];
    assert!(matches!(reader.verify(&huge, trusted, NOW), Err(MdlError::TooLarge { .. })));
    let duplicate = [vec![0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02]].concat();
    assert_eq!(reader.verify(&duplicate, trusted, NOW), Err(MdlError::DuplicateKey));
    let deep = [vec![0x81; 10_000], vec![0x00]].concat();
    assert!(matches!(reader.verify(&deep, trusted, NOW), Err(MdlError::Malformed { .. })));
}

fn position(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn a_reader_asking_for_more_than_its_policy_gets_only_what_is_allowed_and_cannot_be_given_more() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());

    // An age-check reader asks for the whole road check.
    let mut holder = HolderSession::new(ReaderPolicy::age_check(), vec![]).unwrap();
    let mut reader = ReaderSession::from_uri(&holder.engagement().to_uri()).unwrap();
    let mut wanted = road_check_request();
    wanted.push((MDL_NAMESPACE.into(), "age_over_18".into(), true));
    let consent = holder.receive_request(&reader.request(&wanted).unwrap()).unwrap();
    let allowed: Vec<_> = consent.elements.iter().filter(|e| e.allowed).map(|e| e.element.as_str()).collect();
    assert_eq!(allowed, ["portrait", "age_over_18"]);
    assert!(consent.elements.iter().any(|e| e.element == "age_over_18" && e.intent_to_retain));

    // The holder's app cannot approve a forbidden element, nor one not asked for.
    let forbidden = vec![(MDL_NAMESPACE.to_owned(), "document_number".to_owned())];
    assert_eq!(
        holder.respond(&mdoc, &forbidden, &keys),
        Err(MdlError::NotAllowed { namespace: MDL_NAMESPACE.into(), element: "document_number".into() })
    );
    let unasked = vec![(MDL_NAMESPACE.to_owned(), "sex".to_owned())];
    assert!(matches!(holder.respond(&mdoc, &unasked, &keys), Err(MdlError::NotAllowed { .. })));

    let answer = holder.respond(&mdoc, &consent.allowed(), &keys).unwrap();
    let verdict = reader.receive(&answer, Anchors::Iaca(&roots(&a)), NOW).unwrap();
    let given: Vec<&str> = verdict.documents[0].elements.iter().map(|(_, e, _)| e.as_str()).collect();
    assert_eq!(given.len(), 2, "{given:?}");
    assert!(given.contains(&"portrait") && given.contains(&"age_over_18"));
    assert_eq!(verdict.not_returned.len(), wanted.len() - 2);
    assert!(verdict.not_returned.contains(&(MDL_NAMESPACE.into(), "document_number".into())));
}

#[test]
fn sessions_refuse_wrong_keys_wrong_order_and_a_declined_request_ends_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());

    // A SessionEstablishment made for another holder's engagement: its data does not decrypt here.
    let mut holder = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    let other = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    let mut wrong_reader = ReaderSession::from_uri(&other.engagement().to_uri()).unwrap();
    assert_eq!(holder.receive_request(&wrong_reader.request(&road_check_request()).unwrap()), Err(MdlError::Decrypt));

    // Out of order: answering before a request; a second request; a reader receiving twice.
    let mut fresh = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    assert_eq!(fresh.respond(&mdoc, &[], &keys), Err(MdlError::OutOfOrder));
    let mut reader = ReaderSession::from_uri(&fresh.engagement().to_uri()).unwrap();
    let establishment = reader.request(&road_check_request()).unwrap();
    assert_eq!(reader.request(&road_check_request()), Err(MdlError::OutOfOrder));
    fresh.receive_request(&establishment).unwrap();
    assert_eq!(fresh.receive_request(&establishment), Err(MdlError::OutOfOrder));

    // Declined: the reader learns the session ended, and nothing else.
    let declined = fresh.decline();
    assert_eq!(
        reader.receive(&declined, Anchors::Iaca(&roots(&a)), NOW).map(|_| ()),
        Err(MdlError::Terminated { status: 20 })
    );
    assert_eq!(reader.receive(&declined, Anchors::Iaca(&roots(&a)), NOW).map(|_| ()), Err(MdlError::OutOfOrder));

    // The reader's answer decrypted with another session's keys.
    let (_, answer, _) = road_check(&mdoc, &keys, ReaderPolicy::police());
    let mut unrelated_holder = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    let mut unrelated = ReaderSession::from_uri(&unrelated_holder.engagement().to_uri()).unwrap();
    unrelated_holder.receive_request(&unrelated.request(&road_check_request()).unwrap()).unwrap();
    assert_eq!(unrelated.receive(&answer, Anchors::Iaca(&roots(&a)), NOW).map(|_| ()), Err(MdlError::Decrypt));
}

#[test]
fn engagements_round_trip_and_bad_ones_are_typed_errors() {
    let ble = RetrievalMethod::Ble { peripheral_server: Some([1; 16]), central_client: Some([2; 16]) };
    let nfc = RetrievalMethod::Nfc { max_command: 255, max_response: 256 };
    let holder = HolderSession::new(ReaderPolicy::police(), vec![ble.clone(), nfc.clone()]).unwrap();
    let read = DeviceEngagement::from_uri(&holder.engagement().to_uri()).unwrap();
    assert_eq!(&read, holder.engagement());
    assert_eq!(read.methods, vec![ble, nfc]);

    for bad in ["", "mdoc:", "mdoc:!!!", "http://example", "mdoc:oQBjMS4w", &format!("mdoc:{}", "A".repeat(20_000))] {
        assert!(DeviceEngagement::from_uri(bad).is_err(), "{bad}");
    }
    // Every truncation of a valid engagement.
    let bytes = holder.engagement().bytes();
    for len in 0..bytes.len() {
        assert!(DeviceEngagement::from_bytes(&bytes[..len]).is_err(), "{len}");
    }
    // A key that is not on the curve.
    let mut off_curve = bytes.to_vec();
    let x_at = position(&off_curve, &holder.engagement().e_device_key[1..9]);
    off_curve[x_at] ^= 1;
    assert!(DeviceEngagement::from_bytes(&off_curve).is_err());
}

#[test]
fn roots_are_read_as_der_or_pem_and_anything_else_is_a_typed_error() {
    use base64::Engine;
    let a = authority();
    let der = a.iaca.certificate().to_vec();
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"));
    assert_eq!(idwallet_core::mdl::iaca::read_root(&der), Ok(der.clone()));
    assert_eq!(idwallet_core::mdl::iaca::read_root(pem.as_bytes()), Ok(der.clone()));
    for bad in [
        &b""[..],
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
        &der[..der.len() - 1],
    ] {
        assert_eq!(idwallet_core::mdl::iaca::read_root(bad), Err(MdlError::BadRoot));
    }
    // A root that is not a certificate, among the reader's roots: said as such.
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());
    assert_eq!(verify_issuer_signed(&mdoc, Anchors::Iaca(&[b"junk".to_vec()]), NOW), Err(MdlError::BadRoot));
}

/// Found by the privacy audit's byte flips: a misspelt `nameSpaces` once read as "nothing
/// disclosed", and the response verified with no element and no word of what was missing.
#[test]
fn an_altered_map_key_or_payload_slot_is_refused_and_missing_elements_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let roots = roots(&a);
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());
    let (reader, response) = opened_response(&mdoc, &keys);
    let key = [&[0x6au8][..], b"nameSpaces"].concat();
    // The IssuerSigned's nameSpaces comes after issuerAuth; DeviceSigned's comes first.
    let issuer_names = response.windows(key.len()).rposition(|w| w == key).unwrap();
    let mut misspelt = response.clone();
    misspelt[issuer_names + 1] ^= 1;
    assert!(matches!(reader.verify(&misspelt, Anchors::Iaca(&roots), NOW), Err(MdlError::Malformed { .. })));

    // A holder that answers with less than asked, without saying so: the reader is told.
    let mut holder = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    let mut reader = ReaderSession::from_uri(&holder.engagement().to_uri()).unwrap();
    let consent = holder.receive_request(&reader.request(&road_check_request()).unwrap()).unwrap();
    let some: Vec<_> = consent.allowed().into_iter().take(3).collect();
    let answer = holder.respond(&mdoc, &some, &keys).unwrap();
    let verdict = reader.receive(&answer, Anchors::Iaca(&roots), NOW).unwrap();
    assert_eq!(verdict.documents[0].elements.len(), 3);
    assert_eq!(verdict.not_returned.len(), road_check_request().len() - 3);
}

/// Found from outside through the bindings: approving nothing sent the whole MSO (the device
/// key links sessions); an upper-case `MDOC:` (a QR code's alphanumeric mode) was refused.
#[test]
fn approving_nothing_declines_and_the_uri_scheme_is_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_store(&dir, "phone.keys");
    let a = authority();
    let mdoc = licence_mdoc(&a.signer, 3, &keys.device_public_key().unwrap());
    let mut holder = HolderSession::new(ReaderPolicy::police(), vec![]).unwrap();
    let upper = holder.engagement().to_uri().replacen("mdoc:", "MDOC:", 1);
    let mut reader = ReaderSession::from_uri(&upper).unwrap();
    holder.receive_request(&reader.request(&road_check_request()).unwrap()).unwrap();
    let answer = holder.respond(&mdoc, &[], &keys).unwrap();
    let device_key = keys.device_public_key().unwrap();
    assert!(!answer.windows(32).any(|w| w == &device_key[1..33]), "the device key left the phone");
    assert_eq!(
        reader.receive(&answer, Anchors::Iaca(&roots(&a)), NOW).map(|_| ()),
        Err(MdlError::Terminated { status: 20 })
    );
    assert!(DeviceEngagement::from_uri("mdocx:AAAA").is_err() && DeviceEngagement::from_uri("mdo").is_err());
}
