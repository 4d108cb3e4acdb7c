//! The operator side: what the platform and the card issuer do, not the merchant. Creating
//! accounts and keys, opening disputes, and the bank's decisions. Reached through the CLI (the
//! plain functions here) and, when `OPS_TOKEN` is set, over HTTP under `/ops/` with that token as
//! a bearer token. It issues the Omise dialect's keys and answers with its dispute objects, the
//! shapes operators already consume; its errors are its own.

pub mod error;
pub mod webhooks;

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Secret;
use crate::core::Core;
use crate::core::disputes::Fields;
use crate::domain::dispute::NewDispute;
use crate::domain::document::ReviewRefusal;
use crate::domain::list::DEFAULT_LIMIT;
use crate::domain::{Action, Actor, Dispute, Document, DocumentAction, Id, IdKind, Mode};
use crate::http::{TimeLimit, json, lenient, time_limit};
use crate::omise::auth::VERSION_PREFERENCE;
use crate::omise::disputes::OpenDispute;
use crate::omise::keys::SecretKey;
use crate::omise::openapi::Error;
use crate::omise::render::{DisputeJson, Renderer};
use crate::omise::version::ApiVersion;
pub use error::{OpsError, OpsResult};

/// What the operator's handlers need.
#[derive(Clone)]
pub struct OpsState {
    pub core: Core,
    pub token: Secret,
    /// The base of `download_uri` in the disputes it answers with.
    pub base_url: std::sync::Arc<str>,
}

/// Creates an account whose Omise responses default to `default_version`, with a Mangopay
/// ClientId when given; returns its id.
pub async fn create_account(
    core: &Core,
    name: &str,
    default_version: &str,
    client_id: Option<&str>,
) -> OpsResult<Id> {
    ApiVersion::parse(default_version).map_err(|e| OpsError::bad_request(e.to_string()))?;
    if let Some(client_id) = client_id {
        check_client_id(client_id)?;
    }
    let mut preferences = Map::new();
    preferences.insert(VERSION_PREFERENCE.into(), default_version.into());
    let (id, _) = core.create_account(None, name, &preferences).await?;
    if let Some(client_id) = client_id {
        set_client_id(core, &id, client_id).await?;
    }
    Ok(id)
}

/// Path segments under /v2.01 that are not ClientIds.
const RESERVED_CLIENT_IDS: [&str; 2] = ["oauth", "consult"];

/// A ClientId goes into paths: 1 to 128 of `[A-Za-z0-9_-]`, and not a word the dialect's own
/// paths use.
fn check_client_id(client_id: &str) -> OpsResult<()> {
    if RESERVED_CLIENT_IDS.contains(&client_id) {
        return Err(OpsError::bad_request(format!(
            "{client_id} is reserved and cannot be a client_id"
        )));
    }
    let ok = (1..=128).contains(&client_id.len())
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(OpsError::bad_request(
            "client_id must be 1 to 128 letters, digits, - or _",
        ))
    }
}

/// Gives an account its Mangopay ClientId.
pub async fn set_client_id(core: &Core, account: &Id, client_id: &str) -> OpsResult<()> {
    check_client_id(client_id)?;
    match core.set_handle(account, client_id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(OpsError::NotFound(format!(
            "account {account} was not found"
        ))),
        Err(crate::store::StoreError::Conflict(_)) => Err(OpsError::bad_request(format!(
            "client_id {client_id} belongs to another account"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Issues a Mangopay API key for an account that has a ClientId; returns its id, the key
/// (shown once) and the ClientId.
pub async fn issue_api_key(
    core: &Core,
    account: &Id,
    mode: Mode,
) -> OpsResult<(Id, String, String)> {
    let client_id = core
        .client_id(account)
        .await?
        .ok_or_else(|| OpsError::bad_request("the account has no client_id: set one first"))?;
    let secret = crate::mangopay::auth::generate_api_key();
    let id = core
        .store_key(None, account, mode, crate::mangopay::auth::SCHEME, &secret)
        .await?;
    Ok((id, secret, client_id))
}

/// Issues an Omise secret key; the secret is returned once and stored only as a hash.
pub async fn issue_key(core: &Core, account: &Id, mode: Mode) -> OpsResult<(Id, SecretKey)> {
    let secret = SecretKey::generate(mode);
    let id = core
        .store_key(None, account, mode, SecretKey::SCHEME, secret.expose())
        .await?;
    Ok((id, secret))
}

pub async fn revoke_key(core: &Core, key: &Id) -> OpsResult<()> {
    if !core.revoke_key(key).await? {
        return Err(OpsError::NotFound(format!("key {key} was not found")));
    }
    Ok(())
}

pub async fn open_dispute(core: &Core, new: &NewDispute) -> OpsResult<Dispute> {
    Ok(core.open_dispute(new, &Actor::Operator).await?)
}

/// The bank's decision (win, lose, reopen) on a pending dispute, with an optional note.
pub async fn decide(
    core: &Core,
    id: &Id,
    action: Action,
    admin_message: Option<String>,
) -> OpsResult<Dispute> {
    let fields = Fields {
        admin_message,
        ..Fields::default()
    };
    core.transition(None, id, action, fields, &Actor::Operator)
        .await
        .map_err(|r| OpsError::from_refusal(r, id.as_str()))
}

/// The routes, relative to `/ops`.
fn own_routes() -> OpenApiRouter<OpsState> {
    OpenApiRouter::new()
        .routes(routes!(http_create_account))
        .routes(routes!(http_update_account))
        .routes(routes!(http_issue_key))
        .routes(routes!(http_revoke_key))
        .routes(routes!(http_open_dispute))
        .routes(routes!(http_resolve))
        .routes(routes!(http_reopen))
        .routes(routes!(http_escalate))
        .routes(routes!(http_validate))
        .routes(routes!(http_refuse))
        .routes(routes!(webhooks::http_add, webhooks::http_list))
        .routes(routes!(webhooks::http_remove))
        .routes(routes!(webhooks::http_rotate))
        .routes(routes!(webhooks::http_deliveries))
        .routes(routes!(webhooks::http_redeliver))
}

/// `/ops/…`, for the OpenAPI document.
pub fn routes() -> OpenApiRouter<OpsState> {
    OpenApiRouter::new().nest("/ops", own_routes())
}

/// The operator's router, to nest at `/ops`: every route behind the bearer token, with this
/// surface's own fallback answers.
pub fn router(state: OpsState, request_timeout: std::time::Duration) -> Router {
    let limit = TimeLimit {
        limit: request_timeout,
        expired: |limit| {
            OpsError::Unavailable(anyhow::anyhow!("the request took longer than {limit:?}"))
                .into_response()
        },
    };
    let (routes, _) = own_routes().split_for_parts();
    routes
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .fallback(|| async { OpsError::NotFound("the requested resource was not found".into()) })
        .method_not_allowed_fallback(|| async { OpsError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(limit, time_limit))
        .layer(CompressionLayer::new().gzip(true))
        .layer(CatchPanicLayer::custom(|_| {
            OpsError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

/// Lets a request through only with `Authorization: Bearer $OPS_TOKEN`.
async fn require_token(State(state): State<OpsState>, request: Request, next: Next) -> Response {
    if crate::http::bearer(request.headers()).is_some_and(|given| state.token.matches(given)) {
        next.run(request).await
    } else {
        OpsError::Unauthorized.into_response()
    }
}

/// A JSON body read into `T`; an empty body is an empty object.
pub(crate) struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = OpsError;

    async fn from_request(req: Request, _: &S) -> Result<Body<T>, OpsError> {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| OpsError::bad_request("request body is too large or unreadable"))?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(Value::Null) => Value::Object(Map::new()),
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => return Err(OpsError::bad_request("the JSON body must be an object")),
                Err(e) => return Err(OpsError::bad_request(format!("malformed JSON body: {e}"))),
            }
        };
        if crate::http::has_nul(&value) {
            return Err(OpsError::bad_request(
                "parameters must not contain NUL (\\u0000) characters",
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|e| {
                let path = e.path().to_string();
                OpsError::bad_request(format!("{path} {}", e.into_inner()))
            })
    }
}

/// A path parameter, with extraction failures answered as operator errors.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(OpsError))]
pub(crate) struct PathParam<T>(T);

impl From<axum::extract::rejection::PathRejection> for OpsError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> OpsError {
        OpsError::bad_request(format!("malformed path: {}", rejection.body_text()))
    }
}

pub(crate) fn parse_id(kind: IdKind, raw: &str) -> OpsResult<Id> {
    Id::parse(kind, raw).map_err(|e| OpsError::bad_request(e.to_string()))
}

pub(crate) fn parse_mode(mode: Option<&str>) -> OpsResult<Mode> {
    match mode.unwrap_or("test") {
        "test" => Ok(Mode::Test),
        "live" => Ok(Mode::Live),
        _ => Err(OpsError::bad_request("mode must be test or live")),
    }
}

#[derive(Deserialize, ToSchema)]
struct NewAccount {
    #[schema(min_length = 1, pattern = "\\S", required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    name: String,
    #[schema(schema_with = crate::omise::openapi::version_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    default_version: Option<String>,
    /// The account's Mangopay ClientId (1 to 128 of A-Z a-z 0-9 - _).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    #[serde(default, deserialize_with = "lenient::text")]
    client_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct AccountJson {
    object: &'static str,
    id: String,
    name: String,
    default_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

#[utoipa::path(post, operation_id = "createAccount", path = "/accounts", tag = "ops", security(("ops_token" = [])),
    request_body(content = NewAccount, content_type = "application/json"),
    responses((status = 200, description = "The account", body = AccountJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error)))]
async fn http_create_account(
    State(state): State<OpsState>,
    Body(body): Body<NewAccount>,
) -> OpsResult<Response> {
    if body.name.trim().is_empty() {
        return Err(OpsError::bad_request("name is required"));
    }
    let version = body
        .default_version
        .unwrap_or_else(|| ApiVersion::DEFAULT.as_str().to_owned());
    let client_id = body.client_id;
    let id = create_account(&state.core, &body.name, &version, client_id.as_deref()).await?;
    Ok(json(&AccountJson {
        object: "account",
        id: id.into_string(),
        name: body.name,
        default_version: version,
        client_id,
    }))
}

/// Sets how many days an account's merchants have to answer a dispute opened without a deadline.
pub async fn set_evidence_days(core: &Core, account: &Id, days: u32) -> OpsResult<()> {
    if !(1..=3650).contains(&days) {
        return Err(OpsError::bad_request(
            "evidence_days must be between 1 and 3650",
        ));
    }
    match core.set_evidence_days(account, days).await? {
        true => Ok(()),
        false => Err(OpsError::NotFound(format!(
            "account {account} was not found"
        ))),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AccountUpdate {
    /// Days a merchant has to answer a dispute opened without a deadline (1 to 3650).
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "lenient::int")]
    evidence_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct AccountSettingsJson {
    object: &'static str,
    id: String,
    evidence_days: Option<u32>,
}

#[utoipa::path(patch, operation_id = "updateAccount", path = "/accounts/{account}", tag = "ops", security(("ops_token" = [])),
    params(("account" = String, Path, description = "The account's id")),
    request_body(content = AccountUpdate, content_type = "application/json"),
    responses((status = 200, description = "The account's settings", body = AccountSettingsJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such account", body = Error)))]
async fn http_update_account(
    State(state): State<OpsState>,
    PathParam(account): PathParam<String>,
    Body(body): Body<AccountUpdate>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    if let Some(days) = body.evidence_days {
        let days = u32::try_from(days)
            .map_err(|_| OpsError::bad_request("evidence_days must be between 1 and 3650"))?;
        set_evidence_days(&state.core, &account, days).await?;
    }
    let evidence_days = state
        .core
        .evidence_days(&account)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("account {account} was not found")))?;
    Ok(json(&AccountSettingsJson {
        object: "account",
        id: account.into_string(),
        evidence_days,
    }))
}

#[derive(Deserialize, ToSchema)]
struct NewKeyRequest {
    #[schema(schema_with = crate::omise::openapi::mode_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    mode: Option<String>,
    /// omise (default: a secret key skey_…) or mangopay (an API key for the account's ClientId).
    #[schema(schema_with = dialect_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    dialect: Option<String>,
}

fn dialect_schema() -> utoipa::openapi::schema::Object {
    crate::omise::openapi::nullable_enum(["omise", "mangopay"], "whose key (default omise)")
}

#[derive(Serialize, ToSchema)]
struct KeyJson {
    object: &'static str,
    id: String,
    account: String,
    livemode: bool,
    /// Shown only in this response; only its hash is stored.
    secret: String,
    /// The ClientId a Mangopay API key goes with.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

#[utoipa::path(post, operation_id = "issueKey", path = "/accounts/{id}/keys", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "An account id")),
    request_body(content = NewKeyRequest, content_type = "application/json"),
    responses((status = 200, description = "The key, with its secret shown this once", body = KeyJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such account", body = Error)))]
async fn http_issue_key(
    State(state): State<OpsState>,
    PathParam(account): PathParam<String>,
    Body(body): Body<NewKeyRequest>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let mode = parse_mode(body.mode.as_deref())?;
    let (id, secret, client_id) = match body.dialect.as_deref().unwrap_or("omise") {
        "omise" => {
            let (id, secret) = issue_key(&state.core, &account, mode).await?;
            (id, secret.expose().to_owned(), None)
        }
        "mangopay" => {
            let (id, secret, client_id) = issue_api_key(&state.core, &account, mode).await?;
            (id, secret, Some(client_id))
        }
        _ => return Err(OpsError::bad_request("dialect must be omise or mangopay")),
    };
    Ok(json(&KeyJson {
        object: "key",
        id: id.into_string(),
        account: account.into_string(),
        livemode: mode.is_live(),
        secret,
        client_id,
    }))
}

#[derive(Serialize, ToSchema)]
struct RevokedKeyJson {
    object: &'static str,
    id: String,
    revoked: bool,
}

#[utoipa::path(delete, operation_id = "revokeKey", path = "/keys/{id}", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A key id")),
    responses((status = 200, description = "Revoked", body = RevokedKeyJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such key", body = Error)))]
async fn http_revoke_key(
    State(state): State<OpsState>,
    PathParam(key): PathParam<String>,
) -> OpsResult<Response> {
    let key = parse_id(IdKind::Key, &key)?;
    revoke_key(&state.core, &key).await?;
    Ok(json(&RevokedKeyJson {
        object: "key",
        id: key.into_string(),
        revoked: true,
    }))
}

/// A dispute in the Omise dialect's current shape, as the operator sees it.
async fn render(state: &OpsState, id: &Id) -> OpsResult<Response> {
    let core = &state.core;
    let dispute = core
        .dispute(None, id)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("dispute {id} was not found")))?;
    let mut documents = core.first_documents(&[&dispute], DEFAULT_LIMIT).await?;
    let documents = documents.remove(&dispute.id).unwrap_or_default();
    // Links are signed on the dispute's clock (a test clock may run ahead), as they are checked.
    let now = core.now_in(&dispute.account, dispute.mode).await?;
    let renderer = Renderer {
        version: ApiVersion::DEFAULT,
        now,
        base_url: &state.base_url,
        signer: &core.signer,
    };
    Ok(json(&renderer.dispute(&dispute, &documents)))
}

#[derive(Deserialize, ToSchema)]
struct OpsOpenDispute {
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    account: String,
    /// test (default) or live; the charge id's mode must match.
    #[schema(schema_with = crate::omise::openapi::mode_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    mode: Option<String>,
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    charge: String,
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "lenient::int")]
    amount: Option<i64>,
    #[schema(pattern = "^[A-Za-z]{3}$")]
    #[serde(default, deserialize_with = "lenient::text")]
    currency: Option<String>,
    #[schema(schema_with = crate::omise::openapi::nullable_reason_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    reason_code: Option<String>,
    /// Mangopay's DisputeType: CONTESTABLE (default), NOT_CONTESTABLE or RETRIEVAL.
    #[schema(pattern = "^(CONTESTABLE|NOT_CONTESTABLE|RETRIEVAL)$")]
    #[serde(default, deserialize_with = "lenient::text")]
    dispute_type: Option<String>,
    /// Mangopay's DisputeReasonType, instead of reason_code.
    #[serde(default, deserialize_with = "lenient::text")]
    reason_type: Option<String>,
    /// The evidence deadline, in Unix seconds (Mangopay's ContestDeadlineDate), from 1970 to the
    /// end of 9999.
    #[schema(minimum = 0, maximum = 253_402_300_799_i64)]
    #[serde(default, deserialize_with = "lenient::int")]
    contest_deadline: Option<i64>,
}

/// The latest deadline kept: the last second of 9999, within both stores' range.
const LATEST_DEADLINE: i64 = 253_402_300_799;

/// A deadline given in Unix seconds, if it is between 1970 and the end of 9999.
pub fn deadline_from_unix(seconds: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (0..=LATEST_DEADLINE)
        .contains(&seconds)
        .then(|| chrono::DateTime::from_timestamp(seconds, 0))
        .flatten()
}

#[utoipa::path(post, operation_id = "openDispute", path = "/disputes", tag = "ops", security(("ops_token" = [])),
    request_body(content = OpsOpenDispute, content_type = "application/json"),
    responses((status = 200, description = "The new open dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such account", body = Error)))]
async fn http_open_dispute(
    State(state): State<OpsState>,
    Body(body): Body<OpsOpenDispute>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &body.account)?;
    let mode = parse_mode(body.mode.as_deref())?;
    let charge = parse_id(IdKind::Charge, &body.charge)?;
    if charge.marked_mode() != mode {
        return Err(OpsError::bad_request(
            "the charge id's mode and mode differ",
        ));
    }
    let terms = OpenDispute {
        amount: body.amount,
        currency: body.currency,
        reason_code: body.reason_code,
    };
    let mut new = terms
        .new_dispute(account, mode, charge)
        .map_err(|e| OpsError::bad_request(e.to_string()))?;
    if let Some(kind) = &body.dispute_type {
        new.kind = crate::mangopay::render::parse_dispute_type(kind)
            .ok_or_else(|| OpsError::bad_request(format!("unknown dispute_type {kind}")))?;
    }
    if let Some(reason) = &body.reason_type {
        new.reason = crate::mangopay::vocab::parse_reason(reason)
            .ok_or_else(|| OpsError::bad_request(format!("unknown reason_type {reason}")))?;
    }
    if let Some(deadline) = body.contest_deadline {
        new.evidence_due_at = Some(
            deadline_from_unix(deadline)
                .ok_or_else(|| OpsError::bad_request("contest_deadline is out of range"))?,
        );
    }
    let dispute = open_dispute(&state.core, &new).await?;
    render(&state, &dispute.id).await
}

#[derive(Deserialize, ToSchema)]
struct Resolution {
    #[schema(schema_with = crate::omise::openapi::outcome_schema)]
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    outcome: String,
    #[serde(default, deserialize_with = "lenient::text")]
    admin_message: Option<String>,
}

#[utoipa::path(post, operation_id = "resolveDispute", path = "/disputes/{id}/resolve", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses((status = 200, description = "The decided dispute", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
async fn http_resolve(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<Resolution>,
) -> OpsResult<Response> {
    let action = match body.outcome.as_str() {
        "won" => Action::Win,
        "lost" => Action::Lose,
        _ => return Err(OpsError::bad_request("outcome must be won or lost")),
    };
    decide_over_http(&state, &id, action, body.admin_message).await
}

#[derive(Deserialize, ToSchema)]
struct AdminNote {
    #[serde(default, deserialize_with = "lenient::text")]
    admin_message: Option<String>,
}

#[utoipa::path(post, operation_id = "reopenDispute", path = "/disputes/{id}/reopen", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = AdminNote, content_type = "application/json"),
    responses((status = 200, description = "The dispute, open again", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
async fn http_reopen(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<AdminNote>,
) -> OpsResult<Response> {
    decide_over_http(&state, &id, Action::Reopen, body.admin_message).await
}

#[utoipa::path(post, operation_id = "escalateDispute", path = "/disputes/{id}/escalate", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id")),
    request_body(content = AdminNote, content_type = "application/json"),
    responses((status = 200, description = "The dispute, handed to the bank (still pending; Mangopay's PENDING_BANK_ACTION)", body = DisputeJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute", body = Error),
        (status = 422, description = "The dispute is not pending (dispute_not_pending)", body = Error)))]
async fn http_escalate(
    State(state): State<OpsState>,
    PathParam(id): PathParam<String>,
    Body(body): Body<AdminNote>,
) -> OpsResult<Response> {
    decide_over_http(&state, &id, Action::Escalate, body.admin_message).await
}

/// An operator decision, answered with the dispute.
async fn decide_over_http(
    state: &OpsState,
    id: &str,
    action: Action,
    admin_message: Option<String>,
) -> OpsResult<Response> {
    let id = parse_id(IdKind::Dispute, id)?;
    decide(&state.core, &id, action, admin_message).await?;
    render(state, &id).await
}

/// A reviewer's decision on a submitted document.
pub async fn review(
    core: &Core,
    dispute: &Id,
    document: &Id,
    refusal: Option<ReviewRefusal>,
) -> OpsResult<Document> {
    let action = if refusal.is_some() {
        DocumentAction::Refuse
    } else {
        DocumentAction::Validate
    };
    core.document_transition(
        None,
        dispute,
        document,
        action,
        refusal.as_ref(),
        &Actor::Operator,
    )
    .await
    .map_err(|r| match r {
        crate::store::Refusal::DocumentNotFound => {
            OpsError::NotFound(format!("document {document} was not found"))
        }
        crate::store::Refusal::Document(e) => OpsError::NotSubmitted(e.to_string()),
        other => OpsError::from_refusal(other, dispute.as_str()),
    })
}

#[derive(Serialize, ToSchema)]
struct ReviewedJson {
    object: &'static str,
    id: String,
    /// validated or refused
    status: &'static str,
}

async fn review_over_http(
    state: &OpsState,
    dispute: &str,
    document: &str,
    refusal: Option<ReviewRefusal>,
) -> OpsResult<Response> {
    let dispute = parse_id(IdKind::Dispute, dispute)?;
    let document = parse_id(IdKind::Document, document)?;
    let doc = review(&state.core, &dispute, &document, refusal).await?;
    Ok(json(&ReviewedJson {
        object: "document",
        id: doc.id.into_string(),
        status: doc.status.as_str(),
    }))
}

#[utoipa::path(post, operation_id = "validateDocument", path = "/disputes/{id}/documents/{document}/validate", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"), ("document" = String, Path, description = "A document id")),
    responses((status = 200, description = "The document, validated", body = ReviewedJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute or document", body = Error),
        (status = 422, description = "The document is not submitted (document_not_submitted)", body = Error)))]
async fn http_validate(
    State(state): State<OpsState>,
    PathParam((dispute, document)): PathParam<(String, String)>,
) -> OpsResult<Response> {
    review_over_http(&state, &dispute, &document, None).await
}

#[derive(Deserialize, ToSchema)]
struct Refusal {
    /// Mangopay's RefusedReasonType (DOCUMENT_UNREADABLE, DOCUMENT_INCOMPLETE, …).
    #[schema(required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    reason_type: String,
    /// At most 255 characters.
    #[schema(max_length = 255)]
    #[serde(default, deserialize_with = "lenient::text")]
    message: Option<String>,
}

#[utoipa::path(post, operation_id = "refuseDocument", path = "/disputes/{id}/documents/{document}/refuse", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A dispute id"), ("document" = String, Path, description = "A document id")),
    request_body(content = Refusal, content_type = "application/json"),
    responses((status = 200, description = "The document, refused", body = ReviewedJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such dispute or document", body = Error),
        (status = 422, description = "The document is not submitted (document_not_submitted)", body = Error)))]
async fn http_refuse(
    State(state): State<OpsState>,
    PathParam((dispute, document)): PathParam<(String, String)>,
    Body(body): Body<Refusal>,
) -> OpsResult<Response> {
    let reason = crate::mangopay::vocab::parse_refusal(&body.reason_type).ok_or_else(|| {
        OpsError::bad_request(format!("unknown reason_type {}", body.reason_type))
    })?;
    if body
        .message
        .as_ref()
        .is_some_and(|m| m.chars().count() > 255)
    {
        return Err(OpsError::bad_request("message is at most 255 characters"));
    }
    let refusal = ReviewRefusal {
        reason,
        message: body.message,
    };
    review_over_http(&state, &dispute, &document, Some(refusal)).await
}
