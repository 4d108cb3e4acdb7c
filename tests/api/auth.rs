//! SPEC §1: who may call, and what each caller can see.

use crate::helpers::*;
use dispute_docs::domain::{Id, IdKind, Mode};
use reqwest::Method;

each_backend! {
    async fn a_request_without_a_key_is_refused_with_a_basic_challenge(app) {
        let reply = app.send(app.client.get(app.url("/disputes"))).await;
        let challenge = reply.headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        reply.expect_error(401, "authentication_failure");
        assert_eq!(challenge.as_deref(), Some("Basic realm=\"dispute-docs\""));
    }

    async fn public_unknown_and_malformed_keys_are_all_refused_alike(app) {
        for key in [
            "pkey_test_4xs8breq3htbkj03d2x",
            "skey_test_0000000000000000000",
            "skey_test_",
            "not a key",
            "",
        ] {
            app.get_as(key, "/disputes").await.expect_error(401, "authentication_failure");
        }
        let bearer = app.client.get(app.url("/disputes")).bearer_auth(KEY);
        app.send(bearer).await.expect_error(401, "authentication_failure");
    }

    async fn a_revoked_key_stops_working(app) {
        let account = Id::parse(IdKind::Account, DEMO_ACCOUNT).unwrap();
        let (key_id, secret) = dispute_docs::ops::issue_key(&app.state.core, &account, Mode::Test).await.unwrap();
        app.get_as(secret.expose(), "/disputes").await.expect(200);
        dispute_docs::ops::revoke_key(&app.state.core, &key_id).await.unwrap();
        app.get_as(secret.expose(), "/disputes").await.expect_error(401, "authentication_failure");
    }

    async fn a_live_key_sees_only_live_disputes_and_a_test_key_only_test_ones(app) {
        app.get_as(LIVE_KEY, &format!("/disputes/{OPEN_DISPUTE}")).await.expect_error(404, "not_found");
        app.get_as(KEY, &format!("/disputes/{LIVE_DISPUTE}")).await.expect_error(404, "not_found");
        let live = app.get_as(LIVE_KEY, "/disputes").await.expect(200);
        assert_eq!(live["total"], 2);
        assert!(live["data"].as_array().unwrap().iter().all(|d| d["livemode"] == true));
        let test = app.get_as(KEY, "/disputes").await.expect(200);
        assert!(test["data"].as_array().unwrap().iter().all(|d| d["livemode"] == false));
    }

    async fn another_accounts_dispute_is_not_found_and_never_listed(app) {
        let body = app.get_as(OTHER_ACCOUNT_KEY, &format!("/disputes/{OPEN_DISPUTE}")).await.expect_error(404, "not_found");
        assert_eq!(body["message"], format!("dispute {OPEN_DISPUTE} was not found"));
        app.get(&format!("/disputes/{OTHER_ACCOUNT_DISPUTE}")).await.expect_error(404, "not_found");
        let theirs = app.get_as(OTHER_ACCOUNT_KEY, "/disputes").await.expect(200);
        assert_eq!(theirs["total"], 1);
        assert_eq!(theirs["data"][0]["id"], OTHER_ACCOUNT_DISPUTE);
        // Their writes cannot touch ours either.
        let patch = app.client.request(Method::PATCH, app.url(&format!("/disputes/{OPEN_DISPUTE}")))
            .basic_auth(OTHER_ACCOUNT_KEY, Some("")).json(&serde_json::json!({"message": "mine"}));
        app.send(patch).await.expect_error(404, "not_found");
        app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
    }

    async fn two_keys_of_one_account_see_the_same_disputes(app) {
        let a = app.get_as(KEY, "/disputes").await.expect(200);
        let b = app.get_as(SECOND_KEY, "/disputes").await.expect(200);
        assert_eq!(a["total"], b["total"]);
        assert_eq!(a["data"][0]["id"], b["data"][0]["id"]);
    }

    async fn past_its_rate_limit_a_key_gets_429_with_retry_after(base) {
        let app = TestApp::spawn_with(base.backend, |s| s.rate_limit = 3).await;
        drop(base);
        for _ in 0..3 {
            app.get("/disputes").await.expect(200);
        }
        let reply = app.get("/disputes").await;
        let retry = reply.headers.get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        reply.expect_error(429, "too_many_requests");
        assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
        // Budgets are per key: another key of the same account still gets through.
        app.get_as(SECOND_KEY, "/disputes").await.expect(200);
    }

    async fn a_request_with_an_idempotency_key_counts_once_against_the_rate_limit(base) {
        let app = TestApp::spawn_with(base.backend, |s| s.rate_limit = 3).await;
        drop(base);
        // The idempotency layer and the handler both need the caller; the key is counted once.
        for n in 0..3 {
            let path = format!("/charges/chrg_test_5ratelimited{n:010}/disputes");
            app.send(app.request(reqwest::Method::POST, &path).header("Idempotency-Key", format!("open-{n}"))).await.expect(200);
        }
        app.get("/disputes").await.expect_error(429, "too_many_requests");
    }
}
