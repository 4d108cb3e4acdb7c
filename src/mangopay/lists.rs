//! Lists (MANGOPAY.md §6): `page`/`per_page` in any letter case, `Sort=CreationDate:ASC|DESC`,
//! `BeforeDate`/`AfterDate` (Unix seconds, strict), filters with several values in any of the
//! three spellings, and the paging headers on every list.

use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::error::{MpError, MpResult};
use crate::domain::{ListQuery, Order};

pub const DEFAULT_PER_PAGE: i64 = 10;
/// The earliest and latest Unix seconds a date filter means: within both stores' range.
const EARLIEST: i64 = -188_000_000_000;
const LATEST: i64 = 6_000_000_000_000;
pub const MAX_PER_PAGE: i64 = 100;

/// A list request, read from the query string.
#[derive(Debug, Clone)]
pub struct ListInput {
    pub page: i64,
    pub per_page: i64,
    pub order: Order,
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// Filter values by lower-cased name (`status`, `disputetype`, `type`).
    filters: Vec<(String, String)>,
    /// Every parameter but the paging ones, as sent: echoed in `Link` URLs.
    echo: Vec<(String, String)>,
}

/// A filter value as clients send it: trimmed, and with a Python list's repr stripped.
fn clean(value: &str) -> String {
    value
        .trim()
        .trim_matches(|c: char| matches!(c, '[' | ']' | '\'' | '"' | ' '))
        .to_owned()
}

fn integer(name: &str, value: &str) -> MpResult<i64> {
    value
        .trim()
        .parse()
        .map_err(|_| MpError::param(name, format!("{name} must be an integer")))
}

impl ListInput {
    pub fn parse(query: Option<&str>) -> MpResult<ListInput> {
        let mut input = ListInput {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            order: Order::ReverseChronological,
            before: None,
            after: None,
            filters: Vec::new(),
            echo: Vec::new(),
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let lower = name.to_ascii_lowercase();
            let bare = lower.trim_end_matches("[]");
            match bare {
                "page" => {
                    input.page = integer("page", &value)?;
                    if input.page < 1 {
                        return Err(MpError::param("page", "page must be at least 1"));
                    }
                    continue;
                }
                "per_page" => {
                    let n = integer("per_page", &value)?;
                    if n < 1 {
                        return Err(MpError::param("per_page", "per_page must be at least 1"));
                    }
                    input.per_page = n.min(MAX_PER_PAGE);
                    continue;
                }
                "sort" => {
                    let (field, direction) = value.split_once(':').unwrap_or((&value, "DESC"));
                    if !field.trim().eq_ignore_ascii_case("CreationDate") {
                        return Err(MpError::param("Sort", "only CreationDate can be sorted on"));
                    }
                    input.order = match direction.trim().to_ascii_uppercase().as_str() {
                        "ASC" => Order::Chronological,
                        "DESC" => Order::ReverseChronological,
                        _ => return Err(MpError::param("Sort", "the direction is ASC or DESC")),
                    };
                }
                "beforedate" => input.before = Some(integer("BeforeDate", &value)?),
                "afterdate" => input.after = Some(integer("AfterDate", &value)?),
                "status" | "disputetype" | "type" => {
                    for part in value.split(',') {
                        let part = clean(part);
                        if !part.is_empty() {
                            input.filters.push((bare.to_owned(), part));
                        }
                    }
                }
                _ => {}
            }
            input.echo.push((name.into_owned(), value.into_owned()));
        }
        Ok(input)
    }

    /// The values of one filter (`status`, `disputetype`, `type`), parsed by `parse`; an
    /// unknown value is a 400 naming `field`.
    pub fn filter<T>(
        &self,
        name: &str,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> MpResult<Vec<T>> {
        self.filters
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| {
                parse(v).ok_or_else(|| MpError::param(field, format!("{v} is not a valid {field}")))
            })
            .collect()
    }

    /// The slice of records this asks for, as the domain's list query. Dates beyond what the
    /// stores keep (years -4000 to 190000) are taken as those limits, so they still bound.
    pub fn query(&self, now: DateTime<Utc>) -> ListQuery {
        let at = |s: i64| {
            DateTime::from_timestamp(s.clamp(EARLIEST, LATEST), 0).unwrap_or(DateTime::UNIX_EPOCH)
        };
        let from = self
            .after
            .map_or(DateTime::UNIX_EPOCH, |s| at(s.saturating_add(1)));
        let to = self
            .before
            .map_or(now, |s| at(s) - TimeDelta::microseconds(1));
        ListQuery {
            offset: (self.page - 1).saturating_mul(self.per_page),
            limit: self.per_page,
            from,
            to,
            order: self.order,
            unbounded: self.after.is_none() && self.before.is_none(),
        }
    }

    fn link(&self, base: &str, page: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.echo {
            query.append_pair(name, value);
        }
        query.append_pair("page", &page.to_string());
        query.append_pair("per_page", &self.per_page.to_string());
        format!("{base}?{}", query.finish())
    }
}

/// A list answer: the JSON array and the paging headers. `base` is the list's absolute URL
/// without its query.
pub fn respond<T: Serialize>(items: &[T], total: i64, input: &ListInput, base: &str) -> Response {
    let pages = (total + input.per_page - 1) / input.per_page;
    let mut links = vec![format!("<{}>; rel=\"first\"", input.link(base, 1))];
    if input.page > 1 {
        let prev = (input.page - 1).min(pages.max(1));
        links.push(format!("<{}>; rel=\"prev\"", input.link(base, prev)));
    }
    if input.page < pages {
        links.push(format!(
            "<{}>; rel=\"next\"",
            input.link(base, input.page + 1)
        ));
    }
    links.push(format!(
        "<{}>; rel=\"last\"",
        input.link(base, pages.max(1))
    ));
    let mut response = crate::http::json(&items).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-number-of-items", total.to_string()),
        ("x-number-of-pages", pages.to_string()),
        ("link", links.join(", ")),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_in_any_case_and_values_in_every_spelling() {
        let input = ListInput::parse(Some(
            "Page=2&PER_PAGE=5&Status=A,%20B&status=C&Status[]=D&status=['E',%20'F']&Sort=CreationDate%3Aasc",
        ))
        .unwrap();
        assert_eq!(
            (input.page, input.per_page, input.order),
            (2, 5, Order::Chronological)
        );
        let statuses = input
            .filter("status", "Status", |s| Some(s.to_owned()))
            .unwrap();
        assert_eq!(statuses, ["A", "B", "C", "D", "E", "F"]);
    }

    #[test]
    fn per_page_is_clamped_and_bad_paging_refused() {
        assert_eq!(
            ListInput::parse(Some("per_page=1000")).unwrap().per_page,
            100
        );
        for bad in [
            "page=0",
            "per_page=0",
            "page=x",
            "Sort=Id:ASC",
            "Sort=CreationDate:UP",
        ] {
            assert!(ListInput::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_strict_bounds() {
        let now = Utc::now();
        let q = ListInput::parse(Some("AfterDate=100&BeforeDate=200"))
            .unwrap()
            .query(now);
        assert_eq!(q.from.timestamp(), 101);
        assert!(q.to.timestamp() == 199 && !q.unbounded);
    }

    #[test]
    fn links_keep_the_filters_with_commas_encoded() {
        let input = ListInput::parse(Some("Status=A,B&page=2&per_page=1")).unwrap();
        let response = respond(&[1], 3, &input, "http://h/v2.01/c/disputes");
        let link = response.headers()["link"].to_str().unwrap().to_owned();
        assert!(
            link.contains("Status=A%2CB&page=1&per_page=1>; rel=\"first\""),
            "{link}"
        );
        assert!(link.contains("page=3&per_page=1>; rel=\"next\""), "{link}");
        assert_eq!(response.headers()["x-number-of-pages"], "3");
    }
}
