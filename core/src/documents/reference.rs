//! The issuer's reference portrait: the photo a live face is matched against when the
//! holder enrols, so the face that unlocks the eID is the face the documents were issued to.
//!
//! Format: a colour baseline JPEG, longest side at most [`MAX_SIDE`] px (never upscaled),
//! quality 90, at most [`MAX_BYTES`]. Why: SFace aligns faces to 112×112, so a face of at
//! least ~112 px from forehead to chin keeps every pixel the embedder sees; an ID photo
//! (ISO/IEC 19794-5 asks ≥ 90 px between the eyes for a full-frontal image) scaled to 640 px
//! keeps that with room to spare, and at q90 it is ~40–90 kB. It travels over the signed
//! client and is stored sealed; it never goes into a QR code (that carries the 48×64
//! thumbnail, [`super::portrait`], derived from the same photo).

use image::{imageops::FilterType, DynamicImage};

use super::{invalid, DocumentError};

pub const MAX_SIDE: u32 = 640;
pub const MAX_BYTES: usize = 256 * 1024;
/// Smaller than this and no face in it is big enough to match against.
pub const MIN_SIDE: u32 = 160;
const QUALITY: u8 = 90;

/// A reference portrait from the issuer's photo of the citizen (JPEG/PNG bytes): a head
/// and shoulders window around `face` (or the whole photo).
pub fn from_photo(photo: &[u8], face: Option<super::portrait::FaceBox>) -> Result<Vec<u8>, DocumentError> {
    let img = image::load_from_memory(photo).map_err(|_| invalid("reference portrait", "not a readable image"))?;
    let img = match face {
        Some(face) => super::portrait::head_window(&img, face, 2.6),
        None => img,
    };
    let img = if img.width().max(img.height()) > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, FilterType::Lanczos3)
    } else {
        img
    };
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    let mut out = Vec::new();
    rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY))
        .map_err(|_| invalid("reference portrait", "could not be encoded"))?;
    validate(&out)?;
    Ok(out)
}

/// Check a received reference portrait is a JPEG of a usable size (its digest is checked
/// against the issuer's signature by the wallet).
pub fn validate(bytes: &[u8]) -> Result<(), DocumentError> {
    if bytes.len() > MAX_BYTES {
        return Err(invalid("reference portrait", "too large"));
    }
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return Err(invalid("reference portrait", "must be a JPEG"));
    }
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    let (w, h) = reader.into_dimensions().map_err(|_| invalid("reference portrait", "not a readable JPEG"))?;
    if w.min(h) < MIN_SIDE || w.max(h) > MAX_SIDE {
        return Err(invalid("reference portrait", "outside the size limits"));
    }
    Ok(())
}

/// SHA-256 of the portrait's bytes: what the issuer signs.
pub fn digest(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn a_large_photo_is_scaled_to_the_reference_size_and_a_small_one_refused() {
        let r = from_photo(&photo(900, 1200), None).unwrap();
        let img = image::load_from_memory(&r).unwrap();
        assert_eq!((img.width(), img.height()), (480, 640));
        assert!(r.len() <= MAX_BYTES);
        assert!(matches!(from_photo(&photo(100, 120), None), Err(DocumentError::Invalid { .. })));
        assert!(validate(b"\xff\xd8 not really").is_err());
        assert!(validate(&photo(300, 400)).is_err(), "a PNG is not a reference portrait");
        assert_eq!(digest(&r).len(), 32);
    }
}
