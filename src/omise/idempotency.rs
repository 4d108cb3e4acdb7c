//! `Idempotency-Key` on POST, PATCH and DELETE (beyond Omise, as Stripe has it), uploads
//! included. The first request with a key runs, and its answer (status and body) is kept for 24
//! hours in the database, so every server process honours it. A retry with the same key and the
//! same request gets that answer again, with `Idempotent-Replayed: true`; the same key with
//! another request is a 422 (`idempotency_key_reused`); a retry while the first is still running
//! is a 409 (`idempotency_key_in_use`). A server error (5xx), or a request whose body did not
//! arrive whole, is not kept: the key is free again. The request runs to its end even when the
//! client hangs up; a claim left unanswered by a process that died is taken over after an hour
//! (`core::idempotency::IN_FLIGHT`).
//!
//! "The same request" is a SHA-256 over the method, the path and query, the media type and the
//! body, read as it streams (a multipart body with its boundary left out, since a client makes a
//! new one for every attempt).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header::CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::auth::Caller;
use super::{ApiError, OmiseState};
use crate::domain::Scope;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key.
const MAX_KEY: usize = 255;
/// How much of a body is read to fingerprint it beyond what its handler read (a refused upload).
const MAX_DRAINED: usize = 16 * 1024 * 1024;
/// The largest answer kept (the dialect's answers are a few kilobytes of JSON).
const MAX_KEPT: usize = 1024 * 1024;

pub async fn idempotency(
    State(state): State<OmiseState>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(
        *request.method(),
        Method::POST | Method::PATCH | Method::DELETE
    ) {
        return next.run(request).await;
    }
    let Some(raw) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let key = match raw.to_str() {
        Ok(key) if valid(key) => key.to_owned(),
        _ => {
            return ApiError::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters"
            ))
            .into_response();
        }
    };
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let (scope, key) = (caller.scope, format!("omise:{key}"));
    let fingerprint = Fingerprint::of(&parts);
    let first = match state.core.claim_idempotency(&scope, &key).await {
        Ok(first) => first,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(first) = first {
        let Some(seen) = fingerprint.read(body).await else {
            return ApiError::bad_request("the request body did not arrive whole").into_response();
        };
        return match first.status {
            None => ApiError::IdempotencyKeyInUse.into_response(),
            Some(_) if first.fingerprint.as_deref() != Some(seen.as_str()) => {
                ApiError::IdempotencyKeyReused.into_response()
            }
            Some(status) => replay(status, first.content_type.as_deref(), first.body),
        };
    }
    // The request runs, and its answer is kept, in a task of its own: a client that hangs up
    // (as one about to retry does) does not cut a change off from its record.
    let (body, seen) = fingerprint.tap(body);
    let request = Request::from_parts(parts, body);
    let run = tokio::spawn(async move {
        let response = next.run(request).await;
        keep(&state, &scope, &key, response, seen).await
    });
    match run.await {
        Ok(response) => response,
        Err(e) => {
            ApiError::Internal(anyhow::anyhow!("an idempotent request failed: {e}")).into_response()
        }
    }
}

/// Keeps the answer to a claimed key, or frees the key when the answer is not worth keeping.
async fn keep(
    state: &OmiseState,
    scope: &Scope,
    key: &str,
    response: Response,
    seen: oneshot::Receiver<Option<String>>,
) -> Response {
    let seen = seen.await.ok().flatten();
    let release = || async {
        if let Err(e) = state.core.release_idempotency(scope, key).await {
            tracing::warn!(error = %e, "an idempotency key could not be freed");
        }
    };
    let Some(seen) = seen.filter(|_| !response.status().is_server_error()) else {
        release().await;
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_KEPT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release().await;
            return ApiError::Internal(anyhow::anyhow!("an answer too large to keep: {e}"))
                .into_response();
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = state
        .core
        .finish_idempotency(
            scope,
            key,
            parts.status.as_u16(),
            content_type,
            &bytes,
            Some(&seen),
        )
        .await
    {
        tracing::warn!(error = %e, "an idempotent answer could not be kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn valid(key: &str) -> bool {
    (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The first answer again.
fn replay(status: u16, content_type: Option<&str>, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Some(value) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// A SHA-256 over a request, fed as its body streams.
struct Fingerprint {
    hasher: Sha256,
    /// A multipart body's boundary, left out of the hash.
    boundary: Option<Vec<u8>>,
    /// The tail of what was read that may be the start of a boundary.
    carry: Vec<u8>,
}

impl Fingerprint {
    fn of(parts: &Parts) -> Fingerprint {
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        let mut hasher = Sha256::new();
        for field in [
            parts.method.as_str(),
            parts.uri.path_and_query().map_or("", |p| p.as_str()),
            &media_type.to_ascii_lowercase(),
        ] {
            hasher.update(field.as_bytes());
            hasher.update([0]);
        }
        let boundary = multer::parse_boundary(content_type)
            .ok()
            .map(|b| format!("--{b}").into_bytes());
        Fingerprint {
            hasher,
            boundary,
            carry: Vec::new(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        let Some(boundary) = &self.boundary else {
            self.hasher.update(chunk);
            return;
        };
        self.carry.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(at) = memchr::memmem::find(&self.carry[start..], boundary) {
            self.hasher.update(&self.carry[start..start + at]);
            start += at + boundary.len();
        }
        // What could still begin a boundary waits for the next chunk.
        let keep_from = start.max(self.carry.len().saturating_sub(boundary.len() - 1));
        self.hasher.update(&self.carry[start..keep_from]);
        self.carry.drain(..keep_from);
    }

    fn finish(mut self) -> String {
        let carry = std::mem::take(&mut self.carry);
        self.hasher.update(&carry);
        hex::encode(self.hasher.finalize())
    }

    /// The fingerprint of a request whose body is read only for it; `None` when the body did
    /// not arrive whole.
    async fn read(mut self, body: Body) -> Option<String> {
        let mut stream = body.into_data_stream();
        let mut read = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.ok()?;
            read += chunk.len();
            if read > MAX_DRAINED {
                break;
            }
            self.feed(&chunk);
        }
        Some(self.finish())
    }

    /// The body, passed on to the handler through the fingerprint, and the fingerprint once the
    /// body has been read to its end (by the handler, or after it, up to `MAX_DRAINED`); `None`
    /// when it did not arrive whole.
    fn tap(mut self, body: Body) -> (Body, oneshot::Receiver<Option<String>>) {
        let (to_handler, from_tap) = mpsc::channel::<Result<Bytes, axum::Error>>(2);
        let (done, seen) = oneshot::channel();
        tokio::spawn(async move {
            let mut stream = body.into_data_stream();
            let (mut read, mut whole) = (0, true);
            let mut handler_reads = true;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => {
                        read += bytes.len();
                        self.feed(&bytes);
                        if handler_reads && to_handler.send(Ok(bytes)).await.is_err() {
                            handler_reads = false;
                        }
                        if !handler_reads && read > MAX_DRAINED {
                            break;
                        }
                    }
                    Err(e) => {
                        whole = false;
                        if handler_reads {
                            let _ = to_handler.send(Err(e)).await;
                        }
                        break;
                    }
                }
            }
            drop(to_handler);
            let _ = done.send(whole.then(|| self.finish()));
        });
        let stream = futures::stream::unfold(from_tap, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        (Body::from_stream(stream), seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multipart(boundary: &str) -> Fingerprint {
        let parts = Request::post("/disputes/d/documents")
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(())
            .unwrap()
            .into_parts()
            .0;
        Fingerprint::of(&parts)
    }

    fn body(boundary: &str, file: &str) -> String {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n{file}\r\n--{boundary}--\r\n"
        )
    }

    fn fed_in(mut f: Fingerprint, body: &str, chunk: usize) -> String {
        for piece in body.as_bytes().chunks(chunk) {
            f.feed(piece);
        }
        f.finish()
    }

    #[test]
    fn a_multipart_body_is_the_same_request_whatever_its_boundary_and_chunks() {
        let a = fed_in(multipart("aaaa1111"), &body("aaaa1111", "%PDF-1.4 x"), 3);
        let b = fed_in(
            multipart("bbbbbbbb2222"),
            &body("bbbbbbbb2222", "%PDF-1.4 x"),
            1000,
        );
        let c = fed_in(multipart("cc"), &body("cc", "%PDF-1.4 y"), 5);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(valid("order-1042/retry"));
        assert!(!valid(""));
        assert!(!valid("with space"));
        assert!(!valid(&"k".repeat(256)));
    }
}
