//! Real server processes, for the tests that need them (a crash, several servers): a
//! `Deployment` is what the processes of one test share (a fresh Postgres database, a blob store
//! on a local directory or under a prefix of a moto bucket, their settings); a `Server` is the
//! binary's `serve`, started as a child process on port 0, killed when dropped.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::moto::Moto;
use dispute_docs::blobs::Blobs;
use dispute_docs::domain::{Id, IdKind, Mode};
use reqwest::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_dispute-docs");
/// How long a process may take to start, and a condition to come true.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Where a deployment keeps its files on S3: a moto server, a bucket, a prefix in it.
#[derive(Clone, Copy)]
pub struct S3<'a> {
    pub moto: &'a Moto,
    pub bucket: &'a str,
    pub prefix: &'a str,
}

/// What the server processes of one test share: a database, a blob store, their settings.
pub struct Deployment {
    env: Vec<(&'static str, String)>,
    blob_url: String,
    s3_options: Vec<(String, String)>,
    pub database_url: String,
    /// Where the processes run: no `.env` of the repository's is read.
    pub dir: tempfile::TempDir,
    _database: Database,
}

impl Deployment {
    /// A fresh Postgres database, and a blob store under `s3`, or in a local directory.
    pub async fn new(s3: Option<S3<'_>>) -> Deployment {
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
        let (blob_url, s3_options) = match s3 {
            Some(S3 {
                moto,
                bucket,
                prefix,
            }) => {
                env.extend(moto.env());
                (format!("s3://{bucket}/{prefix}"), moto.options())
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

    /// One more setting every process of the deployment gets.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Deployment {
        self.env.push((name, value.into()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_under::<&str>(&[], args)
    }

    /// The binary with `args`, run by `wrapper` (a program and its arguments, to which the
    /// binary's path and `args` are appended) when there is one.
    fn command_under<W: AsRef<OsStr>>(&self, wrapper: &[W], args: &[&str]) -> Command {
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(BIN);
                command
            }
            None => Command::new(BIN),
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            // A Redis of the test runner's own environment would share what a test means to
            // keep per process.
            .env_remove("REDIS_URL")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs a command to its end, whatever its outcome.
    pub async fn output(&self, args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
        self.command(args)
            .envs(extra_env.iter().copied())
            .output()
            .await
            .expect("the binary runs")
    }

    /// Runs a command to its end under `wrapper` (see `command_under`), whatever its outcome.
    pub async fn output_under<W: AsRef<OsStr>>(
        &self,
        wrapper: &[W],
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> std::process::Output {
        self.command_under(wrapper, args)
            .envs(extra_env.iter().copied())
            .output()
            .await
            .expect("the wrapper runs")
    }

    /// Runs a CLI command to its end; returns what it printed.
    pub async fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> String {
        let out = self.output(args, extra_env).await;
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts `serve`; returns once it listens.
    pub async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// Starts `serve` with more settings; returns once it listens.
    pub async fn serve_with(&self, extra_env: &[(&str, &str)]) -> Server {
        self.serve_under::<&str>(&[], extra_env).await
    }

    /// Starts `serve` under `wrapper` (see `command_under`); returns once it listens. The
    /// `Server`'s child is the wrapper.
    pub async fn serve_under<W: AsRef<OsStr>>(
        &self,
        wrapper: &[W],
        extra_env: &[(&str, &str)],
    ) -> Server {
        let mut child = self
            .command_under(wrapper, &["serve"])
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
        let (printed, output) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = printed.send(line);
            }
        });
        Server {
            child,
            base,
            client: reqwest::Client::new(),
            output,
        }
    }

    /// The deployment's blob store, as the processes see it.
    pub fn blobs(&self) -> Blobs {
        let options: Vec<(&str, &str)> = self
            .s3_options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Blobs::from_url_with(&self.blob_url, &options).unwrap()
    }

    /// Every blob key in the blob store, sorted.
    pub async fn blob_keys(&self) -> Vec<String> {
        let mut keys = self.blobs().keys().await.unwrap();
        keys.sort();
        keys
    }

    /// Staged `<key>#<n>` files of the local store.
    pub fn staged_files(&self) -> Vec<String> {
        let dir = self.dir.path().join("blobs/documents");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains('#'))
            .collect()
    }

    /// Every page row's blob key, sorted.
    pub async fn row_blob_keys(&self) -> Vec<String> {
        self.sql_strings("select blob_key from pages order by blob_key", &[])
            .await
    }

    /// Runs a query returning one text column, with text parameters, on the deployment's
    /// database, bypassing the processes.
    pub async fn sql_strings(&self, sql: &str, binds: &[&str]) -> Vec<String> {
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        let mut query = sqlx::query_scalar(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let rows = query.fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }

    /// Runs a `select count(*) …` with text parameters.
    pub async fn sql_count(&self, sql: &str, binds: &[&str]) -> i64 {
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        let mut query = sqlx::query_scalar(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let count = query.fetch_one(&pool).await.unwrap();
        pool.close().await;
        count
    }
}

/// One `serve` process.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:<port>`, as it printed.
    pub base: String,
    pub client: reqwest::Client,
    /// The lines it prints (its log) after the one saying where it listens, until it exits.
    pub output: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the demo key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(KEY, method, path)
    }

    /// A request with another secret key.
    pub fn request_as(&self, key: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(key, Some(""))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A request to the operator API.
    pub fn ops(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(OPS_TOKEN)
    }

    pub async fn open_dispute(&self) -> String {
        let now = chrono::Utc::now().timestamp();
        let charge = Id::generate(IdKind::Charge, Mode::Test, now);
        let body = send(self.post(&format!("/charges/{charge}/disputes")))
            .await
            .expect(200);
        body["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `bytes` as `a.pdf`; asserts it is accepted and returns the document.
    pub async fn upload(&self, dispute: &str, bytes: &[u8]) -> serde_json::Value {
        self.upload_named(dispute, "a.pdf", bytes).await.expect(200)
    }

    /// Uploads `bytes` under a file name; returns the answer, whatever it is.
    pub async fn upload_named(&self, dispute: &str, filename: &str, bytes: &[u8]) -> Reply {
        send(self.upload_request(dispute, filename, bytes)).await
    }

    /// An upload's request, to send as it is or with more headers.
    pub fn upload_request(
        &self,
        dispute: &str,
        filename: &str,
        bytes: &[u8],
    ) -> reqwest::RequestBuilder {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(filename.to_owned()),
        );
        self.post(&format!("/disputes/{dispute}/documents"))
            .multipart(form)
    }

    /// SIGTERM, as an orchestrator stops a server.
    pub async fn terminate(&self) {
        let pid = self.child.id().expect("still running").to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success());
    }

    pub async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL");
    }
}

/// Polls `done` until it holds, within `DEADLINE`.
pub async fn until<F, Fut>(what: &str, done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    until_within(DEADLINE, what, done).await
}

/// Polls `done` until it holds, within `deadline`.
pub async fn until_within<F, Fut>(deadline: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + deadline;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
