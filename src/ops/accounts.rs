//! Accounts and their keys: creating an account, its settings (the Mangopay ClientId, the
//! days a merchant has for its evidence), and issuing and revoking both dialects' keys.

use super::{Body, OpsError, OpsResult, OpsState, PathParam, parse_id, parse_mode};
use crate::core::Core;
use crate::domain::{Id, IdKind, Mode};
use crate::http::{json, lenient};
use crate::packet::Profile;
use crate::wire::omise::keys::SecretKey;
use crate::wire::omise::openapi::Error;
use crate::wire::omise::version::ApiVersion;
use crate::wire::omise::version::VERSION_PREFERENCE;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Map;
use utoipa::ToSchema;

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
    let secret = crate::wire::mangopay::keys::generate_api_key();
    let id = core
        .store_key(
            None,
            account,
            mode,
            crate::wire::mangopay::keys::SCHEME,
            &secret,
        )
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

#[derive(Deserialize, ToSchema)]
pub(super) struct NewAccount {
    #[schema(min_length = 1, pattern = "\\S", required = true)]
    #[serde(default, deserialize_with = "lenient::required_text")]
    name: String,
    #[schema(schema_with = crate::wire::omise::openapi::version_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    default_version: Option<String>,
    /// The account's Mangopay ClientId (1 to 128 of A-Z a-z 0-9 - _).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    #[serde(default, deserialize_with = "lenient::text")]
    client_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct AccountJson {
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
pub(super) async fn http_create_account(
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

/// Sets the profile an account's evidence packets are built for by default.
pub async fn set_packet_profile(core: &Core, account: &Id, profile: &str) -> OpsResult<()> {
    let profile: Profile = profile.parse().map_err(OpsError::BadRequest)?;
    match core.set_packet_profile(account, profile).await? {
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
    /// The profile the account's evidence packets are built for by default: generic, visa,
    /// mastercard, amex or stripe.
    #[schema(value_type = Option<String>, pattern = "^(generic|visa|mastercard|amex|stripe)$")]
    #[serde(default, deserialize_with = "lenient::text")]
    packet_profile: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct AccountSettingsJson {
    object: &'static str,
    id: String,
    evidence_days: Option<u32>,
    /// The profile its evidence packets are built for by default.
    packet_profile: &'static str,
}

#[utoipa::path(patch, operation_id = "updateAccount", path = "/accounts/{account}", tag = "ops", security(("ops_token" = [])),
    params(("account" = String, Path, description = "The account's id")),
    request_body(content = AccountUpdate, content_type = "application/json"),
    responses((status = 200, description = "The account's settings", body = AccountSettingsJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such account", body = Error)))]
pub(super) async fn http_update_account(
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
    if let Some(profile) = &body.packet_profile {
        set_packet_profile(&state.core, &account, profile).await?;
    }
    let packet_profile = state
        .core
        .packet_profile(&account)
        .await?
        .unwrap_or(Profile::Generic);
    let evidence_days = state
        .core
        .evidence_days(&account)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("account {account} was not found")))?;
    Ok(json(&AccountSettingsJson {
        object: "account",
        id: account.into_string(),
        evidence_days,
        packet_profile: packet_profile.as_str(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewKeyRequest {
    #[schema(schema_with = crate::wire::omise::openapi::mode_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    mode: Option<String>,
    /// omise (default: a secret key skey_…) or mangopay (an API key for the account's ClientId).
    #[schema(schema_with = dialect_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    dialect: Option<String>,
}

fn dialect_schema() -> utoipa::openapi::schema::Object {
    crate::wire::omise::openapi::nullable_enum(["omise", "mangopay"], "whose key (default omise)")
}

#[derive(Serialize, ToSchema)]
pub(super) struct KeyJson {
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
pub(super) async fn http_issue_key(
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
pub(super) struct RevokedKeyJson {
    object: &'static str,
    id: String,
    revoked: bool,
}

#[utoipa::path(delete, operation_id = "revokeKey", path = "/keys/{id}", tag = "ops", security(("ops_token" = [])),
    params(("id" = String, Path, description = "A key id")),
    responses((status = 200, description = "Revoked", body = RevokedKeyJson), (status = 400, description = "Bad input", body = Error),
        (status = 401, description = "No valid operator token", body = Error), (status = 404, description = "No such key", body = Error)))]
pub(super) async fn http_revoke_key(
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
