//! Face pipeline timings on a real photo: model load (fold + tract optimisation), detection
//! alone, and the whole analysis (detect, align, quality, embed). Needs `models/fetch.sh`.

use criterion::{criterion_group, criterion_main, Criterion};
use idwallet_core::face::{FaceModels, Frame, DETECTOR_FILE, EMBEDDER_FILE};

#[path = "../tests/common/mod.rs"]
mod common;

fn face(c: &mut Criterion) {
    let dir = common::models_dir();
    let (yunet, sface) =
        (std::fs::read(dir.join(DETECTOR_FILE)).unwrap(), std::fs::read(dir.join(EMBEDDER_FILE)).unwrap());
    let photo = Frame::Encoded(std::fs::read(dir.join("photos/person_b_1.jpg")).unwrap());
    let mut group = c.benchmark_group("face");
    group.sample_size(10);
    group.bench_function("load models", |b| b.iter(|| FaceModels::load(&yunet, &sface).unwrap()));
    let models = FaceModels::load(&yunet, &sface).unwrap();
    group.bench_function("detect (716x900 photo)", |b| b.iter(|| models.detect(&photo).unwrap()));
    group.bench_function("analyze (716x900 photo)", |b| b.iter(|| models.analyze(&photo).unwrap()));
    group.finish();
}

criterion_group!(benches, face);
criterion_main!(benches);
