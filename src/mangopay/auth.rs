//! OAuth2 client credentials (MANGOPAY.md §3): `POST /v2.01/oauth/token` with Basic
//! `ClientId:ApiKey` answers a bearer token; every other call carries it, on a path whose
//! ClientId must be the token's. Tokens are stored (hashed) by the core, so they live their whole
//! `expires_in` across restarts and servers, and a new one never revokes older ones.

use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::MangopayState;
use super::error::{MpError, MpResult};
use crate::core::accounts::secret_hash;
use crate::domain::{Actor, Scope};
use crate::store::KeyRecord;

pub use crate::wire::mangopay::keys::{SCHEME, generate_api_key};

/// An API call's caller: the scope of its token, and the ClientId of its path.
#[derive(Debug, Clone)]
pub struct Client {
    pub scope: Scope,
    pub actor: Actor,
    pub client_id: String,
}

fn scheme_value<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.trim().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// The ClientId a path names: its first segment below `/v2.01`.
pub fn path_client(path: &str) -> Option<&str> {
    let path = path.strip_prefix("/v2.01").unwrap_or(path);
    path.trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

impl FromRequestParts<MangopayState> for Client {
    type Rejection = MpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MangopayState,
    ) -> Result<Client, MpError> {
        let token = scheme_value(&parts.headers, "bearer").ok_or_else(MpError::credentials)?;
        let client_id = path_client(parts.uri.path()).ok_or_else(MpError::credentials)?;
        let key = state
            .core
            .token_key(token)
            .await?
            .ok_or_else(MpError::credentials)?;
        if key.scheme != SCHEME || key.handle.as_deref() != Some(client_id) {
            return Err(MpError::credentials());
        }
        Ok(Client {
            scope: Scope {
                account: key.account.clone(),
                mode: key.mode,
            },
            actor: Actor::Key(key.key_id.clone()),
            client_id: client_id.to_owned(),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenJson {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds the token stays valid (more than 60: the Node SDK refreshes 60 s early).
    expires_in: i64,
}

/// The key behind Basic `ClientId:ApiKey`, if both are right.
async fn client_key(state: &MangopayState, headers: &HeaderMap) -> MpResult<KeyRecord> {
    let encoded = scheme_value(headers, "basic").ok_or_else(MpError::credentials)?;
    let decoded = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
        .ok_or_else(MpError::credentials)?;
    let (client_id, api_key) = decoded.split_once(':').ok_or_else(MpError::credentials)?;
    let key = state
        .core
        .find_key(&secret_hash(api_key))
        .await?
        .ok_or_else(MpError::credentials)?;
    let valid = !key.revoked && key.scheme == SCHEME && key.handle.as_deref() == Some(client_id);
    valid.then_some(key).ok_or_else(MpError::credentials)
}

/// `grant_type`, from a form body or a JSON one (Python sends JSON under a form Content-Type);
/// none given means client credentials.
fn grant_type(body: &[u8]) -> Option<String> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        return map
            .get("grant_type")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
    }
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned())
}

#[utoipa::path(post, operation_id = "oauthToken", path = "/oauth/token", tag = "auth", security(("client_credentials" = [])),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "grant_type=client_credentials (or nothing)"),
    responses((status = 200, description = "A bearer token", body = TokenJson),
        (status = 400, description = "Another grant_type", body = super::openapi::Error),
        (status = 401, description = "Wrong ClientId or API key", body = super::openapi::Error)))]
pub async fn token(
    State(state): State<MangopayState>,
    headers: HeaderMap,
    body: Bytes,
) -> MpResult<Response> {
    if let Some(grant) = grant_type(&body).filter(|g| g != "client_credentials") {
        return Err(MpError::param(
            "grant_type",
            format!("{grant} is not supported: use client_credentials"),
        ));
    }
    let key = client_key(&state, &headers).await?;
    let (access_token, _) = state.core.issue_token(&key.key_id, state.token_ttl).await?;
    let mut response = crate::http::json(&TokenJson {
        access_token,
        token_type: "Bearer",
        expires_in: state.token_ttl.num_seconds(),
    })
    .into_response();
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    Ok(response)
}
