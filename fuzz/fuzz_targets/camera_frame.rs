//! A camera's buffer or a photo → an upright RGB image or a typed error, never a panic:
//! the first bytes choose the layout (format, width, height, stride, rotation), the rest
//! is the pixel data; the same bytes are also tried as an encoded photo and as a QR
//! scanner's luma plane.
#![no_main]

use idwallet_core::credential::qr;
use idwallet_core::face::{Frame, PixelFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Frame::Encoded(data.to_vec()).to_rgb();
    if data.len() < 8 {
        return;
    }
    let (head, pixels) = data.split_at(8);
    let format = [PixelFormat::Rgba8, PixelFormat::Bgra8, PixelFormat::Nv21, PixelFormat::I420][usize::from(head[0] % 4)];
    // Small sides so the fuzzer reaches the edges of the buffer arithmetic quickly.
    let width = u32::from(head[1] % 64);
    let height = u32::from(head[2] % 64);
    let stride = width * if head[0] % 4 < 2 { 4 } else { 1 } + u32::from(head[3] % 8);
    let rotation = [0, 90, 180, 270, u32::from(head[4])][usize::from(head[5] % 5)];
    let frame = Frame::Raw { format, width, height, stride, rotation, data: pixels.to_vec() };
    let _ = frame.to_rgb();
    let _ = qr::decode_y_plane(pixels, width, height, u32::from(head[6]));
});
