//! QR text and images: `IDW1:` + Base45 (RFC 9285), or `IDW1Z:` + Base45(zlib) when that
//! is shorter; QR codes at ECC level M rendered to PNG or modules, and decoded from
//! photos and camera frames (rxing).

use std::io::{Read, Write};

use super::CredentialError;

pub const PREFIX: &str = "IDW1:";
pub const PREFIX_ZLIB: &str = "IDW1Z:";
/// Longest QR text accepted (a version-40 code holds 4296 alphanumeric characters; we
/// stay well above our own largest output and refuse the rest unread).
pub const MAX_TEXT: usize = 10 * 1024;
/// Largest CBOR a presentation may inflate to.
const MAX_CBOR: usize = 16 * 1024;

/// Encode presentation CBOR as QR text, compressing only when it saves characters.
pub fn to_text(cbor: &[u8]) -> String {
    encode((PREFIX, PREFIX_ZLIB), cbor)
}

/// Decode QR text back to CBOR, refusing oversized input and zlib bombs.
pub fn from_text(text: &str) -> Result<Vec<u8>, CredentialError> {
    decode((PREFIX, PREFIX_ZLIB), text)
}

/// [`to_text`] under another pair of prefixes (plain, zlib): other signed objects (visa
/// report seals) travel in QR codes the same way.
pub(crate) fn encode((prefix, prefix_zlib): (&str, &str), cbor: &[u8]) -> String {
    let plain = base45::encode(cbor);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(cbor).expect("compressing to memory cannot fail");
    let zipped = base45::encode(z.finish().expect("compressing to memory cannot fail"));
    if zipped.len() + prefix_zlib.len() < plain.len() + prefix.len() {
        format!("{prefix_zlib}{zipped}")
    } else {
        format!("{prefix}{plain}")
    }
}

/// [`from_text`] under another pair of prefixes.
pub(crate) fn decode((prefix, prefix_zlib): (&str, &str), text: &str) -> Result<Vec<u8>, CredentialError> {
    if text.len() > MAX_TEXT {
        return Err(CredentialError::TooLarge { bytes: text.len() });
    }
    let (zipped, body) = if let Some(b) = text.strip_prefix(prefix_zlib) {
        (true, b)
    } else if let Some(b) = text.strip_prefix(prefix) {
        (false, b)
    } else {
        return Err(CredentialError::UnknownPrefix);
    };
    let raw = base45::decode(body).map_err(|_| CredentialError::BadEncoding)?;
    // The crate accepts pairs worth more than 255 (e.g. "GG"), which RFC 9285 forbids; the
    // encoding is a bijection on valid text, so a round trip catches every such input.
    if base45::encode(&raw) != body {
        return Err(CredentialError::BadEncoding);
    }
    if !zipped {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(raw.as_slice())
        .take(MAX_CBOR as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| super::malformed("compressed data is not zlib"))?;
    if out.len() > MAX_CBOR {
        return Err(CredentialError::TooLarge { bytes: out.len() });
    }
    Ok(out)
}

/// A QR code as modules, for apps that draw it themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    /// Modules per side.
    pub size: u32,
    pub version: u8,
    /// Row-major, `size * size` entries, true = dark.
    pub dark: Vec<bool>,
}

/// The QR code for `text` at ECC level M.
pub fn modules(text: &str) -> Result<QrModules, CredentialError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| CredentialError::TooLarge { bytes: text.len() })?;
    let version = match code.version() {
        qrcode::Version::Normal(v) => v as u8,
        qrcode::Version::Micro(v) => v as u8,
    };
    Ok(QrModules {
        size: code.width() as u32,
        version,
        dark: code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect(),
    })
}

/// A PNG of the QR code for `text`: `scale` pixels per module, 4-module quiet zone.
pub fn to_png(text: &str, scale: u32) -> Result<Vec<u8>, CredentialError> {
    let m = modules(text)?;
    let scale = scale.clamp(1, 32);
    let side = (m.size + 8) * scale;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale) as i64 - 4, (y / scale) as i64 - 4);
        let dark = mx >= 0
            && my >= 0
            && (mx as u32) < m.size
            && (my as u32) < m.size
            && m.dark[(my as u32 * m.size + mx as u32) as usize];
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|_| CredentialError::BadImage)?;
    Ok(png)
}

/// Largest image accepted for decoding, in pixels (a 4K frame is 8.3 M).
const MAX_PIXELS: u64 = 40_000_000;

/// The text of every QR code in an encoded image (PNG or JPEG).
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, CredentialError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| CredentialError::BadImage)?;
    let (w, h) = reader.into_dimensions().map_err(|_| CredentialError::BadImage)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(CredentialError::TooLarge { bytes: bytes.len() });
    }
    let img = image::load_from_memory(bytes).map_err(|_| CredentialError::BadImage)?;
    decode_luma(&img.to_luma8())
}

/// Most codes read from one picture: a desk sees a phone or two, not a poster wall.
const MAX_CODES: usize = 8;

/// The text of every QR code in an 8-bit greyscale frame (e.g. a camera's Y plane), in
/// the order found, each once.
///
/// Decoding is rxing's (ZXing's) QR readers. ZXing's multi-code reader misses codes of
/// different sizes side by side (two phones, measured: it read one of the demo's hotel and
/// police codes), so codes are read one at a time: the multi reader's finds, then the
/// single reader (try harder) again and again, each found code painted out before the next
/// look. A picture where none is found is looked at again, inverted (light modules on a
/// dark screen), at half size (noise) and sharpened (blur): `scripts/bench-qr.sh` measured
/// each pass against zxing-cpp (docs/qr-decoding.md). The readers parse outside input in a large dependency, so a panic inside them
/// is contained here and reported as no code found.
pub fn decode_luma(img: &image::GrayImage) -> Result<Vec<String>, CredentialError> {
    let found = std::panic::catch_unwind(|| {
        let texts = read_every_code(img.clone());
        if !texts.is_empty() {
            return texts;
        }
        // Light modules on a dark screen (dark mode): ZXing's readers look for dark ones.
        let mut inverted = img.clone();
        image::imageops::invert(&mut inverted);
        let texts = read_every_code(inverted);
        if !texts.is_empty() {
            return texts;
        }
        // At half size, averaging pixels tames noise and blur that hide the finder patterns.
        let (w, h) = img.dimensions();
        if w < 400 || h < 400 {
            return texts;
        }
        let texts = read_every_code(image::imageops::resize(img, w / 2, h / 2, image::imageops::FilterType::Triangle));
        if !texts.is_empty() {
            return texts;
        }
        read_every_code(image::imageops::unsharpen(img, 1.2, 0))
    });
    match found {
        Ok(texts) if !texts.is_empty() => Ok(texts),
        Ok(_) => Err(CredentialError::NoQrCode),
        Err(_) => {
            tracing::warn!(target: "idwallet::credential", "the QR decoder panicked on an image");
            Err(CredentialError::NoQrCode)
        }
    }
}

/// Every code in `work` (painted over as they are found): the multi reader's finds, then
/// the single reader until it finds nothing new.
fn read_every_code(mut work: image::GrayImage) -> Vec<String> {
    use rxing::multi::{qrcode::QRCodeMultiReader, MultipleBarcodeReader};
    let (w, h) = work.dimensions();
    let mut hints = rxing::DecodeHints { TryHarder: Some(true), ..Default::default() };
    let mut texts: Vec<String> = Vec::new();
    // Whether the code is new: one read twice was not painted out, so looking again
    // would only find it again.
    let mut take = |work: &mut image::GrayImage, result: &rxing::RXingResult| {
        paint_out(work, result.getPoints());
        let text = result.getText();
        let new = !texts.iter().any(|t| t == text);
        if new {
            texts.push(text.to_owned());
        }
        new
    };
    let multi = rxing::Luma8Source::new_with_slice(work.as_raw(), w, h).and_then(|source| {
        let mut bitmap = rxing::BinaryBitmap::new(rxing::common::HybridBinarizer::new(source));
        QRCodeMultiReader::new().decode_multiple_with_hints(&mut bitmap, &hints)
    });
    for result in multi.iter().flatten().take(MAX_CODES) {
        take(&mut work, result);
    }
    for _ in 0..MAX_CODES {
        let qr = Some(rxing::BarcodeFormat::QR_CODE);
        match rxing::helpers::detect_in_luma_slice_with_hints(work.as_raw(), w, h, qr, &mut hints) {
            Ok(result) if take(&mut work, &result) => {}
            _ => break,
        }
    }
    texts
}

/// Paint a found code white, so the next look finds another. `points` are its finder
/// centres (bottom-left, top-left, top-right); the fourth corner completes the
/// parallelogram. Painting out what lies between the centres removes every finder
/// pattern's core, so the code cannot be found again; the margin stays small (the 3.5
/// modules to the code's edge are not known without its version) so that a code close
/// beside it is not touched.
fn paint_out(img: &mut image::GrayImage, points: &[rxing::Point]) {
    let [bl, tl, tr, ..] = points else { return };
    let corners = [(bl.x, bl.y), (tl.x, tl.y), (tr.x, tr.y), (bl.x + tr.x - tl.x, bl.y + tr.y - tl.y)];
    let (xs, ys) = (corners.map(|c| c.0), corners.map(|c| c.1));
    let (min_x, max_x) = (xs.iter().copied().fold(f32::MAX, f32::min), xs.iter().copied().fold(f32::MIN, f32::max));
    let (min_y, max_y) = (ys.iter().copied().fold(f32::MAX, f32::min), ys.iter().copied().fold(f32::MIN, f32::max));
    let margin = 0.02 * (max_x - min_x).max(max_y - min_y) + 2.0;
    let clamp = |v: f32, hi: u32| (v.max(0.0) as u32).min(hi);
    let (x0, x1) = (clamp(min_x - margin, img.width()), clamp(max_x + margin, img.width()));
    let (y0, y1) = (clamp(min_y - margin, img.height()), clamp(max_y + margin, img.height()));
    for y in y0..y1 {
        for x in x0..x1 {
            img.put_pixel(x, y, image::Luma([255]));
        }
    }
}

/// The text of every QR code in a camera frame's luma plane: the Y plane of NV21/NV12/I420, or
/// any 8-bit greyscale buffer, `height` rows of `stride` bytes of which `width` are pixels.
pub fn decode_y_plane(y: &[u8], width: u32, height: u32, stride: u32) -> Result<Vec<String>, CredentialError> {
    let needed = u64::from(stride) * u64::from(height);
    if width == 0 || height == 0 || stride < width || (y.len() as u64) < needed {
        return Err(CredentialError::BadImage);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CredentialError::TooLarge { bytes: y.len() });
    }
    let (w, s) = (width as usize, stride as usize);
    let pixels: Vec<u8> = y.chunks(s).take(height as usize).flat_map(|row| &row[..w]).copied().collect();
    let img = image::GrayImage::from_raw(width, height, pixels).ok_or(CredentialError::BadImage)?;
    decode_luma(&img)
}

/// A PNG of the codes for `texts` side by side, as a desk camera sees two phones.
#[cfg(test)]
pub(crate) fn side_by_side(texts: &[&str]) -> Vec<u8> {
    let codes: Vec<_> =
        texts.iter().map(|t| image::load_from_memory(&to_png(t, 3).unwrap()).unwrap().to_luma8()).collect();
    let (width, height) = (codes.iter().map(|c| c.width() + 30).sum(), codes.iter().map(|c| c.height()).max().unwrap());
    let mut canvas = image::GrayImage::from_pixel(width, height + 40, image::Luma([255]));
    let mut x = 0;
    for code in &codes {
        image::imageops::replace(&mut canvas, code, x, 20);
        x += i64::from(code.width() + 30);
    }
    let mut png = Vec::new();
    canvas.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png
}
