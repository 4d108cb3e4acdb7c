//! The evidence packet (FILES.md §5): one PDF per dispute that a card network takes as it is. A
//! cover (the dispute, the merchant's explanation, an index with each file's page range, size
//! and SHA-256), then every file's pages in order: PDF pages embedded as pages (not
//! rasterised), pictures one per page, upright, at the profile's resolution and without their
//! metadata. Over the profile's byte budget, pictures step down in quality and then resolution
//! until it fits; pages are never dropped. Pure: bytes in, bytes out, the same bytes for the
//! same inputs (no dates, no random ids: krilla's document id is derived from the inputs'
//! digest), so the caller can keep a packet under that digest.

mod cover;
pub mod pictures;
pub mod profile;

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::geom::Size;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::pdf::{Pdf, PdfDocument};
use krilla::text::Font;
use sha2::{Digest, Sha256};

pub use profile::{Budget, Profile, bytes_in_words};

use crate::domain::FileType;

/// Changes when what a packet looks like changes, so kept packets are not taken for new ones.
pub const RENDITION: &str = "p1";

/// An A4 page, in points.
const A4: (f32, f32) = (595.28, 841.89);
/// The margin around the cover's text and a picture, in points.
const MARGIN: f32 = 48.0;

/// DejaVu Sans (fonts-dejavu-core; its licence is beside it): the cover's text is real text.
static FONT: LazyLock<Option<Font>> = LazyLock::new(|| {
    static BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
    Font::new(krilla::Data::from(BYTES), 0)
});

/// The dispute as the cover tells it, already in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub id: String,
    pub charge: String,
    /// In its currency: `1,234.56 THB`.
    pub amount: String,
    pub reason: String,
    pub reason_code: String,
    pub opened: String,
    pub due: String,
    pub status: String,
    pub message: Option<String>,
}

/// One file that goes into the packet.
#[derive(Clone)]
pub struct Source {
    /// Its letter in the index: `A`, or `B.2` for the second file of a document of several.
    pub label: String,
    /// Its document's kind, in words.
    pub kind: String,
    pub filename: String,
    pub file_type: FileType,
    pub size: u64,
    pub sha256: String,
    /// The file; the digest does not read it (its SHA-256 stands for it), so a caller may
    /// leave it empty until a packet is to be built.
    pub bytes: Arc<Vec<u8>>,
}

/// What a packet is made of.
#[derive(Clone)]
pub struct Inputs {
    pub facts: Facts,
    pub sources: Vec<Source>,
    /// Documents or files left out, and why, in a sentence each (the cover says so).
    pub left_out: Vec<String>,
}

/// A built packet.
#[derive(Debug, Clone)]
pub struct Packet {
    pub pdf: Vec<u8>,
    pub pages: u32,
}

/// What a source weighs in a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    pub label: String,
    pub filename: String,
    pub bytes: u64,
}

/// A packet over its profile's budget: what it would be, and what weighs most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Over {
    pub profile: Profile,
    pub budget: Budget,
    pub pages: u32,
    pub bytes: u64,
    /// `pages`, `bytes`, or both.
    pub over: Vec<&'static str>,
    /// The heaviest sources, heaviest first (three at most).
    pub heaviest: Vec<Weight>,
}

impl Over {
    /// The 422's message: the budget, what the packet would be, what weighs most.
    pub fn message(&self) -> String {
        let mut limits = Vec::new();
        if let Some(pages) = self.budget.pages {
            limits.push(format!("{pages} pages"));
        }
        if let Some(bytes) = self.budget.bytes {
            limits.push(bytes_in_words(bytes));
        }
        let heaviest: Vec<String> = self
            .heaviest
            .iter()
            .map(|w| format!("{} {} ({})", w.label, w.filename, bytes_in_words(w.bytes)))
            .collect();
        format!(
            "the evidence does not fit the {} budget of {}: the packet would be {} pages and {}; the documents that weigh most: {}",
            self.profile.as_str(),
            limits.join(" and "),
            self.pages,
            bytes_in_words(self.bytes),
            if heaviest.is_empty() {
                "none".to_string()
            } else {
                heaviest.join(", ")
            }
        )
    }
}

/// Why no packet was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("{}", .0.message())]
    Over(Box<Over>),
    /// A file that could not be read or embedded (its label and filename).
    #[error("{0} cannot be put in a packet")]
    Unreadable(String),
}

/// The steps pictures go down when a packet is over its byte budget: JPEG quality, then a
/// fraction of the profile's resolution.
const STEPS: [(u8, f32); 8] = [
    (85, 1.0),
    (70, 1.0),
    (55, 1.0),
    (40, 1.0),
    (40, 0.75),
    (40, 0.5),
    (35, 0.35),
    (30, 0.25),
];

impl Inputs {
    /// The digest of everything that goes into the packet for `profile` (a file by its
    /// SHA-256): the name it is kept under.
    pub fn digest(&self, profile: Profile) -> String {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        put(RENDITION);
        put(profile.as_str());
        let f = &self.facts;
        for s in [
            &f.id,
            &f.charge,
            &f.amount,
            &f.reason,
            &f.reason_code,
            &f.opened,
            &f.due,
            &f.status,
        ] {
            put(s);
        }
        put(f.message.as_deref().unwrap_or("\u{0}"));
        for s in &self.sources {
            put(&s.label);
            put(&s.kind);
            put(&s.filename);
            put(s.file_type.content_type());
            put(&s.sha256);
        }
        for l in &self.left_out {
            put(l);
        }
        hex::encode(h.finalize())
    }
}

/// A file read for the packet.
enum Prepared {
    Pdf(PdfDocument, usize),
    Picture(pictures::Upright),
}

/// Builds the packet of `inputs` for `profile`, stepping pictures down until it fits.
pub fn build(inputs: &Inputs, profile: Profile) -> Result<Packet, BuildError> {
    let font = FONT
        .clone()
        .ok_or_else(|| BuildError::Unreadable("the cover's font".into()))?;
    let mut prepared = Vec::with_capacity(inputs.sources.len());
    for s in &inputs.sources {
        let unreadable = || BuildError::Unreadable(format!("{} {}", s.label, s.filename));
        prepared.push(match s.file_type {
            FileType::Pdf => {
                let pdf = Pdf::new(s.bytes.clone()).map_err(|_| unreadable())?;
                let pages = pdf.pages().len();
                if pages == 0 {
                    return Err(unreadable());
                }
                Prepared::Pdf(PdfDocument::new(Arc::new(pdf)), pages)
            }
            _ => Prepared::Picture(pictures::decode(s.file_type, &s.bytes).ok_or_else(unreadable)?),
        });
    }
    let budget = profile.budget();
    let document_id = inputs.digest(profile);
    let mut last = None;
    for (step, (quality, scale)) in STEPS.iter().enumerate() {
        let (pdf, pages, weights) = assemble(
            inputs,
            &prepared,
            &font,
            profile,
            *quality,
            *scale,
            &document_id,
        )?;
        let bytes = pdf.len() as u64;
        let pages_over = budget.pages.is_some_and(|max| pages > max);
        let bytes_over = budget.bytes.is_some_and(|max| bytes > max);
        if !pages_over && !bytes_over {
            return Ok(Packet { pdf, pages });
        }
        let has_pictures = prepared.iter().any(|p| matches!(p, Prepared::Picture(_)));
        last = Some((pages, bytes, pages_over, bytes_over, weights));
        // Steps only shrink pictures: too many pages, or no picture to shrink, is final.
        if pages_over || !has_pictures || step + 1 == STEPS.len() {
            break;
        }
    }
    let Some((pages, bytes, pages_over, bytes_over, mut weights)) = last else {
        return Err(BuildError::Unreadable("nothing".into()));
    };
    weights.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.label.cmp(&b.label)));
    weights.truncate(3);
    let mut over = Vec::new();
    if pages_over {
        over.push("pages");
    }
    if bytes_over {
        over.push("bytes");
    }
    Err(BuildError::Over(Box::new(Over {
        profile,
        budget,
        pages,
        bytes,
        over,
        heaviest: weights,
    })))
}

/// One build at one step: the PDF, its page count and what each source weighs in it.
fn assemble(
    inputs: &Inputs,
    prepared: &[Prepared],
    font: &Font,
    profile: Profile,
    quality: u8,
    scale: f32,
    document_id: &str,
) -> Result<(Vec<u8>, u32, Vec<Weight>), BuildError> {
    let source_pages: Vec<usize> = prepared
        .iter()
        .map(|p| match p {
            Prepared::Pdf(_, n) => *n,
            Prepared::Picture(_) => 1,
        })
        .collect();
    // The index names page ranges, which start after the cover, whose length depends on the
    // index: settle it in a few rounds (one, nearly always).
    let mut cover_pages = 1;
    let mut laid = Vec::new();
    for _ in 0..4 {
        let mut next = cover_pages + 1;
        let ranges: Vec<String> = source_pages
            .iter()
            .map(|n| {
                let (from, to) = (next, next + n - 1);
                next += n;
                if from == to {
                    format!("page {from}")
                } else {
                    format!("pages {from}-{to}")
                }
            })
            .collect();
        laid = cover::paginate(cover::lines(inputs, &ranges));
        if laid.len() == cover_pages {
            break;
        }
        cover_pages = laid.len();
    }
    let settings = krilla::SerializeSettings {
        xmp_metadata: false,
        enable_tagging: false,
        ..Default::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(format!("Evidence packet, dispute {}", inputs.facts.id))
            .document_id(document_id.to_string()),
    );
    cover::draw(&mut document, &laid, font);
    let mut weights = Vec::with_capacity(prepared.len());
    let dpi = profile.dpi() as f32 * scale;
    for (source, p) in inputs.sources.iter().zip(prepared) {
        let weight = match p {
            Prepared::Pdf(pdf, n) => {
                let indices: Vec<usize> = (0..*n).collect();
                document.embed_pdf_pages(pdf, &indices);
                source.size
            }
            Prepared::Picture(picture) => {
                let landscape = picture.width() > picture.height();
                let (w, h) = if landscape { (A4.1, A4.0) } else { A4 };
                let (room_w, room_h) = (w - 2.0 * MARGIN, h - 2.0 * MARGIN);
                let max_w = (room_w / 72.0 * dpi).round() as u32;
                let max_h = (room_h / 72.0 * dpi).round() as u32;
                let unreadable =
                    || BuildError::Unreadable(format!("{} {}", source.label, source.filename));
                let encoded = picture
                    .encode(max_w, max_h, quality)
                    .ok_or_else(unreadable)?;
                let weight = encoded.jpeg.len() as u64;
                let image = krilla::image::Image::from_jpeg(encoded.jpeg.into(), true)
                    .map_err(|_| unreadable())?;
                // Fit the page's room, keeping the picture's shape.
                let fit = (room_w / encoded.width as f32).min(room_h / encoded.height as f32);
                let (dw, dh) = (encoded.width as f32 * fit, encoded.height as f32 * fit);
                let (Some(settings), Some(size)) =
                    (PageSettings::from_wh(w, h), Size::from_wh(dw, dh))
                else {
                    return Err(unreadable());
                };
                let mut page = document.start_page_with(settings);
                let mut surface = page.surface();
                surface.push_transform(&krilla::geom::Transform::from_translate(
                    (w - dw) / 2.0,
                    (h - dh) / 2.0,
                ));
                surface.draw_image(image, size);
                surface.pop();
                surface.finish();
                page.finish();
                weight
            }
        };
        weights.push(Weight {
            label: source.label.clone(),
            filename: source.filename.clone(),
            bytes: weight,
        });
    }
    let pdf = document
        .finish()
        .map_err(|e| BuildError::Unreadable(format!("the packet ({e:?})")))?;
    let pages = cover_pages + source_pages.iter().sum::<usize>();
    Ok((pdf, u32::try_from(pages).unwrap_or(u32::MAX), weights))
}

#[cfg(test)]
mod tests;
