//! Test clocks: a test key reads and advances its account's test-mode clock; new test objects,
//! deadlines, reminders, events and link expiry follow it, and what falls due on the way fires
//! in order before the advance answers. Live mode, and other accounts, stay on the real clock.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const DAY: i64 = 24 * 3600;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

impl TestApp {
    async fn advance(&self, seconds: i64) -> Value {
        self.send(
            self.request(Method::POST, "/test/clock/advance")
                .json(&json!({"seconds": seconds})),
        )
        .await
        .expect(200)
    }

    /// A dispute the operator opens in `mode` for the demo account, its deadline `days` ahead.
    async fn ops_dispute(&self, mode: &str, charge: &str, days: i64) -> String {
        let deadline = (Utc::now() + TimeDelta::days(days)).timestamp();
        let body = json!({"account": DEMO_ACCOUNT, "charge": charge, "mode": mode, "contest_deadline": deadline});
        let d = self
            .ops(Method::POST, "/ops/disputes", body)
            .await
            .expect(200);
        d["id"].as_str().unwrap().to_owned()
    }

    async fn status_as(&self, key: &str, dispute: &str) -> String {
        let d = self
            .get_as(key, &format!("/disputes/{dispute}"))
            .await
            .expect(200);
        d["status"].as_str().unwrap().to_owned()
    }
}

each_backend! {
    async fn advancing_the_clock_fires_the_reminders_then_the_deadline_in_order(app) {
        let clock = app.get("/test/clock").await.expect(200);
        assert_eq!((clock["object"].as_str(), clock["livemode"].as_bool(), clock["offset"].as_i64()), (Some("test_clock"), Some(false), Some(0)));
        assert!((time(&clock["now"]) - Utc::now()).num_seconds().abs() < 60);
        let dispute = app.open_dispute().await; // deadline in 7 days
        let live = app.ops_dispute("live", "chrg_5clocklive0000000000", 7).await;
        let before_live = app.get_as(LIVE_KEY, &format!("/disputes/{live}/events")).await.expect(200)["total"].clone();
        // The demo's open test disputes were opened with it, with the same deadline.
        let open = app.get("/disputes/open").await.expect(200)["total"].as_u64().unwrap();

        let moved = app.advance(4 * DAY + 60).await; // 71 h 59 min left
        assert_eq!(moved["offset"], 4 * DAY + 60);
        assert_eq!(moved["changed"].as_u64().unwrap(), open);
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.deadline_near"]);
        assert_eq!(app.get("/test/clock").await.expect(200)["offset"], 4 * DAY + 60);

        app.advance(2 * DAY).await; // 23 h 59 min left
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.deadline_near", "dispute.deadline_near"]);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "open");

        app.advance(DAY).await; // past the deadline
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(d["status"], "lost");
        assert!(time(&d["closed_at"]) >= time(&d["evidence_due_at"]));
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.deadline_near", "dispute.deadline_near", "dispute.close"]);
        // The events carry the test clock's times, in order.
        let events = app.get(&format!("/disputes/{dispute}/events?order=chronological")).await.expect(200);
        let at: Vec<DateTime<Utc>> = events["data"].as_array().unwrap().iter().map(|e| time(&e["created_at"])).collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
        assert!(at[3] - at[0] >= TimeDelta::days(7));

        // Live mode stayed on the real clock: its dispute, due in 7 real days, is untouched.
        assert_eq!(app.status_as(LIVE_KEY, &live).await, "open");
        assert_eq!(app.get_as(LIVE_KEY, &format!("/disputes/{live}/events")).await.expect(200)["total"], before_live);
        // And so did the worker's own pass on the real clock.
        app.state.worker().run_once().await.unwrap();
        assert_eq!(app.status_as(LIVE_KEY, &live).await, "open");
        // Another account's test clock has not moved.
        assert_eq!(app.get_as(OTHER_ACCOUNT_KEY, "/test/clock").await.expect(200)["offset"], 0);
    }

    async fn one_long_jump_fires_everything_on_the_way_at_its_own_time(app) {
        let dispute = app.open_dispute().await;
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        let due = time(&d["evidence_due_at"]);
        let open = app.get("/disputes/open").await.expect(200)["total"].as_u64().unwrap();
        let moved = app.advance(30 * DAY).await;
        assert_eq!(moved["changed"].as_u64().unwrap(), 3 * open, "{moved}");
        let events = app.get(&format!("/disputes/{dispute}/events?order=chronological")).await.expect(200);
        let seen: Vec<(&str, DateTime<Utc>)> = events["data"].as_array().unwrap().iter().map(|e| (e["key"].as_str().unwrap(), time(&e["created_at"]))).collect();
        let keys: Vec<&str> = seen.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["dispute.create", "dispute.deadline_near", "dispute.deadline_near", "dispute.close"]);
        assert_eq!(seen[1].1, due - TimeDelta::hours(72));
        assert_eq!(seen[2].1, due - TimeDelta::hours(24));
        assert_eq!(seen[3].1, due);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "lost");
    }

    async fn new_test_objects_and_lists_follow_the_clock(app) {
        app.advance(10 * DAY).await;
        let dispute = app.open_dispute().await;
        let d = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert!(time(&d["created_at"]) - Utc::now() > TimeDelta::days(9));
        assert_eq!(time(&d["evidence_due_at"]) - time(&d["created_at"]), TimeDelta::days(7));
        let doc = app.upload(&dispute, "slip.png", PNG, None).await.expect(200);
        assert!(time(&doc["created_at"]) - Utc::now() > TimeDelta::days(9));
        // Lists end at the caller's now, so what it just made is in them.
        let list = app.get("/disputes?order=reverse_chronological&limit=1").await.expect(200);
        assert_eq!(list["data"][0]["id"], dispute.as_str());
        let docs = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!(docs["total"], 1);
        // Mangopay's view of the same account's test mode agrees.
        let mp = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(mp["CreationDate"].as_i64().unwrap(), time(&d["created_at"]).timestamp());
        // A live object is made on the real clock.
        let live = app.ops_dispute("live", "chrg_5clocklive1000000000", 7).await;
        let l = app.get_as(LIVE_KEY, &format!("/disputes/{live}")).await.expect(200);
        assert!((time(&l["created_at"]) - Utc::now()).num_seconds().abs() < 60);
    }

    async fn download_and_consult_links_expire_on_the_test_clock(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "slip.png", PNG, None).await.expect(200);
        let url = doc["download_uri"].as_str().unwrap().to_owned();
        assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
        let mp_doc = app.mp_document(&dispute, "DELIVERY_PROOF").await;
        let mp_id = mp_doc["Id"].as_str().unwrap();
        app.mp_page(&dispute, mp_id, PNG).await.expect_no_content();
        let consult = app.mp_consult(mp_id).await;
        let consult_url = consult[0]["Url"].as_str().unwrap().to_owned();
        assert_eq!(app.client.get(&consult_url).send().await.unwrap().status(), 200);
        app.advance(2 * 3600).await; // past DOWNLOAD_URL_TTL (1 h) and the 10-minute consult links
        assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404);
        assert_eq!(app.client.get(&consult_url).send().await.unwrap().status(), 404);
        // A fresh link, issued on the test clock, works.
        let fresh = app.get(&format!("/disputes/{dispute}/documents/{}", doc["id"].as_str().unwrap())).await.expect(200);
        assert_eq!(app.client.get(fresh["download_uri"].as_str().unwrap()).send().await.unwrap().status(), 200);
    }

    async fn the_operator_signs_links_on_the_test_clock_too(app) {
        app.advance(2 * 3600).await; // past DOWNLOAD_URL_TTL (1 h)
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "slip.pdf", PDF, None).await.expect(200);
        app.patch_form(&format!("/disputes/{dispute}"), "message=Signed+slip").await.expect(200);
        let escalated = app.ops(Method::POST, &format!("/ops/disputes/{dispute}/escalate"), json!({})).await.expect(200);
        let uri = escalated["documents"]["data"][0]["download_uri"].as_str().unwrap();
        let downloaded = app.client.get(uri).send().await.unwrap();
        assert_eq!(downloaded.status(), 200);
        assert_eq!(downloaded.bytes().await.unwrap(), PDF);
    }

    async fn the_clock_is_for_test_keys_only_and_takes_a_forward_step(app) {
        for (method, path) in [(Method::GET, "/test/clock"), (Method::POST, "/test/clock/advance")] {
            app.send(app.client.request(method, app.url(path)).basic_auth(LIVE_KEY, Some("")).json(&json!({"seconds": 60})))
                .await.expect_error(404, "not_found");
        }
        for bad in [json!({}), json!({"seconds": 0}), json!({"seconds": -5}), json!({"seconds": "soon"}), json!({"seconds": 315_360_001})] {
            app.send(app.request(Method::POST, "/test/clock/advance").json(&bad)).await.expect_error(400, "bad_request");
        }
        // Form-encoded, as curl sends it.
        let moved = app.send(app.request(Method::POST, "/test/clock/advance").header("content-type", "application/x-www-form-urlencoded").body("seconds=90")).await.expect(200);
        assert_eq!(moved["offset"], 90);
        // A reset puts the clock back on the real time.
        app.send(app.request(Method::POST, "/test/reset")).await.expect(200);
        assert_eq!(app.get("/test/clock").await.expect(200)["offset"], 0);
    }
}
