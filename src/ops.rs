//! The operator side: what the platform and the card issuer do, not the merchant. Creating
//! accounts and keys, opening disputes, and the bank's decisions. Reached through the CLI and,
//! when `OPS_TOKEN` is set, through `/ops/` with that token as a bearer token.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::dispute::NewDispute;
use crate::domain::{Action, Dispute, Id, IdKind, Mode, SecretKey};
use crate::omise::params::Params;
use crate::omise::render::{DisputeJson, json};
use crate::omise::version::ApiVersion;
use crate::omise::{ApiError, ApiResult, PathParams};
use crate::openapi::Error;
use crate::store::{Change, NewKey, Refusal, StoreError};

/// Creates an account; returns its id.
pub async fn create_account(state: &AppState, name: &str, default_version: &str) -> ApiResult<Id> {
    ApiVersion::parse(default_version)?;
    let now = state.clock.now();
    let id = Id::generate(IdKind::Account, Mode::Test, now.timestamp());
    state
        .store
        .create_account(&id, name, default_version, now)
        .await?;
    Ok(id)
}

/// Issues a key; the secret is returned once and stored only as a hash.
pub async fn issue_key(state: &AppState, account: &Id, mode: Mode) -> ApiResult<(Id, SecretKey)> {
    let now = state.clock.now();
    let secret = SecretKey::generate(mode);
    let key = NewKey {
        id: Id::generate(IdKind::Key, mode, now.timestamp()),
        account: account.clone(),
        mode,
        secret_hash: secret.hash(),
        hint: secret.hint(),
        created_at: now,
    };
    state.store.insert_key(&key).await.map_err(|e| match e {
        StoreError::MissingReference(_) => {
            ApiError::NotFound(format!("account {account} was not found"))
        }
        other => other.into(),
    })?;
    Ok((key.id, secret))
}

pub async fn revoke_key(state: &AppState, key: &Id) -> ApiResult<()> {
    if !state.store.revoke_key(key, state.clock.now()).await? {
        return Err(ApiError::NotFound(format!("key {key} was not found")));
    }
    state.keys.forget(key);
    Ok(())
}

pub async fn open_dispute(state: &AppState, new: &NewDispute) -> ApiResult<Dispute> {
    let dispute = crate::service::open_dispute(state, new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::bad_request(format!("charge {} is already disputed", new.charge))
            }
            StoreError::MissingReference(_) => {
                ApiError::NotFound(format!("account {} was not found", new.account))
            }
            other => other.into(),
        })?;
    dispute.ok_or_else(|| ApiError::bad_request("that dispute id exists already"))
}

/// Applies an operator's (or, in seeding, anyone's) action to a dispute, filling in what the
/// action implies: the closing time, and the credit of a won dispute.
pub async fn decide(
    state: &AppState,
    id: &Id,
    action: Action,
    mut change: Change,
) -> ApiResult<Dispute> {
    let now = state.clock.now();
    let (_, to) = action.edge();
    if to.is_closed() {
        change.closed_at = Some(now);
    }
    if action == Action::Win {
        change.credit_transaction = Some(Id::generate(
            IdKind::Transaction,
            id.mode(),
            now.timestamp(),
        ));
    }
    state
        .store
        .transition(None, id, action, &change, now)
        .await
        .map_err(|r: Refusal| ApiError::from_refusal(r, id.as_str(), None))
}

/// `/ops/…`; `app` puts them behind the bearer token.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http_create_account))
        .routes(routes!(http_issue_key))
        .routes(routes!(http_revoke_key))
        .routes(routes!(http_open_dispute))
        .routes(routes!(http_resolve))
        .routes(routes!(http_reopen))
}

/// Lets a request through only with `Authorization: Bearer $OPS_TOKEN`.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let expected = state
        .settings
        .ops_token
        .as_ref()
        .map(|t| t.expose().as_bytes());
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::as_bytes);
    match (expected, given) {
        (Some(expected), Some(given)) if bool::from(expected.ct_eq(given)) => {
            Ok(next.run(request).await)
        }
        _ => {
            let mut refused =
                ApiError::Authentication("a valid operator token is required").into_response();
            refused.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"dispute-docs-ops\""),
            );
            Ok(refused)
        }
    }
}

#[utoipa::path(post, operation_id = "createAccount", path = "/ops/accounts", tag = "ops", security(("ops_token" = [])),
    request_body(content = NewAccount, content_type = "application/json"),
    responses((status = 200, description = "The account", body = AccountJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error)))]
async fn http_create_account(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let name = params
        .str("name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    let version = params
        .str("default_version")?
        .unwrap_or(ApiVersion::DEFAULT.as_str());
    let id = create_account(&state, name, version).await?;
    Ok(json(
        &json!({"object": "account", "id": id.as_str(), "name": name, "default_version": version}),
    ))
}

fn parse_id(kind: IdKind, raw: &str) -> ApiResult<Id> {
    Id::parse(kind, raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn parse_mode(params: &Params) -> ApiResult<Mode> {
    match params.str("mode")?.unwrap_or("test") {
        "test" => Ok(Mode::Test),
        "live" => Ok(Mode::Live),
        _ => Err(ApiError::bad_request("mode must be test or live")),
    }
}

#[utoipa::path(post, operation_id = "issueKey", path = "/ops/accounts/{id}/keys", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "An account id")),
    request_body(content = NewKeyRequest, content_type = "application/json"),
    responses((status = 200, description = "The key, with its secret shown this once", body = KeyJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such account", body = Error)))]
async fn http_issue_key(
    State(state): State<AppState>,
    PathParams(account): PathParams<String>,
    params: Params,
) -> ApiResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let mode = parse_mode(&params)?;
    let (id, secret) = issue_key(&state, &account, mode).await?;
    Ok(json(&json!({
        "object": "key", "id": id.as_str(), "account": account.as_str(),
        "livemode": mode.is_live(), "secret": secret.expose(),
    })))
}

#[utoipa::path(delete, operation_id = "revokeKey", path = "/ops/keys/{id}", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A key id")),
    responses((status = 200, description = "Revoked", body = RevokedKeyJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such key", body = Error)))]
async fn http_revoke_key(
    State(state): State<AppState>,
    PathParams(key): PathParams<String>,
) -> ApiResult<Response> {
    let key = parse_id(IdKind::Key, &key)?;
    revoke_key(&state, &key).await?;
    Ok(json(
        &json!({"object": "key", "id": key.as_str(), "revoked": true}),
    ))
}

async fn render(state: &AppState, id: &Id) -> ApiResult<Response> {
    let view = state
        .store
        .dispute(None, id)
        .await?
        .ok_or_else(|| ApiError::dispute_not_found(id.as_str()))?;
    Ok(json(&state.renderer(ApiVersion::DEFAULT).dispute(&view)))
}

#[utoipa::path(post, operation_id = "openDispute", path = "/ops/disputes", tag = "ops", security(("ops_token" = [])),
    request_body(content = OpsOpenDispute, content_type = "application/json"),
    responses((status = 200, description = "The new open dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such account", body = Error)))]
async fn http_open_dispute(State(state): State<AppState>, params: Params) -> ApiResult<Response> {
    let account = parse_id(IdKind::Account, params.str("account")?.unwrap_or_default())?;
    let mode = parse_mode(&params)?;
    let charge = parse_id(IdKind::Charge, params.str("charge")?.unwrap_or_default())?;
    if charge.mode() != mode {
        return Err(ApiError::bad_request(
            "the charge id's mode and mode differ",
        ));
    }
    let new = crate::omise::disputes::new_dispute(&params, account, mode, charge)?;
    let dispute = open_dispute(&state, &new).await?;
    render(&state, &dispute.id).await
}

#[utoipa::path(post, operation_id = "resolveDispute", path = "/ops/disputes/{id}/resolve", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses((status = 200, description = "The decided dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
async fn http_resolve(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult<Response> {
    let action = match params.str("outcome")? {
        Some("won") => Action::Win,
        Some("lost") => Action::Lose,
        _ => return Err(ApiError::bad_request("outcome must be won or lost")),
    };
    decide_over_http(&state, &id, action, &params).await
}

/// An operator decision with its optional `admin_message`, answered with the dispute.
async fn decide_over_http(
    state: &AppState,
    id: &str,
    action: Action,
    params: &Params,
) -> ApiResult<Response> {
    let id = parse_id(IdKind::Dispute, id)?;
    let change = Change {
        admin_message: params.str("admin_message")?.map(str::to_owned),
        ..Change::default()
    };
    decide(state, &id, action, change).await?;
    render(state, &id).await
}

#[utoipa::path(post, operation_id = "reopenDispute", path = "/ops/disputes/{id}/reopen", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = AdminNote, content_type = "application/json"),
    responses((status = 200, description = "The dispute, open again", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
async fn http_reopen(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> ApiResult<Response> {
    decide_over_http(&state, &id, Action::Reopen, &params).await
}

// Request and response shapes of the operator API, for the OpenAPI document.

#[derive(ToSchema)]
#[allow(dead_code)]
struct NewAccount {
    #[schema(min_length = 1, pattern = "\\S")]
    name: String,
    #[schema(schema_with = crate::openapi::version_schema)]
    default_version: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct AccountJson {
    object: String,
    id: String,
    name: String,
    default_version: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct NewKeyRequest {
    #[schema(schema_with = crate::openapi::mode_schema)]
    mode: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct KeyJson {
    object: String,
    id: String,
    account: String,
    livemode: bool,
    /// Shown only in this response; only its hash is stored.
    secret: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct RevokedKeyJson {
    object: String,
    id: String,
    revoked: bool,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct OpsOpenDispute {
    account: String,
    /// test (default) or live; the charge id's mode must match.
    #[schema(schema_with = crate::openapi::mode_schema)]
    mode: Option<String>,
    charge: String,
    #[schema(minimum = 1)]
    amount: Option<i64>,
    #[schema(pattern = "^[A-Za-z]{3}$")]
    currency: Option<String>,
    #[schema(schema_with = crate::openapi::nullable_reason_schema)]
    reason_code: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Resolution {
    #[schema(schema_with = crate::openapi::outcome_schema)]
    outcome: String,
    admin_message: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct AdminNote {
    admin_message: Option<String>,
}
