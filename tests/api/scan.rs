//! Malware scanning against a real clamd (`clamd.rs`): the client's verdicts, and every way a
//! file comes in refused when infected, with nothing stored.

use std::time::Duration;

use dispute_docs::scan::{ScanError, Scanner, Verdict};

use crate::clamd::{Clamd, EICAR, EICAR_NAME, Listen, MARKER, MARKER_NAME};
use crate::helpers::*;

fn scanner(clamd: &Clamd) -> Scanner {
    Scanner::new(clamd.url.parse().unwrap(), Duration::from_secs(10))
}

/// Scans `bytes` in chunks of `chunk` bytes.
async fn scan(scanner: &Scanner, bytes: &[u8], chunk: usize) -> Result<Verdict, ScanError> {
    let mut scan = scanner.start().await?;
    for piece in bytes.chunks(chunk) {
        if let Some(verdict) = scan.send(piece).await? {
            return Ok(verdict);
        }
    }
    scan.finish().await
}

fn with_eicar(file: &[u8]) -> Vec<u8> {
    [file, EICAR].concat()
}

#[tokio::test]
async fn clamd_passes_clean_files_and_names_what_it_finds() {
    for listen in [Listen::Tcp, Listen::Unix] {
        let clamd = Clamd::start_with(listen, "").await;
        let scanner = scanner(&clamd);
        scanner.ping().await.unwrap();
        assert!(scanner.engine().await.unwrap().starts_with("ClamAV "));
        for clean in [PNG, JPEG, PDF] {
            assert_eq!(scan(&scanner, clean, 7).await.unwrap(), Verdict::Clean);
        }
        let infected = with_eicar(PNG);
        // Split anywhere, the marker is still found: clamd sees one stream.
        for chunk in [3, 64, infected.len()] {
            assert_eq!(
                scan(&scanner, &infected, chunk).await.unwrap(),
                Verdict::Found(EICAR_NAME.into())
            );
        }
        let pdf = pdf_with(MARKER);
        assert_eq!(
            scan(&scanner, &pdf, 1000).await.unwrap(),
            Verdict::Found(MARKER_NAME.into())
        );
    }
}

#[tokio::test]
async fn a_file_over_clamd_s_limits_is_too_big_not_clean_nor_infected() {
    // Over StreamMaxLength: clamd stops reading and says so.
    let clamd = Clamd::start_with(Listen::Tcp, "StreamMaxLength 1M").await;
    let big = vec![b'a'; 3 * 1024 * 1024];
    let verdict = scan(&scanner(&clamd), &big, 64 * 1024).await.unwrap();
    assert!(matches!(verdict, Verdict::TooBig(_)), "{verdict:?}");
    // Over MaxFileSize with AlertExceedsMax: the Heuristics.Limits.Exceeded alert.
    let clamd = Clamd::start_with(
        Listen::Tcp,
        "MaxFileSize 1M\nMaxScanSize 1M\nAlertExceedsMax yes",
    )
    .await;
    let verdict = scan(&scanner(&clamd), &big, 64 * 1024).await.unwrap();
    assert!(
        matches!(&verdict, Verdict::TooBig(name) if name.starts_with("Heuristics.Limits.Exceeded")),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn a_killed_clamd_is_an_error_and_a_restarted_one_is_used_again() {
    let mut clamd = Clamd::start().await;
    let scanner = scanner(&clamd);
    let mut scan = scanner.start().await.unwrap();
    scan.send(PNG).await.unwrap();
    clamd.kill();
    let mut outcome = Ok(None);
    for _ in 0..64 {
        outcome = scan.send(&[0u8; 64 * 1024]).await;
        if outcome.is_err() {
            break;
        }
    }
    let error = match outcome {
        Err(e) => e,
        Ok(_) => scan.finish().await.unwrap_err(),
    };
    assert!(matches!(error, ScanError::Broken(_)), "{error}");
    assert!(matches!(
        scanner.ping().await,
        Err(ScanError::Unreachable { .. })
    ));
    clamd.restart().await;
    assert_eq!(scan_ok(&scanner).await, Verdict::Clean);
}

async fn scan_ok(scanner: &Scanner) -> Verdict {
    scan(scanner, PNG, 100).await.unwrap()
}

/// A valid one-page PDF (with its cross-reference table) showing `text`, which thus sits inside
/// the page's content stream.
pub fn pdf_with(text: &[u8]) -> Vec<u8> {
    let content = [b"BT /F1 12 Tf 20 100 Td (".as_slice(), text, b") Tj ET"].concat();
    let objects: Vec<Vec<u8>> = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 400 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>".to_vec(),
        [format!("<</Length {}>>stream\n", content.len()).as_bytes(), &content, b"\nendstream"].concat(),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_vec(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
