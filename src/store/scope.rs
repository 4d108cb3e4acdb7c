//! The conditions every listing shares: the caller's account and mode, and the order.

use super::db::Sql;
use crate::domain::{Order, Scope};

/// `and account_id = … and livemode = …` when there is a scope; the operator's view has none.
pub fn push_scope(sql: &mut Sql, scope: Option<&Scope>, prefix: &str) {
    if let Some(scope) = scope {
        sql.push(" and ")
            .push(prefix)
            .push("account_id = ")
            .bind(&scope.account)
            .push(" and ")
            .push(prefix)
            .push("livemode = ")
            .bind(scope.mode.is_live());
    }
}

/// `asc` or `desc`.
pub fn direction(order: Order) -> &'static str {
    match order {
        Order::Chronological => "asc",
        Order::ReverseChronological => "desc",
    }
}
