//! The evidence packets waiting to be frozen: queued by a trigger on the history (migration
//! `20261206000030_packets`) in the transaction of the status change that takes a dispute out of
//! "awaiting evidence"; the worker takes them a few at a time, and records a frozen packet (its
//! history entry and event) and removes its job in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::db::Sql;
use super::history::{Entry, append};
use super::{SqlStore, StoreError};
use crate::domain::{Actor, HistoryKind, Id};

/// A dispute whose packet is to be frozen, and the history entry that queued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketJob {
    pub dispute: Id,
    pub queued_seq: i64,
}

#[async_trait]
pub trait PacketJobs {
    /// The oldest `limit` jobs.
    async fn packet_jobs(&self, limit: i64) -> Result<Vec<PacketJob>, StoreError>;
    /// Records the frozen packet (`detail`) in the history, with its event, and removes the
    /// job; false (nothing written) when the job is gone or a newer one replaced it.
    async fn finish_packet_job(
        &self,
        job: &PacketJob,
        detail: Option<Value>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
impl PacketJobs for SqlStore {
    async fn packet_jobs(&self, limit: i64) -> Result<Vec<PacketJob>, StoreError> {
        let mut sql =
            Sql::new("select dispute_id, queued_seq from packet_jobs order by queued_seq limit ");
        sql.bind(limit);
        let rows: Vec<(String, i64)> = self.pool.all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(dispute, queued_seq)| PacketJob {
                dispute: Id::from_trusted(dispute),
                queued_seq,
            })
            .collect())
    }

    async fn finish_packet_job(
        &self,
        job: &PacketJob,
        detail: Option<Value>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut sql = Sql::new("delete from packet_jobs where dispute_id = ");
        sql.bind(&job.dispute)
            .push(" and queued_seq = ")
            .bind(job.queued_seq);
        if tx.execute(&sql).await? == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(detail) = detail {
            let entry = Entry {
                dispute: &job.dispute,
                document: None,
                kind: HistoryKind::PacketFrozen,
                actor: &Actor::System,
                detail,
                at,
            };
            append(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
