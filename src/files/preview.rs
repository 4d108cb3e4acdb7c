//! Previews (FILES.md §4): a PNG of one page of a file, at most `MAX_SIDE` pixels on its long
//! side, rendered here (hayro for PDF pages, `image` for pictures), the picture's EXIF
//! orientation applied, and nothing of the original's metadata in it (the PNG is encoded anew
//! from pixels, with no text or EXIF chunk).

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::{DynamicImage, ImageDecoder};

use super::check::MAX_PIXELS;
use crate::domain::FileType;

/// The long side of a preview, in pixels.
pub const MAX_SIDE: u32 = 512;

/// Why a preview cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error("the file has no page {0}")]
    NoSuchPage(u32),
    #[error("the file cannot be read")]
    Unreadable,
}

/// A PNG of page `page` (1 for the first) of a file, `max_side` pixels at most on its long
/// side (a picture smaller than that keeps its size; a PDF page is scaled to it).
pub fn render(
    file_type: FileType,
    bytes: Vec<u8>,
    page: u32,
    max_side: u32,
) -> Result<Vec<u8>, PreviewError> {
    match file_type {
        FileType::Pdf => render_pdf(bytes, page, max_side),
        FileType::Png | FileType::Jpeg | FileType::Gif if page == 1 => {
            render_picture(file_type, &bytes, max_side)
        }
        _ => Err(PreviewError::NoSuchPage(page)),
    }
}

/// How many pages a PDF has, read leniently (hayro repairs what it can): for files kept before
/// the checks counted them. `None` when it cannot be read or has none.
pub fn page_count(bytes: Vec<u8>) -> Option<u32> {
    let pdf = Pdf::new(bytes).ok()?;
    u32::try_from(pdf.pages().len()).ok().filter(|n| *n > 0)
}

fn render_pdf(bytes: Vec<u8>, page: u32, max_side: u32) -> Result<Vec<u8>, PreviewError> {
    let pdf = Pdf::new(bytes).map_err(|_| PreviewError::Unreadable)?;
    let index = usize::try_from(page.saturating_sub(1)).unwrap_or(usize::MAX);
    let pages = pdf.pages();
    let Some(pdf_page) = pages.get(index).filter(|_| page >= 1) else {
        return Err(PreviewError::NoSuchPage(page));
    };
    let (width, height) = pdf_page.render_dimensions();
    let long = width.max(height);
    if !(long.is_finite() && long > 0.0) {
        return Err(PreviewError::Unreadable);
    }
    // The renderer truncates the scaled size to whole pixels: the long side is `max_side`,
    // or one less.
    let scale = max_side as f32 / long;
    let pixmap = hayro::render(
        pdf_page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    if w == 0 || h == 0 {
        return Err(PreviewError::Unreadable);
    }
    let rgba = pixmap.take_rgba8(hayro::vello_cpu::peniko::ImageAlphaType::Alpha);
    let picture = image::RgbaImage::from_raw(w, h, rgba).ok_or(PreviewError::Unreadable)?;
    // On a white background every pixel is opaque: RGB is a third smaller.
    png(&DynamicImage::ImageRgba8(picture).into_rgb8().into())
}

fn render_picture(
    file_type: FileType,
    bytes: &[u8],
    max_side: u32,
) -> Result<Vec<u8>, PreviewError> {
    let format = match file_type {
        FileType::Png => image::ImageFormat::Png,
        FileType::Jpeg => image::ImageFormat::Jpeg,
        _ => image::ImageFormat::Gif,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    // The pixels of the largest image the checks let in, as 16-bit RGBA, and no more.
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| PreviewError::Unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| PreviewError::Unreadable)?;
    picture.apply_orientation(orientation);
    if picture.width() > max_side || picture.height() > max_side {
        picture = picture.thumbnail(max_side, max_side);
    }
    let picture = if picture.color().has_alpha() {
        DynamicImage::ImageRgba8(picture.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(picture.into_rgb8())
    };
    png(&picture)
}

/// The pixels as a PNG, and nothing else: no text, time or EXIF chunk.
fn png(picture: &DynamicImage) -> Result<Vec<u8>, PreviewError> {
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|_| PreviewError::Unreadable)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests;
