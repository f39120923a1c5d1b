//! Live scanning at a staff desk: camera frames in (the face pipeline's [`Frame`] types),
//! one verdict out. Each frame is read for every code in view; until one is found, a hint
//! says what to change; the first code read gives the verdict (accepted or refused) and the
//! scan is over — later frames return the same verdict, so a desk app can stop its camera
//! on the first `Found`.

use super::{qr, CredentialError, VerifiedPresentation, Verifier};
use crate::face::{Frame, PixelFormat};

/// Largest frame side read (a 4K camera frame fits; as the face pipeline's limit).
const MAX_SIDE: usize = 4096;

/// What to tell staff while no code is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanHint {
    /// The frame is readable but holds no code we can read: point at the code, move closer.
    NoCode,
    /// Mean brightness below 40 of 255: more light, or turn the phone's screen up.
    TooDark,
    /// Mean brightness above 225: glare or an over-exposed screen; tilt the phone.
    TooBright,
}

/// One step of a scan.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanStep {
    Searching {
        hint: ScanHint,
    },
    /// A code was read: the verifier's verdict on it (also a refusal: a forged or expired
    /// code is a result, not a reason to keep looking).
    Found(Result<VerifiedPresentation, CredentialError>),
}

/// A scan in progress for one verifier.
#[derive(Debug)]
pub struct Scanner {
    verifier: Verifier,
    frames: u32,
    found: Option<Result<VerifiedPresentation, CredentialError>>,
}

impl Scanner {
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier, frames: 0, found: None }
    }

    /// Frames fed so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Read `frame` at `now`. An unreadable frame (a corrupt buffer) is an error and leaves
    /// the scan as it was.
    pub fn feed(&mut self, frame: &Frame, now: i64) -> Result<ScanStep, CredentialError> {
        if let Some(found) = &self.found {
            return Ok(ScanStep::Found(found.clone()));
        }
        let luma = luma(frame)?;
        self.frames += 1;
        match qr::decode_luma(&luma) {
            Ok(texts) => {
                let verdict = self.verifier.verify_codes(&texts, now);
                self.found = Some(verdict.clone());
                Ok(ScanStep::Found(verdict))
            }
            Err(_) => {
                let pixels = u64::from(luma.width()) * u64::from(luma.height());
                let mean = luma.as_raw().iter().map(|p| u64::from(*p)).sum::<u64>() / pixels.max(1);
                let hint = match mean {
                    0..40 => ScanHint::TooDark,
                    226.. => ScanHint::TooBright,
                    _ => ScanHint::NoCode,
                };
                Ok(ScanStep::Searching { hint })
            }
        }
    }
}

/// The frame's brightness: a YUV buffer's Y plane as it is (no colour round trip; a code
/// reads in any rotation), anything else through RGB.
fn luma(frame: &Frame) -> Result<image::GrayImage, CredentialError> {
    match frame {
        Frame::Raw { format: PixelFormat::Nv21 | PixelFormat::I420, width, height, stride, data, .. } => {
            let (w, h, s) = (*width as usize, *height as usize, *stride as usize);
            // Checked: on a 32-bit phone a hostile stride × height must not wrap past the check.
            let needed = s.checked_mul(h.saturating_sub(1)).and_then(|n| n.checked_add(w));
            if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || s < w || needed.is_none_or(|n| data.len() < n) {
                return Err(CredentialError::BadImage);
            }
            let pixels: Vec<u8> = (0..h).flat_map(|row| &data[row * s..row * s + w]).copied().collect();
            image::GrayImage::from_raw(*width, *height, pixels).ok_or(CredentialError::BadImage)
        }
        other => other
            .to_rgb()
            .map(|rgb| image::DynamicImage::ImageRgb8(rgb).to_luma8())
            .map_err(|_| CredentialError::BadImage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_frame(img: &image::GrayImage) -> Frame {
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        Frame::Encoded(png)
    }

    #[test]
    fn a_scan_hints_until_a_code_is_read_then_keeps_its_verdict() {
        let verifier = Verifier::new(super::super::Profile::hotel(), Default::default());
        let mut scan = Scanner::new(verifier);
        let dark = png_frame(&image::GrayImage::from_pixel(640, 480, image::Luma([12])));
        let glare = png_frame(&image::GrayImage::from_pixel(640, 480, image::Luma([250])));
        let grey = png_frame(&image::GrayImage::from_pixel(640, 480, image::Luma([128])));
        assert_eq!(scan.feed(&dark, 0), Ok(ScanStep::Searching { hint: ScanHint::TooDark }));
        assert_eq!(scan.feed(&glare, 0), Ok(ScanStep::Searching { hint: ScanHint::TooBright }));
        assert_eq!(scan.feed(&grey, 0), Ok(ScanStep::Searching { hint: ScanHint::NoCode }));
        assert_eq!(scan.feed(&Frame::Encoded(vec![1, 2, 3]), 0), Err(CredentialError::BadImage));
        assert_eq!(scan.frames(), 3, "an unreadable frame is not counted");
        // A code from an issuer this desk does not trust: found, and refused.
        let code = image::load_from_memory(&qr::to_png("IDW1:NOTREAL", 4).unwrap()).unwrap().to_luma8();
        let found = scan.feed(&png_frame(&code), 0).unwrap();
        assert!(matches!(found, ScanStep::Found(Err(_))), "{found:?}");
        assert_eq!(scan.feed(&grey, 0).unwrap(), found, "the scan is over: the same verdict");
        // A camera's NV21 buffer: the Y plane is read as it is, row padding skipped.
        let (w, h, stride) = (code.width(), code.height(), code.width() + 16);
        let mut nv21 = vec![128u8; (stride * h + stride * h / 2) as usize];
        for (x, y, p) in code.enumerate_pixels() {
            nv21[(y * stride + x) as usize] = p.0[0];
        }
        let raw = Frame::Raw { format: PixelFormat::Nv21, width: w, height: h, stride, rotation: 90, data: nv21 };
        let mut fresh = Scanner::new(Verifier::new(super::super::Profile::hotel(), Default::default()));
        assert!(matches!(fresh.feed(&raw, 0), Ok(ScanStep::Found(Err(_)))));
        // Hostile sizes: refused before any allocation or arithmetic that could wrap.
        let mut hostile = Scanner::new(Verifier::new(super::super::Profile::hotel(), Default::default()));
        for (w, h, s) in [(100_000, 100_000, 100_000), (4000, u32::MAX, u32::MAX), (640, 480, 639)] {
            let f = Frame::Raw {
                format: PixelFormat::I420,
                width: w,
                height: h,
                stride: s,
                rotation: 0,
                data: vec![0; 64],
            };
            assert_eq!(hostile.feed(&f, 0), Err(CredentialError::BadImage), "{w}x{h} stride {s}");
        }
        assert_eq!(hostile.frames(), 0);
    }
}
