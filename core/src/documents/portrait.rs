//! The portrait that travels in a QR credential: a 48×64 greyscale JPEG in *compact* form.
//!
//! A baseline JPEG this small is mostly tables: the quantisation and Huffman tables are
//! ~290 of ~660 bytes, and they are the same for every portrait of a given quality. The
//! compact form drops them (keeping one quality byte) and [`to_jpeg`] puts back exactly
//! the tables our encoder writes at that quality, so the hotel QR fits its byte budget.
//! Layout: `quality ‖ SOI ‖ SOF0 ‖ SOS … EOI`.

use image::{imageops::FilterType, DynamicImage, GrayImage};

use super::{invalid, DocumentError, MAX_PORTRAIT_BYTES};

pub const WIDTH: u32 = 48;
pub const HEIGHT: u32 = 64;

const SOI: [u8; 2] = [0xff, 0xd8];
const DQT: u8 = 0xdb;
const DHT: u8 = 0xc4;
const APP0: u8 = 0xe0;
const SOS: u8 = 0xda;

/// Where the face is in a photo: `[x0, y0, x1, y1]` as fractions of its width and height.
pub type FaceBox = [f32; 4];

/// Make a compact credential portrait from any photo (JPEG/PNG bytes): crop to a 3:4 head
/// and shoulders window around `face` (or the largest centred 3:4 window), resize to
/// 48×64, greyscale, smoothed a little (noise costs bytes, not likeness), quality lowered
/// until it fits [`MAX_PORTRAIT_BYTES`].
pub fn from_photo(photo: &[u8], face: Option<FaceBox>) -> Result<Vec<u8>, DocumentError> {
    let img = image::load_from_memory(photo).map_err(|_| invalid("portrait", "not a readable image"))?;
    let img = match face {
        Some(face) => head_window(&img, face, 2.0),
        None => img,
    };
    from_image(&img)
}

/// The 3:4 window centred on `face` (a little above its centre, for the hair), `scale`
/// times the face's height tall, shrunk to fit inside the image.
pub fn head_window(img: &DynamicImage, face: FaceBox, scale: f32) -> DynamicImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let [x0, y0, x1, y1] = face.map(|v| v.clamp(0.0, 1.0));
    let (cx, cy) = ((x0 + x1) / 2.0 * w, ((y0 + y1) / 2.0 - (y1 - y0) * 0.1) * h);
    let ch = ((y1 - y0) * h * scale).min(h).min(w * 4.0 / 3.0).max(16.0);
    let cw = ch * 3.0 / 4.0;
    let left = (cx - cw / 2.0).clamp(0.0, (w - cw).max(0.0));
    let top = (cy - ch / 2.0).clamp(0.0, (h - ch).max(0.0));
    img.crop_imm(left as u32, top as u32, cw as u32, ch as u32)
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
    let grey = image::imageops::blur(&grey, 0.6);
    for quality in [40u8, 35, 30, 25, 20, 15, 12, 10] {
        let compact = compact(&encode(&grey, quality)?, quality)?;
        if compact.len() <= MAX_PORTRAIT_BYTES {
            return Ok(compact);
        }
    }
    Err(invalid("portrait", "does not fit the byte budget"))
}

fn encode(img: &GrayImage, quality: u8) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.write_with_encoder(encoder).map_err(|_| invalid("portrait", "could not be encoded"))?;
    Ok(out)
}

/// A JPEG marker segment: (marker, the whole segment's bytes).
type Segment<'a> = (u8, &'a [u8]);

/// JPEG segments before the scan, and the scan onwards.
fn segments(jpeg: &[u8]) -> Option<(Vec<Segment<'_>>, &[u8])> {
    if !jpeg.starts_with(&SOI) {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 2;
    loop {
        if jpeg.get(i) != Some(&0xff) {
            return None;
        }
        let marker = *jpeg.get(i + 1)?;
        if marker == SOS {
            return Some((out, &jpeg[i..]));
        }
        let len = u16::from_be_bytes([*jpeg.get(i + 2)?, *jpeg.get(i + 3)?]) as usize;
        let end = i.checked_add(2 + len).filter(|e| *e <= jpeg.len() && len >= 2)?;
        out.push((marker, &jpeg[i..end]));
        i = end;
    }
}

/// The tables our encoder writes at `quality`, taken from a tiny reference encoding.
fn tables(quality: u8) -> Result<Vec<u8>, DocumentError> {
    let reference = encode(&GrayImage::new(8, 8), quality)?;
    let (segs, _) = segments(&reference).ok_or(invalid("portrait", "encoder output unreadable"))?;
    Ok(segs.into_iter().filter(|(m, _)| *m == DQT || *m == DHT).flat_map(|(_, s)| s.to_vec()).collect())
}

/// Compact form of a JPEG our encoder made at `quality`; refuses any other JPEG, whose
/// tables would not be restored exactly.
pub fn compact(jpeg: &[u8], quality: u8) -> Result<Vec<u8>, DocumentError> {
    let (segs, scan) = segments(jpeg).ok_or(invalid("portrait", "not a baseline JPEG"))?;
    let own: Vec<u8> = segs.iter().filter(|(m, _)| *m == DQT || *m == DHT).flat_map(|(_, s)| s.to_vec()).collect();
    if quality == 0 || quality > 100 || own != tables(quality)? {
        return Err(invalid("portrait", "JPEG tables are not the standard ones for its quality"));
    }
    let mut out = vec![quality];
    out.extend_from_slice(&SOI);
    for (marker, seg) in segs {
        if marker != DQT && marker != DHT && marker != APP0 {
            out.extend_from_slice(seg);
        }
    }
    out.extend_from_slice(scan);
    Ok(out)
}

/// A standard JPEG from a compact portrait, for display.
pub fn to_jpeg(compact: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let (&quality, rest) = compact.split_first().ok_or(invalid("portrait", "empty"))?;
    if quality == 0 || quality > 100 || !rest.starts_with(&SOI) {
        return Err(invalid("portrait", "not a compact portrait"));
    }
    let mut out = SOI.to_vec();
    out.extend(tables(quality)?);
    out.extend_from_slice(&rest[2..]);
    Ok(out)
}
