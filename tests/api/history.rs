//! The per-dispute history: every change appends what happened, to what, by whom, in the same
//! transaction as the change.

use crate::helpers::*;
use dispute_docs::domain::{Actor, HistoryKind, Id, IdKind};
use reqwest::Method;
use serde_json::json;

each_backend! {
    async fn a_dispute_s_whole_life_is_in_its_history(app) {
        // open, upload two, delete one, submit, reopen, upload, submit again, resolve
        let dispute = app.open_dispute().await;
        let kept = app.upload(&dispute, "kept.png", PNG, Some("proof_of_receipt")).await.expect(200);
        let removed = app.upload(&dispute, "gone.pdf", PDF, None).await.expect(200);
        let (kept, removed) = (kept["id"].as_str().unwrap().to_owned(), removed["id"].as_str().unwrap().to_owned());
        app.delete_document(&dispute, &removed).await.expect(200);
        app.update(&dispute, "first answer").await.expect(200);
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/reopen"), json!({})).await.expect(200);
        let later = app.upload(&dispute, "later.jpg", JPEG, None).await.expect(200);
        let later = later["id"].as_str().unwrap().to_owned();
        app.update(&dispute, "second answer").await.expect(200);
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/resolve"), json!({"outcome": "won"})).await.expect(200);

        let id = Id::parse(IdKind::Dispute, &dispute).unwrap();
        let history = app.state.core.history(&id).await.unwrap();
        let seen: Vec<(HistoryKind, Option<String>, &'static str)> = history
            .iter()
            .map(|e| (e.kind, e.document.as_ref().map(|d| d.to_string()), e.actor.kind()))
            .collect();
        use HistoryKind::*;
        let doc = |d: &str| Some(d.to_owned());
        assert_eq!(seen, vec![
            (Opened, None, "key"),
            (DocumentAdded, doc(&kept), "key"),
            (PageAdded, doc(&kept), "key"),
            (DocumentAdded, doc(&removed), "key"),
            (PageAdded, doc(&removed), "key"),
            (DocumentRemoved, doc(&removed), "key"),
            (StatusChanged, None, "key"),
            (DocumentStatusChanged, doc(&kept), "key"),
            (StatusChanged, None, "operator"),
            (DocumentAdded, doc(&later), "key"),
            (PageAdded, doc(&later), "key"),
            (StatusChanged, None, "key"),
            (DocumentStatusChanged, doc(&later), "key"),
            (StatusChanged, None, "operator"),
        ]);
        let actions: Vec<&str> = history
            .iter()
            .filter(|e| e.kind == StatusChanged)
            .map(|e| e.detail["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["submit", "reopen", "submit", "win"]);
        let reopen = history.iter().find(|e| e.detail["action"] == "reopen").unwrap();
        assert_eq!((reopen.detail["from"].clone(), reopen.detail["to"].clone()), (json!("under_review"), json!("awaiting_evidence")));
        assert_eq!(history[1].detail["kind"], "delivery_proof");
        assert_eq!(history[2].detail["sha256"], app.get(&format!("/disputes/{dispute}/documents/{kept}")).await.expect(200)["sha256"]);
        // Every entry names the key that acted, or no one for the operator.
        let key = history[0].actor.clone();
        assert!(matches!(key, Actor::Key(_)));
        assert!(history.iter().all(|e| e.actor == key || e.actor == Actor::Operator));
        assert!(history.windows(2).all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at));
    }

    async fn a_refused_change_leaves_no_history(app) {
        let id = Id::parse(IdKind::Dispute, PENDING_DISPUTE).unwrap();
        let before = app.state.core.history(&id).await.unwrap();
        app.update(PENDING_DISPUTE, "too late").await.expect_error(422, "dispute_not_open");
        app.upload(PENDING_DISPUTE, "late.png", PNG, None).await.expect_error(422, "dispute_not_open");
        app.accept(PENDING_DISPUTE).await.expect_error(422, "dispute_not_open");
        assert_eq!(app.state.core.history(&id).await.unwrap(), before);
    }
}
