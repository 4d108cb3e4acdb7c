//! Nothing leaks after a crash: the real server binary, killed with SIGKILL while six 8 MB
//! uploads stream in, restarted, then `dispute-docs sweep` with SWEEP_GRACE=0: exactly one blob
//! per document, no staged file left on a local disk, no incomplete multipart upload on S3
//! (moto's server). On Postgres.

use crate::helpers::{FileType, real};
use crate::moto::Moto;
use crate::processes::*;
use bytes::Bytes;
use futures::channel::mpsc;

const UPLOADS: usize = 6;
const FILE_SIZE: usize = 8 * 1024 * 1024;

/// The real PDF the streamed uploads send: its first `SENT` bytes, then the rest.
static IN_FLIGHT: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(|| real(FileType::Pdf, "in flight", FILE_SIZE));
/// How much of each file is sent before the server is killed: more than an S3 part.
const SENT: usize = 6 * 1024 * 1024;
const BOUNDARY: &str = "crash-test-boundary";

impl Server {
    /// Starts an 8 MB upload, sends its first `SENT` bytes and holds the rest back: the upload
    /// stays in flight until the returned sender is dropped.
    fn begin_upload(&self, dispute: &str) -> mpsc::UnboundedSender<Result<Bytes, std::io::Error>> {
        self.begin_answered_upload(dispute).0
    }

    /// `begin_upload`, with the request's answer to wait for. `finish_upload` sends the rest.
    fn begin_answered_upload(
        &self,
        dispute: &str,
    ) -> (
        mpsc::UnboundedSender<Result<Bytes, std::io::Error>>,
        tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
    ) {
        let (tx, rx) = mpsc::unbounded();
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        );
        let mut first = head.into_bytes();
        first.extend_from_slice(&IN_FLIGHT[..SENT]);
        tx.unbounded_send(Ok(Bytes::from(first))).unwrap();
        let request = self
            .post(&format!("/disputes/{dispute}/documents"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(reqwest::Body::wrap_stream(rx));
        // Answered by an error if the server is killed.
        (tx, tokio::spawn(request.send()))
    }
}

async fn killed_mid_upload_then_swept(deployment: &Deployment, moto: Option<(&Moto, &str)>) {
    deployment.run(&["seed"], &[]).await;
    let server = deployment.serve().await;
    let dispute = server.open_dispute().await;
    let pdf = real(FileType::Pdf, "before the kill", FILE_SIZE);
    for _ in 0..2 {
        server.upload(&dispute, &pdf).await;
    }
    let senders: Vec<_> = (0..UPLOADS)
        .map(|_| server.begin_upload(&dispute))
        .collect();
    // Every upload has reached the blob store before the kill.
    match moto {
        Some((moto, bucket)) => {
            // Each upload is created, then its id recorded (a kill between the two is the one
            // window the sweep cannot see: README, Operating it).
            until("six multipart uploads, recorded", || async {
                let recorded = moto.objects(bucket).await;
                let recorded = recorded.iter().filter(|k| k.starts_with("crash/uploads/"));
                moto.multipart_uploads(bucket).await.len() == UPLOADS && recorded.count() == UPLOADS
            })
            .await
        }
        None => {
            until("six staged files", || async {
                deployment.staged_files().len() == UPLOADS
            })
            .await
        }
    }
    server.kill().await;
    drop(senders);

    // What the kill left: invisible to the blob listing, there until swept.
    let rows = deployment.row_blob_keys().await;
    let mut listed = deployment.blobs().keys().await.unwrap();
    listed.sort();
    assert_eq!(listed, rows, "no upload that was killed became a blob");
    match moto {
        Some((moto, bucket)) => assert_eq!(moto.multipart_uploads(bucket).await.len(), UPLOADS),
        None => assert_eq!(deployment.staged_files().len(), UPLOADS),
    }

    // A restarted server keeps them for SWEEP_GRACE (they might be in flight); the sweep with
    // SWEEP_GRACE=0, when nothing is, removes them all.
    let server = deployment.serve().await;
    let printed = deployment.run(&["sweep"], &[("SWEEP_GRACE", "0")]).await;
    assert_eq!(
        printed.trim(),
        "removed 0 orphaned blobs and 6 partial uploads"
    );
    match moto {
        Some((moto, bucket)) => {
            assert_eq!(moto.multipart_uploads(bucket).await, Vec::<String>::new());
            let objects = moto.objects(bucket).await;
            // documents, and the packets the server froze for the seeded disputes that no
            // longer await evidence (kept apart: the sweep walks documents only)
            assert!(
                objects
                    .iter()
                    .all(|k| k.starts_with("crash/documents/") || k.starts_with("crash/packets/")),
                "{objects:?}"
            );
        }
        None => assert_eq!(deployment.staged_files(), Vec::<String>::new()),
    }
    let rows = deployment.row_blob_keys().await;
    let mut listed = deployment.blobs().keys().await.unwrap();
    listed.sort();
    assert_eq!(listed, rows, "exactly one blob per document's page");
    let mut distinct = rows.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), rows.len());

    // And the restarted server takes uploads as before.
    server.upload(&dispute, &pdf).await;
    assert_eq!(
        deployment.blobs().keys().await.unwrap().len(),
        rows.len() + 1
    );
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_leaves_no_staged_file_once_swept() {
    let deployment = Deployment::new(None).await;
    killed_mid_upload_then_swept(&deployment, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_server_killed_mid_upload_leaves_no_multipart_upload_once_swept() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let deployment = Deployment::new(Some(S3 {
        moto: &moto,
        bucket: &bucket,
        prefix: "crash",
    }))
    .await;
    killed_mid_upload_then_swept(&deployment, Some((&moto, &bucket))).await;
}

/// The rest of a `begin_upload`: what it held back, and the closing boundary.
fn finish_upload(tx: mpsc::UnboundedSender<Result<Bytes, std::io::Error>>) {
    let mut rest = IN_FLIGHT[SENT..].to_vec();
    rest.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    tx.unbounded_send(Ok(Bytes::from(rest))).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_accepting_lets_uploads_in_flight_finish_then_stops_at_the_grace() {
    let deployment = Deployment::new(None).await;
    deployment.run(&["seed"], &[]).await;
    let pages_before = deployment.row_blob_keys().await.len();

    // An upload in flight when SIGTERM comes finishes; nobody new gets in meanwhile.
    let mut server = deployment.serve_with(&[("SHUTDOWN_GRACE", "60")]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let dispute = server.open_dispute().await;
    let (tx, answer) = server.begin_answered_upload(&dispute);
    until("the upload under way", || async {
        deployment.staged_files().len() == 1
    })
    .await;
    server.terminate().await;
    until("new connections refused", || async {
        tokio::net::TcpStream::connect(&addr).await.is_err()
    })
    .await;
    finish_upload(tx);
    let answer = answer
        .await
        .unwrap()
        .expect("the upload in flight is answered");
    assert_eq!(answer.status(), 200);
    let exited = tokio::time::timeout(DEADLINE, server.child.wait()).await;
    assert!(
        exited
            .expect("it stops once the upload is done")
            .unwrap()
            .success()
    );
    assert_eq!(deployment.row_blob_keys().await.len(), pages_before + 1);
    assert_eq!(deployment.staged_files(), Vec::<String>::new());

    // One that never finishes is cut off when the grace ends, leaving no row, and only a
    // partial file for the sweep.
    let mut server = deployment.serve_with(&[("SHUTDOWN_GRACE", "1")]).await;
    let (tx, answer) = server.begin_answered_upload(&dispute);
    until("the second upload under way", || async {
        deployment.staged_files().len() == 1
    })
    .await;
    server.terminate().await;
    let exited = tokio::time::timeout(DEADLINE, server.child.wait()).await;
    assert!(exited.expect("it stops at the grace").unwrap().success());
    drop(tx);
    let cut = answer.await.unwrap();
    assert!(
        cut.map_or(true, |r| r.status() != 200),
        "a cut upload is not acknowledged"
    );
    assert_eq!(deployment.row_blob_keys().await.len(), pages_before + 1);
    // Its partial file is the sweep's (unless the store's own clean-up, run as the process
    // stopped, got to it first).
    let printed = deployment.run(&["sweep"], &[("SWEEP_GRACE", "0")]).await;
    assert!(
        [
            "removed 0 orphaned blobs and 1 partial uploads",
            "removed 0 orphaned blobs and 0 partial uploads"
        ]
        .contains(&printed.trim()),
        "{printed}"
    );
    assert_eq!(deployment.staged_files(), Vec::<String>::new());
    assert_eq!(deployment.row_blob_keys().await.len(), pages_before + 1);
}
