//! Test mode drives itself: `winning_evidence` / `losing_evidence` in a test dispute's answer
//! (Omise message, or a Mangopay document's tag) decide it, as the bank would; live keys never.

use serde_json::json;

use crate::helpers::*;

each_backend! {
    async fn winning_evidence_wins_a_test_dispute_with_its_credit_and_close_event(app) {
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "slip.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        app.update(&dispute, "Here is our winning_evidence").await.expect(200);
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(d["status"], "won");
        let kinds: Vec<&str> = d["transactions"].as_array().unwrap().iter().map(|t| t["direction"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["debit", "credit"]);
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.update", "dispute.update", "dispute.close"]);
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

    async fn a_reset_removes_the_account_s_test_data_and_nothing_else(app) {
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "slip.pdf", PDF, None).await.expect(200);
        let keyed = app.mp_request(reqwest::Method::POST, &format!("/disputes/{dispute}/documents")).await
            .header("Idempotency-Key", "reset-me-0001-0000000").json(&json!({"Type": "DELIVERY_PROOF"}));
        app.mp_send(keyed).await.expect(200);
        let idempotency = format!("select key from idempotency_keys where account_id = '{DEMO_ACCOUNT}' and livemode = false");
        assert_eq!(app.sql_strings(&idempotency).await, ["reset-me-0001-0000000"]);
        let blobs_before = app.blob_keys().await.len();
        let other_before = app.get_as(OTHER_ACCOUNT_KEY, "/disputes").await.expect(200)["total"].clone();
        let live_before = app.send(app.client.get(app.url("/disputes")).basic_auth(LIVE_KEY, Some(""))).await.expect(200)["total"].clone();
        let reset = app.send(app.request(reqwest::Method::POST, "/test/reset")).await.expect(200);
        assert_eq!(reset["object"], "test_reset");
        assert!(reset["deleted"].as_u64().unwrap() >= 1);
        assert_eq!(reset["reseeded"], 0);
        let mine = app.get("/disputes").await.expect(200);
        assert_eq!(mine["total"], 0);
        assert_eq!(mine["data"], json!([]));
        assert_eq!(app.get("/events").await.expect(200)["total"], 0);
        app.get(&format!("/disputes/{dispute}")).await.expect_error(404, "not_found");
        // No test row of the account is left in any table that holds them.
        for sql in [
            format!("select id from disputes where account_id = '{DEMO_ACCOUNT}' and livemode = false"),
            format!("select id from documents where account_id = '{DEMO_ACCOUNT}' and livemode = false"),
            format!("select id from events where account_id = '{DEMO_ACCOUNT}' and livemode = false"),
            format!("select key from idempotency_keys where account_id = '{DEMO_ACCOUNT}' and livemode = false"),
            "select document_id from pages where document_id like 'docu_test_%' and document_id not in (select id from documents)".to_owned(),
            format!("select dispute_id from dispute_history where dispute_id = '{dispute}'"),
        ] {
            assert_eq!(app.sql_strings(&sql).await, Vec::<String>::new(), "{sql}");
        }
        // The account's test blobs are gone; the other account's rows and the live ones stay.
        let blobs = app.blob_keys().await;
        assert!(blobs.len() < blobs_before);
        assert_eq!(blobs.len(), app.row_blob_keys().await.len());
        assert_eq!(app.get_as(OTHER_ACCOUNT_KEY, "/disputes").await.expect(200)["total"], other_before);
        let live_after = app.send(app.client.get(app.url("/disputes")).basic_auth(LIVE_KEY, Some(""))).await.expect(200)["total"].clone();
        assert_eq!(live_after, live_before);
        // Reseeding brings the demo's test disputes back.
        let again = app.send(app.request(reqwest::Method::POST, "/test/reset").json(&json!({"reseed": true}))).await.expect(200);
        assert!(again["reseeded"].as_u64().unwrap() >= 1);
        app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        app.get(&format!("/disputes/{OPEN_DISPUTE}/documents/{OPEN_DOCUMENT}")).await.expect(200);
        // Live keys do not have it.
        app.send(app.client.post(app.url("/test/reset")).basic_auth(LIVE_KEY, Some(""))).await.expect_error(404, "not_found");
    }
}

/// A row written for a test dispute while a reset runs (the packet worker's history entry, say)
/// either lands before the reset holds the dispute and goes with it, or waits and then finds no
/// dispute: the reset never fails on it. Here the entry is in flight (uncommitted) when the reset
/// starts, and commits once the reset waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_waits_for_a_history_entry_in_flight_and_removes_it_too() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let dispute = app.open_dispute().await;
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let mut writer = pool.begin().await.unwrap();
    sqlx::query(
        "insert into dispute_history (dispute_id, kind, actor_kind, detail, created_at) \
         values ($1, 'packet_frozen', 'system', '{}', now())",
    )
    .bind(&dispute)
    .execute(&mut *writer)
    .await
    .unwrap();
    let reset = tokio::spawn(app.request(reqwest::Method::POST, "/test/reset").send());
    app.until_a_session_waits_for_a_lock("the reset to wait for the entry's lock")
        .await;
    writer.commit().await.unwrap();
    let reset = reset.await.unwrap().unwrap();
    assert_eq!(reset.status(), 200, "{:?}", reset.text().await);
    let history = format!("select kind from dispute_history where dispute_id = '{dispute}'");
    assert_eq!(app.sql_strings(&history).await, Vec::<String>::new());
    app.get(&format!("/disputes/{dispute}"))
        .await
        .expect_error(404, "not_found");
    pool.close().await;
}
