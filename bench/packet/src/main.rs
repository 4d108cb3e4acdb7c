//! bench/packet: what building an evidence packet costs, on the library's own `packet::build`
//! and the blob store the server keeps packets in.
//!
//! `dispute-docs-bench-packet cold N` builds a 5-document packet (3 PDFs, 2 phone photos) N
//! times; `kept N` reads it back N times as a repeat request does (the inputs' digest, then the
//! kept blob from a local directory); `large N` builds a 20-document, 60-page packet N times.
//! Each prints one JSON line: p50 and p99 in milliseconds, the packet's size and pages, and the
//! process's peak resident set (VmHWM), so each mode runs in a process of its own.

use std::sync::Arc;
use std::time::Instant;

use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use dispute_docs::blobs::Blobs;
use dispute_docs::domain::FileType;
use dispute_docs::files::samples;
use dispute_docs::packet::{self, Facts, Inputs, Profile, Source};

fn facts() -> Facts {
    Facts {
        id: "dspt_test_5benchpacket000000".into(),
        charge: "chrg_test_5benchpacket000000".into(),
        amount: "12,345.00 THB".into(),
        reason: "Goods or services not received".into(),
        reason_code: "not_received".into(),
        opened: "2026-12-01 10:00 UTC".into(),
        due: "2026-12-08 10:00 UTC".into(),
        status: "awaiting evidence".into(),
        message: Some("The order was delivered to the cardholder's address and signed for; the tracking record, the invoice and photos of the parcel at the door are attached.".into()),
    }
}

/// A phone photo: 4032 × 3024 (12 MP), a gradient with grain, as a JPEG of quality 90.
fn photo(seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    let picture = image::RgbImage::from_fn(4032, 3024, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state & 31) as u8;
        image::Rgb([
            ((x * 200 / 4032) as u8).saturating_add(grain),
            ((y * 200 / 3024) as u8).saturating_add(grain),
            120u8.saturating_add(grain),
        ])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    image::DynamicImage::ImageRgb8(picture)
        .write_with_encoder(encoder)
        .unwrap();
    out
}

fn source(i: usize, file_type: FileType, filename: String, bytes: Vec<u8>) -> Source {
    Source {
        label: ((b'A' + i as u8) as char).to_string(),
        kind: "Proof of delivery".into(),
        filename,
        file_type,
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: Arc::new(bytes),
    }
}

/// 3 PDFs (2, 3 and 1 pages) and 2 photos.
fn five() -> Inputs {
    let mut sources = Vec::new();
    for (i, pages) in [2, 3, 1].into_iter().enumerate() {
        let pdf = samples::pdf(pages, &format!("Invoice {i}"));
        sources.push(source(i, FileType::Pdf, format!("invoice-{i}.pdf"), pdf));
    }
    for i in 3..5 {
        sources.push(source(
            i,
            FileType::Jpeg,
            format!("photo-{i}.jpg"),
            photo(i as u32),
        ));
    }
    Inputs {
        facts: facts(),
        sources,
        left_out: Vec::new(),
    }
}

/// 20 documents, 60 pages after the cover: 14 PDFs (13 of 4 pages, one of 2), 4 photos and 2
/// phone screenshots.
fn large() -> Inputs {
    let mut sources = Vec::new();
    for i in 0..14 {
        let pdf = samples::pdf(if i == 13 { 2 } else { 4 }, &format!("Statement {i}"));
        sources.push(source(i, FileType::Pdf, format!("statement-{i}.pdf"), pdf));
    }
    for i in 14..20 {
        if i < 18 {
            sources.push(source(
                i,
                FileType::Jpeg,
                format!("photo-{i}.jpg"),
                photo(i as u32),
            ));
        } else {
            sources.push(source(
                i,
                FileType::Png,
                format!("screenshot-{i}.png"),
                samples::png(1170, 2532),
            ));
        }
    }
    Inputs {
        facts: facts(),
        sources,
        left_out: Vec::new(),
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("cold");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let inputs = if mode == "large" { large() } else { five() };
    let profile = Profile::Generic;
    let mut times = Vec::with_capacity(n);
    let (mut bytes, mut pages, mut digest) = (0, 0, String::new());
    match mode {
        "cold" | "large" => {
            for _ in 0..n {
                let start = Instant::now();
                let built = packet::build(&inputs, profile).expect("the packet builds");
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                bytes = built.pdf.len();
                pages = built.pages;
                digest = hex::encode(Sha256::digest(&built.pdf));
            }
        }
        "kept" => {
            let dir = std::env::temp_dir().join(format!("bench-packet-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let blobs = Blobs::from_url(dir.to_str().unwrap()).unwrap();
            let built = packet::build(&inputs, profile).expect("the packet builds");
            pages = built.pages;
            let key = format!("packets/{}.pdf", inputs.digest(profile));
            blobs
                .put(&key, bytes::Bytes::from(built.pdf))
                .await
                .unwrap();
            for _ in 0..n {
                let start = Instant::now();
                let key = format!("packets/{}.pdf", inputs.digest(profile));
                let mut stream = blobs.get(&key).await.unwrap();
                let mut pdf = Vec::new();
                while let Some(chunk) = stream.try_next().await.unwrap() {
                    pdf.extend_from_slice(&chunk);
                }
                digest = hex::encode(Sha256::digest(&pdf));
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                bytes = pdf.len();
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
        other => panic!("unknown mode {other}: cold, kept or large"),
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"mode\":\"{mode}\",\"runs\":{n},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"bytes\":{bytes},\"pages\":{pages},\"documents\":{},\"peak_rss_kib\":{},\"sha256\":\"{digest}\"}}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        inputs.sources.len(),
        peak_rss_kib()
    );
}
