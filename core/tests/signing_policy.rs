//! idwallet's request/response signing profile: what the server and the client refuse.

use std::sync::Arc;

use idwallet_core::net::digest::content_digest;
use idwallet_core::net::httpsig::{self, Message, NewSignature};
use idwallet_core::net::policy::{self, check_request, check_response, MemoryNonceStore, PolicyError};
use idwallet_core::net::NetError;
use idwallet_core::platform::KdfParams;
use idwallet_core::{KeyStore, SoftwareKeyStore};

const NOW: i64 = 1_795_000_000;
const TARGET: &str = "http://127.0.0.1:9000/v1/score/sesame";

struct Keys {
    _dir: tempfile::TempDir,
    device: Arc<dyn KeyStore>,
    server: Arc<dyn KeyStore>,
}

fn keys() -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let device = Arc::new(SoftwareKeyStore::create(dir.path().join("d"), b"p", fast).unwrap());
    let server = Arc::new(SoftwareKeyStore::create(dir.path().join("s"), b"p", fast).unwrap());
    Keys { _dir: dir, device, server }
}

/// A signed request: headers including Signature-Input and Signature.
fn signed_request(
    ks: &dyn KeyStore,
    body: &[u8],
    created: i64,
    nonce: &str,
    tag: &str,
    with_body_parts: bool,
) -> Vec<(String, String)> {
    let mut headers = vec![];
    if !body.is_empty() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
        headers.push(("content-digest".to_owned(), content_digest(body)));
    }
    let msg = Message { method: Some("POST"), target_uri: Some(TARGET), status: None, headers: &headers };
    let mut components = policy::REQUEST_COMPONENTS.to_vec();
    if with_body_parts {
        components.extend_from_slice(policy::BODY_COMPONENTS);
    }
    let new = NewSignature {
        components: &components,
        created,
        expires: None,
        nonce: Some(nonce),
        keyid: "dev-1",
        tag: Some(tag),
        alg: None,
    };
    let (input, sig) = httpsig::sign(&msg, None, policy::LABEL, &new, |b| Ok(ks.sign(b)?)).unwrap();
    headers.push(("signature-input".into(), input));
    headers.push(("signature".into(), sig));
    headers
}

fn check(
    k: &Keys,
    headers: &[(String, String)],
    body: &[u8],
    nonces: &MemoryNonceStore,
    now: i64,
) -> Result<String, PolicyError> {
    let msg = Message { method: Some("POST"), target_uri: Some(TARGET), status: None, headers };
    let device_key = k.device.device_public_key().unwrap();
    check_request(&msg, body, |id| (id == "dev-1").then(|| device_key.clone()), nonces, now, 300)
}

#[test]
fn the_server_accepts_a_good_request_once_and_refuses_replays_skew_and_gaps() {
    let k = keys();
    let nonces = MemoryNonceStore::default();
    let body = br#"{"provider":"sesame"}"#;
    let good = signed_request(k.device.as_ref(), body, NOW, "nonce-0001", "idwallet", true);
    assert_eq!(check(&k, &good, body, &nonces, NOW + 5), Ok("dev-1".into()));
    assert_eq!(check(&k, &good, body, &nonces, NOW + 6), Err(PolicyError::Replayed));

    let old = signed_request(k.device.as_ref(), body, NOW - 1000, "nonce-0002", "idwallet", true);
    assert_eq!(check(&k, &old, body, &nonces, NOW), Err(PolicyError::ClockSkew { skew_secs: 1000, window_secs: 300 }));
    // A signature tagged for something else is not ours: there is no idwallet signature.
    let other_tag = signed_request(k.device.as_ref(), body, NOW, "nonce-0003", "someone-else", true);
    let none = check(&k, &other_tag, body, &nonces, NOW);
    assert!(matches!(none, Err(PolicyError::Signature(NetError::NoSignature { .. }))), "{none:?}");
    let short_nonce = signed_request(k.device.as_ref(), body, NOW, "n1", "idwallet", true);
    assert_eq!(check(&k, &short_nonce, body, &nonces, NOW), Err(PolicyError::BadParameter { param: "nonce" }));
    let no_digest = signed_request(k.device.as_ref(), body, NOW, "nonce-0004", "idwallet", false);
    assert!(matches!(check(&k, &no_digest, body, &nonces, NOW), Err(PolicyError::NotCovered { .. })));
    let good2 = signed_request(k.device.as_ref(), body, NOW, "nonce-0005", "idwallet", true);
    assert!(matches!(check(&k, &good2, b"{\"provider\":\"paypoint\"}", &nonces, NOW), Err(PolicyError::Signature(_))));
    let stranger = signed_request(k.server.as_ref(), body, NOW, "nonce-0006", "idwallet", true);
    assert!(matches!(check(&k, &stranger, body, &nonces, NOW), Err(PolicyError::Signature(_))));
    let unknown: Vec<_> = good2.iter().map(|(n, v)| (n.clone(), v.replace("dev-1", "dev-9"))).collect();
    assert_eq!(check(&k, &unknown, body, &nonces, NOW), Err(PolicyError::UnknownKey));
    assert!(matches!(check(&k, &[], body, &nonces, NOW), Err(PolicyError::Signature(_))));
    // A GET without a body needs no digest.
    let get = signed_request(k.device.as_ref(), b"", NOW, "nonce-0007", "idwallet", false);
    assert_eq!(check(&k, &get, b"", &nonces, NOW), Ok("dev-1".into()));
}

#[test]
fn the_client_accepts_only_responses_bound_to_its_request() {
    let k = keys();
    let body = br#"{"provider":"sesame"}"#;
    let req_headers = signed_request(k.device.as_ref(), body, NOW, "nonce-1000", "idwallet", true);
    let request = Message { method: Some("POST"), target_uri: Some(TARGET), status: None, headers: &req_headers };
    let resp_body = br#"{"score":712}"#;
    // The server's own recipe (policy::sign_response), by the right and the wrong key.
    let respond = |request: &Message<'_>, body: &[u8], signer: &dyn KeyStore| {
        let (headers, signed) = policy::sign_response(200, body, request, "server", NOW, |b| Ok(signer.sign(b)?));
        signed.unwrap();
        headers
    };
    let server_key = k.server.device_public_key().unwrap();
    let headers = respond(&request, resp_body, k.server.as_ref());
    let response = Message { method: None, target_uri: None, status: Some(200), headers: &headers };
    check_response(&response, resp_body, &request, &server_key, NOW).unwrap();

    // Swapped body, a different request, a forged server, a different status: all refused.
    assert!(check_response(&response, br#"{"score":950}"#, &request, &server_key, NOW).is_err());
    let other_headers = signed_request(k.device.as_ref(), body, NOW, "nonce-1001", "idwallet", true);
    let other = Message { headers: &other_headers, ..request };
    assert!(matches!(check_response(&response, resp_body, &other, &server_key, NOW), Err(PolicyError::Signature(_))));
    let forged = respond(&request, resp_body, k.device.as_ref());
    let forged = Message { headers: &forged, ..response };
    assert!(matches!(check_response(&forged, resp_body, &request, &server_key, NOW), Err(PolicyError::Signature(_))));
    let teapot = Message { status: Some(418), ..response };
    assert!(matches!(check_response(&teapot, resp_body, &request, &server_key, NOW), Err(PolicyError::Signature(_))));
    let unsigned = Message { headers: &headers[..1], ..response };
    assert!(matches!(check_response(&unsigned, resp_body, &request, &server_key, NOW), Err(PolicyError::Signature(_))));
}

#[test]
fn nonces_are_remembered_for_their_ttl_and_then_forgotten() {
    use policy::NonceStore;
    let nonces = MemoryNonceStore::default();
    assert!(nonces.check_and_insert("dev-1", "n-1", NOW, 600));
    assert!(!nonces.check_and_insert("dev-1", "n-1", NOW + 599, 600), "replayed within the TTL");
    assert!(nonces.check_and_insert("dev-2", "n-1", NOW + 1, 600), "nonces are per key");
    // Many later requests do not push an early nonce out before its time…
    for i in 0..10_000 {
        assert!(nonces.check_and_insert("dev-1", &format!("x-{i}"), NOW + 2, 600));
    }
    assert!(!nonces.check_and_insert("dev-1", "n-1", NOW + 3, 600));
    // …and a clock stepping back does not either.
    assert!(!nonces.check_and_insert("dev-1", "n-1", NOW - 100, 600));
    assert!(nonces.check_and_insert("dev-1", "n-1", NOW + 600, 600), "expired nonces are forgotten");
}

/// Signature headers for a GET over `components`, labelled `label`, added to `headers`.
fn sign_get(
    ks: &dyn KeyStore,
    mut headers: Vec<(String, String)>,
    components: &[&str],
    label: &str,
    nonce: &str,
    expires: Option<i64>,
) -> Vec<(String, String)> {
    let msg = Message { method: Some("POST"), target_uri: Some(TARGET), status: None, headers: &headers };
    let new = NewSignature {
        components,
        created: NOW,
        expires,
        nonce: Some(nonce),
        keyid: "dev-1",
        tag: Some("idwallet"),
        alg: None,
    };
    let (input, sig) = httpsig::sign(&msg, None, label, &new, |b| Ok(ks.sign(b)?)).unwrap();
    headers.push(("signature-input".into(), input));
    headers.push(("signature".into(), sig));
    headers
}

/// The findings of an independent RFC 9421 client (issue #18), each refused or accepted
/// as the RFCs say.
#[test]
fn digests_labels_field_lines_and_expiry_follow_rfc_9421_and_9530() {
    let k = keys();
    let nonces = MemoryNonceStore::default();
    let base = policy::REQUEST_COMPONENTS;
    let with_digest = [base, &["\"content-digest\""]].concat();

    // An empty body with a covered Content-Digest of other content: the digest is checked
    // against what was received, empty or not (RFC 9530 §2, RFC 9421 §7.2.8).
    let lying = vec![("content-digest".to_owned(), content_digest(b"{\"amount\":1000000}"))];
    let h = sign_get(k.device.as_ref(), lying.clone(), &with_digest, "idw", "nonce-2001", None);
    let refused = check(&k, &h, b"", &nonces, NOW);
    assert_eq!(refused, Err(PolicyError::Signature(NetError::DigestMismatch)));
    // …and uncovered but present: still checked.
    let h = sign_get(k.device.as_ref(), lying, base, "idw", "nonce-2002", None);
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Err(PolicyError::Signature(NetError::DigestMismatch)));
    // An honest digest of the empty body passes.
    let honest = vec![("content-digest".to_owned(), content_digest(b""))];
    let h = sign_get(k.device.as_ref(), honest, &with_digest, "idw", "nonce-2003", None);
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Ok("dev-1".into()));

    // Chosen by tag, whatever the label (`sig1` is the libraries' default), …
    let h = sign_get(k.device.as_ref(), vec![], base, "sig1", "nonce-2004", None);
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Ok("dev-1".into()));
    // …also when another signature comes first, in its own field lines (RFC 9421 §4.1:
    // several lines of a field are one field).
    let proxy = vec![
        ("signature-input".to_owned(), "proxy=(\"@method\");created=1795000000;keyid=\"gw\"".to_owned()),
        ("signature".to_owned(), "proxy=:AAAA:".to_owned()),
    ];
    let h = sign_get(k.device.as_ref(), proxy, base, "idw", "nonce-2005", None);
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Ok("dev-1".into()));

    // `expires` in the past is refused; in the future, fine.
    let h = sign_get(k.device.as_ref(), vec![], base, "idw", "nonce-2006", Some(NOW - 1));
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Err(PolicyError::Expired { at: NOW - 1 }));
    let h = sign_get(k.device.as_ref(), vec![], base, "idw", "nonce-2007", Some(NOW + 30));
    assert_eq!(check(&k, &h, b"", &nonces, NOW), Ok("dev-1".into()));
}
