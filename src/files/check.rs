//! The checks a file passes before it is kept (FILES.md §2): what card networks and PSPs refuse,
//! found at upload instead of days later. Pure functions over a file's bytes; `bounded` runs
//! them within a time and memory bound.
//!
//! PDFs are read with lopdf, lenient about small mistakes any viewer forgives (an offset a few
//! bytes off) but not about a file whose cross-reference table had to be rebuilt: that is a
//! damaged or truncated file, which networks refuse. Encryption is checked explicitly, since a
//! file encrypted with an empty user password opens without one.

use std::io::Read;

use lopdf::xref::XrefRecovery;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::domain::FileType;

/// What the checks allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most pages a PDF may have (`MAX_PDF_PAGES`).
    pub max_pdf_pages: u32,
    /// The most pixels an image may have, alone or inside a PDF (Mastercard's limit).
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pdf_pages: DEFAULT_MAX_PDF_PAGES,
            max_pixels: MAX_PIXELS,
        }
    }
}

/// Stripe's per-file limit.
pub const DEFAULT_MAX_PDF_PAGES: u32 = 50;
/// Mastercard's limit for an image, and the guard against decompression bombs in images.
pub const MAX_PIXELS: u64 = 30_000_000;

/// The most an object or cross-reference stream may decompress to while a PDF loads: these are
/// held in memory, so this bounds what a check can allocate beyond the file itself.
pub const MAX_LOADED_STREAM: usize = 8 * 1024 * 1024;
/// The most any other stream (page content, fonts, forms) may decompress to. These are only
/// counted here, not kept, but a renderer would hold them.
const MAX_STREAM: u64 = 64 * 1024 * 1024;

/// What a file that passed is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// A PDF's pages; 1 for an image.
    pub page_count: u32,
}

/// Why a file is refused, in words a merchant can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the PDF is password-protected or encrypted: save or print it again without a password"
    )]
    PdfEncrypted,
    #[error("the PDF is damaged or incomplete and cannot be read: export or scan it again")]
    PdfDamaged,
    #[error("the PDF has no pages")]
    PdfNoPages,
    #[error(
        "the PDF has {pages} pages, more than the {max} allowed: split it into several documents"
    )]
    PdfTooManyPages { pages: u32, max: u32 },
    #[error(
        "the PDF contains JavaScript, which banks do not accept: print it to a new PDF without it"
    )]
    PdfJavaScript,
    #[error(
        "the PDF contains an action that launches a program, which banks do not accept: print it to a new PDF"
    )]
    PdfLaunch,
    #[error(
        "the PDF carries embedded files, which banks do not open: upload each of them as a document of its own"
    )]
    PdfEmbeddedFiles,
    #[error(
        "an image in the PDF has {pixels} pixels, more than the {max} allowed: scan or export it at a lower resolution"
    )]
    PdfImageTooLarge { pixels: u64, max: u64 },
    #[error(
        "the PDF is built in a way that cannot be checked safely (a part of it expands to an excessive size or nests too deeply): export or print it again"
    )]
    PdfTooComplex,
    #[error("the image is damaged: its size cannot be read")]
    ImageDamaged,
    #[error(
        "the image is {width} × {height} pixels, more than the {max} pixels allowed: scale it down"
    )]
    ImageTooLarge { width: u32, height: u32, max: u64 },
    #[error("the file took too long to check: it is probably damaged; export or scan it again")]
    TooSlow,
    #[error("the file cannot be read: it is probably damaged; export or scan it again")]
    Unreadable,
}

/// Checks a file of type `file_type` (told from its first bytes) against `limits`.
pub fn check(file_type: FileType, bytes: &[u8], limits: &Limits) -> Result<Checked, Refusal> {
    match file_type {
        FileType::Pdf => check_pdf(bytes, limits),
        FileType::Png | FileType::Jpeg | FileType::Gif => {
            check_image(file_type, bytes, limits).map(|_| Checked { page_count: 1 })
        }
    }
}

/// The width and height an image's header declares, refused past `limits.max_pixels`. Only the
/// header is read: nothing is decoded, so nothing the size of the image is allocated.
pub fn check_image(
    file_type: FileType,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(u32, u32), Refusal> {
    let format = match file_type {
        FileType::Png => image::ImageFormat::Png,
        FileType::Jpeg => image::ImageFormat::Jpeg,
        FileType::Gif => image::ImageFormat::Gif,
        FileType::Pdf => return Err(Refusal::ImageDamaged),
    };
    let (width, height) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| Refusal::ImageDamaged)?;
    if width == 0 || height == 0 {
        return Err(Refusal::ImageDamaged);
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refusal::ImageTooLarge {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok((width, height))
}

fn check_pdf(bytes: &[u8], limits: &Limits) -> Result<Checked, Refusal> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_LOADED_STREAM),
        filter: Some(scan_while_loading),
        ..LoadOptions::default()
    };
    SCAN.set(Some(Scan {
        limits: *limits,
        object_streams: 0,
        refusal: None,
    }));
    let loaded = Document::load_mem_with_options(bytes, options);
    let scan = SCAN.take();
    let doc = match loaded {
        Ok(doc) => doc,
        Err(e) => return Err(load_failure(&e, bytes)),
    };
    if doc.trailer.has(b"Encrypt") || doc.is_encrypted() || doc.was_encrypted() {
        return Err(Refusal::PdfEncrypted);
    }
    if matches!(doc.xref_recovery, Some(XrefRecovery::Reconstructed)) {
        return Err(Refusal::PdfDamaged);
    }
    if let Some(refusal) = scan.and_then(|s| s.refusal) {
        return Err(refusal);
    }
    let page_count = count_pages(&doc)?;
    if page_count == 0 {
        return Err(Refusal::PdfNoPages);
    }
    if page_count > limits.max_pdf_pages {
        return Err(Refusal::PdfTooManyPages {
            pages: page_count,
            max: limits.max_pdf_pages,
        });
    }
    find_active_content(&doc)?;
    // Streams whose length was an indirect object were read after the scan saw them.
    for object in doc.objects.values() {
        if let Object::Stream(stream) = object
            && !is_object_stream(&stream.dict)
        {
            check_stream(stream, limits)?;
        }
    }
    Ok(Checked { page_count })
}

/// What the scan during loading found so far (see `scan_while_loading`).
struct Scan {
    limits: Limits,
    /// Bytes the object streams seen so far inflate to.
    object_streams: u64,
    /// The first reason found to refuse the file.
    refusal: Option<Refusal>,
}

thread_local! {
    /// The scan of the load running on this thread. lopdf's load filter is a plain `fn`, which
    /// cannot carry state, and runs on the loading thread (lopdf is built without rayon).
    static SCAN: std::cell::Cell<Option<Scan>> = const { std::cell::Cell::new(None) };
}

/// lopdf's load filter: every object passes here as it is parsed, those in object streams
/// too. A stream is checked at once (`check_stream`) and kept as its dictionary alone, so a
/// check holds the file once rather than the file and a copy of every stream in it. Object
/// streams stay (lopdf reads objects out of them), within `MAX_LOADED_STREAM` all together;
/// past it they are dropped and the file refused. A stream whose length is an indirect object
/// arrives empty and is read after the load: it stays, and is checked then.
///
/// lopdf keeps what the filter leaves in `object` for an object of the file's body, and what it
/// returns for one out of an object stream (never a stream): hence the change in place, and the
/// copy returned.
fn scan_while_loading(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    let Some(mut scan) = SCAN.take() else {
        return Some((id, Object::Null));
    };
    let keep = if is_object_stream(&stream.dict) {
        let left = (MAX_LOADED_STREAM as u64).saturating_sub(scan.object_streams);
        scan.object_streams += expanded_size(stream, left);
        if scan.object_streams > MAX_LOADED_STREAM as u64 {
            scan.refusal.get_or_insert(Refusal::PdfTooComplex);
            false
        } else {
            true
        }
    } else {
        if !stream.content.is_empty() {
            if let Err(refusal) = check_stream(stream, &scan.limits) {
                scan.refusal.get_or_insert(refusal);
            }
            *object = Object::Dictionary(std::mem::take(&mut stream.dict));
        }
        true
    };
    SCAN.set(Some(scan));
    keep.then_some((id, Object::Null))
}

fn is_object_stream(dict: &Dictionary) -> bool {
    dict.get(b"Type")
        .and_then(Object::as_name)
        .is_ok_and(|n| n == b"ObjStm" || n == b"XRef")
}

/// Why lopdf could not load a file, as a refusal.
fn load_failure(e: &lopdf::Error, bytes: &[u8]) -> Refusal {
    use lopdf::Error as E;
    match e {
        E::Decryption(_) | E::InvalidPassword | E::UnsupportedSecurityHandler(_) => {
            Refusal::PdfEncrypted
        }
        E::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
        | E::RecursionLimit
        | E::ReferenceLimit => Refusal::PdfTooComplex,
        // A file that names an encryption dictionary is encrypted, whatever else is wrong.
        _ if memchr::memmem::find(bytes, b"/Encrypt").is_some() => Refusal::PdfEncrypted,
        _ => Refusal::PdfDamaged,
    }
}

/// The pages of the page tree, each once: a tree that names a page twice, or loops back on
/// itself, or names a page that is not there, is damaged.
fn count_pages(doc: &Document) -> Result<u32, Refusal> {
    let mut seen = std::collections::HashSet::new();
    for id in doc.page_iter() {
        if !seen.insert(id) || doc.get_dictionary(id).is_err() {
            return Err(Refusal::PdfDamaged);
        }
    }
    // The root must be a page tree for any of this to mean something.
    let root_is_tree = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .is_ok_and(|d| d.has(b"Kids"));
    if !root_is_tree {
        return Err(Refusal::PdfDamaged);
    }
    u32::try_from(seen.len()).map_err(|_| Refusal::PdfTooComplex)
}

/// How deep a direct object may nest inside another here; lopdf's parser allows 100.
const MAX_DEPTH: usize = 128;

/// Refuses JavaScript (a `/JS` entry, a JavaScript action, the document's JavaScript name
/// tree), Launch actions and embedded files (the name tree, file specifications carrying `/EF`,
/// embedded file streams, file attachment annotations), wherever they are.
fn find_active_content(doc: &Document) -> Result<(), Refusal> {
    let mut stack: Vec<(&Object, usize)> = Vec::new();
    let trailer = Object::Dictionary(doc.trailer.clone());
    stack.push((&trailer, 0));
    stack.extend(doc.objects.values().map(|o| (o, 0)));
    while let Some((object, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(Refusal::PdfTooComplex);
        }
        let dict = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            Object::Array(items) => {
                stack.extend(items.iter().map(|o| (o, depth + 1)));
                continue;
            }
            _ => continue,
        };
        judge(dict)?;
        stack.extend(dict.iter().map(|(_, o)| (o, depth + 1)));
    }
    Ok(())
}

/// One dictionary's verdict.
fn judge(dict: &Dictionary) -> Result<(), Refusal> {
    let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).ok();
    if dict.has(b"JS") || dict.has(b"JavaScript") || name(b"S") == Some(b"JavaScript") {
        return Err(Refusal::PdfJavaScript);
    }
    if name(b"S") == Some(b"Launch") {
        return Err(Refusal::PdfLaunch);
    }
    if dict.has(b"EmbeddedFiles")
        || dict.has(b"EF")
        || name(b"Type") == Some(b"EmbeddedFile")
        || name(b"Subtype") == Some(b"FileAttachment")
        || name(b"S") == Some(b"GoToE")
    {
        return Err(Refusal::PdfEmbeddedFiles);
    }
    Ok(())
}

/// An image is within the pixel limit, and no stream expands past what it could hold: an
/// image to about its pixels' size, anything else to `MAX_STREAM`. Streams whose filters lopdf
/// does not decode (JPEG, JPEG 2000, JBIG2, CCITT) are images bounded by their declared size.
fn check_stream(stream: &lopdf::Stream, limits: &Limits) -> Result<(), Refusal> {
    let dict = &stream.dict;
    let is_image = dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|n| n == b"Image");
    let max = if is_image {
        let dim = |key: &[u8]| {
            dict.get(key)
                .and_then(Object::as_i64)
                .ok()
                .and_then(|v| u64::try_from(v).ok())
        };
        let (Some(width), Some(height)) = (dim(b"Width"), dim(b"Height")) else {
            return Err(Refusal::PdfDamaged);
        };
        let pixels = width.saturating_mul(height);
        if pixels > limits.max_pixels {
            return Err(Refusal::PdfImageTooLarge {
                pixels,
                max: limits.max_pixels,
            });
        }
        // Four 16-bit components at most, a predictor byte a row, and some slack.
        pixels
            .saturating_mul(8)
            .saturating_add(height)
            .saturating_add(64 * 1024)
    } else {
        MAX_STREAM
    };
    if expanded_size(stream, max) > max {
        return Err(Refusal::PdfTooComplex);
    }
    Ok(())
}

/// How many bytes `stream` decodes to, counting no further than just past `max`. Flate
/// streams (nearly all) are inflated through a small buffer and only counted; other chains
/// lopdf decodes are decoded within `MAX_LOADED_STREAM`; what lopdf leaves to a renderer (an
/// image codec) counts as nothing here.
fn expanded_size(stream: &lopdf::Stream, max: u64) -> u64 {
    let filters = stream.filters().unwrap_or_default();
    match filters.as_slice() {
        [] => stream.content.len() as u64,
        [b"FlateDecode" | b"Fl"] => inflated_size(&stream.content, max),
        _ => match stream.decompressed_content_with_limit(MAX_LOADED_STREAM.min(max as usize)) {
            Ok(data) => data.len() as u64,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => max.saturating_add(1),
            Err(_) => 0,
        },
    }
}

/// How many bytes `compressed` inflates to, counting no further than just past `max`. A
/// stream that stops early or has trailing garbage counts what came out before, as viewers
/// render what they can.
fn inflated_size(compressed: &[u8], max: u64) -> u64 {
    let mut decoder = flate2::read::ZlibDecoder::new(compressed);
    let mut buffer = [0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) | Err(_) => return total,
            Ok(n) => {
                total += n as u64;
                if total > max {
                    return total;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
