//! A limit on every door (`RATE_LIMIT`): besides the Omise dialect's keys (auth.rs, multi.rs),
//! the Mangopay dialect per API key, the web sign-in per client address and per key tried, and
//! the evidence links per link; each door answers its own 429 with `Retry-After`, and with
//! `REDIS_URL` the budget is one for every process.

use crate::helpers::*;
use reqwest::{Method, redirect};
use serde_json::json;

/// A server allowing `limit` requests a minute per key, whose sign-in trusts the proxy on
/// loopback (the tests) for the client's address.
async fn limited(backend: Backend, limit: u32) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.rate_limit = limit;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await
}

/// `Retry-After`, in seconds, checked to be within the minute.
#[track_caller]
fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    let seconds: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    seconds
}

/// A sign-in with `key` from `address` (as the trusted proxy reports it): status, headers, page.
async fn sign_in(
    app: &TestApp,
    address: &str,
    key: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let browser = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser
        .post(app.url("/web/login"))
        .header("x-forwarded-for", address)
        .form(&[("key", key)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

each_backend! {
    async fn the_mangopay_dialect_counts_per_api_key_tokens_included(base) {
        let app = limited(base.backend, 3).await;
        drop(base);
        let token = app.token(MP_CLIENT, MP_KEY).await;
        let get = || app.mp_send(app.mp_request_as(&token, Method::GET, &app.mp_path("/disputes")));
        get().await.expect(200);
        // A call with an Idempotency-Key is counted once, though its layer and its handler both
        // need the caller.
        let dispute = app.mp_ops_dispute(json!({})).await;
        let create = app
            .mp_request_as(&token, Method::POST, &app.mp_path(&format!("/disputes/{dispute}/documents")))
            .header("idempotency-key", "limits-0123456789abcdef")
            .body(json!({"Type": "DELIVERY_PROOF"}).to_string());
        app.mp_send(create).await.expect(200);
        let refused = get().await;
        let wait = retry_after(&refused.headers);
        let body = refused.expect_mp_error(429, "too_many_requests");
        assert_eq!(body["Message"], format!("Too many requests: retry in {wait} seconds"));
        assert!(body.get("errors").is_some());
        // So is a new token for the same key.
        app.token_reply(MP_CLIENT, MP_KEY).await.expect_mp_error(429, "too_many_requests");
        // Budgets are per API key: another client's goes on.
        app.mp_get_as(MP_OTHER_CLIENT, MP_OTHER_KEY, &format!("/v2.01/{MP_OTHER_CLIENT}/disputes")).await.expect(200);
        // And the Omise dialect's keys have budgets of their own.
        app.get("/disputes").await.expect(200);
    }

    async fn the_web_sign_in_counts_per_client_address_and_per_key_tried(base) {
        let app = limited(base.backend, 3).await;
        drop(base);
        // One address trying three keys spends its budget; the right key is then refused too.
        for n in 0..3 {
            let (status, _, _) = sign_in(&app, "198.51.100.1", &format!("skey_test_wrong{n}")).await;
            assert_eq!(status, 401);
        }
        let (status, headers, page) = sign_in(&app, "198.51.100.1", KEY).await;
        assert_eq!(status, 429, "{page}");
        let wait = retry_after(&headers);
        assert!(page.contains("Too many sign-in attempts") && page.contains(&format!("try again in {wait} seconds")), "{page}");
        // Another address signs in.
        let (status, _, _) = sign_in(&app, "198.51.100.2", KEY).await;
        assert_eq!(status, 303);
        // One key tried from many addresses spends the key's budget.
        for n in 10..12 {
            let (status, _, _) = sign_in(&app, &format!("198.51.100.{n}"), KEY).await;
            assert_eq!(status, 303);
        }
        let (status, headers, _) = sign_in(&app, "198.51.100.20", KEY).await;
        assert_eq!(status, 429);
        retry_after(&headers);
        // A client cannot pick its address: what it writes before the proxy's entry is not it.
        let (status, _, _) = sign_in(&app, "203.0.113.50, 198.51.100.1", SECOND_KEY).await;
        assert_eq!(status, 429);
    }

    async fn an_evidence_link_counts_per_link(base) {
        let app = limited(base.backend, 3).await;
        drop(base);
        // Making links is the Omise key's business: two requests of its own budget.
        let make = || async {
            let link = app
                .send(app.request(Method::POST, &format!("/disputes/{OPEN_DISPUTE}/evidence_links")).json(&json!({})))
                .await
                .expect(200);
            link["url"].as_str().unwrap().to_owned()
        };
        let (first, second) = (make().await, make().await);
        for _ in 0..3 {
            assert_eq!(app.client.get(&first).send().await.unwrap().status(), 200);
        }
        let refused = app.client.get(&first).send().await.unwrap();
        assert_eq!(refused.status(), 429);
        let wait = retry_after(refused.headers());
        let page = refused.text().await.unwrap();
        assert!(page.contains(&format!("This link was used too often just now. Please try again in {wait} seconds.")), "{page}");
        // Every request of the link's pages counts (an upload too); another link has its own.
        let upload = app.client.post(format!("{first}/documents")).send().await.unwrap();
        assert_eq!(upload.status(), 429);
        assert_eq!(app.client.get(&second).send().await.unwrap().status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_sign_in_budget_is_one_for_every_server() {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let configure = |s: &mut dispute_docs::config::Settings| {
        s.rate_limit = 3;
        s.redis_url = Some(redis.parse().unwrap());
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    };
    let a = TestApp::spawn_with(Backend::Sqlite, configure).await;
    let b = TestApp::spawn_with(Backend::Sqlite, configure).await;
    // An address of this run's own, so that no other run's budget is in the way.
    let n = uuid::Uuid::new_v4().as_u128();
    let address = format!("2001:db8::{:x}:{:x}", (n >> 16) as u16, n as u16);
    for (i, server) in [&a, &b, &a].into_iter().enumerate() {
        let (status, _, _) = sign_in(server, &address, &format!("skey_test_shared{i}")).await;
        assert_eq!(status, 401);
    }
    for server in [&b, &a] {
        let (status, headers, _) = sign_in(server, &address, "skey_test_shared9").await;
        assert_eq!(status, 429);
        retry_after(&headers);
    }
}
