//! SPEC §§5–6: documents, their files, and the guard that freezes them once submitted.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use sha2::{Digest, Sha256};

async fn download(app: &TestApp, uri: &str) -> reqwest::Response {
    app.client
        .get(uri)
        .send()
        .await
        .expect("the download is answered")
}

each_backend! {
    async fn a_document_round_trips_upload_list_retrieve_download_and_delete(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "invoice.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        let id = doc["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("docu_test_"));
        assert_eq!(doc["object"], "document");
        assert_eq!(doc["location"], format!("/disputes/{dispute}/documents/{id}"));
        assert_eq!((doc["filename"].clone(), doc["kind"].clone()), (json!("invoice.pdf"), json!("proof_of_receipt")));
        assert_eq!((doc["content_type"].clone(), doc["size"].clone()), (json!("application/pdf"), json!(PDF.len())));
        assert_eq!(doc["sha256"], hex::encode(Sha256::digest(PDF)));
        assert_eq!(doc["deleted"], false);

        let list = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!((list["total"].clone(), list["data"][0]["id"].clone()), (json!(1), json!(id)));
        assert_eq!(list["location"], format!("/disputes/{dispute}/documents"));
        let embedded = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(embedded["documents"]["data"][0]["id"], id);
        let fetched = app.get(&format!("/disputes/{dispute}/documents/{id}")).await.expect(200);
        assert_eq!(fetched["sha256"], doc["sha256"]);

        let uri = fetched["download_uri"].as_str().unwrap().to_owned();
        assert!(uri.starts_with(&app.base), "{uri}");
        let file = download(&app, &uri).await;
        assert_eq!(file.status(), 200);
        let headers = file.headers().clone();
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["content-length"], PDF.len().to_string().as_str());
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"invoice.pdf\""));
        use base64::Engine;
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(PDF));
        assert_eq!(headers["repr-digest"], format!("sha-256=:{digest}:").as_str());
        assert_eq!(&file.bytes().await.unwrap()[..], PDF);
        // Never compressed, whatever the client accepts: the headers describe the stored bytes.
        let raw = app.client.get(&uri).header("accept-encoding", "gzip").send().await.unwrap();
        assert!(raw.headers().get("content-encoding").is_none());
        assert_eq!(raw.headers()["content-length"], PDF.len().to_string().as_str());

        let deleted = app.delete_document(&dispute, &id).await.expect(200);
        assert_eq!((deleted["id"].clone(), deleted["deleted"].clone()), (json!(id), json!(true)));
        app.get(&format!("/disputes/{dispute}/documents/{id}")).await.expect_error(404, "not_found");
        app.delete_document(&dispute, &id).await.expect_error(404, "not_found");
        assert_eq!(download(&app, &uri).await.status(), 404);
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 0);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn png_and_jpeg_are_told_by_their_bytes_not_their_names(app) {
        let dispute = app.open_dispute().await;
        let png = app.upload(&dispute, "scan.pdf", PNG, None).await.expect(200);
        assert_eq!((png["content_type"].clone(), png["kind"].clone()), (json!("image/png"), json!(null)));
        let jpeg = app.upload(&dispute, "photo", JPEG, Some("cardholder_details")).await.expect(200);
        assert_eq!(jpeg["content_type"], "image/jpeg");
    }

    async fn a_text_file_named_like_a_png_is_refused_and_leaves_nothing(app) {
        let dispute = app.open_dispute().await;
        let part = Part::bytes(b"this is not an image at all".to_vec()).file_name("evidence.png").mime_str("image/png").unwrap();
        let req = app.request(Method::POST, &format!("/disputes/{dispute}/documents")).multipart(Form::new().part("file", part));
        let body = app.send(req).await.expect_error(400, "invalid_file_type");
        assert_eq!(body["message"], "invalid content-type");
        for bytes in [&b""[..], b"%PD", b"GIF89a-and-more"] {
            app.upload(&dispute, "x.png", bytes, None).await.expect_error(400, "invalid_file_type");
        }
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 0);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn an_upload_over_ten_megabytes_is_refused_and_leaves_no_row_and_no_blob(app) {
        let dispute = app.open_dispute().await;
        let blobs_before = app.blob_keys().await;
        let big = real(FileType::Pdf, "huge", 11 * 1024 * 1024);
        app.upload(&dispute, "huge.pdf", &big, None).await.expect_error(413, "file_too_large");
        let over = real(FileType::Pdf, "just over", 10 * 1024 * 1024 + 1);
        app.upload(&dispute, "just-over.pdf", &over, None).await.expect_error(413, "file_too_large");
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 0);
        assert_eq!(app.blob_keys().await, blobs_before);
        let exact = real(FileType::Pdf, "at the limit", 10 * 1024 * 1024);
        let ok = app.upload(&dispute, "at-limit.pdf", &exact, None).await.expect(200);
        assert_eq!(ok["size"], 10 * 1024 * 1024);
    }

    async fn hostile_filenames_are_kept_for_display_and_served_safely(app) {
        let dispute = app.open_dispute().await;
        let long = "n".repeat(1000);
        for name in ["../../etc/passwd", "quote\"d 'name'.png", "tab\tin name.png", "証拠 évidence.png", long.as_str()] {
            let reply = app.upload(&dispute, name, PNG, None).await;
            assert_eq!(reply.status, 200, "{name:?}: {}", reply.body);
            let doc = reply.body;
            assert_eq!(doc["filename"], name);
            let file = download(&app, doc["download_uri"].as_str().unwrap()).await;
            assert_eq!(file.status(), 200, "{name:?}");
            let disposition = file.headers()["content-disposition"].to_str().unwrap().to_owned();
            assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
            assert!(!disposition.contains('/') && !disposition.contains('\n') && !disposition.contains("Set-Cookie:"), "{disposition}");
        }
        // Raw control characters cannot travel in a multipart header: a clean 400, not a crash.
        app.upload(&dispute, "ctrl\u{1}.png", PNG, None).await.expect_error(400, "bad_request");
        let too_long = "n".repeat(1025);
        app.upload(&dispute, &too_long, PNG, None).await.expect_error(400, "bad_request");
        // Whatever the names, blobs are under server-made keys.
        assert!(app.blob_keys().await.iter().all(|k| k.starts_with("documents/") && !k.contains("..")));
    }

    async fn expired_and_tampered_download_links_are_not_found(app) {
        let doc = app.get(&format!("/disputes/{OPEN_DISPUTE}/documents/{OPEN_DOCUMENT}")).await.expect(200);
        let uri = doc["download_uri"].as_str().unwrap().to_owned();
        assert_eq!(download(&app, &uri).await.status(), 200);
        let mut tampered = uri.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(download(&app, &tampered).await.status(), 404);
        let other_doc = uri.replace(OPEN_DOCUMENT, "docu_test_53f7n2a4rzvii1p8tn7");
        assert_eq!(download(&app, &other_doc).await.status(), 404);
        app.state.core.clock.advance(TimeDelta::minutes(61));
        let expired = download(&app, &uri).await;
        assert_eq!(expired.status(), 404);
        let body: serde_json::Value = expired.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }

    async fn another_accounts_documents_are_not_found(app) {
        let path = format!("/disputes/{OPEN_DISPUTE}/documents/{OPEN_DOCUMENT}");
        app.get_as(OTHER_ACCOUNT_KEY, &path).await.expect_error(404, "not_found");
        app.get_as(OTHER_ACCOUNT_KEY, &format!("/disputes/{OPEN_DISPUTE}/documents")).await.expect_error(404, "not_found");
        let delete = app.client.delete(app.url(&path)).basic_auth(OTHER_ACCOUNT_KEY, Some(""));
        app.send(delete).await.expect_error(404, "not_found");
        let upload = app.client.post(app.url(&format!("/disputes/{OPEN_DISPUTE}/documents"))).basic_auth(OTHER_ACCOUNT_KEY, Some(""))
            .multipart(Form::new().part("file", Part::bytes(PNG.to_vec()).file_name("x.png")));
        app.send(upload).await.expect_error(404, "not_found");
        // A document id under the wrong dispute is not found either.
        app.get(&format!("/disputes/dspt_test_4zgf15h89w8t775kcm8/documents/{OPEN_DOCUMENT}")).await.expect_error(404, "not_found");
        app.get(&path).await.expect(200);
    }

    async fn documents_cannot_be_added_or_removed_once_the_dispute_left_open(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "a.png", PNG, None).await.expect(200);
        let id = doc["id"].as_str().unwrap();
        app.update(&dispute, "here is our evidence").await.expect(200);
        app.upload(&dispute, "late.png", PNG, None).await.expect_error(422, "dispute_not_open");
        app.delete_document(&dispute, id).await.expect_error(422, "dispute_not_open");
        let accepted = app.open_dispute().await;
        app.accept(&accepted).await.expect(200);
        app.upload(&accepted, "late.png", PNG, None).await.expect_error(422, "dispute_not_open");
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn after_a_reopen_submitted_documents_stay_and_new_ones_can_come_and_go(app) {
        let dispute = app.open_dispute().await;
        let first = app.upload(&dispute, "first.png", PNG, None).await.expect(200);
        let first = first["id"].as_str().unwrap();
        app.update(&dispute, "submitted").await.expect(200);
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/reopen"), json!({})).await.expect(200);
        let body = app.delete_document(&dispute, first).await.expect_error(422, "document_already_submitted");
        assert!(body["message"].as_str().unwrap().contains(first));
        let second = app.upload(&dispute, "second.pdf", PDF, None).await.expect(200);
        app.delete_document(&dispute, second["id"].as_str().unwrap()).await.expect(200);
        let list = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!((list["total"].clone(), list["data"][0]["id"].clone()), (json!(1), json!(first)));
    }

    async fn malformed_uploads_are_bad_requests(app) {
        let path = format!("/disputes/{OPEN_DISPUTE}/documents");
        let no_file = Form::new().text("kind", "details_of_purchase");
        app.send(app.request(Method::POST, &path).multipart(no_file)).await.expect_error(400, "bad_request");
        app.upload(OPEN_DISPUTE, "a.png", PNG, Some("selfie")).await.expect_error(400, "bad_request");
        let not_multipart = app.request(Method::POST, &path).json(&json!({"file": "abc"}));
        app.send(not_multipart).await.expect_error(400, "bad_request");
        let broken = app.request(Method::POST, &path)
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\u{89}PNG");
        app.send(broken).await.expect_error(400, "bad_request");
        app.upload("dspt_test_0000000000000000000", "a.png", PNG, None).await.expect_error(404, "not_found");
        // Only the seeded document remains, and only its blob, whatever failed above.
        assert_eq!(app.get(&path).await.expect(200)["total"], 1);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn past_the_request_timeout_the_api_answers_503_in_json_but_uploads_and_downloads_go_on(base) {
        // A zero timeout: anything that waits on the database is cut off at once.
        let app = TestApp::spawn_with(base.backend, |s| s.request_timeout = 0).await;
        drop(base);
        let body = app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect_error(503, "service_unavailable");
        assert!(!body["message"].as_str().unwrap().contains("took longer"), "{body}");
        let doc = app.upload(OPEN_DISPUTE, "slow.pdf", PDF, None).await.expect(200);
        let file = download(&app, doc["download_uri"].as_str().unwrap()).await;
        assert_eq!(file.status(), 200);
    }

    async fn the_sweep_removes_old_blobs_no_row_names_and_keeps_the_rest(app) {
        app.state.core.blobs.put("documents/orphan", bytes::Bytes::from_static(b"left behind")).await.unwrap();
        let before = app.blob_keys().await;
        let now = app.state.core.clock.now();
        let grace = app.state.settings.sweep_grace();
        assert_eq!(grace, TimeDelta::minutes(10), "SWEEP_GRACE's default");
        let swept = dispute_docs::sweep::sweep(&app.state.core.store, &app.state.core.blobs, now, grace).await.unwrap();
        assert_eq!(swept.orphans, 0, "a young orphan may be an upload in flight");
        let later = now + grace + TimeDelta::minutes(1);
        let swept = dispute_docs::sweep::sweep(&app.state.core.store, &app.state.core.blobs, later, grace).await.unwrap();
        assert_eq!((swept.orphans, swept.partial_uploads), (1, 0));
        let after = app.blob_keys().await;
        assert_eq!(after.len(), before.len() - 1);
        assert!(!after.contains(&"documents/orphan".to_owned()));
        assert_eq!(after, app.row_blob_keys().await);
    }

    async fn filenames_are_stored_as_the_client_meant_them(app) {
        let dispute = app.open_dispute().await;
        for (disposition, stored) in [
            // WHATWG (browsers, urllib3 2): ", CR and LF escaped; nothing else is.
            ("filename=\"receipt %22final%22 100%25.png\"", "receipt \"final\" 100%25.png"),
            ("filename=\"two%0D%0Alines.png\"", "two\r\nlines.png"),
            // RFC 5987's extended form wins over the plain one.
            ("filename=\"fallback.png\"; filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2.png", "ราย.png"),
        ] {
            let boundary = "filename0boundary";
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; {disposition}\r\nContent-Type: image/png\r\n\r\n").into_bytes();
            body.extend_from_slice(PNG);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let doc = app.send(app.request(reqwest::Method::POST, &format!("/disputes/{dispute}/documents"))
                .header("content-type", format!("multipart/form-data; boundary={boundary}")).body(body)).await.expect(200);
            assert_eq!(doc["filename"], stored, "{disposition}");
        }
    }
}
