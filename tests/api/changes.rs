//! A change to a dispute is one call on Postgres (a function holding the whole transaction,
//! store/changes_pg.rs) and a transaction of several statements on SQLite: on both, the rows, the
//! history and the events come out the same. Each event keeps the dispute and its first
//! documents exactly as the store reads them right after the change, and the ids the database
//! makes for events are laid out as `Id::generate` lays them out.

use dispute_docs::domain::{Id, IdKind};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// The newest event of a dispute, as the store reads it.
async fn newest_event(app: &TestApp, dispute: &str) -> dispute_docs::domain::Event {
    let list = app
        .get(&format!(
            "/disputes/{dispute}/events?order=reverse_chronological&limit=1"
        ))
        .await
        .expect(200);
    let id = Id::parse(IdKind::Event, list["data"][0]["id"].as_str().unwrap()).unwrap();
    app.state
        .core
        .store
        .event(None, &id)
        .await
        .unwrap()
        .unwrap()
}

/// Asserts that the newest event keeps the dispute and its first documents as they are now.
async fn keeps_what_is_now(app: &TestApp, dispute: &str) {
    let store = &app.state.core.store;
    let id = Id::parse(IdKind::Dispute, dispute).unwrap();
    let event = newest_event(app, dispute).await;
    assert_eq!(
        event.dispute,
        store.dispute(None, &id).await.unwrap().unwrap()
    );
    let mut documents = store.first_documents(&[&id], 20).await.unwrap();
    assert_eq!(event.documents, documents.remove(&id).unwrap_or_default());
}

each_backend! {
    async fn every_change_leaves_events_that_keep_the_dispute_as_the_store_reads_it(app) {
        let dispute = app.open_dispute().await;
        let store = &app.state.core.store;
        let id = Id::parse(IdKind::Dispute, &dispute).unwrap();

        // An upload: the document with its first page.
        let uploaded = app.upload(&dispute, "slip.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        keeps_what_is_now(&app, &dispute).await;
        assert_eq!(newest_event(&app, &dispute).await.document.unwrap().as_str(), uploaded["id"]);

        // A Mangopay document, created empty, then two pages: the positions follow on.
        let created = app.mp_document(&dispute, "DELIVERY_PROOF").await;
        keeps_what_is_now(&app, &dispute).await;
        let mp_id = created["Id"].as_str().unwrap();
        app.mp_page(&dispute, mp_id, PNG).await.expect_no_content();
        app.mp_page(&dispute, mp_id, JPEG).await.expect_no_content();
        let pages = store.pages(&Id::parse(IdKind::Document, mp_id).unwrap()).await.unwrap();
        let positions: Vec<i64> = pages.iter().map(|p| p.position).collect();
        assert_eq!(positions, [1, 2]);
        let history = store.history(&id).await.unwrap();
        let added: Vec<&serde_json::Value> = history.iter().filter(|h| h.document.as_ref().is_some_and(|d| d.as_str() == mp_id)).map(|h| &h.detail).collect();
        assert_eq!(added.len(), 3, "{added:?}");
        assert_eq!((added[1]["position"].as_i64(), added[2]["position"].as_i64()), (Some(1), Some(2)));

        // A tag, then a removal.
        app.mp_put(&format!("/disputes/{dispute}"), json!({"Tag": "order-42"})).await.expect(200);
        keeps_what_is_now(&app, &dispute).await;
        app.delete_document(&dispute, uploaded["id"].as_str().unwrap()).await.expect(200);
        keeps_what_is_now(&app, &dispute).await;
        assert_eq!(history_detail(&app, &id, "document_removed").await, json!({"pages": 1}));

        // The answer: the dispute as it left it, and its drafts submitted with it, each told.
        app.update(&dispute, "Signed slip attached").await.expect(200);
        let answered = newest_event(&app, &dispute).await;
        assert_eq!(answered.dispute, store.dispute(None, &id).await.unwrap().unwrap());
        let submitted = store.first_documents(&[&id], 20).await.unwrap().remove(&id).unwrap();
        assert!(submitted.iter().all(|d| d.status.as_str() == "submitted"), "{submitted:?}");
        let told = app.sql_strings(&format!("select topic from events where dispute_id = '{dispute}' order by seq")).await;
        assert_eq!(told, ["dispute_opened", "dispute_action_required", "document_added", "document_added", "dispute_updated", "document_removed", "dispute_submitted", "document_submitted"]);

        // Refused changes write nothing.
        let before = app.sql_strings("select cast(count(*) as text) from dispute_history").await;
        app.update(&dispute, "again").await.expect_error(422, "dispute_not_open");
        app.upload(&dispute, "late.pdf", PDF, None).await.expect_error(422, "dispute_not_open");
        app.mp_page(&dispute, mp_id, PNG).await.expect(400);
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/resolve"), json!({"outcome": "won"})).await.expect(200);
        let after = app.sql_strings("select cast(count(*) as text) from dispute_history").await;
        assert_eq!(before[0].parse::<i64>().unwrap() + 1, after[0].parse::<i64>().unwrap());
    }
}

/// The detail of a dispute's newest history entry of `kind`.
async fn history_detail(app: &TestApp, dispute: &Id, kind: &str) -> serde_json::Value {
    let history = app.state.core.store.history(dispute).await.unwrap();
    let entry = history
        .iter()
        .rev()
        .find(|h| h.kind.as_str() == kind)
        .unwrap();
    entry.detail.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ids_postgres_makes_for_events_are_laid_out_as_the_domain_makes_them() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    for seconds in [0_i64, 1_700_000_000, 4_294_967_295, 4_294_967_296 + 5] {
        let made: String = sqlx::query_scalar("select dd_id('evnt_test_', to_timestamp($1))")
            .bind(seconds as f64)
            .fetch_one(&pool)
            .await
            .unwrap();
        let id = Id::parse(IdKind::Event, &made).unwrap();
        let body = id.as_str().strip_prefix("evnt_test_").unwrap();
        assert_eq!(body.len(), dispute_docs::domain::ids::ID_BODY_LEN, "{made}");
        let value = u128::from_str_radix(body, 36).unwrap();
        assert_eq!(value >> 66, (seconds as u128) & 0xffff_ffff, "{made}");
        // The same second's ids from the domain start alike.
        let ours = Id::generate(IdKind::Event, dispute_docs::domain::Mode::Test, seconds);
        let ours =
            u128::from_str_radix(ours.as_str().strip_prefix("evnt_test_").unwrap(), 36).unwrap();
        assert_eq!(ours >> 66, value >> 66);
    }
    // Random below the second: two ids of one second differ.
    let two: Vec<String> =
        sqlx::query_scalar("select dd_id('evnt_', now()) from generate_series(1, 2)")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_ne!(two[0], two[1]);
    pool.close().await;
}
