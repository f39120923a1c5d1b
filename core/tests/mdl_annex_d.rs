//! ISO/IEC 18013-5 Annex D (`../shared/vectors/mdl`, transcribed by isomdl and multipaz; its
//! README says what each file is): session keys, the reader's request decrypted, the
//! device's response verified — and the attacks on each, each refused with a typed reason.

use std::path::PathBuf;

use ciborium::Value;
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::response::{verify_device_response, Session, VerifiedResponse};
use idwallet_core::mdl::session::{ecdh, Sender, SessionKeys};
use idwallet_core::mdl::{MdlError, MDL_DOCTYPE, MDL_NAMESPACE};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/mdl")
}

fn hex_file(path: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    hex::decode(text.split_whitespace().collect::<String>()).unwrap()
}

fn constant(name: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("annex_d_multipaz_constants.json")).unwrap()).unwrap();
    hex::decode(json[name].as_str().unwrap_or_else(|| panic!("{name}"))).unwrap()
}

fn expected(name: &str) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("annex_d_expected.json")).unwrap()).unwrap();
    json[name].clone()
}

fn session_file(name: &str) -> Vec<u8> {
    hex_file(&format!("isomdl/test/definitions/session/{name}"))
}

fn point(prefix: &str) -> Vec<u8> {
    [vec![4], constant(&format!("{prefix}_X")), constant(&format!("{prefix}_Y"))].concat()
}

fn e_reader_public() -> Vec<u8> {
    point("ISO_18013_5_ANNEX_D_EPHEMERAL_READER_KEY")
}

fn transcript() -> Vec<u8> {
    session_file("session_transcript.cbor")
}

/// 2021-01-01: inside the Annex D document signer's and MSO's validity (2020-10-01 … 2021-10-01).
const IN_VALIDITY: i64 = 1_609_459_200;

fn reader_session<'a>(transcript: &'a [u8], e_reader: &'a [u8]) -> Session<'a> {
    Session { transcript_bytes: transcript, e_reader_private: e_reader }
}

/// Annex D publishes its document signer but not the IACA root above it: pinned.
fn annex_d_signer() -> Vec<u8> {
    std::fs::read(dir().join("annex_d_ds_cert.der")).unwrap()
}

fn verify(response: &[u8], session: &Session<'_>, at: i64) -> Result<VerifiedResponse, MdlError> {
    verify_device_response(response, session, Anchors::DocumentSigner(&annex_d_signer()), at)
}

#[test]
fn annex_d_session_keys_derive_from_the_ephemeral_keys_and_transcript() {
    let e_device = session_file("e_device_key.cbor");
    let shared = ecdh(&e_device, &e_reader_public()).unwrap();
    assert_eq!(shared.as_ref(), session_file("shared_secret.cbor").as_slice());
    // Both sides get the same keys: the device from its key and the reader's, the reader
    // from its own and the device's.
    let device = SessionKeys::derive(&e_device, &e_reader_public(), &transcript()).unwrap();
    let reader = SessionKeys::derive(
        &constant("ISO_18013_5_ANNEX_D_EPHEMERAL_READER_KEY_D"),
        &point("ISO_18013_5_ANNEX_D_EPHEMERAL_DEVICE_KEY"),
        &transcript(),
    )
    .unwrap();
    assert_eq!(device.sk_reader.as_ref(), session_file("reader_session_key.cbor").as_slice());
    assert_eq!(hex::encode(device.sk_reader.as_ref()), expected("SKReader").as_str().unwrap());
    assert_eq!(hex::encode(device.sk_device.as_ref()), expected("SKDevice").as_str().unwrap());
    assert_eq!((reader.sk_device, reader.sk_reader), (device.sk_device, device.sk_reader));
}

#[test]
fn annex_d_request_decrypts_with_sk_reader_and_nothing_else() {
    let establishment: Value = ciborium::from_reader(session_file("session_establishment.cbor").as_slice()).unwrap();
    let data = &establishment.as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("data")).unwrap().1;
    let data = data.as_bytes().unwrap();
    let keys = SessionKeys::derive(&session_file("e_device_key.cbor"), &e_reader_public(), &transcript()).unwrap();
    let request = keys.decrypt(Sender::Reader, 1, data).unwrap();
    assert_eq!(request, hex_file("annex_d_device_request.hex"));
    // Another counter, the device's direction, a flipped bit, another session: refused.
    assert_eq!(keys.decrypt(Sender::Reader, 2, data), Err(MdlError::Decrypt));
    assert_eq!(keys.decrypt(Sender::Device, 1, data), Err(MdlError::Decrypt));
    let mut flipped = data.to_vec();
    flipped[10] ^= 1;
    assert_eq!(keys.decrypt(Sender::Reader, 1, &flipped), Err(MdlError::Decrypt));
    let mut other_transcript = transcript();
    *other_transcript.last_mut().unwrap() ^= 1;
    let other = SessionKeys::derive(&session_file("e_device_key.cbor"), &e_reader_public(), &other_transcript).unwrap();
    assert_eq!(other.decrypt(Sender::Reader, 1, data), Err(MdlError::Decrypt));
    // And our own SessionData round-trips in both directions with its counter.
    let sealed = keys.encrypt(Sender::Device, 1, b"DeviceResponse");
    assert_eq!(keys.decrypt(Sender::Device, 1, &sealed).unwrap(), b"DeviceResponse");
    assert_eq!(keys.decrypt(Sender::Reader, 1, &sealed), Err(MdlError::Decrypt));
}

#[test]
fn annex_d_device_response_verifies_issuer_auth_every_digest_and_the_device_mac() {
    let e_reader = constant("ISO_18013_5_ANNEX_D_EPHEMERAL_READER_KEY_D");
    let transcript = transcript();
    let response = hex_file("annex_d_device_response.hex");
    let verified = verify(&response, &reader_session(&transcript, &e_reader), IN_VALIDITY).unwrap();
    assert_eq!(verified.not_returned, vec![]);
    let docs = verified.documents;
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(doc.doc_type, MDL_DOCTYPE);
    assert_eq!(doc.document_signer, std::fs::read(dir().join("annex_d_ds_cert.der")).unwrap());
    assert_eq!(doc.device_key, point("ISO_18013_5_ANNEX_D_STATIC_DEVICE_KEY"));
    let items = expected("issuer_signed_items");
    assert_eq!(doc.elements.len(), items.as_array().unwrap().len());
    assert_eq!(doc.element(MDL_NAMESPACE, "family_name"), Some(&Value::Text("Doe".into())));
    assert_eq!(doc.element(MDL_NAMESPACE, "document_number"), Some(&Value::Text("123456789".into())));
    assert!(matches!(doc.element(MDL_NAMESPACE, "portrait"), Some(Value::Bytes(b)) if b.len() == 1042));
}

/// Replace the first occurrence of `from` in `bytes` with `to` (same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the bytes are in the response");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn annex_d_attacks_are_refused_with_typed_reasons_and_never_panic() {
    let e_reader = constant("ISO_18013_5_ANNEX_D_EPHEMERAL_READER_KEY_D");
    let transcript = transcript();
    let session = reader_session(&transcript, &e_reader);
    let response = hex_file("annex_d_device_response.hex");
    let verify_at = |bytes: &[u8], at: i64| verify(bytes, &session, at);

    // A tampered element value under a valid issuerAuth (the bug isomdl once shipped).
    let tampered = replaced(&response, b"Doe", b"Roe");
    assert_eq!(
        verify_at(&tampered, IN_VALIDITY),
        Err(MdlError::DigestMismatch { namespace: MDL_NAMESPACE.into(), element: "family_name".into() })
    );
    // The same response replayed into another session: the device MAC does not verify.
    let mut other = transcript.clone();
    *other.last_mut().unwrap() ^= 1;
    assert_eq!(verify(&response, &reader_session(&other, &e_reader), IN_VALIDITY), Err(MdlError::BadDeviceAuth));
    // Another reader key (not the session's): the MAC key differs.
    let mut wrong_reader = e_reader.clone();
    wrong_reader[31] ^= 1;
    assert_eq!(
        verify(&response, &reader_session(&transcript, &wrong_reader), IN_VALIDITY),
        Err(MdlError::BadDeviceAuth)
    );
    // Outside the document signer's validity (today, and before it).
    assert_eq!(verify_at(&response, 1_800_000_000), Err(MdlError::CertificateNotValid));
    assert_eq!(verify_at(&response, 1_500_000_000), Err(MdlError::CertificateNotValid));
    // A digest changed inside the signed MSO (to match a forged value): the issuer's
    // signature no longer verifies.
    let forged =
        replaced(&response, &hex::decode("75167333b47b6c2b").unwrap(), &hex::decode("75167333b47b6c2c").unwrap());
    assert_eq!(verify_at(&forged, IN_VALIDITY), Err(MdlError::BadIssuerSignature));
    // The document's docType changed (the MSO signs another).
    let expected_mso = expected("mso_docType");
    assert_eq!(expected_mso.as_str(), Some(MDL_DOCTYPE));
    let doc_type_in_mso = replaced(&response, b"org.iso.18013.5.1.mDL", b"org.iso.18013.5.1.mDX");
    assert!(
        matches!(
            verify_at(&doc_type_in_mso, IN_VALIDITY),
            Err(MdlError::DocTypeMismatch | MdlError::BadIssuerSignature)
        ),
        "{:?}",
        verify_at(&doc_type_in_mso, IN_VALIDITY)
    );
    // Any other pinned signer: not trusted.
    assert_eq!(
        verify_device_response(&response, &session, Anchors::DocumentSigner(b"another"), IN_VALIDITY),
        Err(MdlError::UntrustedSigner)
    );
    // Truncated at every length, and garbage: a typed error, never a panic.
    for len in (0..response.len()).step_by(7) {
        assert!(verify_at(&response[..len], IN_VALIDITY).is_err(), "{len}");
    }
    assert!(matches!(verify_at(b"\xff\x00garbage", IN_VALIDITY), Err(MdlError::Malformed { .. })));
    // Trailing bytes after the response.
    let mut longer = response.clone();
    longer.push(0);
    assert!(matches!(verify_at(&longer, IN_VALIDITY), Err(MdlError::Malformed { .. })));
}
