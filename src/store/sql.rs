//! The SQL both backends run, written once. `impl_store!` stamps the `Store` implementation
//! out for a backend type that has a `pool`, a `MIGRATOR` and a `begin_write` (how that backend
//! starts a transaction that will write), given the clause that locks a selected row
//! (`for update` on Postgres; nothing on SQLite, whose write transactions lock the database).
//! Parameters are `$N` in both: SQLite reads `$N` as the N-th argument too. Scoped queries
//! take the scope as nullable parameters compared with `coalesce($n, column)`, so the
//! operator's unscoped view is the same statement.

use std::sync::LazyLock;

use crate::domain::{DisputeStatus, Order};

use super::StatusFilter;

macro_rules! dispute_columns {
    () => {
        "id, account_id, livemode, charge_id, amount, currency, funding_amount, funding_currency, \
         status, reason_code, message, admin_message, metadata, debit_transaction_id, \
         credit_transaction_id, created_at, closed_at, document_count"
    };
}

macro_rules! document_columns {
    () => {
        "id, dispute_id, filename, kind, content_type, size, sha256, blob_key, created_at, submitted_at"
    };
}

pub(super) use {dispute_columns, document_columns};

/// How many documents a dispute embeds.
pub(super) const EMBEDDED_DOCUMENTS: i64 = crate::domain::list::DEFAULT_LIMIT;

fn direction(order: Order) -> &'static str {
    match order {
        Order::Chronological => "asc",
        Order::ReverseChronological => "desc",
    }
}

/// The status condition of a filter, its parameters numbered from `$first`.
fn status_clause(filter: StatusFilter, first: usize) -> String {
    match filter {
        StatusFilter::All => String::new(),
        StatusFilter::Only(_) => format!(" and status = ${first}"),
        StatusFilter::Closed => format!(" and status in (${first}, ${})", first + 1),
    }
}

/// The statuses a filter binds, in parameter order.
pub(super) fn status_params(filter: StatusFilter) -> &'static [&'static str] {
    const OPEN: &[&str] = &["open"];
    const PENDING: &[&str] = &["pending"];
    const WON: &[&str] = &["won"];
    const LOST: &[&str] = &["lost"];
    const CLOSED: &[&str] = &["won", "lost"];
    match filter {
        StatusFilter::All => &[],
        StatusFilter::Only(DisputeStatus::Open) => OPEN,
        StatusFilter::Only(DisputeStatus::Pending) => PENDING,
        StatusFilter::Only(DisputeStatus::Won) => WON,
        StatusFilter::Only(DisputeStatus::Lost) => LOST,
        StatusFilter::Closed => CLOSED,
    }
}

const FILTERS: [StatusFilter; 3] = [
    StatusFilter::All,
    StatusFilter::Only(DisputeStatus::Open),
    StatusFilter::Closed,
];
const ORDERS: [Order; 2] = [Order::Chronological, Order::ReverseChronological];

fn filter_index(filter: StatusFilter) -> usize {
    match filter {
        StatusFilter::All => 0,
        StatusFilter::Only(_) => 1,
        StatusFilter::Closed => 2,
    }
}

/// Past this offset a page is found through the covering index alone (the ids of the page
/// first, then their rows), so skipped records cost no row reads.
pub(super) const DEFERRED_JOIN_OFFSET: i64 = 100;

/// The total of a list: counted over the range, or, for an unbounded list, summed from the
/// kept counts. $1 account, $2 livemode, $3 from, $4 to (counting only), then the statuses.
/// `first_status` is the number of the first status parameter.
fn total_sql(filter: StatusFilter, unbounded: bool, first_status: usize) -> String {
    if unbounded {
        format!(
            "select cast(coalesce(sum(count), 0) as bigint) from dispute_counts \
             where account_id = $1 and livemode = $2{}",
            status_clause(filter, first_status)
        )
    } else {
        format!(
            "select count(*) from disputes where account_id = $1 and livemode = $2 \
             and created_at >= $3 and created_at <= $4{}",
            status_clause(filter, first_status)
        )
    }
}

/// The shape of a dispute list query.
#[derive(Clone, Copy)]
pub(super) struct ListShape {
    pub filter: StatusFilter,
    pub order: Order,
    pub unbounded: bool,
    pub deferred: bool,
}

impl ListShape {
    const COUNT: usize = 3 * 2 * 2 * 2;

    fn index(self) -> usize {
        ((filter_index(self.filter) * 2 + order_index(self.order)) * 2
            + usize::from(self.unbounded))
            * 2
            + usize::from(self.deferred)
    }

    fn all() -> impl Iterator<Item = ListShape> {
        FILTERS.into_iter().flat_map(|filter| {
            ORDERS.into_iter().flat_map(move |order| {
                [false, true].into_iter().flat_map(move |unbounded| {
                    [false, true].into_iter().map(move |deferred| ListShape {
                        filter,
                        order,
                        unbounded,
                        deferred,
                    })
                })
            })
        })
    }

    /// One page and the list's total in one statement: $1 account, $2 livemode, $3 from,
    /// $4 to, the statuses, then limit and offset. The total rides along as a column (an
    /// uncorrelated subquery, evaluated once), so an empty page carries none.
    fn sql(self) -> String {
        let (limit, offset) = match status_params_len(self.filter) {
            0 => ("$5", "$6"),
            1 => ("$6", "$7"),
            _ => ("$7", "$8"),
        };
        let dir = direction(self.order);
        let range = format!(
            "account_id = $1 and livemode = $2 and created_at >= $3 and created_at <= $4{}",
            status_clause(self.filter, 5)
        );
        let order = format!("order by created_at {dir}, id {dir}");
        let page = if self.deferred {
            format!(
                "id in (select id from disputes where {range} {order} limit {limit} offset {offset}) {order}"
            )
        } else {
            format!("{range} {order} limit {limit} offset {offset}")
        };
        format!(
            "select {}, ({}) as total from disputes where {page}",
            dispute_columns!(),
            total_sql(self.filter, self.unbounded, 5)
        )
    }
}

static LIST_DISPUTES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut all = vec![String::new(); ListShape::COUNT];
    for shape in ListShape::all() {
        all[shape.index()] = shape.sql();
    }
    all
});

/// The totals on their own. The unbounded ones take no range, so their statuses are $3, $4.
static TOTALS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILTERS
        .into_iter()
        .flat_map(|f| [total_sql(f, false, 5), total_sql(f, true, 3)])
        .collect()
});

static LIST_DOCUMENTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ORDERS
        .iter()
        .map(|&o| {
            let dir = direction(o);
            format!(
                "select {} from documents where dispute_id = $1 and created_at >= $2 and created_at <= $3 \
                 order by created_at {dir}, id {dir} limit $4 offset $5",
                document_columns!()
            )
        })
        .collect()
});

fn status_params_len(filter: StatusFilter) -> usize {
    match filter {
        StatusFilter::All => 0,
        StatusFilter::Only(_) => 1,
        StatusFilter::Closed => 2,
    }
}

fn order_index(order: Order) -> usize {
    match order {
        Order::Chronological => 0,
        Order::ReverseChronological => 1,
    }
}

pub(super) fn list_disputes_sql(shape: ListShape) -> &'static str {
    &LIST_DISPUTES[shape.index()]
}

/// The total alone, for a page past the end (which has no row to carry it): $1 account,
/// $2 livemode, then (when bounded) $3 from and $4 to, then the statuses.
pub(super) fn total_disputes_sql(filter: StatusFilter, unbounded: bool) -> &'static str {
    &TOTALS[filter_index(filter) * 2 + usize::from(unbounded)]
}

pub(super) fn list_documents_sql(order: Order) -> &'static str {
    &LIST_DOCUMENTS[order_index(order)]
}

macro_rules! impl_store {
    ($store:ty, $db:ty, lock_row = $lock_row:literal) => {
        use std::collections::{HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;

        use crate::domain::dispute::NewDispute;
        use crate::domain::document::NewDocument;
        use crate::domain::{Action, Dispute, DisputeStatus, Document, Id, ListQuery, Page, Scope};
        use crate::store::rows::{DisputeRow, DocumentRow, KeyRow, PageRow};
        use crate::store::sql::{self, dispute_columns, document_columns};
        use crate::store::ts::Ts;
        use crate::store::{
            Change, DisputeView, KeyRecord, NewKey, Refusal, StatusFilter, Store, StoreError, diagnose,
        };

        fn scope_params(scope: Option<&Scope>) -> (Option<&str>, Option<bool>) {
            (scope.map(|s| s.account.as_str()), scope.map(|s| s.mode.is_live()))
        }

        impl $store {
            async fn status_of(
                &self,
                scope: Option<&Scope>,
                id: &Id,
            ) -> Result<Option<DisputeStatus>, StoreError> {
                let (account, live) = scope_params(scope);
                let status: Option<String> = sqlx::query_scalar(
                    "select status from disputes where id = $1 \
                     and account_id = coalesce($2, account_id) and livemode = coalesce($3, livemode)",
                )
                .bind(id.as_str())
                .bind(account)
                .bind(live)
                .fetch_optional(&self.pool)
                .await?;
                Ok(status.and_then(|s| s.parse().ok()))
            }

            /// The first page of documents of each dispute in `views` that has any, in one query.
            async fn embed_documents(&self, views: &mut [DisputeView]) -> Result<(), StoreError> {
                let with_documents: Vec<&str> = views
                    .iter()
                    .filter(|v| v.documents.total > 0)
                    .map(|v| v.dispute.id.as_str())
                    .collect();
                if with_documents.is_empty() {
                    return Ok(());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new(concat!(
                    "select ",
                    document_columns!(),
                    " from (select ",
                    document_columns!(),
                    ", row_number() over (partition by dispute_id order by created_at, id) as position \
                     from documents where dispute_id in ("
                ));
                let mut ids = query.separated(", ");
                for id in &with_documents {
                    ids.push_bind(*id);
                }
                query.push(") ) as d where position <= ");
                query.push_bind(sql::EMBEDDED_DOCUMENTS);
                query.push(" order by dispute_id, created_at, id");
                let rows: Vec<DocumentRow> = query.build_query_as().fetch_all(&self.pool).await?;
                let mut by_dispute: HashMap<String, Vec<Document>> = HashMap::new();
                for row in rows {
                    by_dispute.entry(row.dispute_id.clone()).or_default().push(row.into());
                }
                for view in views.iter_mut() {
                    if let Some(docs) = by_dispute.remove(view.dispute.id.as_str()) {
                        view.documents.items = docs;
                    }
                }
                Ok(())
            }
        }

        fn view(row: DisputeRow) -> DisputeView {
            let (dispute, total) = row.into_domain();
            DisputeView { dispute, documents: Page { items: Vec::new(), total } }
        }

        #[async_trait]
        impl Store for $store {
            async fn migrate(&self) -> Result<(), StoreError> {
                MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("select 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_account(
                &self,
                id: &Id,
                name: &str,
                default_version: &str,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "insert into accounts (id, name, default_version, created_at) values ($1, $2, $3, $4) \
                     on conflict (id) do nothing",
                )
                .bind(id.as_str())
                .bind(name)
                .bind(default_version)
                .bind(Ts(now))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_key(&self, key: &NewKey) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at) \
                     values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
                )
                .bind(key.id.as_str())
                .bind(key.account.as_str())
                .bind(key.mode.is_live())
                .bind(&key.secret_hash[..])
                .bind(&key.hint)
                .bind(Ts(key.created_at))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn revoke_key(&self, key_id: &Id, now: DateTime<Utc>) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "update api_keys set revoked_at = coalesce(revoked_at, $2) where id = $1",
                )
                .bind(key_id.as_str())
                .bind(Ts(now))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn find_key(&self, secret_hash: &[u8; 32]) -> Result<Option<KeyRecord>, StoreError> {
                let row: Option<KeyRow> = sqlx::query_as(
                    "select k.id, k.account_id, k.livemode, k.revoked_at is not null as revoked, a.default_version \
                     from api_keys k join accounts a on a.id = k.account_id where k.secret_hash = $1",
                )
                .bind(&secret_hash[..])
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| KeyRecord {
                    key_id: Id::from_trusted(r.id),
                    account: Id::from_trusted(r.account_id),
                    mode: crate::domain::Mode::from_live(r.livemode),
                    revoked: r.revoked,
                    default_version: r.default_version,
                }))
            }

            async fn insert_dispute(
                &self,
                new: &NewDispute,
                debit: &Id,
                now: DateTime<Utc>,
            ) -> Result<Option<Dispute>, StoreError> {
                let id = new.id.clone().unwrap_or_else(|| {
                    Id::generate(crate::domain::IdKind::Dispute, new.mode, now.timestamp())
                });
                let mut tx = self.begin_write().await?;
                let row: Option<DisputeRow> = sqlx::query_as(concat!(
                    "insert into disputes (id, account_id, livemode, charge_id, amount, currency, \
                     funding_amount, funding_currency, status, reason_code, metadata, debit_transaction_id, created_at) \
                     values ($1, $2, $3, $4, $5, $6, $5, $6, 'open', $7, $8, $9, $10) \
                     on conflict (id) do nothing returning ",
                    dispute_columns!()
                ))
                .bind(id.as_str())
                .bind(new.account.as_str())
                .bind(new.mode.is_live())
                .bind(new.charge.as_str())
                .bind(new.amount)
                .bind(&new.currency)
                .bind(new.reason.code())
                .bind(Json(serde_json::Map::new()))
                .bind(debit.as_str())
                .bind(Ts(now))
                .fetch_optional(&mut *tx)
                .await?;
                if row.is_some() {
                    count_status(&mut tx, new.account.as_str(), new.mode.is_live(), DisputeStatus::Open, 1).await?;
                }
                tx.commit().await?;
                Ok(row.map(|r| r.into_domain().0))
            }

            async fn dispute(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<DisputeView>, StoreError> {
                let (account, live) = scope_params(scope);
                let row: Option<DisputeRow> = sqlx::query_as(concat!(
                    "select ",
                    dispute_columns!(),
                    " from disputes where id = $1 \
                     and account_id = coalesce($2, account_id) and livemode = coalesce($3, livemode)"
                ))
                .bind(id.as_str())
                .bind(account)
                .bind(live)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let mut views = [view(row)];
                self.embed_documents(&mut views).await?;
                let [v] = views;
                Ok(Some(v))
            }

            async fn list_disputes(
                &self,
                scope: &Scope,
                filter: StatusFilter,
                query: &ListQuery,
            ) -> Result<Page<DisputeView>, StoreError> {
                let statuses = sql::status_params(filter);
                let shape = sql::ListShape {
                    filter,
                    order: query.order,
                    unbounded: query.unbounded,
                    deferred: query.offset >= sql::DEFERRED_JOIN_OFFSET,
                };
                let mut page = sqlx::query_as::<$db, PageRow>(sql::list_disputes_sql(shape))
                    .bind(scope.account.as_str())
                    .bind(scope.mode.is_live())
                    .bind(Ts(query.from))
                    .bind(Ts(query.to));
                for status in statuses {
                    page = page.bind(*status);
                }
                let rows = page.bind(query.limit).bind(query.offset).fetch_all(&self.pool).await?;
                let total = match rows.first() {
                    Some(row) => row.total,
                    None if query.offset == 0 => 0,
                    None => {
                        let mut count = sqlx::query_scalar::<$db, i64>(sql::total_disputes_sql(filter, query.unbounded))
                            .bind(scope.account.as_str())
                            .bind(scope.mode.is_live());
                        if !query.unbounded {
                            count = count.bind(Ts(query.from)).bind(Ts(query.to));
                        }
                        for status in statuses {
                            count = count.bind(*status);
                        }
                        count.fetch_one(&self.pool).await?
                    }
                };
                let mut views: Vec<DisputeView> = rows.into_iter().map(|r| view(r.dispute)).collect();
                self.embed_documents(&mut views).await?;
                Ok(Page { items: views, total })
            }

            async fn transition(
                &self,
                scope: Option<&Scope>,
                id: &Id,
                action: Action,
                change: &Change,
                now: DateTime<Utc>,
            ) -> Result<Dispute, Refusal> {
                let (from, to) = action.edge();
                let (account, live) = scope_params(scope);
                let mut tx = self.begin_write().await?;
                let row: Option<DisputeRow> = sqlx::query_as(concat!(
                    "update disputes set status = $1, message = coalesce($2, message), \
                     metadata = coalesce($3, metadata), admin_message = coalesce($4, admin_message), \
                     credit_transaction_id = coalesce($5, credit_transaction_id), closed_at = $6 \
                     where id = $7 and status = $8 \
                     and account_id = coalesce($9, account_id) and livemode = coalesce($10, livemode) \
                     returning ",
                    dispute_columns!()
                ))
                .bind(to.as_str())
                .bind(change.message.as_deref())
                .bind(change.metadata.clone().map(Json))
                .bind(change.admin_message.as_deref())
                .bind(change.credit_transaction.as_ref().map(Id::as_str))
                .bind(change.closed_at.map(Ts))
                .bind(id.as_str())
                .bind(from.as_str())
                .bind(account)
                .bind(live)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return Err(diagnose(self.status_of(scope, id).await?, action));
                };
                count_status(&mut tx, &row.account_id, row.livemode, from, -1).await?;
                count_status(&mut tx, &row.account_id, row.livemode, to, 1).await?;
                if action.submits_documents() {
                    sqlx::query("update documents set submitted_at = $1 where dispute_id = $2 and submitted_at is null")
                        .bind(Ts(now))
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(row.into_domain().0)
            }

            async fn dispute_status(&self, scope: &Scope, id: &Id) -> Result<Option<DisputeStatus>, StoreError> {
                self.status_of(Some(scope), id).await
            }

            async fn insert_document(&self, scope: &Scope, dispute: &Id, doc: &NewDocument) -> Result<Document, Refusal> {
                let mut tx = self.begin_write().await?;
                let counted = sqlx::query(
                    "update disputes set document_count = document_count + 1 \
                     where id = $1 and account_id = $2 and livemode = $3 and status = 'open'",
                )
                .bind(dispute.as_str())
                .bind(scope.account.as_str())
                .bind(scope.mode.is_live())
                .execute(&mut *tx)
                .await?;
                if counted.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Err(diagnose(self.status_of(Some(scope), dispute).await?, Action::Submit));
                }
                let Some(row) = insert_document_row(&mut tx, dispute, doc, None).await? else {
                    tx.rollback().await?;
                    return Err(Refusal::Store(StoreError::Conflict("documents_pkey".into())));
                };
                tx.commit().await?;
                Ok(row.into())
            }

            async fn seed_document(&self, dispute: &Id, doc: &NewDocument, submitted: bool) -> Result<bool, StoreError> {
                let mut tx = self.begin_write().await?;
                let submitted_at = submitted.then_some(doc.created_at);
                let inserted = insert_document_row(&mut tx, dispute, doc, submitted_at).await?.is_some();
                if inserted {
                    sqlx::query("update disputes set document_count = document_count + 1 where id = $1")
                        .bind(dispute.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(inserted)
            }

            async fn list_documents(
                &self,
                scope: &Scope,
                dispute: &Id,
                query: &ListQuery,
            ) -> Result<Option<Page<Document>>, StoreError> {
                let kept: Option<i32> = sqlx::query_scalar(
                    "select document_count from disputes where id = $1 and account_id = $2 and livemode = $3",
                )
                .bind(dispute.as_str())
                .bind(scope.account.as_str())
                .bind(scope.mode.is_live())
                .fetch_optional(&self.pool)
                .await?;
                let Some(kept) = kept else { return Ok(None) };
                let page = sqlx::query_as::<$db, DocumentRow>(sql::list_documents_sql(query.order))
                    .bind(dispute.as_str())
                    .bind(Ts(query.from))
                    .bind(Ts(query.to))
                    .bind(query.limit)
                    .bind(query.offset)
                    .fetch_all(&self.pool);
                let (rows, total) = if query.unbounded {
                    (page.await?, i64::from(kept))
                } else {
                    let count = sqlx::query_scalar::<$db, i64>(
                        "select count(*) from documents where dispute_id = $1 and created_at >= $2 and created_at <= $3",
                    )
                    .bind(dispute.as_str())
                    .bind(Ts(query.from))
                    .bind(Ts(query.to))
                    .fetch_one(&self.pool);
                    futures::try_join!(page, count)?
                };
                Ok(Some(Page { items: rows.into_iter().map(Document::from).collect(), total }))
            }

            async fn document(&self, scope: Option<&Scope>, dispute: &Id, id: &Id) -> Result<Option<Document>, StoreError> {
                let (account, live) = scope_params(scope);
                let row: Option<DocumentRow> = sqlx::query_as(concat!(
                    "select ",
                    document_columns!(),
                    " from documents where id = $1 and dispute_id = $2 and exists (select 1 from disputes \
                     where id = $2 and account_id = coalesce($3, account_id) and livemode = coalesce($4, livemode))"
                ))
                .bind(id.as_str())
                .bind(dispute.as_str())
                .bind(account)
                .bind(live)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Document::from))
            }

            async fn delete_document(&self, scope: &Scope, dispute: &Id, id: &Id) -> Result<Document, Refusal> {
                let mut tx = self.begin_write().await?;
                // Hold the dispute row while its documents change, so a status change waits.
                let status: Option<String> = sqlx::query_scalar(concat!(
                    "select status from disputes where id = $1 and account_id = $2 and livemode = $3",
                    $lock_row
                ))
                .bind(dispute.as_str())
                .bind(scope.account.as_str())
                .bind(scope.mode.is_live())
                .fetch_optional(&mut *tx)
                .await?;
                match status.as_deref() {
                    None => return Err(Refusal::DisputeNotFound),
                    Some("open") => {}
                    Some(_) => return Err(Refusal::Transition(Action::Submit.refusal())),
                }
                let row: Option<DocumentRow> = sqlx::query_as(concat!(
                    "delete from documents where id = $1 and dispute_id = $2 and submitted_at is null returning ",
                    document_columns!()
                ))
                .bind(id.as_str())
                .bind(dispute.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    let exists = self.document(Some(scope), dispute, id).await?.is_some();
                    return Err(if exists { Refusal::DocumentAlreadySubmitted } else { Refusal::DocumentNotFound });
                };
                sqlx::query("update disputes set document_count = document_count - 1 where id = $1")
                    .bind(dispute.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row.into())
            }

            async fn referenced_blob_keys(&self, keys: &[String]) -> Result<HashSet<String>, StoreError> {
                if keys.is_empty() {
                    return Ok(HashSet::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new("select blob_key from documents where blob_key in (");
                let mut list = query.separated(", ");
                for key in keys {
                    list.push_bind(key.as_str());
                }
                query.push(")");
                let found: Vec<String> = query.build_query_scalar().fetch_all(&self.pool).await?;
                Ok(found.into_iter().collect())
            }
        }

        /// Moves an account's kept count of disputes in `status` by `delta`. A count that goes
        /// down exists already (the dispute was counted when it got its status).
        async fn count_status(
            tx: &mut sqlx::Transaction<'static, $db>,
            account: &str,
            live: bool,
            status: DisputeStatus,
            delta: i64,
        ) -> Result<(), sqlx::Error> {
            let sql = if delta < 0 {
                "update dispute_counts set count = count + $4 where account_id = $1 and livemode = $2 and status = $3"
            } else {
                "insert into dispute_counts (account_id, livemode, status, count) values ($1, $2, $3, $4) \
                 on conflict (account_id, livemode, status) do update set count = dispute_counts.count + excluded.count"
            };
            sqlx::query(sql)
                .bind(account)
                .bind(live)
                .bind(status.as_str())
                .bind(delta)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        }

        async fn insert_document_row(
            tx: &mut sqlx::Transaction<'static, $db>,
            dispute: &Id,
            doc: &NewDocument,
            submitted_at: Option<DateTime<Utc>>,
        ) -> Result<Option<DocumentRow>, sqlx::Error> {
            sqlx::query_as(concat!(
                "insert into documents (id, dispute_id, filename, kind, content_type, size, sha256, blob_key, \
                 created_at, submitted_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 on conflict (id) do nothing returning ",
                document_columns!()
            ))
            .bind(doc.id.as_str())
            .bind(dispute.as_str())
            .bind(&doc.filename)
            .bind(doc.kind.map(|k| k.as_str()))
            .bind(doc.file_type.content_type())
            .bind(doc.size)
            .bind(&doc.sha256)
            .bind(&doc.blob_key)
            .bind(Ts(doc.created_at))
            .bind(submitted_at.map(Ts))
            .fetch_optional(&mut **tx)
            .await
        }
    };
}

pub(super) use impl_store;
