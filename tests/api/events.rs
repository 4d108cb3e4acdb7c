//! Events and webhooks, Omise dialect: every change is an event written with it; `GET /events`
//! shows them as they were; endpoints registered by the operator receive signed POSTs from the
//! delivery worker, which retries on its schedule (the clock moved, never slept), gives up into
//! "dead", and sends again on request.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// An HTTP receiver on 127.0.0.1 that records every request and answers with the next queued
/// status (200 once the queue is empty).
pub struct Receiver {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Received>>>,
    pub answers: Arc<Mutex<VecDeque<u16>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::on(listener).await
    }

    pub async fn on(listener: tokio::net::TcpListener) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let answers: Arc<Mutex<VecDeque<u16>>> = Arc::default();
        let app = axum::Router::new().fallback({
            let (seen, answers) = (seen.clone(), answers.clone());
            move |req: axum::extract::Request| {
                let (seen, answers) = (seen.clone(), answers.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                    seen.lock().unwrap().push(Received {
                        method: parts.method.to_string(),
                        uri: parts.uri.to_string(),
                        headers: parts.headers,
                        body: String::from_utf8(body.to_vec()).unwrap(),
                    });
                    let status = answers.lock().unwrap().pop_front().unwrap_or(200);
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        "received",
                    )
                }
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            addr,
            seen,
            answers,
            _task: task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/omise?token=abc", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }
}

/// The app's delivery worker, allowed to reach 127.0.0.1, with no deadline reminders or
/// deadline actions (tests that move the clock by days would otherwise see their events; the
/// deadlines have tests of their own).
pub fn loopback_worker(app: &TestApp) -> dispute_docs::webhooks::Worker {
    app.state.worker_with(|w| {
        w.allow = vec!["127.0.0.0/8".parse().unwrap()];
        w.deadlines.reminders.clear();
        w.deadlines.on_deadline = dispute_docs::core::deadlines::OnDeadline::Nothing;
    })
}

/// Registers an endpoint for the demo account in test mode; returns (id, secret).
pub async fn add_endpoint(app: &TestApp, url: &str) -> (String, String) {
    let body = app
        .ops(
            Method::POST,
            &format!("/ops/accounts/{DEMO_ACCOUNT}/webhooks"),
            json!({"url": url, "mode": "test"}),
        )
        .await
        .expect(200);
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

fn hmac(secret: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&STANDARD.decode(secret).unwrap()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Checks both signature headers of a webhook POST against `secret`.
fn assert_signed(r: &Received, secret: &str) {
    let header = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
    let ts = header("omise-signature-timestamp");
    let expected = hex::encode(hmac(secret, format!("{ts}.{}", r.body).as_bytes()));
    assert!(
        header("omise-signature").split(',').any(|s| s == expected),
        "Omise-Signature"
    );
    let id = header("webhook-id");
    assert_eq!(header("webhook-timestamp"), ts);
    let expected = format!(
        "v1,{}",
        STANDARD.encode(hmac(secret, format!("{id}.{ts}.{}", r.body).as_bytes()))
    );
    assert!(
        header("webhook-signature")
            .split(' ')
            .any(|s| s == expected),
        "webhook-signature"
    );
}

async fn events_of(app: &TestApp, dispute: &str) -> Vec<Value> {
    let list = app
        .get(&format!(
            "/disputes/{dispute}/events?order=chronological&limit=100"
        ))
        .await
        .expect(200);
    list["data"].as_array().unwrap().clone()
}

each_backend! {
    async fn every_change_is_an_event_showing_the_dispute_as_it_was(app) {
        let dispute = app.open_dispute().await;
        let doc = app.upload(&dispute, "slip.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        app.update(&dispute, "here is our answer").await.expect(200);
        // A refused change writes nothing.
        app.update(&dispute, "again").await.expect_error(422, "dispute_not_open");
        app.ops(Method::POST, &format!("/ops/disputes/{dispute}/resolve"), json!({"outcome": "won"})).await.expect(200);

        let events = events_of(&app, &dispute).await;
        let keys: Vec<&str> = events.iter().map(|e| e["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["dispute.create", "dispute.update", "dispute.update", "dispute.close"]);
        let statuses: Vec<&str> = events.iter().map(|e| e["data"]["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["open", "open", "pending", "won"]);
        let document_counts: Vec<i64> = events.iter().map(|e| e["data"]["documents"]["total"].as_i64().unwrap()).collect();
        assert_eq!(document_counts, [0, 1, 1, 1]);
        assert_eq!(events[1]["data"]["documents"]["data"][0]["id"], doc["id"]);
        assert_eq!(events[2]["data"]["message"], "here is our answer");
        for e in &events {
            assert_eq!(e["object"], "event");
            assert!(e["id"].as_str().unwrap().starts_with("evnt_test_"));
            assert_eq!(e["livemode"], false);
            assert_eq!(e["location"], format!("/events/{}", e["id"].as_str().unwrap()));
            assert_eq!(e["webhook_deliveries"], json!([]));
            assert_eq!(e["data"]["object"], "dispute");
            assert_eq!(e["data"]["id"], dispute);
        }
        // One event, by id, is the same; the account's list has them too, newest first.
        let first = app.get(&format!("/events/{}", events[0]["id"].as_str().unwrap())).await.expect(200);
        assert_eq!(first, events[0]);
        let all = app.get("/events?limit=100").await.expect(200);
        assert_eq!(all["object"], "list");
        assert_eq!(all["location"], "/events");
        let listed = all["data"].as_array().unwrap();
        assert!(events.iter().all(|e| listed.contains(e)));
        assert_eq!(all["total"].as_u64().unwrap(), listed.len() as u64);
        // Another account and the other mode see none of them.
        app.get_as(OTHER_ACCOUNT_KEY, &format!("/events/{}", events[0]["id"].as_str().unwrap())).await.expect_error(404, "not_found");
        app.get_as(OTHER_ACCOUNT_KEY, &format!("/disputes/{dispute}/events")).await.expect_error(404, "not_found");
        app.get("/events/evnt_test_5nonexistent00000000").await.expect_error(404, "not_found");
        app.get("/events/nonsense").await.expect_error(400, "bad_request");
    }

    async fn an_event_shows_the_first_twenty_documents_as_they_are_when_the_dispute_has_more(app) {
        // Postgres keeps a full list of twenty between events (migrations/postgres/
        // …_snapshot_documents.sql): each change that touches it must show in the next event.
        let dispute = app.open_dispute().await;
        let mut ids = Vec::new();
        for i in 0..22 {
            let doc = app.upload(&dispute, &format!("slip-{i}.pdf"), PDF, Some("proof_of_receipt")).await.expect(200);
            ids.push(doc["id"].as_str().unwrap().to_owned());
        }
        let last_event = || async { events_of(&app, &dispute).await.pop().unwrap() };
        let shown = |event: &Value| -> Vec<String> {
            event["data"]["documents"]["data"].as_array().unwrap().iter()
                .map(|d| d["id"].as_str().unwrap().to_owned()).collect()
        };
        let pages_of = |event: &Value, id: &str| -> Value {
            event["data"]["documents"]["data"].as_array().unwrap().iter()
                .find(|d| d["id"] == id).map(|d| d["page_count"].clone()).unwrap()
        };
        let event = last_event().await;
        assert_eq!(event["data"]["documents"]["total"], 22);
        assert_eq!(shown(&event), ids[..20]);
        assert_eq!(pages_of(&event, &ids[3]), 1);

        // A listed document's first page changed the way the page counter does it, without
        // holding the dispute: the next event shows the change.
        app.sql_execute(&format!("update pages set file_pages = 7 where document_id = '{}' and position = 1", ids[3])).await;
        app.upload(&dispute, "slip-22.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        let event = last_event().await;
        assert_eq!(event["data"]["documents"]["total"], 23);
        assert_eq!(shown(&event), ids[..20]);
        assert_eq!(pages_of(&event, &ids[3]), 7);

        // A listed document removed: its own event and the next show the twenty-first in the list.
        app.delete_document(&dispute, &ids[1]).await.expect(200);
        let mut expected: Vec<String> = ids[..21].to_vec();
        expected.remove(1);
        assert_eq!(shown(&last_event().await), expected);
        app.upload(&dispute, "slip-23.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        let event = last_event().await;
        assert_eq!(event["data"]["documents"]["total"], 23);
        assert_eq!(shown(&event), expected);

        // The earlier events still show the lists they were written with.
        let events = events_of(&app, &dispute).await;
        let counts: Vec<i64> = events.iter().map(|e| e["data"]["documents"]["total"].as_i64().unwrap()).collect();
        assert_eq!(counts[counts.len() - 4..], [22, 23, 22, 23]);
        assert_eq!(shown(&events[events.len() - 4]), ids[..20]);
        assert_eq!(pages_of(&events[events.len() - 4], &ids[3]), 1);
    }

    async fn a_full_list_of_twenty_is_kept_between_events_until_one_of_its_documents_changes(app) {
        // Both backends keep a dispute's full list of first documents (the migrations'
        // …_snapshot_documents.sql) and copy it into the next events; what changes one of its
        // documents drops it, what comes after it does not.
        let dispute = app.open_dispute().await;
        let kept = format!(
            "select dispute_id from snapshot_documents where dispute_id = '{dispute}' and documents is not null"
        );
        let mut ids = Vec::new();
        for i in 0..21 {
            let doc = app.upload(&dispute, &format!("slip-{i}.pdf"), PDF, Some("proof_of_receipt")).await.expect(200);
            ids.push(doc["id"].as_str().unwrap().to_owned());
            // Shorter lists change with every upload: none is kept before the twentieth.
            assert_eq!(app.sql_strings(&kept).await.len(), usize::from(i >= 19), "after upload {i}");
        }
        // A document after the twenty changes (its first page, as a scan or the page counter
        // does it): the list stays, and the next event copies it.
        let set_pages = |id: &str, n: i64| format!("update pages set file_pages = {n} where document_id = '{id}' and position = 1");
        app.sql_execute(&set_pages(&ids[20], 2)).await;
        assert_eq!(app.sql_strings(&kept).await.len(), 1);
        // One of the twenty changes: the list goes, and the next event shows the change.
        app.sql_execute(&set_pages(&ids[0], 3)).await;
        assert!(app.sql_strings(&kept).await.is_empty());
        app.upload(&dispute, "slip-21.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        assert_eq!(app.sql_strings(&kept).await.len(), 1);
        let event = events_of(&app, &dispute).await.pop().unwrap();
        let listed = event["data"]["documents"]["data"].as_array().unwrap();
        let shown: Vec<&str> = listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(shown, ids[..20]);
        assert_eq!(listed[0]["page_count"], 3);
        // A listed document's row changed, and one removed: each drops the list.
        app.sql_execute(&format!("update documents set tag = 'moved' where id = '{}'", ids[5])).await;
        assert!(app.sql_strings(&kept).await.is_empty());
        app.upload(&dispute, "slip-22.pdf", PDF, Some("proof_of_receipt")).await.expect(200);
        assert_eq!(app.sql_strings(&kept).await.len(), 1);
        app.delete_document(&dispute, &ids[7]).await.expect(200);
        let event = events_of(&app, &dispute).await.pop().unwrap();
        let shown: Vec<&str> = event["data"]["documents"]["data"].as_array().unwrap().iter()
            .map(|d| d["id"].as_str().unwrap()).collect();
        let mut expected: Vec<&str> = ids[..21].iter().map(String::as_str).collect();
        expected.remove(7);
        assert_eq!(shown, expected);
    }

    async fn a_registered_endpoint_receives_signed_events_once(app) {
        let receiver = Receiver::start().await;
        let (_, secret) = add_endpoint(&app, &receiver.url()).await;
        let dispute = app.open_dispute().await;
        let worker = loopback_worker(&app);
        assert_eq!(worker.drain().await.unwrap(), 1);
        assert_eq!(worker.drain().await.unwrap(), 0, "delivered once");
        let got = receiver.received();
        assert_eq!(got.len(), 1);
        let r = &got[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri, "/hooks/omise?token=abc");
        assert_eq!(r.headers["content-type"], "application/json");
        assert_signed(r, &secret);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["object"], "event");
        assert_eq!(body["key"], "dispute.create");
        assert_eq!(body["webhook_deliveries"], json!([]));
        assert_eq!(body["data"]["id"], dispute);
        assert_eq!(r.headers["webhook-id"], body["id"].as_str().unwrap());
        // The event now shows the delivery, with the exact body sent.
        let event = app.get(&format!("/events/{}", body["id"].as_str().unwrap())).await.expect(200);
        let deliveries = event["webhook_deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0]["object"], "webhook_delivery");
        assert_eq!(deliveries[0]["status"], 200);
        assert_eq!(deliveries[0]["key"], "dispute.create");
        assert_eq!(deliveries[0]["uri"], receiver.url());
        assert_eq!(deliveries[0]["payload"], r.body.as_str());
        assert!(deliveries[0]["id"].as_str().unwrap().starts_with("whdl_test_"));
        // Changes of other accounts and modes do not reach it.
        app.send(app.client.post(app.url("/charges/chrg_test_5otheracct00000099/disputes")).basic_auth(OTHER_ACCOUNT_KEY, Some(""))).await.expect(200);
        assert_eq!(worker.drain().await.unwrap(), 0);
    }

    async fn a_failing_receiver_is_retried_on_the_schedule_until_it_recovers(app) {
        let receiver = Receiver::start().await;
        receiver.answers.lock().unwrap().extend([500, 503]);
        add_endpoint(&app, &receiver.url()).await;
        app.open_dispute().await;
        let worker = loopback_worker(&app);
        let clock = app.state.core.clock.clone();
        assert_eq!(worker.drain().await.unwrap(), 1);
        // Not due again before the first wait (5 s, jitter at most a fifth).
        clock.advance(TimeDelta::seconds(3));
        assert_eq!(worker.drain().await.unwrap(), 0);
        clock.advance(TimeDelta::seconds(3));
        assert_eq!(worker.drain().await.unwrap(), 1);
        // Then 5 minutes.
        clock.advance(TimeDelta::minutes(3));
        assert_eq!(worker.drain().await.unwrap(), 0);
        clock.advance(TimeDelta::minutes(3));
        assert_eq!(worker.drain().await.unwrap(), 1);
        let got = receiver.received();
        assert_eq!(got.len(), 3);
        // The same event on every attempt.
        assert!(got.iter().all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]));
        assert!(got.iter().all(|r| r.body == got[0].body));
        let event_id = got[0].headers["webhook-id"].to_str().unwrap().to_owned();
        let event = app.get(&format!("/events/{event_id}")).await.expect(200);
        let statuses: Vec<i64> = event["webhook_deliveries"].as_array().unwrap().iter().map(|d| d["status"].as_i64().unwrap()).collect();
        assert_eq!(statuses, [500, 503, 200]);
        clock.advance(TimeDelta::days(4));
        assert_eq!(worker.drain().await.unwrap(), 0, "nothing more once delivered");
    }

    async fn a_receiver_down_for_three_days_makes_the_delivery_dead_and_the_operator_resends_it(app) {
        // A port with nothing listening.
        let parked = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = parked.local_addr().unwrap();
        drop(parked);
        let url = format!("http://{addr}/hook");
        add_endpoint(&app, &url).await;
        app.open_dispute().await;
        let worker = loopback_worker(&app);
        let clock = app.state.core.clock.clone();
        let mut attempts = 0;
        for _ in 0..200 {
            attempts += worker.drain().await.unwrap();
            clock.advance(TimeDelta::minutes(30));
        }
        assert_eq!(attempts, 10, "the first try and nine retries");
        let dead = app.ops(Method::GET, "/ops/deliveries?state=dead", json!({})).await.expect(200);
        let dead = dead["data"].as_array().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0]["attempts"].as_array().unwrap().len(), 10);
        assert!(dead[0]["attempts"][0]["status"].is_null());
        assert!(dead[0]["attempts"][0]["error"].as_str().unwrap().contains("connect"), "{}", dead[0]["attempts"][0]);
        // About three days from the first try to the last (the waits ±20 %, each seen up to
        // half an hour late here).
        let times: Vec<chrono::DateTime<chrono::Utc>> = dead[0]["attempts"].as_array().unwrap().iter()
            .map(|a| a["created_at"].as_str().unwrap().parse().unwrap()).collect();
        let span = *times.last().unwrap() - times[0];
        assert!(span >= TimeDelta::hours(57) && span <= TimeDelta::hours(91), "{span}");
        // The receiver comes back; the operator sends the dead delivery again.
        let receiver = Receiver::on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
        let seq = dead[0]["id"].as_i64().unwrap();
        let again = app.ops(Method::POST, &format!("/ops/deliveries/{seq}/redeliver"), json!({})).await.expect(200);
        assert_eq!(again["state"], "pending");
        assert_eq!(worker.drain().await.unwrap(), 1);
        assert_eq!(receiver.received().len(), 1);
        let done = app.ops(Method::GET, "/ops/deliveries?state=succeeded", json!({})).await.expect(200);
        assert_eq!(done["data"][0]["id"], seq);
        app.ops(Method::POST, "/ops/deliveries/999999/redeliver", json!({})).await.expect_error(404, "not_found");
    }

    async fn a_rotated_secret_signs_beside_the_old_one_for_a_day(app) {
        let receiver = Receiver::start().await;
        let (id, old) = add_endpoint(&app, &receiver.url()).await;
        let rotated = app.ops(Method::POST, &format!("/ops/accounts/{DEMO_ACCOUNT}/webhooks/{id}/rotate"), json!({})).await.expect(200);
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let worker = loopback_worker(&app);
        app.open_dispute().await;
        worker.drain().await.unwrap();
        let first = receiver.received().pop().unwrap();
        assert_signed(&first, &new);
        assert_signed(&first, &old);
        assert_eq!(first.headers["omise-signature"].to_str().unwrap().split(',').count(), 2);
        app.state.core.clock.advance(TimeDelta::hours(25));
        app.open_dispute().await;
        worker.drain().await.unwrap();
        let later = receiver.received().pop().unwrap();
        assert_signed(&later, &new);
        assert_eq!(later.headers["omise-signature"].to_str().unwrap().split(',').count(), 1);
        assert_eq!(later.headers["webhook-signature"].to_str().unwrap().split(' ').count(), 1);
    }

    async fn loopback_is_refused_unless_allowed_and_live_endpoints_need_https(app) {
        let receiver = Receiver::start().await;
        add_endpoint(&app, &receiver.url()).await;
        app.open_dispute().await;
        let worker = app.state.worker();
        assert_eq!(worker.drain().await.unwrap(), 1);
        assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
        let pending = app.ops(Method::GET, "/ops/deliveries?state=pending", json!({})).await.expect(200);
        let error = pending["data"][0]["attempts"][0]["error"].as_str().unwrap();
        assert!(error.contains("may not reach"), "{error}");
        let path = format!("/ops/accounts/{DEMO_ACCOUNT}/webhooks");
        let live = app.ops(Method::POST, &path, json!({"url": "http://example.com/hook", "mode": "live"})).await;
        assert!(live.expect_error(400, "bad_request")["message"].as_str().unwrap().contains("https"));
        app.ops(Method::POST, &path, json!({"url": "https://example.com/hook", "mode": "live"})).await.expect(200);
        app.ops(Method::POST, &path, json!({"url": "not a url"})).await.expect_error(400, "bad_request");
        app.ops(Method::POST, "/ops/accounts/acct_5nosuchaccount000000/webhooks", json!({"url": "https://example.com/"})).await.expect_error(404, "not_found");
    }

    async fn endpoints_are_listed_without_secrets_and_removed_with_their_deliveries(app) {
        let (id, _) = add_endpoint(&app, "https://example.com/a").await;
        let path = format!("/ops/accounts/{DEMO_ACCOUNT}/webhooks");
        let again = app.ops(Method::POST, &path, json!({"url": "https://example.com/a", "mode": "test"})).await;
        assert!(again.expect_error(400, "bad_request")["message"].as_str().unwrap().contains("has an endpoint already"));
        let list = app.ops(Method::GET, &path, json!({})).await.expect(200);
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(list["data"][0]["id"], id.as_str());
        assert!(list["data"][0].get("secret").is_none());
        app.open_dispute().await;
        let pending = app.ops(Method::GET, "/ops/deliveries?state=pending", json!({})).await.expect(200);
        assert_eq!(pending["data"].as_array().unwrap().len(), 1);
        app.ops(Method::DELETE, &format!("{path}/{id}"), json!({})).await.expect(200);
        app.ops(Method::DELETE, &format!("{path}/{id}"), json!({})).await.expect_error(404, "not_found");
        let list = app.ops(Method::GET, &path, json!({})).await.expect(200);
        assert_eq!(list["data"], json!([]));
        let pending = app.ops(Method::GET, "/ops/deliveries?state=pending", json!({})).await.expect(200);
        assert_eq!(pending["data"], json!([]));
    }
}

/// A page worker's change (it does not hold the dispute) in flight while an upload builds the
/// list of twenty that Postgres then keeps: the list read before the change commits is not kept
/// after it, so the next event shows the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_of_twenty_read_before_a_page_worker_commits_is_not_kept() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let dispute = app.open_dispute().await;
    let mut ids = Vec::new();
    for i in 0..19 {
        let doc = app
            .upload(
                &dispute,
                &format!("slip-{i}.pdf"),
                PDF,
                Some("proof_of_receipt"),
            )
            .await
            .expect(200);
        ids.push(doc["id"].as_str().unwrap().to_owned());
    }
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let mut worker = pool.begin().await.unwrap();
    sqlx::query("update pages set file_pages = 5 where document_id = $1 and position = 1")
        .bind(&ids[3])
        .execute(&mut *worker)
        .await
        .unwrap();
    // The twentieth upload fills the list while the worker's change is uncommitted.
    let upload = {
        let request = app
            .request(Method::POST, &format!("/disputes/{dispute}/documents"))
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("slip-19.pdf"),
            ));
        tokio::spawn(request.send())
    };
    app.until_a_session_waits_for_a_lock("the upload to wait for the worker's change")
        .await;
    worker.commit().await.unwrap();
    let upload = upload.await.unwrap().unwrap();
    assert_eq!(upload.status(), 200, "{:?}", upload.text().await);
    let page_counts = |event: &Value| -> Vec<i64> {
        event["data"]["documents"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["page_count"].as_i64().unwrap())
            .collect()
    };
    // The twentieth upload's event was written before the change committed.
    let events = events_of(&app, &dispute).await;
    assert_eq!(page_counts(events.last().unwrap())[3], 1);
    let after = app
        .upload(&dispute, "slip-20.pdf", PDF, Some("proof_of_receipt"))
        .await
        .expect(200);
    let events = events_of(&app, &dispute).await;
    let last = events.last().unwrap();
    assert_eq!(last["data"]["documents"]["total"], 21);
    assert_eq!(page_counts(last)[3], 5);
    // A page of a document after the twenty changes (a scan does it after every upload): the
    // kept list stays. One in the list changes: it goes.
    let kept = format!(
        "select generation::text from snapshot_documents where dispute_id = '{dispute}' and documents is not null"
    );
    let before = app.sql_strings(&kept).await;
    assert_eq!(before.len(), 1);
    app.sql_execute(&format!(
        "update pages set file_pages = 2 where document_id = '{}' and position = 1",
        after["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(app.sql_strings(&kept).await, before);
    app.sql_execute(&format!(
        "update pages set file_pages = 3 where document_id = '{}' and position = 1",
        ids[0]
    ))
    .await;
    assert_eq!(app.sql_strings(&kept).await, Vec::<String>::new());
    pool.close().await;
}
