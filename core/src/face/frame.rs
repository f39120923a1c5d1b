//! Frames in: encoded photos (JPEG/PNG, EXIF orientation honoured) or raw camera buffers
//! (RGBA8, BGRA8, NV21, I420) with their stride and the rotation that makes them upright.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use super::FaceError;

/// Largest frame side accepted (a 4K camera frame fits).
const MAX_SIDE: u32 = 4096;

/// Layout of a raw camera buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Rgba8,
    Bgra8,
    /// Android's camera default: a Y plane, then interleaved V/U at half resolution.
    Nv21,
    /// Y, then U, then V planes, chroma at half resolution.
    I420,
}

/// One image to look for a face in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// JPEG or PNG bytes.
    Encoded(Vec<u8>),
    /// A camera buffer: `stride` is bytes per row of the first plane; `rotation` (0, 90,
    /// 180, 270, clockwise) turns it upright.
    Raw { format: PixelFormat, width: u32, height: u32, stride: u32, rotation: u32, data: Vec<u8> },
}

impl Frame {
    /// The frame upright as RGB: what detection sees. Public for tools and fuzzing.
    pub fn to_rgb(&self) -> Result<RgbImage, FaceError> {
        let image = match self {
            Frame::Encoded(bytes) => decode(bytes)?,
            Frame::Raw { format, width, height, stride, rotation, data } => {
                let rgb = raw(*format, *width, *height, *stride, data)?;
                match rotation {
                    0 => DynamicImage::ImageRgb8(rgb),
                    90 => DynamicImage::ImageRgb8(image::imageops::rotate90(&rgb)),
                    180 => DynamicImage::ImageRgb8(image::imageops::rotate180(&rgb)),
                    270 => DynamicImage::ImageRgb8(image::imageops::rotate270(&rgb)),
                    _ => return Err(FaceError::BadFrame),
                }
            }
        };
        Ok(image.to_rgb8())
    }
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, FaceError> {
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| FaceError::BadImage)?;
    let mut decoder = reader.into_decoder().map_err(|_| FaceError::BadImage)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE * 2 || h > MAX_SIDE * 2 {
        return Err(FaceError::BadImage);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| FaceError::BadImage)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn raw(format: PixelFormat, w: u32, h: u32, stride: u32, data: &[u8]) -> Result<RgbImage, FaceError> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(FaceError::BadFrame);
    }
    let (wu, hu, s) = (w as usize, h as usize, stride as usize);
    let need = |n: usize| if data.len() < n { Err(FaceError::BadFrame) } else { Ok(()) };
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => {
            if s < wu * 4 {
                return Err(FaceError::BadFrame);
            }
            need(s * (hu - 1) + wu * 4)?;
            let (r, b) = if format == PixelFormat::Rgba8 { (0, 2) } else { (2, 0) };
            Ok(RgbImage::from_fn(w, h, |x, y| {
                let p = y as usize * s + x as usize * 4;
                image::Rgb([data[p + r], data[p + 1], data[p + b]])
            }))
        }
        PixelFormat::Nv21 | PixelFormat::I420 => {
            // An NV21 chroma row holds a V/U pair per two pixels: 2·⌈w/2⌉ bytes, one more than
            // the width when it is odd, and it must fit in the stride.
            let chroma_row = if format == PixelFormat::Nv21 { 2 * wu.div_ceil(2) } else { wu };
            if s < chroma_row {
                return Err(FaceError::BadFrame);
            }
            let ch = hu.div_ceil(2);
            let y_len = s * hu;
            // Chroma rows: NV21 interleaves V/U at the luma stride; I420 has two planes at half stride.
            let cs = if format == PixelFormat::Nv21 { s } else { s.div_ceil(2) };
            need(y_len + cs * ch * if format == PixelFormat::Nv21 { 1 } else { 2 })?;
            Ok(RgbImage::from_fn(w, h, |x, y| {
                let (x, y) = (x as usize, y as usize);
                let luma = f32::from(data[y * s + x]);
                let (u, v) = match format {
                    PixelFormat::Nv21 => {
                        let p = y_len + (y / 2) * cs + (x / 2) * 2;
                        (data[p + 1], data[p])
                    }
                    _ => {
                        let p = (y / 2) * cs + x / 2;
                        (data[y_len + p], data[y_len + cs * ch + p])
                    }
                };
                let (u, v) = (f32::from(u) - 128.0, f32::from(v) - 128.0);
                let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
                // BT.601 full range, as Android and iOS cameras deliver.
                image::Rgb([c(luma + 1.402 * v), c(luma - 0.344_136 * u - 0.714_136 * v), c(luma + 1.772 * u)])
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every small layout at its tightest (stride = row bytes, data cut to the shortest length
    /// accepted) converts or is refused — never indexes past the buffer.
    #[test]
    fn the_tightest_buffers_of_every_small_layout_convert_or_are_refused() {
        let formats = [PixelFormat::Rgba8, PixelFormat::Bgra8, PixelFormat::Nv21, PixelFormat::I420];
        let mut converted = 0;
        for format in formats {
            let bpp = if matches!(format, PixelFormat::Rgba8 | PixelFormat::Bgra8) { 4 } else { 1 };
            for (w, h) in (1..=5).flat_map(|w| (1..=5).map(move |h| (w, h))) {
                for stride in [w * bpp, w * bpp + 1] {
                    let shortest =
                        (0..=4 * stride * h).find(|&n| raw(format, w, h, stride, &vec![0; n as usize]).is_ok());
                    if let Some(n) = shortest {
                        converted += 1;
                        let rgb = raw(format, w, h, stride, &vec![128; n as usize]).unwrap();
                        assert_eq!(rgb.dimensions(), (w, h));
                    }
                }
            }
        }
        assert!(converted >= 150, "only {converted} layouts convert");
    }
}
