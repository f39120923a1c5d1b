//! `idwallet demo`: the main job. It walks what exists end to end — key store, encrypted
//! wallet, the typed refusals a user would meet, the reference server on loopback, device
//! registration and the five documents over signed HTTP, QR codes for a hotel and the
//! police verified offline as their desks would, credit scores online and offline, and the
//! face unlock by a liveness session, a visa report printed to PDF and verified as a
//! consulate would, and the activity log.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use clap::Args as ClapArgs;
use idwallet_core::credential::{qr, Profile, TrustList};
use idwallet_core::documents::DocumentKind;
use idwallet_core::face::liveness::Challenge;
use idwallet_core::platform::{verify_device_signature, KdfParams};
use idwallet_core::report::{self, Supplementary};
use idwallet_core::wallet::FacePurpose;
use idwallet_core::{KeyStore, KeyStoreError, OpenOptions, SoftwareKeyStore, StoreError, Wallet};
use idwallet_server::ServerConfig;

use crate::online::{print_documents, print_score};
use crate::wallet_cmd::{hex, print_activity, print_info, utc};

#[derive(ClapArgs)]
pub struct Args {
    /// Directory for the demo's files (made, or cleared if an earlier demo made it; a folder
    /// with other files is refused, never deleted).
    #[arg(long, default_value = "idwallet-demo")]
    dir: PathBuf,
    #[command(flatten)]
    models: crate::face_cmd::ModelsArg,
}

const PASSPHRASE: &str = "demo passphrase — use your own";

/// Marks a folder the demo made, which its next run may clear.
const MARKER: &str = ".idwallet-demo";
/// What the demo leaves in its folder (a folder of only these, from before the marker
/// existed, is also its own).
const OUTPUTS: [&str; 20] = [
    MARKER,
    "wallet.db",
    "wallet.db-wal",
    "wallet.db-shm",
    "wallet.keys",
    "stranger.keys",
    "server",
    "hotel-qr.png",
    "hotel-portrait.jpg",
    "police-qr.png",
    "police-portrait.jpg",
    "trust-list.cbor",
    "status-list.cwt",
    "visa-report.pdf",
    "my-qr.png",
    "iaca.der",
    "mdl-engagement.png",
    "licence.mdoc",
    "mdl-response.cbor",
    "mdl-transcript.cbor",
];

/// Clear `dir` if an earlier demo made it; refuse a folder with anything else in it (it
/// is not ours to delete).
fn clear_previous_run(dir: &std::path::Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) if dir.is_file() => anyhow::bail!("{} is a file: give --dir a folder name", dir.display()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    // Only the demo's own outputs, marker or not: a file the user added is not ours to delete.
    let ours = names.iter().all(|n| OUTPUTS.contains(&n.as_str()));
    if !ours {
        anyhow::bail!(
            "{} holds files the demo did not make: not cleared (choose another --dir, or empty it yourself)",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))
}

pub fn run(args: Args) -> Result<()> {
    let mut steps = 0;
    let mut step = |title: &str| {
        steps += 1;
        println!("\n[{steps}] {title}");
    };
    let dir = &args.dir;
    clear_previous_run(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by `idwallet demo`; it clears this folder on its next run\n")?;
    let wallet_path = dir.join("wallet.db");
    let keys_path = dir.join("wallet.keys");

    step("Create a passphrase-sealed key store (Argon2id, OWASP cost)");
    let ks: Arc<dyn KeyStore> =
        Arc::new(SoftwareKeyStore::create(&keys_path, PASSPHRASE.as_bytes(), KdfParams::default())?);
    let device = ks.device_public_key()?;
    let signature = ks.sign(b"hello idwallet")?;
    ensure!(verify_device_signature(&device, b"hello idwallet", &signature), "device signature did not verify");
    println!("   device key P-256 {}…, test signature verifies", hex(&device[..9]));

    step("Create the encrypted wallet (SQLite, AES-256-GCM per record)");
    let wallet = Wallet::open(&wallet_path, ks.clone(), OpenOptions::default())?;
    let samples: [(&str, &[u8]); 3] = [
        ("hotel-loyalty", b"GOLD-4711"),
        ("preferred-language", b"zh-CN"),
        ("emergency-contact", b"+86 138 0000 0000"),
    ];
    for (key, value) in samples {
        wallet.put_item(key, value)?;
    }
    ensure!(wallet.delete_item("preferred-language")?, "delete failed");
    println!("   stored 3 items, deleted 1");
    wallet.close()?;

    step("Reopen with the passphrase and read back");
    let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::open(&keys_path, PASSPHRASE.as_bytes())?);
    let wallet = Wallet::open(&wallet_path, ks, OpenOptions { create_if_missing: false })?;
    let items = wallet.items()?;
    ensure!(items.len() == 2 && wallet.item("hotel-loyalty")?.value == b"GOLD-4711", "items did not survive reopening");
    for item in &items {
        println!("   {:<18} {} bytes", item.key, item.value.len());
    }

    step("The file holds no plaintext");
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir)? {
        let raw = std::fs::read(entry?.path())?;
        for (_, value) in samples {
            ensure!(!raw.windows(value.len()).any(|w| w == value), "plaintext found in a wallet file");
        }
        scanned += raw.len();
    }
    println!("   scanned {scanned} bytes of wallet and key files: none of the stored values appear");

    step("Typed refusals");
    match SoftwareKeyStore::open(&keys_path, b"guess") {
        Err(KeyStoreError::WrongPassphrase) => {
            println!("   wrong passphrase      → {}", KeyStoreError::WrongPassphrase)
        }
        other => anyhow::bail!("a wrong passphrase was not refused: {:?}", other.map(|_| ())),
    }
    let stranger: Arc<dyn KeyStore> =
        Arc::new(SoftwareKeyStore::create(dir.join("stranger.keys"), b"other", KdfParams::default())?);
    match Wallet::open(&wallet_path, stranger, OpenOptions::default()) {
        Err(e @ StoreError::WrongKey) => println!("   another device's keys → {e}"),
        other => anyhow::bail!("another key store was not refused: {:?}", other.map(|_| ())),
    }
    match wallet.item("passport") {
        Err(e @ StoreError::NotFound { .. }) => println!("   missing record        → {e}"),
        other => anyhow::bail!("a missing record was not reported: {:?}", other.map(|_| ())),
    }

    step("Start the reference server on loopback; register this device");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut config = ServerConfig::new(dir.join("server"));
    config.citizens = 24;
    // The registry photos give the synthetic citizens real faces (ID photo → reference
    // portrait and QR thumbnail); another photo of the same person plays the live holder.
    config.photos = Some(args.models.dir().join("photos"));
    let citizens = config.citizens;
    let server = rt.block_on(idwallet_server::start(config, "127.0.0.1:0".parse()?))?;
    // The holder enrolled at the counter and got a one-time activation code; the app ships
    // the service's key and pins it. The demo picks a citizen whose Sesame-like score
    // reaches 750, so the visa report step has something to show.
    let sesame = idwallet_core::score::provider("sesame")?;
    let started = idwallet_core::now_unix();
    let citizen = (1..=citizens)
        .find(|n| server.state.score(*n, sesame, started).is_ok_and(|(s, _)| s.value >= 750))
        .context("no seeded citizen has a score of 750")?;
    let code = server.state.activation_code(citizen)?.context("no activation code left")?;
    let service = rt.block_on(wallet.register(&server.base_url(), &server.state.server_key(), &code))?;
    println!(
        "   {} → device id {} (every request signed, every response verified)",
        service.base_url, service.device_id
    );

    step("Download the five documents, each checked before it is stored sealed");
    rt.block_on(wallet.refresh_documents())?;
    print_documents(&wallet)?;
    let synced = wallet.trust()?.context("no trust list after refresh")?;
    std::fs::write(dir.join("trust-list.cbor"), &synced.trust_list)?;
    std::fs::write(dir.join("status-list.cwt"), synced.status_tokens.first().context("no status list")?)?;

    step("The eID is locked: nothing is disclosed before a face unlock");
    match wallet.present(DocumentKind::ResidentIdCard, &Profile::hotel(), idwallet_core::now_unix()) {
        Err(e @ idwallet_core::WalletError::FaceCheckRequired) => println!("   present to a hotel → {e}"),
        other => anyhow::bail!("a locked eID presented: {:?}", other.map(|p| p.audience)),
    }

    step("Enrol the holder's face: a liveness session matched against the issuer's reference portrait");
    println!("   (SYNTHETIC frames: a real photo re-rendered as a turning, blinking head — a desktop has no camera)");
    let models = crate::face_cmd::load_models_with_progress(&args.models.dir())?;
    let fixture = |name: &str| -> Result<idwallet_core::face::Frame> {
        let path = args.models.dir().join(format!("photos/{name}.jpg"));
        Ok(idwallet_core::face::Frame::Encoded(std::fs::read(&path).with_context(|| format!("{}", path.display()))?))
    };
    let face = idwallet_core::documents::synthetic::real_face(citizen);
    let live_photo = args.models.dir().join(format!("photos/{}.jpg", face.live_photo));
    println!(
        "   the holder: synthetic citizen {citizen}, whose ID photo is {}.jpg; live photo: {}",
        face.id_photo,
        live_photo.display()
    );
    let order = vec![Challenge::TurnLeft, Challenge::Blink, Challenge::TurnRight];
    let enrolled =
        crate::face_cmd::session(&wallet, FacePurpose::Enrol, &models, fixture(face.live_photo)?, order.clone())?;
    println!(
        "   the live face matches the reference portrait the issuer signed (similarity {:.2}); template sealed",
        enrolled.similarity
    );
    wallet.lock();
    println!("   the app went to the background: eID locked again");

    step("Unlock the eID with the face: a liveness session fed camera frames");
    let unlocked =
        crate::face_cmd::session(&wallet, FacePurpose::Unlock, &models, fixture(face.live_photo)?, order.clone())?;
    println!("   unlocked until {} (similarity {:.2})", utc(unlocked.until), unlocked.similarity);

    let now = idwallet_core::now_unix();
    for profile in [Profile::hotel(), Profile::police()] {
        step(&format!("Show a QR code to the {} and verify it offline as their desk", profile.audience));
        let p = wallet.present(DocumentKind::ResidentIdCard, &profile, now)?;
        let png_path = dir.join(format!("{}-qr.png", profile.audience));
        std::fs::write(&png_path, qr::to_png(&p.text, 6)?)?;
        let version = qr::modules(&p.text)?.version;
        println!("   {} bytes → QR version {version} (ECC M): {}", p.cbor_bytes, png_path.display());
        // The desk's verifier works from the trust list and status list it synced.
        let desk = wallet.verifier(profile)?;
        let seen = wallet.verify(&desk, &p.text, now)?;
        let from_png = desk.verify_image(&std::fs::read(&png_path)?, now)?;
        ensure!(seen == from_png, "the PNG and the text gave different verdicts");
        crate::staff::print_verdict(&seen);
        if let Some(portrait) = &seen.portrait {
            let path = dir.join(format!("{}-portrait.jpg", seen.audience));
            std::fs::write(&path, portrait)?;
            println!("  (the portrait the desk sees: {})", path.display());
        }
    }
    let hotel = wallet.verifier(Profile::hotel())?;
    let now = idwallet_core::now_unix();
    let police_qr = wallet.present(DocumentKind::ResidentIdCard, &Profile::police(), now)?;
    match wallet.verify(&hotel, &police_qr.text, now) {
        Err(e) => println!("   a police QR at the hotel desk → {e}"),
        Ok(_) => anyhow::bail!("a hotel desk accepted a police presentation"),
    }

    step("A police road check: the licence as an ISO 18013-5 mDL, read by a standard reader");
    road_check(&wallet, &synced.trust_list, dir)?;

    step("Someone else, live, tries to replace the holder's face on the unlocked phone");
    let stranger =
        crate::face_cmd::session(&wallet, FacePurpose::Enrol, &models, fixture("impostor_2")?, order.clone());
    match stranger {
        Err(e) => println!("   re-enrolment by another person → {e:#}"),
        Ok(_) => anyhow::bail!("another person's face replaced the holder's"),
    }
    ensure!(wallet.is_face_enrolled()?, "the holder's face is gone");

    step("Credit scores from two providers, and what they unlock");
    for provider in ["sesame", "paypoint"] {
        print_score(&rt.block_on(wallet.fetch_score(provider))?);
    }

    step("Request a visa report (score ≥ 750, fresh face check, supplementary information)");
    let supplementary = Supplementary {
        education: report::Education::Master,
        employer: "Hangzhou Example Technology Co.".into(),
        occupation: "software engineer".into(),
        income_band: report::IncomeBand::From300kTo600k,
        assets: vec!["apartment, Hangzhou".into(), "car".into()],
        phone: "+86 138 0000 0000".into(),
        email: "holder@example.com".into(),
        destination: "FR".into(),
    };
    // A plain unlock does not do for a report: its face check must reflect the colours the
    // screen flashes (a photo re-rendered as a moving head passes the movements alone).
    let plain = rt.block_on(wallet.request_visa_report("sesame", &supplementary));
    anyhow::ensure!(
        matches!(plain, Err(idwallet_core::WalletError::Report(report::ReportError::ColourCheckRequired))),
        "a report was issued on a face check without the screen's colours: {plain:?}"
    );
    println!("   refused on the plain unlock: a report's face check must show the screen's colours");
    let checked =
        crate::face_cmd::session(&wallet, FacePurpose::Report, &models, fixture(face.live_photo)?, order.clone())?;
    println!(
        "   SYNTHETIC frames lit by the six colours the screen showed: face reflected them (similarity {:.2})",
        checked.similarity
    );
    let report = rt.block_on(wallet.request_visa_report("sesame", &supplementary))?;
    let pdf = wallet.export_visa_report_pdf(&report.report.id)?;
    let pdf_path = dir.join("visa-report.pdf");
    std::fs::write(&pdf_path, &pdf)?;
    println!(
        "   report {} verified and stored sealed; PDF {} ({} kB)",
        report.report.id,
        pdf_path.display(),
        pdf.len() / 1024
    );

    step("The consulate verifies the PDF offline (QR seal + embedded report, issuer trust list only)");
    let trust = TrustList::from_cbor(&synced.trust_list)?;
    let (seal, full) = report::verify_pdf(&std::fs::read(&pdf_path)?, &trust, idwallet_core::now_unix())?;
    crate::report_cmd::print_verdict(&seal, full.as_ref());

    step("The server goes away: the wallet shows the last verified score, flagged");
    rt.block_on(server.stop())?;
    let cached = rt.block_on(wallet.fetch_score("sesame"))?;
    ensure!(cached.from_cache, "a score was fetched from a stopped server");
    print_score(&cached);
    match rt.block_on(wallet.refresh_documents()) {
        Err(e) => println!("   refreshing documents offline → {e}"),
        Ok(_) => anyhow::bail!("documents refreshed from a stopped server"),
    }

    step("Wallet info and activity log");
    print_info(&wallet)?;
    println!();
    print_activity(&wallet.activity(20)?);
    wallet.close()?;

    println!("\nDemo complete. Files in {}:", dir.display());
    for name in [
        "wallet.db",
        "wallet.keys",
        "hotel-qr.png",
        "hotel-portrait.jpg",
        "police-qr.png",
        "trust-list.cbor",
        "status-list.cwt",
        "iaca.der",
        "mdl-engagement.png",
        "licence.mdoc",
        "mdl-response.cbor",
        "visa-report.pdf",
    ] {
        println!("   {}", dir.join(name).display());
    }
    println!(
        "Try the consulate desk: idwallet verify-report {} --trust {}",
        pdf_path.display(),
        dir.join("trust-list.cbor").display()
    );
    println!(
        "Try the holder's side: idwallet present --path {} --keystore {} --role hotel --out {} --face {}",
        wallet_path.display(),
        keys_path.display(),
        dir.join("my-qr.png").display(),
        live_photo.display()
    );
    println!(
        "Try the police mDL reader: idwallet mdl verify {} --iaca {} --transcript {}",
        dir.join("mdl-response.cbor").display(),
        dir.join("iaca.der").display(),
        dir.join("mdl-transcript.cbor").display()
    );
    println!(
        "Try the staff desk: idwallet verify --role hotel --image {} --trust {} --status {}",
        dir.join("hotel-qr.png").display(),
        dir.join("trust-list.cbor").display(),
        dir.join("status-list.cwt").display()
    );
    Ok(())
}

/// The road check: the phone shows an engagement QR, the police reader scans it, the two
/// talk over a transport (BLE on phones; in memory here), the holder consents under the
/// police policy, the unlocked wallet answers, and the reader verifies against the IACA root.
fn road_check(wallet: &Wallet, trust_list: &[u8], dir: &std::path::Path) -> Result<()> {
    use idwallet_core::mdl::engagement::RetrievalMethod;
    use idwallet_core::mdl::holder::{HolderSession, ReaderPolicy};
    use idwallet_core::mdl::iaca::Anchors;
    use idwallet_core::mdl::reader::{road_check_request, ReaderSession};
    use idwallet_core::mdl::transport::{memory_pair, Transport};
    let wait = std::time::Duration::from_secs(10);
    let roots = TrustList::from_cbor(trust_list)?.iaca;
    let root = roots.first().context("the trust list carries no IACA root")?;
    std::fs::write(dir.join("iaca.der"), root)?;
    std::fs::write(dir.join("licence.mdoc"), wallet.export_mdoc(idwallet_core::now_unix())?)?;

    let mut holder = HolderSession::new(ReaderPolicy::police(), vec![RetrievalMethod::ble_peripheral()])?;
    let uri = holder.engagement().to_uri();
    let png = dir.join("mdl-engagement.png");
    std::fs::write(&png, qr::to_png(&uri, 6)?)?;
    println!("   the phone shows its device engagement ({} characters, mdoc: URI): {}", uri.len(), png.display());

    // The police reader scans the picture, not the string.
    let scanned =
        qr::decode_image(&std::fs::read(&png)?)?.into_iter().next().context("no code in the engagement QR")?;
    let mut reader = ReaderSession::from_uri(&scanned)?;
    let (mut phone, mut police) = memory_pair();
    police.send(reader.request(&road_check_request())?)?;
    let consent = holder.receive_request(&phone.receive(wait)?)?;
    println!("   the reader asks for {} elements; the holder is shown each:", consent.elements.len());
    for e in &consent.elements {
        let retain = if e.intent_to_retain { "will be kept" } else { "not kept" };
        let allowed = if e.allowed { "allowed for the police" } else { "NOT allowed" };
        println!("     {:<22} {retain}, {allowed}", e.element);
    }
    let answer = wallet.mdl_respond(&mut holder, &consent.allowed(), idwallet_core::now_unix())?;
    phone.send(answer)?;
    println!("   the holder approves; the unlocked wallet answers, signed by the device key");

    let response = reader.open(&police.receive(wait)?)?;
    let verdict = reader.verify(&response, Anchors::Iaca(&roots), idwallet_core::now_unix())?;
    std::fs::write(dir.join("mdl-response.cbor"), &response)?;
    std::fs::write(dir.join("mdl-transcript.cbor"), reader.transcript())?;
    for doc in &verdict.documents {
        crate::mdl_cmd::print_document(
            doc,
            "DS certificate chains to the IACA root, every digest and the device signature verified",
        );
    }
    Ok(())
}
