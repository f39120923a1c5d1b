//! RFC 9421 Appendix B and RFC 9530 vectors (../shared/vectors/http-sig), and the attacks
//! the signed client must refuse.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use idwallet_core::net::digest::{content_digest, verify_content_digest};
use idwallet_core::net::httpsig::{self, Message, NewSignature, VerifyKey};
use idwallet_core::net::NetError;
use idwallet_core::platform::KdfParams;
use idwallet_core::{KeyStore, SoftwareKeyStore};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/http-sig")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).unwrap()
}

fn b64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn jwk(name: &str) -> Json {
    serde_json::from_str(&read(&format!("keys/{name}.jwk.json"))).unwrap()
}

/// Headers of an `.http` file (first line apart), and its body.
fn parse_http(text: &str) -> (String, Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    let first = lines.next().unwrap().to_owned();
    let headers = lines.map(|l| l.split_once(": ").unwrap()).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    (first, headers, body.trim_end_matches('\n').to_owned())
}

fn cases() -> Vec<Json> {
    let v: Json = serde_json::from_str(&read("rfc9421_appendix_b_vectors.json")).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn case(label: &str) -> Json {
    cases().into_iter().find(|c| c["label"] == label).unwrap()
}

fn header_value(c: &Json, field: &str) -> String {
    c[field].as_str().unwrap().split_once(": ").unwrap().1.to_owned()
}

const TARGET: &str = "https://example.com/foo?param=Value&Pet=dog";

fn with_request<T>(f: impl FnOnce(&Message<'_>) -> T) -> T {
    let (_, headers, _) = parse_http(&read("test-request.http"));
    f(&Message { method: Some("POST"), target_uri: Some(TARGET), status: None, headers: &headers })
}

/// The RFC's test response, with the correct Content-Digest of its body (the printed one is
/// stale; sig-b24's base uses the correct value — see the vectors' README).
fn response_headers() -> Vec<(String, String)> {
    let (_, mut headers, body) = parse_http(&read("test-response.http"));
    for (k, v) in &mut headers {
        if k == "Content-Digest" {
            assert_eq!(
                verify_content_digest(v, body.as_bytes()),
                Err(NetError::DigestMismatch),
                "printed digest is stale"
            );
            let sha512 = ring::digest::digest(&ring::digest::SHA512, body.as_bytes());
            *v = format!("sha-512=:{}:", base64::engine::general_purpose::STANDARD.encode(sha512));
        }
    }
    headers
}

#[test]
fn signature_bases_match_appendix_b_exactly() {
    for label in ["sig-b21", "sig-b22", "sig-b23", "sig-b25", "sig-b26"] {
        let c = case(label);
        let base =
            with_request(|m| httpsig::signature_base(m, None, &header_value(&c, "signature_input_header"), label))
                .unwrap();
        assert_eq!(base, c["signature_base"].as_str().unwrap(), "{label}");
    }
    let c = case("sig-b24");
    let headers = response_headers();
    let msg = Message { method: None, target_uri: None, status: Some(200), headers: &headers };
    let base = httpsig::signature_base(&msg, None, &header_value(&c, "signature_input_header"), "sig-b24").unwrap();
    assert_eq!(base, c["signature_base"].as_str().unwrap());
}

#[test]
fn appendix_b_signatures_verify() {
    let rsa = jwk("test-key-rsa-pss");
    let (n, e) = (b64url(rsa["n"].as_str().unwrap()), b64url(rsa["e"].as_str().unwrap()));
    for label in ["sig-b21", "sig-b22", "sig-b23"] {
        let c = case(label);
        let params = with_request(|m| {
            httpsig::verify(
                m,
                None,
                &header_value(&c, "signature_input_header"),
                &header_value(&c, "signature_header"),
                label,
                VerifyKey::RsaPssSha512 { n: &n, e: &e },
            )
        })
        .unwrap_or_else(|err| panic!("{label}: {err}"));
        assert_eq!(params.keyid.as_deref(), Some("test-key-rsa-pss"));
        assert_eq!(params.created, Some(1_618_884_473));
    }
    let p256 = jwk("test-key-ecc-p256");
    let point = [vec![4], b64url(p256["x"].as_str().unwrap()), b64url(p256["y"].as_str().unwrap())].concat();
    let c = case("sig-b24");
    let headers = response_headers();
    let msg = Message { method: None, target_uri: None, status: Some(200), headers: &headers };
    let sig = header_value(&c, "signature_header");
    let input = header_value(&c, "signature_input_header");
    httpsig::verify(&msg, None, &input, &sig, "sig-b24", VerifyKey::EcdsaP256Sha256(&point)).unwrap();
    // The same signature over the response as printed (stale digest) must fail.
    let (_, printed, _) = parse_http(&read("test-response.http"));
    let stale = Message { headers: &printed, ..msg };
    assert_eq!(
        httpsig::verify(&stale, None, &input, &sig, "sig-b24", VerifyKey::EcdsaP256Sha256(&point)),
        Err(NetError::BadSignature)
    );

    // ttrp and transform sign other messages: check their signatures over the printed bases.
    let printed = |label: &str| {
        let c = case(label);
        let sig = b64(header_value(&c, "signature_header").split_once("=:").unwrap().1.trim_end_matches(':'));
        (c["signature_base"].as_str().unwrap().to_owned(), sig)
    };
    let (base, sig) = printed("ttrp");
    let ecdsa = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point);
    assert!(ecdsa.verify(base.as_bytes(), &sig).is_ok(), "ttrp");
    let (base, sig) = printed("transform");
    let ed = b64url(jwk("test-key-ed25519")["x"].as_str().unwrap());
    let ed = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &ed);
    assert!(ed.verify(base.as_bytes(), &sig).is_ok(), "transform");
}

#[test]
fn deterministic_algorithms_regenerate_the_rfc_signatures_byte_for_byte() {
    // B.2.5 HMAC-SHA256 with the shared secret.
    let secret = b64(&read("keys/test-shared-secret.b64"));
    let c = case("sig-b25");
    let (input, sig) = with_request(|m| {
        let new = NewSignature {
            components: &["\"date\"", "\"@authority\"", "\"content-type\""],
            created: 1_618_884_473,
            keyid: "test-shared-secret",
            ..Default::default()
        };
        httpsig::sign(m, None, "sig-b25", &new, |base| {
            Ok(ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret), base).as_ref().to_vec())
        })
    })
    .unwrap();
    assert_eq!(input, header_value(&c, "signature_input_header"));
    assert_eq!(sig, header_value(&c, "signature_header"));

    // B.2.6 Ed25519.
    let ed = jwk("test-key-ed25519");
    let pair = ring::signature::Ed25519KeyPair::from_seed_and_public_key(
        &b64url(ed["d"].as_str().unwrap()),
        &b64url(ed["x"].as_str().unwrap()),
    )
    .unwrap();
    let c = case("sig-b26");
    let (input, sig) = with_request(|m| {
        let new = NewSignature {
            components: &[
                "\"date\"",
                "\"@method\"",
                "\"@path\"",
                "\"@authority\"",
                "\"content-type\"",
                "\"content-length\"",
            ],
            created: 1_618_884_473,
            keyid: "test-key-ed25519",
            ..Default::default()
        };
        httpsig::sign(m, None, "sig-b26", &new, |base| Ok(pair.sign(base).as_ref().to_vec()))
    })
    .unwrap();
    assert_eq!(input, header_value(&c, "signature_input_header"));
    assert_eq!(sig, header_value(&c, "signature_header"));
}

#[test]
fn rfc_9530_content_digests() {
    let v: Json = serde_json::from_str(&read("rfc9530_content_digest_vectors.json")).unwrap();
    let mut checked = 0;
    for c in v["cases"].as_array().unwrap() {
        checked += 1;
        let body = match (c["body_utf8"].as_str(), c["body_hex"].as_str()) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(hex)) => hex::decode(hex).unwrap(),
            _ => panic!("case without a body"),
        };
        let body = body.as_slice();
        let Some(sha256) = c["expected"]["sha-256"].as_str() else { continue };
        assert_eq!(content_digest(body), format!("sha-256={sha256}"));
        verify_content_digest(&format!("sha-256={sha256}"), body).unwrap();
        if let Some(sha512) = c["expected"]["sha-512"].as_str() {
            verify_content_digest(&format!("sha-512={sha512}, sha-256={sha256}"), body).unwrap();
        }
        assert_eq!(verify_content_digest(&format!("sha-256={sha256}"), b"tampered"), Err(NetError::DigestMismatch));
    }
    assert_eq!(checked, 6);
    assert_eq!(verify_content_digest("md5=:AAAA:", b""), Err(NetError::DigestUnsupported));
    assert!(matches!(verify_content_digest("sha-256=notbytes", b""), Err(NetError::BadHeader { .. })));
    assert!(matches!(verify_content_digest("((", b""), Err(NetError::BadHeader { .. })));
}

/// idwallet's own profile: the device signs the request through its key store; the server
/// signs the response binding the request's signature.
#[test]
fn idwallet_request_and_bound_response_round_trip_and_resist_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let device: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(tmp.path().join("d"), b"p", fast).unwrap());
    let server: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(tmp.path().join("s"), b"p", fast).unwrap());
    let body = br#"{"provider":"sesame"}"#;
    let req_headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Content-Digest".to_owned(), content_digest(body)),
    ];
    let target = "http://127.0.0.1:8080/v1/score?provider=sesame";
    let request = Message { method: Some("POST"), target_uri: Some(target), status: None, headers: &req_headers };
    let new = NewSignature {
        components: &["\"@method\"", "\"@target-uri\"", "\"content-digest\"", "\"content-type\""],
        created: 1_795_000_000,
        expires: None,
        nonce: Some("n-0001"),
        keyid: "device-42",
        tag: Some("idwallet"),
        alg: None,
    };
    let (input, sig) = httpsig::sign(&request, None, "idw", &new, |b| Ok(device.sign(b)?)).unwrap();
    let input = input.split_once('=').map(|(_, v)| format!("idw={v}")).unwrap();
    let device_key = device.device_public_key().unwrap();
    let params = httpsig::verify(&request, None, &input, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)).unwrap();
    assert_eq!(
        (params.nonce.as_deref(), params.tag.as_deref(), params.keyid.as_deref()),
        (Some("n-0001"), Some("idwallet"), Some("device-42"))
    );

    // Tampering: another target, another body digest, another key, another label.
    let moved = Message { target_uri: Some("http://127.0.0.1:8080/v1/score?provider=paypoint"), ..request };
    assert_eq!(
        httpsig::verify(&moved, None, &input, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::BadSignature)
    );
    let mut rebodied_headers = req_headers.clone();
    rebodied_headers[1].1 = content_digest(b"{}");
    let rebodied = Message { headers: &rebodied_headers, ..request };
    assert_eq!(
        httpsig::verify(&rebodied, None, &input, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::BadSignature)
    );
    let server_key = server.device_public_key().unwrap();
    assert_eq!(
        httpsig::verify(&request, None, &input, &sig, "idw", VerifyKey::EcdsaP256Sha256(&server_key)),
        Err(NetError::BadSignature)
    );
    assert!(matches!(
        httpsig::verify(&request, None, &input, &sig, "other", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::NoSignature { .. })
    ));
    let hmac_claim = input.replace(";keyid", ";alg=\"hmac-sha256\";keyid");
    assert_eq!(
        httpsig::verify(&request, None, &hmac_claim, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::UnsupportedAlgorithm)
    );
    let sf = input.replace("\"content-type\"", "\"content-type\";sf");
    assert!(matches!(
        httpsig::verify(&request, None, &sf, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::Unsupported { .. })
    ));
    let absent = input.replace("\"content-type\"", "\"x-absent\"");
    assert!(matches!(
        httpsig::verify(&request, None, &absent, &sig, "idw", VerifyKey::EcdsaP256Sha256(&device_key)),
        Err(NetError::MissingComponent { .. })
    ));

    // The response binds the request's signature: replayed onto another request it fails.
    let mut req_with_sig = req_headers.clone();
    req_with_sig.push(("Signature".into(), sig.clone()));
    req_with_sig.push(("Signature-Input".into(), input.clone()));
    let signed_request = Message { headers: &req_with_sig, ..request };
    let resp_body = br#"{"score":712}"#;
    let resp_headers = vec![("Content-Digest".to_owned(), content_digest(resp_body))];
    let response = Message { method: None, target_uri: None, status: Some(200), headers: &resp_headers };
    let rnew = NewSignature {
        components: &["\"@status\"", "\"content-digest\"", "\"signature\";req"],
        created: 1_795_000_001,
        keyid: "server",
        tag: Some("idwallet"),
        ..Default::default()
    };
    let (rinput, rsig) =
        httpsig::sign(&response, Some(&signed_request), "idw", &rnew, |b| Ok(server.sign(b)?)).unwrap();
    httpsig::verify(&response, Some(&signed_request), &rinput, &rsig, "idw", VerifyKey::EcdsaP256Sha256(&server_key))
        .unwrap();
    let mut other_req = req_with_sig.clone();
    other_req.iter_mut().find(|(k, _)| k == "Signature").unwrap().1 = "idw=:AAAA:".into();
    let other = Message { headers: &other_req, ..signed_request };
    assert_eq!(
        httpsig::verify(&response, Some(&other), &rinput, &rsig, "idw", VerifyKey::EcdsaP256Sha256(&server_key)),
        Err(NetError::BadSignature)
    );
    assert!(matches!(
        httpsig::verify(&response, None, &rinput, &rsig, "idw", VerifyKey::EcdsaP256Sha256(&server_key)),
        Err(NetError::MissingComponent { .. })
    ));
}
