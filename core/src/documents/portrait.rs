//! The portrait that travels in a QR credential: 48×64 greyscale JPEG, quality lowered
//! step by step until it fits the byte budget.

use image::{imageops::FilterType, DynamicImage, GrayImage};

use super::{invalid, DocumentError, MAX_PORTRAIT_BYTES};

pub const WIDTH: u32 = 48;
pub const HEIGHT: u32 = 64;

/// Make a credential portrait from any photo (JPEG/PNG bytes): centre-crop to 3:4,
/// resize to 48×64, greyscale, JPEG ≤ [`MAX_PORTRAIT_BYTES`].
pub fn from_photo(photo: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let img = image::load_from_memory(photo).map_err(|_| invalid("portrait", "not a readable image"))?;
    from_image(&img)
}

pub fn from_image(img: &DynamicImage) -> Result<Vec<u8>, DocumentError> {
    let (w, h) = (img.width(), img.height());
    if w < 16 || h < 16 {
        return Err(invalid("portrait", "image too small"));
    }
    // Largest 3:4 window, centred.
    let (cw, ch) = if w * 4 > h * 3 { (h * 3 / 4, h) } else { (w, w * 4 / 3) };
    let cropped = img.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch);
    let grey: GrayImage = cropped.resize_exact(WIDTH, HEIGHT, FilterType::Lanczos3).to_luma8();
    for quality in [60u8, 50, 40, 30, 20] {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        grey.write_with_encoder(encoder).map_err(|_| invalid("portrait", "could not be encoded"))?;
        if out.len() <= MAX_PORTRAIT_BYTES {
            return Ok(out);
        }
    }
    Err(invalid("portrait", "does not fit the byte budget"))
}
