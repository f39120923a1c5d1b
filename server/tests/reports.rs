//! Visa reports over real HTTP: the whole flow from a real face unlock (synthetic liveness
//! frames of a real photo, real models) to a PDF a consulate verifies offline; and every
//! way of asking for one without the right to, each refused with its typed error.

mod common;

use std::sync::Arc;

use common::{enrol_and_unlock, face_session, now, Phone, Server};
use idwallet_core::net::client::{Client, ClientError, ClientOptions};
use idwallet_core::platform::KdfParams;
use idwallet_core::report::{self, LivenessAttestation, ReportError, Supplementary};
use idwallet_core::score::provider;
use idwallet_core::wallet::FacePurpose;
use idwallet_core::wire::{self, path, ErrorCode, B64};
use idwallet_core::{KeyStore, SoftwareKeyStore, WalletError};

fn supplementary() -> Supplementary {
    Supplementary {
        education: report::Education::Bachelor,
        employer: "Example Trading Co.".into(),
        occupation: "accountant".into(),
        income_band: report::IncomeBand::From300kTo600k,
        assets: vec!["apartment, Suzhou".into()],
        phone: "+86 139 0000 0000".into(),
        email: "holder@example.org".into(),
        destination: "DE".into(),
    }
}

/// A citizen whose Sesame-like score is (or is not) at the report threshold.
fn citizen(server: &Server, qualifies: bool) -> u32 {
    let sesame = provider("sesame").unwrap();
    (1..=8)
        .find(|n| (server.state().score(*n, sesame, now()).unwrap().0.value >= 750) == qualifies)
        .expect("the seeded citizens include both")
}

/// SHA-256 of the reference portrait the server issued to citizen `n`.
fn portrait_of(server: &Server, n: u32) -> Vec<u8> {
    let portrait = server.state().citizen(n).unwrap().reference_portrait.expect("seeded with a real face");
    idwallet_core::documents::reference::digest(&portrait)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_gets_a_report_a_consulate_verifies_offline() {
    let server = Server::start().await;
    let phone = Phone::new();
    let n = citizen(&server, true);
    phone.register(&server, n).await.unwrap();
    phone.wallet.refresh_documents().await.unwrap();

    // Without a fresh face check, no report.
    let refused = phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap_err();
    assert_eq!(refused, WalletError::Report(ReportError::FaceCheckRequired));

    enrol_and_unlock(&phone, n);
    let signed = phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap();
    let r = &signed.report;
    assert!(r.score.value >= 750 && r.threshold == 750, "{} / {}", r.score.value, r.threshold);
    assert_eq!(r.supplementary, supplementary());
    assert_eq!(r.valid_until - r.issued_at, report::VALIDITY_SECS);
    assert!(now() - r.face_verified_at < 60);

    // Kept sealed for offline use; fetched again by id; printed; verified from the PDF
    // with nothing but the issuer's trust list.
    assert_eq!(phone.wallet.visa_reports().unwrap(), vec![signed.clone()]);
    assert_eq!(phone.wallet.fetch_visa_report(&r.id).await.unwrap(), signed);

    let pdf = phone.wallet.export_visa_report_pdf(&r.id).unwrap();
    let trust = server.state().issuer.trust_list();
    let (seal, full) = report::verify_pdf(&pdf, &trust, now()).unwrap();
    assert_eq!((seal.id.as_str(), seal.score), (r.id.as_str(), r.score.value));
    assert_eq!(full.as_ref(), Some(r));
    // Printed and scanned: the first page renders (pdftoppm, from scripts/bootstrap.sh), is
    // not blank, and its QR code verifies from the picture alone.
    let page = render_first_page(&pdf);
    let dark = page.to_luma8().pixels().filter(|p| p[0] < 128).count() as f64 / f64::from(page.width() * page.height());
    assert!((0.01..0.5).contains(&dark), "dark fraction {dark}");
    let mut png = Vec::new();
    page.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let texts = idwallet_core::credential::qr::decode_image(&png).unwrap();
    assert_eq!(report::verify_seal(&texts[0], &trust, now()).unwrap(), seal);
    // Expired: the same paper 91 days later.
    let later = r.valid_until + 1;
    assert_eq!(report::verify_pdf(&pdf, &trust, later).unwrap_err(), ReportError::Expired { at: r.valid_until });
    // The embedded report edited in the file: refused, whatever the printed page says.
    let tampered = tamper_embedded(&pdf);
    assert!(matches!(
        report::verify_pdf(&tampered, &trust, now()),
        Err(ReportError::BadSignature | ReportError::SealMismatch | ReportError::BadPdf { .. })
    ));

    let log = phone.wallet.activity(50).unwrap();
    let requests: Vec<_> =
        log.iter().filter(|e| e.kind == idwallet_core::ActivityKind::ReportRequested).map(|e| &e.outcome).collect();
    assert_eq!(requests.len(), 1, "{log:?}");

    // A plain unlock (no screen colours) is not a report's face check; a report check is.
    phone.wallet.lock();
    face_session(&phone, n, FacePurpose::Unlock).unwrap();
    let plain = phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap_err();
    assert_eq!(plain, WalletError::Report(ReportError::ColourCheckRequired));
    face_session(&phone, n, FacePurpose::Report).unwrap();
    assert!(phone.wallet.request_visa_report("sesame", &supplementary()).await.is_ok());
    server.stop().await;
}

/// The app's platform integrity service (here a recorder standing in for App Attest) is
/// asked once per report request, over a fresh 32-byte nonce; the service accepts the
/// attestation carrying its token. A verdict it cannot give, or an oversized one, fails the
/// request before anything is sent, and no report is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_integrity_verdict_is_bound_to_each_report_request() {
    use idwallet_core::platform::{IntegrityError, IntegrityKind, PlatformIntegrity};
    use std::sync::Mutex;
    struct Recorder {
        nonces: Mutex<Vec<Vec<u8>>>,
        answer: Mutex<Result<Vec<u8>, IntegrityError>>,
    }
    impl PlatformIntegrity for Recorder {
        fn kind(&self) -> IntegrityKind {
            IntegrityKind::AppAttest
        }
        fn token(&self, nonce: &[u8]) -> Result<Vec<u8>, IntegrityError> {
            self.nonces.lock().unwrap().push(nonce.to_vec());
            self.answer.lock().unwrap().clone()
        }
    }
    let server = Server::start().await;
    let phone = Phone::new();
    let n = citizen(&server, true);
    phone.register(&server, n).await.unwrap();
    phone.wallet.refresh_documents().await.unwrap();
    enrol_and_unlock(&phone, n);
    let recorder = Arc::new(Recorder { nonces: Mutex::new(Vec::new()), answer: Mutex::new(Ok(b"assertion".to_vec())) });
    phone.wallet.set_platform_integrity(Some(recorder.clone()));
    phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap();
    phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap();
    let nonces = recorder.nonces.lock().unwrap().clone();
    assert_eq!(nonces.len(), 2);
    assert!(nonces.iter().all(|n| n.len() == 32));
    assert_ne!(nonces[0], nonces[1], "each request's challenge is fresh, so is its nonce");

    *recorder.answer.lock().unwrap() = Err(IntegrityError::Unavailable { reason: "no network".into() });
    let e = phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap_err();
    assert!(matches!(e, WalletError::Integrity(IntegrityError::Unavailable { .. })), "{e:?}");
    *recorder.answer.lock().unwrap() = Ok(vec![0; 17 * 1024]);
    let e = phone.wallet.request_visa_report("sesame", &supplementary()).await.unwrap_err();
    assert!(matches!(e, WalletError::Integrity(_)), "{e:?}");
    assert_eq!(phone.wallet.visa_reports().unwrap().len(), 2);
    server.stop().await;
}

fn render_first_page(pdf: &[u8]) -> image::DynamicImage {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.pdf"), pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "r.pdf", "page"])
        .current_dir(dir.path())
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/bootstrap.sh");
    assert!(status.success());
    image::open(dir.path().join("page.png")).unwrap()
}

/// Flip one hex digit inside the embedded report (the PDF's `IdwalletReport` string).
fn tamper_embedded(pdf: &[u8]) -> Vec<u8> {
    let key = b"/IdwalletReport";
    let name = pdf.windows(key.len()).position(|w| w == key).expect("embedded report");
    let at = name + pdf[name..].iter().position(|b| *b == b'<').expect("hex string") + 120;
    let mut out = pdf.to_vec();
    out[at] = if out[at] == b'0' { b'1' } else { b'0' };
    out
}

/// The device's own signing client, for requests the wallet would never make.
fn client(server: &Server, phone: &Phone) -> Client {
    Client::new(&server.url(), server.key(), phone.keys.clone(), ClientOptions::default()).unwrap()
}

async fn challenge(c: &Client) -> Vec<u8> {
    c.post::<_, wire::ChallengeResponse>(path::REPORT_CHALLENGES, &()).await.unwrap().nonce.0
}

fn attest(keys: &Arc<dyn KeyStore>, device_id: &str, nonce: Vec<u8>, verified_at: i64, portrait: &[u8]) -> Vec<u8> {
    let a = LivenessAttestation {
        nonce,
        device_id: device_id.into(),
        verified_at,
        similarity: 0.7,
        challenges: vec![idwallet_core::face::liveness::Challenge::TurnLeft],
        reference_portrait: portrait.to_vec(),
        reference_similarity: 0.6,
        screen_colour: true,
        integrity: None,
    };
    a.sign(|d| keys.sign(d)).unwrap()
}

async fn submit(c: &Client, attestation: Vec<u8>, supplementary: Supplementary) -> Result<(), ErrorCode> {
    let request = wire::ReportRequest { provider: "sesame".into(), attestation: B64(attestation), supplementary };
    match c.post::<_, wire::ReportResponse>(path::REPORTS, &request).await {
        Ok(_) => Ok(()),
        Err(ClientError::Rejected { code, .. }) => Err(code),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_right_to_a_report_are_refused_with_typed_errors() {
    let server = Server::start().await;
    let phone = Phone::new();
    let n = citizen(&server, true);
    let device = phone.register(&server, n).await.unwrap().device_id;
    let c = client(&server, &phone);
    let mine = portrait_of(&server, n);

    // A face matched against another portrait than the one issued to this device's citizen.
    let other_citizen = (1..=8).find(|m| portrait_of(&server, *m) != mine).unwrap();
    let elsewhere = attest(&phone.keys, &device, challenge(&c).await, now(), &portrait_of(&server, other_citizen));
    assert_eq!(submit(&c, elsewhere, supplementary()).await, Err(ErrorCode::PortraitMismatch));

    // Replayed attestation: the first use succeeds, the second is refused.
    let a = attest(&phone.keys, &device, challenge(&c).await, now(), &mine);
    assert_eq!(submit(&c, a.clone(), supplementary()).await, Ok(()));
    assert_eq!(submit(&c, a, supplementary()).await, Err(ErrorCode::AttestationReplayed));

    // Signed by another device's key.
    let stranger: Arc<dyn KeyStore> = Arc::new(
        SoftwareKeyStore::create(
            tempfile::tempdir().unwrap().path().join("k"),
            b"x",
            KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 },
        )
        .unwrap(),
    );
    let forged = attest(&stranger, &device, challenge(&c).await, now(), &mine);
    assert_eq!(submit(&c, forged, supplementary()).await, Err(ErrorCode::BadAttestation));
    // A nonce the server never issued; a face check that is not fresh.
    assert_eq!(
        submit(&c, attest(&phone.keys, &device, vec![1; 16], now(), &mine), supplementary()).await,
        Err(ErrorCode::BadAttestation)
    );
    let stale = attest(&phone.keys, &device, challenge(&c).await, now() - report::FRESH_FACE_SECS - 5, &mine);
    assert_eq!(submit(&c, stale, supplementary()).await, Err(ErrorCode::BadAttestation));

    // Missing or invalid supplementary information.
    let missing = Supplementary { employer: String::new(), ..supplementary() };
    let a = attest(&phone.keys, &device, challenge(&c).await, now(), &mine);
    assert_eq!(submit(&c, a.clone(), missing).await, Err(ErrorCode::MissingSupplementary));
    let bad = Supplementary { email: "nobody".into(), ..supplementary() };
    assert_eq!(submit(&c, a, bad).await, Err(ErrorCode::BadSupplementary));

    // A score below the threshold.
    let poorer = Phone::new();
    let poorer_citizen = citizen(&server, false);
    let poorer_device = poorer.register(&server, poorer_citizen).await.unwrap().device_id;
    let pc = client(&server, &poorer);
    let a = attest(&poorer.keys, &poorer_device, challenge(&pc).await, now(), &portrait_of(&server, poorer_citizen));
    assert_eq!(submit(&pc, a, supplementary()).await, Err(ErrorCode::ScoreTooLow));

    // Another device's challenge, and another device's report.
    let theirs = attest(&phone.keys, &device, challenge(&pc).await, now(), &mine);
    assert_eq!(submit(&c, theirs, supplementary()).await, Err(ErrorCode::BadAttestation));
    let issued = server.state().store.list::<idwallet_server::ReportRecord>().unwrap();
    assert_eq!(issued.len(), 1);
    let other = pc.get::<wire::ReportResponse>(&format!("{}/{}", path::REPORTS, issued[0].id)).await;
    assert!(matches!(other, Err(ClientError::Rejected { status: 404, .. })), "{other:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_recovers_the_face_only_with_a_new_activation_code_from_the_issuer() {
    let server = Server::start().await;
    let phone = Phone::new();
    phone.register(&server, 1).await.unwrap();
    phone.wallet.refresh_documents().await.unwrap();
    enrol_and_unlock(&phone, 1);
    phone.wallet.lock();
    let (url, key) = (server.url(), server.key());
    let rejected = |r: Result<_, WalletError>| {
        matches!(r, Err(WalletError::Net(ClientError::Rejected { code: ErrorCode::InvalidActivationCode, .. })))
    };

    // An invented code, or another citizen's new one: refused, and the face stays.
    assert!(rejected(phone.wallet.register(&url, &key, "NOT-A-CODE").await));
    let others = server.state().new_activation_code(2).unwrap();
    assert!(rejected(phone.wallet.register(&url, &key, &others).await));
    assert!(phone.wallet.is_face_enrolled().unwrap());

    // A new code for this citizen from the issuer's counter: the old face goes; a retry
    // with the same code changes nothing more; the next enrolment matches the reference
    // portrait again.
    let code = server.state().new_activation_code(1).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await; // a new registration second
    let first = phone.wallet.register(&url, &key, &code).await.unwrap();
    assert!(!phone.wallet.is_face_enrolled().unwrap());
    assert_eq!(phone.wallet.register(&url, &key, &code).await.unwrap(), first);
    let removed =
        phone.wallet.activity(20).unwrap().into_iter().filter(|e| e.kind == idwallet_core::ActivityKind::FaceRemoved);
    assert_eq!(removed.count(), 1);
    phone.wallet.refresh_documents().await.unwrap();
    enrol_and_unlock(&phone, 1);
    assert!(phone.wallet.is_face_enrolled().unwrap());
    server.stop().await;
}
