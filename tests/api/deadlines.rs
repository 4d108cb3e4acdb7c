//! Evidence deadlines: set at opening from the account's evidence period; reminder events at
//! 72 h and 24 h before; at the deadline a dispute still awaiting evidence is lost (or, as
//! configured, submitted) and its draft documents go out of date — all on the injected clock.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

each_backend! {
    async fn a_dispute_s_deadline_comes_from_its_account_s_evidence_period(app) {
        let d = app.get(&format!("/disputes/{}", app.open_dispute().await)).await.expect(200);
        assert_eq!(time(&d["evidence_due_at"]) - time(&d["created_at"]), TimeDelta::days(7));
        let path = format!("/ops/accounts/{DEMO_ACCOUNT}");
        let set = app.ops(Method::PATCH, &path, json!({"evidence_days": 3})).await.expect(200);
        assert_eq!(set["evidence_days"], 3);
        let d = app.get(&format!("/disputes/{}", app.open_dispute().await)).await.expect(200);
        assert_eq!(time(&d["evidence_due_at"]) - time(&d["created_at"]), TimeDelta::days(3));
        app.ops(Method::PATCH, &path, json!({"evidence_days": 0})).await.expect_error(400, "bad_request");
        // A deadline no store can hold is refused, not a 500.
        for deadline in [-4_696_612_284_358_i64, -1, 253_402_300_800] {
            let body = json!({"account": DEMO_ACCOUNT, "charge": "chrg_test_5deadline00000000", "contest_deadline": deadline});
            app.ops(Method::POST, "/ops/disputes", body).await.expect_error(400, "bad_request");
        }
        app.ops(Method::PATCH, "/ops/accounts/acct_5nosuchaccount000000", json!({"evidence_days": 2})).await.expect_error(404, "not_found");
        // Mangopay shows the same deadline.
        let mp = app.mp_get(&format!("/disputes/{}", d["id"].as_str().unwrap())).await.expect(200);
        assert_eq!(mp["ContestDeadlineDate"].as_i64().unwrap(), time(&d["evidence_due_at"]).timestamp());
    }

    async fn reminders_go_out_before_the_deadline_and_then_the_dispute_is_lost(app) {
        let dispute = app.open_dispute().await;
        let draft = app.mp_document(&dispute, "DELIVERY_PROOF").await;
        let worker = app.state.worker();
        let clock = app.state.core.clock.clone();
        worker.run_once().await.unwrap();
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.update"]);
        clock.advance(TimeDelta::days(4) + TimeDelta::minutes(1)); // 71 h 59 min left
        worker.run_once().await.unwrap();
        worker.run_once().await.unwrap();
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.update", "dispute.deadline_near"]);
        clock.advance(TimeDelta::days(2)); // 23 h 59 min left
        worker.run_once().await.unwrap();
        let events = app.get(&format!("/disputes/{dispute}/events?order=chronological")).await.expect(200);
        let near: Vec<&Value> = events["data"].as_array().unwrap().iter().filter(|e| e["key"] == "dispute.deadline_near").collect();
        assert_eq!(near.len(), 2);
        assert_eq!(near[1]["data"]["status"], "open");
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "open");
        clock.advance(TimeDelta::days(1));
        worker.run_once().await.unwrap();
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(d["status"], "lost");
        assert!(d["closed_at"].is_string());
        assert_eq!(app.event_keys(&dispute).await.last().unwrap(), "dispute.close");
        // Its draft went out of date, with a Mangopay event of its own kind's history.
        let doc = app.mp_get(&format!("/dispute-documents/{}", draft["Id"].as_str().unwrap())).await.expect(200);
        assert_eq!(doc["Status"], "OUT_OF_DATE");
        let mp = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(mp["Status"], "CLOSED");
        let closed = app.mp_get("/events?EventType=DISPUTE_CLOSED&per_page=100").await.expect(200);
        assert!(closed.as_array().unwrap().iter().any(|e| e["ResourceId"] == dispute.as_str()));
        // Nothing more happens to it.
        clock.advance(TimeDelta::days(30));
        worker.run_once().await.unwrap();
        assert_eq!(app.event_keys(&dispute).await.len(), 5);
    }

    async fn an_answered_dispute_is_left_alone_and_a_late_opening_gets_only_the_last_reminder(app) {
        let answered = app.open_dispute().await;
        app.update(&answered, "our evidence").await.expect(200);
        let late = app.mp_ops_dispute(json!({"contest_deadline": (Utc::now() + TimeDelta::hours(10)).timestamp()})).await;
        let worker = app.state.worker();
        worker.run_once().await.unwrap();
        let late_keys = app.event_keys(&late).await;
        assert_eq!(late_keys, ["dispute.create", "dispute.deadline_near"]);
        let events = app.get(&format!("/disputes/{late}/events")).await.expect(200);
        assert_eq!(events["data"][1]["data"]["status"], "open");
        app.state.core.clock.advance(TimeDelta::days(8));
        worker.run_once().await.unwrap();
        assert_eq!(app.get(&format!("/disputes/{answered}")).await.expect(200)["status"], "pending");
        assert_eq!(app.get(&format!("/disputes/{late}")).await.expect(200)["status"], "lost");
    }

    async fn a_deadline_can_submit_the_evidence_instead(app) {
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "slip.pdf", PDF, None).await.expect(200);
        let worker = app.state.worker_with(|w| {
            w.deadlines.on_deadline = dispute_docs::core::deadlines::OnDeadline::Submit;
        });
        app.state.core.clock.advance(TimeDelta::days(7) + TimeDelta::seconds(1));
        worker.run_once().await.unwrap();
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(d["status"], "pending");
        let docs = app.mp_get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!(docs[0]["Status"], "VALIDATION_ASKED");
    }
}
