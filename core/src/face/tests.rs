//! The face pipeline on the real models and real photos (fetched by `models/fetch.sh`):
//! tract on the prepared models against ONNX Runtime, matching on
//! real pairs, and the typed refusals of the quality gate.

use std::path::PathBuf;
use std::sync::OnceLock;

use image::{DynamicImage, GenericImageView, RgbImage};

use super::*;

fn models_dir() -> PathBuf {
    let dir = std::env::var_os("IDWALLET_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        let tools = std::env::var_os("IDWALLET_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools"));
        tools.join("models")
    });
    assert!(dir.join(DETECTOR_FILE).exists(), "no face models in {}: run models/fetch.sh", dir.display());
    dir
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(models_dir().join(name)).unwrap()
}

fn models() -> &'static FaceModels {
    static MODELS: OnceLock<FaceModels> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut m = FaceModels::load(&read(DETECTOR_FILE), &read(EMBEDDER_FILE)).unwrap();
        m.load_iris(&read(IRIS_FILE)).unwrap();
        m
    })
}

pub(crate) fn photo(name: &str) -> Vec<u8> {
    read(&format!("photos/{name}.jpg"))
}

fn reference() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/face/reference.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The deterministic input `models/reference.py` fed ONNX Runtime.
fn pattern(size: usize) -> Vec<f32> {
    (0..3 * size * size)
        .map(|i| ((i / (size * size) * 131 + i / size % size * 17 + i % size * 7) % 256) as f32)
        .collect()
}

#[test]
fn tract_on_the_folded_models_agrees_with_onnx_runtime() {
    agrees_with_onnx_runtime(models());
}

/// SFace and Iris load beside YuNet (threads of their own); what the caller sees is as if
/// one after another: progress 0…3, a cancel, a bad or swapped file a typed error.
#[test]
fn models_loaded_side_by_side_report_progress_cancel_and_refuse_bad_files() {
    let (yunet, sface, iris) = (read(DETECTOR_FILE), read(EMBEDDER_FILE), read(IRIS_FILE));
    let mut seen = Vec::new();
    let m = FaceModels::load_all(&yunet, &sface, Some(&iris), &mut |done, total| {
        seen.push((done, total));
        true
    })
    .unwrap();
    assert_eq!(seen, [(0, 3), (1, 3), (2, 3), (3, 3)]);
    assert!(m.can_blink());
    // The models loaded on other threads are the same models: the same embedding.
    let frame = Frame::Encoded(photo("person_b_1"));
    let similarity = m.analyze(&frame).unwrap().template.similarity(&models().analyze(&frame).unwrap().template);
    assert!(similarity > 0.999, "{similarity}");

    let mut calls = 0;
    let cancelled = FaceModels::load_all(&yunet, &sface, Some(&iris), &mut |done, _| {
        calls += 1;
        done < 1
    });
    assert!(matches!(cancelled, Err(FaceError::Cancelled)), "{cancelled:?}");
    assert_eq!(calls, 2, "no progress after the cancel");

    let mut torn = sface.clone();
    torn.truncate(sface.len() / 2);
    for (y, s, i) in [(&yunet, &torn, &iris), (&yunet, &sface, &yunet), (&sface, &yunet, &iris)] {
        let err = FaceModels::load_all(y, s, Some(i), &mut |_, _| true).unwrap_err();
        assert!(matches!(err, FaceError::BadModel { .. }), "{err:?}");
    }
}

/// The same work split across two threads must give the same answer.
#[cfg(feature = "parallel")]
#[test]
fn two_threads_agree_with_onnx_runtime() {
    let mut threaded = FaceModels::load(&read(DETECTOR_FILE), &read(EMBEDDER_FILE)).unwrap();
    threaded.set_threads(2).unwrap();
    agrees_with_onnx_runtime(&threaded);
}

fn agrees_with_onnx_runtime(m: &FaceModels) {
    let reference = reference();
    for (key, plan, size) in [("yunet", &m.detector, detect::SIZE), ("sface", &m.embedder, align::SIZE)] {
        let out = plan.run(pattern(size)).unwrap();
        let sums = reference[key]["output_sums"].as_array().unwrap();
        let firsts = reference[key]["outputs"].as_array().unwrap();
        assert_eq!(out.len(), sums.len(), "{key}");
        for (i, v) in out.iter().enumerate() {
            let expected: Vec<f32> = firsts[i].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
            let scale = expected.iter().fold(1e-3f32, |m, x| m.max(x.abs()));
            for (a, b) in v.iter().zip(&expected) {
                assert!((a - b).abs() <= 2e-3 * scale, "{key} output {i}: {a} vs {b}");
            }
            let sum: f64 = v.iter().map(|x| f64::from(*x)).sum();
            let want = sums[i].as_f64().unwrap();
            assert!(
                (sum - want).abs() <= 1e-3 * want.abs().max(1.0) * (v.len() as f64).sqrt(),
                "{key} sum {i}: {sum} vs {want}"
            );
        }
    }
}

/// `models/convert.py` ran the original .tflite in TensorFlow Lite's interpreter on eye
/// crops of real photos; tract on the converted graph must find the same points.
#[test]
fn tract_on_the_converted_eye_model_agrees_with_tflite() {
    let m = models();
    let checks = models_dir().join("checks");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(checks.join("iris_reference.json")).unwrap()).unwrap();
    let crops = reference.as_object().unwrap();
    assert_eq!(crops.len(), 10);
    for (name, want) in crops {
        let crop = image::open(checks.join(name)).unwrap().to_rgb8();
        assert_eq!(crop.dimensions(), (eyes::SIZE as u32, eyes::SIZE as u32));
        let input = crop.pixels().flat_map(|p| p.0.map(|c| f32::from(c) / 255.0)).collect();
        let (contour, iris) = eyes::run_crop(m.iris.as_ref().unwrap(), input).unwrap();
        let want_contour: Vec<f32> =
            want["contour"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let want_iris: Vec<f32> = want["iris"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        assert_eq!(want_contour.len(), contour.len() * 3);
        // x and y of each point (z is not used); crop pixels of 64, where TFLite and ONNX
        // Runtime differed by < 1e-4.
        let xy = want_contour.chunks_exact(3).zip(&contour).flat_map(|(w, g)| [(w[0], g[0]), (w[1], g[1])]);
        let worst = xy.chain(want_iris.iter().copied().zip(iris)).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 0.01, "{name}: a point is {worst} px from TFLite's");
    }
}

/// Around the detector's eyes, the eye model finds both eyes there, open.
#[test]
fn the_eye_model_finds_open_eyes_where_the_detector_finds_eyes() {
    let m = models();
    for name in ["obama", "obama2", "biden", "person_a_1", "person_b_2", "impostor_1"] {
        let image = Frame::Encoded(photo(name)).to_rgb().unwrap();
        let face = detect::run(&m.detector, &image).unwrap().remove(0);
        let found = m.eyes(&image, &face).unwrap();
        let l = face.landmarks;
        let iod = ((l[1][0] - l[0][0]).powi(2) + (l[1][1] - l[0][1]).powi(2)).sqrt();
        for (eye, yunet_eye) in found.eyes.iter().zip(&l[..2]) {
            let c = eye.centre();
            let d = ((c[0] - yunet_eye[0]).powi(2) + (c[1] - yunet_eye[1]).powi(2)).sqrt();
            // YuNet's own eye point is off by up to 0.2 of the eye distance (biden's left).
            assert!(d < 0.25 * iod, "{name}: eye {d:.1} px apart (eye distance {iod:.0})");
        }
        assert!((0.04..0.2).contains(&found.openness), "{name}: openness {}", found.openness);
    }
}

#[test]
fn the_same_person_years_apart_matches_and_other_people_do_not() {
    let m = models();
    let names = ["person_a_1", "person_a_2", "person_b_1", "person_b_2", "impostor_1", "impostor_2"];
    let templates: Vec<Template> =
        names.iter().map(|n| m.analyze(&Frame::Encoded(photo(n))).unwrap().template).collect();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let same = names[i].split('_').take(2).eq(names[j].split('_').take(2)) && names[i].starts_with("person");
            let s = templates[i].similarity(&templates[j]);
            assert_eq!(s >= MATCH_THRESHOLD, same, "{} vs {}: {s:.3}", names[i], names[j]);
        }
    }
    let c = m.compare(&Frame::Encoded(photo("person_b_1")), &Frame::Encoded(photo("person_b_2"))).unwrap();
    assert!(c.same_person && c.similarity > 0.5, "{c:?}");
}

fn jpeg(img: &DynamicImage) -> Frame {
    let mut out = std::io::Cursor::new(Vec::new());
    img.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    Frame::Encoded(out.into_inner())
}

fn face_of(name: &str) -> DynamicImage {
    image::load_from_memory(&photo(name)).unwrap()
}

#[test]
fn frames_without_a_usable_face_get_typed_reasons() {
    let m = models();
    let grey = DynamicImage::ImageRgb8(RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128])));
    assert_eq!(m.analyze(&jpeg(&grey)).unwrap_err(), FaceError::NoFace);
    assert_eq!(m.analyze(&Frame::Encoded(b"not an image".to_vec())).unwrap_err(), FaceError::BadImage);

    let b = face_of("person_b_1");
    let blurred = b.blur(6.0);
    assert!(matches!(m.analyze(&jpeg(&blurred)), Err(FaceError::Blurred { .. } | FaceError::NoFace)), "blurred");
    let dark = b.brighten(-135);
    let r = m.analyze(&jpeg(&dark)).map(|a| a.quality);
    assert!(matches!(r, Err(FaceError::TooDark { .. } | FaceError::NoFace)), "dark: {r:?}");
    let small = b.resize(60, 60, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(640, 640, image::Rgb([90, 90, 90]));
    image::imageops::overlay(&mut canvas, &small.to_rgb8(), 300, 300);
    assert!(matches!(
        m.analyze(&jpeg(&DynamicImage::ImageRgb8(canvas))),
        Err(FaceError::TooSmall { .. } | FaceError::NoFace)
    ));

    // Two people side by side, the same size: ambiguous, refused.
    let (a, b) = (
        face_of("person_a_2").resize_exact(300, 360, image::imageops::FilterType::Triangle),
        b.resize_exact(300, 360, image::imageops::FilterType::Triangle),
    );
    let mut pair = RgbImage::new(600, 360);
    image::imageops::overlay(&mut pair, &a.to_rgb8(), 0, 0);
    image::imageops::overlay(&mut pair, &b.to_rgb8(), 300, 0);
    assert_eq!(m.analyze(&jpeg(&DynamicImage::ImageRgb8(pair))).unwrap_err(), FaceError::SeveralFaces { count: 2 });
}

/// A photo as an upright-making rotation of a raw camera buffer.
fn raw(img: &DynamicImage, format: PixelFormat, rotation: u32) -> Frame {
    // The sensor sees the scene turned; `rotation` turns it back.
    let sensor = match rotation {
        90 => img.rotate270(),
        180 => img.rotate180(),
        270 => img.rotate90(),
        _ => img.clone(),
    };
    let (w, h) = sensor.dimensions();
    let rgb = sensor.to_rgb8();
    let stride = w + 16; // padded rows, as camera buffers often are
    let data = match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => {
            let mut d = vec![0u8; (stride * 4 * h) as usize];
            for (x, y, p) in rgb.enumerate_pixels() {
                let i = (y * stride * 4 + x * 4) as usize;
                let [r, g, b] = p.0;
                d[i..i + 4].copy_from_slice(&if format == PixelFormat::Rgba8 {
                    [r, g, b, 255]
                } else {
                    [b, g, r, 255]
                });
            }
            return Frame::Raw { format, width: w, height: h, stride: stride * 4, rotation, data: d };
        }
        _ => {
            let ch = h.div_ceil(2);
            let cs = if format == PixelFormat::Nv21 { stride } else { stride.div_ceil(2) };
            let planes = if format == PixelFormat::Nv21 { 1 } else { 2 };
            let mut d = vec![0u8; (stride * h + cs * ch * planes) as usize];
            let yuv = |p: &image::Rgb<u8>| {
                let [r, g, b] = p.0.map(f32::from);
                let y = 0.299 * r + 0.587 * g + 0.114 * b;
                (y, (b - y) / 1.772 + 128.0, (r - y) / 1.402 + 128.0)
            };
            for (x, y, p) in rgb.enumerate_pixels() {
                let (l, u, v) = yuv(p);
                d[(y * stride + x) as usize] = l.round().clamp(0.0, 255.0) as u8;
                if x % 2 == 0 && y % 2 == 0 {
                    let (u, v) = (u.round().clamp(0.0, 255.0) as u8, v.round().clamp(0.0, 255.0) as u8);
                    let base = (stride * h) as usize;
                    if format == PixelFormat::Nv21 {
                        let i = base + ((y / 2) * cs + (x / 2) * 2) as usize;
                        d[i] = v;
                        d[i + 1] = u;
                    } else {
                        let i = ((y / 2) * cs + x / 2) as usize;
                        d[base + i] = u;
                        d[base + (cs * ch) as usize + i] = v;
                    }
                }
            }
            d
        }
    };
    Frame::Raw { format, width: w, height: h, stride, rotation, data }
}

#[test]
fn camera_buffers_in_every_format_and_rotation_give_the_same_face() {
    let m = models();
    let img = face_of("person_b_2").resize(480, 480, image::imageops::FilterType::Triangle);
    let reference = m.analyze(&jpeg(&img)).unwrap().template;
    for (format, rotation) in
        [(PixelFormat::Rgba8, 0), (PixelFormat::Bgra8, 90), (PixelFormat::Nv21, 270), (PixelFormat::I420, 180)]
    {
        let t = m.analyze(&raw(&img, format, rotation)).unwrap().template;
        let s = t.similarity(&reference);
        assert!(s > 0.9, "{format:?} rotated {rotation}: similarity {s:.3} to the JPEG");
    }
    // Inconsistent buffers are refused, not read out of bounds.
    let Frame::Raw { data, .. } = raw(&img, PixelFormat::Nv21, 0) else { unreachable!() };
    let short = Frame::Raw {
        format: PixelFormat::Nv21,
        width: 480,
        height: 480,
        stride: 496,
        rotation: 0,
        data: data[..1000].to_vec(),
    };
    assert_eq!(m.analyze(&short).unwrap_err(), FaceError::BadFrame);
    let odd =
        Frame::Raw { format: PixelFormat::Rgba8, width: 10, height: 10, stride: 40, rotation: 45, data: vec![0; 400] };
    assert_eq!(m.analyze(&odd).unwrap_err(), FaceError::BadFrame);
    let narrow =
        Frame::Raw { format: PixelFormat::Bgra8, width: 10, height: 10, stride: 20, rotation: 0, data: vec![0; 400] };
    assert_eq!(m.analyze(&narrow).unwrap_err(), FaceError::BadFrame);
}

/// Every pair of the real photos, labelled by who is in them. Prints the ROC points
/// (`cargo test -p idwallet-core --lib calibration -- --nocapture`) that
/// `docs/face-calibration.md` reports, and checks the threshold separates them.
#[test]
fn calibration_on_real_photos_separates_genuine_and_impostor_pairs_at_the_threshold() {
    let m = models();
    let photos = crate::documents::synthetic::LABELLED_PHOTOS;
    let templates: Vec<Template> =
        photos.iter().map(|(f, _)| m.analyze(&Frame::Encoded(photo(f))).unwrap().template).collect();
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for i in 0..photos.len() {
        for j in i + 1..photos.len() {
            let s = templates[i].similarity(&templates[j]);
            if photos[i].1 == photos[j].1 {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
        }
    }
    let range = |v: &[f32]| (v.iter().copied().fold(f32::MAX, f32::min), v.iter().copied().fold(f32::MIN, f32::max));
    println!(
        "genuine pairs {} {:?}; impostor pairs {} {:?}",
        genuine.len(),
        range(&genuine),
        impostor.len(),
        range(&impostor)
    );
    println!("threshold  FMR (impostors accepted)  FNMR (genuine refused)");
    for t in [0.20f32, 0.25, 0.30, 0.33, 0.363, 0.40, 0.45, 0.48, 0.50, 0.55] {
        let fm = impostor.iter().filter(|s| **s >= t).count();
        let fnm = genuine.iter().filter(|s| **s < t).count();
        println!("{t:>9.3}  {fm:>2}/{}  {fnm:>2}/{}", impostor.len(), genuine.len());
    }
    assert_eq!((genuine.len(), impostor.len()), (8, 37));
    assert!(genuine.iter().all(|s| *s >= MATCH_THRESHOLD), "a genuine pair falls below the threshold");
    assert!(impostor.iter().all(|s| *s < MATCH_THRESHOLD), "an impostor pair reaches the threshold");
}
