//! Test mode drives itself: `winning_evidence` / `losing_evidence` in a test dispute's answer
//! (Omise message, or a Mangopay document's tag) decide it, as the bank would; live keys never.

use serde_json::json;

use crate::helpers::*;

async fn keys(app: &TestApp, dispute: &str) -> Vec<String> {
    let list = app
        .get(&format!("/disputes/{dispute}/events?order=chronological"))
        .await
        .expect(200);
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_owned())
        .collect()
}

each_backend! {
    async fn winning_evidence_wins_a_test_dispute_with_its_credit_and_close_event(app) {
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "slip.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        app.update(&dispute, "Here is our winning_evidence").await.expect(200);
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(d["status"], "won");
        let kinds: Vec<&str> = d["transactions"].as_array().unwrap().iter().map(|t| t["direction"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["debit", "credit"]);
        assert_eq!(keys(&app, &dispute).await, ["dispute.create", "dispute.update", "dispute.update", "dispute.close"]);
    }

    async fn losing_evidence_loses_it(app) {
        let dispute = app.open_dispute().await;
        app.update(&dispute, "losing_evidence").await.expect(200);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "lost");
    }

    async fn a_mangopay_document_tag_decides_too(app) {
        let dispute = app.mp_ops_dispute(json!({})).await;
        let doc = app.mp_post(&format!("/disputes/{dispute}/documents"), json!({"Type": "DELIVERY_PROOF", "Tag": "winning_evidence"})).await.expect(200);
        app.mp_page(&dispute, doc["Id"].as_str().unwrap(), PNG).await.expect_no_content();
        let d = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        app.mp_put(&format!("/disputes/{dispute}/submit"), json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": 1000}})).await.expect(200);
        let d = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!((d["Status"].as_str(), d["ResultCode"].as_str()), (Some("CLOSED"), Some("WON")));
    }

    async fn live_keys_never_get_a_magic_decision(app) {
        let update = app.send(
            app.client.patch(app.url(&format!("/disputes/{LIVE_DISPUTE}"))).basic_auth(LIVE_KEY, Some(""))
                .json(&json!({"message": "winning_evidence"})),
        ).await.expect(200);
        assert_eq!(update["status"], "pending");
        let d = app.send(app.client.get(app.url(&format!("/disputes/{LIVE_DISPUTE}"))).basic_auth(LIVE_KEY, Some(""))).await.expect(200);
        assert_eq!(d["status"], "pending");
        // An ordinary test answer stays pending too.
        let dispute = app.open_dispute().await;
        app.update(&dispute, "ordinary evidence").await.expect(200);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "pending");
    }
}
