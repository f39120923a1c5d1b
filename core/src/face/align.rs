//! Five-point similarity alignment onto the ArcFace 112×112 template (Umeyama's least
//! squares), and the quality measurements taken on the aligned face.

use image::{Rgb, RgbImage};

use super::Quality;

pub(crate) const SIZE: usize = 112;

/// Where the five landmarks sit in a 112×112 ArcFace crop.
const TEMPLATE: [[f32; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/// The similarity transform (scale·rotation, translation) taking `src` onto `dst` in the
/// least-squares sense: `[a, -b, tx; b, a, ty]`. For 2-D points the closed form is exact.
fn similarity(src: &[[f32; 2]; 5], dst: &[[f32; 2]; 5]) -> [f32; 6] {
    let mean = |p: &[[f32; 2]; 5]| {
        let (x, y) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
        (x / 5.0, y / 5.0)
    };
    let ((sx, sy), (dx, dy)) = (mean(src), mean(dst));
    let (mut num_a, mut num_b, mut den) = (0.0f32, 0.0f32, 0.0f32);
    for (s, d) in src.iter().zip(dst) {
        let (px, py, qx, qy) = (s[0] - sx, s[1] - sy, d[0] - dx, d[1] - dy);
        num_a += px * qx + py * qy;
        num_b += px * qy - py * qx;
        den += px * px + py * py;
    }
    let den = den.max(f32::EPSILON);
    let (a, b) = (num_a / den, num_b / den);
    [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)]
}

/// The aligned 112×112 face, sampled bilinearly (black outside the image).
pub(crate) fn warp(image: &RgbImage, landmarks: &[[f32; 2]; 5]) -> RgbImage {
    let [a, nb, tx, b, _, ty] = similarity(landmarks, &TEMPLATE);
    // Invert [a -b; b a]: 1/(a²+b²) · [a b; -b a].
    let det = (a * a + b * b).max(f32::EPSILON);
    RgbImage::from_fn(SIZE as u32, SIZE as u32, |u, v| {
        let (du, dv) = (u as f32 - tx, v as f32 - ty);
        let x = (a * du + b * dv) / det;
        let y = (nb * du + a * dv) / det;
        sample(image, x, y)
    })
}

/// Bilinear sample at (x, y); black outside the image.
pub(crate) fn sample(image: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    if !(x >= 0.0 && y >= 0.0 && x <= w - 1.0 && y <= h - 1.0) {
        return Rgb([0, 0, 0]);
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(image.width() - 1), (y0 + 1).min(image.height() - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |x, y| image.get_pixel(x, y).0;
    let (p00, p10, p01, p11) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
    Rgb(std::array::from_fn(|c| {
        let top = f32::from(p00[c]) * (1.0 - fx) + f32::from(p10[c]) * fx;
        let bottom = f32::from(p01[c]) * (1.0 - fx) + f32::from(p11[c]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    }))
}

/// Size, pose, exposure and sharpness of a face from its landmarks and aligned crop.
pub(crate) fn measure(aligned: &RgbImage, l: &[[f32; 2]; 5]) -> Quality {
    let (eye_distance_px, yaw, _, roll_deg) = pose(l);
    let grey: Vec<f32> =
        aligned.pixels().map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])).collect();
    // Brightness and sharpness over the central face (cheeks to chin), not the black border.
    let (n, mut sum, mut lap) = (SIZE, 0.0, Vec::new());
    for y in 24..n - 8 {
        for x in 24..n - 24 {
            let at = |x: usize, y: usize| grey[y * n + x];
            sum += at(x, y);
            lap.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let brightness = sum / lap.len() as f32;
    let mean = lap.iter().sum::<f32>() / lap.len() as f32;
    let sharpness = lap.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / lap.len() as f32;
    Quality { eye_distance_px, sharpness, brightness, yaw, roll_deg }
}

/// The face's height per width: eyes' midpoint to mouth's per eye distance. A blink leaves
/// it; tilting or squeezing a photo changes it.
pub(crate) fn aspect(l: &[[f32; 2]; 5]) -> f32 {
    let eyes = [(l[0][0] + l[1][0]) / 2.0, (l[0][1] + l[1][1]) / 2.0];
    let mouth = [(l[3][0] + l[4][0]) / 2.0, (l[3][1] + l[4][1]) / 2.0];
    let height = ((mouth[0] - eyes[0]).powi(2) + (mouth[1] - eyes[1]).powi(2)).sqrt();
    height / ((l[1][0] - l[0][0]).powi(2) + (l[1][1] - l[0][1]).powi(2)).sqrt().max(1.0)
}

/// Head pose from the five landmarks: (eye distance px, yaw, pitch, roll°). Yaw is the
/// nose's offset from the eyes' midpoint along the eye line, per eye distance (positive =
/// the subject turned to their left); pitch is how far down the nose sits between the eye
/// line and the mouth line (about 0.5 facing the camera; smaller = looking up).
pub(crate) fn pose(l: &[[f32; 2]; 5]) -> (f32, f32, f32, f32) {
    let (re, le, nose) = (l[0], l[1], l[2]);
    let eye_distance_px = ((le[0] - re[0]).powi(2) + (le[1] - re[1]).powi(2)).sqrt();
    let d = eye_distance_px.max(1.0);
    let eyes = [(re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0];
    let mouth = [(l[3][0] + l[4][0]) / 2.0, (l[3][1] + l[4][1]) / 2.0];
    let ex = [(le[0] - re[0]) / d, (le[1] - re[1]) / d];
    let ey = [-ex[1], ex[0]];
    let along = |p: [f32; 2], e: [f32; 2]| (p[0] - eyes[0]) * e[0] + (p[1] - eyes[1]) * e[1];
    let yaw = along(nose, ex) / d;
    let pitch = along(nose, ey) / along(mouth, ey).abs().max(1.0);
    let roll_deg = (le[1] - re[1]).atan2(le[0] - re[0]).to_degrees();
    (eye_distance_px, yaw, pitch, roll_deg)
}
