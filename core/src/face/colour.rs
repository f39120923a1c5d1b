//! The screen-colour challenge (issue #23): the phone's screen shows a random sequence of
//! full-screen colours, drawn when the session starts, and the light it throws on the face
//! must come back in the camera frames — in time, in chroma, and as light reflected by a
//! face near the screen, not a glare on a screen held in front of the camera.
//!
//! What is measured, each with its own threshold (`docs/liveness.md` says what they assume):
//! - **correlation** of the skin's chroma relative to the background's with the chroma of the
//!   sequence shown, at the best display-and-camera lag up to [`ColourPolicy::max_lag_ms`],
//!   and **recognition**: in how many steps the light on the skin points to the colour shown
//!   rather than another. A pre-rendered or replayed face, or one lit by a guessed or delayed
//!   sequence, does not follow a sequence drawn now;
//! - **falloff**: the background's linear response per unit of the face's; a face at arm's
//!   length gets far more of the screen's light than a wall behind it, a glare on a screen
//!   that fills the view brightens both alike;
//! - **pattern**: across the face's cells and channels, whether the response grows with the
//!   surface's own brightness (skin, brows and lips reflect the light in proportion to their
//!   albedo) or is the same everywhere (a glare adds one colour over whatever is under it).

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::align;

/// Saturated colours a phone screen shows well. A sequence shows each at most once, so no
/// shift of it resembles itself (a delayed copy cannot pass for it).
const PALETTE: [[u8; 3]; 6] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 255, 255], [255, 0, 255], [255, 255, 0]];
/// Cells per side of the grid over the aligned 112×112 face.
const GRID: usize = 6;
/// The grid's extent in the aligned face: brows to chin, cheek to cheek.
const FACE_AREA: [f32; 4] = [16.0, 28.0, 96.0, 108.0];

/// When the colour challenge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColourRequirement {
    Off,
    /// The session fails when the check cannot be made (bright light, a dark face).
    Required,
    /// The session passes without it when it cannot be made, and says so in its evidence.
    IfAvailable,
}

/// Limits of the colour challenge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourPolicy {
    pub requirement: ColourRequirement,
    /// Colours in the sequence (at most the palette's six), and how long each is shown.
    pub colours: usize,
    pub step_ms: u64,
    /// The longest delay from showing a colour to a frame lit by it (display, exposure,
    /// the app's own latency). The light is looked for up to two steps late: when it fits
    /// best later than this, it came late (a relayed or re-rendered feed) and fails.
    pub max_lag_ms: u64,
    pub min_correlation: f32,
    pub max_falloff: f32,
    pub min_pattern: f32,
}

impl Default for ColourPolicy {
    fn default() -> Self {
        Self {
            // Off until the whole flow (wallet, bindings, demo) is verified with it: #23.
            requirement: ColourRequirement::Off,
            colours: 6,
            step_ms: 200,
            max_lag_ms: 200,
            min_correlation: 0.6,
            max_falloff: 0.5,
            min_pattern: 0.5,
        }
    }
}

/// Why the check could not be made (the camera sees no usable reflection for a reason that
/// is not an attack). Under [`ColourRequirement::Required`] the session fails with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ColourUnavailable {
    #[error("the face is over-exposed (bright light): the screen's light cannot be seen")]
    Overexposed,
    #[error("the face is too dark to see the screen's light on it")]
    TooDark,
    #[error("the face fills the picture: no background to compare it with")]
    NoBackground,
    #[error("too few frames arrived while the colours were shown")]
    TooFewFrames,
    /// The session ran without the challenge although its purpose needs it.
    #[error("the session did not show the screen's colours")]
    NotShown,
}

/// What the check measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ColourMeasure {
    /// How well the skin's chroma follows the sequence's at the best lag allowed (−1…1).
    pub correlation: f32,
    /// The lag at which it follows best among all looked at (up to two steps).
    pub lag_ms: u64,
    /// Steps whose colour is recognised in the skin's light, at the best lag allowed.
    pub recognised: usize,
    /// The background's response per unit of the face's (0 for a face far from the wall).
    pub falloff: f32,
    /// How the face's response grows with its surface's brightness: 1 reflected, 0 flat.
    pub pattern: f32,
}

/// The check's outcome, kept in a passed session's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ColourOutcome {
    NotAsked,
    Checked(ColourMeasure),
    Unavailable(ColourUnavailable),
}

/// Why the check failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ColourVerdict {
    Passed(ColourMeasure),
    /// The face did not follow the sequence.
    NotReflected(ColourMeasure),
    /// It followed it, but as a glare on a flat screen would.
    NotAFace(ColourMeasure),
    Unavailable(ColourUnavailable),
}

/// One frame's measurements: mean linear RGB of each face cell and of the background.
struct Sample {
    at_ms: u64,
    cells: Vec<[f32; 3]>,
    background: [f32; 3],
}

/// A running colour challenge: its sequence, when it started, what the frames showed.
pub(super) struct ColourChallenge {
    policy: ColourPolicy,
    sequence: Vec<[u8; 3]>,
    start_ms: u64,
    samples: Vec<Sample>,
    no_background: u32,
    /// When, within the colours, the face's identity is checked against the session's
    /// (drawn with the sequence, so a face swapped in for the colours cannot time it).
    pub(super) identity_at_ms: u64,
}

impl ColourChallenge {
    /// A fresh random sequence starting at `start_ms`.
    pub(super) fn new(policy: ColourPolicy, start_ms: u64) -> Self {
        // Fisher–Yates on the palette; a byte's modulo bias (≤ 6/256) does not matter here.
        let bytes: [u8; PALETTE.len()] = crate::crypto::random_array();
        let mut sequence = PALETTE.to_vec();
        for i in (1..sequence.len()).rev() {
            sequence.swap(i, usize::from(bytes[i]) % (i + 1));
        }
        sequence.truncate(policy.colours.clamp(2, PALETTE.len()));
        let mut challenge = Self::with_sequence(policy, sequence, start_ms);
        let span = challenge.sequence.len() as u64 * policy.step_ms;
        challenge.identity_at_ms = start_ms + u64::from_le_bytes(crate::crypto::random_array()) % span.max(1);
        challenge
    }

    pub(super) fn with_sequence(policy: ColourPolicy, sequence: Vec<[u8; 3]>, start_ms: u64) -> Self {
        Self { policy, sequence, start_ms, samples: Vec::new(), no_background: 0, identity_at_ms: start_ms }
    }

    /// The colour to show at `at_ms` and until when, or `None` once the sequence is over.
    pub(super) fn showing(&self, at_ms: u64) -> Option<([u8; 3], u64)> {
        let k = (at_ms.saturating_sub(self.start_ms) / self.policy.step_ms) as usize;
        self.sequence.get(k).map(|c| (*c, self.start_ms + (k as u64 + 1) * self.policy.step_ms))
    }

    /// Whether every frame that can be lit by the sequence has arrived.
    pub(super) fn complete(&self, at_ms: u64) -> bool {
        at_ms >= self.start_ms + self.sequence.len() as u64 * self.policy.step_ms + self.policy.max_lag_ms
    }

    /// Measure the face (its five landmarks in `image`) and the background in one frame.
    pub(super) fn sample(&mut self, image: &RgbImage, landmarks: &[[f32; 2]; 5], bbox: &[f32; 4], at_ms: u64) {
        let aligned = align::warp(image, landmarks);
        let [x0, y0, x1, y1] = FACE_AREA;
        let (cw, ch) = ((x1 - x0) / GRID as f32, (y1 - y0) / GRID as f32);
        let mut cells = Vec::with_capacity(GRID * GRID);
        for j in 0..GRID {
            for i in 0..GRID {
                let (cx, cy) = (x0 + i as f32 * cw, y0 + j as f32 * ch);
                let mut sum = [0.0f32; 3];
                let mut n = 0.0;
                for y in (cy as u32)..((cy + ch) as u32).min(align::SIZE as u32) {
                    for x in (cx as u32)..((cx + cw) as u32).min(align::SIZE as u32) {
                        let p = aligned.get_pixel(x, y).0;
                        (0..3).for_each(|k| sum[k] += f32::from(p[k]));
                        n += 1.0;
                    }
                }
                cells.push(sum.map(|s| s / f32::max(n, 1.0)));
            }
        }
        // The background: a coarse grid of the frame outside the face box grown by half.
        let [bx, by, bw, bh] = *bbox;
        let (gx0, gy0, gx1, gy1) = (bx - 0.5 * bw, by - 0.5 * bh, bx + 1.5 * bw, by + 1.5 * bh);
        let (w, h) = image.dimensions();
        let mut sum = [0.0f32; 3];
        let mut n = 0u32;
        const N: u32 = 24;
        for j in 0..N {
            for i in 0..N {
                let (x, y) = ((i * 2 + 1) * w / (2 * N), (j * 2 + 1) * h / (2 * N));
                let (xf, yf) = (x as f32, y as f32);
                if xf >= gx0 && xf <= gx1 && yf >= gy0 && yf <= gy1 {
                    continue;
                }
                let p = image.get_pixel(x, y).0;
                (0..3).for_each(|k| sum[k] += f32::from(p[k]));
                n += 1;
            }
        }
        if n < 20 {
            self.no_background += 1;
            return;
        }
        self.samples.push(Sample { at_ms, cells, background: sum.map(|s| s / n as f32) });
    }

    /// The verdict on the frames seen.
    pub(super) fn verdict(&self) -> ColourVerdict {
        let p = &self.policy;
        if self.samples.len() < self.sequence.len() * 2 {
            return ColourVerdict::Unavailable(if self.no_background > 0 {
                ColourUnavailable::NoBackground
            } else {
                ColourUnavailable::TooFewFrames
            });
        }
        let face: Vec<[f32; 3]> = self.samples.iter().map(|s| mean(&s.cells)).collect();
        let overall = mean(&face);
        if overall.iter().any(|c| *c > 235.0) {
            return ColourVerdict::Unavailable(ColourUnavailable::Overexposed);
        }
        if 0.299 * overall[0] + 0.587 * overall[1] + 0.114 * overall[2] < 30.0 {
            return ColourVerdict::Unavailable(ColourUnavailable::TooDark);
        }
        // How the skin's chroma (relative to the background's) follows the sequence at each
        // lag, up to two steps late, over the frames lit by it then (two or more per colour).
        let lags = (0..=(2 * p.step_ms).max(p.max_lag_ms)).step_by(25).filter_map(|lag| {
            let rows = self.chroma_rows(lag);
            (rows.len() >= 2 * self.sequence.len()).then(|| (chroma_correlation(&rows), lag))
        });
        let mut allowed: Option<(f32, u64)> = None;
        let mut best: Option<(f32, u64)> = None;
        for (r, lag) in lags {
            if lag <= p.max_lag_ms && allowed.is_none_or(|(b, _)| r > b) {
                allowed = Some((r, lag));
            }
            if best.is_none_or(|(b, _)| r > b) {
                best = Some((r, lag));
            }
        }
        let (Some((correlation_at_lag, lag)), Some((_, best_lag))) = (allowed, best) else {
            return ColourVerdict::Unavailable(ColourUnavailable::TooFewFrames);
        };
        let (face_lin, e) = self.signal(lag, |s, k| mean(&s.cells)[k]);
        let (back_lin, _) = self.signal(lag, |s, k| s.background[k]);
        let face_slope = slope(&face_lin, &e);
        let falloff = if face_slope > f32::EPSILON { slope(&back_lin, &e) / face_slope } else { f32::INFINITY };
        // Per cell and channel: its response to the light against its own brightness.
        let cells = self.samples[0].cells.len();
        let (mut responses, mut levels) = (Vec::new(), Vec::new());
        for c in 0..cells {
            for k in 0..3 {
                let (v, e) = self.signal_channel(lag, k, |s| s.cells[c][k]);
                responses.push(slope(&v, &e));
                levels.push(v.iter().sum::<f32>() / v.len().max(1) as f32);
            }
        }
        let pattern = elasticity(&responses, &levels);
        let recognised = self.recognised(&self.chroma_rows(lag));
        let measure = ColourMeasure { correlation: correlation_at_lag, lag_ms: best_lag, recognised, falloff, pattern };
        // A permutation cannot be wrong in one place only: a colour missed is one mistaken
        // glitch (a dropped frame); a guessed order gets at least two wrong.
        let enough = recognised + 1 >= self.sequence.len();
        // Written so that a NaN measure fails.
        let follows = correlation_at_lag >= p.min_correlation && best_lag <= p.max_lag_ms && enough;
        let face_like = falloff <= p.max_falloff && pattern >= p.min_pattern;
        if !follows {
            ColourVerdict::NotReflected(measure)
        } else if !face_like {
            ColourVerdict::NotAFace(measure)
        } else {
            ColourVerdict::Passed(measure)
        }
    }

    /// The colour (0…1 per channel) lit at `at_ms` if the frames lag the screen by `lag`.
    fn stimulus(&self, at_ms: u64, lag: u64) -> Option<[f32; 3]> {
        self.stimulus_step(at_ms, lag).map(|(_, c)| c)
    }

    /// [`Self::stimulus`] and the index of its step in the sequence.
    fn stimulus_step(&self, at_ms: u64, lag: u64) -> Option<(usize, [f32; 3])> {
        let shown = at_ms.checked_sub(lag)?.checked_sub(self.start_ms)?;
        let step = (shown / self.policy.step_ms) as usize;
        self.sequence.get(step).map(|c| (step, c.map(|v| f32::from(v) / 255.0)))
    }

    /// `value(sample, channel)` and the stimulus, each centred per channel, over the
    /// frames lit by the sequence at `lag`, channels concatenated.
    fn signal(&self, lag: u64, value: impl Fn(&Sample, usize) -> f32) -> (Vec<f32>, Vec<f32>) {
        let (mut xs, mut es) = (Vec::new(), Vec::new());
        for k in 0..3 {
            let (x, e) = self.signal_channel(lag, k, |s| value(s, k));
            xs.extend(centred(&x));
            es.extend(centred(&e));
        }
        (xs, es)
    }

    /// Per frame lit by the sequence at `lag`: the step shown, the skin's log colour relative
    /// to the background's less its mean over the three channels (its chroma: a change of
    /// brightness common to the channels — shading as the face moves, what exposure still
    /// corrects — cancels), and the chroma of the colour shown.
    fn chroma_rows(&self, lag: u64) -> Vec<(usize, [f32; 3], [f32; 3])> {
        self.samples
            .iter()
            .filter_map(|s| {
                let (step, e) = self.stimulus_step(s.at_ms, lag)?;
                let f = mean(&s.cells);
                let x = std::array::from_fn(|k| ((f[k] + 1.0) / (s.background[k] + 1.0)).ln());
                Some((step, chroma(x), chroma(e)))
            })
            .collect()
    }

    /// How many steps' light is recognised: the mean chroma of the step's frames (less the
    /// mean over all frames) points nearer the colour shown than any other palette colour.
    fn recognised(&self, rows: &[(usize, [f32; 3], [f32; 3])]) -> usize {
        let all = mean(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let palette: Vec<[f32; 3]> = PALETTE.iter().map(|c| chroma(c.map(|v| f32::from(v) / 255.0))).collect();
        let cosine = |a: [f32; 3], b: [f32; 3]| {
            let d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
            d / ((a.iter().map(|v| v * v).sum::<f32>() * b.iter().map(|v| v * v).sum::<f32>()).sqrt() + 1e-12)
        };
        (0..self.sequence.len())
            .filter(|i| {
                let step: Vec<[f32; 3]> = rows.iter().filter(|r| r.0 == *i).map(|r| r.1).collect();
                if step.is_empty() {
                    return false;
                }
                let m = mean(&step);
                let x = std::array::from_fn(|k| m[k] - all[k]);
                let shown = chroma(self.sequence[*i].map(|v| f32::from(v) / 255.0));
                let nearest = palette.iter().max_by(|a, b| cosine(x, **a).total_cmp(&cosine(x, **b)));
                nearest == Some(&shown)
            })
            .count()
    }

    /// One channel's values and stimulus over the frames lit at `lag` (not centred).
    fn signal_channel(&self, lag: u64, k: usize, value: impl Fn(&Sample) -> f32) -> (Vec<f32>, Vec<f32>) {
        self.samples.iter().filter_map(|s| Some((value(s), self.stimulus(s.at_ms, lag)?[k]))).unzip()
    }
}

fn mean(v: &[[f32; 3]]) -> [f32; 3] {
    let n = v.len().max(1) as f32;
    std::array::from_fn(|k| v.iter().map(|c| c[k]).sum::<f32>() / n)
}

/// `v` less its mean over the three channels.
fn chroma(v: [f32; 3]) -> [f32; 3] {
    let m = (v[0] + v[1] + v[2]) / 3.0;
    v.map(|c| c - m)
}

/// Correlation of the rows' skin chroma with the stimulus chroma, each centred per channel
/// over the rows, the three channels together.
fn chroma_correlation(rows: &[(usize, [f32; 3], [f32; 3])]) -> f32 {
    let (mut xs, mut es) = (Vec::new(), Vec::new());
    for k in 0..3 {
        xs.extend(centred(&rows.iter().map(|r| r.1[k]).collect::<Vec<_>>()));
        es.extend(centred(&rows.iter().map(|r| r.2[k]).collect::<Vec<_>>()));
    }
    correlation(&xs, &es)
}

fn centred(v: &[f32]) -> Vec<f32> {
    let m = v.iter().sum::<f32>() / v.len().max(1) as f32;
    v.iter().map(|x| x - m).collect()
}

/// Correlation of two centred series (0 when either is flat).
fn correlation(x: &[f32], e: &[f32]) -> f32 {
    let (xe, xx, ee) = x.iter().zip(e).fold((0.0, 0.0, 0.0), |(a, b, c), (x, e)| (a + x * e, b + x * x, c + e * e));
    if xx <= f32::EPSILON || ee <= f32::EPSILON {
        return 0.0;
    }
    xe / (xx * ee).sqrt()
}

/// Least-squares slope of `x` on `e` (both centred here).
fn slope(x: &[f32], e: &[f32]) -> f32 {
    let (x, e) = (centred(x), centred(e));
    let (xe, ee) = x.iter().zip(&e).fold((0.0, 0.0), |(a, b), (x, e)| (a + x * e, b + e * e));
    if ee <= f32::EPSILON {
        return 0.0;
    }
    xe / ee
}

/// The elasticity of `response` to `level` at their means: 1 when each response is in
/// proportion to its level (reflection), 0 when it is the same for all (a glare added flat).
fn elasticity(response: &[f32], level: &[f32]) -> f32 {
    let n = response.len().max(1) as f32;
    let (r, l) = (response.iter().sum::<f32>() / n, level.iter().sum::<f32>() / n);
    if r <= f32::EPSILON {
        return 0.0;
    }
    slope(response, level) * l / r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame with a "face" of skin-coloured patches in the middle, lit by the colour shown
    /// `lag` ago: reflected in proportion to the surface (`gain`, a twentieth of it on the
    /// background) or added flat over everything (`glare`).
    fn lit(challenge: &ColourChallenge, t: u64, lag: u64, gain: f32, glare: f32, background: f32) -> RgbImage {
        let c = challenge.stimulus(t, lag).unwrap_or([0.0; 3]);
        RgbImage::from_fn(200, 200, |x, y| {
            let face = (60..140).contains(&x) && (50..150).contains(&y);
            image::Rgb(std::array::from_fn(|k| {
                let skin = (90.0 + 80.0 * ((x / 20 + y / 20) % 2) as f32) * [1.0, 0.8, 0.6][k];
                let (base, reflect) = if face { (skin, gain) } else { (background, gain * 0.05) };
                (base * (1.0 + reflect * c[k]) + glare * c[k]).min(255.0) as u8
            }))
        })
    }

    fn run(gain: f32, glare: f32, lag: u64, seq_lag: u64) -> ColourVerdict {
        run_on(gain, glare, lag, seq_lag, 80.0)
    }

    /// The sequence the tests' sessions show.
    const SHOWN: [[u8; 3]; 6] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];

    fn run_on(gain: f32, glare: f32, lag: u64, seq_lag: u64, background: f32) -> ColourVerdict {
        run_lit_by(&SHOWN, gain, glare, lag + seq_lag, background)
    }

    /// A session showing [`SHOWN`], its frames at 30 fps lit by `light` `lag` ms late.
    fn run_lit_by(light: &[[u8; 3]], gain: f32, glare: f32, lag: u64, background: f32) -> ColourVerdict {
        let policy = ColourPolicy::default();
        let mut ch = ColourChallenge::with_sequence(policy, SHOWN.to_vec(), 1_000);
        let source = ColourChallenge::with_sequence(policy, light.to_vec(), 1_000);
        let landmarks = [[85.0, 80.0], [115.0, 80.0], [100.0, 100.0], [88.0, 120.0], [112.0, 120.0]];
        let mut t = 1_000;
        while !ch.complete(t) {
            let image = lit(&source, t, lag, gain, glare, background);
            ch.sample(&image, &landmarks, &[60.0, 50.0, 80.0, 100.0], t);
            t += 33;
        }
        ch.verdict()
    }

    #[test]
    fn light_reflected_by_the_face_in_time_passes() {
        let v = run(0.15, 0.0, 66, 0);
        assert!(matches!(v, ColourVerdict::Passed(m) if m.lag_ms.abs_diff(66) <= 25), "{v:?}");
    }

    #[test]
    fn no_light_a_delayed_sequence_and_a_glare_fail() {
        assert!(matches!(run(0.0, 0.0, 66, 0), ColourVerdict::NotReflected(_)));
        // The right colours a step late fit best where no camera lags; further behind, they
        // do not fit at any lag looked at.
        let v = run(0.15, 0.0, 66, 200);
        assert!(matches!(v, ColourVerdict::NotReflected(m) if m.lag_ms > 200 && m.correlation < 0.8), "{v:?}");
        let v = run(0.15, 0.0, 66, 500);
        assert!(matches!(v, ColourVerdict::NotReflected(m) if m.correlation < 0.8), "{v:?}");
        // A glare over a screen that fills the view: before a brighter background it follows
        // the sequence, but lights the background as much as the face, and flat.
        let glare = run_on(0.0, 25.0, 66, 0, 200.0);
        assert!(matches!(glare, ColourVerdict::NotAFace(m) if m.falloff > 0.5 && m.pattern < 0.5), "{glare:?}");
        assert!(!matches!(run_on(0.0, 25.0, 66, 0, 80.0), ColourVerdict::Passed(_)));
    }

    /// A face lit in time by a guessed order of the six colours (a puppet pre-rendered with
    /// its own draw): every one of the 719 wrong orders, against one order shown.
    #[test]
    fn no_guessed_order_of_the_colours_passes() {
        fn orders(rest: Vec<[u8; 3]>, prefix: Vec<[u8; 3]>, out: &mut Vec<Vec<[u8; 3]>>) {
            if rest.is_empty() {
                out.push(prefix);
                return;
            }
            for i in 0..rest.len() {
                let (mut r, mut p) = (rest.clone(), prefix.clone());
                p.push(r.remove(i));
                orders(r, p, out);
            }
        }
        let mut all = Vec::new();
        orders(SHOWN.to_vec(), Vec::new(), &mut all);
        assert_eq!(all.len(), 720);
        let (mut passed, mut best, mut most) = (Vec::new(), -1.0f32, 0);
        for guess in all.iter().filter(|g| g.as_slice() != SHOWN) {
            match run_lit_by(guess, 0.15, 0.0, 66, 80.0) {
                ColourVerdict::Passed(_) => passed.push(guess.clone()),
                ColourVerdict::NotReflected(m) => {
                    best = best.max(m.correlation);
                    most = most.max(m.recognised);
                }
                v => panic!("{guess:?}: {v:?}"),
            }
        }
        assert!(passed.is_empty(), "{} of 719 guesses passed: {passed:?}", passed.len());
        // How close the best wrong guesses came (docs/liveness.md): four of six colours
        // right is the most a wrong order can have.
        println!("wrong orders: best correlation {best:.2}, most steps recognised {most}");
        assert_eq!(most, 4);
    }

    #[test]
    fn too_few_frames_or_a_burnt_out_face_is_unavailable() {
        let mut ch = ColourChallenge::new(ColourPolicy::default(), 0);
        assert_eq!(ch.verdict(), ColourVerdict::Unavailable(ColourUnavailable::TooFewFrames));
        let white = RgbImage::from_pixel(200, 200, image::Rgb([250, 250, 250]));
        let landmarks = [[85.0, 80.0], [115.0, 80.0], [100.0, 100.0], [88.0, 120.0], [112.0, 120.0]];
        for t in (0..2_000).step_by(33) {
            ch.sample(&white, &landmarks, &[60.0, 50.0, 80.0, 100.0], t);
        }
        assert_eq!(ch.verdict(), ColourVerdict::Unavailable(ColourUnavailable::Overexposed));
    }

    #[test]
    fn sequences_are_random_and_never_show_a_colour_twice() {
        let a = ColourChallenge::new(ColourPolicy::default(), 0).sequence;
        assert_eq!(a.len(), 6);
        assert!(a.iter().enumerate().all(|(i, c)| !a[..i].contains(c)));
        let differ = (0..8).any(|_| ColourChallenge::new(ColourPolicy::default(), 0).sequence != a);
        assert!(differ);
    }
}
