//! The ceiling of a dispute search (`GET /search?scope=dispute`, src/omise/search/ and
//! src/store/search.rs): the server's statement for each of the three searches bench/run
//! measures — free text through the trigram index, a status (its total from the kept counts), a
//! day of creation — with the same values, the server's first-documents statement, and the same
//! Omise `search` object (2019-05-29), with no parsing of Omise's syntax: the values come ready.
//!
//! `GET /c/{account}/search?query=TEXT`, `?status=DOMAIN_STATUS&status_echo=OMISE_STATUS` or
//! `?created=ECHO&from=RFC3339&until=RFC3339`; always the first page of 30, oldest first.

use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Answer, App, DISPUTE_COLUMNS, Db, DisputeJson, PageRow, Ts, failed, first_documents,
    json_response,
};

const PER_PAGE: i64 = 30;
const ORDER: &str = " order by created_at asc, id asc limit ";

#[derive(Deserialize)]
pub struct SearchParams {
    query: Option<String>,
    status: Option<String>,
    status_echo: Option<String>,
    created: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

#[derive(Serialize)]
struct SearchJson<'a> {
    object: &'static str,
    export: Option<()>,
    data: Vec<DisputeJson<'a>>,
    page: i64,
    per_page: i64,
    total: i64,
    total_pages: i64,
    filters: std::collections::BTreeMap<&'static str, &'a str>,
    location: &'static str,
    order: &'static str,
    query: &'a str,
    scope: &'static str,
    aggregate_level: Option<()>,
}

/// `%`, `_` and `\` escaped for LIKE, as src/store/search.rs does.
fn like_escaped(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The words the server asks the trigram index for (src/store/search.rs, `index_words`).
fn index_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 4)
        .collect()
}

/// The server's free-text condition on Postgres, its account and mode `$1` and `$2`, its
/// patterns from `$5` on (`patterns`, bound in that order).
fn pg_text_condition(text: &str) -> (String, Vec<String>) {
    let whole = format!("%{}%", like_escaped(text));
    let words = index_words(text);
    let mut sql = String::from("account_id = $1 and livemode = $2 and ((");
    if words.is_empty() || words == [text] {
        sql.push_str("search_text ilike $5");
        return (sql + "))", vec![whole]);
    }
    let mut patterns = Vec::new();
    for word in words {
        patterns.push(format!("%{}%", like_escaped(word)));
        sql.push_str(&format!("search_text ilike ${} and ", 4 + patterns.len()));
    }
    patterns.push(whole);
    sql.push_str(&format!(
        "(search_text || '') ilike ${}))",
        4 + patterns.len()
    ));
    (sql, patterns)
}

/// The server's free-text condition on SQLite with its two parameters numbered from `n`.
fn lite_text_condition(n: usize) -> String {
    format!(
        "+account_id = ${} and +livemode = ${} and id in (select s.dispute_id from \
         dispute_search_index f join dispute_search s on s.n = f.rowid where \
         dispute_search_index match ${})",
        n,
        n + 1,
        n + 2
    )
}

fn time(s: Option<&str>) -> Result<Ts, (axum::http::StatusCode, String)> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| Ts(t.with_timezone(&Utc)))
        .ok_or_else(|| failed("from and until are RFC 3339 times"))
}

pub async fn search(
    State(app): State<App>,
    Path(account): Path<String>,
    Query(params): Query<SearchParams>,
) -> Answer {
    let now = Utc::now();
    let account = account.as_str();
    let mut filters = std::collections::BTreeMap::new();
    let rows: Vec<PageRow> = if let Some(text) = &params.query {
        if let Db::Pg(_) = app.db {
            let (condition, patterns) = pg_text_condition(text);
            let sql = format!(
                "select {DISPUTE_COLUMNS}, (select count(*) from disputes where {condition}) as \
                 total from disputes where {condition}{ORDER}$3 offset $4"
            );
            all!(app.db, PageRow, &sql, [account, false, PER_PAGE, 0_i64], list patterns)
        } else {
            let value = format!("\"{}\"", text.replace('"', "\"\""));
            let sql = format!(
                "select {DISPUTE_COLUMNS}, (select count(*) from disputes where {}) as total from \
                 disputes where {}{ORDER}$7 offset $8",
                lite_text_condition(1),
                lite_text_condition(4)
            );
            all!(
                app.db,
                PageRow,
                &sql,
                [account, false, &value, account, false, &value, PER_PAGE, 0_i64]
            )
        }
    } else if let Some(status) = &params.status {
        filters.insert("status", params.status_echo.as_deref().unwrap_or(""));
        let sql = format!(
            "select {DISPUTE_COLUMNS}, (select cast(coalesce(sum(count), 0) as bigint) from \
             dispute_counts where account_id = $1 and livemode = $2 and status in ($3)) as total \
             from disputes where account_id = $4 and livemode = $5 and status in ($6){ORDER}$7 offset $8"
        );
        all!(
            app.db,
            PageRow,
            &sql,
            [account, false, status, account, false, status, PER_PAGE, 0_i64]
        )
    } else {
        filters.insert("created", params.created.as_deref().unwrap_or(""));
        let (from, until) = (
            time(params.from.as_deref())?,
            time(params.until.as_deref())?,
        );
        let sql = format!(
            "select {DISPUTE_COLUMNS}, (select count(*) from disputes where account_id = $1 and \
             livemode = $2 and created_at >= $3 and created_at < $4) as total from disputes where \
             account_id = $5 and livemode = $6 and created_at >= $7 and created_at < $8{ORDER}$9 offset $10"
        );
        all!(
            app.db,
            PageRow,
            &sql,
            [account, false, from, until, account, false, from, until, PER_PAGE, 0_i64]
        )
    }
    .map_err(failed)?;
    let total = rows.first().map_or(0, |r| r.total);
    let with_documents: Vec<&str> = rows
        .iter()
        .filter(|r| r.dispute.document_count > 0)
        .map(|r| r.dispute.id.as_str())
        .collect();
    let documents = first_documents(&app, &with_documents)
        .await
        .map_err(failed)?;
    let data = rows
        .iter()
        .map(|r| {
            let d = &r.dispute;
            let first = documents.partition_point(|doc| doc.dispute_id < d.id);
            let end = documents.partition_point(|doc| doc.dispute_id <= d.id);
            app.dispute(d, &documents[first..end], now)
        })
        .collect();
    json_response(&SearchJson {
        object: "search",
        export: None,
        data,
        page: 1,
        per_page: PER_PAGE,
        total,
        total_pages: (total + PER_PAGE - 1) / PER_PAGE,
        filters,
        location: "/search",
        order: "chronological",
        query: params.query.as_deref().unwrap_or(""),
        scope: "dispute",
        aggregate_level: None,
    })
}
