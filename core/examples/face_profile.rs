//! One face operation in a loop, for a profiler (`perf record -g`): a model's load or a run
//! of it on the input `models/reference.py` uses, nothing else in the process.
//!   cargo build --release -p idwallet-core --example face_profile
//!   perf record -g target/release/examples/face_profile sface-load 20
//! Operations: {yunet,sface,iris}-{load,run}.

use idwallet_core::face::{Model, DETECTOR_FILE, EMBEDDER_FILE, IRIS_FILE};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(op), times) = (args.next(), args.next().and_then(|n| n.parse().ok()).unwrap_or(20)) else {
        eprintln!("usage: face_profile {{yunet,sface,iris}}-{{load,run}} [times]");
        std::process::exit(2);
    };
    let Some((model, what)) = op.split_once('-') else { std::process::exit(2) };
    let (file, size) = match model {
        "yunet" => (DETECTOR_FILE, 320),
        "sface" => (EMBEDDER_FILE, 112),
        "iris" => (IRIS_FILE, 64),
        _ => std::process::exit(2),
    };
    let dir =
        std::env::var_os("IDWALLET_MODELS").map(std::path::PathBuf::from).unwrap_or_else(|| ".tools/models".into());
    let bytes = std::fs::read(dir.join(file)).expect("the prepared model (models/fetch.sh)");
    let start = std::time::Instant::now();
    if what == "load" {
        for _ in 0..times {
            std::hint::black_box(Model::load(&bytes).unwrap());
        }
    } else {
        let m = Model::load(&bytes).unwrap();
        // The same values for every model; Iris's layout differs but its timing does not.
        let input: Vec<f32> =
            (0..3 * size * size).map(|i| (i * 7 % 256) as f32 / if model == "iris" { 255.0 } else { 1.0 }).collect();
        for _ in 0..times {
            std::hint::black_box(m.run(input.clone()).unwrap());
        }
    }
    println!("{op}: {:.2} ms each over {times}", start.elapsed().as_secs_f64() * 1e3 / times as f64);
    // Memory now and at its peak (Linux), to tell what a load keeps from what it passes through.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let kb = |key: &str| status.lines().find(|l| l.starts_with(key)).map(|l| l[key.len()..].trim().to_string());
        println!("resident {}, peak {}", kb("VmRSS:").unwrap_or_default(), kb("VmHWM:").unwrap_or_default());
    }
}
