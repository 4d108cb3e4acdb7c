use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

use super::*;
use crate::files::samples;

/// A decoded PNG: its size, its pixels, and the names of its chunks.
fn open_png(bytes: &[u8]) -> (u32, u32, image::RgbaImage, Vec<String>) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let picture = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("the preview decodes as a PNG")
        .into_rgba8();
    // Walk the chunks: length, type, data, CRC.
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + len;
    }
    (picture.width(), picture.height(), picture, chunks)
}

/// EXIF with the place the photo was taken and an orientation (6: turn 90° clockwise to show).
fn gps_exif(orientation: u16) -> Vec<u8> {
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 13, denom: 1 },
                Rational { num: 45, denom: 1 },
                Rational {
                    num: 1234,
                    denom: 100,
                },
            ]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"E".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 100, denom: 1 },
                Rational { num: 30, denom: 1 },
                Rational {
                    num: 5678,
                    denom: 100,
                },
            ]),
        },
    ];
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, false).unwrap();
    out.into_inner()
}

#[test]
fn a_pdf_page_becomes_a_png_with_its_long_side_at_the_limit() {
    let png = render(FileType::Pdf, samples::pdf(1, "preview"), 1, MAX_SIDE).unwrap();
    let (width, height, picture, _) = open_png(&png);
    // An A6 page, portrait: 298 × 420 points.
    assert!(
        (MAX_SIDE - 1..=MAX_SIDE).contains(&height),
        "{width}×{height}"
    );
    assert!((360..=364).contains(&width), "{width}×{height}");
    // The band drawn across the top is there, in its blue, and the rest is white paper.
    let band = picture.get_pixel(width / 2, height * 20 / 100);
    assert!(band[2] > 150 && band[0] < 100, "{band:?}");
    assert_eq!(
        picture.get_pixel(width / 2, height - 3).0,
        [255, 255, 255, 255]
    );
}

#[test]
fn every_page_of_a_pdf_has_its_preview_and_no_more() {
    let pdf = samples::pdf(3, "three");
    for page in 1..=3 {
        assert!(
            render(FileType::Pdf, pdf.clone(), page, MAX_SIDE).is_ok(),
            "page {page}"
        );
    }
    assert_eq!(
        render(FileType::Pdf, pdf.clone(), 4, MAX_SIDE),
        Err(PreviewError::NoSuchPage(4))
    );
    assert_eq!(
        render(FileType::Pdf, pdf, 0, MAX_SIDE),
        Err(PreviewError::NoSuchPage(0))
    );
    assert_eq!(
        render(FileType::Png, samples::png(10, 10), 2, MAX_SIDE),
        Err(PreviewError::NoSuchPage(2))
    );
}

#[test]
fn a_large_picture_is_scaled_down_and_a_small_one_kept() {
    let (w, h, _, _) =
        open_png(&render(FileType::Png, samples::png(1200, 600), 1, MAX_SIDE).unwrap());
    assert_eq!((w, h), (512, 256));
    let (w, h, _, _) =
        open_png(&render(FileType::Jpeg, samples::jpeg(120, 60), 1, MAX_SIDE).unwrap());
    assert_eq!((w, h), (120, 60));
    let (w, h, _, _) = open_png(&render(FileType::Gif, samples::gif(30, 20), 1, MAX_SIDE).unwrap());
    assert_eq!((w, h), (30, 20));
}

#[test]
fn a_photo_with_gps_tags_is_turned_upright_and_its_preview_has_no_exif() {
    let photo = samples::jpeg_with_exif(64, 32, gps_exif(6));
    // The photo itself carries the place it was taken.
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&photo))
        .expect("the sample carries EXIF");
    assert!(exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());

    let png = render(FileType::Jpeg, photo, 1, MAX_SIDE).unwrap();
    let (width, height, _, chunks) = open_png(&png);
    // Orientation 6: the stored 64 × 32 is shown 32 × 64.
    assert_eq!((width, height), (32, 64));
    for chunk in &chunks {
        assert!(
            ["IHDR", "IDAT", "IEND"].contains(&chunk.as_str()),
            "the preview carries only pixels, not {chunk}"
        );
    }
    assert!(
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&png))
            .is_err(),
        "no EXIF in the preview"
    );
    assert!(memchr::memmem::find(&png, b"Exif").is_none());
}

#[test]
fn damaged_files_have_no_preview() {
    assert_eq!(
        render(
            FileType::Pdf,
            b"%PDF-1.7\nnothing here".to_vec(),
            1,
            MAX_SIDE
        ),
        Err(PreviewError::Unreadable)
    );
    let png = samples::png(100, 100);
    assert_eq!(
        render(FileType::Png, png[..60].to_vec(), 1, MAX_SIDE),
        Err(PreviewError::Unreadable)
    );
}
