//! Appending to a dispute's history, inside the transaction of the change it records, with the
//! events it makes (`events::record`; on SQLite `events_lite::push_record`, in one batch with them).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::db::{Sql, Tx};
use super::events::{Happened, record};
use crate::domain::{Actor, HistoryKind, Id, Topic};

/// One entry to append.
pub struct Entry<'a> {
    pub dispute: &'a Id,
    pub document: Option<&'a Id>,
    pub kind: HistoryKind,
    pub actor: &'a Actor,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

pub async fn append(tx: &mut Tx, entry: Entry<'_>) -> Result<(), sqlx::Error> {
    append_all(tx, [entry]).await
}

/// Appends several entries in one statement, in order, and records the events they make.
pub async fn append_all<'a>(
    tx: &mut Tx,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<(), sqlx::Error> {
    append_all_after(tx, None, entries).await
}

/// `append_all`, after the statements of `before` (the change's own rows). On SQLite they, the
/// entries and their events go to SQLite's thread as one batch: every trip there and back is
/// time the change holds the database's write lock. Postgres takes no batch of statements with
/// arguments, so there each is sent as before.
pub async fn append_all_after<'a>(
    tx: &mut Tx,
    before: Option<Sql>,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<(), sqlx::Error> {
    let entries: Vec<Entry<'a>> = entries.into_iter().collect();
    let happened: Vec<Happened<'_>> = entries
        .iter()
        .flat_map(|e| {
            Topic::of(e.kind, &e.detail)
                .into_iter()
                .map(move |topic| Happened {
                    dispute: e.dispute,
                    document: e.document,
                    topic,
                    at: e.at,
                })
        })
        .collect();
    let lite = tx.is_lite();
    let mut sql = match before {
        Some(before) if lite => before,
        Some(before) => {
            tx.execute(&before).await?;
            Sql::default()
        }
        None => Sql::default(),
    };
    if !sql.text().is_empty() {
        sql.push("; ");
    }
    sql.push(
        "insert into dispute_history (dispute_id, document_id, kind, actor_kind, actor_id, detail, created_at) values ",
    );
    for (i, entry) in entries.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(entry.dispute)
            .push(", ")
            .bind(entry.document.map(|d| d.as_str()))
            .push(", ")
            .bind(entry.kind.as_str())
            .push(", ")
            .bind(entry.actor.kind())
            .push(", ")
            .bind(entry.actor.id().map(|i| i.as_str()))
            .push(", ")
            .bind(super::db::Arg::Json(entry.detail.clone()))
            .push(", ")
            .bind(entry.at)
            .push(")");
    }
    if lite {
        super::events_lite::push_record(&mut sql, &happened);
        tx.execute(&sql).await.map(|_| ())
    } else {
        tx.execute(&sql).await?;
        record(tx, &happened).await
    }
}
