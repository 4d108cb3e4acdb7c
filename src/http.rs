//! What every edge shares and none owns: JSON responses, the lenient reading of parameter
//! values that official clients send in many forms, and the request time limit. No dialect's
//! words live here; each edge decides how its own errors look.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON response, `application/json; charset=utf-8`. Serializing our own types cannot fail;
/// if it ever did, the client gets a bare 500.
pub fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a response did not serialize");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A file's bytes, streamed: its type and length, never sniffed by browsers, never cached by
/// proxies.
pub fn file_response<S>(stream: S, content_type: &str, size: i64) -> Response
where
    S: futures::Stream<Item = object_store::Result<bytes::Bytes>> + Send + 'static,
{
    let mut response = Response::new(axum::body::Body::from_stream(stream));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    headers.insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "cache-control",
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// Whether a JSON value holds a NUL character anywhere (Postgres cannot store one in text, and
/// no client means to send it).
pub fn has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// The time limit of an edge's quick routes, and the answer it gives past it.
#[derive(Clone, Copy)]
pub struct TimeLimit {
    pub limit: Duration,
    pub expired: fn(Duration) -> Response,
}

/// Answers `expired` when a request takes longer than the limit; the work in flight is
/// dropped, and a transaction with it rolls back. A zero limit has passed before any work
/// starts, so nothing runs (tokio's `timeout` would still poll once, and a request that finished
/// on that poll would get through, which made the limit depend on scheduling).
pub async fn time_limit(State(limit): State<TimeLimit>, request: Request, next: Next) -> Response {
    if limit.limit.is_zero() {
        return (limit.expired)(limit.limit);
    }
    match tokio::time::timeout(limit.limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (limit.expired)(limit.limit),
    }
}

/// Lenient readers for parameter values, for `#[serde(deserialize_with = …)]`. Clients send
/// numbers as JSON numbers, as strings (forms and query strings) and as whole floats (`20.0`);
/// `null` and the empty string (`limit=`, as some clients send a null) mean "not given".
pub mod lenient {
    use serde::Deserialize;
    use serde::de::{Deserializer, Error};
    use serde_json::{Map, Value};

    fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        let value = Option::<Value>::deserialize(d)?;
        Ok(value.filter(|v| !v.is_null() && v.as_str() != Some("")))
    }

    /// An optional integer.
    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let invalid = || D::Error::custom("must be an integer");
        match given(d)? {
            None => Ok(None),
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

    /// An optional string.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match given(d)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(D::Error::custom("must be a string")),
        }
    }

    /// A string that may be absent (then empty: the caller says it is required).
    pub fn required_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        text(d).map(Option::unwrap_or_default)
    }

    /// An optional boolean: `true`/`false`, or as a form sends it, `"true"`/`"false"`.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match given(d)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(D::Error::custom("must be true or false")),
        }
    }

    /// An optional JSON object.
    pub fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
        match given(d)? {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(D::Error::custom("must be an object")),
        }
    }

    #[cfg(test)]
    mod tests {
        use serde::Deserialize;
        use serde_json::json;

        #[derive(Deserialize, Debug, PartialEq)]
        struct Shape {
            #[serde(default, deserialize_with = "super::int")]
            n: Option<i64>,
            #[serde(default, deserialize_with = "super::text")]
            s: Option<String>,
        }

        fn read(v: serde_json::Value) -> Result<Shape, serde_json::Error> {
            serde_json::from_value(v)
        }

        #[test]
        fn numbers_come_as_numbers_strings_and_whole_floats() {
            for v in [
                json!({"n": 20}),
                json!({"n": "20"}),
                json!({"n": 20.0}),
                json!({"n": " 20 "}),
            ] {
                assert_eq!(read(v).unwrap().n, Some(20));
            }
            for bad in [
                json!({"n": 1.5}),
                json!({"n": "x"}),
                json!({"n": [1]}),
                json!({"n": true}),
            ] {
                assert!(read(bad).is_err());
            }
        }

        #[test]
        fn null_and_empty_mean_not_given() {
            let empty = Shape { n: None, s: None };
            for v in [
                json!({}),
                json!({"n": null, "s": null}),
                json!({"n": "", "s": ""}),
            ] {
                assert_eq!(read(v).unwrap(), empty);
            }
            assert!(read(json!({"s": 3})).is_err());
        }
    }
}
