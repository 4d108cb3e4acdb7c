//! MANGOPAY.md §3 and §2.4: the token endpoint, bearer tokens on every call, their lifetime
//! (across restarts too), and one ClientId's token refused on another's path.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::json;

/// A GET of the demo dispute list with this Authorization header value (or none).
async fn list_with(app: &TestApp, authorization: Option<&str>) -> Reply {
    let mut req = app.client.get(app.url(&app.mp_path("/disputes")));
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    app.mp_send(req).await
}

each_backend! {
    async fn a_client_id_and_api_key_get_a_bearer_token_that_lists_disputes(app) {
        let reply = app.token_reply(MP_CLIENT, MP_KEY).await;
        let content_type = reply.headers["content-type"].to_str().unwrap().to_lowercase();
        let body = reply.expect(200);
        assert!(content_type.starts_with("application/json"), "{content_type}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_i64().is_some_and(|s| s > 60), "{body}");
        let token = body["access_token"].as_str().unwrap();
        assert!(token.len() >= 16, "{token}");

        let list = list_with(&app, Some(&format!("Bearer {token}"))).await.expect(200);
        assert!(!mp_ids(&list).is_empty());
    }

    async fn the_token_endpoint_takes_a_form_body_json_under_a_form_type_or_no_body(app) {
        let endpoint = app.url("/v2.01/oauth/token");
        let form = app.client.post(&endpoint).basic_auth(MP_CLIENT, Some(MP_KEY))
            .header("content-type", "application/x-www-form-urlencoded").body("grant_type=client_credentials");
        // Python sends JSON while declaring a form.
        let python = app.client.post(&endpoint).basic_auth(MP_CLIENT, Some(MP_KEY))
            .header("content-type", "application/x-www-form-urlencoded").body(r#"{"grant_type": "client_credentials"}"#);
        let empty = app.client.post(&endpoint).basic_auth(MP_CLIENT, Some(MP_KEY)).header("content-length", "0");
        let json = app.client.post(&endpoint).basic_auth(MP_CLIENT, Some(MP_KEY)).json(&json!({"grant_type": "client_credentials"}));
        for req in [form, python, empty, json] {
            let body = app.mp_send(req).await.expect(200);
            assert_eq!(body["token_type"], "Bearer");
            assert!(body["access_token"].is_string() && body["expires_in"].as_i64().unwrap() > 60);
        }
        let other_grant = app.client.post(&endpoint).basic_auth(MP_CLIENT, Some(MP_KEY))
            .header("content-type", "application/x-www-form-urlencoded").body("grant_type=password");
        app.mp_send(other_grant).await.expect_mp_error_status(400);
    }

    async fn wrong_basic_credentials_get_401_invalid_credentials(app) {
        for (client, key) in [
            (MP_CLIENT, "demo_api_key_wrong00000000000"),
            (MP_CLIENT, ""),
            ("no-such-client", MP_KEY),
            (MP_CLIENT, MP_OTHER_KEY),
            (MP_OTHER_CLIENT, MP_KEY),
            // An Omise key is not a Mangopay API key.
            (MP_CLIENT, KEY),
        ] {
            let body = app.token_reply(client, key).await.expect_mp_error(401, "invalid_credentials");
            assert!(body["errors"].is_null(), "{body}");
        }
        let endpoint = app.url("/v2.01/oauth/token");
        let none = app.client.post(&endpoint).header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials");
        let garbled = app.client.post(&endpoint).header("authorization", "Basic !!!not-base64!!!").body("grant_type=client_credentials");
        let bearer = app.client.post(&endpoint).bearer_auth(MP_KEY).body("grant_type=client_credentials");
        for req in [none, garbled, bearer] {
            app.mp_send(req).await.expect_mp_error(401, "invalid_credentials");
        }
    }

    async fn a_missing_unknown_or_misused_token_gets_401_invalid_credentials(app) {
        let token = app.token(MP_CLIENT, MP_KEY).await;
        let basic = format!("Basic {}", b64(format!("{MP_CLIENT}:{MP_KEY}").as_bytes()));
        let tampered = format!("Bearer {}x", token);
        let refused = [Some("Bearer not-a-token-at-all"), Some(tampered.as_str()), Some(basic.as_str()), Some(token.as_str())];
        for authorization in [None, Some("Bearer")].into_iter().chain(refused) {
            let body = list_with(&app, authorization).await.expect_mp_error(401, "invalid_credentials");
            assert!(body["errors"].is_null(), "{authorization:?}: {body}");
        }
        // Every kind of endpoint is behind the token.
        let id = OPEN_DISPUTE;
        for (method, path) in [
            (Method::GET, format!("/disputes/{id}")),
            (Method::PUT, format!("/disputes/{id}/submit")),
            (Method::POST, format!("/disputes/{id}/documents")),
            (Method::POST, format!("/dispute-documents/{OPEN_DOCUMENT}/consult")),
            (Method::GET, "/responses/some-key-0123456789".to_owned()),
        ] {
            let req = app.client.request(method, app.url(&app.mp_path(&path))).bearer_auth("unknown-token-0123456789").json(&json!({}));
            app.mp_send(req).await.expect_mp_error(401, "invalid_credentials");
        }
        // Nothing was changed by the refused calls.
        assert_eq!(app.mp_get(&format!("/disputes/{id}")).await.expect(200)["Status"], "PENDING_CLIENT_ACTION");
    }

    async fn the_bearer_scheme_is_matched_in_any_letter_case(app) {
        let token = app.token(MP_CLIENT, MP_KEY).await;
        for scheme in ["Bearer", "bearer", "BEARER"] {
            list_with(&app, Some(&format!("{scheme} {token}"))).await.expect(200);
        }
    }

    async fn a_token_works_for_its_whole_advertised_life_and_not_after(app) {
        let body = app.token_reply(MP_CLIENT, MP_KEY).await.expect(200);
        let token = body["access_token"].as_str().unwrap().to_owned();
        let lifetime = body["expires_in"].as_i64().unwrap();
        let authorization = format!("Bearer {token}");
        app.state.core.clock.advance(TimeDelta::seconds(lifetime - 5));
        list_with(&app, Some(&authorization)).await.expect(200);
        app.state.core.clock.advance(TimeDelta::seconds(10));
        list_with(&app, Some(&authorization)).await.expect_mp_error(401, "invalid_credentials");
        // A new token is issued as before.
        let fresh = app.token(MP_CLIENT, MP_KEY).await;
        list_with(&app, Some(&format!("Bearer {fresh}"))).await.expect(200);
    }

    async fn a_new_token_never_revokes_an_earlier_one(app) {
        let first = app.token(MP_CLIENT, MP_KEY).await;
        let second = app.token(MP_CLIENT, MP_KEY).await;
        let third = app.token(MP_CLIENT, MP_KEY).await;
        assert!(first != second && second != third && first != third);
        for token in [&third, &first, &second] {
            list_with(&app, Some(&format!("Bearer {token}"))).await.expect(200);
        }
    }

    async fn a_token_of_one_client_id_is_refused_on_another_client_ids_path(app) {
        let demo = app.token(MP_CLIENT, MP_KEY).await;
        let other = app.token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        for (token, path) in [
            (&demo, format!("/v2.01/{MP_OTHER_CLIENT}/disputes")),
            (&demo, format!("/v2.01/{MP_OTHER_CLIENT}/disputes/{OTHER_ACCOUNT_DISPUTE}")),
            (&other, format!("/v2.01/{MP_CLIENT}/disputes")),
            (&other, format!("/v2.01/{MP_CLIENT}/disputes/{OPEN_DISPUTE}")),
            (&other, format!("/v2.01/{MP_CLIENT}/dispute-documents/{OPEN_DOCUMENT}")),
            (&demo, "/v2.01/no-such-client/disputes".to_owned()),
        ] {
            let body = app.mp_send(app.mp_request_as(token, Method::GET, &path)).await.expect_mp_error(401, "invalid_credentials");
            assert!(body["errors"].is_null(), "{path}: {body}");
        }
        let close = app.mp_request_as(&other, Method::PUT, &format!("/v2.01/{MP_CLIENT}/disputes/{OPEN_DISPUTE}/close")).body("{}");
        app.mp_send(close).await.expect_mp_error(401, "invalid_credentials");
        assert_eq!(app.mp_get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200)["Status"], "PENDING_CLIENT_ACTION");

        // On its own path each ClientId sees its own account's disputes only.
        let theirs = app.mp_send(app.mp_request_as(&other, Method::GET, &format!("/v2.01/{MP_OTHER_CLIENT}/disputes"))).await.expect(200);
        assert_eq!(mp_ids(&theirs), vec![OTHER_ACCOUNT_DISPUTE.to_owned()]);
        let ours = app.mp_get("/disputes?per_page=100").await.expect(200);
        assert!(!mp_ids(&ours).contains(&OTHER_ACCOUNT_DISPUTE.to_owned()));
        let path = format!("/v2.01/{MP_OTHER_CLIENT}/disputes/{OPEN_DISPUTE}");
        app.mp_send(app.mp_request_as(&other, Method::GET, &path)).await.expect_mp_error(404, "ressource_not_found");
    }

    async fn a_test_mode_client_sees_no_live_dispute(app) {
        app.mp_get(&format!("/disputes/{LIVE_DISPUTE}")).await.expect_mp_error(404, "ressource_not_found");
        let all = app.mp_get("/disputes?per_page=100").await.expect(200);
        assert!(mp_ids(&all).iter().all(|id| id.starts_with("dspt_test_")), "{all}");
    }

    async fn a_token_stays_valid_across_a_server_restart(app) {
        let mut app = app;
        let token = app.token(MP_CLIENT, MP_KEY).await;
        let authorization = format!("Bearer {token}");
        list_with(&app, Some(&authorization)).await.expect(200);
        let old_base = app.base.clone();
        app.restart().await;
        assert_ne!(app.base, old_base, "a new server");
        let list = list_with(&app, Some(&authorization)).await.expect(200);
        assert!(!mp_ids(&list).is_empty());
        // The restarted server issues tokens too, and the old one still works beside them.
        let fresh = app.token(MP_CLIENT, MP_KEY).await;
        list_with(&app, Some(&format!("Bearer {fresh}"))).await.expect(200);
        list_with(&app, Some(&authorization)).await.expect(200);
        list_with(&app, Some("Bearer not-a-token-at-all")).await.expect_mp_error(401, "invalid_credentials");
    }

    async fn a_bearer_token_is_not_an_omise_key(app) {
        let token = app.token(MP_CLIENT, MP_KEY).await;
        app.get_as(&token, "/disputes").await.expect_error(401, "authentication_failure");
        let bearer = app.client.get(app.url("/disputes")).bearer_auth(&token);
        app.send(bearer).await.expect_error(401, "authentication_failure");
    }

    async fn an_operator_issued_mangopay_key_gets_a_token_for_its_new_client_id(app) {
        let account = app.ops(Method::POST, "/ops/accounts", json!({"name": "Shop", "client_id": "shop-client"})).await.expect(200);
        let account_id = account["id"].as_str().unwrap();
        let key = app.mp_issue_key(account_id).await;
        assert_eq!((key["object"].clone(), key["client_id"].clone()), (json!("key"), json!("shop-client")));
        assert_eq!(key["account"], account_id);
        assert_eq!(key["livemode"], false);
        let secret = key["secret"].as_str().unwrap();
        let token = app.token("shop-client", secret).await;
        let reply = app.mp_send(app.mp_request_as(&token, Method::GET, "/v2.01/shop-client/disputes")).await;
        assert_eq!(reply.counts(), (0, 0));
        assert_eq!(reply.expect(200), json!([]));
        // The new key is no key of the demo ClientId.
        app.token_reply(MP_CLIENT, secret).await.expect_mp_error(401, "invalid_credentials");
    }

    async fn revoking_a_mangopay_key_ends_its_tokens_and_refuses_new_ones(app) {
        let account = app.ops(Method::POST, "/ops/accounts", json!({"name": "Shop", "client_id": "revoked-shop"})).await.expect(200);
        let keys = format!("/ops/accounts/{}/keys", account["id"].as_str().unwrap());
        let key = app.ops(Method::POST, &keys, json!({"mode": "test", "dialect": "mangopay"})).await.expect(200);
        let spare = app.ops(Method::POST, &keys, json!({"mode": "test", "dialect": "mangopay"})).await.expect(200);
        let secret = key["secret"].as_str().unwrap();
        let token = app.token("revoked-shop", secret).await;
        let list = async |token: &str| app.mp_send(app.mp_request_as(token, Method::GET, "/v2.01/revoked-shop/disputes")).await;
        list(&token).await.expect(200);
        app.ops(Method::DELETE, &format!("/ops/keys/{}", key["id"].as_str().unwrap()), json!({})).await.expect(200);
        list(&token).await.expect_mp_error(401, "invalid_credentials");
        app.token_reply("revoked-shop", secret).await.expect_mp_error(401, "invalid_credentials");
        // The account's other key is untouched.
        let other = app.token("revoked-shop", spare["secret"].as_str().unwrap()).await;
        list(&other).await.expect(200);
    }

    async fn a_client_id_ending_in_disputes_creates_documents_on_pythons_path(app) {
        let account = app.ops(Method::POST, "/ops/accounts", json!({"name": "Shop", "client_id": "shop-disputes"})).await.expect(200);
        let account_id = account["id"].as_str().unwrap().to_owned();
        let key = app.mp_issue_key(&account_id).await;
        let token = app.token("shop-disputes", key["secret"].as_str().unwrap()).await;
        let dispute = app.mp_ops_dispute(json!({"account": account_id})).await;
        let node = format!("/v2.01/shop-disputes/disputes/{dispute}/documents");
        let req = app.mp_request_as(&token, Method::POST, &node).body(json!({"Type": "INVOICE"}).to_string());
        app.mp_send(req).await.expect(200);
        // Python: `/v2.01/shop-disputesdisputes/{id}/documents/`.
        let python = format!("/v2.01/shop-disputesdisputes/{dispute}/documents/");
        let req = app.mp_request_as(&token, Method::POST, &python).body(json!({"Type": "OTHER", "DisputeId": dispute}).to_string());
        let doc = app.mp_send(req).await.expect(200);
        assert_eq!((doc["Type"].clone(), doc["DisputeId"].clone()), (json!("OTHER"), json!(dispute)));
    }

    async fn a_client_id_the_operator_accepts_works_on_every_endpoint_whatever_its_name(app) {
        let mut failures = Vec::new();
        for client_id in ["consult", "oauth", "responses", "openapi"] {
            let reply = app.ops(Method::POST, "/ops/accounts", json!({"name": "Shop", "client_id": client_id})).await;
            if reply.status == 400 {
                continue; // refusing a ClientId that the dialect's own paths use is fine too
            }
            let account_id = reply.expect(200)["id"].as_str().unwrap().to_owned();
            let key = app.mp_issue_key(&account_id).await;
            let token = app.token(client_id, key["secret"].as_str().unwrap()).await;
            let dispute = app.mp_ops_dispute(json!({"account": account_id})).await;
            let mut call = async |method: Method, path: String, body: serde_json::Value| {
                let url = format!("/v2.01/{client_id}{path}");
                let response = app.mp_request_as(&token, method.clone(), &url).body(body.to_string()).send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                if !status.is_success() {
                    failures.push(format!("{method} {url}: {status} {text}"));
                }
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
            };
            call(Method::GET, "/disputes".into(), json!(null)).await;
            call(Method::GET, format!("/disputes/{dispute}"), json!(null)).await;
            call(Method::GET, format!("/disputes/{dispute}/transactions"), json!(null)).await;
            let doc = call(Method::POST, format!("/disputes/{dispute}/documents"), json!({"Type": "INVOICE"})).await;
            let created = doc["Status"] == "CREATED";
            let Some(doc) = doc["Id"].as_str().filter(|_| created).map(str::to_owned) else { continue };
            call(Method::POST, format!("/disputes/{dispute}/documents/{doc}/pages"), json!({"File": b64(PNG)})).await;
            call(Method::GET, format!("/disputes/{dispute}/documents"), json!(null)).await;
            call(Method::GET, format!("/dispute-documents/{doc}"), json!(null)).await;
            call(Method::POST, format!("/dispute-documents/{doc}/consult"), json!({})).await;
            call(Method::PUT, format!("/disputes/{dispute}/documents/{doc}"), json!({"Status": "VALIDATION_ASKED"})).await;
            call(Method::GET, "/responses/some-key-0123456789".into(), json!(null)).await;
        }
        // Only the lookup of a never-used idempotency key may fail (404).
        failures.retain(|f| !f.contains("/responses/some-key-0123456789: 404"));
        assert!(failures.is_empty(), "{failures:#?}");
    }
}

mod cached {
    use super::*;
    use std::time::{Duration, Instant};

    /// With `AUTH_CACHE_TTL` a token is looked up once and remembered: a key revoked by another
    /// process (straight in the store, unseen by this one) stops working within the TTL; one
    /// revoked through this process stops at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokens_are_remembered_for_the_auth_cache_ttl() {
        let app = TestApp::spawn_with(Backend::Postgres, |s| s.auth_cache_ttl = 1).await;
        let account = app
            .ops(
                Method::POST,
                "/ops/accounts",
                json!({"name": "Shop", "client_id": "cached-shop"}),
            )
            .await
            .expect(200);
        let keys = format!("/ops/accounts/{}/keys", account["id"].as_str().unwrap());
        let list = async |token: &str| {
            app.mp_send(app.mp_request_as(token, Method::GET, "/v2.01/cached-shop/disputes"))
                .await
        };

        let key = app
            .ops(
                Method::POST,
                &keys,
                json!({"mode": "test", "dialect": "mangopay"}),
            )
            .await
            .expect(200);
        let token = app
            .token("cached-shop", key["secret"].as_str().unwrap())
            .await;
        list(&token).await.expect(200);
        let id = dispute_docs::domain::Id::from_trusted(key["id"].as_str().unwrap().to_owned());
        assert!(
            app.state
                .core
                .store
                .revoke_key(&id, chrono::Utc::now())
                .await
                .unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let reply = list(&token).await;
            if reply.status == 401 {
                break;
            }
            assert_eq!(reply.status, 200);
            assert!(
                Instant::now() < deadline,
                "the revoked key's token still works"
            );
            tokio::task::yield_now().await;
        }

        let key = app
            .ops(
                Method::POST,
                &keys,
                json!({"mode": "test", "dialect": "mangopay"}),
            )
            .await
            .expect(200);
        let token = app
            .token("cached-shop", key["secret"].as_str().unwrap())
            .await;
        list(&token).await.expect(200);
        app.ops(
            Method::DELETE,
            &format!("/ops/keys/{}", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await
        .expect(200);
        list(&token)
            .await
            .expect_mp_error(401, "invalid_credentials");
    }
}
