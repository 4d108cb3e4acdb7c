//! Settings, from the environment (and a `.env` file when present) or the command line. Every
//! setting has a default that works on a laptop; `.env.example` documents them all.

use std::fmt;
use std::net::SocketAddr;

use chrono::TimeDelta;

/// A value that must never reach a log: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this secret, compared in constant time.
    pub fn matches(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.0.as_bytes().ct_eq(given.as_bytes()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Secret, String> {
        if s.len() < 16 {
            Err("must be at least 16 characters".into())
        } else {
            Ok(Secret(s.to_owned()))
        }
    }
}

/// A Redis URL (`redis://[user:password@]host[:port][/db]`, or `redis+unix:///path`), checked
/// at start-up. `Debug` hides its password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced, for logs and errors.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({})", self.redacted())
    }
}

impl std::str::FromStr for RedisUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<RedisUrl, String> {
        match redis::Client::open(s) {
            Ok(_) => Ok(RedisUrl(s.to_owned())),
            Err(e) => Err(format!("not a Redis URL: {e}")),
        }
    }
}

/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/dispute-docs.db";

/// `PACKET_MAX_INPUT_MB` unless set: five times the generic packet's 20 MB.
pub const DEFAULT_PACKET_MAX_INPUT_MB: u64 = 100;

#[derive(clap::Args, Clone)]
pub struct Settings {
    /// Where rows live: postgres://… (production) or sqlite://… (embedded).
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// The most database connections this process opens.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub database_max_connections: u32,

    /// Seconds a request waits for a free database connection when every one of this process's
    /// is busy; then it is answered 503 with `Retry-After: 1` rather than queued past
    /// REQUEST_TIMEOUT.
    #[arg(
        long,
        env = "DATABASE_ACQUIRE_TIMEOUT",
        default_value_t = 5,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub database_acquire_timeout: u32,

    /// Where file bytes live: a directory path, file:///abs/dir, s3://bucket/prefix or memory://.
    #[arg(
        long,
        env = "BLOB_STORE_URL",
        default_value = "./data/blobs",
        global = true
    )]
    pub blob_store_url: String,

    /// The address the server listens on.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen_addr: SocketAddr,

    /// The server's public URL, used in download_uri (default: http:// + LISTEN_ADDR).
    #[arg(long, env = "PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<String>,

    /// Bearer token for the operator API under /ops/ (no token: /ops/ is off).
    #[arg(long, env = "OPS_TOKEN", global = true, hide_env_values = true)]
    pub ops_token: Option<Secret>,

    /// Key that signs download URLs; servers behind one load balancer must share it
    /// (default: random per process, so download URLs die with the process).
    #[arg(long, env = "SIGNING_SECRET", global = true, hide_env_values = true)]
    pub signing_secret: Option<Secret>,

    /// Seconds a download_uri stays valid.
    #[arg(long, env = "DOWNLOAD_URL_TTL", default_value_t = 3600, global = true)]
    pub download_url_ttl: u32,

    /// Seconds a verified API key or Mangopay bearer token is remembered in-process (0: look it up
    /// on every request).
    /// A key revoked elsewhere stops working after at most this long.
    #[arg(long, env = "AUTH_CACHE_TTL", default_value_t = 5, global = true)]
    pub auth_cache_ttl: u32,

    /// Requests a minute (0: no limit) for each door's key: an Omise or Mangopay API key, a
    /// client address signing in to /web and a key tried there, an evidence link. Counted per
    /// server process, or across all of them with REDIS_URL.
    #[arg(long, env = "RATE_LIMIT", default_value_t = 0, global = true)]
    pub rate_limit: u32,

    /// Redis, where RATE_LIMIT is counted for every server process together (keys
    /// `dispute-docs:ratelimit:<key id>`, expiring). Unset: each process counts its own. It must
    /// answer at start-up; should it stop answering later (500 ms), requests go through
    /// uncounted, with a warning logged at most once a minute.
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    pub redis_url: Option<RedisUrl>,

    /// Seconds between sweeps of blobs that no document names (0: only at start-up).
    #[arg(long, env = "SWEEP_INTERVAL", default_value_t = 3600, global = true)]
    pub sweep_interval: u32,

    /// Seconds a blob or a partial upload must have been left before a sweep may remove it: an
    /// upload still in flight is younger (0: sweep everything unnamed at once, when nothing is
    /// in flight).
    #[arg(long, env = "SWEEP_GRACE", default_value_t = 600, global = true)]
    pub sweep_grace: u32,

    /// Seconds requests in flight (a slow upload) may take to finish after SIGTERM or ctrl-c;
    /// then the process stops anyway. Nothing is half-written either way: a change commits whole
    /// or not at all, and an upload cut off leaves a partial file the sweep removes.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = 30, global = true)]
    pub shutdown_grace: u32,

    /// Seconds a Mangopay bearer token lives (its `expires_in`; more than 60, as the SDKs need).
    #[arg(long, env = "MANGOPAY_TOKEN_TTL", default_value_t = 3600, global = true,
          value_parser = clap::value_parser!(u32).range(61..))]
    pub mangopay_token_ttl: u32,

    /// Networks webhook requests may reach although they are not public (comma-separated
    /// CIDRs, e.g. `127.0.0.0/8,10.0.0.0/8`). Default: none — loopback, private and link-local
    /// addresses are refused after DNS resolution.
    #[arg(
        long,
        env = "WEBHOOK_ALLOW_CIDRS",
        value_delimiter = ',',
        global = true
    )]
    pub webhook_allow_cidrs: Vec<ipnet::IpNet>,

    /// Seconds between webhook attempts, comma-separated (e.g. `5,300,1800`), replacing every
    /// dialect's own schedule; after the last, a delivery is dead. Default: each dialect's
    /// (README, "Events and webhooks").
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", global = true)]
    pub webhook_retry_schedule: Option<Schedule>,

    /// Seconds a webhook attempt may take, replacing each dialect's own (Omise 10).
    #[arg(long, env = "WEBHOOK_TIMEOUT", global = true)]
    pub webhook_timeout: Option<u32>,

    /// Milliseconds between looks for due webhook deliveries.
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = 1000, global = true)]
    pub webhook_poll_ms: u32,

    /// Days a merchant has to answer a dispute opened without a deadline, for accounts without
    /// their own (`dispute-docs account evidence-days`, or `PATCH /ops/accounts/{id}`).
    #[arg(long, env = "EVIDENCE_DAYS", default_value_t = 7, global = true)]
    pub evidence_days: u32,

    /// Hours before a dispute's evidence deadline at which a reminder event goes out,
    /// comma-separated (empty: none).
    #[arg(
        long,
        env = "EVIDENCE_REMINDERS",
        value_delimiter = ',',
        default_value = "72,24",
        global = true
    )]
    pub evidence_reminders: Vec<u32>,

    /// What happens to a dispute still awaiting evidence when its deadline passes: `lose` (it
    /// is lost, as Mangopay closes it, and its draft documents go out of date), `submit` (the
    /// evidence gathered so far is submitted) or `nothing`.
    #[arg(
        long,
        env = "ON_DEADLINE",
        value_enum,
        default_value = "lose",
        global = true
    )]
    pub on_deadline: OnDeadline,

    /// Seconds after a test-mode submission with `winning_evidence` / `losing_evidence` before
    /// the dispute is decided (0: at once).
    #[arg(long, env = "TEST_DECISION_DELAY", default_value_t = 0, global = true)]
    pub test_decision_delay: u32,

    /// The most pages a PDF may have (FILES.md §2; Stripe's limit per file is 50). A longer
    /// one is refused at upload, in every dialect, as `invalid_file_type`.
    #[arg(long, env = "MAX_PDF_PAGES", default_value_t = 50, global = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pdf_pages: u32,

    /// The most a dispute's files may weigh together, in MB (1,000,000 bytes), to be built
    /// into an evidence packet: a build holds them all in memory. Past it a packet request is
    /// answered 422 (`evidence_over_budget`) naming the heaviest files, before any is read.
    /// The largest network budget is 25 MB; pictures shrink to fit, PDF pages do not.
    #[arg(long, env = "PACKET_MAX_INPUT_MB", default_value_t = DEFAULT_PACKET_MAX_INPUT_MB,
          global = true, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub packet_max_input_mb: u64,

    /// Seconds a request other than an upload or download may take.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value_t = 30, global = true)]
    pub request_timeout: u32,

    /// `on`: request latencies, the database pool, blob bytes and errors and webhook outcomes
    /// are recorded and served at `GET /metrics` (Prometheus text format; with `OPS_TOKEN` set,
    /// only to `Authorization: Bearer $OPS_TOKEN`). `off`: nothing is recorded or served.
    #[arg(long, env = "METRICS", default_value = "on", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Seconds a dashboard session may stay unused before it ends (at least 60).
    #[arg(long, env = "WEB_SESSION_IDLE", default_value_t = 1800, global = true,
          value_parser = clap::value_parser!(u32).range(60..))]
    pub web_session_idle: u32,

    /// Proxies in front of the server (comma-separated CIDRs, e.g. `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client: the web sign-in's RATE_LIMIT counts per client
    /// address. Default: none — the address is the connection's.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// ClamAV's clamd, which scans every file that comes in (`tcp://host:port` or
    /// `unix:///path`). Unset: files are not scanned (said once at start-up).
    #[arg(long, env = "SCAN_URL", global = true)]
    pub scan_url: Option<ScanUrl>,

    /// Seconds clamd may take to accept a connection, to take each chunk of a file and to give
    /// its verdict after the last; past it the upload is answered 503 and nothing is stored.
    #[arg(long, env = "SCAN_TIMEOUT", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub scan_timeout: u32,
}

impl Settings {
    pub fn public_base_url(&self) -> String {
        let url = match &self.public_base_url {
            Some(url) => url.clone(),
            None => format!("http://{}", self.listen_addr),
        };
        url.trim_end_matches('/').to_owned()
    }

    pub fn download_url_ttl(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.download_url_ttl))
    }

    /// How long a request waits for a free database connection.
    pub fn database_acquire_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.database_acquire_timeout.into())
    }

    /// How old an unnamed blob or a partial upload must be before a sweep removes it.
    pub fn sweep_grace(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.sweep_grace))
    }

    /// Settings for tests and embedding: the given store URLs, every other value its default.
    pub fn for_urls(database_url: &str, blob_store_url: &str) -> Settings {
        Settings {
            database_url: database_url.to_owned(),
            blob_store_url: blob_store_url.to_owned(),
            database_max_connections: 16,
            database_acquire_timeout: 5,
            listen_addr: ([127, 0, 0, 1], 0).into(),
            public_base_url: None,
            ops_token: None,
            signing_secret: None,
            download_url_ttl: 3600,
            auth_cache_ttl: 5,
            rate_limit: 0,
            redis_url: None,
            sweep_interval: 3600,
            sweep_grace: 600,
            shutdown_grace: 30,
            mangopay_token_ttl: 3600,
            request_timeout: 30,
            metrics: true,
            web_session_idle: 1800,
            trusted_proxies: Vec::new(),
            scan_url: None,
            scan_timeout: 30,
            webhook_allow_cidrs: Vec::new(),
            webhook_retry_schedule: None,
            webhook_timeout: None,
            webhook_poll_ms: 1000,
            evidence_days: 7,
            evidence_reminders: vec![72, 24],
            on_deadline: OnDeadline::Lose,
            test_decision_delay: 0,
            max_pdf_pages: 50,
            packet_max_input_mb: DEFAULT_PACKET_MAX_INPUT_MB,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field("database_acquire_timeout", &self.database_acquire_timeout)
            .field("blob_store_url", &self.blob_store_url)
            .field("listen_addr", &self.listen_addr)
            .field("public_base_url", &self.public_base_url)
            .field("ops_token", &self.ops_token)
            .field("signing_secret", &self.signing_secret)
            .field("download_url_ttl", &self.download_url_ttl)
            .field("webhook_allow_cidrs", &self.webhook_allow_cidrs)
            .field("webhook_retry_schedule", &self.webhook_retry_schedule)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("webhook_poll_ms", &self.webhook_poll_ms)
            .field("evidence_days", &self.evidence_days)
            .field("evidence_reminders", &self.evidence_reminders)
            .field("on_deadline", &self.on_deadline)
            .field("test_decision_delay", &self.test_decision_delay)
            .field("max_pdf_pages", &self.max_pdf_pages)
            .field("packet_max_input_mb", &self.packet_max_input_mb)
            .field("auth_cache_ttl", &self.auth_cache_ttl)
            .field("rate_limit", &self.rate_limit)
            .field("redis_url", &self.redis_url)
            .field("sweep_interval", &self.sweep_interval)
            .field("sweep_grace", &self.sweep_grace)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("mangopay_token_ttl", &self.mangopay_token_ttl)
            .field("request_timeout", &self.request_timeout)
            .field("metrics", &self.metrics)
            .field("web_session_idle", &self.web_session_idle)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("scan_url", &self.scan_url)
            .field("scan_timeout", &self.scan_timeout)
            .finish()
    }
}

/// The URL with any password replaced.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Waits between attempts, written as seconds: `5,300,1800`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule(pub Vec<chrono::TimeDelta>);

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(text: &str) -> Result<Schedule, String> {
        text.split(',')
            .map(|s| {
                s.trim()
                    .parse::<u32>()
                    .map(|n| chrono::TimeDelta::seconds(n.into()))
                    .map_err(|_| format!("{s:?} is not a number of seconds"))
            })
            .collect::<Result<_, _>>()
            .map(Schedule)
    }
}

/// What happens to a dispute still awaiting evidence when its deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnDeadline {
    /// Lost (as Mangopay closes it); draft documents go out of date.
    Lose,
    /// The evidence gathered so far is submitted, as if the merchant had answered.
    Submit,
    /// Nothing: the dispute waits.
    Nothing,
}

/// Where clamd listens (`SCAN_URL`): `tcp://host:port` or `unix:///path`.
#[derive(Clone, PartialEq, Eq)]
pub enum ScanUrl {
    /// `host:port`.
    Tcp(String),
    Unix(std::path::PathBuf),
}

impl std::str::FromStr for ScanUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<ScanUrl, String> {
        let url = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
        match url.scheme() {
            "tcp" => {
                let host = url
                    .host_str()
                    .filter(|h| !h.is_empty())
                    .ok_or("tcp:// needs a host")?;
                let port = url.port().ok_or("tcp:// needs a port (clamd's is 3310)")?;
                if !matches!(url.path(), "" | "/") {
                    return Err("tcp://host:port takes no path".into());
                }
                Ok(ScanUrl::Tcp(format!("{host}:{port}")))
            }
            "unix" => {
                if url.host_str().is_some_and(|h| !h.is_empty()) {
                    return Err("unix:///path needs three slashes (an absolute path)".into());
                }
                let path = url.path();
                if path.len() < 2 {
                    return Err("unix:///path needs the socket's path".into());
                }
                Ok(ScanUrl::Unix(path.into()))
            }
            other => Err(format!(
                "scheme {other}: must be tcp://host:port or unix:///path"
            )),
        }
    }
}

impl fmt::Display for ScanUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanUrl::Tcp(address) => write!(f, "tcp://{address}"),
            ScanUrl::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

impl fmt::Debug for ScanUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScanUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_and_database_passwords() {
        let mut s = Settings::for_urls("postgres://app:hunter2hunter2@db/x", "memory://");
        s.ops_token = Some("a-very-long-ops-token".parse().unwrap());
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("a-very-long-ops-token"),
            "{shown}"
        );
    }

    #[test]
    fn redis_urls_are_checked_and_their_passwords_hidden() {
        assert!("http://cache:6379".parse::<RedisUrl>().is_err());
        let url: RedisUrl = "redis://:hunter2hunter2@cache:6379/0".parse().unwrap();
        assert_eq!(url.expose(), "redis://:hunter2hunter2@cache:6379/0");
        let mut s = Settings::for_urls("memory://", "memory://");
        s.redis_url = Some(url);
        assert!(!format!("{s:?}").contains("hunter2"), "{s:?}");
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!("short".parse::<Secret>().is_err());
    }

    #[test]
    fn schedules_parse_as_seconds() {
        use chrono::TimeDelta;
        assert_eq!(
            "1, 2,30".parse(),
            Ok(Schedule(vec![
                TimeDelta::seconds(1),
                TimeDelta::seconds(2),
                TimeDelta::seconds(30)
            ]))
        );
        assert!("1,x".parse::<Schedule>().is_err());
    }

    #[test]
    fn scan_urls_are_tcp_with_a_port_or_an_absolute_unix_path() {
        let tcp: ScanUrl = "tcp://127.0.0.1:3310".parse().unwrap();
        assert_eq!(tcp, ScanUrl::Tcp("127.0.0.1:3310".into()));
        assert_eq!(tcp.to_string(), "tcp://127.0.0.1:3310");
        assert_eq!(
            "tcp://clamd.internal:3310/".parse::<ScanUrl>(),
            Ok(ScanUrl::Tcp("clamd.internal:3310".into()))
        );
        assert_eq!(
            "tcp://[::1]:3310".parse::<ScanUrl>(),
            Ok(ScanUrl::Tcp("[::1]:3310".into()))
        );
        let unix: ScanUrl = "unix:///run/clamav/clamd.ctl".parse().unwrap();
        assert_eq!(unix, ScanUrl::Unix("/run/clamav/clamd.ctl".into()));
        assert_eq!(unix.to_string(), "unix:///run/clamav/clamd.ctl");
        for bad in [
            "tcp://127.0.0.1",
            "tcp://:3310",
            "tcp://host:3310/path",
            "unix://run/clamd.ctl",
            "unix:///",
            "http://127.0.0.1:3310",
            "127.0.0.1:3310",
            "",
        ] {
            assert!(bad.parse::<ScanUrl>().is_err(), "{bad}");
        }
    }
}
