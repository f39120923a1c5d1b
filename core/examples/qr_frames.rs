//! Decode every frame listed in a `scripts/bench-qr.py` manifest with `qr::decode_luma`,
//! timing each decode in-process (the PNG is read before the clock starts), and print one
//! JSON result per frame: `{"condition", "ok", "ms"}`, `ok` when the expected text was read.
//!
//!     cargo run --release -p idwallet-core --example qr_frames -- MANIFEST.json

use std::time::Instant;

use idwallet_core::credential::qr;

fn main() {
    let manifest = std::env::args().nth(1).expect("usage: qr_frames MANIFEST.json");
    let frames: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&manifest).expect("the manifest")).expect("a JSON list");
    let mut out = Vec::new();
    for f in &frames {
        let img = image::open(f["path"].as_str().expect("path")).expect("a frame").to_luma8();
        let started = Instant::now();
        let texts = qr::decode_luma(&img).unwrap_or_default();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let ok = texts.iter().any(|t| Some(t.as_str()) == f["expected"].as_str());
        out.push(serde_json::json!({ "condition": f["condition"], "ok": ok, "ms": ms }));
    }
    println!("{}", serde_json::Value::Array(out));
}
