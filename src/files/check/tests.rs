use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
use lopdf::{Document, Object, Stream, dictionary};

use super::*;
use crate::files::samples;

fn pdf_check(bytes: &[u8]) -> Result<Checked, Refusal> {
    check(FileType::Pdf, bytes, &Limits::default())
}

/// The sample document, changed by `change` (which gets the catalog's id), then saved.
fn changed(change: impl FnOnce(&mut Document, ObjectId)) -> Vec<u8> {
    let mut doc = samples::pdf_document(1, "changed");
    let catalog = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .unwrap();
    change(&mut doc, catalog);
    samples::save(doc)
}

fn catalog(doc: &mut Document, id: ObjectId) -> &mut Dictionary {
    doc.get_object_mut(id)
        .and_then(Object::as_dict_mut)
        .unwrap()
}

/// A PDF written byte by byte with a classic cross-reference table: `extra` are objects 4 and
/// on, after a catalog (1, with `catalog_extra` in it), a page tree (2) and a page (3).
fn raw_pdf(catalog_extra: &str, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut objects = vec![
        format!("<</Type/Catalog/Pages 2 0 R{catalog_extra}>>").into_bytes(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>".to_vec(),
    ];
    objects.extend(extra.iter().cloned());
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    let size = objects.len() + 1;
    out.extend(format!("xref\n0 {size}\n0000000000 65535 f \n").bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<</Size {size}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").bytes());
    out
}

/// A stream object of `dict` entries and `data`, its length filled in.
fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<<{dict}/Length {}>>stream\n", data.len()).into_bytes();
    out.extend(data);
    out.extend(b"\nendstream");
    out
}

#[test]
fn the_hand_written_pdf_of_these_tests_is_a_real_one() {
    assert_eq!(pdf_check(&raw_pdf("", &[])), Ok(Checked { page_count: 1 }));
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn real_pdfs_pass_with_their_page_count() {
    assert_eq!(
        pdf_check(&samples::pdf(1, "one")),
        Ok(Checked { page_count: 1 })
    );
    assert_eq!(
        pdf_check(&samples::pdf(3, "three")),
        Ok(Checked { page_count: 3 })
    );
    // Written with object streams and a cross-reference stream, as recent producers do.
    let mut doc = samples::pdf_document(2, "streams");
    let mut bytes = Vec::new();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    doc.save_with_options(&mut bytes, options).unwrap();
    assert_eq!(pdf_check(&bytes), Ok(Checked { page_count: 2 }));
}

#[test]
fn the_committed_fixtures_are_real_files_that_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/files");
    let invoice = dir.join("invoice.pdf");
    // `UPDATE_FIXTURES=1 cargo test --lib files::check` writes the invoice again.
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&invoice, samples::invoice_pdf()).unwrap();
    }
    let bytes = std::fs::read(&invoice).unwrap();
    assert_eq!(
        bytes,
        samples::invoice_pdf(),
        "invoice.pdf is what samples::invoice_pdf makes"
    );
    assert_eq!(pdf_check(&bytes), Ok(Checked { page_count: 1 }));
    for (name, file_type) in [
        ("receipt.png", FileType::Png),
        ("delivery-slip.jpg", FileType::Jpeg),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(
            check(file_type, &bytes, &Limits::default()),
            Ok(Checked { page_count: 1 }),
            "{name}"
        );
    }
}

#[test]
fn a_pdf_without_a_cross_reference_table_is_damaged() {
    // The demo invoice as it was: objects and a trailer, no xref, no startxref.
    let bytes = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
        2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
        3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]>>endobj\n\
        trailer<</Root 1 0 R>>\n%%EOF\n";
    assert_eq!(pdf_check(bytes), Err(Refusal::PdfDamaged));
}

#[test]
fn truncated_and_garbled_pdfs_are_damaged() {
    let whole = samples::pdf(3, "whole");
    for cut in [whole.len() * 2 / 3, whole.len() - 40, 20] {
        assert_eq!(
            pdf_check(&whole[..cut]),
            Err(Refusal::PdfDamaged),
            "cut at {cut}"
        );
    }
    let mut garbled = b"%PDF-1.7\n".to_vec();
    garbled.extend(std::iter::repeat_n(0xA5u8, 4096));
    assert_eq!(pdf_check(&garbled), Err(Refusal::PdfDamaged));
}

#[test]
fn password_protected_and_encrypted_pdfs_are_refused() {
    for user_password in ["secret", ""] {
        let mut doc = samples::pdf_document(1, "encrypted");
        let id = Object::string_literal(b"0123456789abcdef".to_vec());
        doc.trailer.set("ID", vec![id.clone(), id]);
        let state = EncryptionState::try_from(EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::all(),
        })
        .unwrap();
        doc.encrypt(&state).unwrap();
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        // An empty user password opens without asking: encrypted all the same.
        assert_eq!(
            pdf_check(&bytes),
            Err(Refusal::PdfEncrypted),
            "user password {user_password:?}"
        );
    }
}

#[test]
fn a_pdf_without_pages_is_refused() {
    let bytes = changed(|doc, catalog_id| {
        let pages = catalog(doc, catalog_id)
            .get(b"Pages")
            .and_then(Object::as_reference)
            .unwrap();
        let tree = doc
            .get_object_mut(pages)
            .and_then(Object::as_dict_mut)
            .unwrap();
        tree.set("Kids", Vec::<Object>::new());
        tree.set("Count", 0);
    });
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfNoPages));
}

#[test]
fn more_pages_than_allowed_are_refused_with_both_numbers() {
    let bytes = samples::pdf(51, "long");
    assert_eq!(
        pdf_check(&bytes),
        Err(Refusal::PdfTooManyPages { pages: 51, max: 50 })
    );
    let roomy = Limits {
        max_pdf_pages: 60,
        ..Limits::default()
    };
    assert_eq!(
        check(FileType::Pdf, &bytes, &roomy),
        Ok(Checked { page_count: 51 })
    );
    assert_eq!(
        Refusal::PdfTooManyPages { pages: 51, max: 50 }.to_string(),
        "the PDF has 51 pages, more than the 50 allowed: split it into several documents"
    );
}

#[test]
fn javascript_anywhere_is_refused() {
    let open_action = changed(|doc, id| {
        catalog(doc, id).set(
            "OpenAction",
            dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") },
        );
    });
    assert_eq!(pdf_check(&open_action), Err(Refusal::PdfJavaScript));
    let name_tree = changed(|doc, id| {
        let script = doc.add_object(dictionary! {
            "S" => "JavaScript",
            "JS" => Object::string_literal("this.print()"),
        });
        let tree = doc.add_object(dictionary! {
            "Names" => vec![Object::string_literal("print"), script.into()],
        });
        catalog(doc, id).set("Names", dictionary! { "JavaScript" => tree });
    });
    assert_eq!(pdf_check(&name_tree), Err(Refusal::PdfJavaScript));
    // Inside an object stream, where no byte of the file says "JavaScript".
    let mut doc = samples::pdf_document(1, "hidden");
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .unwrap();
    let action = doc.add_object(dictionary! {
        "S" => "JavaScript",
        "JS" => Object::string_literal("app.launchURL('https://example.com')"),
    });
    catalog(&mut doc, root).set("OpenAction", action);
    let mut bytes = Vec::new();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    doc.save_with_options(&mut bytes, options).unwrap();
    assert!(memchr::memmem::find(&bytes, b"/Type/ObjStm").is_some());
    assert!(
        memchr::memmem::find(&bytes, b"JavaScript").unwrap()
            > memchr::memmem::find(&bytes, b"/Type/ObjStm").unwrap()
    );
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfJavaScript));
}

#[test]
fn a_launch_action_is_refused() {
    let bytes = changed(|doc, id| {
        catalog(doc, id).set(
            "OpenAction",
            dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") },
        );
    });
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfLaunch));
}

#[test]
fn embedded_files_are_refused() {
    let bytes = changed(|doc, id| {
        let file = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"a spreadsheet".to_vec(),
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
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfEmbeddedFiles));
}

#[test]
fn a_page_tree_that_loops_is_refused_at_once() {
    let started = std::time::Instant::now();
    let bytes = changed(|doc, id| {
        let pages = catalog(doc, id)
            .get(b"Pages")
            .and_then(Object::as_reference)
            .unwrap();
        let tree = doc
            .get_object_mut(pages)
            .and_then(Object::as_dict_mut)
            .unwrap();
        let mut kids = tree
            .get(b"Kids")
            .and_then(Object::as_array)
            .unwrap()
            .clone();
        kids.push(pages.into());
        tree.set("Kids", kids);
    });
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfDamaged));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)).into_bytes();
    let bytes = raw_pdf("/Extra 4 0 R", &[deep]);
    let started = std::time::Instant::now();
    // On a thread with a blocking task's stack (2 MiB), as the server runs checks.
    let verdict = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || pdf_check(&bytes))
        .unwrap()
        .join()
        .expect("no stack overflow");
    // lopdf's parser stops at 100 levels, and an object it cannot read is left out; the file
    // is answered at once either way.
    assert!(
        matches!(verdict, Ok(_) | Err(Refusal::PdfDamaged)),
        "{verdict:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // Nested dictionaries in the catalog itself: the catalog cannot be read, the file is damaged.
    let deep = format!("{}{}", "/A<<".repeat(5_000), ">>".repeat(5_000));
    assert_eq!(pdf_check(&raw_pdf(&deep, &[])), Err(Refusal::PdfDamaged));
}

#[test]
fn a_decompression_bomb_is_refused_without_inflating_it() {
    let zeros = vec![0u8; 100 * 1024 * 1024];
    let bomb = zlib(&zeros);
    drop(zeros);
    assert!(bomb.len() < 200 * 1024);
    let bytes = changed(|doc, _| {
        let page = doc.page_iter().next().unwrap();
        let mut stream = Stream::new(dictionary! { "Filter" => "FlateDecode" }, bomb);
        stream.allows_compression = false;
        let content = doc.add_object(stream);
        doc.get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .unwrap()
            .set("Contents", content);
    });
    assert_eq!(pdf_check(&bytes), Err(Refusal::PdfTooComplex));
}

#[test]
fn an_object_stream_bomb_is_refused() {
    let bomb = zlib(&vec![b' '; 64 * 1024 * 1024]);
    let objstm = stream_object("/Type/ObjStm/N 1/First 4/Filter/FlateDecode", &bomb);
    assert_eq!(
        pdf_check(&raw_pdf("", &[objstm])),
        Err(Refusal::PdfTooComplex)
    );
}

#[test]
fn an_image_in_a_pdf_over_the_pixel_limit_is_refused() {
    let bytes = changed(|doc, _| {
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
    assert_eq!(
        pdf_check(&bytes),
        Err(Refusal::PdfImageTooLarge {
            pixels: 40_000_000,
            max: MAX_PIXELS
        })
    );
}

#[test]
fn real_images_pass_as_one_page() {
    for (file_type, bytes) in [
        (FileType::Png, samples::png(120, 60)),
        (FileType::Jpeg, samples::jpeg(120, 60)),
        (FileType::Gif, samples::gif(12, 6)),
    ] {
        assert_eq!(
            check(file_type, &bytes, &Limits::default()),
            Ok(Checked { page_count: 1 }),
            "{file_type:?}"
        );
    }
}

#[test]
fn an_image_whose_size_cannot_be_read_is_damaged() {
    let png = samples::png(120, 60);
    assert_eq!(
        check(FileType::Png, &png[..20], &Limits::default()),
        Err(Refusal::ImageDamaged)
    );
    assert_eq!(
        check(
            FileType::Jpeg,
            b"\xff\xd8\xff\xe0 not really",
            &Limits::default()
        ),
        Err(Refusal::ImageDamaged)
    );
}

#[test]
fn an_image_over_thirty_million_pixels_is_refused_from_its_header() {
    // A small JPEG whose frame header claims 8000 × 5000: nothing is decoded.
    let mut jpeg = samples::jpeg(16, 16);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&5000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&8000u16.to_be_bytes());
    assert_eq!(
        check(FileType::Jpeg, &jpeg, &Limits::default()),
        Err(Refusal::ImageTooLarge {
            width: 8000,
            height: 5000,
            max: MAX_PIXELS
        })
    );
    // And a GIF's screen of 10,000 × 10,000.
    let mut gif = samples::gif(4, 4);
    gif[6..8].copy_from_slice(&10_000u16.to_le_bytes());
    gif[8..10].copy_from_slice(&10_000u16.to_le_bytes());
    assert!(matches!(
        check(FileType::Gif, &gif, &Limits::default()),
        Err(Refusal::ImageTooLarge { .. } | Refusal::ImageDamaged)
    ));
}

#[test]
fn sized_samples_are_real_files_of_the_size_asked() {
    for file_type in [FileType::Pdf, FileType::Jpeg, FileType::Gif, FileType::Png] {
        for len in [1100, 1200, 4096, 10_000, 65_600, 100_001] {
            let bytes = samples::sized(file_type, "sized", len);
            assert_eq!(bytes.len(), len);
            assert_eq!(
                check(file_type, &bytes, &Limits::default()).map(|c| c.page_count),
                Ok(1),
                "{file_type:?} of {len} bytes"
            );
        }
    }
    assert_ne!(
        samples::sized(FileType::Pdf, "one", 2000),
        samples::sized(FileType::Pdf, "two", 2000)
    );
}

#[test]
fn every_sample_refused_file_is_refused_for_its_reason() {
    let refused = samples::refused();
    assert_eq!(refused.len(), 11);
    for file in refused {
        assert!(file.bytes.len() > 2048, "{}", file.name);
        assert_eq!(
            check(file.file_type, &file.bytes, &Limits::default()),
            Err(file.refusal),
            "{}",
            file.name
        );
    }
}
