//! Pixel motion on the face, for the planarity test: points seeded on the face are followed
//! frame to frame with pyramidal Lucas–Kanade, and a homography is fitted to where they
//! went. A flat picture — however it is moved, zoomed, turned or sheared — moves every
//! point by one homography; a head turning moves the nose and cheeks off it.
//!
//! Why pixels and not the detector's landmarks: the five landmarks are a network's guess
//! with a 3-D face prior, and on a print turned 50° close to the lens it places the nose
//! as if a head had turned (measured: `docs/liveness.md`). Tracked pixels follow the image.

use image::RgbImage;

const LEVELS: usize = 3;
const HALF_WINDOW: i32 = 5;
const ITERATIONS: usize = 12;
/// Points whose window has too little texture to track (Shi–Tomasi; sensor noise alone
/// gives about 3e-5).
const MIN_EIGEN: f32 = 1e-4;
/// The most textured points kept.
const POINTS: usize = 48;

/// A grey image, 0…1.
#[derive(Debug, Clone)]
struct Grey {
    w: usize,
    h: usize,
    px: Vec<f32>,
}

impl Grey {
    fn from_rgb(image: &RgbImage) -> Self {
        let px = image
            .pixels()
            .map(|p| (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0)
            .collect();
        Self { w: image.width() as usize, h: image.height() as usize, px }
    }

    fn half(&self) -> Self {
        let (w, h) = ((self.w / 2).max(1), (self.h / 2).max(1));
        let at = |x: usize, y: usize| self.px[y.min(self.h - 1) * self.w + x.min(self.w - 1)];
        let px = (0..w * h)
            .map(|i| {
                let (x, y) = (2 * (i % w), 2 * (i / w));
                (at(x, y) + at(x + 1, y) + at(x, y + 1) + at(x + 1, y + 1)) / 4.0
            })
            .collect();
        Self { w, h, px }
    }

    /// Bilinear sample; `None` outside.
    fn at(&self, x: f32, y: f32) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0 && x < (self.w - 1) as f32 && y < (self.h - 1) as f32) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.w + x0;
        let top = self.px[i] * (1.0 - fx) + self.px[i + 1] * fx;
        let bottom = self.px[i + self.w] * (1.0 - fx) + self.px[i + self.w + 1] * fx;
        Some(top * (1.0 - fy) + bottom * fy)
    }
}

fn pyramid(image: &RgbImage) -> Vec<Grey> {
    let mut levels = vec![Grey::from_rgb(image)];
    for _ in 1..LEVELS {
        let next = levels[levels.len() - 1].half();
        levels.push(next);
    }
    levels
}

/// Points followed from a seed frame.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    prev: Vec<Grey>,
    start: Vec<[f32; 2]>,
    now: Vec<Option<[f32; 2]>>,
}

impl Tracker {
    /// Seed a grid over the face (eyes to chin, cheek to cheek), keeping textured points.
    pub(crate) fn seed(image: &RgbImage, l: &[[f32; 2]; 5]) -> Self {
        let prev = pyramid(image);
        let eyes = [(l[0][0] + l[1][0]) / 2.0, (l[0][1] + l[1][1]) / 2.0];
        let mouth = [(l[3][0] + l[4][0]) / 2.0, (l[3][1] + l[4][1]) / 2.0];
        let ex = [l[1][0] - l[0][0], l[1][1] - l[0][1]];
        let ey = [mouth[0] - eyes[0], mouth[1] - eyes[1]];
        let mut candidates = Vec::new();
        for j in 0..15 {
            for i in 0..15 {
                let (u, v) = (-1.0 + i as f32 / 7.0, -0.8 + 2.4 * j as f32 / 14.0);
                let p = [eyes[0] + u * ex[0] + v * ey[0], eyes[1] + u * ex[1] + v * ey[1]];
                if let Some(e) = min_eigen(&prev[0], p).filter(|e| *e >= MIN_EIGEN) {
                    candidates.push((e, p));
                }
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let start: Vec<[f32; 2]> = candidates.into_iter().take(POINTS).map(|(_, p)| p).collect();
        let now = start.iter().copied().map(Some).collect();
        Self { prev, start, now }
    }

    /// Follow the points into `image`. A point that does not track back to where it came
    /// from (forward–backward error over a pixel) is dropped: a tracking slip must
    /// not pass for depth.
    pub(crate) fn track(&mut self, image: &RgbImage) {
        let next = pyramid(image);
        for p in self.now.iter_mut() {
            *p = p.and_then(|p| {
                let q = lucas_kanade(&self.prev, &next, p)?;
                let back = lucas_kanade(&next, &self.prev, q)?;
                ((back[0] - p[0]).powi(2) + (back[1] - p[1]).powi(2) < 1.0).then_some(q)
            });
        }
        self.prev = next;
    }

    /// RMS distance of the points from the best homography seed → now, per `scale`
    /// pixels (the eye distance); `None` with too few points to tell.
    pub(crate) fn off_plane(&self, scale: f32) -> Option<f32> {
        let pairs: Vec<([f32; 2], [f32; 2])> =
            self.start.iter().zip(&self.now).filter_map(|(s, n)| n.map(|n| (*s, n))).collect();
        if pairs.len() < 12 {
            return None;
        }
        let h = fit_homography(&pairs)?;
        let sum: f32 = pairs
            .iter()
            .map(|([x, y], [u, v])| {
                let d = h[6] * x + h[7] * y + 1.0;
                let (px, py) = ((h[0] * x + h[1] * y + h[2]) / d, (h[3] * x + h[4] * y + h[5]) / d);
                (px - u).powi(2) + (py - v).powi(2)
            })
            .sum();
        Some((sum / pairs.len() as f32).sqrt() / scale.max(1.0))
    }
}

/// Smaller eigenvalue of the window's gradient matrix (how well a point can be tracked).
fn min_eigen(g: &Grey, p: [f32; 2]) -> Option<f32> {
    let (gxx, gxy, gyy, _) = gradients(g, p)?;
    let n = ((2 * HALF_WINDOW + 1) * (2 * HALF_WINDOW + 1)) as f32;
    let (a, b, c) = (gxx / n, gxy / n, gyy / n);
    Some((a + c) / 2.0 - (((a - c) / 2.0).powi(2) + b * b).sqrt())
}

/// Sums of Ix², IxIy, Iy² over the window at `p`, and the window's gradients.
#[allow(clippy::type_complexity)]
fn gradients(g: &Grey, p: [f32; 2]) -> Option<(f32, f32, f32, Vec<(f32, f32, f32)>)> {
    let (mut gxx, mut gxy, mut gyy) = (0.0, 0.0, 0.0);
    let mut window = Vec::with_capacity(((2 * HALF_WINDOW + 1) * (2 * HALF_WINDOW + 1)) as usize);
    for dy in -HALF_WINDOW..=HALF_WINDOW {
        for dx in -HALF_WINDOW..=HALF_WINDOW {
            let (x, y) = (p[0] + dx as f32, p[1] + dy as f32);
            let ix = (g.at(x + 1.0, y)? - g.at(x - 1.0, y)?) / 2.0;
            let iy = (g.at(x, y + 1.0)? - g.at(x, y - 1.0)?) / 2.0;
            gxx += ix * ix;
            gxy += ix * iy;
            gyy += iy * iy;
            window.push((g.at(x, y)?, ix, iy));
        }
    }
    Some((gxx, gxy, gyy, window))
}

/// Where the point `p` of `prev` went in `next` (pyramidal Lucas–Kanade).
fn lucas_kanade(prev: &[Grey], next: &[Grey], p: [f32; 2]) -> Option<[f32; 2]> {
    let mut d = [0.0f32; 2];
    for level in (0..prev.len()).rev() {
        let s = (1 << level) as f32;
        let q = [p[0] / s, p[1] / s];
        let (gxx, gxy, gyy, window) = gradients(&prev[level], q)?;
        let det = gxx * gyy - gxy * gxy;
        if det.abs() < 1e-9 {
            return None;
        }
        for _ in 0..ITERATIONS {
            let (mut bx, mut by, mut k) = (0.0, 0.0, 0);
            for dy in -HALF_WINDOW..=HALF_WINDOW {
                for dx in -HALF_WINDOW..=HALF_WINDOW {
                    let (i0, ix, iy) = window[k];
                    k += 1;
                    let i1 = next[level].at(q[0] + d[0] + dx as f32, q[1] + d[1] + dy as f32)?;
                    let diff = i0 - i1;
                    bx += diff * ix;
                    by += diff * iy;
                }
            }
            let step = [(gyy * bx - gxy * by) / det, (gxx * by - gxy * bx) / det];
            d = [d[0] + step[0], d[1] + step[1]];
            if step[0].abs() + step[1].abs() < 0.01 {
                break;
            }
        }
        if level > 0 {
            d = [d[0] * 2.0, d[1] * 2.0];
        }
    }
    let out = [p[0] + d[0], p[1] + d[1]];
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// Least-squares homography (h33 = 1) over point pairs, in coordinates normalised for
/// conditioning; solved from the 8×8 normal equations.
fn fit_homography(pairs: &[([f32; 2], [f32; 2])]) -> Option<[f32; 9]> {
    let norm = |pts: &mut dyn Iterator<Item = [f32; 2]>| {
        let v: Vec<[f64; 2]> = pts.map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
        let n = v.len() as f64;
        let (mx, my) = (v.iter().map(|p| p[0]).sum::<f64>() / n, v.iter().map(|p| p[1]).sum::<f64>() / n);
        let spread = v.iter().map(|p| ((p[0] - mx).powi(2) + (p[1] - my).powi(2)).sqrt()).sum::<f64>() / n;
        let s = if spread > 1e-9 { std::f64::consts::SQRT_2 / spread } else { 1.0 };
        (v.into_iter().map(|p| [(p[0] - mx) * s, (p[1] - my) * s]).collect::<Vec<_>>(), [s, mx, my])
    };
    let (src, ts) = norm(&mut pairs.iter().map(|p| p.0));
    let (dst, td) = norm(&mut pairs.iter().map(|p| p.1));
    let mut ata = [[0f64; 9]; 8];
    for ([x, y], [u, v]) in src.iter().zip(&dst) {
        for row in [[*x, *y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, *u], [0.0, 0.0, 0.0, *x, *y, 1.0, -v * x, -v * y, *v]]
        {
            for i in 0..8 {
                for j in 0..9 {
                    ata[i][j] += row[i] * row[j];
                }
            }
        }
    }
    let h = solve8(ata)?;
    // Undo the normalisations: H = Td⁻¹ · Hn · Ts.
    let hn = [[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]];
    let t_src = [[ts[0], 0.0, -ts[0] * ts[1]], [0.0, ts[0], -ts[0] * ts[2]], [0.0, 0.0, 1.0]];
    let t_dst_inv = [[1.0 / td[0], 0.0, td[1]], [0.0, 1.0 / td[0], td[2]], [0.0, 0.0, 1.0]];
    let m = mul3(&t_dst_inv, &mul3(&hn, &t_src));
    if m[2][2].abs() < 1e-12 {
        return None;
    }
    Some(std::array::from_fn(|i| (m[i / 3][i % 3] / m[2][2]) as f32))
}

fn mul3(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

/// Solve an 8×8 system given as an augmented matrix, by Gauss–Jordan with partial pivoting.
fn solve8(mut a: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = a[row][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some(std::array::from_fn(|i| a[i][8] / a[i][i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_homography_is_recovered_from_exact_points() {
        let h = [1.1f32, 0.2, 5.0, -0.1, 0.9, -3.0, 0.0004, -0.0002, 1.0];
        let pairs: Vec<_> = (0..25)
            .map(|i| {
                let (x, y) = ((i % 5) as f32 * 40.0, (i / 5) as f32 * 40.0);
                let d = h[6] * x + h[7] * y + 1.0;
                ([x, y], [(h[0] * x + h[1] * y + h[2]) / d, (h[3] * x + h[4] * y + h[5]) / d])
            })
            .collect();
        let got = fit_homography(&pairs).unwrap();
        for (a, b) in got.iter().zip(h) {
            assert!((a - b).abs() < 1e-3, "{got:?}");
        }
    }
}
