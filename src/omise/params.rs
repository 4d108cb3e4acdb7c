//! Request parameters, wherever the client put them: the query string, a JSON body (on GET and
//! DELETE too: some official clients send list parameters that way) or a form body with
//! bracketed keys (`metadata[color]=red`, brackets raw or percent-encoded). The body wins over
//! the query string; `null` means "use the default"; unknown parameters are ignored.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::ApiError;
use crate::app::AppState;
use crate::domain::list::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::domain::{ListQuery, Order};

/// The largest parameter body accepted (uploads do not go through here).
pub const MAX_PARAMS_BODY: usize = 256 * 1024;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params(pub Map<String, Value>);

impl FromRequest<AppState> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &AppState) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Some(query) = req.uri().query() {
            params.merge(parse_form(query.as_bytes()));
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_default();
        let body = axum::body::to_bytes(req.into_body(), MAX_PARAMS_BODY)
            .await
            .map_err(|_| ApiError::bad_request("request body is too large or unreadable"))?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            params.merge_body(&content_type, &body)?;
        }
        if params.0.iter().any(|(k, v)| k.contains('\0') || has_nul(v)) {
            // Postgres cannot store U+0000 in text; no client means to send it.
            return Err(ApiError::bad_request(
                "parameters must not contain NUL (\\u0000) characters",
            ));
        }
        Ok(params)
    }
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

impl Params {
    /// Adds the body's parameters, read as its Content-Type says.
    fn merge_body(&mut self, content_type: &str, body: &[u8]) -> Result<(), ApiError> {
        if content_type.starts_with("application/x-www-form-urlencoded") {
            self.merge(parse_form(body));
        } else if content_type.starts_with("application/json") || content_type.is_empty() {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => self.merge(map),
                Ok(Value::Null) => {}
                Ok(_) => return Err(ApiError::bad_request("the JSON body must be an object")),
                // No Content-Type and not JSON: read it as a form, as curl -d sends.
                Err(_) if content_type.is_empty() => self.merge(parse_form(body)),
                Err(e) => return Err(ApiError::bad_request(format!("malformed JSON body: {e}"))),
            }
        } else if !content_type.starts_with("multipart/") {
            return Err(ApiError::bad_request(format!(
                "unsupported Content-Type {content_type}"
            )));
        }
        Ok(())
    }

    fn merge(&mut self, other: Map<String, Value>) {
        for (k, v) in other {
            self.0.insert(k, v);
        }
    }

    /// A parameter's value; `null` and the empty string (`limit=`, as some clients send a
    /// null) mean it was not given.
    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .get(name)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
    }

    pub fn str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::bad_request(format!("{name} must be an integer"));
        match self.get(name) {
            None => Ok(None),
            // 1000.0 is an integer too, as JSON Schema counts them.
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(invalid),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(ApiError::bad_request(format!("{name} must be an object"))),
        }
    }

    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.str(name)?
            .map(|s| {
                parse_time(s).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name} must be an ISO 8601 datetime (YYYY-MM-DDThh:mm:ssZ)"
                    ))
                })
            })
            .transpose()
    }

    /// The paging parameters every list takes, validated; `to` defaults to `now`.
    pub fn list_query(&self, now: DateTime<Utc>) -> Result<ListQuery, ApiError> {
        let offset = self.int("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_request("offset must not be negative"));
        }
        let limit = self.int("limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let order = match self.str("order")? {
            None => Order::Chronological,
            Some(s) => Order::parse(s).ok_or_else(|| {
                ApiError::bad_request("order must be chronological or reverse_chronological")
            })?,
        };
        let from = self.time("from")?.unwrap_or(DateTime::UNIX_EPOCH);
        let to = self.time("to")?.unwrap_or(now);
        if from > to {
            return Err(ApiError::bad_request("from must not be later than to"));
        }
        let unbounded = from == DateTime::UNIX_EPOCH && to >= now;
        Ok(ListQuery {
            offset,
            limit,
            from,
            to,
            order,
            unbounded,
        })
    }
}

/// `2019-05-29T10:00:00Z` (or any RFC 3339 time), `2019-05-29T10:00:00` (UTC) or `2019-05-29`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(Default::default()).and_utc())
}

/// Parses `a=1&m[k]=v&m[n][x]=2&l[]=1` into nested JSON objects (and arrays for `[]`).
/// Every leaf is a string: typed accessors convert.
pub fn parse_form(input: &[u8]) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in url::form_urlencoded::parse(input) {
        let mut path = key
            .split('[')
            .map(|part| part.strip_suffix(']').unwrap_or(part));
        let Some(first) = path.next().filter(|f| !f.is_empty()) else {
            continue;
        };
        let rest: Vec<&str> = path.collect();
        insert(&mut root, first, &rest, Value::String(value.into_owned()));
    }
    root
}

fn insert(map: &mut Map<String, Value>, key: &str, rest: &[&str], value: Value) {
    match rest.split_first() {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some((&"", _)) => {
            let slot = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(items) = slot {
                items.push(value);
            }
        }
        Some((next, tail)) => {
            let slot = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert(inner, next, tail, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_keys_with_brackets_nest_raw_or_percent_encoded() {
        let raw = parse_form(b"message=hi+there&metadata[color]=red&metadata[nested][a]=1");
        let encoded =
            parse_form(b"message=hi%20there&metadata%5Bcolor%5D=red&metadata%5Bnested%5D%5Ba%5D=1");
        let expected =
            json!({"message": "hi there", "metadata": {"color": "red", "nested": {"a": "1"}}});
        assert_eq!(Value::Object(raw), expected);
        assert_eq!(Value::Object(encoded), expected);
    }

    #[test]
    fn empty_brackets_make_arrays() {
        assert_eq!(
            Value::Object(parse_form(b"l[]=1&l[]=2")),
            json!({"l": ["1", "2"]})
        );
    }

    fn params(v: Value) -> Params {
        Params(v.as_object().unwrap().clone())
    }

    #[test]
    fn list_parameters_have_defaults_and_null_means_default() {
        let now = Utc::now();
        let q = params(json!({"limit": null, "order": null}))
            .list_query(now)
            .unwrap();
        assert_eq!(q, ListQuery::first_page(now));
    }

    #[test]
    fn list_parameters_accept_numbers_as_strings() {
        let q = params(json!({"limit": "100", "offset": 5, "order": "reverse_chronological"}))
            .list_query(Utc::now())
            .unwrap();
        assert_eq!(
            (q.limit, q.offset, q.order),
            (100, 5, Order::ReverseChronological)
        );
    }

    #[test]
    fn bad_list_parameters_are_refused() {
        let now = Utc::now();
        for bad in [
            json!({"limit": "x"}),
            json!({"limit": 0}),
            json!({"limit": 101}),
            json!({"limit": 1.5}),
            json!({"offset": -1}),
            json!({"order": "sideways"}),
            json!({"from": "yesterday"}),
            json!({"from": "2020-01-02T00:00:00Z", "to": "2020-01-01T00:00:00Z"}),
            json!({"limit": [1]}),
        ] {
            assert!(params(bad.clone()).list_query(now).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_number_floats_are_integers_and_fractions_are_not() {
        assert_eq!(
            params(json!({"limit": 20.0})).int("limit").unwrap(),
            Some(20)
        );
        assert!(params(json!({"limit": 20.5})).int("limit").is_err());
    }

    #[test]
    fn times_parse_in_the_usual_forms() {
        let t = parse_time("2019-05-29T10:00:00Z").unwrap();
        assert_eq!(parse_time("2019-05-29T10:00:00").unwrap(), t);
        assert_eq!(parse_time("2019-05-29T17:00:00+07:00").unwrap(), t);
        assert!(parse_time("2019-05-29").is_some());
        assert!(parse_time("29/05/2019").is_none());
    }
}
