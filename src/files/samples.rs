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

/// The demo fixture's invoice (`fixtures/files/invoice.pdf`): one page of line items, left
/// uncompressed so that it reads in a text editor (and is over Mangopay's 1 KB for a page).
pub fn invoice_pdf() -> Vec<u8> {
    let mut doc = pdf_document(1, "Invoice 1042 - THB 1,000.00");
    let page = doc.page_iter().next().expect("one page");
    let lines = [
        "Sold to: Somchai P., 12 Sukhumvit Soi 4, Bangkok 10110",
        "Order 1042, paid 2025-03-18 by card ending 4242",
        "1 x Ceramic mug, blue          THB   450.00",
        "1 x Ceramic mug, white         THB   450.00",
        "Delivery (Kerry Express)       THB   100.00",
        "Total                          THB 1,000.00",
        "Delivered 2025-03-20, signed for by the cardholder",
    ];
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 8.into()]),
        Operation::new("Td", vec![20.into(), 220.into()]),
        Operation::new("TL", vec![12.into()]),
    ];
    for line in lines {
        operations.push(Operation::new("Tj", vec![Object::string_literal(line)]));
        operations.push(Operation::new("T*", vec![]));
    }
    operations.push(Operation::new("ET", vec![]));
    let items = doc.add_object(Stream::new(
        dictionary! {},
        Content { operations }
            .encode()
            .expect("a content stream encodes"),
    ));
    let first = doc
        .get_object(page)
        .and_then(Object::as_dict)
        .and_then(|p| p.get(b"Contents"))
        .cloned()
        .expect("the page has its content");
    if let Ok(page) = doc.get_object_mut(page).and_then(Object::as_dict_mut) {
        page.set("Contents", vec![first, items.into()]);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writing to memory succeeds");
    out
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

/// A real file of `file_type` of exactly `len` bytes, told apart by `tag`: a sample padded the
/// way each format allows (a PDF with an uncompressed stream whose every byte depends on where
/// it is, so that a byte range taken from the wrong place shows; a JPEG with comment segments, a
/// GIF with a comment extension, a PNG with a text chunk). For tests of sizes.
pub fn sized(file_type: crate::domain::FileType, tag: &str, len: usize) -> Vec<u8> {
    use crate::domain::FileType;
    let out = match file_type {
        FileType::Pdf => pdf_sized(tag, len),
        FileType::Jpeg => jpeg_sized(tag, len),
        FileType::Gif => gif_sized(tag, len),
        FileType::Png => png_sized(tag, len),
    };
    assert_eq!(out.len(), len, "a {file_type:?} of {len} bytes");
    out
}

fn pdf_sized(tag: &str, len: usize) -> Vec<u8> {
    let build = |pad: usize| {
        let mut doc = pdf_document(1, tag);
        let filler_bytes = (0..pad).map(|i| (i % 251) as u8).collect();
        let mut filler = Stream::new(dictionary! {}, filler_bytes);
        filler.allows_compression = false;
        doc.add_object(filler);
        save(doc)
    };
    let base = build(0).len();
    assert!(
        base + 16 <= len,
        "a PDF of {len} bytes is too small for {tag:?}"
    );
    // The stream's /Length grows by a digit now and then: aim a little short, then end the
    // file with as many line feeds as are missing (readers allow them after %%EOF).
    let mut pad = len - base - 8;
    let mut out = build(pad);
    for _ in 0..4 {
        if out.len() + 8 == len {
            break;
        }
        pad = (pad + len - 8).saturating_sub(out.len());
        out = build(pad);
    }
    assert!(out.len() <= len && len - out.len() <= 16);
    out.resize(len, b'\n');
    out
}

fn jpeg_sized(tag: &str, len: usize) -> Vec<u8> {
    let base = jpeg(16, 16);
    let mut need = len.checked_sub(base.len()).expect("room for the picture");
    let mut comments = Vec::with_capacity(need);
    let mut text = tag.as_bytes().to_vec();
    while need > 0 {
        assert!(need >= 4, "a comment segment takes 4 bytes at least");
        let mut data = (need - 4).min(65_533);
        let rest = need - 4 - data;
        if rest > 0 && rest < 4 {
            data -= 4 - rest;
        }
        let mut segment = std::mem::take(&mut text);
        segment.resize(data, b' ');
        comments.extend_from_slice(&[0xFF, 0xFE]);
        comments.extend_from_slice(&u16::try_from(data + 2).unwrap_or(u16::MAX).to_be_bytes());
        comments.extend_from_slice(&segment);
        need -= data + 4;
    }
    let mut out = base[..2].to_vec();
    out.extend_from_slice(&comments);
    out.extend_from_slice(&base[2..]);
    out
}

fn gif_sized(tag: &str, len: usize) -> Vec<u8> {
    let base = gif(4, 4);
    let extra = len.checked_sub(base.len()).expect("room for the picture");
    let mut out = base[..base.len() - 1].to_vec();
    if extra > 0 {
        assert!(extra >= 5, "a comment extension takes 5 bytes at least");
        let mut blocks = extra - 3;
        let mut text = tag.as_bytes().to_vec();
        out.extend_from_slice(&[0x21, 0xFE]);
        while blocks > 0 {
            let mut size = blocks.min(256);
            if blocks - size == 1 {
                size -= 1;
            }
            let mut data = std::mem::take(&mut text);
            data.resize(size - 1, b' ');
            out.push(u8::try_from(size - 1).unwrap_or(u8::MAX));
            out.extend_from_slice(&data);
            blocks -= size;
        }
        out.push(0);
    }
    out.push(0x3B);
    out
}

fn png_sized(tag: &str, len: usize) -> Vec<u8> {
    let picture = picture(4, 4);
    let write = |text: Option<&[u8]>| {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 4, 4);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("writing to memory succeeds");
        if let Some(text) = text {
            writer
                .write_chunk(png::chunk::tEXt, text)
                .expect("writing to memory succeeds");
        }
        writer
            .write_image_data(picture.as_raw())
            .expect("writing to memory succeeds");
        writer.finish().expect("writing to memory succeeds");
        out
    };
    let base = write(None).len();
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(tag.as_bytes());
    // A chunk is its data and 12 bytes: length, type and CRC.
    let data = len
        .checked_sub(base + 12)
        .filter(|d| *d >= text.len())
        .expect("room for a text chunk");
    text.resize(data, b' ');
    write(Some(&text))
}

/// The one-page sample changed by `change` (which gets the catalog's id) before it is saved.
pub fn pdf_with(change: impl FnOnce(&mut Document, lopdf::ObjectId)) -> Vec<u8> {
    let mut doc = pdf_document(1, "changed");
    let catalog = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .expect("the sample has a catalog");
    change(&mut doc, catalog);
    save(doc)
}

/// The catalog of `doc`, to change.
pub fn catalog(doc: &mut Document, id: lopdf::ObjectId) -> &mut lopdf::Dictionary {
    doc.get_object_mut(id)
        .and_then(Object::as_dict_mut)
        .expect("the sample has a catalog")
}

/// `data` compressed as a FlateDecode stream holds it.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writing to memory succeeds");
    encoder.finish().expect("writing to memory succeeds")
}

/// A file the checks refuse, with the refusal.
pub struct Refused {
    /// What is wrong with it, as a filename (`encrypted.pdf`).
    pub name: &'static str,
    pub file_type: crate::domain::FileType,
    pub bytes: Vec<u8>,
    pub refusal: super::Refusal,
}

/// Adds an uncompressed stream of 2 KB to `doc`, so that every refused sample is larger than
/// the smallest file a dialect takes (Mangopay's 1 KB): refused for what it is, not its size.
fn bulk(doc: &mut Document) {
    let mut filler = Stream::new(dictionary! {}, vec![b'%'; 2048]);
    filler.allows_compression = false;
    doc.add_object(filler);
}

/// One file for each reason the checks refuse one (with the default limits), each over 2 KB.
pub fn refused() -> Vec<Refused> {
    use super::Refusal as R;
    use crate::domain::FileType;
    use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
    let refused_pdf = |name, bytes, refusal| Refused {
        name,
        file_type: FileType::Pdf,
        bytes,
        refusal,
    };
    let mut encrypted = pdf_document(1, "secret");
    bulk(&mut encrypted);
    let file_id = Object::string_literal(b"0123456789abcdef".to_vec());
    encrypted.trailer.set("ID", vec![file_id.clone(), file_id]);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &encrypted,
        owner_password: "owner",
        user_password: "secret",
        key_length: 128,
        permissions: Permissions::all(),
    })
    .expect("RC4 128 encrypts");
    encrypted.encrypt(&state).expect("the sample encrypts");
    let mut encrypted_bytes = Vec::new();
    encrypted
        .save_to(&mut encrypted_bytes)
        .expect("writing to memory succeeds");
    let mut whole = pdf_document(3, "truncated");
    bulk(&mut whole);
    let whole = save(whole);
    let truncated = whole[..whole.len() * 2 / 3].to_vec();
    let no_pages = pdf_with(|doc, id| {
        bulk(doc);
        let pages = catalog(doc, id)
            .get(b"Pages")
            .and_then(Object::as_reference)
            .expect("a page tree");
        let tree = doc
            .get_object_mut(pages)
            .and_then(Object::as_dict_mut)
            .expect("a page tree");
        tree.set("Kids", Vec::<Object>::new());
        tree.set("Count", 0);
    });
    let javascript = pdf_with(|doc, id| {
        bulk(doc);
        catalog(doc, id).set(
            "OpenAction",
            dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") },
        );
    });
    let launch = pdf_with(|doc, id| {
        bulk(doc);
        catalog(doc, id).set(
            "OpenAction",
            dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") },
        );
    });
    let attachment = pdf_with(|doc, id| {
        bulk(doc);
        let file = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"order,amount\n1042,1000.00\n".to_vec(),
        ));
        let spec = doc.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal("orders.csv"),
            "EF" => dictionary! { "F" => file },
        });
        let tree = doc.add_object(dictionary! {
            "Names" => vec![Object::string_literal("orders.csv"), spec.into()],
        });
        catalog(doc, id).set("Names", dictionary! { "EmbeddedFiles" => tree });
    });
    let huge_image = pdf_with(|doc, _| {
        bulk(doc);
        let mut image = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 10_000, "Height" => 4_000,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
            },
            vec![0xFF, 0xD8, 0xFF, 0xD9],
        );
        image.allows_compression = false;
        doc.add_object(image);
    });
    let bomb = zlib(&vec![0u8; 65 * 1024 * 1024]);
    let bombed = pdf_with(|doc, _| {
        let page = doc.page_iter().next().expect("a page");
        let mut stream = Stream::new(dictionary! { "Filter" => "FlateDecode" }, bomb);
        stream.allows_compression = false;
        let content = doc.add_object(stream);
        if let Ok(page) = doc.get_object_mut(page).and_then(Object::as_dict_mut) {
            page.set("Contents", content);
        }
    });
    // A small JPEG whose frame header claims 8000 × 5000 pixels.
    let mut giant = jpeg_sized("giant", 4096);
    if let Some(sof) = giant.windows(2).position(|w| w == [0xFF, 0xC0]) {
        giant[sof + 5..sof + 7].copy_from_slice(&5000u16.to_be_bytes());
        giant[sof + 7..sof + 9].copy_from_slice(&8000u16.to_be_bytes());
    }
    // A PNG whose header says it is 0 pixels wide (and whose checksum no longer matches).
    let mut cut_png = png_sized("zero", 4096);
    cut_png[16..20].copy_from_slice(&0u32.to_be_bytes());
    vec![
        refused_pdf("encrypted.pdf", encrypted_bytes, R::PdfEncrypted),
        refused_pdf("truncated.pdf", truncated, R::PdfDamaged),
        refused_pdf("no-pages.pdf", no_pages, R::PdfNoPages),
        refused_pdf(
            "long.pdf",
            pdf(51, "long"),
            R::PdfTooManyPages { pages: 51, max: 50 },
        ),
        refused_pdf("javascript.pdf", javascript, R::PdfJavaScript),
        refused_pdf("launch.pdf", launch, R::PdfLaunch),
        refused_pdf("attachment.pdf", attachment, R::PdfEmbeddedFiles),
        refused_pdf(
            "huge-image.pdf",
            huge_image,
            R::PdfImageTooLarge {
                pixels: 40_000_000,
                max: super::check::MAX_PIXELS,
            },
        ),
        refused_pdf("bomb.pdf", bombed, R::PdfTooComplex),
        Refused {
            name: "giant.jpg",
            file_type: FileType::Jpeg,
            bytes: giant,
            refusal: R::ImageTooLarge {
                width: 8000,
                height: 5000,
                max: super::check::MAX_PIXELS,
            },
        },
        Refused {
            name: "zero-width.png",
            file_type: FileType::Png,
            bytes: cut_png,
            refusal: R::ImageDamaged,
        },
    ]
}
