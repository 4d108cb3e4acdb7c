//! The Mangopay dialect (MANGOPAY.md): OAuth2 client credentials, `/v2.01/{ClientId}/…`,
//! PascalCase JSON, `page`/`per_page` lists with paging headers, base64 pages, consult links,
//! idempotency keys, and Mangopay's error bodies, over the same core as the Omise dialect, so
//! that one dispute is the same object in both. Nested at `/v2.01`.

pub mod auth;
mod base64_text;
pub mod disputes;
pub mod documents;
pub mod error;
pub mod hooks;
pub mod lists;
pub mod openapi;
pub mod render;

pub use crate::wire::mangopay::vocab;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use serde_json::{Map, Value};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::core::Core;
use crate::http::{TimeLimit, has_nul, json, time_limit};
use auth::Client;
use error::{MpError, MpResult};

/// What the Mangopay handlers need.
#[derive(Clone)]
pub struct MangopayState {
    pub core: Core,
    /// The server's public base URL, for `Link` headers and consult links.
    pub base_url: Arc<str>,
    /// How long a bearer token lives (`expires_in`).
    pub token_ttl: TimeDelta,
    /// Per-API-key request budgets, when `RATE_LIMIT` is set.
    pub limiter: Option<Arc<crate::rate_limit::RateLimiter>>,
}

/// A JSON object body, whatever its Content-Type; an empty body is an empty object.
pub struct Body(pub Map<String, Value>);

/// The most a JSON body other than a page may carry.
const MAX_BODY: usize = 256 * 1024;

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = MpError;

    async fn from_request(req: Request, _: &S) -> Result<Body, MpError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| MpError::param("body", "the body is too large or unreadable"))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) if map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)) => {
                Err(MpError::param("body", "NUL characters are not accepted"))
            }
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(Value::Null) => Ok(Body(Map::new())),
            Ok(_) => Err(MpError::param("body", "the body must be a JSON object")),
            Err(e) => Err(MpError::param("body", format!("Unexpected character: {e}"))),
        }
    }
}

/// Path parameters; a path that does not parse (a page position that is not a number, bytes
/// that are not UTF-8) names nothing: a JSON 404 like any unknown path.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(MpError))]
pub struct MpPath<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for MpError {
    fn from(_: axum::extract::rejection::PathRejection) -> MpError {
        MpError::no_route()
    }
}

/// Every annotated route, relative to `/v2.01`.
pub fn routes() -> OpenApiRouter<MangopayState> {
    quick_routes().merge(
        OpenApiRouter::new()
            .routes(routes!(documents::add_page))
            .routes(routes!(documents::page)),
    )
}

fn quick_routes() -> OpenApiRouter<MangopayState> {
    OpenApiRouter::new()
        .routes(routes!(auth::token))
        .routes(routes!(disputes::list_all))
        .routes(routes!(disputes::pending_settlement))
        .routes(routes!(disputes::of_payin))
        .routes(routes!(disputes::of_user))
        .routes(routes!(disputes::of_wallet))
        .routes(routes!(disputes::view, disputes::update))
        .routes(routes!(disputes::submit))
        .routes(routes!(disputes::close))
        .routes(routes!(disputes::transactions))
        .routes(routes!(documents::list_of_dispute, documents::create))
        .routes(routes!(documents::submit))
        .routes(routes!(documents::list_all))
        .routes(routes!(documents::view))
        .routes(routes!(documents::consult))
        .routes(routes!(hooks::list, hooks::create))
        .routes(routes!(hooks::view, hooks::update))
        .routes(routes!(hooks::events))
        .routes(routes!(idempotent_response))
}

/// The dialect's router, to nest at `/v2.01`. Pages (up to 11 MiB of base64) and their
/// downloads have no overall time limit; everything else has `REQUEST_TIMEOUT`.
pub fn router(state: MangopayState, request_timeout: Duration) -> Router {
    let limit = TimeLimit {
        limit: request_timeout,
        expired: |limit| {
            MpError::unavailable(anyhow::anyhow!("the request took longer than {limit:?}"))
                .into_response()
        },
    };
    let (quick, _) = quick_routes().split_for_parts();
    let quick = quick.layer(middleware::from_fn_with_state(limit, time_limit));
    let (files, _) = OpenApiRouter::new()
        .routes(routes!(documents::add_page))
        .routes(routes!(documents::page))
        .split_for_parts();
    Router::new()
        .merge(quick)
        .merge(files)
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotency))
        .route("/openapi.json", axum::routing::get(openapi_json))
        .fallback(|| async { MpError::no_route() })
        .method_not_allowed_fallback(|| async { MpError::method() })
        .layer(CatchPanicLayer::custom(|_| {
            MpError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

/// Paths as the SDKs send them, made routable: `//` collapsed (Python's idempotency lookup),
/// and Python's create-document path with no `/` after the ClientId
/// (`/v2.01/{ClientId}disputes/{id}/documents`, MANGOPAY.md §2.3) given its slash back.
pub fn rewrite_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v2.01/")?;
    let mut changed = path.contains("//");
    let mut segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let missing_slash = segments.len() == 3
        && segments[2] == "documents"
        && segments[0].len() > "disputes".len()
        && segments[0].ends_with("disputes");
    if missing_slash {
        let client = segments[0]
            .strip_suffix("disputes")
            .unwrap_or_default()
            .to_owned();
        segments[0] = "disputes".to_owned();
        segments.insert(0, client);
        changed = true;
    }
    changed.then(|| {
        let trailing = if path.ends_with('/') { "/" } else { "" };
        format!("/v2.01/{}{trailing}", segments.join("/"))
    })
}

/// `Idempotency-Key` on a POST (MANGOPAY.md §8): the first use of a key runs and its answer is
/// kept; a reuse within 24 hours, whatever the first outcome, is a 409.
async fn idempotency(State(state): State<MangopayState>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(key), true) = (key, request.method() == Method::POST) else {
        return next.run(request).await;
    };
    if !(16..=36).contains(&key.len())
        || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return MpError::param(
            "Idempotency-Key",
            "16 to 36 characters: letters, digits or -",
        )
        .into_response();
    }
    let (mut parts, body) = request.into_parts();
    let client = match Client::from_request_parts(&mut parts, &state).await {
        Ok(client) => client,
        Err(e) => return e.into_response(),
    };
    match state.core.claim_idempotency(&client.scope, &key).await {
        Ok(None) => {}
        Ok(Some(_)) => return MpError::idempotency_conflict().into_response(),
        Err(e) => return MpError::from(e).into_response(),
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(e) => return MpError::internal(anyhow::anyhow!("{e}")).into_response(),
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = state
        .core
        .finish_idempotency(
            &client.scope,
            &key,
            parts.status.as_u16(),
            content_type,
            &bytes,
            None,
        )
        .await
    {
        tracing::warn!(error = %e, "an idempotent answer could not be kept");
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// This dialect's OpenAPI document.
async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::LazyLock<bytes::Bytes> =
        std::sync::LazyLock::new(|| openapi::document_json().into());
    let mut response = DOCUMENT.clone().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[utoipa::path(get, operation_id = "idempotencyResponse", path = "/{ClientId}/responses/{IdempotencyKey}", tag = "idempotency",
    params(("ClientId" = String, Path), ("IdempotencyKey" = String, Path)),
    responses((status = 200, description = "The first answer given to the key", body = render::IdempotencyJson),
        (status = 404, description = "No such key in the last 24 hours", body = openapi::Error)))]
async fn idempotent_response(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, key)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let found = state
        .core
        .idempotent_response(&client.scope, &key)
        .await?
        .ok_or_else(|| MpError::not_found("IdempotencyResponse", &key))?;
    let resource = serde_json::from_slice(&found.body).unwrap_or(Value::Null);
    Ok(json(&render::IdempotencyJson {
        status_code: found.status.map_or_else(String::new, |s| s.to_string()),
        content_length: found.body.len().to_string(),
        content_type: found.content_type.unwrap_or_default(),
        date: found.created_at.timestamp(),
        resource,
    }))
}

#[cfg(test)]
mod tests {
    use super::rewrite_path;

    #[test]
    fn sdk_paths_are_made_routable() {
        assert_eq!(
            rewrite_path("/v2.01/acmedisputes/dspt_1/documents/").as_deref(),
            Some("/v2.01/acme/disputes/dspt_1/documents/")
        );
        assert_eq!(
            rewrite_path("/v2.01/acme/responses//key").as_deref(),
            Some("/v2.01/acme/responses/key")
        );
        assert_eq!(rewrite_path("/v2.01/acme/disputes/dspt_1/documents"), None);
        assert_eq!(rewrite_path("/disputes//x"), None);
        assert_eq!(rewrite_path("/v2.01/disputes/x/documents"), None);
        assert_eq!(
            rewrite_path("/v2.01/shop-disputesdisputes/d/documents").as_deref(),
            Some("/v2.01/shop-disputes/disputes/d/documents")
        );
    }
}
