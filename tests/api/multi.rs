//! Several servers: three `serve` processes of the real binary over one Postgres database and
//! one S3 bucket (moto's server, under a prefix), with requests spread over them as a load
//! balancer would. A document uploaded through one downloads through the others; uploads racing
//! the submission through other processes are submitted with it or refused without a trace; a
//! key revoked through one stops working on all within `AUTH_CACHE_TTL`; a retry with an
//! `Idempotency-Key` sent to another process replays. On Postgres.

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
    document.as_object_mut().unwrap().remove("download_uri");
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
