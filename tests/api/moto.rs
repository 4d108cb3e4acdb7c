//! moto's standalone S3 server, for running the blob store against real S3 requests: installed
//! (pinned, `moto-requirements.txt`) into a venv under the cargo target directory on first use,
//! started on a free port per test, killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const REQUIREMENTS: &str = include_str!("moto-requirements.txt");

/// How long moto may take to answer after it starts.
const START_DEADLINE: Duration = Duration::from_secs(60);

pub struct Moto {
    pub endpoint: String,
    child: Child,
}

/// The venv's directory, installed once per test process (a stamp holds the requirements it was
/// made from; another set of requirements makes it anew).
fn venv() -> &'static PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("moto-venv");
        let stamp = dir.join(".requirements");
        if std::fs::read_to_string(&stamp).is_ok_and(|s| s == REQUIREMENTS) {
            return dir;
        }
        let _ = std::fs::remove_dir_all(&dir);
        let run = |cmd: &mut Command| {
            let status = cmd.status().expect("python3 runs");
            assert!(status.success(), "{cmd:?} failed: {status}");
        };
        run(Command::new("python3").arg("-m").arg("venv").arg(&dir));
        let requirements = dir.join("requirements.txt");
        std::fs::write(&requirements, REQUIREMENTS).unwrap();
        run(Command::new(dir.join("bin/pip"))
            .args([
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-q",
                "-r",
            ])
            .arg(&requirements));
        std::fs::write(&stamp, REQUIREMENTS).unwrap();
        dir
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

impl Moto {
    /// A moto S3 server of this test's own, answering.
    pub async fn start() -> Moto {
        let venv = tokio::task::spawn_blocking(venv).await.unwrap();
        // The port is free when asked for; should another process take it first, moto exits and
        // the next port is tried.
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(venv.join("bin/moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server starts");
            let mut moto = Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                child,
            };
            if moto.wait_until_up().await {
                return moto;
            }
        }
        panic!("moto_server did not start");
    }

    /// Polls until moto answers (true) or exits (false), within the deadline.
    async fn wait_until_up(&mut self) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if client.get(&self.endpoint).send().await.is_ok() {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer in time"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Makes a bucket (one unsigned PUT: moto does not check signatures); returns its name.
    pub async fn bucket(&self) -> String {
        let name = format!("dd-{}", uuid::Uuid::new_v4().simple());
        let made = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("moto answers");
        assert!(
            made.status().is_success(),
            "create bucket: {}",
            made.status()
        );
        name
    }

    /// The settings object_store needs for this server, as the environment variables a server
    /// process reads. Dummy keys: without any, object_store asks the cloud metadata address.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ]
    }

    /// The same as options for `Blobs::from_url_with`.
    pub fn options(&self) -> Vec<(String, String)> {
        self.env()
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect()
    }

    /// The keys of the bucket's incomplete multipart uploads (ListMultipartUploads).
    pub async fn multipart_uploads(&self, bucket: &str) -> Vec<String> {
        let xml = reqwest::Client::new()
            .get(format!("{}/{bucket}?uploads", self.endpoint))
            .send()
            .await
            .expect("moto answers")
            .text()
            .await
            .unwrap();
        xml.split("<Upload>")
            .skip(1)
            .map(|upload| {
                let key = upload.split("<Key>").nth(1).expect("an upload's key");
                key.split("</Key>").next().unwrap().to_owned()
            })
            .collect()
    }

    /// Every object key in the bucket (ListObjectsV2, one page: these tests write few).
    pub async fn objects(&self, bucket: &str) -> Vec<String> {
        let xml = reqwest::Client::new()
            .get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .send()
            .await
            .expect("moto answers")
            .text()
            .await
            .unwrap();
        assert!(!xml.contains("<IsTruncated>true"), "{xml}");
        let mut keys: Vec<String> = xml
            .split("<Key>")
            .skip(1)
            .map(|k| k.split("</Key>").next().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
