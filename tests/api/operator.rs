//! SPEC §7: the operator surface under /ops/, behind its bearer token.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

each_backend! {
    async fn the_operator_api_needs_its_token(app) {
        let none = app.client.post(app.url("/ops/accounts")).json(&json!({"name": "x"}));
        app.send(none).await.expect_error(401, "authentication_failure");
        let wrong = app.client.post(app.url("/ops/accounts")).bearer_auth("not-the-token-at-all").json(&json!({"name": "x"}));
        let reply = app.send(wrong).await;
        assert_eq!(reply.headers["www-authenticate"], "Bearer realm=\"dispute-docs-ops\"");
        reply.expect_error(401, "authentication_failure");
        app.ops(Method::POST, "/ops/accounts", json!({"name": "  "})).await.expect_error(400, "bad_request");
        let merchant = app.client.post(app.url("/ops/accounts")).basic_auth(KEY, Some("")).json(&json!({"name": "x"}));
        app.send(merchant).await.expect_error(401, "authentication_failure");
    }

    async fn an_operator_creates_an_account_and_keys_that_work_and_can_be_revoked(app) {
        let account = app.ops(Method::POST, "/ops/accounts", json!({"name": "Shop"})).await.expect(200);
        let account_id = account["id"].as_str().unwrap();
        assert!(account_id.starts_with("acct_"));
        let key = app.ops(Method::POST, &format!("/ops/accounts/{account_id}/keys"), json!({"mode": "test"})).await.expect(200);
        let secret = key["secret"].as_str().unwrap();
        assert!(secret.starts_with("skey_test_"));
        assert_eq!(app.get_as(secret, "/disputes").await.expect(200)["total"], 0);
        let live = app.ops(Method::POST, &format!("/ops/accounts/{account_id}/keys"), json!({"mode": "live"})).await.expect(200);
        assert!(live["secret"].as_str().unwrap().starts_with("skey_") && live["livemode"] == true);
        app.ops(Method::DELETE, &format!("/ops/keys/{}", key["id"].as_str().unwrap()), json!({})).await.expect(200);
        app.get_as(secret, "/disputes").await.expect_error(401, "authentication_failure");
        app.ops(Method::POST, "/ops/accounts/acct_0000000000000000000/keys", json!({})).await.expect_error(404, "not_found");
        // The secret is never stored: only its hash is.
        let stored = app.sql_strings("select hint from api_keys").await;
        assert!(stored.iter().all(|h| h.len() == 4));
    }

    async fn an_operator_opens_a_live_dispute_and_the_bank_decides(app) {
        let body = json!({"account": DEMO_ACCOUNT, "mode": "live", "charge": "chrg_5opslivecharge000000", "amount": 777});
        let opened = app.ops(Method::POST, "/ops/disputes", body).await.expect(200);
        let id = opened["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("dspt_") && !id.contains("test"));
        let d = app.get_as(LIVE_KEY, &format!("/disputes/{id}")).await.expect(200);
        assert_eq!((d["amount"].clone(), d["livemode"].clone()), (json!(777), json!(true)));
        let resolve = format!("/ops/disputes/{id}/resolve");
        app.ops(Method::POST, &resolve, json!({"outcome": "won"})).await.expect_error(422, "dispute_not_pending");
        let submit = app.client.patch(app.url(&format!("/disputes/{id}"))).basic_auth(LIVE_KEY, Some("")).json(&json!({"message": "ours"}));
        app.send(submit).await.expect(200);
        let won = app.ops(Method::POST, &resolve, json!({"outcome": "won", "admin_message": "upheld"})).await.expect(200);
        assert_eq!((won["status"].clone(), won["admin_message"].clone()), (json!("won"), json!("upheld")));
        assert!(won["closed_at"].is_string());
        let credit = &won["transactions"][1];
        assert_eq!((credit["key"].clone(), credit["direction"].clone()), (json!("dispute.won.credit"), json!("credit")));
        assert!(credit["id"].as_str().unwrap().starts_with("trxn_") && credit["amount"] == 777);
        app.ops(Method::POST, &resolve, json!({"outcome": "lost"})).await.expect_error(422, "dispute_not_pending");
        app.ops(Method::POST, &format!("/ops/disputes/{id}/reopen"), json!({})).await.expect_error(422, "dispute_not_pending");
    }

    async fn a_pending_dispute_can_be_lost_or_reopened(app) {
        let lost = app.ops(Method::POST, &format!("/ops/disputes/{PENDING_DISPUTE}/resolve"), json!({"outcome": "lost"})).await.expect(200);
        assert_eq!(lost["status"], "lost");
        assert_eq!(lost["transactions"].as_array().unwrap().len(), 1);
        let other_pending = "dspt_test_5demopend7000000000";
        let reopened = app.ops(Method::POST, &format!("/ops/disputes/{other_pending}/reopen"), json!({})).await.expect(200);
        assert_eq!(reopened["status"], "open");
        app.update(other_pending, "more evidence").await.expect(200);
        app.ops(Method::POST, "/ops/disputes/dspt_test_0000000000000000000/reopen", json!({})).await.expect_error(404, "not_found");
    }
}
