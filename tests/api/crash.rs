//! Nothing leaks after a crash: the real server binary, killed with SIGKILL while six 8 MB
//! uploads stream in, restarted, then `dispute-docs sweep` with SWEEP_GRACE=0: exactly one blob
//! per document, no staged file left on a local disk, no incomplete multipart upload on S3
//! (moto's server). On Postgres.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::moto::Moto;
use bytes::Bytes;
use dispute_docs::blobs::Blobs;
use dispute_docs::domain::{Id, IdKind, Mode};
use futures::channel::mpsc;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_dispute-docs");
const UPLOADS: usize = 6;
const FILE_SIZE: usize = 8 * 1024 * 1024;
/// How much of each file is sent before the server is killed: more than an S3 part.
const SENT: usize = 6 * 1024 * 1024;
const DEADLINE: Duration = Duration::from_secs(60);
const BOUNDARY: &str = "crash-test-boundary";

/// What the server processes of one test share: a database, a blob store, their settings.
struct Deployment {
    env: Vec<(&'static str, String)>,
    blob_url: String,
    s3_options: Vec<(String, String)>,
    database_url: String,
    /// Where the processes run: no `.env` of the repository's is read.
    dir: tempfile::TempDir,
    _database: Database,
}

impl Deployment {
    async fn new(moto: Option<(&Moto, &str)>) -> Deployment {
        let (database_url, database) = fresh_postgres().await;
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("DATABASE_URL", database_url.clone()),
            (
                "SIGNING_SECRET",
                "test-signing-secret-0123456789".to_owned(),
            ),
            ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        let (blob_url, s3_options) = match moto {
            Some((moto, bucket)) => {
                env.extend(moto.env());
                (format!("s3://{bucket}/crash"), moto.options())
            }
            None => (dir.path().join("blobs").display().to_string(), Vec::new()),
        };
        env.push(("BLOB_STORE_URL", blob_url.clone()));
        Deployment {
            env,
            blob_url,
            s3_options,
            database_url,
            dir,
            _database: database,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs a CLI command to its end; returns what it printed.
    async fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> String {
        let out = self
            .command(args)
            .envs(extra_env.iter().copied())
            .output()
            .await
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts `serve`; returns once it listens.
    async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// Starts `serve` with more settings; returns once it listens.
    async fn serve_with(&self, extra_env: &[(&str, &str)]) -> Server {
        let mut child = self
            .command(&["serve"])
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let found = tokio::time::timeout(DEADLINE, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(base) = line.strip_prefix("dispute-docs listening on ") {
                    return base.to_owned();
                }
            }
            panic!("the server exited before listening")
        });
        let base = found.await.expect("the server listens in time");
        // Keep reading what it prints, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server { child, base }
    }

    fn blobs(&self) -> Blobs {
        let options: Vec<(&str, &str)> = self
            .s3_options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Blobs::from_url_with(&self.blob_url, &options).unwrap()
    }

    /// Staged `<key>#<n>` files of the local store.
    fn staged_files(&self) -> Vec<String> {
        let dir = self.dir.path().join("blobs/documents");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains('#'))
            .collect()
    }

    async fn row_blob_keys(&self) -> Vec<String> {
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        let keys = sqlx::query_scalar("select blob_key from pages order by blob_key")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        keys
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .basic_auth(KEY, Some(""))
    }

    async fn open_dispute(&self) -> String {
        let now = chrono::Utc::now().timestamp();
        let charge = Id::generate(IdKind::Charge, Mode::Test, now);
        let reply = self
            .post(&format!("/charges/{charge}/disputes"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let body: serde_json::Value = reply.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    async fn upload(&self, dispute: &str, bytes: &[u8]) -> serde_json::Value {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("a.pdf"),
        );
        let reply = self
            .post(&format!("/disputes/{dispute}/documents"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.json().await.unwrap()
    }

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
        first.extend_from_slice(b"%PDF-1.4\n");
        first.resize(first.len() + SENT, b'x');
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

    /// SIGTERM, as an orchestrator stops a server.
    async fn terminate(&self) {
        let pid = self.child.id().expect("still running").to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success());
    }

    async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL");
    }
}

/// Polls `done` until it holds, within the deadline.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn killed_mid_upload_then_swept(deployment: &Deployment, moto: Option<(&Moto, &str)>) {
    deployment.run(&["seed"], &[]).await;
    let server = deployment.serve().await;
    let dispute = server.open_dispute().await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(FILE_SIZE, b'x');
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
            assert!(
                objects.iter().all(|k| k.starts_with("crash/documents/")),
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
    let deployment = Deployment::new(Some((&moto, &bucket))).await;
    killed_mid_upload_then_swept(&deployment, Some((&moto, &bucket))).await;
}

/// The rest of a `begin_upload`: what it held back, and the closing boundary.
fn finish_upload(tx: mpsc::UnboundedSender<Result<Bytes, std::io::Error>>) {
    let mut rest = vec![b'x'; FILE_SIZE - SENT];
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
