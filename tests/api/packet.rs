//! The evidence packet (FILES.md §5): one PDF with a cover and every document's pages, checked
//! with a PDF parser (and qpdf, which CI installs), the same bytes twice and after a restart,
//! profiles' budgets (Mastercard's 19 pages, Stripe's 4.5 MB), frozen at submission, readiness
//! that agrees with the packet, and nobody else's.

use std::collections::BTreeMap;

use dispute_docs::files::samples;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::files::gps_exif;
use crate::helpers::*;

/// A photo that compresses badly (every pixel differs), as a JPEG of `quality`.
fn noisy_jpeg(w: u32, h: u32, seed: u32, quality: u8) -> Vec<u8> {
    let mut state = seed | 1;
    let picture = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image::DynamicImage::ImageRgb8(picture)
        .write_with_encoder(encoder)
        .unwrap();
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A GET whose answer may be a PDF: the status, headers and bytes.
async fn get_bytes(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

impl TestApp {
    /// What the worker does on its passes: every packet waiting to be frozen, frozen.
    async fn freeze_all(&self) {
        while self.state.core.freeze_packets().await > 0 {}
    }

    async fn packet(
        &self,
        dispute: &str,
        query: &str,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        get_bytes(self.request(Method::GET, &format!("/disputes/{dispute}/packet{query}"))).await
    }

    /// A new dispute with a three-page PDF, a photo (EXIF orientation and GPS) and a PNG; the
    /// files' SHA-256s.
    async fn dispute_with_evidence(&self) -> (String, Vec<String>) {
        let dispute = self.open_dispute().await;
        let files: [(&str, Vec<u8>, &str); 3] = [
            (
                "invoice.pdf",
                samples::pdf(3, "Invoice"),
                "details_of_purchase",
            ),
            (
                "photo.jpg",
                samples::jpeg_with_exif(400, 200, gps_exif()),
                "proof_of_receipt",
            ),
            ("receipt.png", samples::png(120, 60), "details_of_purchase"),
        ];
        let mut digests = Vec::new();
        for (name, bytes, kind) in files {
            self.upload(&dispute, name, &bytes, Some(kind))
                .await
                .expect(200);
            digests.push(sha256(&bytes));
        }
        (dispute, digests)
    }
}

/// The text a PDF reader extracts from every page.
fn text_of(pdf: &lopdf::Document) -> String {
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    pdf.extract_text(&pages).unwrap_or_default()
}

/// The sizes of the pictures in a PDF.
fn image_sizes(pdf: &lopdf::Document) -> Vec<(i64, i64)> {
    pdf.objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(&b"Image"[..]))
        .map(|s| {
            let n = |k: &[u8]| s.dict.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
            (n(b"Width"), n(b"Height"))
        })
        .collect()
}

/// qpdf's verdict, where it is installed (`.ci/run` installs it).
fn qpdf_check(pdf: &[u8]) {
    if std::process::Command::new("qpdf")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(std::env::var("CI").is_err(), "CI installs qpdf");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qpdf --check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

each_backend! {
    async fn a_packet_is_one_valid_pdf_with_a_cover_and_every_page_the_same_bytes_each_time(app) {
        let mut app = app;
        let (dispute, digests) = app.dispute_with_evidence().await;
        let (status, headers, pdf) = app.packet(&dispute, "").await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let digest = sha256(&pdf);
        assert_eq!(headers["etag"].to_str().unwrap(), format!("\"{digest}\""));
        assert!(headers.contains_key("repr-digest"));
        qpdf_check(&pdf);

        let doc = lopdf::Document::load_mem(&pdf).expect("lopdf reads the packet");
        // The cover, three PDF pages, the photo, the PNG.
        assert_eq!(doc.get_pages().len(), 6);
        let text = text_of(&doc);
        for d in &digests {
            assert!(text.contains(d.as_str()), "the cover carries {d}: {text}");
        }
        assert!(text.contains(&dispute), "{text}");
        assert!(text.contains("pages 2-4"), "{text}");
        // The photo was 400 × 200 with orientation 6: upright, it is 200 × 400; no EXIF left.
        assert!(image_sizes(&doc).contains(&(200, 400)), "{:?}", image_sizes(&doc));
        assert!(!pdf.windows(4).any(|w| w == b"Exif"), "no EXIF in the packet");

        // Again, and after a restart: the same bytes, the second time from the kept blob.
        let (_, _, again) = app.packet(&dispute, "").await;
        assert_eq!(again, pdf);
        app.restart().await;
        let (_, headers, restarted) = app.packet(&dispute, "").await;
        assert_eq!(restarted, pdf);
        // Built anew, without the kept blob: still the same bytes.
        let id = dispute_docs::domain::Id::parse(dispute_docs::domain::IdKind::Dispute, &dispute).unwrap();
        let gathered = app.state.core.packet_inputs(None, &id).await.unwrap().unwrap();
        let profile = dispute_docs::packet::Profile::Generic;
        let key = dispute_docs::core::packets::packet_key(&gathered.inputs.digest(profile));
        app.state.core.blobs.delete(&key).await.unwrap();
        assert!(app.state.core.blobs.get(&key).await.is_err(), "the kept packet is gone");
        let (_, _, rebuilt) = app.packet(&dispute, "").await;
        assert_eq!(rebuilt, pdf);
        // A 304 for the same ETag.
        let (status, _, _) = get_bytes(
            app.request(Method::GET, &format!("/disputes/{dispute}/packet"))
                .header("if-none-match", headers["etag"].to_str().unwrap()),
        )
        .await;
        assert_eq!(status, 304);
    }

    async fn over_mastercards_19_pages_is_422_naming_19_and_readiness_agrees(app) {
        let (dispute, _) = app.dispute_with_evidence().await;
        app.upload(&dispute, "log.pdf", &samples::pdf(14, "Log"), None).await.expect(200);
        // 1 + 3 + 1 + 1 + 14 = 20 pages.
        let (status, _, body) = app.packet(&dispute, "?profile=mastercard").await;
        assert_eq!(status, 422);
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["code"], "evidence_over_budget");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("19 pages"), "{message}");
        assert!(message.contains("20 pages"), "{message}");
        assert!(message.contains("log.pdf"), "the heaviest documents are named: {message}");

        let (status, _, generic) = app.packet(&dispute, "?profile=generic").await;
        assert_eq!(status, 200);
        let readiness = app.get(&format!("/disputes/{dispute}/packet/readiness")).await.expect(200);
        assert_eq!(readiness["object"], "packet_readiness");
        let mc = &readiness["profiles"]["mastercard"];
        assert_eq!(mc["fits"], false);
        assert_eq!(mc["pages"], 20);
        assert_eq!(mc["over"], json!(["pages"]));
        assert_eq!(mc["budget"], json!({"pages": 19, "bytes": 14_500_000}));
        let g = &readiness["profiles"]["generic"];
        assert_eq!(g["fits"], true);
        assert_eq!(g["pages"], 20);
        assert_eq!(g["bytes"], generic.len());
        assert_eq!(readiness["profiles"]["amex"]["fits"], true);
        // The reason's checklist (not received): proof of delivery is there.
        let checklist = readiness["checklist"].as_array().unwrap();
        assert!(checklist.iter().any(|c| c["kind"] == "delivery_proof" && c["required"] == true && c["satisfied"] == true), "{checklist:?}");

        let (status, _, _) = app.packet(&dispute, "?profile=discover").await;
        assert_eq!(status, 400);
    }

    async fn a_stripe_budget_steps_pictures_down_until_it_fits_and_they_stay_readable(app) {
        let dispute = app.open_dispute().await;
        for (i, seed) in [7u32, 11].into_iter().enumerate() {
            let photo = noisy_jpeg(1500, 1500, seed, 92);
            app.upload(&dispute, &format!("photo{i}.jpg"), &photo, Some("proof_of_receipt")).await.expect(200);
        }
        let (status, _, generic) = app.packet(&dispute, "?profile=generic").await;
        assert_eq!(status, 200);
        assert!(generic.len() > 4_500_000, "generic is {} bytes", generic.len());
        let (status, _, stripe) = app.packet(&dispute, "?profile=stripe").await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&stripe));
        assert!(stripe.len() <= 4_500_000, "stripe is {} bytes", stripe.len());
        qpdf_check(&stripe);
        let doc = lopdf::Document::load_mem(&stripe).unwrap();
        assert_eq!(doc.get_pages().len(), 3, "no page dropped");
        // Every picture still decodes, at a size a person reads.
        let mut pictures = 0;
        for object in doc.objects.values() {
            let Ok(stream) = object.as_stream() else { continue };
            if stream.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() != Some(&b"Image"[..]) {
                continue;
            }
            let picture = image::load_from_memory_with_format(&stream.content, image::ImageFormat::Jpeg)
                .expect("the picture decodes");
            assert!(picture.width() >= 500, "{}", picture.width());
            pictures += 1;
        }
        assert_eq!(pictures, 2);
    }

    async fn the_packet_is_frozen_at_submission_its_digest_in_the_history(app) {
        let (dispute, _) = app.dispute_with_evidence().await;
        app.update(&dispute, "Delivered and signed for.").await.expect(200);
        let events_before = app.event_keys(&dispute).await;
        app.freeze_all().await;
        let details = app
            .sql_strings(&format!("select cast(detail as text) from dispute_history where dispute_id = '{dispute}' and kind = 'packet_frozen'"))
            .await;
        assert_eq!(details.len(), 1, "{details:?}");
        let detail: Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(detail["profile"], "generic");
        assert_eq!(detail["fits"], true);
        // announced in Omise's words: one more dispute.update
        let mut events_after = app.event_keys(&dispute).await;
        assert_eq!(events_after.pop().as_deref(), Some("dispute.update"));
        assert_eq!(events_after, events_before);
        let frozen = detail["sha256"].as_str().unwrap().to_owned();
        let kept = detail["blob"].as_str().unwrap();
        assert!(kept.starts_with("packets/"), "{kept}");
        assert!(app.state.core.blobs.get(kept).await.is_ok(), "kept as a blob");
        let (status, headers, pdf) = app.packet(&dispute, "").await;
        assert_eq!(status, 200);
        assert_eq!(sha256(&pdf), frozen);
        assert_eq!(headers["etag"].to_str().unwrap(), format!("\"{frozen}\""));

        // Decided since: the cover would now say won, but the frozen bytes are what the bank saw.
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/resolve"), json!({"outcome": "won"})).await.expect(200);
        let (_, _, after) = app.packet(&dispute, "").await;
        assert_eq!(sha256(&after), frozen);
        let (_, _, bank) = get_bytes(app.client.get(app.url(&format!("/ops/disputes/{dispute}/packet"))).bearer_auth(OPS_TOKEN)).await;
        assert_eq!(sha256(&bank), frozen);
        // Another profile was never frozen: built now, with the dispute as it is.
        let (status, _, visa) = app.packet(&dispute, "?profile=visa").await;
        assert_eq!(status, 200);
        assert_ne!(sha256(&visa), frozen);
    }

    async fn a_packet_that_does_not_fit_at_submission_says_so_and_stays_422(app) {
        let (dispute, _) = app.dispute_with_evidence().await;
        app.upload(&dispute, "log.pdf", &samples::pdf(14, "Log"), None).await.expect(200);
        let account = DEMO_ACCOUNT;
        let settings = app.ops(Method::PATCH, &format!("/ops/accounts/{account}"), json!({"packet_profile": "mastercard"})).await.expect(200);
        assert_eq!(settings["packet_profile"], "mastercard");
        app.accept(&dispute).await.expect(200);
        app.freeze_all().await;
        let details = app
            .sql_strings(&format!("select cast(detail as text) from dispute_history where dispute_id = '{dispute}' and kind = 'packet_frozen'"))
            .await;
        let detail: Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(detail["fits"], false);
        assert!(detail["message"].as_str().unwrap().contains("19 pages"));
        let (status, _, body) = app.packet(&dispute, "").await;
        assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["code"], "evidence_over_budget");
    }

    async fn another_accounts_key_gets_404(app) {
        let (status, _, _) = get_bytes(app.client.get(app.url(&format!("/disputes/{OPEN_DISPUTE}/packet"))).basic_auth(OTHER_ACCOUNT_KEY, Some(""))).await;
        assert_eq!(status, 404);
        app.get_as(OTHER_ACCOUNT_KEY, &format!("/disputes/{OPEN_DISPUTE}/packet/readiness")).await.expect_error(404, "not_found");
        // The operator sees any dispute's packet, the same as its merchant's; asked for gzip,
        // neither compresses it (its Content-Length and Repr-Digest are of the PDF's bytes).
        let gzip = |request: reqwest::RequestBuilder| request.header("accept-encoding", "gzip");
        let (_, headers, merchant) = get_bytes(gzip(app.request(Method::GET, &format!("/disputes/{OPEN_DISPUTE}/packet")))).await;
        assert!(headers.get("content-encoding").is_none(), "{headers:?}");
        let (status, headers, bank) = get_bytes(gzip(app.client.get(app.url(&format!("/ops/disputes/{OPEN_DISPUTE}/packet"))).bearer_auth(OPS_TOKEN))).await;
        assert_eq!(status, 200);
        assert!(headers.get("content-encoding").is_none(), "{headers:?}");
        assert_eq!(headers["content-length"], bank.len().to_string().as_str());
        assert_eq!(bank, merchant);
        let readiness = app.ops(Method::GET, &format!("/ops/disputes/{OPEN_DISPUTE}/packet/readiness"), Value::Null).await.expect(200);
        let profiles: BTreeMap<String, Value> = serde_json::from_value(readiness["profiles"].clone()).unwrap();
        assert_eq!(profiles.len(), 5);
    }

    async fn the_web_page_shows_readiness_beside_the_documents_and_downloads_the_packet(app) {
        let (dispute, _) = app.dispute_with_evidence().await;
        let link = app.send(app.request(Method::POST, &format!("/disputes/{dispute}/evidence_links")).json(&json!({}))).await.expect(200);
        let path = link["url"].as_str().unwrap().strip_prefix(&app.base).unwrap().to_owned();
        let page = reqwest::get(app.url(&path)).await.unwrap().text().await.unwrap();
        assert!(page.contains("The evidence packet"), "{page}");
        assert!(page.contains(&format!("href=\"{path}/packet\"")), "{page}");
        assert!(page.contains("mastercard"), "every profile's fit: {page}");
        let (status, headers, pdf) = get_bytes(app.client.get(app.url(&format!("{path}/packet")))).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/pdf");
        let (_, _, api) = app.packet(&dispute, "").await;
        assert_eq!(pdf, api, "the page's packet is the API's");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_heavier_together_than_packet_max_input_are_refused_naming_the_heaviest() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.packet_max_input_mb = 1).await;
    let dispute = app.open_dispute().await;
    let small = app
        .upload(
            &dispute,
            "small.pdf",
            &samples::sized(dispute_docs::domain::FileType::Pdf, "small", 300_000),
            None,
        )
        .await
        .expect(200);
    app.upload(
        &dispute,
        "large.pdf",
        &samples::sized(dispute_docs::domain::FileType::Pdf, "large", 600_000),
        None,
    )
    .await
    .expect(200);
    // 900,000 bytes: built.
    let (status, _, _) = app.packet(&dispute, "").await;
    assert_eq!(status, 200);
    let third = app
        .upload(
            &dispute,
            "third.pdf",
            &samples::sized(dispute_docs::domain::FileType::Pdf, "third", 200_000),
            None,
        )
        .await
        .expect(200);
    // 1,100,000 bytes, past 1 MB: a 422 that says what they weigh and what weighs most.
    let (status, _, body) = app.packet(&dispute, "?profile=generic").await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["code"], "evidence_over_budget");
    assert_eq!(
        error["message"],
        "the evidence's files weigh 1.1 MB together, more than the 1 MB a packet is built from: remove or replace the heaviest documents: B large.pdf (600 kB), A small.pdf (300 kB), C third.pdf (200 kB)"
    );
    // Readiness says the same of every profile.
    let readiness = app
        .get(&format!("/disputes/{dispute}/packet/readiness"))
        .await
        .expect(200);
    for (profile, fit) in readiness["profiles"].as_object().unwrap() {
        assert_eq!(fit["fits"], false, "{profile}");
        assert_eq!(fit["message"], error["message"], "{profile}");
    }
    // Lighter again, it is built.
    let third = third["id"].as_str().unwrap();
    app.delete_document(&dispute, third).await.expect(200);
    let (status, _, pdf) = app.packet(&dispute, "").await;
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(small["object"], "document");
}
