//! A real clamd of the test's own (Debian's `clamav-daemon`; `.ci/run` installs it): a signature
//! database the test writes (freshclam needs the internet; clamd refuses an empty database
//! directory), a config of its own in the foreground, on a free port or a unix socket, waited for
//! by PING. Killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The EICAR test string, the classic marker every scanner knows.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// A marker of this suite's own, found anywhere in a file (inside a PDF too).
pub const MARKER: &[u8] = b"DISPUTE-DOCS-TEST-MARKER-7f3a";
/// A marker whose signature only a test adds later (a signature update).
pub const LATE_MARKER: &[u8] = b"DISPUTE-DOCS-LATE-MARKER-c41e";

/// The names clamd gives local signatures.
pub const EICAR_NAME: &str = "DisputeDocs.Eicar.UNOFFICIAL";
pub const MARKER_NAME: &str = "DisputeDocs.Marker.UNOFFICIAL";
pub const LATE_NAME: &str = "DisputeDocs.Late.UNOFFICIAL";

/// How long clamd may take to answer PING after it starts.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// Where clamd listens.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    Tcp,
    Unix,
}

pub struct Clamd {
    /// `SCAN_URL` for it.
    pub url: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn binary() -> PathBuf {
    for candidate in ["/usr/sbin/clamd", "/usr/bin/clamd", "/usr/local/sbin/clamd"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!(
        "clamd is not installed: `apt-get install -y clamav-daemon` (Debian's package; .ci/run does it)"
    );
}

/// An `.ndb` line matching `marker` anywhere in any file.
fn signature(name: &str, marker: &[u8]) -> String {
    format!("{name}:0:*:{}\n", hex::encode(marker))
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

impl Clamd {
    /// clamd knowing EICAR and the suite's marker, on a TCP port.
    pub async fn start() -> Clamd {
        Clamd::start_with(Listen::Tcp, "").await
    }

    /// clamd on `listen`, with `extra` lines of configuration (limits, say).
    pub async fn start_with(listen: Listen, extra: &str) -> Clamd {
        // The port is free when asked for; should another process take it first, clamd exits and
        // another is tried.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            std::fs::create_dir(dir.path().join("db")).unwrap();
            std::fs::write(
                dir.path().join("db/dispute-docs.ndb"),
                signature("DisputeDocs.Eicar", EICAR) + &signature("DisputeDocs.Marker", MARKER),
            )
            .unwrap();
            let (listen_lines, url) = match listen {
                Listen::Tcp => {
                    let port = free_port();
                    (
                        format!("TCPSocket {port}\nTCPAddr 127.0.0.1\n"),
                        format!("tcp://127.0.0.1:{port}"),
                    )
                }
                Listen::Unix => {
                    let socket = dir.path().join("clamd.sock");
                    (
                        format!("LocalSocket {}\n", socket.display()),
                        format!("unix://{}", socket.display()),
                    )
                }
            };
            // Limits above the uploads' (10 MB), unless `extra` sets its own: clamd reads the
            // first of a repeated option.
            let limits: String = ["StreamMaxLength 32M", "MaxFileSize 32M", "MaxScanSize 64M"]
                .into_iter()
                .filter(|line| !extra.contains(line.split(' ').next().unwrap()))
                .map(|line| format!("{line}\n"))
                .collect();
            std::fs::write(
                dir.path().join("clamd.conf"),
                format!(
                    "Foreground yes\nDatabaseDirectory {db}\nLogFile {log}\nLogTime yes\n\
                     TemporaryDirectory {tmp}\n{listen_lines}{limits}{extra}\n",
                    db = dir.path().join("db").display(),
                    log = dir.path().join("clamd.log").display(),
                    tmp = dir.path().display(),
                ),
            )
            .unwrap();
            let mut clamd = Clamd {
                url,
                dir,
                child: None,
            };
            if clamd.run().await {
                return clamd;
            }
        }
        panic!("clamd did not start");
    }

    /// Starts the daemon on its config; true once it answers PING, false if it exited.
    async fn run(&mut self) -> bool {
        let child = Command::new(binary())
            .arg("-c")
            .arg(self.dir.path().join("clamd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("clamd starts");
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if self.command(b"zPING\0").await.as_deref() == Some("PONG") {
                return true;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                eprintln!("clamd exited: {status}\n{}", self.log());
                self.child = None;
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "clamd did not answer PING in time\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One command's answer, or `None` when clamd does not answer.
    pub async fn command(&self, command: &[u8]) -> Option<String> {
        async fn ask(url: &str, command: &[u8]) -> std::io::Result<String> {
            let mut answer = Vec::new();
            if let Some(address) = url.strip_prefix("tcp://") {
                let mut stream = tokio::net::TcpStream::connect(address).await?;
                stream.write_all(command).await?;
                stream.read_to_end(&mut answer).await?;
            } else {
                let path = url.strip_prefix("unix://").unwrap();
                let mut stream = tokio::net::UnixStream::connect(path).await?;
                stream.write_all(command).await?;
                stream.read_to_end(&mut answer).await?;
            }
            let end = answer.iter().position(|b| *b == 0).unwrap_or(answer.len());
            Ok(String::from_utf8_lossy(&answer[..end]).into_owned())
        }
        tokio::time::timeout(Duration::from_secs(5), ask(&self.url, command))
            .await
            .ok()?
            .ok()
    }

    /// Stops the daemon at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again where it was (after `kill`), waiting until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        // A unix socket left by a killed daemon would keep it from binding.
        let _ = std::fs::remove_file(self.dir.path().join("clamd.sock"));
        assert!(self.run().await, "clamd did not start again");
    }

    /// A signature update: the late marker's signature added, and the daemon restarted on it.
    pub async fn learn_late_marker(&mut self) {
        std::fs::write(
            self.dir.path().join("db/late.ndb"),
            signature("DisputeDocs.Late", LATE_MARKER),
        )
        .unwrap();
        self.restart().await;
    }

    /// What clamd logged, for a failure's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("clamd.log")).unwrap_or_default()
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.kill();
    }
}
