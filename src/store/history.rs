//! Appending to a dispute's history, inside the transaction of the change it records, with the
//! events it makes (`events::record`; on SQLite `events_lite::record`).

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
    let mut sql = Sql::new(
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
    tx.execute(&sql).await?;
    if tx.is_lite() {
        super::events_lite::record(tx, &happened).await
    } else {
        record(tx, &happened).await
    }
}
