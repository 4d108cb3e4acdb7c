//! Malware scanning against a real clamd (`clamd.rs`): the client's verdicts, and every way a
//! file comes in refused when infected, with nothing stored.

use std::time::{Duration, Instant};

use dispute_docs::domain::{HistoryKind, Id, IdKind};
use dispute_docs::scan::{ScanError, Scanner, Verdict};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::clamd::{Clamd, EICAR, EICAR_NAME, LATE_MARKER, LATE_NAME, Listen, MARKER, MARKER_NAME};
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
    // A comment line: big enough for Mangopay's 1 KB least page.
    let mut pdf = [b"%PDF-1.4\n%".as_slice(), &[b'-'; 1024], b"\n"].concat();
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

/// A server scanning with `clamd`, its demo data (the fixtures) scanned on the way in too.
async fn scanning(backend: Backend, clamd: &Clamd) -> TestApp {
    let url = clamd.url.parse().unwrap();
    TestApp::spawn_with(backend, |s| s.scan_url = Some(url)).await
}

/// What is stored: blob keys and page rows.
async fn stored(app: &TestApp) -> (Vec<String>, Vec<String>) {
    (app.blob_keys().await, app.row_blob_keys().await)
}

/// A metric's value from `GET /metrics` (0 when absent).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(OPS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// The path of a fresh evidence link's page.
async fn link_page(app: &TestApp, dispute: &str) -> String {
    let path = format!("/disputes/{dispute}/evidence_links");
    let link = app
        .send(app.request(Method::POST, &path).json(&json!({})))
        .await
        .expect(200);
    let url = link["url"].as_str().unwrap();
    url.strip_prefix(&app.base).unwrap().to_owned()
}

/// A file uploaded on an evidence link's page, as its script sends it (JSON wanted) or as a
/// form without JavaScript: the status, the Retry-After header and the body.
async fn web_upload(
    app: &TestApp,
    page: &str,
    name: &str,
    bytes: &[u8],
    json: bool,
) -> (u16, Option<String>, String) {
    let form = Form::new().text("kind", "proof_of_receipt").part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let mut request = app
        .client
        .post(app.url(&format!("{page}/documents")))
        .multipart(form);
    if json {
        request = request.header("accept", "application/json");
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        retry,
        response.text().await.unwrap(),
    )
}

fn document_id(document: &Value) -> String {
    document["id"].as_str().unwrap().to_owned()
}

/// The engine a page was scanned with, read from its row.
async fn engines(app: &TestApp) -> Vec<String> {
    app.sql_strings("select coalesce(scan_engine, 'unscanned') from pages order by blob_key")
        .await
}

each_backend! {
    async fn clean_png_jpeg_and_pdf_files_are_stored_with_the_engine_that_scanned_them(base) {
        let clamd = Clamd::start().await;
        let app = scanning(base.backend, &clamd).await;
        // The fixtures came in through clamd too.
        let seeded = engines(&app).await;
        assert!(!seeded.is_empty() && seeded.iter().all(|e| e.starts_with("ClamAV ")), "{seeded:?}");
        let dispute = app.open_dispute().await;
        for (name, bytes) in [("receipt.png", PNG), ("slip.jpg", JPEG), ("invoice.pdf", &pdf_with(b"Invoice 1042")[..])] {
            let document = app.upload(&dispute, name, bytes, None).await.expect(200);
            let id = document_id(&document);
            let engine = app.sql_strings(&format!("select scan_engine from pages where document_id = '{id}'")).await;
            assert!(engine[0].starts_with("ClamAV "), "{engine:?}");
            let stamped = app.sql_strings(&format!("select cast(scanned_at as text) from pages where document_id = '{id}' and scanned_at is not null")).await;
            assert_eq!(stamped.len(), 1, "{name} has its scan time");
        }
        let mangopay = app.mp_ops_dispute(json!({})).await;
        let document = app.mp_document(&mangopay, "DELIVERY_PROOF").await;
        app.mp_page(&mangopay, document["Id"].as_str().unwrap(), &pdf_with(b"Signed")).await.expect_no_content();
        let page = link_page(&app, &dispute).await;
        let (status, _, body) = web_upload(&app, &page, "receipt.png", PNG, true).await;
        assert_eq!(status, 200, "{body}");
        assert!(metric(&app, "scans_total{verdict=\"clean\"}").await >= 5.0);
        assert!(metric(&app, "scan_duration_seconds_count").await >= 5.0);
        assert!(engines(&app).await.iter().all(|e| e.starts_with("ClamAV ")));
    }

    async fn malware_is_refused_in_both_dialects_and_on_the_page_naming_it_and_nothing_is_stored(base) {
        let clamd = Clamd::start().await;
        let app = scanning(base.backend, &clamd).await;
        let dispute = app.open_dispute().await;
        let mangopay = app.mp_ops_dispute(json!({})).await;
        let mp_document = document_id_mp(&app.mp_document(&mangopay, "DELIVERY_PROOF").await);
        let page = link_page(&app, &dispute).await;
        let before = stored(&app).await;
        let infected_png = [PNG, EICAR].concat();
        let marked_pdf = pdf_with(MARKER);

        // Omise: invalid_file_type, saying what was found.
        for (name, bytes, signature) in [("receipt.png", &infected_png, EICAR_NAME), ("invoice.pdf", &marked_pdf, MARKER_NAME)] {
            let refused = app.upload(&dispute, name, bytes, None).await.expect_error(400, "invalid_file_type");
            assert_eq!(refused["message"], format!("the file contains malware ({signature})"));
        }
        // Mangopay: param_error on File.
        for (bytes, signature) in [(&infected_png, EICAR_NAME), (&marked_pdf, MARKER_NAME)] {
            let refused = app.mp_page(&mangopay, &mp_document, bytes).await.expect_mp_field_error(400, "param_error", "File");
            assert_eq!(refused["errors"]["File"], format!("the file contains malware ({signature})"));
        }
        // The page: its script gets the code, a browser without it the page with the sentence.
        let (status, _, body) = web_upload(&app, &page, "receipt.png", &infected_png, true).await;
        assert_eq!(status, 400, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["code"], "invalid_file_type");
        assert!(answer["message"].as_str().unwrap().contains(EICAR_NAME), "{answer}");
        let (status, _, body) = web_upload(&app, &page, "invoice.pdf", &marked_pdf, false).await;
        assert_eq!(status, 400);
        assert!(body.contains(&format!("The file contains malware ({MARKER_NAME}) and was not stored")), "{body}");

        // Nothing stored: no blob, no row, no document.
        assert_eq!(stored(&app).await, before);
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 0);
        let pages = app.mp_get(&format!("/dispute-documents/{mp_document}")).await.expect(200);
        assert_eq!(pages["Status"], "CREATED");
        // Each refusal is in its dispute's history, with the signature.
        let history = app.state.core.history(&Id::parse(IdKind::Dispute, &dispute).unwrap()).await.unwrap();
        let refusals: Vec<&Value> = history.iter().filter(|e| e.kind == HistoryKind::FileRefused).map(|e| &e.detail).collect();
        assert_eq!(refusals.len(), 4, "{refusals:?}");
        assert_eq!(refusals[0]["signature"], EICAR_NAME);
        assert_eq!(refusals[0]["filename"], "receipt.png");
        assert_eq!(refusals[1]["signature"], MARKER_NAME);
        let history = app.state.core.history(&Id::parse(IdKind::Dispute, &mangopay).unwrap()).await.unwrap();
        let refused: Vec<_> = history.iter().filter(|e| e.kind == HistoryKind::FileRefused).collect();
        assert_eq!(refused.len(), 2);
        assert_eq!(refused[0].document.as_ref().map(|d| d.to_string()), Some(mp_document.clone()));
        // No event: nothing changed.
        assert_eq!(metric(&app, "scans_total{verdict=\"found\"}").await, 6.0);
    }

    async fn a_file_too_large_for_clamd_is_refused_as_such_and_not_stored(base) {
        let clamd = Clamd::start_with(Listen::Tcp, "StreamMaxLength 1M").await;
        let app = scanning(base.backend, &clamd).await;
        let dispute = app.open_dispute().await;
        let before = stored(&app).await;
        let big = [PNG, &vec![0u8; 2 * 1024 * 1024]].concat();
        let refused = app.upload(&dispute, "big.png", &big, None).await.expect_error(413, "file_too_large");
        assert_eq!(refused["message"], "the file is too large to be scanned for malware");
        assert_eq!(stored(&app).await, before);
        assert_eq!(metric(&app, "scans_total{verdict=\"too_big\"}").await, 1.0);
    }

    async fn clamd_killed_mid_upload_is_a_503_with_nothing_stored_and_the_server_recovers_without_a_restart(base) {
        let mut clamd = Clamd::start().await;
        let app = scanning(base.backend, &clamd).await;
        let dispute = app.open_dispute().await;
        let before = stored(&app).await;
        let uploaded = metric(&app, "blob_uploaded_bytes_total").await;

        // An upload whose bytes come as the test hands them over.
        let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
        let form = Form::new().part(
            "file",
            Part::stream(reqwest::Body::wrap_stream(rx)).file_name("slow.png"),
        );
        let request = app.request(Method::POST, &format!("/disputes/{dispute}/documents")).multipart(form);
        let answer = tokio::spawn(async move { send(request).await });
        tx.unbounded_send(Ok([PNG, &[0u8; 64 * 1024]].concat())).unwrap();
        // Mid-stream: the first bytes went to the blob store, so clamd has them too.
        let deadline = Instant::now() + Duration::from_secs(30);
        while metric(&app, "blob_uploaded_bytes_total").await <= uploaded {
            assert!(Instant::now() < deadline, "the upload did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        clamd.kill();
        for _ in 0..32 {
            tx.unbounded_send(Ok(vec![0u8; 64 * 1024])).unwrap();
        }
        drop(tx);
        let reply = answer.await.unwrap();
        assert_eq!(reply.headers["retry-after"], "1");
        reply.expect_error(503, "service_unavailable");
        assert_eq!(stored(&app).await, before);
        assert!(metric(&app, "scans_total{verdict=\"error\"}").await >= 1.0);

        // While clamd is away: readiness fails, and every way in says 503.
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 503);
        let refused = app.upload(&dispute, "receipt.png", PNG, None).await;
        assert_eq!(refused.headers["retry-after"], "1");
        refused.expect_error(503, "service_unavailable");
        let mangopay = app.mp_ops_dispute(json!({})).await;
        let mp_document = document_id_mp(&app.mp_document(&mangopay, "DELIVERY_PROOF").await);
        let refused = app.mp_page(&mangopay, &mp_document, PNG).await;
        assert_eq!(refused.headers["retry-after"], "1");
        refused.expect_mp_error(503, "service_unavailable");
        let page = link_page(&app, &dispute).await;
        let (status, retry, _) = web_upload(&app, &page, "receipt.png", PNG, false).await;
        assert_eq!((status, retry.as_deref()), (503, Some("1")));
        assert_eq!(stored(&app).await, before);

        // clamd back: the same server uses it again.
        clamd.restart().await;
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        app.upload(&dispute, "receipt.png", PNG, None).await.expect(200);
        app.mp_page(&mangopay, &mp_document, PNG).await.expect_no_content();
    }

    async fn a_rescan_quarantines_a_page_stored_before_its_signature_existed(base) {
        let mut clamd = Clamd::start_with(Listen::Unix, "").await;
        let app = scanning(base.backend, &clamd).await;
        let dispute = app.open_dispute().await;
        let late = [PNG, LATE_MARKER].concat();
        let omise = document_id(&app.upload(&dispute, "receipt.png", &late, None).await.expect(200));
        let download = app.get(&format!("/disputes/{dispute}/documents/{omise}")).await.expect(200)["download_uri"].as_str().unwrap().to_owned();
        assert_eq!(app.client.get(&download).send().await.unwrap().status(), 200);
        let mangopay = app.mp_ops_dispute(json!({})).await;
        let mp_document = document_id_mp(&app.mp_document(&mangopay, "DELIVERY_PROOF").await);
        app.mp_page(&mangopay, &mp_document, &pdf_with(LATE_MARKER)).await.expect_no_content();
        let updates = app.event_keys(&dispute).await.len();
        let pages: usize = app.sql_strings("select blob_key from pages").await.len();

        // The signature update; then the operator's rescan, two pages a call.
        clamd.learn_late_marker().await;
        let first = app.ops(Method::POST, "/ops/scan", json!({"limit": 2})).await.expect(200);
        let before = first["before"].as_str().unwrap().to_owned();
        let (mut scanned, mut quarantined, mut calls) = (first["scanned"].as_u64().unwrap(), first["quarantined"].as_array().unwrap().clone(), 1);
        let mut next = first["next"].clone();
        let mut remaining = first["remaining"].as_i64().unwrap();
        while remaining > 0 {
            let batch = app.ops(Method::POST, "/ops/scan", json!({"limit": 2, "before": before, "after": next})).await.expect(200);
            scanned += batch["scanned"].as_u64().unwrap();
            quarantined.extend(batch["quarantined"].as_array().unwrap().iter().cloned());
            remaining = batch["remaining"].as_i64().unwrap();
            next = batch["next"].clone();
            calls += 1;
        }
        assert_eq!(scanned as usize, pages);
        assert!(calls >= pages / 2, "{calls} calls for {pages} pages");
        let mut found: Vec<(&str, &str)> = quarantined.iter().map(|q| (q["document"].as_str().unwrap(), q["signature"].as_str().unwrap())).collect();
        found.sort();
        let mut expected = vec![(omise.as_str(), LATE_NAME), (mp_document.as_str(), LATE_NAME)];
        expected.sort();
        assert_eq!(found, expected);

        // No longer served: the download link, Mangopay's consult link, the page's preview.
        assert_eq!(app.client.get(&download).send().await.unwrap().status(), 404);
        let consult = app.mp_consult(&mp_document).await;
        let url = consult[0]["Url"].as_str().unwrap();
        assert_eq!(app.client.get(url).send().await.unwrap().status(), 404);
        let page = link_page(&app, &dispute).await;
        let html = app.client.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("Quarantined: a malware scan found {LATE_NAME}")), "{html}");
        let preview = app.client.get(app.url(&format!("{page}/documents/{omise}/file"))).send().await.unwrap();
        assert_eq!(preview.status(), 404);

        // The operator lists them; the history and both dialects' events say so.
        let list = app.ops(Method::GET, "/ops/quarantine", json!({})).await.expect(200);
        assert_eq!(list["total"], 2);
        assert_eq!(list["data"][0]["signature"], LATE_NAME);
        let history = app.state.core.history(&Id::parse(IdKind::Dispute, &dispute).unwrap()).await.unwrap();
        let entry = history.iter().find(|e| e.kind == HistoryKind::PageQuarantined).expect("a quarantine entry");
        assert_eq!(entry.detail["signature"], LATE_NAME);
        assert_eq!(entry.document.as_ref().unwrap().as_str(), omise);
        let keys = app.event_keys(&dispute).await;
        assert_eq!(keys.len(), updates + 1);
        assert!(keys.contains(&"dispute.update".to_owned()));
        let events = app.mp_get("/events?EventType=DISPUTE_DOCUMENT_FAILED").await.expect(200);
        // One dispute, two vocabularies: both quarantined documents, whichever dialect added them.
        let mut ids: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["ResourceId"].as_str().unwrap()).collect();
        ids.sort();
        let mut expected_ids = [omise.as_str(), mp_document.as_str()];
        expected_ids.sort();
        assert_eq!(ids, expected_ids);

        // Idempotent: the same rescan again finds nothing to do; a new one quarantines nothing twice.
        let again = app.ops(Method::POST, "/ops/scan", json!({"before": before, "limit": 1000})).await.expect(200);
        assert_eq!((again["scanned"].as_u64(), again["remaining"].as_i64(), again["next"].is_null()), (Some(0), Some(0), true));
        let anew = app.ops(Method::POST, "/ops/scan", json!({"limit": 1000})).await.expect(200);
        assert_eq!(anew["scanned"].as_u64().unwrap() as usize, pages - 2);
        assert_eq!(anew["quarantined"], json!([]));
        assert_eq!(app.event_keys(&dispute).await.len(), updates + 1);
        assert_eq!(app.ops(Method::GET, "/ops/quarantine", json!({})).await.expect(200)["total"], 2);
    }
}

fn document_id_mp(document: &Value) -> String {
    document["Id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_command_quarantines_prints_and_resumes() {
    let mut clamd = Clamd::start().await;
    let app = scanning(Backend::Sqlite, &clamd).await;
    let dispute = app.open_dispute().await;
    let late = [JPEG, LATE_MARKER].concat();
    let document = document_id(
        &app.upload(&dispute, "slip.jpg", &late, None)
            .await
            .expect(200),
    );
    clamd.learn_late_marker().await;
    let scan_url = clamd.url.clone();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(crate::processes::BIN)
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("BLOB_STORE_URL", &app.state.settings.blob_store_url)
            .env("SCAN_URL", &scan_url)
            .env("RUST_LOG", "error")
            .output()
            .expect("the binary runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            output.status.success(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    let (ok, stdout, stderr) = tokio::task::block_in_place(|| run(&["scan", "--batch", "2"]));
    assert!(ok, "{stderr}");
    let line: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(
        (line["document"].as_str(), line["signature"].as_str()),
        (Some(document.as_str()), Some(LATE_NAME))
    );
    assert!(stderr.contains("1 quarantined"), "{stderr}");
    let (ok, stdout, _) = tokio::task::block_in_place(|| run(&["quarantine"]));
    assert!(ok);
    assert!(stdout.contains(LATE_NAME), "{stdout}");
    // Resumable: with the first run's time, nothing is left; clamd away, the run stops saying how to go on.
    let (ok, stdout, stderr) =
        tokio::task::block_in_place(|| run(&["scan", "--before", "2000-01-01T00:00:00Z"]));
    assert!(ok && stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains("done: 0 scanned, 0 quarantined"),
        "{stderr}"
    );
    clamd.kill();
    let (ok, _, stderr) = tokio::task::block_in_place(|| run(&["scan"]));
    assert!(!ok);
    assert!(
        stderr.contains("resume with: dispute-docs scan --before "),
        "{stderr}"
    );
}

/// Without SCAN_URL a rescan cannot run: 409 not_configured (the request was well formed; the
/// server is not set up for it), while a malformed cursor is still 400 and an empty one is the
/// start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescan_without_a_scanner_is_a_conflict_and_a_bad_cursor_a_bad_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let refused = app
        .ops(
            Method::POST,
            "/ops/scan",
            json!({"after": "", "before": "", "limit": null}),
        )
        .await
        .expect_error(409, "not_configured");
    assert!(
        refused["message"].as_str().unwrap().contains("SCAN_URL"),
        "{refused}"
    );
    app.ops(Method::POST, "/ops/scan", json!({"after": "docu_x"}))
        .await
        .expect_error(400, "bad_request");
    app.ops(Method::POST, "/ops/scan", json!({"limit": 0}))
        .await
        .expect_error(400, "bad_request");
}
