//! SPEC §§3 and 5: dispute objects, in both versions, and the status guard on update and accept.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const DISPUTE_FIELDS: [&str; 19] = [
    "object",
    "id",
    "livemode",
    "location",
    "currency",
    "amount",
    "funding_amount",
    "funding_currency",
    "metadata",
    "charge",
    "documents",
    "transactions",
    "admin_message",
    "message",
    "reason_code",
    "reason_message",
    "status",
    "closed_at",
    "created_at",
];

fn is_wire_time(v: &serde_json::Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 20 && s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
    })
}

each_backend! {
    async fn retrieve_returns_the_dispute_with_its_documents_and_transactions(app) {
        let d = app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        for field in DISPUTE_FIELDS {
            assert!(d.get(field).is_some(), "missing {field} in {d}");
        }
        assert_eq!(d["object"], "dispute");
        assert_eq!(d["id"], OPEN_DISPUTE);
        assert_eq!(d["location"], format!("/disputes/{OPEN_DISPUTE}"));
        assert_eq!((d["livemode"].clone(), d["status"].clone()), (json!(false), json!("open")));
        assert_eq!((d["currency"].clone(), d["amount"].clone()), (json!("THB"), json!(100000)));
        assert_eq!(d["funding_amount"], 100000);
        assert_eq!(d["metadata"], json!({}));
        assert_eq!(d["reason_code"], "goods_or_services_not_provided");
        assert_eq!(d["reason_message"], "Merchandise/Services Not Received");
        assert!(d["closed_at"].is_null() && d["message"].is_null() && d["admin_message"].is_null());
        assert!(is_wire_time(&d["created_at"]), "{}", d["created_at"]);
        let docs = &d["documents"];
        assert_eq!(docs["object"], "list");
        assert_eq!(docs["location"], format!("/disputes/{OPEN_DISPUTE}/documents"));
        assert_eq!((docs["total"].clone(), docs["limit"].clone(), docs["offset"].clone()), (json!(1), json!(20), json!(0)));
        assert_eq!(docs["data"][0]["id"], OPEN_DOCUMENT);
        assert_eq!(docs["from"], "1970-01-01T00:00:00Z");
        let trxn = &d["transactions"][0];
        assert_eq!(d["transactions"].as_array().unwrap().len(), 1);
        assert_eq!(trxn["object"], "transaction");
        assert!(trxn["id"].as_str().unwrap().starts_with("trxn_test_"));
        assert_eq!(trxn["location"], format!("/transactions/{}", trxn["id"].as_str().unwrap()));
        assert_eq!((trxn["direction"].clone(), trxn["key"].clone()), (json!("debit"), json!("dispute.started.debit")));
        assert_eq!((trxn["origin"].clone(), trxn["amount"].clone()), (json!(OPEN_DISPUTE), json!(100000)));
        assert!(is_wire_time(&trxn["transferable_at"]));
    }

    async fn the_2017_version_has_the_older_shape(app) {
        let d = app.get_versioned("2017-11-02", &format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        assert_eq!(d["currency"], "thb");
        assert!(d["transaction"].as_str().unwrap().starts_with("trxn_test_"));
        assert!(is_wire_time(&d["created"]));
        for absent in ["created_at", "transactions", "funding_amount", "funding_currency", "admin_message"] {
            assert!(d.get(absent).is_none(), "{absent} should be absent: {d}");
        }
        assert!(d["documents"]["order"].is_null());
        let doc = &d["documents"]["data"][0];
        assert!(is_wire_time(&doc["created"]) && doc.get("created_at").is_none());
        let list = app.get_versioned("2017-11-02", "/disputes").await.expect(200);
        assert_eq!(list["data"][0]["currency"], "thb");
    }

    async fn an_unknown_version_is_a_bad_request(app) {
        app.get_versioned("2099-01-01", "/disputes").await.expect_error(400, "bad_request");
    }

    async fn the_status_lists_hold_only_their_statuses(app) {
        for (path, allowed, total) in [
            ("/disputes", &["open", "pending", "won", "lost"][..], 12),
            ("/disputes/open", &["open"][..], 5),
            ("/disputes/pending", &["pending"][..], 3),
            ("/disputes/closed", &["won", "lost"][..], 4),
        ] {
            let list = app.get(path).await.expect(200);
            assert_eq!(list["object"], "list");
            assert_eq!(list["location"], path);
            assert_eq!(list["total"], total, "{path}");
            let data = list["data"].as_array().unwrap();
            assert_eq!(data.len(), total as usize);
            assert!(data.iter().all(|d| allowed.contains(&d["status"].as_str().unwrap())), "{path}");
        }
        let closed = app.get("/disputes/closed").await.expect(200);
        assert!(closed["data"].as_array().unwrap().iter().all(|d| is_wire_time(&d["closed_at"])));
    }

    async fn a_trailing_slash_is_accepted(app) {
        let list = app.get("/disputes/").await.expect(200);
        assert_eq!(list["total"], 12);
        app.get(&format!("/disputes/{OPEN_DISPUTE}/")).await.expect(200);
    }

    async fn update_by_form_submits_the_message_and_nested_metadata(app) {
        let form = "message=Delivered+on+time&metadata[color]=red&metadata%5Bnested%5D%5Ba%5D=1";
        let d = app.patch_form(&format!("/disputes/{OPEN_DISPUTE}"), form).await.expect(200);
        assert_eq!(d["status"], "pending");
        assert_eq!(d["message"], "Delivered on time");
        assert_eq!(d["metadata"], json!({"color": "red", "nested": {"a": "1"}}));
        let again = app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        assert_eq!(again["status"], "pending");
        assert_eq!(again["metadata"]["nested"]["a"], "1");
    }

    async fn update_by_json_replaces_the_metadata(app) {
        let id = app.open_dispute().await;
        let body = json!({"message": "see attached", "metadata": {"order": 42, "tags": ["a", "b"]}});
        let d = app.patch_json(&format!("/disputes/{id}"), body).await.expect(200);
        assert_eq!(d["metadata"], json!({"order": 42, "tags": ["a", "b"]}));
        assert_eq!(d["status"], "pending");
    }

    async fn a_second_update_is_refused_because_the_dispute_is_no_longer_open(app) {
        app.update(OPEN_DISPUTE, "first").await.expect(200);
        let body = app.update(OPEN_DISPUTE, "second").await.expect_error(422, "dispute_not_open");
        assert_eq!(body["message"], format!("dispute {OPEN_DISPUTE} is not open"));
        let d = app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        assert_eq!(d["message"], "first");
    }

    async fn update_needs_a_message_and_small_object_metadata(app) {
        let path = format!("/disputes/{OPEN_DISPUTE}");
        for body in [
            json!({}),
            json!({"message": ""}),
            json!({"message": " \r\n\t"}),
            json!({"message": "\u{1c}\u{3000}"}),
            json!({"message": null}),
            json!({"message": 5}),
            json!({"message": "ok", "metadata": "not an object"}),
            json!({"message": "ok", "metadata": {"big": "x".repeat(20_000)}}),
            json!({"message": "nul\u{0}inside"}),
            json!({"message": "ok", "metadata": {"k": {"deep": ["nul\u{0}"]}}}),
        ] {
            app.patch_json(&path, body.clone()).await.expect_error(400, "bad_request");
        }
        let bad_json = app.request(Method::PATCH, &path).header("content-type", "application/json").body("{not json");
        app.send(bad_json).await.expect_error(400, "bad_request");
        assert_eq!(app.get(&path).await.expect(200)["status"], "open");
    }

    async fn accept_loses_the_dispute_and_closes_it(app) {
        let d = app.accept(OPEN_DISPUTE).await.expect(200);
        assert_eq!(d["status"], "lost");
        assert_eq!(d["message"], "Merchant accepts the dispute");
        assert!(is_wire_time(&d["closed_at"]));
        app.accept(OPEN_DISPUTE).await.expect_error(422, "dispute_not_open");
        app.update(OPEN_DISPUTE, "too late").await.expect_error(422, "dispute_not_open");
        app.accept(PENDING_DISPUTE).await.expect_error(422, "dispute_not_open");
        let closed = app.get("/disputes/closed").await.expect(200);
        assert!(closed["data"].as_array().unwrap().iter().any(|d| d["id"] == OPEN_DISPUTE));
        // The kept totals moved with the status: 4 open, 3 pending, 5 closed of 12.
        let mut totals = Vec::new();
        for path in ["/disputes/open", "/disputes/pending", "/disputes/closed", "/disputes"] {
            totals.push(app.get(path).await.expect(200)["total"].as_i64().unwrap());
        }
        assert_eq!(totals, vec![4, 3, 5, 12]);
    }

    async fn the_test_api_opens_a_dispute_on_a_charge(app) {
        let charge = "chrg_test_5newcharge000000000";
        let body = json!({"amount": 4200, "currency": "usd", "reason_code": "credit_not_processed"});
        let d = app.send(app.request(Method::POST, &format!("/charges/{charge}/disputes")).json(&body)).await.expect(200);
        assert_eq!((d["status"].clone(), d["charge"].clone()), (json!("open"), json!(charge)));
        assert_eq!((d["amount"].clone(), d["currency"].clone()), (json!(4200), json!("USD")));
        assert_eq!(d["reason_code"], "credit_not_processed");
        assert!(d["id"].as_str().unwrap().starts_with("dspt_test_"));
        assert_eq!(d["id"].as_str().unwrap().len(), "dspt_test_".len() + 19);
        assert_eq!(d["transactions"][0]["amount"], 4200);
        let defaults = app.open_dispute().await;
        let d = app.get(&format!("/disputes/{defaults}")).await.expect(200);
        assert_eq!((d["amount"].clone(), d["currency"].clone()), (json!(100000), json!("THB")));
        // A charge is disputed once; bad values are refused.
        app.send(app.request(Method::POST, &format!("/charges/{charge}/disputes"))).await.expect_error(400, "bad_request");
        for body in [json!({"amount": 0}), json!({"amount": "x"}), json!({"currency": "baht"}), json!({"reason_code": "fraud"})] {
            let other = "chrg_test_5othercharge00000000";
            app.send(app.request(Method::POST, &format!("/charges/{other}/disputes")).json(&body)).await.expect_error(400, "bad_request");
        }
    }

    async fn live_keys_cannot_open_test_disputes(app) {
        let live = app.client.post(app.url("/charges/chrg_5livecharge00000000/disputes")).basic_auth(LIVE_KEY, Some(""));
        app.send(live).await.expect_error(404, "not_found");
    }

    async fn malformed_ids_are_bad_requests(app) {
        for path in ["/disputes/nope", "/disputes/dspt_test_UPPER", "/disputes/docu_test_5g5iiejzhyhbfyj6kzs", "/charges/xyz/disputes"] {
            let method = if path.starts_with("/charges") { Method::POST } else { Method::GET };
            app.send(app.request(method, path)).await.expect_error(400, "bad_request");
        }
        app.get("/disputes/dspt_test_0000000000000000000").await.expect_error(404, "not_found");
    }

    async fn unknown_routes_and_wrong_methods_answer_in_json(app) {
        app.get("/nothing/here").await.expect_error(404, "not_found");
        app.send(app.request(Method::PUT, "/disputes")).await.expect_error(405, "method_not_allowed");
        app.send(app.request(Method::DELETE, &format!("/disputes/{OPEN_DISPUTE}"))).await.expect_error(405, "method_not_allowed");
        let reply = app.get("/disputes").await;
        assert_eq!(reply.headers["content-type"], "application/json; charset=utf-8");
        assert!(reply.headers.contains_key("x-request-id"));
    }

    async fn health_and_readiness_answer_in_json(app) {
        let health = app.send(app.client.get(app.url("/healthz"))).await.expect(200);
        assert_eq!(health["status"], "ok");
        let ready = app.send(app.client.get(app.url("/readyz"))).await.expect(200);
        assert_eq!(ready["status"], "ready");
    }
}

/// Postgres only: the database disappears under a running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_unreachable_database_is_a_503_not_a_500() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.get("/disputes").await.expect(200);
    app.drop_database().await;
    let ready = app
        .send(app.client.get(app.url("/readyz")))
        .await
        .expect_error(503, "service_unavailable");
    assert!(
        !ready["message"].as_str().unwrap().contains("dd_test_"),
        "{ready}"
    );
    let away = app.get("/disputes").await;
    assert_eq!(
        away.headers.get("retry-after").map(|v| v.to_str().unwrap()),
        Some("1")
    );
    away.expect_error(503, "service_unavailable");
    let health = app
        .send(app.client.get(app.url("/healthz")))
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
}
