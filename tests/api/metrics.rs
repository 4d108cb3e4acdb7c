//! `GET /metrics`: what operators watch, in the Prometheus text format, counted from what the
//! server really did (requests by route and status, blob bytes both ways, the pool, webhook
//! outcomes); behind the ops token; absent with `METRICS=off`.

use crate::events::{Receiver, add_endpoint, loopback_worker};
use crate::helpers::*;

/// The metrics text, as the ops token fetches it.
async fn scrape(app: &TestApp) -> String {
    let reply = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(OPS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    reply.text().await.unwrap()
}

/// The value of the one sample named exactly `series` (name and labels), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    let mut found = text
        .lines()
        .filter_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse::<f64>().unwrap());
    let value = found.next().unwrap_or(0.0);
    assert!(found.next().is_none(), "{series} appears once");
    value
}

each_backend! {
    async fn requests_bytes_and_the_pool_are_counted_by_route_and_status(app) {
        let before = scrape(&app).await;
        let retrieve = r#"http_request_duration_seconds_count{method="GET",route="/disputes/{id}",status="200"}"#;
        let missing = r#"http_request_duration_seconds_count{method="GET",route="/disputes/{id}",status="404"}"#;
        let upload = r#"http_request_duration_seconds_count{method="POST",route="/disputes/{id}/documents",status="200"}"#;
        let dispute = app.open_dispute().await;
        app.get(&format!("/disputes/{dispute}")).await.expect(200);
        app.get(&format!("/disputes/{dispute}")).await.expect(200);
        app.get("/disputes/dspt_test_5nonexistent00000000").await.expect_error(404, "not_found");
        let document = app.upload(&dispute, "receipt.png", PNG, None).await.expect(200);
        let link = document["download_uri"].as_str().unwrap();
        let downloaded = app.client.get(link).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(&downloaded[..], PNG);
        // A Mangopay request is counted under its own route.
        app.client.get(app.url("/v2.01/nobody/disputes")).send().await.unwrap();

        let after = scrape(&app).await;
        assert_eq!(value(&after, retrieve) - value(&before, retrieve), 2.0);
        assert_eq!(value(&after, missing) - value(&before, missing), 1.0);
        assert_eq!(value(&after, upload) - value(&before, upload), 1.0);
        // The route as declared: no id of any object is in a label.
        assert!(!after.contains(&dispute));
        assert!(after.contains(r#"route="/v2.01/{ClientId}/disputes""#), "{after}");
        // Every request is in a bucket, and the +Inf bucket holds them all.
        let inf = r#"http_request_duration_seconds_bucket{method="GET",route="/disputes/{id}",status="200",le="+Inf"}"#;
        assert_eq!(value(&after, inf), value(&after, retrieve));
        let bytes = |text: &str, name: &str| value(text, name);
        assert_eq!(
            bytes(&after, "blob_uploaded_bytes_total") - bytes(&before, "blob_uploaded_bytes_total"),
            PNG.len() as f64
        );
        // Read once, by the download: a file this small is checked from memory, as it arrived.
        assert_eq!(
            bytes(&after, "blob_downloaded_bytes_total") - bytes(&before, "blob_downloaded_bytes_total"),
            PNG.len() as f64
        );
        assert_eq!(value(&after, "db_pool_max_connections"), 16.0);
        assert_eq!(value(&after, "db_pool_waiting"), 0.0);
        let open = value(&after, r#"db_pool_connections{state="idle"}"#) + value(&after, r#"db_pool_connections{state="in_use"}"#);
        assert!((1.0..=16.0).contains(&open), "{after}");
        assert_eq!(value(&after, r#"blob_store_errors_total{operation="read"}"#), 0.0);
    }

    async fn webhook_attempts_are_counted_by_outcome(app) {
        let receiver = Receiver::start().await;
        receiver.answers.lock().unwrap().extend([500]);
        add_endpoint(&app, &receiver.url()).await;
        app.open_dispute().await;
        let worker = loopback_worker(&app);
        assert_eq!(worker.drain().await.unwrap(), 1);
        let text = scrape(&app).await;
        assert_eq!(value(&text, r#"webhook_deliveries_total{outcome="retrying"}"#), 1.0);
        assert_eq!(value(&text, r#"webhook_deliveries_total{outcome="succeeded"}"#), 0.0);
        app.state.core.clock.advance(chrono::TimeDelta::seconds(10));
        assert_eq!(worker.drain().await.unwrap(), 1);
        let text = scrape(&app).await;
        assert_eq!(value(&text, r#"webhook_deliveries_total{outcome="retrying"}"#), 1.0);
        assert_eq!(value(&text, r#"webhook_deliveries_total{outcome="succeeded"}"#), 1.0);
    }

    async fn metrics_need_the_ops_token(app) {
        let without = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(without.status(), 401);
        let wrong = app.client.get(app.url("/metrics")).bearer_auth("not-the-ops-token-000").send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        // Nor does a merchant key open it.
        let merchant = app.client.get(app.url("/metrics")).basic_auth(KEY, Some("")).send().await.unwrap();
        assert_eq!(merchant.status(), 401);
        let posted = app.client.post(app.url("/metrics")).bearer_auth(OPS_TOKEN).send().await.unwrap();
        assert_eq!(posted.status(), 405);
    }
}

mod off {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_metrics_off_nothing_is_served() {
        let app = TestApp::spawn_with(Backend::Postgres, |s| s.metrics = false).await;
        let reply = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(OPS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 404);
        app.get(&format!("/disputes/{OPEN_DISPUTE}"))
            .await
            .expect(200);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_an_ops_token_metrics_are_open() {
        let app = TestApp::spawn_with(Backend::Postgres, |s| s.ops_token = None).await;
        let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(reply.status(), 200);
        assert!(
            reply
                .text()
                .await
                .unwrap()
                .contains("db_pool_max_connections 16")
        );
    }
}
