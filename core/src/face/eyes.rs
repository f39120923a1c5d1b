//! MediaPipe Iris on each eye the detector found, for the blink challenge: how open the eyes
//! are. The model takes a square 2.3× the eye's width around the eye, eye corners level, the
//! subject's left eye mirrored, as 64×64 RGB in 0…1 (`models/models.toml`), and answers 71
//! eye-contour points and 5 iris points in crop pixels. (Face Mesh's own lid points barely
//! move when an eye closes; this model's follow the lid — measured in `docs/liveness.md`.)
//!
//! Openness is the lid gap measured along the face's vertical axis *per eye-to-mouth
//! distance on that axis*: a ratio of parallel lengths, which no affine warp of a flat photo
//! changes — squeezing or tilting a print does not make it blink.

use image::RgbImage;

use super::model::Model;
use super::{align, Face, FaceError};

/// The model's input side.
pub(crate) const SIZE: usize = 64;
/// The crop's side per eye width (MediaPipe's ROI scale), and an eye's width (corner to
/// corner) per distance between the eyes' centres: 0.41–0.49 on the test photos' Face Mesh.
const CROP_PER_EYE_WIDTH: f32 = 2.3;
const EYE_WIDTH_PER_IOD: f32 = 0.45;
/// Contour points: 0 and 8 are the corners, 1–7 the lower lid, 9–15 the upper lid (from
/// the corner at 0); (upper, lower) pairs across the eye's middle.
const LOWER: std::ops::RangeInclusive<usize> = 0..=8;
const UPPER: std::ops::RangeInclusive<usize> = 9..=15;
const ACROSS: [(usize, usize); 5] = [(10, 2), (11, 3), (12, 4), (13, 5), (14, 6)];
const CONTOUR_POINTS: usize = 71;

/// One eye's contour in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Eye {
    /// 71 points: lids (0–15) and the rings around them.
    pub contour: Vec<[f32; 2]>,
}

impl Eye {
    /// The lower lid, corner to corner.
    pub fn lower_lid(&self) -> Vec<[f32; 2]> {
        self.contour[LOWER].to_vec()
    }

    /// The upper lid, corner to corner.
    pub fn upper_lid(&self) -> Vec<[f32; 2]> {
        let mut lid = vec![self.contour[0]];
        lid.extend_from_slice(&self.contour[UPPER]);
        lid.push(self.contour[8]);
        lid
    }

    /// Midpoint of the corners.
    pub fn centre(&self) -> [f32; 2] {
        let (a, b) = (self.contour[0], self.contour[8]);
        [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
    }
}

/// Both eyes (the subject's right, then left) and how open they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Eyes {
    pub eyes: [Eye; 2],
    /// Mean lid gap per eye-to-mouth distance, both along the axis from the eyes to the
    /// mouth: about 0.07–0.1 open, under half that closed.
    pub openness: f32,
}

/// The crop the model sees: centre, side (pixels), the eye line's direction, mirrored?
#[derive(Debug, Clone, Copy)]
struct Crop {
    centre: [f32; 2],
    side: f32,
    cos: f32,
    sin: f32,
    mirrored: bool,
}

impl Crop {
    /// Image point of crop point (u, v) in 0…SIZE.
    fn to_image(self, u: f32, v: f32) -> [f32; 2] {
        let a = (u / SIZE as f32 - 0.5) * self.side * if self.mirrored { -1.0 } else { 1.0 };
        let b = (v / SIZE as f32 - 0.5) * self.side;
        [self.centre[0] + a * self.cos - b * self.sin, self.centre[1] + a * self.sin + b * self.cos]
    }

    /// `image`'s pixels under the crop, as the model's NHWC RGB 0…1 input.
    fn input(self, image: &RgbImage) -> Vec<f32> {
        let mut out = Vec::with_capacity(SIZE * SIZE * 3);
        for v in 0..SIZE {
            for u in 0..SIZE {
                let [x, y] = self.to_image(u as f32 + 0.5, v as f32 + 0.5);
                out.extend(align::sample(image, x - 0.5, y - 0.5).0.map(|c| f32::from(c) / 255.0));
            }
        }
        out
    }
}

/// Run the model on one 64×64 crop given as model input: the contour in crop pixels.
pub(crate) fn run_crop(model: &Model, input: Vec<f32>) -> Result<(Vec<[f32; 2]>, Vec<f32>), FaceError> {
    let mut out = model.run(input)?.into_iter();
    let (contour, iris) = (out.next().ok_or(FaceError::Inference)?, out.next().ok_or(FaceError::Inference)?);
    if contour.len() != CONTOUR_POINTS * 3 || iris.len() != 15 || contour.iter().chain(&iris).any(|v| !v.is_finite()) {
        return Err(FaceError::Inference);
    }
    Ok((contour.chunks_exact(3).map(|c| [c[0], c[1]]).collect(), iris))
}

/// Both eyes of `face` in `image`, and their openness.
pub(crate) fn run(model: &Model, image: &RgbImage, face: &Face) -> Result<Eyes, FaceError> {
    let l = face.landmarks;
    let line = [l[1][0] - l[0][0], l[1][1] - l[0][1]];
    let iod = (line[0] * line[0] + line[1] * line[1]).sqrt().max(1.0);
    let (cos, sin) = (line[0] / iod, line[1] / iod);
    let side = CROP_PER_EYE_WIDTH * EYE_WIDTH_PER_IOD * iod;
    let mut eyes = Vec::with_capacity(2);
    for (k, centre) in l[..2].iter().enumerate() {
        let mut crop = Crop { centre: *centre, side, cos, sin, mirrored: k == 1 };
        let mut eye = Eye { contour: Vec::new() };
        // Twice, as MediaPipe crops: around the detector's eye point, then around the eye
        // corners this finds, sized by their distance.
        for pass in 0..2 {
            let (contour, _) = run_crop(model, crop.input(image))?;
            eye = Eye { contour: contour.into_iter().map(|[u, v]| crop.to_image(u, v)).collect() };
            if pass == 0 {
                let (a, b) = (eye.contour[0], eye.contour[8]);
                let width = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
                crop.centre = eye.centre();
                crop.side = CROP_PER_EYE_WIDTH * width.clamp(0.3 * iod, 0.6 * iod);
            }
        }
        eyes.push(eye);
    }
    let eyes: [Eye; 2] = eyes.try_into().map_err(|_| FaceError::Inference)?;
    // The face's vertical axis: from between the eyes to between the mouth corners.
    let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let (top, bottom) = (mid(l[0], l[1]), mid(l[3], l[4]));
    let axis = [bottom[0] - top[0], bottom[1] - top[1]];
    let height = (axis[0] * axis[0] + axis[1] * axis[1]).sqrt().max(1.0);
    let gaps: f32 = eyes
        .iter()
        .flat_map(|e| ACROSS.map(|(up, low)| (e.contour[low], e.contour[up])))
        .map(|(low, up)| ((low[0] - up[0]) * axis[0] + (low[1] - up[1]) * axis[1]) / height)
        .sum();
    let openness = gaps / (2 * ACROSS.len()) as f32 / height;
    Ok(Eyes { eyes, openness })
}
