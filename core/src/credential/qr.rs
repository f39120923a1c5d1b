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

/// The QR code's text found in an encoded image (PNG or JPEG).
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

/// The QR code's text in an 8-bit greyscale frame (e.g. a camera's Y plane).
///
/// Decoding is rxing's (ZXing's) QR reader. It parses outside input in a large dependency,
/// so a panic inside it is contained here and reported as no code found.
pub fn decode_luma(img: &image::GrayImage) -> Result<Vec<String>, CredentialError> {
    let (w, h) = img.dimensions();
    let luma = img.as_raw();
    let found = std::panic::catch_unwind(|| {
        rxing::helpers::detect_in_luma_slice(luma, w, h, Some(rxing::BarcodeFormat::QR_CODE))
            .ok()
            .map(|r| r.getText().to_owned())
    });
    match found {
        Ok(Some(text)) => Ok(vec![text]),
        Ok(None) => Err(CredentialError::NoQrCode),
        Err(_) => {
            tracing::warn!(target: "idwallet::credential", "the QR decoder panicked on an image");
            Err(CredentialError::NoQrCode)
        }
    }
}

/// The QR code's text in a camera frame's luma plane: the Y plane of NV21/NV12/I420, or
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
