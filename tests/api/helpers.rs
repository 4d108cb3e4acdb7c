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

/// A fresh database, dropped with the app.
enum Database {
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

fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn fresh_postgres() -> (String, Database) {
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
        let blob_dir = tempfile::tempdir().expect("a temp dir");
        let (database_url, database) = match backend {
            Backend::Postgres => fresh_postgres().await,
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                (url, Database::Sqlite { _dir: dir })
            }
        };
        let mut settings = Settings::for_urls(&database_url, blob_dir.path().to_str().unwrap());
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
        let store = dispute_docs::store::connect(&database_url, settings.database_max_connections)
            .await
            .expect("connect the store");
        store.migrate().await.expect("migrate");
        let blobs = Blobs::from_url(blob_dir.path().to_str().unwrap()).unwrap();
        let state = AppState::new(store, blobs, settings, Clock::default());
        dispute_docs::seed::seed_demo(&state)
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
        if let Database::Postgres { admin_url, name } = &self.database {
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
