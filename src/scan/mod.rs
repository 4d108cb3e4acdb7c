//! Malware scanning with ClamAV's daemon, clamd (FILES.md §3), reached at `SCAN_URL`
//! (`tcp://host:port` or `unix:///path`).
//!
//! A file is scanned as it streams: `Scanner::start` opens a connection and sends `INSTREAM`,
//! `Scan::send` passes each chunk on as the upload hands it over (the same chunks that go to the
//! blob store: one pass, nothing held), and `Scan::finish` ends the stream and reads the verdict.
//! Every scan has a connection of its own, so a clamd that went away and came back is used again
//! at the next scan without anything to reset. Every step is bounded by the scanner's time-out:
//! a clamd that does not answer is an error, never a wait.
//!
//! Nothing here decides what a verdict means for an upload; the core does. This module imports
//! nothing of the crate but its settings' type and the metrics.

mod protocol;

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use protocol::AnswerError;
pub use protocol::Verdict;

pub use crate::config::ScanUrl;
use crate::metrics::Metrics;

/// How long the engine's version, as `VERSION` tells it, is taken as current.
const ENGINE_TTL: Duration = Duration::from_secs(60);
/// How long an answer that came while chunks were still being sent is waited for.
const EARLY_ANSWER_WAIT: Duration = Duration::from_millis(500);

/// Why a scan gave no verdict. Every one of them means the file was not scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("clamd at {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("clamd did not {step} within {limit:?}")]
    TimedOut { step: &'static str, limit: Duration },
    #[error("the connection to clamd broke: {0}")]
    Broken(#[source] std::io::Error),
    #[error("clamd could not scan: {0}")]
    Failed(String),
    #[error("clamd's answer is not understood: {0:?}")]
    Garbled(String),
}

impl From<AnswerError> for ScanError {
    fn from(e: AnswerError) -> ScanError {
        match e {
            AnswerError::Error(line) => ScanError::Failed(line),
            AnswerError::Garbled(line) => ScanError::Garbled(line),
        }
    }
}

/// A connection to clamd, over TCP or a unix socket.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// The way to clamd, with its time-out.
pub struct Scanner {
    url: ScanUrl,
    timeout: Duration,
    metrics: Metrics,
    /// The engine's version, and when it was asked.
    engine: Mutex<Option<(String, Instant)>>,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Scanner {
    /// A scanner at `url` whose every step (connecting, each chunk, the verdict) takes at most
    /// `timeout`.
    pub fn new(url: ScanUrl, timeout: Duration) -> Scanner {
        Scanner {
            url,
            timeout,
            metrics: Metrics::default(),
            engine: Mutex::new(None),
        }
    }

    /// The same scanner, counting its verdicts and latency in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Scanner {
        Scanner { metrics, ..self }
    }

    pub fn url(&self) -> &ScanUrl {
        &self.url
    }

    async fn connect(&self) -> Result<Box<dyn Connection>, ScanError> {
        let unreachable = |source| ScanError::Unreachable {
            url: self.url.to_string(),
            source,
        };
        let connecting = async {
            Ok::<Box<dyn Connection>, std::io::Error>(match &self.url {
                ScanUrl::Tcp(address) => {
                    let stream = tokio::net::TcpStream::connect(address.as_str()).await?;
                    // A chunk's 4-byte header must not wait for the acknowledgement of the last.
                    stream.set_nodelay(true)?;
                    Box::new(stream)
                }
                ScanUrl::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            })
        };
        self.bounded("accept a connection", connecting)
            .await?
            .map_err(unreachable)
    }

    /// `step` within the time-out.
    async fn bounded<T>(
        &self,
        step: &'static str,
        work: impl Future<Output = T>,
    ) -> Result<T, ScanError> {
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| ScanError::TimedOut {
                step,
                limit: self.timeout,
            })
    }

    /// Sends a command and reads its one-line answer.
    async fn command(&self, command: &'static [u8]) -> Result<String, ScanError> {
        let mut connection = self.connect().await?;
        self.bounded("read a command", connection.write_all(command))
            .await?
            .map_err(ScanError::Broken)?;
        self.bounded("answer", read_answer(&mut connection))
            .await?
            .map_err(ScanError::Broken)
    }

    /// Whether clamd answers `PING` with `PONG`.
    pub async fn ping(&self) -> Result<(), ScanError> {
        match self.command(protocol::PING).await? {
            answer if answer == "PONG" => Ok(()),
            answer => Err(ScanError::Garbled(answer)),
        }
    }

    /// The engine and signature database versions (`ClamAV 1.4.6/27480/Mon Dec  1 …`), asked
    /// again once a minute.
    pub async fn engine(&self) -> Result<String, ScanError> {
        if let Some((version, at)) = &*self.engine.lock().expect("not poisoned") {
            if at.elapsed() < ENGINE_TTL {
                return Ok(version.clone());
            }
        }
        let version = self.command(protocol::VERSION).await?;
        if !version.starts_with("ClamAV") {
            return Err(ScanError::Garbled(version));
        }
        *self.engine.lock().expect("not poisoned") = Some((version.clone(), Instant::now()));
        Ok(version)
    }

    /// Opens a stream to scan: the chunks follow with `Scan::send`.
    pub async fn start(&self) -> Result<Scan<'_>, ScanError> {
        let mut connection = self.connect().await?;
        let sent = self
            .bounded("read a command", connection.write_all(protocol::INSTREAM))
            .await;
        if let Err(e) = sent.and_then(|r| r.map_err(ScanError::Broken)) {
            self.count_error();
            return Err(e);
        }
        Ok(Scan {
            scanner: self,
            connection,
            sent: 0,
        })
    }

    fn count_error(&self) {
        self.metrics.scan("error", None);
    }
}

/// A file being scanned.
pub struct Scan<'a> {
    scanner: &'a Scanner,
    connection: Box<dyn Connection>,
    /// Bytes sent so far.
    sent: u64,
}

impl Scan<'_> {
    /// Passes a chunk on. `Ok(Some(verdict))` when clamd answered before the end (a stream over
    /// its `StreamMaxLength`): the scan is over, and nothing more is sent.
    pub async fn send(&mut self, chunk: &[u8]) -> Result<Option<Verdict>, ScanError> {
        // A chunk of no bytes would end the stream.
        if chunk.is_empty() {
            return Ok(None);
        }
        let header = protocol::chunk_header(chunk.len());
        let writing = async {
            self.connection.write_all(&header).await?;
            self.connection.write_all(chunk).await
        };
        let written = tokio::time::timeout(self.scanner.timeout, writing).await;
        match written {
            Ok(Ok(())) => {
                self.sent += chunk.len() as u64;
                Ok(None)
            }
            // clamd stops reading when it has had enough: what it said, if it said anything.
            Ok(Err(e)) => match self.early_answer().await {
                Some(Ok(verdict)) => {
                    self.scanner.metrics.scan(label(&verdict), None);
                    Ok(Some(verdict))
                }
                Some(Err(answer)) => Err(self.failed(answer.into())),
                None => Err(self.failed(ScanError::Broken(e))),
            },
            Err(_) => Err(self.failed(ScanError::TimedOut {
                step: "take a chunk",
                limit: self.scanner.timeout,
            })),
        }
    }

    async fn early_answer(&mut self) -> Option<Result<Verdict, AnswerError>> {
        let answer = tokio::time::timeout(EARLY_ANSWER_WAIT, read_answer(&mut self.connection))
            .await
            .ok()?
            .ok()
            .filter(|a| !a.is_empty())?;
        Some(protocol::verdict(&answer))
    }

    fn failed(&self, e: ScanError) -> ScanError {
        self.scanner.count_error();
        e
    }

    /// Ends the stream and waits for the verdict.
    pub async fn finish(mut self) -> Result<Verdict, ScanError> {
        let scanner = self.scanner;
        let asked = Instant::now();
        let answer = scanner
            .bounded("give a verdict", async {
                self.connection.write_all(&protocol::END_OF_STREAM).await?;
                read_answer(&mut self.connection).await
            })
            .await
            .and_then(|r| r.map_err(ScanError::Broken));
        let verdict = answer.and_then(|a| protocol::verdict(&a).map_err(ScanError::from));
        match &verdict {
            Ok(v) => scanner.metrics.scan(label(v), Some(asked.elapsed())),
            Err(_) => scanner.count_error(),
        }
        verdict
    }

    /// Bytes sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }
}

/// A verdict's name in the metrics.
fn label(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Clean => "clean",
        Verdict::Found(_) => "found",
        Verdict::TooBig(_) => "too_big",
    }
}

/// Reads one answer, up to its NUL (or the end of the connection).
async fn read_answer(connection: &mut Box<dyn Connection>) -> std::io::Result<String> {
    let mut answer = Vec::with_capacity(64);
    let mut buffer = [0u8; 256];
    loop {
        let n = connection.read(&mut buffer).await?;
        if n == 0 {
            if answer.is_empty() {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if answer.contains(&0) || answer.len() >= protocol::MAX_ANSWER {
            break;
        }
    }
    Ok(protocol::answer_text(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_listening_is_unreachable_and_said_so_with_the_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let scanner = Scanner::new(ScanUrl::Tcp(address.to_string()), Duration::from_secs(2));
        let error = scanner.ping().await.unwrap_err();
        assert!(matches!(error, ScanError::Unreachable { .. }), "{error}");
        assert!(error.to_string().contains(&address.to_string()), "{error}");
        assert!(scanner.start().await.is_err());
    }

    #[tokio::test]
    async fn a_clamd_that_never_answers_times_out() {
        // Accepts, reads, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = vec![0u8; 1024];
                let _ = socket.read(&mut buffer).await;
                held.push(socket);
            }
        });
        let scanner = Scanner::new(
            ScanUrl::Tcp(address.to_string()),
            Duration::from_millis(200),
        );
        let error = scanner.ping().await.unwrap_err();
        assert!(matches!(error, ScanError::TimedOut { .. }), "{error}");
        let mut scan = scanner.start().await.unwrap();
        scan.send(b"some bytes").await.unwrap();
        let error = scan.finish().await.unwrap_err();
        assert!(matches!(error, ScanError::TimedOut { .. }), "{error}");
    }
}
