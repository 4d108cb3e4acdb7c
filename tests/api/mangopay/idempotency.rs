//! MANGOPAY.md §8 and #17: an `Idempotency-Key` on a POST is used once per ClientId for 24
//! hours, whatever the first call's outcome, and the first response can be looked up.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

/// A stored `StatusCode`, a number or (as Mangopay's own API sends it) a string of digits.
fn status_code(stored: &Value) -> u16 {
    match &stored["StatusCode"] {
        Value::Number(n) => n.as_u64().expect("a status") as u16,
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("a status: {stored}")),
        _ => panic!("a StatusCode: {stored}"),
    }
}

/// POSTs `body` to `/v2.01/{MP_CLIENT}{path}` with this Idempotency-Key.
async fn post_with_key(app: &TestApp, key: &str, path: &str, body: Value) -> Reply {
    let req = app
        .mp_request(Method::POST, path)
        .await
        .header("Idempotency-Key", key)
        .body(body.to_string());
    app.mp_send(req).await
}

each_backend! {
    async fn a_key_creates_once_then_conflicts_and_its_response_can_be_looked_up(app) {
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}/documents");
        let key = "doc-create-0123456789abcdef";
        // A call refused for its token does not spend the key.
        let refused = app.mp_request_as("not-a-token-at-all-000", Method::POST, &app.mp_path(&path))
            .header("Idempotency-Key", key).body(json!({"Type": "INVOICE"}).to_string());
        app.mp_send(refused).await.expect_mp_error(401, "invalid_credentials");
        let created = post_with_key(&app, key, &path, json!({"Type": "INVOICE", "Tag": "once"})).await.expect(200);
        let again = post_with_key(&app, key, &path, json!({"Type": "INVOICE", "Tag": "once"})).await;
        let body = again.expect_mp_error(409, "idempotent_creation_conflict");
        assert!(body["errors"].is_null(), "{body}");
        // A different body under the same key is a conflict too.
        post_with_key(&app, key, &path, json!({"Type": "OTHER"})).await.expect_mp_error(409, "idempotent_creation_conflict");
        assert_eq!(mp_ids(&app.mp_get(&path).await.expect(200)), vec![created["Id"].as_str().unwrap().to_owned()]);

        let stored = app.mp_get(&format!("/responses/{key}")).await.expect(200);
        assert_eq!(status_code(&stored), 200, "{stored}");
        assert_eq!(stored["Resource"], created);
        assert!(stored["ContentType"].as_str().is_some_and(|t| t.starts_with("application/json")), "{stored}");
        assert!(stored["ContentLength"].is_i64() || stored["ContentLength"].is_string(), "{stored}");
        assert!(stored["Date"].is_i64(), "{stored}");
        // Python looks it up with a doubled slash.
        assert_eq!(app.mp_get(&format!("/responses//{key}")).await.expect(200), stored);
    }

    async fn a_key_is_spent_even_by_a_refused_first_call(app) {
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}/documents");
        let key = "refused-first-0123456789";
        post_with_key(&app, key, &path, json!({"Tag": "no type"})).await.expect_mp_field_error(400, "param_error", "Type");
        post_with_key(&app, key, &path, json!({"Type": "INVOICE"})).await.expect_mp_error(409, "idempotent_creation_conflict");
        assert_eq!(app.mp_get(&path).await.counts(), (0, 0));
        let stored = app.mp_get(&format!("/responses/{key}")).await.expect(200);
        assert_eq!(status_code(&stored), 400, "{stored}");
        assert_eq!(stored["Resource"]["Type"], "param_error");
    }

    async fn a_page_posted_with_a_key_is_added_once(app) {
        let dispute = app.open_dispute().await;
        let id = app.mp_document(&dispute, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        let path = format!("/disputes/{dispute}/documents/{id}/pages");
        let key = "page-key-0123456789abcdef";
        post_with_key(&app, key, &path, json!({"File": b64(PNG)})).await.expect_no_content();
        post_with_key(&app, key, &path, json!({"File": b64(PNG)})).await.expect_mp_error(409, "idempotent_creation_conflict");
        assert_eq!(app.mp_page_bytes(&id).await.len(), 1);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
        let stored = app.mp_get(&format!("/responses/{key}")).await.expect(200);
        assert_eq!(status_code(&stored), 204, "{stored}");
    }

    async fn a_key_is_the_client_ids_own_and_lasts_a_day(app) {
        let key = "shared-key-0123456789ab";
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}/documents");
        post_with_key(&app, key, &path, json!({"Type": "INVOICE"})).await.expect(200);
        // The other ClientId may use the same key on its own dispute.
        let other = app.token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        let theirs = format!("/v2.01/{MP_OTHER_CLIENT}/disputes/{OTHER_ACCOUNT_DISPUTE}/documents");
        let req = app.mp_request_as(&other, Method::POST, &theirs).header("Idempotency-Key", key)
            .body(json!({"Type": "OTHER"}).to_string());
        app.mp_send(req).await.expect(200);
        let lookup = app.mp_request_as(&other, Method::GET, &format!("/v2.01/{MP_OTHER_CLIENT}/responses/{key}"));
        assert_eq!(app.mp_send(lookup).await.expect(200)["Resource"]["Type"], "OTHER");

        // Each ClientId looks up its own use of the key.
        assert_eq!(app.mp_get(&format!("/responses/{key}")).await.expect(200)["Resource"]["Type"], "INVOICE");

        app.state.core.clock.advance(TimeDelta::hours(23));
        post_with_key(&app, key, &path, json!({"Type": "INVOICE"})).await.expect_mp_error(409, "idempotent_creation_conflict");
        app.state.core.clock.advance(TimeDelta::hours(2));
        post_with_key(&app, key, &path, json!({"Type": "INVOICE"})).await.expect(200);
        assert_eq!(app.mp_get(&path).await.counts(), (2, 1));
    }

    async fn an_unknown_key_is_404_ressource_not_found(app) {
        let reply = app.mp_get("/responses/never-used-key-0123456789").await;
        reply.expect_mp_error(404, "ressource_not_found");
        // A POST without a key is never a conflict.
        let dispute = app.open_dispute().await;
        for _ in 0..2 {
            app.mp_document(&dispute, "OTHER").await;
        }
    }

    async fn concurrent_posts_with_one_key_create_once(app) {
        let app = std::sync::Arc::new(app);
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}/documents");
        app.mp_token().await;
        let tasks: Vec<_> = (0..12).map(|_| {
            let (app, path) = (app.clone(), path.clone());
            tokio::spawn(async move { post_with_key(&app, "racing-key-0123456789", &path, json!({"Type": "INVOICE"})).await })
        }).collect();
        let mut created = 0;
        for task in tasks {
            let reply = task.await.unwrap();
            if reply.status == 200 {
                created += 1;
            } else {
                reply.expect_mp_error(409, "idempotent_creation_conflict");
            }
        }
        assert_eq!(created, 1);
        assert_eq!(app.mp_get(&path).await.counts(), (1, 1));
    }
}
