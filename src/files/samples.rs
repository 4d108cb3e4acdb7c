//! Small, real files: the demo fixture's invoice and what the tests upload. PDFs are written by
//! lopdf (with a cross-reference table, as any producer writes them), images encoded by the
//! `image` crate, so each one passes the checks exactly as a merchant's file would.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

/// A PDF of `pages` A6 pages, each with a coloured band, `title` and its page number in
/// Helvetica.
pub fn pdf(pages: usize, title: &str) -> Vec<u8> {
    save(pdf_document(pages, title))
}

/// The document `pdf` writes, for tests that change it before saving.
pub fn pdf_document(pages: usize, title: &str) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let mut kids = Vec::with_capacity(pages);
    for n in 1..=pages {
        let numbering = format!("page {n} of {pages}");
        let content = Content {
            operations: vec![
                Operation::new("rg", vec![0.2.into(), 0.4.into(), 0.8.into()]),
                Operation::new("re", vec![0.into(), 330.into(), 298.into(), 90.into()]),
                Operation::new("f", vec![]),
                Operation::new("rg", vec![0.into(), 0.into(), 0.into()]),
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 14.into()]),
                Operation::new("Td", vec![20.into(), 280.into()]),
                Operation::new("Tj", vec![Object::string_literal(title)]),
                Operation::new("Tf", vec!["F1".into(), 10.into()]),
                Operation::new("Td", vec![0.into(), (-20).into()]),
                Operation::new("Tj", vec![Object::string_literal(numbering)]),
                Operation::new("ET", vec![]),
            ],
        };
        let content = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("a content stream encodes"),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content,
        });
        kids.push(page.into());
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => i64::try_from(pages).unwrap_or(i64::MAX),
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            "MediaBox" => vec![0.into(), 0.into(), 298.into(), 420.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc
}

/// The bytes of `doc`, compressed, with a cross-reference table.
pub fn save(mut doc: Document) -> Vec<u8> {
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writing to memory succeeds");
    out
}

/// The demo fixture's invoice (`fixtures/files/invoice.pdf`).
pub fn invoice_pdf() -> Vec<u8> {
    pdf(1, "Invoice 1042 - THB 1,000.00")
}

/// A `width` × `height` RGB image with a gradient, so that a preview shows something.
pub fn picture(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            160,
        ])
    })
}

/// A PNG of `width` × `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(picture(width, height), image::ImageFormat::Png)
}

/// A JPEG of `width` × `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(picture(width, height), image::ImageFormat::Jpeg)
}

/// A JPEG of `width` × `height` carrying `exif` (a TIFF structure, as in an APP1 segment after
/// its `Exif\0\0`).
pub fn jpeg_with_exif(width: u32, height: u32, exif: Vec<u8>) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    encoder
        .set_exif_metadata(exif)
        .expect("the JPEG encoder writes EXIF");
    let picture = picture(width, height);
    encoder
        .write_image(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding to memory succeeds");
    out
}

/// A GIF of `width` × `height`.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let picture = image::DynamicImage::ImageRgb8(picture(width, height)).into_rgba8();
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Gif)
        .expect("encoding to memory succeeds");
    out.into_inner()
}

fn encode(picture: image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .expect("encoding to memory succeeds");
    out.into_inner()
}
