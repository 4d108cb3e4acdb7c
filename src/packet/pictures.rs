//! Pictures on their way into a packet: decoded within bounds, turned upright by their EXIF
//! orientation, scaled to the profile's resolution (never up), and encoded anew as a JPEG, so
//! nothing of the original's metadata (EXIF, GPS tags, text chunks) goes with them.

use image::{DynamicImage, ImageDecoder};

use crate::domain::FileType;
use crate::files::check::MAX_PIXELS;

/// A picture decoded and turned upright, ready to be encoded at any step.
pub struct Upright(DynamicImage);

/// A picture as the packet holds it.
pub struct Encoded {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes a PNG, JPEG or GIF and applies its orientation; `None` when it cannot be read.
pub fn decode(file_type: FileType, bytes: &[u8]) -> Option<Upright> {
    let format = match file_type {
        FileType::Png => image::ImageFormat::Png,
        FileType::Jpeg => image::ImageFormat::Jpeg,
        FileType::Gif => image::ImageFormat::Gif,
        FileType::Pdf => return None,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).ok()?;
    picture.apply_orientation(orientation);
    // Transparent parts go on white, as on paper.
    let picture = if picture.color().has_alpha() {
        let rgba = picture.into_rgba8();
        let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
        for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
            let a = u16::from(px[3]);
            for c in 0..3 {
                out[c] = ((u16::from(px[c]) * a + 255 * (255 - a)) / 255) as u8;
            }
        }
        DynamicImage::ImageRgb8(rgb)
    } else {
        DynamicImage::ImageRgb8(picture.into_rgb8())
    };
    Some(Upright(picture))
}

impl Upright {
    pub fn width(&self) -> u32 {
        self.0.width()
    }

    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// The picture within `max_w` × `max_h` pixels (kept as it is when smaller), as a JPEG of
    /// `quality`.
    pub fn encode(&self, max_w: u32, max_h: u32, quality: u8) -> Option<Encoded> {
        let scaled;
        let picture = if self.0.width() > max_w || self.0.height() > max_h {
            scaled = self.0.resize(
                max_w.max(1),
                max_h.max(1),
                image::imageops::FilterType::Triangle,
            );
            &scaled
        } else {
            &self.0
        };
        let mut jpeg = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality);
        picture.write_with_encoder(encoder).ok()?;
        Some(Encoded {
            jpeg,
            width: picture.width(),
            height: picture.height(),
        })
    }
}
