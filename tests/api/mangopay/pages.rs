//! MANGOPAY.md §4 #14 and §7: a page's limits, checked in order (base64, then size, then type),
//! each refusal leaving no page and no blob behind.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

/// A fresh open dispute and an empty CREATED document on it.
async fn empty_document(app: &TestApp) -> (String, String) {
    let dispute = app.open_dispute().await;
    let doc = app.mp_document(&dispute, "INVOICE").await;
    (dispute, doc["Id"].as_str().unwrap().to_owned())
}

/// POSTs this raw `File` string as a page.
async fn post_file(app: &TestApp, dispute: &str, document: &str, file: &str) -> Reply {
    let path = format!("/disputes/{dispute}/documents/{document}/pages");
    app.mp_post(&path, json!({ "File": file })).await
}

/// Nothing stored: the blobs are as before and as the rows say.
async fn assert_nothing_left(app: &TestApp, blobs_before: &[String]) {
    assert_eq!(
        app.blob_keys().await,
        blobs_before,
        "a refused page left a blob"
    );
    assert_eq!(
        app.blob_keys().await,
        app.row_blob_keys().await,
        "blobs and rows disagree"
    );
}

each_backend! {
    async fn a_page_of_exactly_one_kilobyte_is_taken_and_one_byte_less_is_too_small(app) {
        let (dispute, id) = empty_document(&app).await;
        let blobs = app.blob_keys().await;
        let small = padded(PDF_MAGIC, "small", MP_MIN_PAGE - 1);
        let body = app.mp_page(&dispute, &id, &small).await.expect_mp_field_error(400, "param_error", "File");
        assert_eq!(body["Message"], MP_PARAM_MESSAGE);
        app.mp_page(&dispute, &id, b"").await.expect_mp_field_error(400, "param_error", "File");
        assert_nothing_left(&app, &blobs).await;
        assert_eq!(app.mp_consult(&id).await, json!([]));

        let exact = padded(PDF_MAGIC, "exact", MP_MIN_PAGE);
        app.mp_page(&dispute, &id, &exact).await.expect_no_content();
        assert_eq!(app.mp_page_bytes(&id).await, vec![exact]);
        assert_eq!(app.blob_keys().await.len(), blobs.len() + 1);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn a_page_of_exactly_seven_mebibytes_is_taken_and_one_byte_more_is_413(app) {
        let (dispute, id) = empty_document(&app).await;
        let blobs = app.blob_keys().await;
        let over = padded(PDF_MAGIC, "over", MP_MAX_PAGE + 1);
        let body = app.mp_page(&dispute, &id, &over).await.expect_mp_field_error(413, "payload_too_large", "File");
        assert!(body["errors"]["File"].is_string());
        assert_nothing_left(&app, &blobs).await;

        let exact = padded(PDF_MAGIC, "exact", MP_MAX_PAGE);
        app.mp_page(&dispute, &id, &exact).await.expect_no_content();
        let pages = app.mp_page_bytes(&id).await;
        assert_eq!((pages.len(), pages[0].len()), (1, MP_MAX_PAGE));
        assert!(pages[0] == exact);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn bad_base64_is_a_param_error_whatever_the_size(app) {
        let (dispute, id) = empty_document(&app).await;
        let blobs = app.blob_keys().await;
        // Bytes whose standard encoding holds both `+` and `/`, then sent in the URL-safe alphabet.
        // (Whole 3-byte groups, so that 0xfbffbf encodes as `+/+/`.)
        let mut bytes = padded(PDF_MAGIC, "alphabet", 2049);
        bytes.extend_from_slice(&[0xfb, 0xff, 0xbf]);
        let standard = b64(&bytes);
        assert!(standard.contains('+') && standard.contains('/'));
        let url_safe = standard.replace('+', "-").replace('/', "_");
        let huge = format!("{}!", b64(&padded(PDF_MAGIC, "huge", MP_MAX_PAGE + 10)));
        for file in ["not base64 at all!", "%%%%", "QUJD=QUJD", url_safe.as_str(), huge.as_str()] {
            let reply = post_file(&app, &dispute, &id, file).await;
            assert_eq!(reply.status, 400, "{}: {}", &file[..file.len().min(40)], reply.body);
            reply.expect_mp_field_error(400, "param_error", "File");
        }
        assert_nothing_left(&app, &blobs).await;
        post_file(&app, &dispute, &id, &standard).await.expect_no_content();
        assert_eq!(app.mp_page_bytes(&id).await, vec![bytes]);
    }

    async fn whitespace_inside_the_base64_is_tolerated(app) {
        let (dispute, id) = empty_document(&app).await;
        let encoded = b64(JPEG);
        let wrapped: Vec<String> = encoded.as_bytes().chunks(76).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        post_file(&app, &dispute, &id, &wrapped.join("\n")).await.expect_no_content();
        post_file(&app, &dispute, &id, &format!(" {} \r\n", wrapped.join(" \r\n "))).await.expect_no_content();
        assert_eq!(app.mp_page_bytes(&id).await, vec![JPEG.to_vec(), JPEG.to_vec()]);
    }

    async fn a_file_that_is_not_pdf_jpeg_gif_or_png_is_415_and_leaves_nothing(app) {
        let (dispute, id) = empty_document(&app).await;
        let blobs = app.blob_keys().await;
        let text = "this is a plain text letter, not a scan. ".repeat(60);
        let zip = padded(b"PK\x03\x04", "zip", 4096);
        let webp = padded(b"RIFF\x00\x00\x00\x00WEBP", "webp", 4096);
        for file in [text.as_bytes(), &zip[..], &webp[..]] {
            let body = app.mp_page(&dispute, &id, file).await.expect_mp_field_error(415, "unsupported_media_type", "File");
            assert!(body["errors"]["File"].is_string());
        }
        assert_nothing_left(&app, &blobs).await;
        // Size is checked before the type: a small text file is too small, not unsupported.
        app.mp_page(&dispute, &id, b"hello").await.expect_mp_field_error(400, "param_error", "File");
        // And a file too large is 413 whatever its type.
        let big_text = padded(b"plain", "text", MP_MAX_PAGE + 1);
        app.mp_page(&dispute, &id, &big_text).await.expect_mp_error(413, "payload_too_large");
        assert_nothing_left(&app, &blobs).await;
        let padded_ones = [padded(GIF_MAGIC, "gif", 1500), padded(b"GIF87a", "gif87", 1500), padded(PDF_MAGIC, "pdf", 1500)];
        for file in [PNG.to_vec(), JPEG.to_vec()].into_iter().chain(padded_ones) {
            app.mp_page(&dispute, &id, &file).await.expect_no_content();
        }
        assert_eq!(app.mp_consult(&id).await.as_array().unwrap().len(), 5);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn a_missing_or_non_string_file_or_a_malformed_body_is_a_param_error(app) {
        let (dispute, id) = empty_document(&app).await;
        let path = format!("/disputes/{dispute}/documents/{id}/pages");
        for body in [json!({}), json!({"File": null}), json!({"File": 5}), json!({"File": ["QUJD"]}), json!({"Document": id})] {
            let reply = app.mp_post(&path, body.clone()).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.body);
            reply.expect_mp_field_error(400, "param_error", "File");
        }
        let malformed = app.mp_request(Method::POST, &path).await.body(r#"{"File": "QUJD"#);
        let body = app.mp_send(malformed).await.expect_mp_error(400, "param_error");
        assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()), "{body}");
        let empty = app.mp_request(Method::POST, &path).await.header("content-length", "0");
        app.mp_send(empty).await.expect_mp_error(400, "param_error");
        assert_eq!(app.mp_consult(&id).await, json!([]));
    }

    async fn a_body_over_eleven_mebibytes_is_drained_and_answered_413(app) {
        let (dispute, id) = empty_document(&app).await;
        let blobs = app.blob_keys().await;
        // Valid base64 of a PDF, 12 MiB encoded: over the body limit, not just the page limit.
        let file = b64(&padded(PDF_MAGIC, "twelve", 9 * 1024 * 1024));
        assert!(file.len() > 11 * 1024 * 1024);
        let reply = post_file(&app, &dispute, &id, &file).await;
        reply.expect_mp_error_status(413);
        assert_nothing_left(&app, &blobs).await;
        // The connection survived: the next call on the same client works.
        app.mp_page(&dispute, &id, PNG).await.expect_no_content();
    }

    async fn a_large_page_refused_before_its_body_is_read_is_still_answered(app) {
        let (dispute, id) = empty_document(&app).await;
        // A valid 9 MB page (about 12 MB of base64 would be over the body limit; this is under).
        let file = b64(&padded(PDF_MAGIC, "big", MP_MAX_PAGE));
        let body = json!({ "File": file }).to_string();
        let token = app.mp_token().await;
        for _ in 0..3 {
            let unknown = format!("/disputes/{dispute}/documents/docu_test_0000000000000000000/pages");
            let req = app.mp_request_as(&token, Method::POST, &app.mp_path(&unknown)).body(body.clone());
            let reply = req.send().await;
            let reply = reply.unwrap_or_else(|e| panic!("the 404 is answered, not the connection reset: {e:?}"));
            assert_eq!(reply.status(), 404);
            let pages = app.mp_path(&format!("/disputes/{dispute}/documents/{id}/pages"));
            let req = app.mp_request_as("not-a-token-at-all-000", Method::POST, &pages).body(body.clone());
            let reply = req.send().await.unwrap_or_else(|e| panic!("the 401 is answered, not the connection reset: {e:?}"));
            assert_eq!(reply.status(), 401);
        }
    }
}
