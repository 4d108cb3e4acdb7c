//! Upgrading a database written by the first schema: every row reads back as it was, in the
//! domain's new words, on both backends.

use std::borrow::Cow;

use dispute_docs::domain::{
    Actor, DisputeStatus, DocumentKind, DocumentStatus, HistoryKind, Id, IdKind, ListQuery, Mode,
    Reason, Scope,
};
use sha2::Digest;

const ACCOUNT: &str = "acct_5upgrade00000000000";
const DISPUTE: &str = "dspt_test_5upgrade000000000000";
const DOCUMENT: &str = "docu_test_5upgrade000000000000";
const PICTURE: &str = "docu_test_5upgradepicture00000";
const SECRET: &str = "skey_test_5upgradekey00000000";

/// The first schema's rows: an account on the older API version, a key, a pending dispute and
/// its two submitted documents, a PDF and a picture. `t` is a time literal, `no` a false literal, `hash` a blob literal.
fn old_rows(t: &str, no: &str, hash: &str) -> Vec<String> {
    vec![
        format!(
            "insert into accounts (id, name, default_version, created_at) values ('{ACCOUNT}', 'Old shop', '2017-11-02', {t})"
        ),
        format!(
            "insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at) values ('key_5upgradekey000000000', '{ACCOUNT}', {no}, {hash}, '0000', {t})"
        ),
        format!(
            "insert into disputes (id, account_id, livemode, charge_id, amount, currency, funding_amount, funding_currency, status, reason_code, message, metadata, debit_transaction_id, created_at, document_count) \
                 values ('{DISPUTE}', '{ACCOUNT}', {no}, 'chrg_test_5upgrade0000000000', 500, 'THB', 500, 'THB', 'pending', 'unauthorized_charge', 'ours', '{{\"order\": \"A-1\"}}', 'trxn_test_5upgrade00000000000', {t}, 2)"
        ),
        format!(
            "insert into documents (id, dispute_id, filename, kind, content_type, size, sha256, blob_key, created_at, submitted_at) \
                 values ('{DOCUMENT}', '{DISPUTE}', 'slip.pdf', 'proof_of_receipt', 'application/pdf', 4, 'abcd', 'documents/old', {t}, {t})"
        ),
        format!(
            "insert into documents (id, dispute_id, filename, kind, content_type, size, sha256, blob_key, created_at, submitted_at) \
                 values ('{PICTURE}', '{DISPUTE}', 'porch.png', 'proof_of_receipt', 'image/png', 4, 'ef01', 'documents/old-picture', {t}, {t})"
        ),
        format!(
            "insert into dispute_counts (account_id, livemode, status, count) values ('{ACCOUNT}', {no}, 'pending', 1)"
        ),
    ]
}

async fn old_schema_then_upgrade(url: &str, postgres: bool) {
    let hash = hex::encode(sha2::Sha256::digest(SECRET.as_bytes()));
    let dir = if postgres {
        "migrations/postgres"
    } else {
        "migrations/sqlite"
    };
    let mut first = sqlx::migrate::Migrator::new(std::path::Path::new(dir))
        .await
        .unwrap();
    first.migrations = Cow::Owned(first.migrations[..2].to_vec());
    if postgres {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        first.run(&pool).await.unwrap();
        for sql in old_rows("now()", "false", &format!("decode('{hash}', 'hex')")) {
            sqlx::query(&sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    } else {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        first.run(&pool).await.unwrap();
        for sql in old_rows("1700000000000000", "0", &format!("x'{hash}'")) {
            sqlx::query(&sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }

    let store = dispute_docs::store::connect(url, 4, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    let dispute_id = Id::parse(IdKind::Dispute, DISPUTE).unwrap();
    let dispute = store.dispute(None, &dispute_id).await.unwrap().unwrap();
    assert_eq!(
        (dispute.status, dispute.reason),
        (DisputeStatus::UnderReview, Reason::Unauthorised)
    );
    assert_eq!(
        (
            dispute.message.as_deref(),
            dispute.document_count,
            dispute.mode
        ),
        (Some("ours"), 2, Mode::Test)
    );
    assert_eq!(dispute.metadata["order"], "A-1");
    let doc = store
        .document(
            None,
            &dispute_id,
            &Id::parse(IdKind::Document, DOCUMENT).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (doc.kind, doc.status, doc.page_count, doc.mode),
        (
            Some(DocumentKind::DeliveryProof),
            DocumentStatus::Submitted,
            1,
            Mode::Test
        )
    );
    let page = doc.first_page.unwrap();
    assert_eq!(
        (
            page.filename.as_str(),
            page.blob_key.as_str(),
            page.size,
            page.position
        ),
        ("slip.pdf", "documents/old", 4, 1)
    );
    // A PDF stored before the checks has no page count until the sweep reads it; a picture's
    // is 1 from the migration.
    assert_eq!(page.file_pages, None);
    let picture = store
        .document(
            None,
            &dispute_id,
            &Id::parse(IdKind::Document, PICTURE).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(picture.first_page.unwrap().file_pages, Some(1));
    let key = store
        .find_key(&sha2::Sha256::digest(SECRET.as_bytes()).into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.preferences["omise_version"], "2017-11-02");
    let scope = Scope {
        account: key.account,
        mode: key.mode,
    };
    let now = chrono::Utc::now() + chrono::TimeDelta::days(1);
    let pending = store
        .list_disputes(
            &scope,
            &dispute_docs::store::DisputeFilter::statuses(&[DisputeStatus::UnderReview]),
            &ListQuery::first_page(now),
        )
        .await
        .unwrap();
    assert_eq!(pending.total, 1, "the kept counts moved to the new words");
    // Rows written before search existed are searchable: by message, and by a metadata value.
    for text in ["OUR", "a-1"] {
        let search = dispute_docs::domain::search::DisputeSearch {
            text: Some(dispute_docs::domain::search::SearchText {
                text: text.into(),
                reasons: Vec::new(),
            }),
            statuses: Vec::new(),
            reasons: Vec::new(),
            currency: None,
            amount: None,
            created: Vec::new(),
            closed: Vec::new(),
            charge: None,
            matches_none: false,
            order: dispute_docs::domain::Order::Chronological,
            offset: 0,
            limit: 10,
        };
        let found = store.search_disputes(&scope, &search).await.unwrap();
        assert_eq!(found.total, 1, "{text}");
        assert_eq!(found.items[0].id, dispute_id);
    }
    let history = store.history(&dispute_id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].kind, history[0].actor.clone()),
        (HistoryKind::Opened, Actor::System)
    );
}

#[tokio::test]
async fn a_postgres_database_of_the_first_schema_upgrades_with_nothing_lost() {
    use sqlx::Connection;
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("Postgres is up");
    let name = format!("dd_upgrade_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    old_schema_then_upgrade(url.as_str(), true).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_sqlite_database_of_the_first_schema_upgrades_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    old_schema_then_upgrade(&url, false).await;
}
