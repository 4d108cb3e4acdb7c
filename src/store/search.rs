//! Searching an account's disputes (`DisputeSearch`): one statement for the page and its total,
//! like a list. Free text goes through each backend's trigram index over the searchable text
//! (id, charge id, message, metadata values): on Postgres `search_text ilike '%…%'`, served by
//! the text-led pg_trgm index, asked for the query's longer words and checked for the whole
//! query on what they find (`index_words`); on SQLite an FTS5 trigram phrase, whose matches are then
//! looked up by id (the migrations keep both indexes for every row written, however). A search
//! by status alone takes its total from the kept counts, as a list does.

use async_trait::async_trait;

use super::db::{Backend, Sql};
use super::rows::{DISPUTE_COLUMNS, PageRow};
use super::{SqlStore, StoreError};
use crate::domain::search::{AmountBand, Currencies, DisputeSearch, SearchText, TimeRange};
use crate::domain::{Dispute, ListPage, Order, Scope};

/// Searching disputes.
#[async_trait]
pub trait Search {
    /// A page of the scope's disputes that match `search`, and how many match in all.
    async fn search_disputes(
        &self,
        scope: &Scope,
        search: &DisputeSearch,
    ) -> Result<ListPage<Dispute>, StoreError>;
}

/// Which backend a statement is for, where their SQL differs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Postgres,
    Sqlite,
}

/// `%`, `_` and `\` taken literally in a LIKE pattern whose escape character is `\`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The words of a query that the trigram index is asked for on Postgres: its runs of letters and
/// digits of at least four characters. A shorter run gives one trigram, or none, and often a
/// common one (`ord` of every order id and of every "order"), which the index would walk nearly
/// whole for nothing: a query's rarest trigram finds its candidates, and the others are then
/// looked up for each candidate all over their own lists. None when no run is that long: the
/// whole query is asked for then, as it is.
fn index_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 4)
        .collect()
}

/// An FTS5 phrase of `text`: everything between the quotes is literal but `"`, written twice.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The account and mode. With free text on SQLite the two are written `+column`, so that the
/// planner looks the text's few matches up by id instead of walking the account's index.
fn push_scope(sql: &mut Sql, scope: &Scope, flavour: Flavour, text: bool) {
    let plus = if text && flavour == Flavour::Sqlite {
        "+"
    } else {
        ""
    };
    sql.push(plus)
        .push("account_id = ")
        .bind(&scope.account)
        .push(" and ")
        .push(plus)
        .push("livemode = ")
        .bind(scope.mode.is_live());
}

fn push_text(sql: &mut Sql, scope: &Scope, flavour: Flavour, text: &SearchText) {
    let reasons = |sql: &mut Sql| {
        sql.bind_list(text.reasons.iter().map(|r| r.as_str()));
    };
    match flavour {
        Flavour::Postgres => {
            let whole = format!("%{}%", like_escaped(&text.text));
            let words = index_words(&text.text);
            sql.push(" and ((");
            if words.is_empty() || words == [text.text.as_str()] {
                sql.push("search_text ilike ").bind(whole);
            } else {
                // The index finds the rows that hold every longer word; the whole query, its
                // short words and separators in order, is checked on those rows alone (the
                // expression is not the indexed column's, so it stays a check).
                for word in words {
                    sql.push("search_text ilike ")
                        .bind(format!("%{}%", like_escaped(word)))
                        .push(" and ");
                }
                sql.push("(search_text || '') ilike ").bind(whole);
            }
            sql.push(")");
            if !text.reasons.is_empty() {
                sql.push(" or reason in ");
                reasons(sql);
            }
            sql.push(")");
        }
        Flavour::Sqlite => {
            sql.push(
                " and id in (select s.dispute_id from dispute_search_index f \
                 join dispute_search s on s.n = f.rowid where dispute_search_index match ",
            )
            .bind(fts_phrase(&text.text));
            if !text.reasons.is_empty() {
                sql.push(" union all select id from disputes where account_id = ")
                    .bind(&scope.account)
                    .push(" and livemode = ")
                    .bind(scope.mode.is_live())
                    .push(" and reason in ");
                reasons(sql);
            }
            sql.push(")");
        }
    }
}

fn push_range(sql: &mut Sql, column: &str, range: &TimeRange) {
    if let Some(from) = range.from {
        sql.push(" and ").push(column).push(" >= ").bind(from);
    }
    if let Some(until) = range.until {
        sql.push(" and ").push(column).push(" < ").bind(until);
    }
    if range.from.is_none() && range.until.is_none() {
        sql.push(" and ").push(column).push(" is not null");
    }
}

fn push_band(sql: &mut Sql, band: &AmountBand) {
    sql.push("(1 = 1");
    match &band.currencies {
        Currencies::In(codes) => {
            sql.push(" and currency in ")
                .bind_list(codes.iter().copied());
        }
        Currencies::NotIn(codes) if !codes.is_empty() => {
            sql.push(" and currency not in ")
                .bind_list(codes.iter().copied());
        }
        Currencies::NotIn(_) => {}
    }
    if let Some(min) = band.min {
        sql.push(" and amount >= ").bind(min);
    }
    if let Some(max) = band.max {
        sql.push(" and amount <= ").bind(max);
    }
    sql.push(")");
}

/// Every condition of the search, after the scope.
fn push_where(sql: &mut Sql, scope: &Scope, search: &DisputeSearch, flavour: Flavour) {
    push_scope(sql, scope, flavour, search.text.is_some());
    if let Some(text) = &search.text {
        push_text(sql, scope, flavour, text);
    }
    if !search.statuses.is_empty() {
        sql.push(" and status in ")
            .bind_list(search.statuses.iter().map(|s| s.as_str()));
    }
    if !search.reasons.is_empty() {
        sql.push(" and reason in ")
            .bind_list(search.reasons.iter().map(|r| r.as_str()));
    }
    if let Some(currency) = &search.currency {
        sql.push(" and currency = ").bind(currency.as_str());
    }
    if let Some(amount) = &search.amount {
        let bands = amount.bands(search.currency.as_deref());
        if bands.is_empty() {
            sql.push(" and 1 = 0");
        } else {
            sql.push(" and (");
            for (i, band) in bands.iter().enumerate() {
                if i > 0 {
                    sql.push(" or ");
                }
                push_band(sql, band);
            }
            sql.push(")");
        }
    }
    for range in &search.created {
        push_range(sql, "created_at", range);
    }
    for range in &search.closed {
        push_range(sql, "closed_at", range);
    }
    if let Some(charge) = &search.charge {
        sql.push(" and charge_id = ").bind(charge);
    }
}

/// Whether the kept counts give the total: a search by status alone, or by nothing.
fn counts_suffice(search: &DisputeSearch) -> bool {
    search.text.is_none()
        && search.reasons.is_empty()
        && search.currency.is_none()
        && search.amount.is_none()
        && search.created.is_empty()
        && search.closed.is_empty()
        && search.charge.is_none()
}

fn push_total(sql: &mut Sql, scope: &Scope, search: &DisputeSearch, flavour: Flavour) {
    if counts_suffice(search) {
        sql.push(
            "select cast(coalesce(sum(count), 0) as bigint) from dispute_counts where account_id = ",
        )
        .bind(&scope.account)
        .push(" and livemode = ")
        .bind(scope.mode.is_live());
        if !search.statuses.is_empty() {
            sql.push(" and status in ")
                .bind_list(search.statuses.iter().map(|s| s.as_str()));
        }
    } else {
        sql.push("select count(*) from disputes where ");
        push_where(sql, scope, search, flavour);
    }
}

#[async_trait]
impl Search for SqlStore {
    async fn search_disputes(
        &self,
        scope: &Scope,
        search: &DisputeSearch,
    ) -> Result<ListPage<Dispute>, StoreError> {
        if search.matches_none {
            return Ok(ListPage {
                items: Vec::new(),
                total: 0,
            });
        }
        let flavour = match self.pool.backend() {
            Backend::Pg(_) => Flavour::Postgres,
            Backend::Lite { .. } => Flavour::Sqlite,
        };
        let dir = match search.order {
            Order::Chronological => "asc",
            Order::ReverseChronological => "desc",
        };
        // One statement: the page, and the total as a column (an uncorrelated subquery,
        // evaluated once), so an empty page carries none.
        let mut sql = Sql::new("select ");
        sql.push(DISPUTE_COLUMNS).push(", (");
        push_total(&mut sql, scope, search, flavour);
        sql.push(") as total from disputes where ");
        push_where(&mut sql, scope, search, flavour);
        sql.push(&format!(" order by created_at {dir}, id {dir} limit "))
            .bind(search.limit)
            .push(" offset ")
            .bind(search.offset);
        let rows: Vec<PageRow> = self.pool.all(&sql).await?;
        let total = match rows.first() {
            Some(row) => row.total,
            None if search.offset == 0 => 0,
            None => {
                let mut count = Sql::default();
                push_total(&mut count, scope, search, flavour);
                let (total,): (i64,) = self.pool.optional(&count).await?.unwrap_or_default();
                total
            }
        };
        let items = rows
            .into_iter()
            .map(|r| Dispute::try_from(r.dispute))
            .collect::<Result<_, _>>()?;
        Ok(ListPage { items, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_every_character_literally() {
        assert_eq!(like_escaped(r"50% off_now \o/"), r"50\% off\_now \\o/");
    }

    #[test]
    fn the_index_is_asked_for_the_longer_words_only() {
        assert_eq!(index_words("ord_203450"), ["203450"]);
        assert_eq!(index_words("chrg_test_5xyz9"), ["chrg", "test", "5xyz9"]);
        assert_eq!(index_words("Évidence à 50% off"), ["Évidence"]);
        assert!(index_words("50% of 12").is_empty());
        assert_eq!(index_words("delivered"), ["delivered"]);
    }

    #[test]
    fn fts_phrases_double_their_quotes() {
        assert_eq!(
            fts_phrase(r#"say "hi" NEAR(a b)*"#),
            r#""say ""hi"" NEAR(a b)*""#
        );
    }
}
