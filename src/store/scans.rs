//! What clamd said of stored pages: a refusal noted in a dispute's history, the pages a rescan
//! walks (those not scanned since it began, in key order, a batch at a time), a clean rescan
//! recorded, a page quarantined with its history entry and event in one transaction, and the
//! quarantined pages listed for the operator.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::db::Sql;
use super::history::{Entry, append};
use super::rows::{PAGE_COLUMNS, PageFileRow};
use super::scope::push_scope;
use super::{SqlStore, StoreError};
use crate::domain::document::{PageScan, Quarantine};
use crate::domain::{Actor, HistoryKind, Id, Mode, Page, Scope};

/// A stored page, with the dispute and account it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPage {
    pub dispute: Id,
    pub account: Id,
    pub mode: Mode,
    pub page: Page,
}

/// Where a rescan is: the last page it went past, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub document: Id,
    pub position: i64,
}

#[async_trait]
pub trait Scans {
    /// Appends to the history of a dispute the scope can see that a file was refused (clamd
    /// found malware); false when there is no such dispute.
    async fn note_refused_file(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: Option<&Id>,
        detail: Value,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` pages, not quarantined and not scanned since `before`, after `after` in key
    /// order.
    async fn pages_to_rescan(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<StoredPage>, StoreError>;

    /// How many such pages there are after `after`.
    async fn count_to_rescan(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
    ) -> Result<i64, StoreError>;

    /// Records that clamd found a page clean.
    async fn mark_scanned(
        &self,
        document: &Id,
        position: i64,
        scan: &PageScan,
    ) -> Result<(), StoreError>;

    /// Quarantines a page, with its history entry and event; false when it was already.
    async fn quarantine_page(
        &self,
        stored: &StoredPage,
        quarantine: &Quarantine,
        scan: &PageScan,
    ) -> Result<bool, StoreError>;

    /// Quarantined pages, the latest first: `limit` of them from `offset`, and how many in all.
    async fn quarantined_pages(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<StoredPage>, i64), StoreError>;
}

#[derive(Debug, sqlx::FromRow)]
struct StoredPageRow {
    dispute_id: String,
    account_id: String,
    livemode: bool,
    #[sqlx(flatten)]
    page: PageFileRow,
}

impl From<StoredPageRow> for StoredPage {
    fn from(row: StoredPageRow) -> StoredPage {
        StoredPage {
            dispute: Id::from_trusted(row.dispute_id),
            account: Id::from_trusted(row.account_id),
            mode: Mode::from_live(row.livemode),
            page: row.page.into(),
        }
    }
}

/// `select … from pages p join documents d`, every page column prefixed.
fn select_pages() -> Sql {
    let columns: Vec<String> = PAGE_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
    let mut sql = Sql::new("select d.dispute_id, d.account_id, d.livemode, ");
    sql.push(&columns.join(", "))
        .push(" from pages p join documents d on d.id = p.document_id where ");
    sql
}

/// The pages a rescan begun at `before` still has to do, after `after`.
fn push_to_rescan(sql: &mut Sql, before: DateTime<Utc>, after: Option<&Cursor>) {
    sql.push("p.quarantined_at is null and (p.scanned_at is null or p.scanned_at < ")
        .bind(before)
        .push(")");
    if let Some(after) = after {
        sql.push(" and (p.document_id > ")
            .bind(&after.document)
            .push(" or (p.document_id = ")
            .bind(&after.document)
            .push(" and p.position > ")
            .bind(after.position)
            .push("))");
    }
}

#[async_trait]
impl Scans for SqlStore {
    async fn note_refused_file(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: Option<&Id>,
        detail: Value,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new("select id from disputes where id = ");
        sql.bind(dispute);
        push_scope(&mut sql, scope, "");
        let found: Option<(String,)> = tx.optional(&sql).await?;
        if found.is_none() {
            tx.rollback().await?;
            return Ok(false);
        }
        let entry = Entry {
            dispute,
            document,
            kind: HistoryKind::FileRefused,
            actor,
            detail,
            at,
        };
        append(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn pages_to_rescan(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<StoredPage>, StoreError> {
        let mut sql = select_pages();
        push_to_rescan(&mut sql, before, after);
        sql.push(" order by p.document_id, p.position limit ")
            .bind(limit);
        let rows: Vec<StoredPageRow> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(StoredPage::from).collect())
    }

    async fn count_to_rescan(
        &self,
        before: DateTime<Utc>,
        after: Option<&Cursor>,
    ) -> Result<i64, StoreError> {
        let mut sql = Sql::new("select count(*) from pages p where ");
        push_to_rescan(&mut sql, before, after);
        let (count,): (i64,) = self
            .pool
            .optional(&sql)
            .await?
            .ok_or_else(|| StoreError::Corrupt("count(*) returned no row".into()))?;
        Ok(count)
    }

    async fn mark_scanned(
        &self,
        document: &Id,
        position: i64,
        scan: &PageScan,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new("update pages set scanned_at = ");
        sql.bind(scan.at)
            .push(", scan_engine = ")
            .bind(scan.engine.as_str())
            .push(" where document_id = ")
            .bind(document)
            .push(" and position = ")
            .bind(position);
        self.pool.execute(&sql).await?;
        Ok(())
    }

    async fn quarantine_page(
        &self,
        stored: &StoredPage,
        quarantine: &Quarantine,
        scan: &PageScan,
    ) -> Result<bool, StoreError> {
        let page = &stored.page;
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new("update pages set quarantined_at = ");
        sql.bind(quarantine.at)
            .push(", quarantine_signature = ")
            .bind(quarantine.signature.as_str())
            .push(", scanned_at = ")
            .bind(scan.at)
            .push(", scan_engine = ")
            .bind(scan.engine.as_str())
            .push(" where document_id = ")
            .bind(&page.document)
            .push(" and position = ")
            .bind(page.position)
            .push(" and quarantined_at is null");
        if tx.execute(&sql).await? == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let entry = Entry {
            dispute: &stored.dispute,
            document: Some(&page.document),
            kind: HistoryKind::PageQuarantined,
            actor: &Actor::System,
            detail: json!({
                "position": page.position,
                "filename": page.filename,
                "sha256": page.sha256,
                "signature": quarantine.signature,
                "engine": scan.engine,
            }),
            at: quarantine.at,
        };
        append(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn quarantined_pages(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<StoredPage>, i64), StoreError> {
        let mut sql = select_pages();
        sql.push("p.quarantined_at is not null order by p.quarantined_at desc, p.document_id, p.position limit ")
            .bind(limit)
            .push(" offset ")
            .bind(offset);
        let rows: Vec<StoredPageRow> = self.pool.all(&sql).await?;
        let count = Sql::new("select count(*) from pages where quarantined_at is not null");
        let (total,): (i64,) = self
            .pool
            .optional(&count)
            .await?
            .ok_or_else(|| StoreError::Corrupt("count(*) returned no row".into()))?;
        Ok((rows.into_iter().map(StoredPage::from).collect(), total))
    }
}
