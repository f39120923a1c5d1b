//! The licence as an ISO 18013-5 mDL through the real reference server: issued beside the
//! QR credential under the server's IACA root (stable across restarts), checked by the
//! wallet before it is kept, and given to a police reader only through the face gate.

mod common;

use std::time::Duration;

use common::*;
use idwallet_core::documents::DocumentKind;
use idwallet_core::mdl::holder::{HolderSession, ReaderPolicy};
use idwallet_core::mdl::iaca::Anchors;
use idwallet_core::mdl::reader::{road_check_request, ReaderSession};
use idwallet_core::mdl::transport::{memory_pair, Transport};
use idwallet_core::mdl::{MdlError, MDL_NAMESPACE};
use idwallet_core::{ActivityKind, Outcome, WalletError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_presents_the_server_issued_mdl_to_a_police_reader_only_after_a_face_unlock() {
    let server = Server::start().await;
    let roots = server.state().trust_list().iaca;
    assert_eq!(roots.len(), 1, "the trust list publishes the IACA root");
    let phone = Phone::new();
    phone.register(&server, 3).await.unwrap();
    let docs = phone.wallet.refresh_documents().await.unwrap();
    for doc in &docs {
        assert_eq!(doc.mdoc.is_some(), doc.kind == DocumentKind::DrivingLicence, "{:?}", doc.kind);
    }
    assert_eq!(phone.wallet.mdl_roots().unwrap(), roots);
    let wallet = &phone.wallet;

    // The phone's road check: engagement, request, consent.
    let session = |policy| {
        let holder = HolderSession::new(policy, vec![]).unwrap();
        let mut reader = ReaderSession::from_uri(&holder.engagement().to_uri()).unwrap();
        let establishment = reader.request(&road_check_request()).unwrap();
        (holder, reader, establishment)
    };
    let (mut holder, _, establishment) = session(ReaderPolicy::police());
    let consent = holder.receive_request(&establishment).unwrap();
    // Locked: nothing leaves the phone, and the refusal is logged.
    assert_eq!(wallet.mdl_respond(&mut holder, &consent.allowed(), now()), Err(WalletError::FaceCheckRequired));
    let last = wallet.activity(1).unwrap().remove(0);
    assert_eq!(last.kind, ActivityKind::Presented);
    assert!(matches!(last.outcome, Outcome::Failure { .. }));

    enrol_and_unlock(&phone, 3);
    let (mut holder, mut reader, establishment) = session(ReaderPolicy::police());
    let (mut phone_end, mut police_end) = memory_pair();
    police_end.send(establishment).unwrap();
    let consent = holder.receive_request(&phone_end.receive(Duration::from_secs(5)).unwrap()).unwrap();
    phone_end.send(wallet.mdl_respond(&mut holder, &consent.allowed(), now()).unwrap()).unwrap();
    let answer = police_end.receive(Duration::from_secs(5)).unwrap();
    let verdict = reader.receive(&answer, Anchors::Iaca(&roots), now()).unwrap();
    let licence = match &docs.iter().find(|d| d.kind == DocumentKind::DrivingLicence).unwrap().claims {
        idwallet_core::documents::Claims::DrivingLicence(l) => l.clone(),
        _ => unreachable!(),
    };
    let doc = &verdict.documents[0];
    assert_eq!(
        doc.element(MDL_NAMESPACE, "document_number").and_then(|v| v.as_text()),
        Some(licence.licence_number.as_str())
    );
    assert_eq!(doc.device_key, wallet.device_public_key().unwrap());
    assert_eq!(wallet.activity(1).unwrap()[0].outcome, Outcome::Success);

    // The same root after a restart: readers installed it once.
    let server = server.restart().await;
    assert_eq!(server.state().trust_list().iaca, roots);
    // Another issuer's root does not vouch for this licence.
    let (mut holder, mut reader, establishment) = session(ReaderPolicy::police());
    let consent = holder.receive_request(&establishment).unwrap();
    let answer = wallet.mdl_respond(&mut holder, &consent.allowed(), now()).unwrap();
    let stranger = tempfile::tempdir().unwrap();
    let other = idwallet_server::State::open(stranger.path(), 1, None).unwrap();
    let other_roots = other.trust_list().iaca;
    assert_eq!(reader.receive(&answer, Anchors::Iaca(&other_roots), now()).map(|_| ()), Err(MdlError::UntrustedSigner));
    server.stop().await;
}
