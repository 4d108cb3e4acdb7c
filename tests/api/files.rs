//! Files a card network accepts (FILES.md §2, §4): every refusal of the checks in each dialect,
//! with nothing of the file left behind; page counts in both Omise versions; previews behind
//! signed links and the operator's token, kept and cached; `MAX_PDF_PAGES`; the page counts of
//! files stored before the checks. The files are made by `dispute_docs::files::samples` (lopdf
//! and image), the JPEG's EXIF by kamadak-exif.

use crate::helpers::*;
use dispute_docs::files::samples;
use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use serde_json::json;

/// A refusal's words as a sentence (Mangopay's `errors`, the page).
fn sentence(reason: &dispute_docs::files::Refusal) -> String {
    let text = reason.to_string();
    let mut chars = text.chars();
    let first = chars.next().unwrap().to_uppercase().collect::<String>();
    first + chars.as_str()
}

/// EXIF with where the photo was taken, and orientation 6 (turn 90° clockwise to show).
pub(crate) fn gps_exif() -> Vec<u8> {
    let rationals = |values: [(u32, u32); 3]| {
        Value::Rational(
            values
                .iter()
                .map(|&(num, denom)| Rational { num, denom })
                .collect(),
        )
    };
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: rationals([(13, 1), (45, 1), (1234, 100)]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"E".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: rationals([(100, 1), (30, 1), (5678, 100)]),
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

/// A PNG's size and the names of its chunks.
fn png_facts(bytes: &[u8]) -> ((u32, u32), Vec<String>) {
    let picture =
        image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("a PNG");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + len;
    }
    ((picture.width(), picture.height()), chunks)
}

async fn get(uri: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answered")
}

impl TestApp {
    /// Asserts that nothing of a refused file is left: no document row, no page, no blob, no
    /// staged part, and no history entry after the dispute's opening.
    async fn assert_nothing_stored(&self, dispute: &str, blobs_before: &[String]) {
        assert_eq!(
            self.get(&format!("/disputes/{dispute}/documents"))
                .await
                .expect(200)["total"],
            0
        );
        assert_eq!(self.blob_keys().await, blobs_before, "no blob");
        assert_eq!(
            self.blob_keys().await,
            self.row_blob_keys().await,
            "no page row"
        );
        assert!(
            self.staged_files().is_empty(),
            "no staged part: {:?}",
            self.staged_files()
        );
        let id = dispute_docs::domain::Id::parse(dispute_docs::domain::IdKind::Dispute, dispute)
            .unwrap();
        let history = self.state.core.history(&id).await.unwrap();
        assert_eq!(history.len(), 1, "only the opening: {history:?}");
    }
}

each_backend! {
    async fn each_refusal_of_the_checks_is_an_omise_invalid_file_type_that_says_why(app) {
        let dispute = app.open_dispute().await;
        let before = app.blob_keys().await;
        for file in samples::refused() {
            let body = app.upload(&dispute, file.name, &file.bytes, None).await.expect_error(400, "invalid_file_type");
            assert_eq!(body["message"], file.refusal.to_string(), "{}", file.name);
        }
        let body = app.upload(&dispute, "encrypted.pdf", &samples::refused()[0].bytes, None).await.expect_error(400, "invalid_file_type");
        assert_eq!(body["message"], "the PDF is password-protected or encrypted: save or print it again without a password");
        app.assert_nothing_stored(&dispute, &before).await;
    }

    async fn each_refusal_of_the_checks_is_a_mangopay_param_error_on_file(app) {
        let dispute = app.open_dispute().await;
        let id = app.mp_document(&dispute, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        let before = app.blob_keys().await;
        for file in samples::refused() {
            let body = app.mp_page(&dispute, &id, &file.bytes).await.expect_mp_field_error(400, "param_error", "File");
            assert_eq!(body["errors"]["File"], sentence(&file.refusal), "{}", file.name);
        }
        assert_eq!(app.blob_keys().await, before);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
        assert!(app.staged_files().is_empty());
        assert!(app.mp_consult(&id).await.as_array().unwrap().is_empty(), "no page");
        // The document is still there, empty, and takes a real page.
        app.mp_page(&dispute, &id, &real(FileType::Pdf, "fine", 4096)).await.expect_no_content();
        assert_eq!(app.mp_consult(&id).await.as_array().unwrap().len(), 1);
    }

    async fn a_three_page_pdf_counts_three_in_both_omise_versions_and_mangopay_keeps_its_shape(app) {
        let dispute = app.open_dispute().await;
        let pdf = samples::pdf(3, "three pages");
        let doc = app.upload(&dispute, "three.pdf", &pdf, None).await.expect(200);
        assert_eq!(doc["page_count"], 3);
        let path = format!("/disputes/{dispute}/documents/{}", doc["id"].as_str().unwrap());
        for version in ["2019-05-29", "2017-11-02"] {
            let seen = app.get_versioned(version, &path).await.expect(200);
            assert_eq!(seen["page_count"], 3, "{version}");
            assert!(seen["preview_uri"].as_str().unwrap().contains("/previews/"), "{version}");
        }
        // The bytes kept are the bytes sent.
        use sha2::Digest;
        assert_eq!(doc["sha256"], hex::encode(sha2::Sha256::digest(&pdf)));
        let image = app.upload(&dispute, "receipt.png", PNG, None).await.expect(200);
        assert_eq!(image["page_count"], 1);
        // In a list and in the dispute too.
        let listed = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!(listed["data"][0]["page_count"], 3);
        let shown = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(shown["documents"]["data"][1]["page_count"], 1);
        // Mangopay's document has the shape it had.
        let docs = app.mp_get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        for doc in docs.as_array().unwrap() {
            let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
            assert!(!keys.iter().any(|k| k.to_lowercase().contains("page") || k.contains("Preview")), "{keys:?}");
        }
    }

    async fn a_preview_is_a_signed_png_within_512_pixels_kept_and_cached(app) {
        let dispute = app.open_dispute().await;
        let pdf = samples::pdf(3, "previewed");
        let doc = app.upload(&dispute, "three.pdf", &pdf, None).await.expect(200);
        let uri = doc["preview_uri"].as_str().unwrap().to_owned();
        assert!(uri.starts_with(&format!("{}/disputes/{dispute}/documents/{}/previews/", app.base, doc["id"].as_str().unwrap())));
        let first = get(&uri, &[]).await;
        assert_eq!(first.status(), 200);
        let headers = first.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["cache-control"], "private, max-age=3600");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let png = first.bytes().await.unwrap();
        let ((width, height), chunks) = png_facts(&png);
        assert!(width.max(height) <= 512 && width.max(height) >= 511, "{width}×{height}");
        assert_eq!(chunks, ["IHDR", "IDAT", "IEND"]);
        // Kept as a blob named by the file's digest: the second answer is the same bytes.
        let key = dispute_docs::core::previews::preview_key(doc["sha256"].as_str().unwrap(), 1);
        assert!(app.state.core.blobs.get(&key).await.is_ok(), "kept");
        let again = get(&uri, &[]).await;
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert_eq!(again.bytes().await.unwrap(), png);
        // A browser that has it asks with its ETag and gets 304.
        let cached = get(&uri, &[("if-none-match", &etag)]).await;
        assert_eq!(cached.status(), 304);
        assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);
        // Other pages, and pages that are not there.
        let third = get(&format!("{uri}?page=3"), &[]).await;
        assert_eq!(third.status(), 200);
        assert_ne!(third.headers()["etag"].to_str().unwrap(), etag);
        assert_ne!(third.bytes().await.unwrap(), png);
        assert_eq!(get(&format!("{uri}?page=4"), &[]).await.status(), 404);
        assert_eq!(get(&format!("{uri}?page=0"), &[]).await.status(), 400);
        // A tampered token, and a download's token, open nothing here.
        let tampered = format!("{}x", &uri[..uri.len() - 1]);
        assert_eq!(get(&tampered, &[]).await.status(), 404);
        let download_token = doc["download_uri"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let swapped = format!("{}/{download_token}", uri.rsplit_once('/').unwrap().0);
        assert_eq!(get(&swapped, &[]).await.status(), 404);
        // Expired with the link's time, and gone with its document.
        app.state.core.clock.advance(chrono::TimeDelta::seconds(3601));
        assert_eq!(get(&uri, &[]).await.status(), 404);
        let fresh = app.get(&format!("/disputes/{dispute}/documents/{}", doc["id"].as_str().unwrap())).await.expect(200);
        let fresh_uri = fresh["preview_uri"].as_str().unwrap().to_owned();
        assert_eq!(get(&fresh_uri, &[]).await.status(), 200);
        let deleted = app.delete_document(&dispute, doc["id"].as_str().unwrap()).await.expect(200);
        assert_eq!(deleted["preview_uri"], json!(null));
        assert_eq!(get(&fresh_uri, &[]).await.status(), 404);
    }

    async fn a_photo_s_preview_is_turned_upright_and_carries_no_exif(app) {
        let dispute = app.open_dispute().await;
        let photo = samples::jpeg_with_exif(64, 32, gps_exif());
        let doc = app.upload(&dispute, "doorstep.jpg", &photo, None).await.expect(200);
        // The original is kept as sent, place and all.
        let original = get(doc["download_uri"].as_str().unwrap(), &[]).await.bytes().await.unwrap();
        assert_eq!(original.as_ref(), &photo[..]);
        let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&original[..])).unwrap();
        assert!(exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());
        // The preview: upright (64 × 32 stored, 32 × 64 shown), pixels only.
        let preview = get(doc["preview_uri"].as_str().unwrap(), &[]).await.bytes().await.unwrap();
        let (size, chunks) = png_facts(&preview);
        assert_eq!(size, (32, 64));
        assert_eq!(chunks, ["IHDR", "IDAT", "IEND"]);
        assert!(exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&preview[..])).is_err(), "no EXIF");
    }

    async fn the_operator_fetches_any_page_s_preview_with_its_token(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "two.pdf", &samples::pdf(2, "operator"), None).await.expect(200);
        let path = format!("/ops/disputes/{dispute}/documents/{}/pages/2/preview", doc["id"].as_str().unwrap());
        let answer = app.client.get(app.url(&path)).bearer_auth(OPS_TOKEN).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["content-type"], "image/png");
        let (size, _) = png_facts(&answer.bytes().await.unwrap());
        assert!(size.0.max(size.1) <= 512);
        assert_eq!(app.client.get(app.url(&path)).send().await.unwrap().status(), 401);
        let missing = path.replace("/pages/2/", "/pages/3/");
        app.send(app.client.get(app.url(&missing)).bearer_auth(OPS_TOKEN)).await.expect_error(404, "not_found");
        let zero = path.replace("/pages/2/", "/pages/0/");
        app.send(app.client.get(app.url(&zero)).bearer_auth(OPS_TOKEN)).await.expect_error(400, "bad_request");
    }

    async fn files_stored_before_the_checks_are_counted_by_the_sweep(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "old.pdf", &samples::pdf(4, "stored long ago"), None).await.expect(200);
        let id = doc["id"].as_str().unwrap().to_owned();
        // As the migration leaves a PDF stored before it: no count.
        app.sql_execute(&format!("update pages set file_pages = null where document_id = '{id}'")).await;
        let path = format!("/disputes/{dispute}/documents/{id}");
        assert_eq!(app.get(&path).await.expect(200)["page_count"], json!(null));
        let done = app.state.core.count_stored_pages().await.unwrap();
        assert_eq!((done.counted, done.unreadable), (1, 0));
        assert_eq!(app.get(&path).await.expect(200)["page_count"], 4);
        // Once counted, nothing is left to count.
        assert_eq!(app.state.core.count_stored_pages().await.unwrap().counted, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pdf_pages_sets_the_most_pages_a_pdf_may_have() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.max_pdf_pages = 2).await;
    let dispute = app.open_dispute().await;
    let body = app
        .upload(&dispute, "three.pdf", &samples::pdf(3, "over"), None)
        .await
        .expect_error(400, "invalid_file_type");
    assert_eq!(
        body["message"],
        "the PDF has 3 pages, more than the 2 allowed: split it into several documents"
    );
    assert_eq!(
        app.upload(&dispute, "two.pdf", &samples::pdf(2, "within"), None)
            .await
            .expect(200)["page_count"],
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixture_whose_file_the_checks_refuse_is_not_loaded() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let encrypted = samples::refused()
        .into_iter()
        .find(|f| f.name == "encrypted.pdf")
        .unwrap();
    std::fs::write(dir.path().join("locked.pdf"), &encrypted.bytes).unwrap();
    let demo: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/demo.json")).unwrap();
    let fixture = json!({"accounts": demo["accounts"].as_array().unwrap().iter().take(1).map(|a| {
        let mut a = a.clone();
        a["disputes"] = json!(a["disputes"].as_array().unwrap().iter().take(1).map(|d| {
            let mut d = d.clone();
            d["id"] = json!("dspt_test_5lockedfixture000000");
            d["charge"] = json!("chrg_test_5lockedfixture000000");
            d["documents"] = json!([{"id": "docu_test_5lockedfixture000000", "filename": "locked.pdf", "file": "locked.pdf"}]);
            d
        }).collect::<Vec<_>>());
        a
    }).collect::<Vec<_>>()});
    let path = dir.path().join("fixture.json");
    std::fs::write(&path, fixture.to_string()).unwrap();
    let error = dispute_docs::seed::seed_file(&app.state.core, &path)
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("password-protected"),
        "{error:#}"
    );
    // The dispute came in; its document did not, nor its file.
    let documents = app
        .get("/disputes/dspt_test_5lockedfixture000000/documents")
        .await
        .expect(200);
    assert_eq!(documents["total"], 0);
    assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
}
