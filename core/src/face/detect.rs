//! YuNet (2023mar): a letterboxed 320×320 BGR input, anchor-free outputs at strides 8, 16
//! and 32 — class and objectness scores, box offsets, five landmarks — decoded as OpenCV's
//! `FaceDetectorYN` does, then non-maximum suppression.

use image::RgbImage;

use super::model::Model;
use super::FaceError;

/// The detector's input side (a multiple of 32).
pub(crate) const SIZE: usize = 320;
const STRIDES: [usize; 3] = [8, 16, 32];
const MIN_SCORE: f32 = 0.6;
const NMS_IOU: f32 = 0.3;

/// A detected face in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    /// Right eye, left eye, nose tip, right and left mouth corners (the subject's sides).
    pub landmarks: [[f32; 2]; 5],
    pub score: f32,
}

pub(crate) fn run(model: &Model, image: &RgbImage) -> Result<Vec<Face>, FaceError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Err(FaceError::BadImage);
    }
    let scale = SIZE as f32 / w.max(h) as f32;
    let (sw, sh) = (
        ((w as f32 * scale).round() as u32).clamp(1, SIZE as u32),
        ((h as f32 * scale).round() as u32).clamp(1, SIZE as u32),
    );
    let small = image::imageops::resize(image, sw, sh, image::imageops::FilterType::Triangle);
    // The frame sits top-left, zero-padded to a square.
    let outputs = model.run(super::model::bgr_planes(&small, SIZE))?;
    if outputs.len() != 12 {
        return Err(FaceError::Inference);
    }
    let mut faces = Vec::new();
    for (k, stride) in STRIDES.iter().enumerate() {
        let cols = SIZE / stride;
        let (cls, obj, bbox, kps) = (&outputs[k], &outputs[3 + k], &outputs[6 + k], &outputs[9 + k]);
        if cls.len() != cols * cols || bbox.len() != 4 * cls.len() || kps.len() != 10 * cls.len() {
            return Err(FaceError::Inference);
        }
        for idx in 0..cls.len() {
            let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
            if score < MIN_SCORE {
                continue;
            }
            let (r, c, s) = ((idx / cols) as f32, (idx % cols) as f32, *stride as f32);
            let b = &bbox[idx * 4..idx * 4 + 4];
            let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
            let (bw, bh) = (b[2].exp() * s, b[3].exp() * s);
            let mut landmarks = [[0.0; 2]; 5];
            for (n, l) in landmarks.iter_mut().enumerate() {
                *l = [(kps[idx * 10 + 2 * n] + c) * s / scale, (kps[idx * 10 + 2 * n + 1] + r) * s / scale];
            }
            let bbox = [(cx - bw / 2.0) / scale, (cy - bh / 2.0) / scale, bw / scale, bh / scale];
            faces.push(Face { bbox, landmarks, score });
        }
    }
    Ok(nms(faces))
}

pub(crate) fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let (x1, y1) = (a[0].max(b[0]), a[1].max(b[1]));
    let (x2, y2) = ((a[0] + a[2]).min(b[0] + b[2]), (a[1] + a[3]).min(b[1] + b[3]));
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter).max(f32::EPSILON)
}

/// Keep the best of overlapping boxes; the result is sorted largest face first.
fn nms(mut faces: Vec<Face>) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for f in faces {
        if kept.iter().all(|k| iou(&k.bbox, &f.bbox) < NMS_IOU) {
            kept.push(f);
        }
    }
    kept.sort_by(|a, b| (b.bbox[2] * b.bbox[3]).total_cmp(&(a.bbox[2] * a.bbox[3])));
    kept
}
