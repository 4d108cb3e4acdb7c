//! The statements of a dispute list: the filter's conditions, the range, and the total, taken
//! from the kept counts where they suffice.

use super::DisputeFilter;
use super::db::{Sql, Tx};
use crate::domain::{Action, Dispute, DisputeStatus, HistoryKind, ListQuery, Scope};

/// Past this offset a page is found through the covering index alone (the ids of the page
/// first, then their rows), so skipped records cost no row reads.
pub(super) const DEFERRED_JOIN_OFFSET: i64 = 100;

/// The filter's conditions.
pub(super) fn push_filter(sql: &mut Sql, filter: &DisputeFilter) {
    if !filter.statuses.is_empty() {
        sql.push(" and status in ")
            .bind_list(filter.statuses.iter().map(|s| s.as_str()));
    }
    if !filter.kinds.is_empty() {
        sql.push(" and dispute_kind in ")
            .bind_list(filter.kinds.iter().map(|k| k.as_str()));
    }
    if let Some(charge) = &filter.charge {
        sql.push(" and charge_id = ").bind(charge);
    }
    if !filter.marked.is_empty() {
        sql.push(" and (");
        for (i, m) in filter.marked.iter().enumerate() {
            sql.push(if i == 0 {
                "(status = "
            } else {
                " or (status = "
            })
            .bind(m.status.as_str());
            if let Some(reopened) = m.reopened {
                sql.push(if reopened { " and " } else { " and not " });
                push_reopened(sql, "disputes.id");
            }
            if let Some(with_bank) = m.with_bank {
                sql.push(
                    " and coalesce((select h.detail ->> 'action' from dispute_history h \
                     where h.dispute_id = disputes.id and h.kind = ",
                )
                .bind(HistoryKind::StatusChanged.as_str())
                .push(" order by h.seq desc limit 1), '')")
                .push(if with_bank { " = " } else { " <> " })
                .bind(Action::Escalate.as_str());
            }
            sql.push(")");
        }
        sql.push(")");
    }
}

/// `exists (…)`: the dispute named by `column` was reopened, as its history says.
pub(super) fn push_reopened(sql: &mut Sql, column: &str) {
    sql.push("exists (select 1 from dispute_history h where h.dispute_id = ")
        .push(column)
        .push(" and h.kind = ")
        .bind(HistoryKind::StatusChanged.as_str())
        .push(" and h.detail ->> 'action' = ")
        .bind(Action::Reopen.as_str())
        .push(")");
}

/// Whether the kept counts can give the total: the filter is by status alone.
pub(super) fn counts_suffice(filter: &DisputeFilter, query: &ListQuery) -> bool {
    query.unbounded
        && filter.kinds.is_empty()
        && filter.charge.is_none()
        && filter.marked.is_empty()
}

/// The total of a list: summed from the kept counts when the range is all time and the filter
/// only by status, else counted.
pub(super) fn push_total(sql: &mut Sql, scope: &Scope, filter: &DisputeFilter, query: &ListQuery) {
    let kept = counts_suffice(filter, query);
    if kept {
        sql.push(
            "select cast(coalesce(sum(count), 0) as bigint) from dispute_counts where account_id = ",
        );
    } else {
        sql.push("select count(*) from disputes where account_id = ");
    }
    sql.bind(&scope.account)
        .push(" and livemode = ")
        .bind(scope.mode.is_live());
    if kept {
        if !filter.statuses.is_empty() {
            sql.push(" and status in ")
                .bind_list(filter.statuses.iter().map(|s| s.as_str()));
        }
    } else {
        push_range(sql, query);
        push_filter(sql, filter);
    }
}

pub(super) fn push_range(sql: &mut Sql, query: &ListQuery) {
    sql.push(" and created_at >= ")
        .bind(query.from)
        .push(" and created_at <= ")
        .bind(query.to);
}

/// `account_id = … and livemode = … and created_at in range` and the filter's conditions.
pub(super) fn push_where(sql: &mut Sql, scope: &Scope, filter: &DisputeFilter, query: &ListQuery) {
    sql.push("account_id = ")
        .bind(&scope.account)
        .push(" and livemode = ")
        .bind(scope.mode.is_live());
    push_range(sql, query);
    push_filter(sql, filter);
}

/// Moves an account's kept count of disputes in `status` by `delta`. A count that goes down
/// exists already (the dispute was counted when it got its status).
pub(super) async fn count_status(
    tx: &mut Tx,
    dispute: &Dispute,
    status: DisputeStatus,
    delta: i64,
) -> Result<(), sqlx::Error> {
    let mut sql;
    if delta < 0 {
        sql = Sql::new("update dispute_counts set count = count + ");
        sql.bind(delta)
            .push(" where account_id = ")
            .bind(&dispute.account)
            .push(" and livemode = ")
            .bind(dispute.mode.is_live())
            .push(" and status = ")
            .bind(status.as_str());
    } else {
        sql = Sql::new("insert into dispute_counts (account_id, livemode, status, count) values (");
        sql.bind(&dispute.account)
            .push(", ")
            .bind(dispute.mode.is_live())
            .push(", ")
            .bind(status.as_str())
            .push(", ")
            .bind(delta)
            .push(") on conflict (account_id, livemode, status) do update set count = dispute_counts.count + excluded.count");
    }
    tx.execute(&sql).await.map(|_| ())
}
