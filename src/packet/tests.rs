use std::sync::Arc;

use super::*;
use crate::files::samples;

fn facts() -> Facts {
    Facts {
        id: "dspt_test_packet".into(),
        charge: "chrg_test_packet".into(),
        amount: "1,000.00 THB".into(),
        reason: "Goods or services not received".into(),
        reason_code: "not_received".into(),
        opened: "2026-12-01 10:00 UTC".into(),
        due: "2026-12-08 10:00 UTC".into(),
        status: "awaiting evidence".into(),
        message: Some("The parcel was delivered and signed for.".into()),
    }
}

fn source(label: &str, file_type: FileType, filename: &str, bytes: Vec<u8>) -> Source {
    Source {
        label: label.into(),
        kind: "Proof of delivery".into(),
        filename: filename.into(),
        file_type,
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: Arc::new(bytes),
    }
}

fn inputs() -> Inputs {
    Inputs {
        facts: facts(),
        sources: vec![
            source(
                "A",
                FileType::Pdf,
                "invoice.pdf",
                samples::pdf(3, "Invoice"),
            ),
            source("B", FileType::Jpeg, "photo.jpg", samples::jpeg(400, 200)),
            source("C", FileType::Png, "receipt.png", samples::png(120, 60)),
        ],
        left_out: vec!["D. Other evidence: virus.pdf, quarantined".into()],
    }
}

/// The text of every page, as a PDF reader extracts it.
fn text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("the packet is a PDF lopdf reads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap_or_default()
}

#[test]
fn a_packet_has_a_cover_and_every_page_of_every_file() {
    let packet = build(&inputs(), Profile::Generic).unwrap();
    // One cover page, three PDF pages, two pictures.
    assert_eq!(packet.pages, 6);
    let doc = lopdf::Document::load_mem(&packet.pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 6);
    let cover = text(&packet.pdf);
    for s in &inputs().sources {
        assert!(cover.contains(&s.sha256), "the cover names {}", s.filename);
    }
    assert!(cover.contains("pages 2-4"), "{cover}");
    assert!(
        cover.contains("virus.pdf"),
        "the cover says what was left out"
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let a = build(&inputs(), Profile::Visa).unwrap();
    let b = build(&inputs(), Profile::Visa).unwrap();
    assert_eq!(a.pdf, b.pdf);
    assert_ne!(
        inputs().digest(Profile::Visa),
        inputs().digest(Profile::Amex)
    );
}

#[test]
fn too_many_pages_for_mastercard_names_its_19() {
    let mut many = inputs();
    many.sources.push(source(
        "E",
        FileType::Pdf,
        "log.pdf",
        samples::pdf(20, "Log"),
    ));
    let Err(BuildError::Over(over)) = build(&many, Profile::Mastercard) else {
        panic!("over budget");
    };
    assert_eq!(over.over, vec!["pages"]);
    assert!(over.message().contains("19 pages"), "{}", over.message());
    assert!(over.message().contains("log.pdf"), "{}", over.message());
}

#[test]
fn pictures_step_down_until_the_packet_fits() {
    let mut heavy = inputs();
    heavy.sources = vec![source(
        "A",
        FileType::Png,
        "noise.png",
        noise_png(2400, 3000),
    )];
    let generic = build(&heavy, Profile::Generic).unwrap();
    let stripe = build(&heavy, Profile::Stripe).unwrap();
    assert!(generic.pdf.len() > 4_500_000, "{}", generic.pdf.len());
    assert!(stripe.pdf.len() <= 4_500_000);
    assert_eq!(stripe.pages, 2);
}

/// A picture that compresses badly: every pixel different.
fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let picture = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}
