//! `Idempotency-Key` in the Omise dialect: the first request with a key runs and its answer is
//! kept in the database; a retry with the same request replays it (`Idempotent-Replayed: true`),
//! the same key with another request is a 422, a retry while the first runs is a 409.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;

impl TestApp {
    fn keyed(&self, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.request(method, path).header("Idempotency-Key", key)
    }

    async fn keyed_upload(&self, dispute: &str, key: &str, bytes: &[u8]) -> Reply {
        // reqwest makes a new multipart boundary for every request, as retrying clients do.
        let form = Form::new().part("file", Part::bytes(bytes.to_vec()).file_name("slip.png"));
        self.send(
            self.keyed(Method::POST, &format!("/disputes/{dispute}/documents"), key)
                .multipart(form),
        )
        .await
    }

    async fn document_ids(&self, dispute: &str) -> Vec<String> {
        let list = self
            .get(&format!("/disputes/{dispute}/documents"))
            .await
            .expect(200);
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn replayed(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap())
}

each_backend! {
    async fn a_retried_update_replays_its_first_answer_and_acts_once(app) {
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}");
        let first = app.send(app.keyed(Method::PATCH, &path, "update-1042").json(&json!({"message": "slip attached"}))).await;
        assert_eq!(replayed(&first), None);
        let first = first.expect(200);
        assert_eq!(first["status"], "pending");
        let again = app.send(app.keyed(Method::PATCH, &path, "update-1042").json(&json!({"message": "slip attached"}))).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.expect(200), first);
        // Once: without the key, the same update is refused, since the dispute left open.
        app.update(&dispute, "slip attached").await.expect_error(422, "dispute_not_open");
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.update"]);
        // The same key with another request is refused.
        let other = app.send(app.keyed(Method::PATCH, &path, "update-1042").json(&json!({"message": "another"}))).await;
        other.expect_error(422, "idempotency_key_reused");
        let elsewhere = app.send(app.keyed(Method::PATCH, &format!("/disputes/{OPEN_DISPUTE}"), "update-1042").json(&json!({"message": "slip attached"}))).await;
        elsewhere.expect_error(422, "idempotency_key_reused");
    }

    async fn a_retried_upload_replays_with_a_new_boundary_and_makes_one_document(app) {
        let dispute = app.open_dispute().await;
        let first = app.keyed_upload(&dispute, "upload-1042", PNG).await.expect(200);
        let again = app.keyed_upload(&dispute, "upload-1042", PNG).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.expect(200)["id"], first["id"]);
        assert_eq!(app.document_ids(&dispute).await, [first["id"].as_str().unwrap()]);
        app.keyed_upload(&dispute, "upload-1042", PDF).await.expect_error(422, "idempotency_key_reused");
        assert_eq!(app.document_ids(&dispute).await.len(), 1);
        // A refusal is an answer too, and is replayed as it was.
        let refused = app.keyed_upload(&dispute, "upload-text", b"plain text, not evidence").await;
        refused.expect_error(400, "invalid_file_type");
        let again = app.keyed_upload(&dispute, "upload-text", b"plain text, not evidence").await;
        assert_eq!(replayed(&again), Some("true"));
        again.expect_error(400, "invalid_file_type");
    }

    async fn a_retried_delete_replays_its_answer(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "slip.png", PNG, None).await.expect(200);
        let path = format!("/disputes/{dispute}/documents/{}", doc["id"].as_str().unwrap());
        let first = app.send(app.keyed(Method::DELETE, &path, "delete-1042")).await.expect(200);
        assert_eq!(first["deleted"], true);
        let again = app.send(app.keyed(Method::DELETE, &path, "delete-1042")).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.expect(200), first);
        // Without the key it is gone.
        app.send(app.request(Method::DELETE, &path)).await.expect_error(404, "not_found");
    }

    async fn keys_belong_to_an_account_and_mode_and_outlive_a_restart(app) {
        let mut app = app;
        let charge = |n: u32| format!("/charges/chrg_test_5idempotent{n:09}/disputes");
        let mine = app.send(app.keyed(Method::POST, &charge(1), "open-1")).await.expect(200);
        // Another account's same key is its own.
        let theirs = app.send(app.client.post(app.url(&charge(2))).basic_auth(OTHER_ACCOUNT_KEY, Some("")).header("Idempotency-Key", "open-1")).await;
        assert_eq!(replayed(&theirs), None);
        assert_ne!(theirs.expect(200)["id"], mine["id"]);
        // A fresh process over the same database replays.
        app.restart().await;
        let again = app.send(app.keyed(Method::POST, &charge(1), "open-1")).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.expect(200)["id"], mine["id"]);
        // GET ignores the header; a malformed key is refused before anything runs.
        let got = app.send(app.keyed(Method::GET, "/disputes", "open-1")).await;
        assert_eq!(replayed(&got), None);
        got.expect(200);
        for bad in ["with space", &"k".repeat(256)] {
            app.send(app.keyed(Method::POST, &charge(3), bad)).await.expect_error(400, "bad_request");
        }
    }

    async fn a_retry_while_the_first_runs_is_a_409_and_one_document_is_made(app) {
        let dispute = app.open_dispute().await;
        // The first upload's body is held open until the second has been answered.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let body = reqwest::Body::wrap_stream(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }));
        let boundary = "held0open0boundary";
        let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slip.png\"\r\nContent-Type: image/png\r\n\r\n");
        let first = tokio::spawn(app.keyed(Method::POST, &format!("/disputes/{dispute}/documents"), "held-1042")
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body).send());
        tx.send(Ok(head.into_bytes())).await.unwrap();
        // Wait until the first request holds the key.
        let claimed = "select key from idempotency_keys where key = 'omise:held-1042'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while app.sql_strings(claimed).await.is_empty() {
            assert!(std::time::Instant::now() < deadline, "the first request never claimed its key");
            tokio::task::yield_now().await;
        }
        app.keyed_upload(&dispute, "held-1042", PNG).await.expect_error(409, "idempotency_key_in_use");
        tx.send(Ok(PNG.to_vec())).await.unwrap();
        tx.send(Ok(format!("\r\n--{boundary}--\r\n").into_bytes())).await.unwrap();
        drop(tx);
        let first = first.await.unwrap().unwrap();
        assert_eq!(first.status(), 200);
        let first: Value = first.json().await.unwrap();
        assert_eq!(app.document_ids(&dispute).await, [first["id"].as_str().unwrap()]);
    }

    async fn a_claim_its_process_never_answered_is_taken_over_after_an_hour(app) {
        let dispute = app.open_dispute().await;
        // A process claimed the key, then died before answering.
        let claimed = app.state.core.claim_idempotency(&app.scope(), "omise:orphan-1042").await.unwrap();
        assert!(claimed.is_none());
        let path = format!("/disputes/{dispute}");
        let retry = || app.keyed(Method::PATCH, &path, "orphan-1042").json(&json!({"message": "slip attached"}));
        app.send(retry()).await.expect_error(409, "idempotency_key_in_use");
        app.state.core.clock.advance(chrono::TimeDelta::minutes(61));
        let taken_over = app.send(retry()).await;
        assert_eq!(replayed(&taken_over), None);
        assert_eq!(taken_over.expect(200)["status"], "pending");
        assert_eq!(replayed(&app.send(retry()).await), Some("true"));
    }

    async fn a_replay_is_encoded_as_its_own_request_asks(app) {
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}");
        let first = app.keyed(Method::PATCH, &path, "gzip-1042").header("accept-encoding", "gzip")
            .json(&json!({"message": "slip attached"})).send().await.unwrap();
        assert_eq!(first.status(), 200);
        assert_eq!(first.headers()["content-encoding"], "gzip");
        let again = app.send(app.keyed(Method::PATCH, &path, "gzip-1042").json(&json!({"message": "slip attached"}))).await;
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.headers.get("content-encoding"), None);
        assert_eq!(again.expect(200)["id"], dispute.as_str());
    }
}
