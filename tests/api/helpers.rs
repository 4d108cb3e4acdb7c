//! `TestApp`: a server on port 0 over a fresh database with the demo data, and one helper per
//! endpoint. `each_backend!` runs a test body once per store.

use dispute_docs::app::{self, AppState};
use dispute_docs::blobs::Blobs;
use dispute_docs::config::Settings;
use dispute_docs::domain::{Clock, Id, IdKind, Mode, Scope};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub const KEY: &str = "skey_test_4xs8breq3htbkj03d2x";
pub const SECOND_KEY: &str = "skey_test_5xuy4w91xqz7d1w9u0t";
pub const LIVE_KEY: &str = "skey_5g5ih3pybo7v4wwrlv1";
pub const OTHER_ACCOUNT_KEY: &str = "skey_test_5otheracct0key0000";
pub const DEMO_ACCOUNT: &str = "acct_5demomerchant000000";
pub const OPS_TOKEN: &str = "test-ops-token-0123456789";
/// Open demo disputes with one document each (the seed documents' examples).
pub const OPEN_DISPUTE: &str = "dspt_test_5g5ih3pybo7v4wwrbjw";
pub const OPEN_DOCUMENT: &str = "docu_test_5g5iiejzhyhbfyj6kzs";
pub const PENDING_DISPUTE: &str = "dspt_test_5demopend6000000000";
pub const LIVE_DISPUTE: &str = "dspt_5demolive1000000000";
pub const OTHER_ACCOUNT_DISPUTE: &str = "dspt_test_5otheracct100000000";

pub use dispute_docs::domain::FileType;

pub const PNG: &[u8] = include_bytes!("../../fixtures/files/receipt.png");
pub const JPEG: &[u8] = include_bytes!("../../fixtures/files/delivery-slip.jpg");
pub const PDF: &[u8] = include_bytes!("../../fixtures/files/invoice.pdf");

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Postgres,
    Sqlite,
}

macro_rules! each_backend {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await; $body } )*
        }
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await; $body } )*
        }
    };
}

/// Where a test server keeps its files.
pub enum BlobConfig {
    /// A fresh temporary directory.
    Local,
    /// `s3://bucket/prefix`, with the S3 options (endpoint, keys) of a moto server.
    S3 {
        url: String,
        options: Vec<(String, String)>,
    },
}

/// A fresh database, dropped with the app.
pub(crate) enum Database {
    Postgres { admin_url: String, name: String },
    Sqlite { _dir: tempfile::TempDir },
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub database_url: String,
    _blob_dir: tempfile::TempDir,
    database: Database,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts an Omise error object with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["object"], "error", "{body}");
        assert_eq!(body["code"], code, "{body}");
        let anchor = code.replace('_', "-");
        assert_eq!(
            body["location"],
            format!("https://www.omise.co/api-errors#{anchor}")
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    }
}

/// Sends a request whose answer is JSON.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the request is answered");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("a JSON body, got {status}: {text:?}"));
    Reply {
        status,
        headers,
        body,
    }
}

fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub(crate) async fn fresh_postgres() -> (String, Database) {
    use sqlx::Connection;
    let admin_url = test_database_url();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach Postgres at {admin_url} ({e}).\nThe suite needs a real Postgres: start one \
             (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) \
             or point TEST_DATABASE_URL at one."
        )
    });
    let name = format!("dd_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    (url.to_string(), Database::Postgres { admin_url, name })
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// A server whose settings `configure` adjusts first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::spawn_on(backend, BlobConfig::Local, configure).await
    }

    /// A server over the given blob store, whose settings `configure` adjusts first.
    pub async fn spawn_on(
        backend: Backend,
        blob_config: BlobConfig,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let blob_dir = tempfile::tempdir().expect("a temp dir");
        let (database_url, database) = match backend {
            Backend::Postgres => fresh_postgres().await,
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                (url, Database::Sqlite { _dir: dir })
            }
        };
        let (blob_url, s3_options) = match blob_config {
            BlobConfig::Local => (blob_dir.path().to_str().unwrap().to_owned(), Vec::new()),
            BlobConfig::S3 { url, options } => (url, options),
        };
        let mut settings = Settings::for_urls(&database_url, &blob_url);
        settings.ops_token = Some(OPS_TOKEN.parse().unwrap());
        settings.signing_secret = Some("test-signing-secret-0123456789".parse().unwrap());
        // Revocation must show at once in tests that revoke through the store.
        settings.auth_cache_ttl = 0;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        settings.public_base_url = Some(base.clone());
        configure(&mut settings);
        let store = dispute_docs::store::connect(
            &database_url,
            settings.database_max_connections,
            settings.database_acquire_timeout(),
        )
        .await
        .expect("connect the store");
        store.migrate().await.expect("migrate");
        let s3_options: Vec<(&str, &str)> = s3_options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let blobs = Blobs::from_url_with(&settings.blob_store_url, &s3_options).unwrap();
        let state = AppState::new(store, blobs, settings, Clock::default());
        dispute_docs::seed::seed_demo(&state.core)
            .await
            .expect("seed the demo data");
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn({
            let state = state.clone();
            async move {
                app::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await
                .expect("the server runs");
            }
        });
        TestApp {
            backend,
            base,
            state,
            client: reqwest::Client::new(),
            database_url,
            _blob_dir: blob_dir,
            database,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn scope(&self) -> Scope {
        Scope {
            account: Id::parse(IdKind::Account, DEMO_ACCOUNT).unwrap(),
            mode: Mode::Test,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        send(request).await
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(KEY, Some(""))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Reply {
        self.send(self.client.get(self.url(path)).basic_auth(key, Some("")))
            .await
    }

    pub async fn get_versioned(&self, version: &str, path: &str) -> Reply {
        self.send(
            self.request(Method::GET, path)
                .header("Omise-Version", version),
        )
        .await
    }

    pub async fn patch_form(&self, path: &str, form: &str) -> Reply {
        let req = self
            .request(Method::PATCH, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        self.send(req).await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    pub async fn update(&self, dispute: &str, message: &str) -> Reply {
        self.patch_json(
            &format!("/disputes/{dispute}"),
            serde_json::json!({ "message": message }),
        )
        .await
    }

    pub async fn accept(&self, dispute: &str) -> Reply {
        self.send(self.request(Method::PATCH, &format!("/disputes/{dispute}/accept")))
            .await
    }

    /// The keys of a dispute's events (`GET /disputes/{id}/events`), oldest first.
    pub async fn event_keys(&self, dispute: &str) -> Vec<String> {
        let path = format!("/disputes/{dispute}/events?order=chronological&limit=100");
        let list = self.get(&path).await.expect(200);
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Opens a fresh test dispute through the test API; returns its id.
    pub async fn open_dispute(&self) -> String {
        let charge = Id::generate(IdKind::Charge, Mode::Test, chrono::Utc::now().timestamp());
        let body = self
            .send(self.request(Method::POST, &format!("/charges/{charge}/disputes")))
            .await
            .expect(200);
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn upload(
        &self,
        dispute: &str,
        filename: &str,
        bytes: &[u8],
        kind: Option<&str>,
    ) -> Reply {
        let mut form = Form::new().part(
            "file",
            Part::bytes(bytes.to_vec()).file_name(filename.to_owned()),
        );
        if let Some(kind) = kind {
            form = form.text("kind", kind.to_owned());
        }
        self.send(
            self.request(Method::POST, &format!("/disputes/{dispute}/documents"))
                .multipart(form),
        )
        .await
    }

    pub async fn delete_document(&self, dispute: &str, document: &str) -> Reply {
        self.send(self.request(
            Method::DELETE,
            &format!("/disputes/{dispute}/documents/{document}"),
        ))
        .await
    }

    pub async fn ops(&self, method: Method, path: &str, body: Value) -> Reply {
        self.send(
            self.client
                .request(method, self.url(path))
                .bearer_auth(OPS_TOKEN)
                .json(&body),
        )
        .await
    }

    /// Every blob key in the blob store, sorted.
    pub async fn blob_keys(&self) -> Vec<String> {
        let mut keys = self.state.core.blobs.keys().await.unwrap();
        keys.sort();
        keys
    }

    /// Every document row's blob key, read straight from the database, sorted.
    pub async fn row_blob_keys(&self) -> Vec<String> {
        self.sql_strings("select blob_key from pages order by blob_key")
            .await
    }

    /// Partial uploads left in a local blob directory (`<key>#<n>` files).
    pub fn staged_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self._blob_dir.path().join("documents")) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains('#'))
            .collect()
    }

    /// Runs a statement on the test's own database, bypassing the app.
    pub async fn sql_execute(&self, sql: &str) {
        let url = &self.database_url;
        if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }

    /// Runs a query returning one text column, on the test's own database, bypassing the app.
    pub async fn sql_strings(&self, sql: &str) -> Vec<String> {
        let url = &self.database_url;
        if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        } else {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }
}

impl TestApp {
    /// Waits until some session of the test's Postgres database waits for a lock (a request
    /// the test has sent, queued behind a transaction the test holds open).
    pub async fn until_a_session_waits_for_a_lock(&self, what: &str) {
        let waiting = "select pid::text from pg_stat_activity where datname = current_database() \
                       and wait_event_type = 'Lock'";
        crate::processes::until(what, || async {
            !self.sql_strings(waiting).await.is_empty()
        })
        .await;
    }

    /// Drops a Postgres test database now, cutting the server's connections.
    pub async fn drop_database(&self) {
        use sqlx::Connection;
        let Database::Postgres { admin_url, name } = &self.database else {
            panic!("Postgres only")
        };
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(&format!("drop database {name} with (force)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop the database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("drop database if exists {name} with (force)"))
                                .execute(&mut admin)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Mangopay dialect (MANGOPAY.md and the shared brief): its demo credentials, a token per
// ClientId, requests under `/v2.01/{ClientId}`, its error objects, and a restart.

/// The demo account's Mangopay ClientId and API key (test mode: the sandbox).
pub const MP_CLIENT: &str = "dispute-docs-demo";
pub const MP_KEY: &str = "demo_api_key_5g5ih3pybo7v4wwrbjw";
/// The other demo account's.
pub const MP_OTHER_CLIENT: &str = "other-demo";
pub const MP_OTHER_KEY: &str = "other_api_key_5otheracct0000000";
pub const OTHER_ACCOUNT: &str = "acct_5otheracct000000000";
/// A page's decoded size, inclusive bounds.
pub const MP_MIN_PAGE: usize = 1024;
pub const MP_MAX_PAGE: usize = 7 * 1024 * 1024;

/// A token and when it expires by the app's clock.
type CachedToken = (String, chrono::DateTime<chrono::Utc>);

/// Tokens already issued, by (database, ClientId). Keyed by database, which is unique to a test,
/// so that a reused port cannot mix them up.
static MP_TOKENS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<(String, String), CachedToken>>,
> = std::sync::LazyLock::new(Default::default);

/// Standard base64, as the SDKs send a page's `File`.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A file of exactly `len` bytes of the type `magic` names, made unique by `tag`: for
/// `PDF_MAGIC`, `GIF_MAGIC` and `GIF87a` a real PDF or GIF that passes the checks
/// (`files::samples::sized`); for any other magic, bytes that only start with it, for the
/// refusals.
pub fn padded(magic: &[u8], tag: &str, len: usize) -> Vec<u8> {
    use dispute_docs::domain::FileType;
    match magic {
        PDF_MAGIC => return real(FileType::Pdf, tag, len),
        GIF_MAGIC => return real(FileType::Gif, tag, len),
        b"GIF87a" => {
            let mut gif = real(FileType::Gif, tag, len);
            gif[..6].copy_from_slice(b"GIF87a");
            return gif;
        }
        _ => {}
    }
    let mut bytes = magic.to_vec();
    bytes.extend_from_slice(format!("\n% {tag}\n").as_bytes());
    assert!(bytes.len() <= len, "{len} bytes cannot hold the header");
    bytes.resize(len, b' ');
    bytes
}

/// A real file of `file_type` of exactly `len` bytes, made unique by `tag`.
pub fn real(file_type: dispute_docs::domain::FileType, tag: &str, len: usize) -> Vec<u8> {
    dispute_docs::files::samples::sized(file_type, tag, len)
}

pub const PDF_MAGIC: &[u8] = b"%PDF-1.4";
pub const GIF_MAGIC: &[u8] = b"GIF89a";

/// The rel → URL pairs of a `Link` header, split on commas as PHP does (so a URL must not hold a
/// raw comma) and on `;`.
pub fn mp_links(
    headers: &reqwest::header::HeaderMap,
) -> std::collections::BTreeMap<String, String> {
    let link = headers
        .get("link")
        .expect("a Link header")
        .to_str()
        .expect("an ASCII Link header");
    let mut rels = std::collections::BTreeMap::new();
    for part in link.split(',').filter(|p| !p.trim().is_empty()) {
        let mut pieces = part.split(';');
        let url = pieces.next().unwrap().trim();
        assert!(
            url.starts_with('<') && url.ends_with('>'),
            "a Link part is `<url>; rel=...` (a raw comma in a URL?): {link}"
        );
        let rel = pieces
            .map(str::trim)
            .find_map(|p| p.strip_prefix("rel="))
            .unwrap_or_else(|| panic!("a rel in {part:?}"))
            .trim_matches('"');
        rels.insert(rel.to_owned(), url[1..url.len() - 1].to_owned());
    }
    rels
}

/// A paging header's value as a number.
pub fn mp_header_count(headers: &reqwest::header::HeaderMap, name: &str) -> u64 {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a whole number"))
}

/// The `Id`s of a JSON array of Mangopay objects, in order.
pub fn mp_ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("a JSON array, got {body}"))
        .iter()
        .map(|o| o["Id"].as_str().expect("an Id").to_owned())
        .collect()
}

impl Reply {
    /// Asserts a Mangopay error object (MANGOPAY.md §7) with this status, whatever its `Type`:
    /// `Message`, `Type`, `Id`, an integer `Date`, and the `errors` key (an object or null).
    #[track_caller]
    pub fn expect_mp_error_status(self, status: u16) -> Value {
        let body = self.expect(status);
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("an error object, got {body}"));
        assert!(
            body["Message"].as_str().is_some_and(|m| !m.is_empty()),
            "a Message: {body}"
        );
        assert!(
            body["Type"].as_str().is_some_and(|t| !t.is_empty()),
            "a Type: {body}"
        );
        assert!(
            body["Id"].as_str().is_some_and(|t| !t.is_empty()),
            "an Id: {body}"
        );
        assert!(
            body["Date"].is_i64() || body["Date"].is_u64(),
            "an integer Date: {body}"
        );
        assert!(object.contains_key("errors"), "an `errors` key: {body}");
        assert!(
            body["errors"].is_null() || body["errors"].is_object(),
            "errors is an object or null: {body}"
        );
        body
    }

    /// Asserts a Mangopay error object with this status and `Type`.
    #[track_caller]
    pub fn expect_mp_error(self, status: u16, kind: &str) -> Value {
        let body = self.expect_mp_error_status(status);
        assert_eq!(body["Type"], kind, "{body}");
        body
    }

    /// Asserts a Mangopay error whose `errors` object names `field`.
    #[track_caller]
    pub fn expect_mp_field_error(self, status: u16, kind: &str, field: &str) -> Value {
        let body = self.expect_mp_error(status, kind);
        assert!(
            body["errors"][field]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "errors names {field}: {body}"
        );
        body
    }

    /// Asserts `204 No Content` with an empty body.
    #[track_caller]
    pub fn expect_no_content(self) {
        assert_eq!(
            self.status.as_u16(),
            204,
            "unexpected status; body: {}",
            self.body
        );
        assert!(self.body.is_null(), "an empty body: {}", self.body);
        if let Some(length) = self.headers.get(reqwest::header::CONTENT_LENGTH) {
            assert_eq!(length, "0");
        }
    }

    /// The paging headers of a list: (X-Number-Of-Items, X-Number-Of-Pages).
    #[track_caller]
    pub fn counts(&self) -> (u64, u64) {
        (
            mp_header_count(&self.headers, "x-number-of-items"),
            mp_header_count(&self.headers, "x-number-of-pages"),
        )
    }
}

impl TestApp {
    /// `POST /v2.01/oauth/token` with Basic base64(ClientId:ApiKey) and the form body Node sends.
    pub async fn token_reply(&self, client: &str, key: &str) -> Reply {
        let req = self
            .client
            .post(self.url("/v2.01/oauth/token"))
            .basic_auth(client, Some(key))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials");
        self.mp_send(req).await
    }

    /// A fresh bearer token for this ClientId.
    pub async fn token(&self, client: &str, key: &str) -> String {
        let body = self.token_reply(client, key).await.expect(200);
        body["access_token"]
            .as_str()
            .expect("an access_token")
            .to_owned()
    }

    /// A token for `client`, reused, as the SDKs do, until a minute before the app's clock says
    /// it expires.
    pub async fn cached_token(&self, client: &str, key: &str) -> String {
        let slot = (self.database_url.clone(), client.to_owned());
        let now = self.state.core.clock.now();
        if let Some((token, expires)) = MP_TOKENS.lock().unwrap().get(&slot) {
            if now + chrono::TimeDelta::seconds(60) < *expires {
                return token.clone();
            }
        }
        let body = self.token_reply(client, key).await.expect(200);
        let token = body["access_token"]
            .as_str()
            .expect("an access_token")
            .to_owned();
        let lifetime = body["expires_in"].as_i64().expect("an integer expires_in");
        let expires = now + chrono::TimeDelta::seconds(lifetime);
        MP_TOKENS
            .lock()
            .unwrap()
            .insert(slot, (token.clone(), expires));
        token
    }

    /// The demo ClientId's token.
    pub async fn mp_token(&self) -> String {
        self.cached_token(MP_CLIENT, MP_KEY).await
    }

    /// `/v2.01/{MP_CLIENT}{path}`.
    pub fn mp_path(&self, path: &str) -> String {
        format!("/v2.01/{MP_CLIENT}{path}")
    }

    /// A request to a full path (from the root) with this bearer token, declaring JSON as both
    /// SDKs do on every call.
    pub fn mp_request_as(
        &self,
        token: &str,
        method: Method,
        full_path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(full_path))
            .bearer_auth(token)
            .header("content-type", "application/json")
    }

    /// A request to `/v2.01/{MP_CLIENT}{path}` with the demo token.
    pub async fn mp_request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let token = self.mp_token().await;
        self.mp_request_as(&token, method, &self.mp_path(path))
    }

    /// Sends a request whose answer is JSON or empty (then the body is `Value::Null`).
    pub async fn mp_send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("a JSON body, got {status}: {text:?}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn mp_get(&self, path: &str) -> Reply {
        let req = self.mp_request(Method::GET, path).await;
        self.mp_send(req).await
    }

    pub async fn mp_post(&self, path: &str, body: Value) -> Reply {
        let req = self
            .mp_request(Method::POST, path)
            .await
            .body(body.to_string());
        self.mp_send(req).await
    }

    pub async fn mp_put(&self, path: &str, body: Value) -> Reply {
        let req = self
            .mp_request(Method::PUT, path)
            .await
            .body(body.to_string());
        self.mp_send(req).await
    }

    /// A GET to a full path as another ClientId (a token is fetched and cached for it).
    pub async fn mp_get_as(&self, client: &str, key: &str, full_path: &str) -> Reply {
        let token = self.cached_token(client, key).await;
        self.mp_send(self.mp_request_as(&token, Method::GET, full_path))
            .await
    }

    /// Opens a test dispute through the operator; `extra` adds or overrides fields (e.g.
    /// `dispute_type`, `contest_deadline`, `account`). Returns its id.
    pub async fn mp_ops_dispute(&self, extra: Value) -> String {
        let charge = Id::generate(IdKind::Charge, Mode::Test, chrono::Utc::now().timestamp());
        let mut body = serde_json::json!({
            "account": DEMO_ACCOUNT, "mode": "test", "charge": charge.to_string(),
            "amount": 100_000, "currency": "EUR",
        });
        for (k, v) in extra.as_object().expect("an object").iter() {
            body[k] = v.clone();
        }
        let opened = self
            .ops(Method::POST, "/ops/disputes", body)
            .await
            .expect(200);
        opened["id"].as_str().expect("an id").to_owned()
    }

    /// Creates a Mangopay document of this `Type` on a dispute; returns it.
    pub async fn mp_document(&self, dispute: &str, kind: &str) -> Value {
        let path = format!("/disputes/{dispute}/documents");
        self.mp_post(&path, serde_json::json!({ "Type": kind }))
            .await
            .expect(200)
    }

    /// Adds a page (the file's bytes, base64-encoded) to a document.
    pub async fn mp_page(&self, dispute: &str, document: &str, bytes: &[u8]) -> Reply {
        let path = format!("/disputes/{dispute}/documents/{document}/pages");
        self.mp_post(&path, serde_json::json!({ "File": b64(bytes) }))
            .await
    }

    /// Asks for a document's validation (Mangopay #15).
    pub async fn mp_submit_document(&self, dispute: &str, document: &str) -> Reply {
        let path = format!("/disputes/{dispute}/documents/{document}");
        self.mp_put(&path, serde_json::json!({ "Status": "VALIDATION_ASKED" }))
            .await
    }

    /// POST `/dispute-documents/{id}/consult` with no body, as Node sends it.
    pub async fn mp_consult(&self, document: &str) -> Value {
        let req = self
            .mp_request(
                Method::POST,
                &format!("/dispute-documents/{document}/consult"),
            )
            .await
            .header("content-length", "0");
        self.mp_send(req).await.expect(200)
    }

    /// The bytes behind every consult link of a document, in page order (fetched with no token).
    pub async fn mp_page_bytes(&self, document: &str) -> Vec<Vec<u8>> {
        let mut pages = Vec::new();
        for item in self.mp_consult(document).await.as_array().unwrap() {
            let url = item["Url"].as_str().expect("a Url");
            let response = self
                .client
                .get(url)
                .send()
                .await
                .expect("the link is answered");
            assert_eq!(response.status(), 200, "{url}");
            pages.push(response.bytes().await.unwrap().to_vec());
        }
        pages
    }

    /// Stops this server and starts another over the same database and blob store, with a
    /// fresh process (new state, caches and clock) on a new port: a restart. Nothing is seeded.
    pub async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut server) = self.server.take() {
            let stopped =
                tokio::time::timeout(std::time::Duration::from_secs(5), &mut server).await;
            if stopped.is_err() {
                server.abort();
            }
        }
        self.client = reqwest::Client::new();
        // The same blob store (a `Blobs` holds no state of its own beyond its configuration).
        let blobs = self.state.core.blobs.clone();
        let mut settings =
            Settings::for_urls(&self.database_url, &self.state.settings.blob_store_url);
        settings.ops_token = Some(OPS_TOKEN.parse().unwrap());
        settings.signing_secret = Some("test-signing-secret-0123456789".parse().unwrap());
        settings.auth_cache_ttl = 0;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().unwrap());
        settings.public_base_url = Some(base.clone());
        let store = dispute_docs::store::connect(
            &self.database_url,
            settings.database_max_connections,
            settings.database_acquire_timeout(),
        )
        .await
        .expect("connect the store");
        store.migrate().await.expect("migrate");
        let state = AppState::new(store, blobs, settings, Clock::default());
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn({
            let state = state.clone();
            async move {
                app::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await
                .expect("the server runs");
            }
        });
        self.base = base;
        self.state = state;
        self.shutdown = Some(tx);
        self.server = Some(server);
    }
}

/// The message of every `param_error` (MANGOPAY.md §7).
pub const MP_PARAM_MESSAGE: &str = "One or several required parameters are missing or incorrect. \
     An incorrect resource ID also raises this kind of error.";

impl TestApp {
    /// Issues a Mangopay test key for an account that has a ClientId; returns the key object.
    pub async fn mp_issue_key(&self, account: &str) -> Value {
        let body = serde_json::json!({"mode": "test", "dialect": "mangopay"});
        let path = format!("/ops/accounts/{account}/keys");
        self.ops(Method::POST, &path, body).await.expect(200)
    }
}

/// Asserts that nothing is answered on `stream` while a request's body is owed: a bounded wait
/// (300 ms) for what must not come.
pub async fn assert_no_answer_yet(stream: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 1024];
    let early = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        stream.read(&mut buffer),
    )
    .await;
    assert!(
        early.is_err(),
        "answered before the body arrived: {early:?}"
    );
}
