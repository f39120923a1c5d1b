//! The signed client against the real reference server over loopback: the user's journey
//! (register, refresh documents, verify as staff, scores, offline) and the attacks of
//! DESIGN §4, each refused with the right typed error and leaving the server's data as it was.

mod common;

use std::time::Duration;

use common::*;
use idwallet_core::credential::{status, Profile, StatusCheck};
use idwallet_core::documents::DocumentKind;
use idwallet_core::net::client::{ClientError, ClientOptions};
use idwallet_core::net::policy::PolicyError;
use idwallet_core::net::NetError;
use idwallet_core::score::Freshness;
use idwallet_core::wire::{path, ErrorCode};
use idwallet_core::WalletError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_phone_gets_its_documents_and_scores_verified() {
    let server = Server::start().await;
    let phone = Phone::new();
    let service = phone.register(&server, 3).await.unwrap();
    assert_eq!(service.device_id, idwallet_core::wire::device_id(&phone.wallet.device_public_key().unwrap()));

    let docs = phone.wallet.refresh_documents().await.unwrap();
    assert_eq!(docs.iter().map(|d| d.kind).collect::<Vec<_>>(), DocumentKind::ALL);
    let citizen = server.state().citizen(3).unwrap();
    assert_eq!(docs[0].claims, citizen.documents[0], "the phone holds the citizen's own ID card");

    // Locked until the holder's live face matches the reference portrait the server issued.
    let locked = phone.wallet.present(DocumentKind::ResidentIdCard, &Profile::hotel(), now());
    assert_eq!(locked.unwrap_err(), WalletError::FaceCheckRequired);
    enrol_and_unlock(&phone, 3);
    // The same app as hotel staff verifies the holder's QR offline from the synced lists.
    let qr = phone.wallet.present(DocumentKind::ResidentIdCard, &Profile::hotel(), now()).unwrap();
    let verifier = phone.wallet.verifier(Profile::hotel()).unwrap();
    let seen = verifier.verify_text(&qr.text, now()).unwrap();
    assert_eq!(seen.status, StatusCheck::Valid);
    assert_eq!(seen.claim("name"), Some(citizen.documents[0].holder_name()));

    // Revocation reaches the verifier with the next sync.
    server.state().set_status(3, DocumentKind::ResidentIdCard, status::INVALID).unwrap();
    phone.wallet.sync_trust().await.unwrap();
    let verifier = phone.wallet.verifier(Profile::hotel()).unwrap();
    let qr = phone.wallet.present(DocumentKind::ResidentIdCard, &Profile::hotel(), now()).unwrap();
    assert_eq!(verifier.verify_text(&qr.text, now()).unwrap_err(), idwallet_core::credential::CredentialError::Revoked);

    for provider in ["sesame", "paypoint"] {
        let view = phone.wallet.fetch_score(provider).await.unwrap();
        let score = &view.snapshot.score;
        assert!(!view.from_cache);
        assert_eq!(view.freshness, Freshness::Current);
        assert_eq!(score.validate().unwrap().id, provider);
        assert!(view.benefits.iter().all(|b| score.value >= b.min_score));
        assert_eq!(view.snapshot.history.len(), 12, "a year of monthly history");
        assert_eq!(view.snapshot.history.last().unwrap().value, score.value);
    }
    let err = phone.wallet.fetch_score("nosuch").await.unwrap_err();
    assert!(matches!(err, WalletError::Score(_)), "{err}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_codes_are_one_time_and_bind_the_citizen() {
    let server = Server::start().await;
    let code = server.state().activation_code(5).unwrap().unwrap();
    let first = Phone::new();
    first.wallet.register(&server.url(), &server.key(), &code).await.unwrap();
    // Registering again with the same key is idempotent; another phone cannot reuse the code.
    first.wallet.register(&server.url(), &server.key(), &code).await.unwrap();
    let second = Phone::new();
    let err = second.wallet.register(&server.url(), &server.key(), &code).await.unwrap_err();
    assert!(
        matches!(
            &err,
            WalletError::Net(ClientError::Rejected { status: 403, code: ErrorCode::InvalidActivationCode, .. })
        ),
        "{err}"
    );
    let err = second.wallet.register(&server.url(), &server.key(), "NOT-A-CODE").await.unwrap_err();
    assert!(matches!(&err, WalletError::Net(ClientError::Rejected { status: 403, .. })), "{err}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_forged_replayed_and_stale_requests_without_changing_its_data() {
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 2).await.unwrap();
    let before = server.fingerprint();
    let raw = RawClient::new(&server, phone.keys.clone());

    // A replayed request: the same signed bytes twice.
    let req = raw.signed("GET", path::DOCUMENTS, b"", now());
    assert_eq!(raw.send(&req).await.0, 200);
    assert_eq!(raw.send(&req).await, (401, "replayed".into()));

    // An altered body, and an altered covered header.
    let mut req = raw.signed("POST", path::DEVICES, br#"{"public_key":"AA","activation_code":"X"}"#, now());
    req.body = br#"{"public_key":"AB","activation_code":"X"}"#.to_vec();
    assert_eq!(raw.send(&req).await.0, 400, "a body that is not a valid key is refused before anything");
    let body = raw.register_body("WRONGCODE1");
    let mut req = raw.signed("POST", path::DEVICES, &body, now());
    req.body = raw.register_body("WRONGCODE2");
    assert_eq!(raw.send(&req).await, (401, "bad_signature".into()));
    let mut req = raw.signed("POST", path::DEVICES, &body, now());
    req.set_header("content-type", "text/plain");
    assert_eq!(raw.send(&req).await, (401, "bad_signature".into()));

    // Too old, from the future, unknown key, and no signature at all.
    assert_eq!(raw.send(&raw.signed("GET", path::DOCUMENTS, b"", now() - 301)).await, (401, "clock_skew".into()));
    assert_eq!(raw.send(&raw.signed("GET", path::DOCUMENTS, b"", now() + 301)).await, (401, "clock_skew".into()));
    let stranger = RawClient::new(&server, Phone::new().keys);
    assert_eq!(stranger.send(&stranger.signed("GET", path::DOCUMENTS, b"", now())).await, (401, "unknown_key".into()));
    let mut req = raw.signed("GET", path::DOCUMENTS, b"", now());
    req.headers.retain(|(k, _)| !k.starts_with("signature"));
    assert_eq!(raw.send(&req).await.0, 401);
    // A signature for another URL.
    let mut req = raw.signed("GET", &format!("{}/sesame", path::SCORES), b"", now());
    req.path = format!("{}/paypoint", path::SCORES);
    assert_eq!(raw.send(&req).await, (401, "bad_signature".into()));

    assert_eq!(server.fingerprint(), before, "rejected requests changed the server's data");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_refuses_responses_it_cannot_trust() {
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 4).await.unwrap();
    phone.wallet.fetch_score("sesame").await.unwrap();
    let cached = phone.wallet.cached_score("sesame").unwrap().unwrap();

    // A phone that pinned another key (the server's key was swapped or forged).
    let pinned_wrong = Phone::new();
    let err = pinned_wrong.wallet.register(&server.url(), &Phone::new().wallet.device_public_key().unwrap(), "X").await;
    assert!(
        matches!(err, Err(WalletError::Net(ClientError::BadResponse(PolicyError::Signature(NetError::BadSignature))))),
        "{err:?}"
    );

    // Through a man in the middle. (The replayed response is the trust list's, answering
    // the status-list request that follows it.)
    for (attack, expect) in [
        (Attack::FlipBodyByte, "digest"),
        (Attack::ReplayFirstResponse, "signature"),
        (Attack::StripSignature, "no signature"),
        (Attack::Truncate, "interrupted"),
    ] {
        let proxy = Proxy::start(server.addr(), attack).await;
        let phone =
            Phone::with_service(&server, &proxy.url(), &phone, ClientOptions { retries: 0, ..Default::default() });
        let err = phone.wallet.sync_trust().await.map(|_| ()).unwrap_err();
        match expect {
            "digest" => assert!(
                matches!(
                    &err,
                    WalletError::Net(ClientError::BadResponse(PolicyError::Signature(NetError::DigestMismatch)))
                ),
                "{attack:?}: {err}"
            ),
            "signature" => assert!(
                matches!(
                    &err,
                    WalletError::Net(ClientError::BadResponse(PolicyError::Signature(NetError::BadSignature)))
                ),
                "{attack:?}: {err}"
            ),
            "no signature" => assert!(
                matches!(
                    &err,
                    WalletError::Net(ClientError::BadResponse(PolicyError::Signature(NetError::NoSignature { .. })))
                ),
                "{attack:?}: {err}"
            ),
            _ => assert!(matches!(&err, WalletError::Net(ClientError::Interrupted)), "{attack:?}: {err}"),
        }
        assert!(phone.wallet.trust().unwrap().is_none(), "{attack:?}: nothing unverified was stored");
        // A score request meeting the same attack: never the tampered data. A broken
        // connection may be the network, so the verified cache is shown (flagged); a
        // response that fails verification is an attack and is reported as one.
        match phone.wallet.fetch_score("sesame").await {
            Ok(view) => assert!(attack == Attack::Truncate && view.from_cache && view.snapshot == cached.snapshot),
            Err(e) => assert!(matches!(e, WalletError::Net(ClientError::BadResponse(_))), "{attack:?}: {e}"),
        }
    }

    // A server that stalls: a typed timeout, then (idempotent GET) the cached score.
    let proxy = Proxy::start(server.addr(), Attack::Stall).await;
    let options = ClientOptions {
        request_timeout: Duration::from_millis(300),
        retries: 1,
        backoff: Duration::from_millis(10),
        ..Default::default()
    };
    let slow = Phone::with_service(&server, &proxy.url(), &phone, options);
    let view = slow.wallet.fetch_score("sesame").await.unwrap();
    assert!(view.from_cache, "a stalled server falls back to the verified cache");
    let err = slow.wallet.refresh_documents().await.unwrap_err();
    assert!(matches!(err, WalletError::Net(ClientError::Timeout)), "{err}");
    assert_eq!(proxy.connections(), 4, "one retry per idempotent call, no more");

    // The server goes down: the cached score is served, flagged as cached.
    server.stop().await;
    let view = phone.wallet.fetch_score("sesame").await.unwrap();
    assert!(view.from_cache);
    assert_eq!(view.snapshot, cached.snapshot);
    let err = phone.wallet.refresh_documents().await.unwrap_err();
    assert!(matches!(err, WalletError::Net(ClientError::Offline)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_refusals_are_signed_and_bound_to_the_request() {
    use idwallet_core::net::client::Client;
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 1).await.unwrap();
    // The client checks every answer's signature: a refusal it can read as `Rejected` was
    // signed by the server and bound to this request (an unsigned one is `BadResponse`).
    let c = Client::new(&server.url(), server.key(), phone.keys.clone(), ClientOptions::default()).unwrap();
    let wrong_method = c.post::<_, serde_json::Value>(path::TRUST_LIST, &()).await;
    assert!(
        matches!(&wrong_method, Err(ClientError::Rejected { status: 405, code: ErrorCode::MethodNotAllowed, .. })),
        "{wrong_method:?}"
    );
    let nowhere = c.get::<serde_json::Value>("/v1/nowhere").await;
    assert!(matches!(&nowhere, Err(ClientError::Rejected { status: 404, .. })), "{nowhere:?}");
    // A body over the limit: refused from the headers already read, still bound to them.
    let huge = "x".repeat(70 * 1024);
    let too_large = c.post::<_, serde_json::Value>(path::REPORTS, &huge).await;
    assert!(
        matches!(&too_large, Err(ClientError::Rejected { status: 413, code: ErrorCode::TooLarge, .. })),
        "{too_large:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_replayed_to_a_restarted_server_is_refused() {
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 2).await.unwrap();
    let raw = RawClient::new(&server, phone.keys.clone());
    let req = raw.signed("GET", path::DOCUMENTS, b"", now());
    assert_eq!(raw.send(&req).await.0, 200);
    // The nonce memory died with the process; the signature is still inside its window.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let server = server.restart().await;
    let raw = RawClient::new(&server, phone.keys.clone());
    assert_eq!(raw.send(&req).await, (401, "signed_before_restart".into()));
    // A request signed now goes through.
    assert_eq!(raw.send(&raw.signed("GET", path::DOCUMENTS, b"", now())).await.0, 200);
    server.stop().await;
}

/// A key store that blocks (a StrongBox signature, a user prompt) does not stall the runtime:
/// the client signs on the blocking pool. On a one-thread runtime, this key store's first
/// signature waits for a task of that same runtime; signing on the runtime's own thread
/// would deadlock it, and the wait fail after 10 s.
#[tokio::test(flavor = "current_thread")]
async fn a_blocking_key_store_does_not_stall_the_runtime() {
    use idwallet_core::net::client::Client;
    use idwallet_core::{KeyStore, KeyStoreError};
    use std::sync::{mpsc, Arc, Mutex};
    struct Gate {
        inner: Arc<dyn KeyStore>,
        wait: Mutex<Option<mpsc::Receiver<()>>>,
    }
    impl KeyStore for Gate {
        fn device_public_key(&self) -> Result<Vec<u8>, KeyStoreError> {
            self.inner.device_public_key()
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            if let Some(wait) = self.wait.lock().unwrap().take() {
                let stalled = |_| KeyStoreError::Unavailable { reason: "the runtime was stalled".into() };
                wait.recv_timeout(Duration::from_secs(10)).map_err(stalled)?;
            }
            self.inner.sign(message)
        }
        fn wrap_key(&self, key: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            self.inner.wrap_key(key)
        }
        fn unwrap_key(&self, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            self.inner.unwrap_key(wrapped)
        }
        fn requires_user_authentication(&self) -> bool {
            false
        }
    }
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 1).await.unwrap();
    let (open, wait) = mpsc::channel();
    let gate = Arc::new(Gate { inner: phone.keys.clone(), wait: Mutex::new(Some(wait)) });
    let client = Client::new(&server.url(), server.key(), gate, ClientOptions::default()).unwrap();
    let opener = tokio::spawn(async move { open.send(()).unwrap() });
    let list: Result<idwallet_core::wire::TrustListResponse, ClientError> = client.get(path::TRUST_LIST).await;
    assert!(list.is_ok(), "{list:?}");
    opener.await.unwrap();
    server.stop().await;
}
