//! The operator's webhook endpoints (the Omise dialect's: an account's URLs per mode, each with
//! a signing secret shown once) and deliveries: list, remove, rotate, and send dead ones again.
//! The plain functions serve the CLI; the handlers serve `/ops/`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Body, OpsError, OpsResult, OpsState, PathParam, parse_id, parse_mode};
use crate::core::Core;
use crate::core::events::{EndpointError, NewEndpoint};
use crate::domain::{Attempt, Delivery, DeliveryState, Endpoint, Id, IdKind, Mode};
use crate::http::{json, lenient};
use crate::wire::omise::events::{SCHEME, topics};
use crate::wire::omise::openapi::Error;

impl From<EndpointError> for OpsError {
    fn from(e: EndpointError) -> OpsError {
        match e {
            EndpointError::InvalidUrl(m) => OpsError::BadRequest(m),
            EndpointError::UnknownAccount(a) => {
                OpsError::NotFound(format!("account {a} was not found"))
            }
            EndpointError::Taken(m) => OpsError::BadRequest(format!("{m} has an endpoint already")),
            EndpointError::Store(e) => e.into(),
        }
    }
}

/// An endpoint as the operator sees it; `secret` only when it was just made.
#[derive(Serialize, ToSchema)]
pub struct EndpointJson {
    object: &'static str,
    id: String,
    url: String,
    mode: &'static str,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// Until when the key before the last rotation still signs.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_until: Option<String>,
    created_at: String,
}

impl EndpointJson {
    pub fn of(e: &Endpoint, show_secret: bool) -> EndpointJson {
        EndpointJson {
            object: "webhook_endpoint",
            id: e.id.to_string(),
            url: e.url.clone(),
            mode: if e.mode.is_live() { "live" } else { "test" },
            enabled: e.enabled,
            secret: e.secret.clone().filter(|_| show_secret),
            previous_secret_until: e.previous_secret_until.map(|t| t.to_rfc3339()),
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// Registers an Omise webhook endpoint for an account and mode; it receives every dispute event.
pub async fn add(core: &Core, account: &Id, mode: Mode, url: &str) -> OpsResult<Endpoint> {
    Ok(core
        .add_endpoint(NewEndpoint {
            account: account.clone(),
            mode,
            scheme: SCHEME,
            url: url.to_owned(),
            topics: topics(),
            label: None,
            tag: None,
            signed: true,
        })
        .await?)
}

pub async fn list(core: &Core, account: &Id) -> OpsResult<Vec<Endpoint>> {
    Ok(core.endpoints(account, None, SCHEME).await?)
}

fn endpoint_not_found(id: &Id) -> OpsError {
    OpsError::NotFound(format!("webhook endpoint {id} was not found"))
}

pub async fn remove(core: &Core, account: &Id, id: &Id) -> OpsResult<()> {
    match core.remove_endpoint(account, id).await? {
        true => Ok(()),
        false => Err(endpoint_not_found(id)),
    }
}

pub async fn rotate(core: &Core, account: &Id, id: &Id) -> OpsResult<Endpoint> {
    core.rotate_secret(account, id)
        .await?
        .ok_or_else(|| endpoint_not_found(id))
}

pub async fn redeliver(core: &Core, seq: i64) -> OpsResult<()> {
    match core.redeliver(seq).await? {
        true => Ok(()),
        false => Err(OpsError::NotFound(format!("delivery {seq} was not found"))),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewEndpointRequest {
    /// Where to POST events: https, or http in test mode.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 2048,
        pattern = r"^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%=&/-]*)?$"
    )]
    #[serde(default, deserialize_with = "lenient::required_text")]
    url: String,
    #[schema(schema_with = crate::wire::omise::openapi::mode_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    mode: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct AccountPath {
    /// The account's id
    account: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EndpointPath {
    /// The account's id
    account: String,
    /// The endpoint's id
    id: String,
}

#[utoipa::path(post, operation_id = "addWebhookEndpoint", path = "/accounts/{account}/webhooks", tag = "ops",
    security(("ops_token" = [])), params(AccountPath),
    request_body(content = NewEndpointRequest, content_type = "application/json"),
    responses((status = 200, description = "The endpoint, with its signing secret (shown only now)", body = EndpointJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such account", body = Error)))]
pub(super) async fn http_add(
    State(state): State<OpsState>,
    PathParam(account): PathParam<String>,
    Body(body): Body<NewEndpointRequest>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let mode = parse_mode(body.mode.as_deref())?;
    let endpoint = add(&state.core, &account, mode, &body.url).await?;
    Ok(json(&EndpointJson::of(&endpoint, true)))
}

#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    object: &'static str,
    data: Vec<EndpointJson>,
}

#[utoipa::path(get, operation_id = "listWebhookEndpoints", path = "/accounts/{account}/webhooks", tag = "ops",
    security(("ops_token" = [])), params(AccountPath),
    responses((status = 200, description = "The account's endpoints, without secrets", body = EndpointList),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error)))]
pub(super) async fn http_list(
    State(state): State<OpsState>,
    PathParam(account): PathParam<String>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let data = list(&state.core, &account)
        .await?
        .iter()
        .map(|e| EndpointJson::of(e, false))
        .collect();
    Ok(json(&EndpointList {
        object: "list",
        data,
    }))
}

#[utoipa::path(delete, operation_id = "removeWebhookEndpoint", path = "/accounts/{account}/webhooks/{id}", tag = "ops",
    security(("ops_token" = [])), params(EndpointPath),
    responses((status = 200, description = "Removed, with its pending deliveries", body = EndpointJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such endpoint", body = Error)))]
pub(super) async fn http_remove(
    State(state): State<OpsState>,
    PathParam((account, id)): PathParam<(String, String)>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let id = parse_id(IdKind::Endpoint, &id)?;
    let endpoint = state
        .core
        .endpoint(&account, &id)
        .await?
        .ok_or_else(|| endpoint_not_found(&id))?;
    remove(&state.core, &account, &id).await?;
    Ok(json(&EndpointJson::of(&endpoint, false)))
}

#[utoipa::path(post, operation_id = "rotateWebhookSecret", path = "/accounts/{account}/webhooks/{id}/rotate", tag = "ops",
    security(("ops_token" = [])), params(EndpointPath),
    responses((status = 200, description = "The endpoint with its new secret (shown only now); the old one signs beside it for 24 hours", body = EndpointJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such endpoint", body = Error)))]
pub(super) async fn http_rotate(
    State(state): State<OpsState>,
    PathParam((account, id)): PathParam<(String, String)>,
) -> OpsResult<Response> {
    let account = parse_id(IdKind::Account, &account)?;
    let id = parse_id(IdKind::Endpoint, &id)?;
    let endpoint = rotate(&state.core, &account, &id).await?;
    Ok(json(&EndpointJson::of(&endpoint, true)))
}

/// A delivery, with its attempts.
#[derive(Serialize, ToSchema)]
pub struct DeliveryJson {
    object: &'static str,
    id: i64,
    event: String,
    endpoint: String,
    /// pending, succeeded or dead
    state: &'static str,
    attempts: Vec<AttemptJson>,
    next_attempt_at: String,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptJson {
    url: String,
    status: Option<i64>,
    error: Option<String>,
    latency_ms: i64,
    response: Option<String>,
    created_at: String,
}

impl DeliveryJson {
    pub fn of(d: &Delivery, attempts: &[Attempt]) -> DeliveryJson {
        DeliveryJson {
            object: "webhook_delivery",
            id: d.seq,
            event: d.event.to_string(),
            endpoint: d.endpoint.to_string(),
            state: d.state.as_str(),
            attempts: attempts
                .iter()
                .map(|a| AttemptJson {
                    url: a.url.clone(),
                    status: a.status,
                    error: a.error.clone(),
                    latency_ms: a.latency_ms,
                    response: a.response.clone(),
                    created_at: a.created_at.to_rfc3339(),
                })
                .collect(),
            next_attempt_at: d.next_attempt_at.to_rfc3339(),
            created_at: d.created_at.to_rfc3339(),
        }
    }
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DeliveryQuery {
    /// pending, succeeded or dead (default: every state)
    #[param(pattern = "^(pending|succeeded|dead)$")]
    state: Option<String>,
    /// Only this account's
    #[param(pattern = "^acct_[0-9a-z]{1,64}$")]
    account: Option<String>,
    /// At most this many, newest first (default 100, at most 1000)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    object: &'static str,
    data: Vec<DeliveryJson>,
}

/// Deliveries, newest first, with their attempts.
pub async fn deliveries(
    core: &Core,
    account: Option<&Id>,
    state: Option<DeliveryState>,
    limit: i64,
) -> OpsResult<Vec<DeliveryJson>> {
    let deliveries = core.deliveries(account, state, limit).await?;
    let seqs: Vec<i64> = deliveries.iter().map(|d| d.seq).collect();
    let mut attempts = core.delivery_attempts(&seqs).await?;
    Ok(deliveries
        .iter()
        .map(|d| DeliveryJson::of(d, &attempts.remove(&d.seq).unwrap_or_default()))
        .collect())
}

#[utoipa::path(get, operation_id = "listDeliveries", path = "/deliveries", tag = "ops",
    security(("ops_token" = [])), params(DeliveryQuery),
    responses((status = 200, description = "Webhook deliveries, newest first, with every attempt", body = DeliveryList),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error)))]
pub(super) async fn http_deliveries(
    State(state): State<OpsState>,
    RawQuery(query): RawQuery,
) -> OpsResult<Response> {
    // The last value of a repeated parameter counts; an empty one means the default.
    let (mut delivery_state, mut account, mut limit) = (None, None, 100);
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "state" => {
                delivery_state = Some(value.parse::<DeliveryState>().map_err(|_| {
                    OpsError::bad_request("state must be pending, succeeded or dead")
                })?)
            }
            "account" => account = Some(parse_id(IdKind::Account, &value)?),
            "limit" => {
                limit = value
                    .parse()
                    .map_err(|_| OpsError::bad_request("limit must be an integer"))?
            }
            _ => {}
        }
    }
    if !(1..=1000).contains(&limit) {
        return Err(OpsError::bad_request("limit must be between 1 and 1000"));
    }
    let data = deliveries(&state.core, account.as_ref(), delivery_state, limit).await?;
    Ok(json(&DeliveryList {
        object: "list",
        data,
    }))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DeliveryPath {
    /// The delivery's number
    id: i64,
}

#[utoipa::path(post, operation_id = "redeliver", path = "/deliveries/{id}/redeliver", tag = "ops",
    security(("ops_token" = [])), params(DeliveryPath),
    responses((status = 200, description = "Due again now, from the start of its schedule", body = DeliveryJson),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error),
        (status = 404, description = "No such delivery", body = Error)))]
pub(super) async fn http_redeliver(
    State(state): State<OpsState>,
    PathParam(seq): PathParam<i64>,
) -> OpsResult<Response> {
    redeliver(&state.core, seq).await?;
    let delivery = state
        .core
        .delivery(seq)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("delivery {seq} was not found")))?;
    let mut attempts = state.core.delivery_attempts(&[seq]).await?;
    let attempts = attempts.remove(&seq).unwrap_or_default();
    Ok(json(&DeliveryJson::of(&delivery, &attempts)))
}
