//! What every edge shares and none owns: JSON responses, file downloads (with byte ranges), the
//! lenient reading of parameter values that official clients send in many forms, and the
//! request time limit. No dialect's
//! words live here; each edge decides how its own errors look.

use std::ops::Range;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_RANGE, RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};

use crate::blobs::Blobs;
use crate::domain::Page;

/// A multipart file field's filename as the client meant it: RFC 5987's `filename*=UTF-8''…`
/// when given (RFC 7578 lets clients send it, and it wins over `filename`), else `filename`
/// with the three escapes browsers and Python's urllib3 2 apply to it (WHATWG: `"` as `%22`,
/// CR as `%0D`, LF as `%0A`) undone.
pub fn multipart_filename(field: &multer::Field<'_>) -> Option<String> {
    let extended = field
        .headers()
        .get(CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(extended_filename);
    extended.or_else(|| field.file_name().map(unescape_filename))
}

/// `filename*=UTF-8''…` (or `utf-8'lang'…`) of a Content-Disposition value, decoded.
fn extended_filename(disposition: &str) -> Option<String> {
    disposition.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("filename*") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        let (charset, rest) = value.split_once('\'')?;
        let (_language, encoded) = rest.split_once('\'')?;
        if !charset.eq_ignore_ascii_case("utf-8") {
            return None;
        }
        let decoded = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .ok()?;
        Some(decoded.into_owned()).filter(|name| !name.is_empty())
    })
}

/// Undoes the WHATWG multipart filename escapes (`%22`, `%0D`, `%0A`) and nothing else.
fn unescape_filename(name: &str) -> String {
    if !name.contains('%') {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or_default();
        let decoded = match escape.to_ascii_uppercase().as_str() {
            "%22" => Some('"'),
            "%0D" => Some('\r'),
            "%0A" => Some('\n'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The token of `Authorization: Bearer <token>`, if the request has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

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

/// A stored page's bytes as a download: all of them (200), or the one byte range a `Range`
/// header asks for (206 with `Content-Range`, read from the blob store as that range only), or
/// 416 with `Content-Range: bytes */size` for a range outside the file. `ETag` is the bytes'
/// SHA-256 and `Accept-Ranges: bytes` comes with every answer, so that an interrupted download
/// resumes with `Range` and `If-Range` (an `If-Range` that is not the current ETag gets the whole
/// file). Its type and length always, never sniffed by browsers, never cached by proxies.
/// `None` when the blob is gone, or the page is quarantined (a rescan found malware in it).
pub async fn file_download(
    blobs: &Blobs,
    page: &Page,
    request: &HeaderMap,
) -> object_store::Result<Option<Response>> {
    if page.quarantine.is_some() {
        return Ok(None);
    }
    let size = u64::try_from(page.size).unwrap_or_default();
    let etag = format!("\"{}\"", page.sha256);
    let range = match requested_range(request, &etag, size) {
        Requested::Whole => None,
        Requested::Part(range) => Some(range),
        Requested::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let headers = response.headers_mut();
            insert(headers, CONTENT_RANGE, &format!("bytes */{size}"));
            insert(headers, ACCEPT_RANGES, "bytes");
            insert(headers, ETAG, &etag);
            return Ok(Some(response));
        }
    };
    let stream = match blobs.get_range(&page.blob_key, range.clone()).await {
        Ok(stream) => stream,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut response = Response::new(axum::body::Body::from_stream(stream));
    let headers = response.headers_mut();
    insert(headers, CONTENT_TYPE, &page.content_type);
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            let last = range.end - 1;
            insert(
                headers,
                CONTENT_RANGE,
                &format!("bytes {}-{last}/{size}", range.start),
            );
            headers.insert(CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
        }
        None => {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    let headers = response.headers_mut();
    insert(headers, ACCEPT_RANGES, "bytes");
    insert(headers, ETAG, &etag);
    insert(headers, "x-content-type-options", "nosniff");
    insert(headers, "cache-control", "private, no-store");
    Ok(Some(response))
}

/// A preview (a PNG made from a stored file, which never changes for its URL): `ETag` and
/// `Cache-Control` so that a browser asks once, and 304 to an `If-None-Match` that names it.
pub fn png_preview(png: bytes::Bytes, etag: &str, request: &HeaderMap) -> Response {
    let fresh = names_etag(request, etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let length = png.len();
        let mut response = Response::new(axum::body::Body::from(png));
        let headers = response.headers_mut();
        insert(headers, CONTENT_TYPE, "image/png");
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        response
    };
    let headers = response.headers_mut();
    insert(headers, ETAG, etag);
    insert(headers, "cache-control", "private, max-age=3600");
    insert(headers, "x-content-type-options", "nosniff");
    response
}

/// gzip when the client asks, for everything but what describes its own bytes: a response with
/// `Repr-Digest` (a download, a packet) keeps its `Content-Length` and digest of what is sent
/// (RFC 9530); images and small bodies stay as they are too (tower-http's default predicate).
pub fn compression() -> tower_http::compression::CompressionLayer<impl Predicate> {
    let undigested = |_: StatusCode, _: axum::http::Version, headers: &HeaderMap, _: &_| {
        !headers.contains_key("repr-digest")
    };
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(DefaultPredicate::new().and(undigested))
}

/// A built document (the evidence packet) as an attachment: its SHA-256 as the ETag and in
/// `Repr-Digest`, 304 to an `If-None-Match` that names it. `filename` is plain ASCII.
pub fn pdf_attachment(
    pdf: bytes::Bytes,
    sha256_hex: &str,
    filename: &str,
    request: &HeaderMap,
) -> Response {
    use base64::Engine;
    let etag = format!("\"{sha256_hex}\"");
    let fresh = names_etag(request, &etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let length = pdf.len();
        let mut response = Response::new(axum::body::Body::from(pdf));
        let headers = response.headers_mut();
        insert(headers, CONTENT_TYPE, "application/pdf");
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        let attachment = format!("attachment; filename=\"{filename}\"");
        insert(headers, CONTENT_DISPOSITION, &attachment);
        response
    };
    let headers = response.headers_mut();
    if let Ok(digest) = hex::decode(sha256_hex) {
        let digest = base64::engine::general_purpose::STANDARD.encode(digest);
        insert(headers, "repr-digest", &format!("sha-256=:{digest}:"));
    }
    insert(headers, ETAG, &etag);
    insert(headers, "cache-control", "private, no-cache");
    insert(headers, "x-content-type-options", "nosniff");
    response
}

/// Whether the request's `If-None-Match` names `etag` (or `*`): the client has these bytes.
fn names_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn insert(headers: &mut HeaderMap, name: impl axum::http::header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// What a download request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    Whole,
    /// One byte range, end exclusive, inside the file.
    Part(Range<u64>),
    Unsatisfiable,
}

/// RFC 9110 §14: a `Range` in another unit than bytes, several ranges (no multipart answers
/// here), or an `If-Range` other than the current (strong) ETag asks for the whole file; a
/// malformed or unsatisfiable byte range for a 416.
fn requested_range(request: &HeaderMap, etag: &str, size: u64) -> Requested {
    let Some(range) = request.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Requested::Whole;
    };
    if !range.starts_with("bytes=") {
        return Requested::Whole;
    }
    if let Some(if_range) = request.get(IF_RANGE) {
        if if_range.as_bytes() != etag.as_bytes() {
            return Requested::Whole;
        }
    }
    let Ok(ranges) = http_range_header::parse_range_header(range).and_then(|r| r.validate(size))
    else {
        return Requested::Unsatisfiable;
    };
    match ranges.as_slice() {
        [one] => Requested::Part(*one.start()..*one.end() + 1),
        _ => Requested::Whole,
    }
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
            // A whole float read from text exactly (serde_json's float_roundtrip: without it
            // this one came out half a unit off, found by the fuzz run).
            let text = r#"{"n": 3924322306046934.0}"#;
            let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(read(parsed).unwrap().n, Some(3_924_322_306_046_934));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_come_back_as_the_client_meant_them() {
        assert_eq!(
            unescape_filename("receipt %22final%22.pdf"),
            "receipt \"final\".pdf"
        );
        assert_eq!(unescape_filename("a%0D%0Ab%0d.pdf"), "a\r\nb\r.pdf");
        assert_eq!(
            unescape_filename("100%25 sure %2.pdf"),
            "100%25 sure %2.pdf"
        );
        assert_eq!(unescape_filename("plain.pdf"), "plain.pdf");
        assert_eq!(
            extended_filename(
                "form-data; name=\"file\"; filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2.pdf"
            )
            .as_deref(),
            Some("ราย.pdf")
        );
        assert_eq!(
            extended_filename("form-data; filename=\"x.pdf\"; filename*=utf-8'th'slip%20one.pdf")
                .as_deref(),
            Some("slip one.pdf")
        );
        assert_eq!(extended_filename("form-data; filename=\"x.pdf\""), None);
        assert_eq!(
            extended_filename("form-data; filename*=ISO-8859-1''x.pdf"),
            None
        );
    }

    fn ask(range: &str, if_range: Option<&str>) -> Requested {
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_str(range).unwrap());
        if let Some(v) = if_range {
            headers.insert(IF_RANGE, HeaderValue::from_str(v).unwrap());
        }
        requested_range(&headers, "\"abc\"", 1000)
    }

    #[test]
    fn one_byte_range_is_served_several_or_another_unit_get_the_whole_file() {
        assert_eq!(
            requested_range(&HeaderMap::new(), "\"abc\"", 1000),
            Requested::Whole
        );
        assert_eq!(ask("bytes=0-99", None), Requested::Part(0..100));
        assert_eq!(ask("bytes=900-", None), Requested::Part(900..1000));
        assert_eq!(ask("bytes=-10", None), Requested::Part(990..1000));
        assert_eq!(ask("bytes=500-5000", None), Requested::Part(500..1000));
        assert_eq!(ask("bytes=0-1,5-9", None), Requested::Whole);
        assert_eq!(ask("items=0-1", None), Requested::Whole);
    }

    #[test]
    fn ranges_outside_the_file_or_malformed_are_unsatisfiable() {
        for range in [
            "bytes=1000-",
            "bytes=2000-3000",
            "bytes=-0",
            "bytes=9-1",
            "bytes=x-",
        ] {
            assert_eq!(ask(range, None), Requested::Unsatisfiable, "{range}");
        }
    }

    #[test]
    fn if_range_must_be_the_current_etag() {
        assert_eq!(ask("bytes=0-9", Some("\"abc\"")), Requested::Part(0..10));
        for stale in ["\"old\"", "W/\"abc\"", "Mon, 30 Nov 2026 00:00:00 GMT"] {
            assert_eq!(ask("bytes=0-9", Some(stale)), Requested::Whole, "{stale}");
        }
    }
}
