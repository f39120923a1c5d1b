//! QR credential benchmarks, compared side by side in one run (`scripts/bench.sh`):
//! - verifying one hotel presentation vs. the floor of two raw ring ECDSA P-256
//!   verifications (issuer + device) of the same sizes;
//! - decoding the QR code from 1280×720 frames where it covers ~40 % of the area, clean
//!   and degraded (blur σ 0.8–2.4 px, noise σ 10–40, rotation 1–10°, perspective); the
//!   decode *rate* over 20 variants of each is printed before the timings.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use idwallet_core::credential::{issue, present, qr, IssuerKey, Portraits, Profile, StatusRef, TrustList, Verifier};
use idwallet_core::documents::synthetic::citizen;
use idwallet_core::documents::DocumentKind;
use idwallet_core::platform::KdfParams;
use idwallet_core::{KeyStore, SoftwareKeyStore};
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{rotate_about_center, warp, Border, Interpolation, Projection};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};

const NOW: i64 = 1_795_000_000;

fn presentation(dir: &std::path::Path) -> (Verifier, String) {
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let ks: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(dir.join("k"), b"b", fast).unwrap());
    let issuer = IssuerKey::generate("bench", NOW - 100, NOW + 100);
    let c = citizen(2);
    let status = StatusRef { uri: "https://issuer.example/status/1".into(), idx: 9 };
    let device = ks.device_public_key().unwrap();
    let cred = issue(
        &issuer,
        &c.documents[0],
        Some(Portraits::thumbnail(&c.portrait)),
        &device,
        Some(&status),
        NOW,
        NOW + 100,
    )
    .unwrap();
    let p = present(&cred, DocumentKind::ResidentIdCard, &Profile::hotel(), ks.as_ref(), NOW).unwrap();
    (Verifier::new(Profile::hotel(), TrustList::new(vec![issuer.trusted()])), p.text)
}

fn verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (verifier, text) = presentation(dir.path());
    assert!(verifier.verify_text(&text, NOW).is_ok());
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // Sig_structures of about the sizes verified: the issuer's (~500 B) and the device's (~60 B).
    let (m1, m2) = (vec![7u8; 500], vec![9u8; 60]);
    let (s1, s2) = (key.sign(&rng, &m1).unwrap(), key.sign(&rng, &m2).unwrap());
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key().as_ref().to_vec());

    let mut g = c.benchmark_group("verify");
    g.bench_function("hotel presentation", |b| {
        b.iter(|| black_box(verifier.verify_text(black_box(&text), NOW).unwrap()))
    });
    g.bench_function("2x raw ECDSA P-256", |b| {
        b.iter(|| {
            public.verify(black_box(&m1), s1.as_ref()).unwrap();
            public.verify(black_box(&m2), s2.as_ref()).unwrap();
        })
    });
    g.finish();
}

/// The QR code centred on a white 1280×720 frame, covering ~40 % of its area.
fn frame(text: &str) -> GrayImage {
    let png = qr::to_png(text, 1).unwrap();
    let code = image::load_from_memory(&png).unwrap().to_luma8();
    let side = ((1280.0 * 720.0 * 0.4f64).sqrt()) as u32;
    let code = image::imageops::resize(&code, side, side, image::imageops::FilterType::Nearest);
    let mut f = GrayImage::from_pixel(1280, 720, Luma([255]));
    image::imageops::overlay(&mut f, &code, i64::from((1280 - side) / 2), i64::from((720 - side) / 2));
    f
}

fn degrade(f: &GrayImage, kind: &str, v: u64) -> GrayImage {
    let t = v as f32 / 19.0; // 0..=1 across the 20 variants
    match kind {
        "clean" => f.clone(),
        "blur" => imageproc::filter::gaussian_blur_f32(f, 0.8 + 1.6 * t),
        "noise" => imageproc::noise::gaussian_noise(f, 0.0, 10.0 + 30.0 * t as f64, v + 1),
        // Up to 10°: beyond that a code covering 40 % of a 16:9 frame no longer fits in it.
        "rotation" => {
            rotate_about_center(f, (1.0 + 9.0 * t).to_radians(), Interpolation::Bilinear, Border::Constant(Luma([255])))
        }
        "perspective" => {
            let d = 40.0 + 120.0 * t;
            let from = [(0.0, 0.0), (1280.0, 0.0), (1280.0, 720.0), (0.0, 720.0)];
            let to = [(d, d * 0.5), (1280.0 - d * 0.3, 0.0), (1280.0, 720.0 - d * 0.4), (d * 0.6, 720.0)];
            let p = Projection::from_control_points(from, to).unwrap();
            warp(f, p, Interpolation::Bilinear, Border::Constant(Luma([255])))
        }
        _ => unreachable!(),
    }
}

const KINDS: [&str; 5] = ["clean", "blur", "noise", "rotation", "perspective"];

fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = presentation(dir.path());
    let f = frame(&text);
    println!("\nQR decode rate, 1280x720 frames, hotel presentation (v25), 20 variants each:");
    for kind in KINDS {
        let ok = (0..20).filter(|v| qr::decode_luma(&degrade(&f, kind, *v)).is_ok_and(|t| t.contains(&text))).count();
        println!("  decode-rate {kind:<12} {ok}/20");
    }
    // Side by side: every code in view (decode_luma: multi reader, then the single reader
    // until nothing new) against one look with rxing's single reader, as before.
    let single = |img: &GrayImage| {
        rxing::helpers::detect_in_luma_slice(
            img.as_raw(),
            img.width(),
            img.height(),
            Some(rxing::BarcodeFormat::QR_CODE),
        )
        .ok()
        .map(|r| r.getText().to_owned())
    };
    for kind in KINDS {
        let ok = (0..20).filter(|v| single(&degrade(&f, kind, *v)).is_some_and(|t| t == text)).count();
        println!("  decode-rate {kind:<12} {ok}/20 (one look, single reader)");
    }
    let mut g = c.benchmark_group("qr decode 1280x720");
    g.sample_size(20);
    for kind in KINDS {
        let img = degrade(&f, kind, 5);
        g.bench_function(format!("{kind}: every code"), |b| {
            b.iter(|| black_box(qr::decode_luma(black_box(&img)).ok()))
        });
        g.bench_function(format!("{kind}: one look, single reader"), |b| b.iter(|| black_box(single(black_box(&img)))));
    }
    g.finish();
}

criterion_group!(benches, verify, decode);
criterion_main!(benches);
