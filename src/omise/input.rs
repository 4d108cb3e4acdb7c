//! Request parameters, wherever the client put them: the query string, a JSON body (on GET and
//! DELETE too: some official clients send list parameters that way) or a form body with
//! bracketed keys (`metadata[color]=red`, brackets raw or percent-encoded, read by `serde_qs`).
//! The body wins over the query string; `null` means "use the default"; unknown parameters are
//! ignored. Each request shape is one struct whose serde and utoipa derives serve the parser and
//! the OpenAPI document alike.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use super::ApiError;
use crate::domain::list::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::domain::{ListQuery, Order};
use crate::http::lenient;

/// The largest parameter body accepted (uploads do not go through here).
pub const MAX_PARAMS_BODY: usize = 256 * 1024;

/// The parameters of a request, read into `T`.
#[derive(Debug)]
pub struct Input<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Input<T>, ApiError> {
        let params = read(req).await?;
        let value = serde_path_to_error::deserialize(Value::Object(params)).map_err(|e| {
            let path = e.path().to_string();
            ApiError::bad_request(format!("{path} {}", e.into_inner()))
        })?;
        Ok(Input(value))
    }
}

/// Every parameter of the request, as JSON: the query string's, then the body's over them.
async fn read(req: Request) -> Result<Map<String, Value>, ApiError> {
    let mut params = match req.uri().query() {
        Some(query) => parse_form(query.as_bytes())?,
        None => Map::new(),
    };
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
        params.extend(parse_body(&content_type, &body)?);
    }
    if params
        .iter()
        .any(|(k, v)| k.contains('\0') || crate::http::has_nul(v))
    {
        // Postgres cannot store U+0000 in text; no client means to send it.
        return Err(ApiError::bad_request(
            "parameters must not contain NUL (\\u0000) characters",
        ));
    }
    Ok(params)
}

/// The body's parameters, read as its Content-Type says.
fn parse_body(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        parse_form(body)
    } else if content_type.starts_with("application/json") || content_type.is_empty() {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(Value::Null) => Ok(Map::new()),
            Ok(_) => Err(ApiError::bad_request("the JSON body must be an object")),
            // No Content-Type and not JSON: read it as a form, as curl -d sends.
            Err(_) if content_type.is_empty() => parse_form(body),
            Err(e) => Err(ApiError::bad_request(format!("malformed JSON body: {e}"))),
        }
    } else if content_type.starts_with("multipart/") {
        Ok(Map::new())
    } else {
        Err(ApiError::bad_request(format!(
            "unsupported Content-Type {content_type}"
        )))
    }
}

/// `a=1&m[k]=v&m[n][x]=2&l[]=1` as nested JSON objects (and arrays for `[]`); every leaf is a
/// string, which the lenient readers convert.
pub fn parse_form(input: &[u8]) -> Result<Map<String, Value>, ApiError> {
    // A pair with no name (`=x`) names nothing: it is dropped, not an error.
    let named: Vec<&[u8]> = input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with(b"="))
        .collect();
    serde_qs::Config::new()
        .use_form_encoding(true)
        .deserialize_bytes(&named.join(&b'&'))
        .map_err(|e| ApiError::bad_request(format!("malformed parameters: {e}")))
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

/// The paging parameters every list takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many records to skip (default 0).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lenient::int")]
    offset: Option<i64>,
    /// How many records to return (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "lenient::int")]
    limit: Option<i64>,
    /// The earliest creation time (default 1970-01-01T00:00:00Z).
    #[param(format = DateTime)]
    #[serde(default, deserialize_with = "lenient::text")]
    from: Option<String>,
    /// The latest creation time (default: now).
    #[param(format = DateTime)]
    #[serde(default, deserialize_with = "lenient::text")]
    to: Option<String>,
    /// chronological (default) or reverse_chronological.
    #[param(schema_with = super::openapi::order_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    order: Option<String>,
}

fn time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|s| {
            parse_time(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} must be an ISO 8601 datetime (YYYY-MM-DDThh:mm:ssZ)"
                ))
            })
        })
        .transpose()
}

impl ListParams {
    /// The validated list request; `to` defaults to `now`.
    pub fn query(&self, now: DateTime<Utc>) -> Result<ListQuery, ApiError> {
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_request("offset must not be negative"));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let order = match self.order.as_deref() {
            None => Order::Chronological,
            Some(s) => Order::parse(s).ok_or_else(|| {
                ApiError::bad_request("order must be chronological or reverse_chronological")
            })?,
        };
        let from = time("from", self.from.as_deref())?.unwrap_or(DateTime::UNIX_EPOCH);
        let to = time("to", self.to.as_deref())?.unwrap_or(now);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_keys_with_brackets_nest_raw_or_percent_encoded() {
        let raw =
            parse_form(b"message=hi+there&metadata[color]=red&metadata[nested][a]=1").unwrap();
        let encoded =
            parse_form(b"message=hi%20there&metadata%5Bcolor%5D=red&metadata%5Bnested%5D%5Ba%5D=1")
                .unwrap();
        let expected =
            json!({"message": "hi there", "metadata": {"color": "red", "nested": {"a": "1"}}});
        assert_eq!(Value::Object(raw), expected);
        assert_eq!(Value::Object(encoded), expected);
    }

    #[test]
    fn pairs_without_a_name_are_ignored() {
        assert_eq!(
            Value::Object(parse_form(b"=x&message=hi&&").unwrap()),
            json!({"message": "hi"})
        );
    }

    #[test]
    fn empty_brackets_make_arrays() {
        assert_eq!(
            Value::Object(parse_form(b"l[]=1&l[]=2").unwrap()),
            json!({"l": ["1", "2"]})
        );
    }

    fn params(v: Value) -> Result<ListParams, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn list_parameters_have_defaults_and_null_means_default() {
        let now = Utc::now();
        let q = params(json!({"limit": null, "order": null}))
            .unwrap()
            .query(now)
            .unwrap();
        assert_eq!(q, ListQuery::first_page(now));
    }

    #[test]
    fn list_parameters_accept_numbers_as_strings() {
        let q = params(json!({"limit": "100", "offset": 5, "order": "reverse_chronological"}))
            .unwrap()
            .query(Utc::now())
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
            let refused = params(bad.clone()).map_or(true, |p| p.query(now).is_err());
            assert!(refused, "{bad}");
        }
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
