//! Several servers: three `serve` processes of the real binary over one Postgres database and
//! one S3 bucket (moto's server, under a prefix), with requests spread over them as a load
//! balancer would. A document uploaded through one downloads through the others; uploads racing
//! the submission through other processes are submitted with it or refused without a trace; a
//! key revoked through one stops working on all within `AUTH_CACHE_TTL`; a retry with an
//! `Idempotency-Key` sent to another process replays. On Postgres.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::moto::Moto;
use crate::processes::*;
use dispute_docs::domain::{Id, IdKind, Mode};
use reqwest::Method;
use serde_json::{Value, json};

/// The address of the load balancer in front of the processes: every `download_uri` starts
/// here, and the test, playing the balancer, sends it to whichever process it likes.
const PUBLIC: &str = "http://dispute-docs.invalid";

/// Three processes over one deployment. Dropped in order: the processes, then the database,
/// then moto.
struct Cluster {
    servers: [Server; 3],
    deployment: Deployment,
    _moto: Moto,
}

/// Seeds a fresh deployment on a moto bucket, then starts three servers over it.
async fn three_servers() -> Cluster {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let s3 = S3 {
        moto: &moto,
        bucket: &bucket,
        prefix: "multi",
    };
    let deployment = Deployment::new(Some(s3))
        .await
        .with("OPS_TOKEN", OPS_TOKEN)
        .with("AUTH_CACHE_TTL", "1")
        .with("PUBLIC_BASE_URL", PUBLIC);
    deployment.run(&["seed"], &[]).await;
    let (a, b, c) = tokio::join!(deployment.serve(), deployment.serve(), deployment.serve());
    Cluster {
        servers: [a, b, c],
        deployment,
        _moto: moto,
    }
}

/// A path and query to send to any process, from a URL under `PUBLIC`.
fn behind_the_balancer(url: &str) -> &str {
    url.strip_prefix(PUBLIC)
        .unwrap_or_else(|| panic!("{url} is under PUBLIC_BASE_URL"))
}

fn replayed(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap())
}

/// A document as JSON, less its download link (signed anew, with its own expiry, each time).
fn without_link(document: &Value) -> Value {
    let mut document = document.clone();
    // Links are signed at each answer's second: the rest must be the same.
    document.as_object_mut().unwrap().remove("download_uri");
    document.as_object_mut().unwrap().remove("preview_uri");
    document
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_uploaded_through_one_process_downloads_through_the_others() {
    let cluster = three_servers().await;
    let [a, b, c] = &cluster.servers;
    let dispute = a.open_dispute().await;
    // More than an S3 part: a multipart upload through A.
    let pdf = padded(PDF_MAGIC, "three servers", 6 * 1024 * 1024);
    let uploaded = a.upload(&dispute, &pdf).await;
    let id = uploaded["id"].as_str().unwrap();

    // Each process shows the same document, and its link downloads the same bytes through
    // every process (one SIGNING_SECRET, one bucket).
    for shown_by in [a, b, c] {
        let path = format!("/disputes/{dispute}/documents/{id}");
        let shown = send(shown_by.request(Method::GET, &path)).await.expect(200);
        assert_eq!(without_link(&shown), without_link(&uploaded));
        let link = behind_the_balancer(shown["download_uri"].as_str().unwrap());
        for server in [a, b, c] {
            let file = server.client.get(server.url(link)).send().await.unwrap();
            assert_eq!(file.status(), 200, "{link} through {}", server.base);
            assert!(file.bytes().await.unwrap() == pdf, "the same bytes");
        }
    }
    assert_eq!(
        cluster.deployment.blob_keys().await,
        cluster.deployment.row_blob_keys().await
    );
}

const UPLOADS: usize = 50;
const ROUNDS: usize = 3;
/// How many uploads have their rows before the PATCH is sent.
const FIRST: usize = 5;

/// `concurrency::race` across processes: 50 uploads through A and B, and the PATCH that submits
/// the dispute through C, all in flight together; then the books must balance.
async fn race_across_processes(cluster: &Cluster) {
    let [a, b, c] = &cluster.servers;
    let deployment = &cluster.deployment;
    let dispute = a.open_dispute().await;
    let uploads: Vec<_> = (0..UPLOADS)
        .map(|i| {
            let through = if i % 2 == 0 { a } else { b };
            let request = through.upload_request(&dispute, &format!("{i}.png"), PNG);
            tokio::spawn(send(request))
        })
        .collect();
    // An upload through another process takes longer than a PATCH: sent with the first
    // uploads, the PATCH would overtake them all. It goes once the first rows are in.
    let documents = "select count(*) from documents where dispute_id = $1";
    until("the first uploads' rows", || async {
        deployment.sql_count(documents, &[&dispute]).await >= FIRST as i64
    })
    .await;
    let request = c
        .request(Method::PATCH, &format!("/disputes/{dispute}"))
        .json(&json!({ "message": "racing" }));
    send(request).await.expect(200);
    let mut accepted = Vec::new();
    for upload in uploads {
        let reply = upload.await.unwrap();
        if reply.status == 200 {
            accepted.push(reply.body["id"].as_str().unwrap().to_owned());
        } else {
            reply.expect_error(422, "dispute_not_open");
        }
    }
    accepted.sort();

    let rows = deployment
        .sql_strings(
            "select id from documents where dispute_id = $1 order by id",
            &[&dispute],
        )
        .await;
    assert_eq!(
        rows, accepted,
        "every accepted upload, and only those, has a row"
    );
    // The PATCH marked every row it could see submitted; a row committed after it would not be.
    let unsubmitted = deployment
        .sql_count(
            "select count(*) from documents where dispute_id = $1 and submitted_at is null",
            &[&dispute],
        )
        .await;
    assert_eq!(
        unsubmitted, 0,
        "a document row was committed after the PATCH"
    );
    for server in [a, b, c] {
        let embedded = send(server.request(Method::GET, &format!("/disputes/{dispute}")))
            .await
            .expect(200);
        assert_eq!(embedded["status"], "pending");
        assert_eq!(embedded["documents"]["total"], accepted.len());
    }
    assert_eq!(
        deployment.blob_keys().await,
        deployment.row_blob_keys().await,
        "blobs and rows disagree"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_racing_a_patch_on_other_processes_are_submitted_with_it_or_refused_without_a_trace()
 {
    let cluster = three_servers().await;
    for _ in 0..ROUNDS {
        race_across_processes(&cluster).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_through_one_process_stops_working_on_all_within_the_auth_cache_ttl() {
    let cluster = three_servers().await;
    let [a, b, c] = &cluster.servers;
    let issued = send(
        a.ops(Method::POST, &format!("/ops/accounts/{DEMO_ACCOUNT}/keys"))
            .json(&json!({ "mode": "test" })),
    )
    .await
    .expect(200);
    let key_id = issued["id"].as_str().unwrap();
    let secret = issued["secret"].as_str().unwrap();
    // It works on all three, each of which now remembers it for AUTH_CACHE_TTL (1 s).
    for server in [a, b, c] {
        send(server.request_as(secret, Method::GET, "/disputes"))
            .await
            .expect(200);
    }

    let revoked = send(b.ops(Method::DELETE, &format!("/ops/keys/{key_id}")))
        .await
        .expect(200);
    assert_eq!(revoked["revoked"], true);
    // A few seconds is ample for a one-second cache; each process must turn it away.
    let deadline = Instant::now() + Duration::from_secs(5);
    for server in [a, b, c] {
        loop {
            let status = server
                .request_as(secret, Method::GET, "/disputes")
                .send()
                .await
                .unwrap()
                .status();
            if status == 401 {
                break;
            }
            assert_eq!(status, 200, "through {}", server.base);
            assert!(
                Instant::now() < deadline,
                "{} still takes the revoked key",
                server.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for server in [a, b, c] {
        send(server.request_as(secret, Method::GET, "/disputes"))
            .await
            .expect_error(401, "authentication_failure");
        // The other keys are untouched.
        send(server.request(Method::GET, "/disputes"))
            .await
            .expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_an_idempotency_key_sent_to_another_process_replays_and_acts_once() {
    let cluster = three_servers().await;
    let [a, b, c] = &cluster.servers;
    let deployment = &cluster.deployment;
    let history = "select count(*) from dispute_history where dispute_id = $1";

    // A dispute opened through A, the retry through B.
    let charge = Id::generate(IdKind::Charge, Mode::Test, chrono::Utc::now().timestamp());
    let path = format!("/charges/{charge}/disputes");
    let first = send(a.post(&path).header("Idempotency-Key", "open-multi")).await;
    assert_eq!(replayed(&first), None);
    let first = first.expect(200);
    let dispute = first["id"].as_str().unwrap();
    let entries = deployment.sql_count(history, &[dispute]).await;
    let again = send(b.post(&path).header("Idempotency-Key", "open-multi")).await;
    assert_eq!(replayed(&again), Some("true"));
    assert_eq!(again.expect(200), first);
    let charge = charge.to_string();
    let opened = "select count(*) from disputes where charge_id = $1";
    assert_eq!(deployment.sql_count(opened, &[&charge]).await, 1);
    assert_eq!(deployment.sql_count(history, &[dispute]).await, entries);

    // An upload through A, retried through C with a new multipart boundary.
    let upload = |server: &Server| {
        server
            .upload_request(dispute, "slip.png", PNG)
            .header("Idempotency-Key", "upload-multi")
    };
    let first = send(upload(a)).await;
    assert_eq!(replayed(&first), None);
    let first = first.expect(200);
    let entries = deployment.sql_count(history, &[dispute]).await;
    let again = send(upload(c)).await;
    assert_eq!(replayed(&again), Some("true"));
    assert_eq!(again.expect(200), first);
    let documents = "select count(*) from documents where dispute_id = $1";
    assert_eq!(deployment.sql_count(documents, &[dispute]).await, 1);
    assert_eq!(deployment.sql_count(history, &[dispute]).await, entries);
    assert_eq!(
        deployment.blob_keys().await,
        deployment.row_blob_keys().await
    );

    // The same key with another request is refused on any process.
    send(
        b.upload_request(dispute, "slip.pdf", PDF)
            .header("Idempotency-Key", "upload-multi"),
    )
    .await
    .expect_error(422, "idempotency_key_reused");
    assert_eq!(deployment.sql_count(documents, &[dispute]).await, 1);
}

// ---------------------------------------------------------------------------------------------
// RATE_LIMIT across processes: counted in Redis (127.0.0.1:6379, or TEST_REDIS_URL) when
// REDIS_URL is set, by each process on its own otherwise. Each test issues a key of its own, so
// that its budget in Redis (`dispute-docs:ratelimit:<key id>`) is no other test's.

fn test_redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A seeded deployment on a local directory, with these settings.
async fn limited_deployment(settings: &[(&'static str, &str)]) -> Deployment {
    let mut deployment = Deployment::new(None).await.with("OPS_TOKEN", OPS_TOKEN);
    for (name, value) in settings {
        deployment = deployment.with(name, *value);
    }
    deployment.run(&["seed"], &[]).await;
    deployment
}

/// A fresh test key of the demo account, issued through `server`: (its id, its secret).
async fn fresh_key(server: &Server) -> (String, String) {
    let issued = send(
        server
            .ops(Method::POST, &format!("/ops/accounts/{DEMO_ACCOUNT}/keys"))
            .json(&json!({ "mode": "test" })),
    )
    .await
    .expect(200);
    let field = |name: &str| issued[name].as_str().unwrap().to_owned();
    (field("id"), field("secret"))
}

/// Asserts a 429 `too_many_requests` whose `Retry-After` is a whole number of seconds from 1 to
/// `at_most`.
#[track_caller]
fn expect_limited(reply: Reply, at_most: u64) {
    let retry_after: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=at_most).contains(&retry_after), "{retry_after}");
    reply.expect_error(429, "too_many_requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_rate_limit_is_one_budget_for_every_process() {
    const LIMIT: u64 = 4;
    let redis_url = test_redis_url();
    let deployment = limited_deployment(&[("RATE_LIMIT", "4"), ("REDIS_URL", &redis_url)]).await;
    let (a, b) = tokio::join!(deployment.serve(), deployment.serve());
    let (key_id, secret) = fresh_key(&a).await;

    // Four requests spread over the two processes spend the key's minute together.
    for i in 0..LIMIT {
        let server = if i % 2 == 0 { &a } else { &b };
        send(server.request_as(&secret, Method::GET, "/disputes"))
            .await
            .expect(200);
    }
    // Then each process refuses the next, saying when one more will go (one request every
    // 60 / 4 = 15 s).
    for server in [&a, &b] {
        let reply = send(server.request_as(&secret, Method::GET, "/disputes")).await;
        expect_limited(reply, 60 / LIMIT);
    }
    // Other keys have budgets of their own.
    send(a.request(Method::GET, "/disputes")).await.expect(200);

    // The budget lives under the namespace, and expires.
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("dispute-docs:ratelimit:{key_id}"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!((1..=60_000).contains(&ttl), "{ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_process_counts_the_rate_limit_on_its_own() {
    let deployment = limited_deployment(&[("RATE_LIMIT", "2")]).await;
    let (a, b) = tokio::join!(deployment.serve(), deployment.serve());
    let (_, secret) = fresh_key(&a).await;
    for server in [&a, &b] {
        for _ in 0..2 {
            send(server.request_as(&secret, Method::GET, "/disputes"))
                .await
                .expect(200);
        }
        let reply = send(server.request_as(&secret, Method::GET, "/disputes")).await;
        expect_limited(reply, 30);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_url_that_is_malformed_or_does_not_answer_stops_the_start_with_a_clear_error() {
    let deployment = limited_deployment(&[("RATE_LIMIT", "2")]).await;
    // Port 1 on loopback: nothing listens there.
    let cases = [
        ("http://127.0.0.1:6379", "not a Redis URL"),
        ("redis://:hunter2@127.0.0.1:1", "Redis does not answer"),
    ];
    for (url, error) in cases {
        let out = deployment.output(&["serve"], &[("REDIS_URL", url)]).await;
        assert!(!out.status.success(), "{url}: it started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("REDIS_URL"), "{url}: {stderr}");
        assert!(stderr.contains(error), "{url}: {stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password is not shown: {stderr}"
        );
    }
}

/// A stand-in for a Redis that stops answering: it speaks enough of the protocol to answer
/// every command (PING with PONG, the rest with OK) until `silent` is set; from then on it reads
/// commands and answers none, as a hung Redis does. Returns its URL.
async fn falling_silent_redis(silent: Arc<AtomicBool>) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let silent = silent.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                let mut line = String::new();
                loop {
                    // A command: *<n>, then n times $<len> and <len> bytes and CRLF.
                    line.clear();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = line.trim().trim_start_matches('*').parse().unwrap();
                    let mut name = Vec::new();
                    for i in 0..n {
                        line.clear();
                        read.read_line(&mut line).await.unwrap();
                        let len: usize = line.trim().trim_start_matches('$').parse().unwrap();
                        let mut arg = vec![0; len + 2];
                        read.read_exact(&mut arg).await.unwrap();
                        if i == 0 {
                            name = arg[..len].to_ascii_uppercase();
                        }
                    }
                    if silent.load(Ordering::SeqCst) {
                        continue;
                    }
                    let answer: &[u8] = if name == b"PING" {
                        b"+PONG\r\n"
                    } else {
                        b"+OK\r\n"
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_stops_answering_requests_go_through_uncounted() {
    let silent = Arc::new(AtomicBool::new(false));
    let redis_url = falling_silent_redis(silent.clone()).await;
    let deployment = limited_deployment(&[("RATE_LIMIT", "1"), ("REDIS_URL", &redis_url)]).await;
    // It answered at start-up.
    let server = deployment.serve().await;
    silent.store(true, Ordering::SeqCst);
    // Past the budget of one, each request is answered, after Redis's half second, not hung
    // (the client gives up after 30 s, and then `send` fails the test).
    for _ in 0..3 {
        let request = server
            .request(Method::GET, "/disputes")
            .timeout(Duration::from_secs(30));
        send(request).await.expect(200);
    }
}
