//! **Synthetic** camera frames for liveness tests, its evaluation and the demo — never for
//! a real decision. No registry ships face videos, so (DESIGN §5) a genuine-like sequence
//! is made from one real photo by lifting the face onto a coarse 3-D surface (a paraboloid
//! head with a nose bump, placed from the five landmarks) and re-rendering it with small
//! head rotations, hand shake and sensor noise. A blink is drawn: the band of lid above the
//! eye MediaPipe Iris outlines is stretched down over it, as a closing lid slides. Attacks are made the same way but keep the
//! photo flat: moved, zoomed, turned or sheared as a plane (a homography).
//!
//! These frames are labelled synthetic wherever they are used; what they measure is the
//! session logic and the planarity test, not real-camera error rates.

use image::{Rgb, RgbImage};

use super::liveness::{Challenge, LivenessSession, Progress};
use super::Eye;
use super::{FaceError, FaceModels, Frame};

/// Where a synthetic head points and how the hand holding the camera moved.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pose {
    /// Degrees, positive = the subject turns to their left.
    pub yaw_deg: f32,
    /// Degrees, positive = the subject looks up.
    pub pitch_deg: f32,
    /// Camera shake: pixels.
    pub shift: [f32; 2],
    /// Camera distance change: 1.0 = as photographed.
    pub zoom: f32,
    /// How far the eyes are closed: 0 open … 1 shut (drawn only when the eye model is loaded).
    pub blink: f32,
    /// The colour (0…1 per channel) of the phone's screen lighting the head.
    pub screen: [f32; 3],
    /// Grey levels added flat over the whole picture, per channel: the screen's light as a
    /// glare on the glass of a screen held in front of the camera.
    pub glare: [f32; 3],
}

impl Pose {
    pub fn yaw(yaw_deg: f32) -> Self {
        Self { yaw_deg, zoom: 1.0, ..Self::default() }
    }
    pub fn pitch(pitch_deg: f32) -> Self {
        Self { pitch_deg, zoom: 1.0, ..Self::default() }
    }
}

/// A real photo lifted onto a coarse 3-D head.
#[derive(Debug, Clone)]
pub struct Head {
    image: RgbImage,
    /// Height above the photo plane, pixels, per pixel.
    depth: Vec<f32>,
    centre: [f32; 2],
    /// The eyes as MediaPipe Iris outlines them, if it is loaded.
    eyes: Option<[Eye; 2]>,
}

impl Head {
    /// Lift the main face of `photo`.
    pub fn from_photo(models: &FaceModels, photo: &Frame) -> Result<Self, FaceError> {
        let image = photo.to_rgb()?;
        let faces = models.detect(photo)?;
        let face = faces.first().ok_or(FaceError::NoFace)?;
        let outlines = if models.can_blink() { Some(models.eyes(&image, face)?.eyes) } else { None };
        let l = face.landmarks;
        let iod = ((l[1][0] - l[0][0]).powi(2) + (l[1][1] - l[0][1]).powi(2)).sqrt().max(1.0);
        let eyes = [(l[0][0] + l[1][0]) / 2.0, (l[0][1] + l[1][1]) / 2.0];
        let mouth = [(l[3][0] + l[4][0]) / 2.0, (l[3][1] + l[4][1]) / 2.0];
        let centre = [(eyes[0] + mouth[0]) / 2.0, (eyes[1] + mouth[1]) / 2.0];
        let (a, b, h) = (1.15 * iod, 1.6 * iod, 0.9 * iod);
        let (nose, bump, sigma) = (l[2], 0.35 * iod, 0.28 * iod);
        let (w, hgt) = image.dimensions();
        let mut depth = Vec::with_capacity((w * hgt) as usize);
        for y in 0..hgt {
            for x in 0..w {
                let (u, v) = ((x as f32 - centre[0]) / a, (y as f32 - centre[1]) / b);
                // A paraboloid that meets the background smoothly, plus the nose.
                let head = h * (1.0 - u * u - v * v).max(0.0).powi(2);
                let d2 = (x as f32 - nose[0]).powi(2) + (y as f32 - nose[1] + 0.15 * iod).powi(2);
                depth.push(head + bump * (-d2 / (2.0 * sigma * sigma)).exp());
            }
        }
        Ok(Self { image, depth, centre, eyes: outlines })
    }

    /// The head re-rendered in `pose`, with sensor noise from `seed`, as PNG bytes.
    pub fn render(&self, pose: &Pose, seed: u64) -> Frame {
        let closed;
        let image = match &self.eyes {
            Some(eyes) if pose.blink > 0.0 => {
                closed = close_eyes(&self.image, eyes, pose.blink.min(1.0));
                &closed
            }
            _ => &self.image,
        };
        let lit;
        let image = if pose.screen == [0.0; 3] {
            image
        } else {
            lit = reflect(image, Some(&self.depth), pose.screen);
            &lit
        };
        let (img, depth) = rotate_rows(image, &self.depth, self.centre[0], pose.yaw_deg.to_radians());
        let (t_img, t_depth) = transpose(&img, &depth);
        let (t_img, _) = rotate_rows(&t_img, &t_depth, self.centre[1], -pose.pitch_deg.to_radians());
        let (img, _) = transpose(&t_img, &vec![0.0; t_depth.len()]);
        let z = if pose.zoom > 0.0 { pose.zoom } else { 1.0 };
        let [cx, cy] = self.centre;
        // Camera shake and distance: a similarity about the face centre.
        let h = [z, 0.0, cx - z * cx + pose.shift[0], 0.0, z, cy - z * cy + pose.shift[1], 0.0, 0.0, 1.0];
        let mut img = warp(&img, &h);
        if pose.glare != [0.0; 3] {
            for p in img.pixels_mut() {
                for k in 0..3 {
                    p.0[k] = (f32::from(p.0[k]) + pose.glare[k]).round().min(255.0) as u8;
                }
            }
        }
        to_frame(&noisy(&img, seed))
    }
}

/// The photo itself held up to the camera: a plane under homography `h` (row-major 3×3,
/// photo → camera), with sensor noise.
pub fn planar(photo: &Frame, h: &[f32; 9], seed: u64) -> Result<Frame, FaceError> {
    planar_lit(photo, h, [0.0; 3], seed)
}

/// [`planar`], the print lit by the phone's screen showing `screen` (0…1 per channel).
fn planar_lit(photo: &Frame, h: &[f32; 9], screen: [f32; 3], seed: u64) -> Result<Frame, FaceError> {
    Ok(to_frame(&noisy(&warp(&reflect(&photo.to_rgb()?, None, screen), h), seed)))
}

/// How much a full channel of the phone's screen adds to the ambient light on a face at
/// arm's length: ~500 cd/m² over a 6.5" screen at 30 cm gives ~55 lx against ~300 lx
/// indoors (`docs/liveness.md`). A wall a metre or more behind gets a twentieth of it.
const SCREEN_TO_AMBIENT: f32 = 0.15;
const BACKGROUND_SHARE: f32 = 0.05;
/// The share of a brightness change that auto-exposure still corrects with exposure locked.
const EXPOSURE_RESIDUE: f32 = 0.3;

/// `image` lit by a screen showing `screen`: each surface reflects the light in proportion
/// to its own colour (albedo × irradiance). With `depth` (a head), the nearer a point, the
/// more light; without (a print), the sheet is lit evenly. Then what auto-exposure leaves.
fn reflect(image: &RgbImage, depth: Option<&[f32]>, screen: [f32; 3]) -> RgbImage {
    if screen == [0.0; 3] {
        return image.clone();
    }
    let peak = depth.map_or(1.0, |d| d.iter().copied().fold(1.0, f32::max));
    let mean = screen.iter().sum::<f32>() / 3.0;
    let exposure = 1.0 / (1.0 + EXPOSURE_RESIDUE * SCREEN_TO_AMBIENT * mean);
    let mut out = image.clone();
    for (i, p) in out.pixels_mut().enumerate() {
        let near = match depth {
            Some(d) if d[i] > 0.5 => 0.6 + 0.4 * d[i] / peak,
            Some(_) => BACKGROUND_SHARE,
            None => 0.8,
        };
        for (v, s) in p.0.iter_mut().zip(screen) {
            *v = (f32::from(*v) * (1.0 + SCREEN_TO_AMBIENT * near * s) * exposure).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// What light of the phone's screen a synthetic subject's face shows back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    /// The colours shown, reflected (a live face; a print, evenly).
    Reflects,
    /// None: a face rendered without the screen's light (a puppet from a photo).
    Ignores,
    /// Another sequence of colours, drawn before (a pre-rendered puppet lit by a guess).
    WrongSequence,
    /// The colours shown `frames` frames late (a relayed or re-rendered feed).
    Delayed { frames: usize },
    /// No reflection on the face, but a glare of the colours over the whole picture (the
    /// face replayed on a screen held in front of the camera).
    Glare,
}

/// The sequence a puppet pre-rendered with its own random draw shows (`Light::WrongSequence`):
/// the palette in another order, at the session's pace.
const WRONG_SEQUENCE: [[f32; 3]; 6] =
    [[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]];

/// The homography of a flat photo turned by `yaw_deg` about a vertical axis through
/// `centre` and seen by a pinhole camera `focal` pixels away (a print held and turned).
pub fn turned_plane(centre: [f32; 2], yaw_deg: f32, focal: f32) -> [f32; 9] {
    let (s, c) = yaw_deg.to_radians().sin_cos();
    let ([cx, cy], f) = (centre, focal);
    // A point dx = x − cx from the axis moves to depth f + s·dx and lateral c·dx:
    // x' = cx + f·c·dx / (f + s·dx), y' = cy + f·(y − cy) / (f + s·dx).
    [cx * s + f * c, 0.0, cx * (f - s * cx) - f * c * cx, cy * s, f, -cy * s * cx, s, 0.0, f - s * cx]
}

/// The same print tilted back by `deg` about a horizontal axis (the `turned_plane` of the
/// transposed image).
pub fn tilted_plane(centre: [f32; 2], deg: f32, focal: f32) -> [f32; 9] {
    let h = turned_plane([centre[1], centre[0]], deg, focal);
    [h[4], h[3], h[5], h[1], h[0], h[2], h[7], h[6], h[8]]
}

/// How a synthetic subject answers the session's prompts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// A live holder: turns or looks up as asked, a few degrees per frame, until told to
    /// face the camera again.
    Genuine,
    /// A live holder making the movements in the wrong order.
    WrongOrder,
    /// A print held `focal` pixels from the lens, turned or tilted as asked (`reverse`:
    /// the other way, as an attacker unsure of the mirror would also try).
    Print { focal: f32, reverse: bool },
    /// A print moved by 2-D sheared, zoomed and jittered warps timed to the prompts.
    Warped { reverse: bool },
    /// The same frame sent again and again (a frozen or injected feed).
    Frozen,
    /// A print held still in front of the camera (new sensor noise each frame).
    StillPrint,
}

/// A synthetic subject in front of the camera.
#[derive(Debug)]
pub struct Subject {
    head: Head,
    photo: Frame,
    act: Act,
    /// Degrees into the current movement.
    angle: f32,
    /// The turn that makes this photo face the camera.
    rest_yaw: f32,
    /// The movement under way or just made.
    current: Option<Challenge>,
    frame: u64,
    light: Light,
    /// The screen's colour at each frame so far.
    shown: Vec<[f32; 3]>,
}

impl Subject {
    pub fn new(models: &FaceModels, photo: Frame, act: Act) -> Result<Self, FaceError> {
        // A phone's preview frame is about 480 px; bigger photos only cost time.
        let image = photo.to_rgb()?;
        let scale = 480.0 / image.width().max(image.height()) as f32;
        let photo = if scale < 1.0 {
            let (w, h) = ((image.width() as f32 * scale) as u32, (image.height() as f32 * scale) as u32);
            to_frame(&image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle))
        } else {
            photo
        };
        let head = Head::from_photo(models, &photo)?;
        // A holder asked to face the camera does: find the turn that centres the nose.
        let yaw_at = |deg: f32| -> Option<f32> {
            let frame = head.render(&Pose::yaw(deg), 0);
            models.detect(&frame).ok()?.first().map(|f| super::align::pose(&f.landmarks).1.abs())
        };
        let rest_yaw = (-6..=6)
            .map(|k| k as f32 * 5.0)
            .filter_map(|deg| yaw_at(deg).map(|y| (y, deg)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(0.0, |(_, deg)| deg);
        Ok(Self {
            head,
            photo,
            act,
            angle: 0.0,
            rest_yaw,
            current: None,
            frame: 0,
            light: Light::Reflects,
            shown: Vec::new(),
        })
    }

    /// The same subject, showing the screen's light as `light` says.
    pub fn with_light(mut self, light: Light) -> Self {
        self.light = light;
        self
    }

    /// The light on the face in this frame, given what the app shows.
    fn screen(&mut self, progress: &Progress) -> [f32; 3] {
        let now = match progress {
            Progress::ShowColour { rgb, .. } => rgb.map(|v| f32::from(v) / 255.0),
            _ => [0.0; 3],
        };
        self.shown.push(now);
        match self.light {
            Light::Reflects | Light::Glare => now,
            Light::Ignores => [0.0; 3],
            Light::Delayed { frames } => self.shown.len().checked_sub(frames + 1).map_or([0.0; 3], |i| self.shown[i]),
            Light::WrongSequence => {
                // Its own sequence, from the first colour on, a colour per step.
                let per = (super::colour::ColourPolicy::default().step_ms / COLOUR_FRAME_MS).max(1) as usize;
                let first = self.shown.iter().position(|c| *c != [0.0; 3]);
                match first {
                    Some(f) if now != [0.0; 3] => {
                        WRONG_SEQUENCE[((self.shown.len() - 1 - f) / per) % WRONG_SEQUENCE.len()]
                    }
                    _ => [0.0; 3],
                }
            }
        }
    }

    /// The next camera frame, answering `progress` (what the app shows).
    pub fn next_frame(&mut self, progress: &Progress) -> Frame {
        self.frame += 1;
        let seed = self.frame;
        let screen = self.screen(progress);
        // A glare lights the glass, not the face behind it: 30 grey levels at full colour.
        let (screen, glare) =
            if self.light == Light::Glare { ([0.0; 3], screen.map(|c| 30.0 * c)) } else { (screen, [0.0; 3]) };
        let shake = [((seed * 7) % 5) as f32 - 2.0, ((seed * 3) % 5) as f32 - 2.0];
        let asked = match progress {
            Progress::Moving { challenge, index, .. } => {
                if self.current != Some(*challenge) {
                    // A new movement starts from facing the camera, eyes open.
                    (self.current, self.angle) = (Some(*challenge), 0.0);
                }
                self.angle = (self.angle + 4.0).min(45.0);
                Some(match self.act {
                    // Make the movement asked for next instead of this one.
                    Act::WrongOrder => {
                        let all = Challenge::MOVEMENTS;
                        all[(all.iter().position(|c| c == challenge).unwrap_or(0) + 1 + *index % 2) % all.len()]
                    }
                    _ => *challenge,
                })
            }
            _ => {
                self.angle = (self.angle - 8.0).max(0.0);
                None
            }
        };
        let reverse = matches!(self.act, Act::Print { reverse: true, .. } | Act::Warped { reverse: true });
        let a = if reverse { -self.angle } else { self.angle };
        let c = self.head.centre;
        match self.act {
            Act::Genuine | Act::WrongOrder => {
                let mut pose = match asked {
                    None => Pose::yaw(self.rest_yaw),
                    Some(Challenge::TurnLeft) => Pose::yaw(self.rest_yaw + a),
                    Some(Challenge::TurnRight) => Pose::yaw(self.rest_yaw - a),
                    Some(Challenge::LookUp) => Pose { yaw_deg: self.rest_yaw, ..Pose::pitch(a) },
                    // Shut in two frames (a blink at 10 frames a second takes 100–400 ms).
                    Some(Challenge::Blink) => Pose { blink: a / 8.0, ..Pose::yaw(self.rest_yaw) },
                };
                if asked.is_none() && self.current == Some(Challenge::Blink) {
                    // Opening again, as fast as a head turns back.
                    pose.blink = self.angle / 8.0;
                }
                pose.shift = shake;
                pose.zoom = 1.0 + 0.004 * shake[0];
                self.head.render(&Pose { screen, glare, ..pose }, seed)
            }
            Act::Print { focal, .. } => {
                let h = match asked {
                    None => turned_plane(c, 0.0, focal),
                    Some(Challenge::TurnLeft) => turned_plane(c, 1.5 * a, focal),
                    Some(Challenge::TurnRight) => turned_plane(c, -1.5 * a, focal),
                    // Faking a blink with a print: tilt it back, foreshortening the eyes.
                    Some(Challenge::LookUp | Challenge::Blink) => tilted_plane(c, 1.5 * a, focal),
                };
                self.print(h, shake, screen, seed)
            }
            Act::Warped { .. } => {
                let (k, z) = (a / 90.0, 1.0 + 0.01 * shake[1]);
                let h = match asked {
                    None => [z, 0.0, 0.0, 0.0, z, 0.0, 0.0, 0.0, 1.0],
                    Some(Challenge::TurnLeft) => [z, -k, k * c[1], 0.0, z, 0.0, 0.0, 0.0, 1.0],
                    Some(Challenge::TurnRight) => [z, k, -k * c[1], 0.0, z, 0.0, 0.0, 0.0, 1.0],
                    // …or squeeze it vertically, as a flat photo's eyes would seem to close.
                    Some(Challenge::LookUp | Challenge::Blink) => {
                        [z, 0.0, 0.0, 0.0, z * (1.0 - k), k * c[1], 0.0, 0.0, 1.0]
                    }
                };
                self.print(h, shake, screen, seed)
            }
            Act::Frozen => self.head.render(&Pose::yaw(self.rest_yaw), 0),
            // The photo flat and square to the lens (no turn to centre it: it is a print).
            Act::StillPrint => self.print([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], shake, screen, seed),
        }
    }
}

impl Subject {
    /// The photo seen through homography `h`, shaken by the hand, lit evenly by `screen`.
    fn print(&self, h: [f32; 9], shake: [f32; 2], screen: [f32; 3], seed: u64) -> Frame {
        planar_lit(&self.photo, &shaken(h, shake), screen, seed)
            .unwrap_or_else(|_| self.head.render(&Pose::yaw(0.0), seed))
    }
}

/// The frame interval while colours are shown (a camera's preview runs at 30 fps; these
/// frames cost a render each).
pub const COLOUR_FRAME_MS: u64 = 50;

fn shaken(h: [f32; 9], shift: [f32; 2]) -> [f32; 9] {
    // Translate after h: add shift·(row 3) to rows 1 and 2.
    let mut out = h;
    for k in 0..3 {
        out[k] += shift[0] * h[6 + k];
        out[3 + k] += shift[1] * h[6 + k];
    }
    out
}

/// Run `session` on frames from `next` (given the last progress) at 10 frames a second —
/// 20 while the screen shows colours — until it passes or fails or `max_frames` have gone.
pub fn play(
    session: &mut LivenessSession,
    models: &FaceModels,
    mut next: impl FnMut(&Progress) -> Frame,
    max_frames: u64,
) -> Result<Progress, FaceError> {
    let mut progress = Progress::Searching { hint: super::liveness::Hint::NoFace };
    let mut at_ms = 0;
    for _ in 1..=max_frames {
        at_ms += if matches!(progress, Progress::ShowColour { .. }) { COLOUR_FRAME_MS } else { 100 };
        progress = session.feed(models, &next(&progress), at_ms)?;
        if matches!(progress, Progress::Passed(_) | Progress::Failed(_)) {
            break;
        }
    }
    Ok(progress)
}

/// [`play`] with `holder` in front of the camera until the first movement is done, then
/// `other` (a splice of another person's frames into the session).
pub fn play_spliced(
    session: &mut LivenessSession,
    models: &FaceModels,
    holder: &mut Subject,
    other: &mut Subject,
    max_frames: u64,
) -> Result<Progress, FaceError> {
    let mut switched = false;
    play(
        session,
        models,
        |p| {
            switched |= matches!(p, Progress::Returning { .. });
            if switched {
                other.next_frame(p)
            } else {
                holder.next_frame(p)
            }
        },
        max_frames,
    )
}

/// `image` with both eyes' upper lids lowered `t` (0…1) of the way to the lower lids: the
/// band of lid skin above each eye, lashes at its lower edge, is stretched down over the
/// eye, as a closing lid slides.
fn close_eyes(image: &RgbImage, eyes: &[Eye; 2], t: f32) -> RgbImage {
    let mut out = image.clone();
    for eye in eyes {
        let sorted = |mut line: Vec<[f32; 2]>| {
            line.sort_by(|p, q| p[0].total_cmp(&q[0]));
            line
        };
        let (upper, lower) = (sorted(eye.upper_lid()), sorted(eye.lower_lid()));
        let at = |line: &[[f32; 2]], x: f32| {
            let k = line.windows(2).position(|w| x <= w[1][0]).unwrap_or(line.len() - 2);
            let (p, q) = (line[k], line[k + 1]);
            p[1] + (q[1] - p[1]) * ((x - p[0]) / (q[0] - p[0]).max(1e-3)).clamp(0.0, 1.0)
        };
        let gap = upper.iter().zip(&lower).map(|(u, l)| l[1] - u[1]).fold(1.0f32, f32::max);
        // The lid margin and lashes (`lid` above the upper lid) slide down by `shift`,
        // keeping their thickness; the band they leave is lid skin, coloured as the cheek
        // just under the eye (the skin above may be brow or shadow).
        let lid = 0.3 * gap;
        let (x0, x1) = (upper[0][0].floor() as i64, upper[upper.len() - 1][0].ceil() as i64);
        for x in x0.max(0)..=x1.min(i64::from(image.width()) - 1) {
            let xf = x as f32;
            let (top, bottom) = (at(&upper, xf), at(&lower, xf));
            let shift = t * (bottom - top).max(0.0);
            let fold = top - lid;
            let cheek = super::align::sample(image, xf, bottom + 0.6 * gap);
            for y in (fold.floor().max(0.0) as u32)..=((top + shift).floor().max(0.0) as u32).min(image.height() - 1) {
                let yf = y as f32;
                let px = if yf < fold + shift { cheek } else { super::align::sample(image, xf, yf - shift) };
                out.put_pixel(x as u32, y, px);
            }
        }
    }
    out
}

/// A camera-style RGBA buffer, as the apps pass frames.
fn to_frame(image: &RgbImage) -> Frame {
    let (width, height) = image.dimensions();
    let data = image.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    Frame::Raw { format: super::PixelFormat::Rgba8, width, height, stride: width * 4, rotation: 0, data }
}

/// Rotate each row's depth profile about a vertical axis at `cx` and re-project
/// orthographically; a per-row z-buffer keeps the nearer surface where it folds.
fn rotate_rows(img: &RgbImage, depth: &[f32], cx: f32, theta: f32) -> (RgbImage, Vec<f32>) {
    let (w, h) = img.dimensions();
    let (s, c) = theta.sin_cos();
    let mut out = img.clone();
    let mut out_depth = vec![f32::MIN; (w * h) as usize];
    for y in 0..h {
        let row = (y * w) as usize;
        let at = |x: u32| {
            let z = depth[row + x as usize];
            let dx = x as f32 - cx;
            (cx + dx * c + z * s, -dx * s + z * c)
        };
        for x in 0..w.saturating_sub(1) {
            let ((x0, z0), (x1, z1)) = (at(x), at(x + 1));
            let (lo, hi) = (x0.min(x1).ceil().max(0.0) as i64, x0.max(x1).floor().min(w as f32 - 1.0) as i64);
            for xo in lo..=hi {
                let t = if (x1 - x0).abs() > f32::EPSILON { (xo as f32 - x0) / (x1 - x0) } else { 0.0 };
                let z = z0 + t * (z1 - z0);
                let i = row + xo as usize;
                if z > out_depth[i] {
                    out_depth[i] = z;
                    let (p, q) = (img.get_pixel(x, y).0, img.get_pixel(x + 1, y).0);
                    out.put_pixel(
                        xo as u32,
                        y,
                        Rgb(std::array::from_fn(|k| (f32::from(p[k]) * (1.0 - t) + f32::from(q[k]) * t).round() as u8)),
                    );
                }
            }
        }
    }
    let depth = out_depth.into_iter().map(|z| if z == f32::MIN { 0.0 } else { z }).collect();
    (out, depth)
}

fn transpose(img: &RgbImage, depth: &[f32]) -> (RgbImage, Vec<f32>) {
    let (w, h) = img.dimensions();
    let out = RgbImage::from_fn(h, w, |x, y| *img.get_pixel(y, x));
    let mut d = vec![0.0; depth.len()];
    for y in 0..h as usize {
        for x in 0..w as usize {
            d[x * h as usize + y] = depth[y * w as usize + x];
        }
    }
    (out, d)
}

/// Inverse-map `img` through homography `h` (source → destination), same size.
fn warp(img: &RgbImage, h: &[f32; 9]) -> RgbImage {
    let inv = invert3(h);
    let (w, ht) = img.dimensions();
    RgbImage::from_fn(w, ht, |u, v| {
        let (u, v) = (u as f32, v as f32);
        let d = inv[6] * u + inv[7] * v + inv[8];
        if d.abs() < f32::EPSILON {
            return Rgb([0, 0, 0]);
        }
        let x = (inv[0] * u + inv[1] * v + inv[2]) / d;
        let y = (inv[3] * u + inv[4] * v + inv[5]) / d;
        super::align::sample(img, x, y)
    })
}

fn invert3(m: &[f32; 9]) -> [f32; 9] {
    let [a, b, c, d, e, f, g, h, i] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    let k = if det.abs() > f32::EPSILON { 1.0 / det } else { 0.0 };
    [
        (e * i - f * h) * k,
        (c * h - b * i) * k,
        (b * f - c * e) * k,
        (f * g - d * i) * k,
        (a * i - c * g) * k,
        (c * d - a * f) * k,
        (d * h - e * g) * k,
        (b * g - a * h) * k,
        (a * e - b * d) * k,
    ]
}

/// Add Gaussian-ish sensor noise (σ ≈ 2 grey levels) from a seeded generator.
fn noisy(img: &RgbImage, seed: u64) -> RgbImage {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // SplitMix64: reproducible noise, not security.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            // Sum of four uniforms: roughly normal, σ ≈ 2.
            let n: f32 = (0..4).map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5).sum::<f32>() * 3.46;
            *c = (f32::from(*c) + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}
