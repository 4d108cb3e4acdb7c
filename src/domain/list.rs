//! Paging: which slice of a time-ordered collection a list request asks for.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Chronological,
    ReverseChronological,
}

impl Order {
    pub fn parse(s: &str) -> Option<Order> {
        match s {
            "chronological" => Some(Order::Chronological),
            "reverse_chronological" => Some(Order::ReverseChronological),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Order::Chronological => "chronological",
            Order::ReverseChronological => "reverse_chronological",
        }
    }
}

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// A validated list request: records created in `[from, to]`, ordered, then `offset`/`limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub offset: i64,
    pub limit: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub order: Order,
    /// The range is all time up to the request (from the epoch, to now or later), so a kept
    /// count of the records can stand in for counting them.
    pub unbounded: bool,
}

impl ListQuery {
    /// The first page with every default, as embedded lists use.
    pub fn first_page(now: DateTime<Utc>) -> ListQuery {
        ListQuery {
            offset: 0,
            limit: DEFAULT_LIMIT,
            from: DateTime::UNIX_EPOCH,
            to: now,
            order: Order::Chronological,
            unbounded: true,
        }
    }
}

/// One page of a list, and how many records the whole range holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}
