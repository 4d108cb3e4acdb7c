//! Documents and pages. Every change holds the dispute's row first (the lock its status changes
//! take too), reads what the domain's rules need, applies them (`guard`, `DocumentAction::apply`)
//! and writes, all in one transaction with its history entries.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::changes_pg;
use super::db::{Sql, Tx};
use super::history::{Entry, append, append_all_after};
use super::pages::{add_page_lite, page_detail, push_page_insert, stored_page};
use super::rows::{
    DOCUMENT_COLUMNS, DOCUMENT_FROM, DocumentPageRow, DocumentRow, PAGE_COLUMNS, PageFileRow,
};
use super::scope::{direction, push_scope};
use super::{DocumentFilter, Documents, Refusal, SqlStore, StoreError};
use crate::domain::document::{NewDocument, NewPage, ReviewRefusal, guard};
use crate::domain::{
    Actor, DisputeStatus, Document, DocumentAction, DocumentStatus, HistoryKind, Id, ListPage,
    ListQuery, Mode, Page, Scope,
};

fn document(row: DocumentRow) -> Result<Document, StoreError> {
    Document::try_from(row)
}

impl SqlStore {
    /// Holds the dispute's row until `tx` ends and returns its status; `None` when the scope
    /// cannot see it.
    async fn lock_dispute(
        &self,
        tx: &mut Tx,
        scope: Option<&Scope>,
        dispute: &Id,
    ) -> Result<Option<(DisputeStatus, bool)>, StoreError> {
        let mut sql = Sql::new("select status, livemode from disputes where id = ");
        sql.bind(dispute);
        push_scope(&mut sql, scope, "");
        sql.push(self.pool.lock_rows());
        let row: Option<(String, bool)> = tx.optional(&sql).await?;
        row.map(|(status, live)| Ok((status.parse().map_err(StoreError::Corrupt)?, live)))
            .transpose()
    }

    /// A document's status and page count, inside `tx`.
    async fn document_state(
        tx: &mut Tx,
        dispute: &Id,
        id: &Id,
    ) -> Result<Option<(DocumentStatus, i64)>, StoreError> {
        let mut sql = Sql::new("select status, page_count from documents where id = ");
        sql.bind(id).push(" and dispute_id = ").bind(dispute);
        let row: Option<(String, i32)> = tx.optional(&sql).await?;
        row.map(|(status, pages)| {
            Ok((
                status.parse().map_err(StoreError::Corrupt)?,
                i64::from(pages),
            ))
        })
        .transpose()
    }

    async fn read_document(tx: &mut Tx, dispute: &Id, id: &Id) -> Result<Document, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DOCUMENT_COLUMNS)
            .push(" from ")
            .push(DOCUMENT_FROM)
            .push(" where d.id = ")
            .bind(id)
            .push(" and d.dispute_id = ")
            .bind(dispute);
        let row: Option<DocumentRow> = tx.optional(&sql).await?;
        let row = row.ok_or_else(|| StoreError::Corrupt(format!("document {id} vanished")))?;
        document(row)
    }
}

/// The conditions of a document search over `documents d join disputes s`.
fn push_search(
    sql: &mut Sql,
    scope: &Scope,
    dispute: Option<&Id>,
    filter: &DocumentFilter,
    query: &ListQuery,
) {
    sql.push("s.account_id = ")
        .bind(&scope.account)
        .push(" and s.livemode = ")
        .bind(scope.mode.is_live());
    if let Some(dispute) = dispute {
        sql.push(" and d.dispute_id = ").bind(dispute);
    }
    sql.push(" and d.created_at >= ")
        .bind(query.from)
        .push(" and d.created_at <= ")
        .bind(query.to);
    if !filter.statuses.is_empty() {
        sql.push(" and d.status in ")
            .bind_list(filter.statuses.iter().map(|s| s.as_str()));
    }
    if !filter.kinds.is_empty() {
        sql.push(" and (d.kind in ")
            .bind_list(filter.kinds.iter().map(|k| k.as_str()));
        sql.push(if filter.include_unkinded {
            " or d.kind is null)"
        } else {
            ")"
        });
    }
}

#[async_trait]
impl Documents for SqlStore {
    async fn first_documents(
        &self,
        disputes: &[&Id],
        per_dispute: i64,
    ) -> Result<HashMap<Id, Vec<Document>>, StoreError> {
        let mut by_dispute: HashMap<Id, Vec<Document>> = HashMap::new();
        if disputes.is_empty() {
            return Ok(by_dispute);
        }
        let mut sql = Sql::new("select ");
        sql.push(DOCUMENT_COLUMNS).push(
            " from (select *, row_number() over (partition by dispute_id order by created_at, id) as rank_in_dispute \
             from documents where dispute_id in ",
        );
        sql.bind_list(disputes.iter().copied())
            .push(
                ") as d left join pages p on p.document_id = d.id and p.position = 1 where d.rank_in_dispute <= ",
            )
            .bind(per_dispute)
            .push(" order by d.dispute_id, d.created_at, d.id");
        let rows: Vec<DocumentRow> = self.pool.all(&sql).await?;
        for row in rows {
            let doc = document(row)?;
            by_dispute.entry(doc.dispute.clone()).or_default().push(doc);
        }
        Ok(by_dispute)
    }

    async fn insert_document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        doc: &NewDocument,
        page: Option<&NewPage>,
        actor: &Actor,
    ) -> Result<Document, Refusal> {
        if changes_pg::applies(&self.pool) {
            return changes_pg::insert_document(&self.pool, scope, dispute, doc, page, actor).await;
        }
        let mut tx = self.pool.begin_write().await?;
        let mut count =
            Sql::new("update disputes set document_count = document_count + 1 where id = ");
        count
            .bind(dispute)
            .push(" and status = ")
            .bind(DisputeStatus::AwaitingEvidence.as_str());
        push_scope(&mut count, scope, "");
        count.push(" returning livemode, account_id");
        let Some((live, account)) = tx.optional::<(bool, String)>(&count).await? else {
            tx.rollback().await?;
            return Err(match self.status_of(scope, dispute).await? {
                None => Refusal::DisputeNotFound,
                Some(status) => Refusal::Guard(guard(status, None).expect_err("not awaiting")),
            });
        };
        let mut insert = Sql::new(
            "insert into documents (id, dispute_id, account_id, livemode, kind, tag, status, created_at, page_count) values (",
        );
        insert
            .bind(&doc.id)
            .push(", ")
            .bind(dispute)
            .push(", ")
            .bind(account.as_str())
            .push(", ")
            .bind(live)
            .push(", ")
            .bind(doc.kind.map(|k| k.as_str()))
            .push(", ")
            .bind(doc.tag.as_deref())
            .push(", ")
            .bind(DocumentStatus::Draft.as_str())
            .push(", ")
            .bind(doc.created_at)
            .push(", ")
            .bind(i64::from(page.is_some()))
            .push(")");
        let added = Entry {
            dispute,
            document: Some(&doc.id),
            kind: HistoryKind::DocumentAdded,
            actor,
            detail: json!({"kind": doc.kind.map(|k| k.as_str())}),
            at: doc.created_at,
        };
        // The document, its page, the history and the events: one batch on SQLite.
        let first_page = match page {
            Some(page) => {
                insert.push("; ");
                push_page_insert(&mut insert, &doc.id, 1, page);
                let page_added = Entry {
                    dispute,
                    document: Some(&doc.id),
                    kind: HistoryKind::PageAdded,
                    actor,
                    detail: page_detail(1, page),
                    at: page.created_at,
                };
                append_all_after(&mut tx, Some(insert), [added, page_added]).await?;
                Some(stored_page(&doc.id, 1, page))
            }
            None => {
                append_all_after(&mut tx, Some(insert), [added]).await?;
                None
            }
        };
        tx.commit().await?;
        Ok(Document {
            id: doc.id.clone(),
            dispute: dispute.clone(),
            account: Id::from_trusted(account),
            mode: Mode::from_live(live),
            kind: doc.kind,
            tag: doc.tag.clone(),
            status: DocumentStatus::Draft,
            refusal: None,
            processed_at: None,
            created_at: doc.created_at,
            submitted_at: None,
            page_count: i64::from(first_page.is_some()),
            first_page,
        })
    }

    async fn add_page(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        page: &NewPage,
        actor: &Actor,
    ) -> Result<Page, Refusal> {
        if changes_pg::applies(&self.pool) {
            return changes_pg::add_page(&self.pool, scope, dispute, document, page, actor).await;
        }
        let mut tx = self.pool.begin_write().await?;
        let added = add_page_lite(&mut tx, scope, dispute, document, page, actor).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn document_transition(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        document: &Id,
        action: DocumentAction,
        refusal: Option<&ReviewRefusal>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Document, Refusal> {
        let mut tx = self.pool.begin_write().await?;
        if self.lock_dispute(&mut tx, scope, dispute).await?.is_none() {
            return Err(Refusal::DisputeNotFound);
        }
        let Some((from, pages)) = Self::document_state(&mut tx, dispute, document).await? else {
            return Err(Refusal::DocumentNotFound);
        };
        let to = action.apply(from, pages).map_err(Refusal::Document)?;
        let mut sql = Sql::new("update documents set status = ");
        sql.bind(to.as_str());
        match action {
            DocumentAction::Submit => {
                sql.push(", submitted_at = ").bind(now);
            }
            DocumentAction::Validate | DocumentAction::Refuse => {
                sql.push(", processed_at = ").bind(now);
            }
            DocumentAction::Expire => {}
        }
        if let Some(refusal) = refusal.filter(|_| action == DocumentAction::Refuse) {
            sql.push(", refused_reason = ")
                .bind(refusal.reason.as_str())
                .push(", refused_message = ")
                .bind(refusal.message.as_deref());
        }
        sql.push(" where id = ")
            .bind(document)
            .push(" and status = ")
            .bind(from.as_str());
        tx.execute(&sql).await?;
        let mut detail =
            json!({"action": action.as_str(), "from": from.as_str(), "to": to.as_str()});
        if let Some(refusal) = refusal {
            detail["reason"] = refusal.reason.as_str().into();
        }
        append(
            &mut tx,
            Entry {
                dispute,
                document: Some(document),
                kind: HistoryKind::DocumentStatusChanged,
                actor,
                detail,
                at: now,
            },
        )
        .await?;
        let changed = Self::read_document(&mut tx, dispute, document).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn set_document_tag(
        &self,
        scope: &Scope,
        dispute: &Id,
        document: &Id,
        tag: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Document, Refusal> {
        let mut tx = self.pool.begin_write().await?;
        if self
            .lock_dispute(&mut tx, Some(scope), dispute)
            .await?
            .is_none()
        {
            return Err(Refusal::DisputeNotFound);
        }
        let mut sql = Sql::new("update documents set tag = ");
        sql.bind(tag)
            .push(" where id = ")
            .bind(document)
            .push(" and dispute_id = ")
            .bind(dispute);
        if tx.execute(&sql).await? == 0 {
            return Err(Refusal::DocumentNotFound);
        }
        let detail = json!({"fields": ["tag"]});
        append(
            &mut tx,
            Entry {
                dispute,
                document: Some(document),
                kind: HistoryKind::Updated,
                actor,
                detail,
                at: now,
            },
        )
        .await?;
        let changed = Self::read_document(&mut tx, dispute, document).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn list_documents(
        &self,
        scope: &Scope,
        dispute: &Id,
        query: &ListQuery,
    ) -> Result<Option<ListPage<Document>>, StoreError> {
        // One statement: the page, with the list's total as a column (the dispute's kept count
        // when the range is all time, else counted), and the scope checked by the join. Only an
        // empty page needs a second look, to tell an unknown dispute from one with no documents.
        let dir = direction(query.order);
        let mut page = Sql::new("select ");
        page.push(DOCUMENT_COLUMNS);
        if query.unbounded {
            page.push(", cast(s.document_count as bigint) as total");
        } else {
            page.push(", (select count(*) from documents c where c.dispute_id = s.id and c.created_at >= ")
                .bind(query.from)
                .push(" and c.created_at <= ")
                .bind(query.to)
                .push(") as total");
        }
        page.push(" from ")
            .push(DOCUMENT_FROM)
            .push(" join disputes s on s.id = d.dispute_id where d.dispute_id = ")
            .bind(dispute);
        push_scope(&mut page, Some(scope), "s.");
        page.push(" and d.created_at >= ")
            .bind(query.from)
            .push(" and d.created_at <= ")
            .bind(query.to)
            .push(&format!(" order by d.created_at {dir}, d.id {dir} limit "))
            .bind(query.limit)
            .push(" offset ")
            .bind(query.offset);
        let rows = self.pool.all::<DocumentPageRow>(&page).await?;
        let total = match rows.first() {
            Some(row) => row.total,
            None => {
                let mut kept = Sql::new("select document_count from disputes where id = ");
                kept.bind(dispute);
                push_scope(&mut kept, Some(scope), "");
                let Some((kept,)) = self.pool.optional::<(i32,)>(&kept).await? else {
                    return Ok(None);
                };
                if query.unbounded {
                    i64::from(kept)
                } else if query.offset == 0 {
                    0
                } else {
                    let mut count = Sql::new("select count(*) from documents where dispute_id = ");
                    count
                        .bind(dispute)
                        .push(" and created_at >= ")
                        .bind(query.from)
                        .push(" and created_at <= ")
                        .bind(query.to);
                    self.pool
                        .optional::<(i64,)>(&count)
                        .await?
                        .unwrap_or_default()
                        .0
                }
            }
        };
        let rows = rows.into_iter().map(|r| r.document);
        let items = rows.map(document).collect::<Result<_, _>>()?;
        Ok(Some(ListPage { items, total }))
    }

    async fn document(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        id: &Id,
    ) -> Result<Option<Document>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DOCUMENT_COLUMNS)
            .push(" from ")
            .push(DOCUMENT_FROM)
            .push(" where d.id = ")
            .bind(id)
            .push(" and d.dispute_id = ")
            .bind(dispute);
        push_scope(&mut sql, scope, "d.");
        let row: Option<DocumentRow> = self.pool.optional(&sql).await?;
        row.map(document).transpose()
    }

    async fn search_documents(
        &self,
        scope: &Scope,
        dispute: Option<&Id>,
        filter: &DocumentFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Document>, StoreError> {
        let dir = direction(query.order);
        let mut page = Sql::new("select ");
        page.push(DOCUMENT_COLUMNS).push(
            " from documents d join disputes s on s.id = d.dispute_id \
                   left join pages p on p.document_id = d.id and p.position = 1 where ",
        );
        push_search(&mut page, scope, dispute, filter, query);
        page.push(&format!(" order by d.created_at {dir}, d.id {dir} limit "))
            .bind(query.limit)
            .push(" offset ")
            .bind(query.offset);
        let mut count = Sql::new(
            "select count(*) from documents d join disputes s on s.id = d.dispute_id where ",
        );
        push_search(&mut count, scope, dispute, filter, query);
        let rows = self.pool.all::<DocumentRow>(&page);
        let total = self.pool.optional::<(i64,)>(&count);
        let (rows, total) = futures::try_join!(rows, total)?;
        let items = rows.into_iter().map(document).collect::<Result<_, _>>()?;
        Ok(ListPage {
            items,
            total: total.unwrap_or_default().0,
        })
    }

    async fn document_by_id(
        &self,
        scope: Option<&Scope>,
        id: &Id,
    ) -> Result<Option<Document>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(DOCUMENT_COLUMNS)
            .push(
                " from documents d join disputes s on s.id = d.dispute_id \
                   left join pages p on p.document_id = d.id and p.position = 1 where d.id = ",
            )
            .bind(id);
        push_scope(&mut sql, scope, "s.");
        let row: Option<DocumentRow> = self.pool.optional(&sql).await?;
        row.map(document).transpose()
    }

    async fn pages(&self, document: &Id) -> Result<Vec<Page>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(PAGE_COLUMNS)
            .push(" from pages where document_id = ")
            .bind(document)
            .push(" order by position");
        let rows: Vec<PageFileRow> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(Page::from).collect())
    }

    async fn delete_document(
        &self,
        scope: &Scope,
        dispute: &Id,
        id: &Id,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Document, Vec<Page>), Refusal> {
        if changes_pg::applies(&self.pool) {
            return changes_pg::delete_document(&self.pool, scope, dispute, id, actor, now).await;
        }
        let mut tx = self.pool.begin_write().await?;
        let Some((status, _)) = self.lock_dispute(&mut tx, Some(scope), dispute).await? else {
            return Err(Refusal::DisputeNotFound);
        };
        guard(status, None).map_err(Refusal::Guard)?;
        let Some((doc_status, _)) = Self::document_state(&mut tx, dispute, id).await? else {
            return Err(Refusal::DocumentNotFound);
        };
        guard(status, Some(doc_status)).map_err(Refusal::Guard)?;
        let doc = Self::read_document(&mut tx, dispute, id).await?;
        let mut pages = Sql::new("delete from pages where document_id = ");
        pages.bind(id).push(" returning ").push(PAGE_COLUMNS);
        let mut removed: Vec<Page> = tx
            .all::<PageFileRow>(&pages)
            .await?
            .into_iter()
            .map(Page::from)
            .collect();
        removed.sort_by_key(|p| p.position);
        let mut row = Sql::new("delete from documents where id = ");
        row.bind(id);
        tx.execute(&row).await?;
        let mut count =
            Sql::new("update disputes set document_count = document_count - 1 where id = ");
        count.bind(dispute);
        tx.execute(&count).await?;
        let detail = json!({"pages": removed.len()});
        append(
            &mut tx,
            Entry {
                dispute,
                document: Some(id),
                kind: HistoryKind::DocumentRemoved,
                actor,
                detail,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok((doc, removed))
    }

    async fn referenced_blob_keys(&self, keys: &[String]) -> Result<HashSet<String>, StoreError> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let mut sql = Sql::new("select blob_key from pages where blob_key in ");
        sql.bind_list(keys.iter().map(String::as_str));
        let found: Vec<(String,)> = self.pool.all(&sql).await?;
        Ok(found.into_iter().map(|(k,)| k).collect())
    }
}
