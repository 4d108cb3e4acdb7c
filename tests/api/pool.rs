//! Overload: when every pooled database connection stays busy, a request waits
//! `DATABASE_ACQUIRE_TIMEOUT` for one and is then answered 503 in JSON with `Retry-After`,
//! instead of queueing on towards the request timeout. On Postgres.

use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::helpers::*;

/// Far beyond the acquire timeout (1 s here), and far below the request timeout: a request
/// that queued for a connection instead of being refused would not be answered within it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_answers_503_with_retry_after_instead_of_queueing() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.database_max_connections = 1;
        s.database_acquire_timeout = 1;
        s.request_timeout = 600;
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap();
    let list = || client.get(app.url("/disputes")).basic_auth(KEY, Some(""));

    // The test's own connection takes the disputes table; a list through the server then holds
    // the server's one connection, waiting on that lock.
    let mut holder = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut lock = holder.begin().await.unwrap();
    sqlx::query("lock table disputes in access exclusive mode")
        .execute(&mut *lock)
        .await
        .unwrap();
    let held = tokio::spawn(send(list()));
    let waiting = "select count(*)::text from pg_stat_activity where datname = current_database() \
                   and application_name = 'dispute-docs' and wait_event_type = 'Lock'";
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.sql_strings(waiting).await != ["1"] {
        assert!(
            Instant::now() < deadline,
            "the server's query never waited on the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The pool is full: the next request is refused as unavailable, in JSON, with a
    // Retry-After, and within the client's time-out (`send` panics on a time-out).
    let refused = send(list()).await;
    assert_eq!(refused.headers["retry-after"], "1");
    let media_type = refused.headers["content-type"].to_str().unwrap();
    assert!(media_type.starts_with("application/json"), "{media_type}");
    refused.expect_error(503, "service_unavailable");
    assert!(!held.is_finished(), "the held request still waits");

    // Released, the held request is answered and the pool serves again.
    lock.rollback().await.unwrap();
    held.await.unwrap().expect(200);
    send(list()).await.expect(200);
}
