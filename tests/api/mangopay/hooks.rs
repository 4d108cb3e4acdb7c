//! Hooks and events, Mangopay dialect: one hook per EventType, managed as the SDKs do; events
//! listed with their filters and the 45-day window; notifications as GETs with `EventType`,
//! `RessourceId` and `Date`, retried on Mangopay's schedule; a hook failing 100 times in a row
//! turns INVALID.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::events::{Receiver, loopback_worker};
use crate::helpers::*;

async fn create_hook(app: &TestApp, event_type: &str, url: &str) -> Value {
    app.mp_post(
        "/hooks",
        json!({"EventType": event_type, "Url": url, "Tag": "mine"}),
    )
    .await
    .expect(200)
}

fn event_types(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["EventType"].as_str().unwrap().to_owned())
        .collect()
}

each_backend! {
    async fn hooks_are_created_viewed_updated_and_listed_one_per_event_type(app) {
        let hook = create_hook(&app, "DISPUTE_CREATED", "https://example.com/a?x=1").await;
        assert_eq!(hook["Status"], "ENABLED");
        assert_eq!(hook["Validity"], "VALID");
        assert_eq!(hook["EventType"], "DISPUTE_CREATED");
        assert_eq!(hook["Url"], "https://example.com/a?x=1");
        assert_eq!(hook["Tag"], "mine");
        assert!(hook["CreationDate"].is_i64());
        let id = hook["Id"].as_str().unwrap();
        let again = app.mp_post("/hooks", json!({"EventType": "DISPUTE_CREATED", "Url": "https://example.com/b"})).await;
        let errors = again.expect_mp_field_error(400, "param_error", "EventType");
        assert_eq!(errors["errors"]["EventType"], "A hook has already been registered for this EventType");
        app.mp_post("/hooks", json!({"EventType": "NOT_A_TYPE", "Url": "https://example.com/b"})).await.expect_mp_field_error(400, "param_error", "EventType");
        app.mp_post("/hooks", json!({"EventType": "DISPUTE_CLOSED"})).await.expect_mp_field_error(400, "param_error", "Url");
        assert_eq!(app.mp_get(&format!("/hooks/{id}")).await.expect(200), hook);
        // The Node SDK PUTs the whole object back; read-only fields are ignored.
        let mut whole = hook.clone();
        whole["Url"] = json!("https://example.com/moved");
        whole["Status"] = json!("DISABLED");
        whole["EventType"] = json!("DISPUTE_CLOSED");
        let updated = app.mp_put(&format!("/hooks/{id}"), whole).await.expect(200);
        assert_eq!((updated["Url"].as_str(), updated["Status"].as_str(), updated["EventType"].as_str()), (Some("https://example.com/moved"), Some("DISABLED"), Some("DISPUTE_CREATED")));
        // Hooks of different EventTypes may share a URL.
        create_hook(&app, "DISPUTE_CLOSED", "https://example.com/moved").await;
        let list = app.mp_get("/hooks?per_page=1").await;
        assert_eq!(list.headers["x-number-of-items"], "2");
        assert_eq!(list.expect(200).as_array().unwrap().len(), 1);
        app.mp_get("/hooks/whep_test_5nosuchhook000000000").await.expect_mp_error(404, "ressource_not_found");
        // The other dialect's endpoints are not hooks, and another client sees none of these.
        let other = app.mp_get_as(MP_OTHER_CLIENT, MP_OTHER_KEY, &format!("/v2.01/{MP_OTHER_CLIENT}/hooks/{id}")).await;
        other.expect_mp_error(404, "ressource_not_found");
    }

    async fn events_are_listed_by_type_and_date_within_45_days(app) {
        let dispute = app.mp_ops_dispute(json!({})).await;
        let doc = app.mp_document(&dispute, "DELIVERY_PROOF").await;
        app.mp_page(&dispute, doc["Id"].as_str().unwrap(), PNG).await.expect_no_content();
        app.mp_submit_document(&dispute, doc["Id"].as_str().unwrap()).await.expect(200);
        let all = app.mp_get("/events?per_page=100&Sort=CreationDate:ASC").await.expect(200);
        let mine: Vec<&Value> = all.as_array().unwrap().iter()
            .filter(|e| e["ResourceId"] == dispute.as_str() || e["ResourceId"] == doc["Id"])
            .collect();
        let types: Vec<&str> = mine.iter().map(|e| e["EventType"].as_str().unwrap()).collect();
        assert_eq!(types, ["DISPUTE_CREATED", "DISPUTE_ACTION_REQUIRED", "DISPUTE_DOCUMENT_CREATED", "DISPUTE_DOCUMENT_VALIDATION_ASKED"]);
        assert_eq!(mine[2]["ResourceId"], doc["Id"]);
        assert!(mine[0]["Date"].is_i64());
        let created = app.mp_get("/events?EventType=DISPUTE_DOCUMENT_CREATED&per_page=100").await;
        assert!(event_types(&created.body).iter().all(|t| t == "DISPUTE_DOCUMENT_CREATED"));
        assert!(created.headers.contains_key("x-number-of-pages"));
        let now = chrono::Utc::now().timestamp();
        let future = app.mp_get(&format!("/events?AfterDate={}", now + 3600)).await.expect(200);
        assert_eq!(future, json!([]));
        let old = app.mp_get(&format!("/events?AfterDate={}", now - 46 * 86_400)).await;
        assert_eq!(old.expect_mp_field_error(400, "param_error", "AfterDate")["errors"]["AfterDate"], "Events older than 45 days can not be searched");
        app.mp_get("/events?EventType=NOPE").await.expect_mp_field_error(400, "param_error", "EventType");
    }

    async fn a_hook_is_notified_with_a_get_and_retried_on_mangopay_s_schedule(app) {
        let receiver = Receiver::start().await;
        receiver.answers.lock().unwrap().push_back(500);
        let url = format!("http://{}/notify?shop=1", receiver.addr);
        create_hook(&app, "DISPUTE_DOCUMENT_CREATED", &url).await;
        let dispute = app.mp_ops_dispute(json!({})).await;
        let doc = app.mp_document(&dispute, "DELIVERY_PROOF").await;
        let worker = loopback_worker(&app);
        assert_eq!(worker.drain().await.unwrap(), 1, "only the hooked type is sent");
        let clock = app.state.core.clock.clone();
        clock.advance(TimeDelta::minutes(7));
        assert_eq!(worker.drain().await.unwrap(), 0);
        clock.advance(TimeDelta::minutes(6));
        assert_eq!(worker.drain().await.unwrap(), 1);
        let got = receiver.received();
        assert_eq!(got.len(), 2);
        for r in &got {
            assert_eq!(r.method, "GET");
            assert!(r.body.is_empty());
            let url = url::Url::parse(&format!("http://x{}", r.uri)).unwrap();
            let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
            assert_eq!(q["shop"], "1");
            assert_eq!(q["EventType"], "DISPUTE_DOCUMENT_CREATED");
            assert_eq!(q["RessourceId"], doc["Id"].as_str().unwrap());
            assert!(q["Date"].parse::<i64>().is_ok());
        }
        assert_eq!(got[0].uri, got[1].uri, "the same notification, the same Date");
    }

    async fn a_hook_failing_100_times_in_a_row_turns_invalid_until_revived(app) {
        let receiver = Receiver::start().await;
        receiver.answers.lock().unwrap().extend(std::iter::repeat_n(500, 100));
        let hook = create_hook(&app, "DISPUTE_CREATED", &format!("http://{}/n", receiver.addr)).await;
        let id = hook["Id"].as_str().unwrap().to_owned();
        let worker = loopback_worker(&app);
        for _ in 0..100 {
            app.mp_ops_dispute(json!({})).await;
        }
        worker.drain().await.unwrap();
        assert_eq!(receiver.received().len(), 100);
        let hook = app.mp_get(&format!("/hooks/{id}")).await.expect(200);
        assert_eq!(hook["Validity"], "INVALID");
        // No more notifications, new or retries.
        app.mp_ops_dispute(json!({})).await;
        app.state.core.clock.advance(TimeDelta::days(4));
        worker.drain().await.unwrap();
        assert_eq!(receiver.received().len(), 100);
        let revived = app.mp_put(&format!("/hooks/{id}"), json!({"Validity": "VALID"})).await.expect(200);
        assert_eq!(revived["Validity"], "VALID");
        app.mp_ops_dispute(json!({})).await;
        worker.drain().await.unwrap();
        assert_eq!(receiver.received().len(), 101);
    }
}
