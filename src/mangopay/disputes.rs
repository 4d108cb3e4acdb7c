//! Disputes (MANGOPAY.md §4 #1–#9): lists with filters, view, Tag, contest and resubmit, close,
//! and the dispute's transactions.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use serde_json::{Map, Value};

use super::auth::Client;
use super::error::{MpError, MpResult};
use super::lists::{ListInput, respond};
use super::render::{self, DisputeJson, TransactionJson};
use super::{Body, MangopayState, MpPath};
use crate::core::disputes::Fields;
use crate::domain::{Action, Dispute, DisputeStatus, Id, IdKind, Marks};
use crate::http::json;
use crate::store::{DisputeFilter, DisputeUpdate};

/// Disputes as this dialect shows them: with what their history tells.
async fn render_all<'a>(
    state: &MangopayState,
    disputes: &'a [Dispute],
) -> MpResult<Vec<DisputeJson<'a>>> {
    let ids: Vec<_> = disputes.iter().map(|d| &d.id).collect();
    let marks = state.core.marks(&ids).await?;
    Ok(disputes
        .iter()
        .map(|d| render::dispute(d, marks.get(&d.id).copied().unwrap_or_default()))
        .collect())
}

async fn marks(state: &MangopayState, dispute: &Dispute) -> MpResult<Marks> {
    let marks = state.core.marks(&[&dispute.id]).await?;
    Ok(marks.get(&dispute.id).copied().unwrap_or_default())
}

async fn render_one(state: &MangopayState, dispute: &Dispute) -> MpResult<Response> {
    Ok(json(&render::dispute(
        dispute,
        marks(state, dispute).await?,
    )))
}

/// The disputes a list shows, by the `Status` and `DisputeType` filters; `None` when no
/// dispute can match (only `CREATED` asked for).
fn dispute_filter(input: &ListInput) -> MpResult<Option<DisputeFilter>> {
    let statuses = input.filter("status", "Status", super::vocab::status_matches)?;
    let kinds = input.filter("disputetype", "DisputeType", render::parse_dispute_type)?;
    let marked: Vec<_> = statuses.iter().flatten().copied().collect();
    if !statuses.is_empty() && marked.is_empty() {
        return Ok(None);
    }
    Ok(Some(DisputeFilter {
        kinds,
        marked,
        ..DisputeFilter::default()
    }))
}

/// The absolute URL of the list a request asked for, without its query.
pub fn list_url(state: &MangopayState, uri: &OriginalUri) -> String {
    format!("{}{}", state.base_url, uri.0.path())
}

async fn list(
    state: &MangopayState,
    client: &Client,
    uri: &OriginalUri,
    extra: impl FnOnce(&mut DisputeFilter),
) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    let base = list_url(state, uri);
    let Some(mut filter) = dispute_filter(&input)? else {
        return Ok(respond::<Value>(&[], 0, &input, &base));
    };
    extra(&mut filter);
    let query = input.query(state.core.now_for(&client.scope).await?);
    let page = state
        .core
        .list_disputes(&client.scope, &filter, &query)
        .await?;
    let items = render_all(state, &page.items).await?;
    Ok(respond(&items, page.total, &input, &base))
}

#[utoipa::path(get, operation_id = "listDisputes", path = "/{ClientId}/disputes", tag = "disputes",
    params(("ClientId" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "A page of disputes", body = [DisputeJson])))]
pub async fn list_all(
    State(state): State<MangopayState>,
    client: Client,
    uri: OriginalUri,
) -> MpResult<Response> {
    list(&state, &client, &uri, |_| {}).await
}

#[utoipa::path(get, operation_id = "listPendingSettlement", path = "/{ClientId}/disputes/pendingsettlement", tag = "disputes",
    params(("ClientId" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "Always empty: nothing here awaits a settlement", body = [DisputeJson])))]
pub async fn pending_settlement(
    State(state): State<MangopayState>,
    _client: Client,
    uri: OriginalUri,
) -> MpResult<Response> {
    nobody(&state, &uri).await
}

#[utoipa::path(get, operation_id = "listDisputesOfPayIn", path = "/{ClientId}/payins/{Id}/disputes", tag = "disputes",
    params(("ClientId" = String, Path), ("Id" = String, Path, description = "A pay-in: the dispute's InitialTransactionId"), super::openapi::ListParams),
    responses((status = 200, description = "The pay-in's disputes", body = [DisputeJson])))]
pub async fn of_payin(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, payin)): MpPath<(String, String)>,
    uri: OriginalUri,
) -> MpResult<Response> {
    let Ok(charge) = Id::parse(IdKind::Charge, &payin) else {
        return nobody(&state, &uri).await;
    };
    list(&state, &client, &uri, |f| f.charge = Some(charge)).await
}

/// An empty list: this server keeps no users or wallets to find disputes by.
async fn nobody(state: &MangopayState, uri: &OriginalUri) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    Ok(respond::<Value>(&[], 0, &input, &list_url(state, uri)))
}

#[utoipa::path(get, operation_id = "listDisputesOfUser", path = "/{ClientId}/users/{Id}/disputes", tag = "disputes",
    params(("ClientId" = String, Path), ("Id" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "Always empty: this server keeps no users", body = [DisputeJson])))]
pub async fn of_user(
    State(state): State<MangopayState>,
    _client: Client,
    uri: OriginalUri,
) -> MpResult<Response> {
    nobody(&state, &uri).await
}

#[utoipa::path(get, operation_id = "listDisputesOfWallet", path = "/{ClientId}/wallets/{Id}/disputes", tag = "disputes",
    params(("ClientId" = String, Path), ("Id" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "Always empty: this server keeps no wallets", body = [DisputeJson])))]
pub async fn of_wallet(
    State(state): State<MangopayState>,
    _client: Client,
    uri: OriginalUri,
) -> MpResult<Response> {
    nobody(&state, &uri).await
}

async fn find(state: &MangopayState, client: &Client, id: &str) -> MpResult<Dispute> {
    let not_found = || MpError::not_found("Dispute", id);
    let parsed = Id::parse(IdKind::Dispute, id).map_err(|_| not_found())?;
    state
        .core
        .dispute(Some(&client.scope), &parsed)
        .await?
        .ok_or_else(not_found)
}

#[utoipa::path(get, operation_id = "viewDispute", path = "/{ClientId}/disputes/{DisputeId}", tag = "disputes",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path)),
    responses((status = 200, description = "The dispute", body = DisputeJson),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
pub async fn view(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let dispute = find(&state, &client, &id).await?;
    render_one(&state, &dispute).await
}

/// A `Tag`: absent leaves it, `null` clears it, a string of at most 255 characters sets it.
pub fn tag(body: &Map<String, Value>) -> MpResult<Option<Option<String>>> {
    match body.get("Tag") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.chars().count() <= 255 => Ok(Some(Some(s.clone()))),
        Some(Value::String(_)) => Err(MpError::param("Tag", "Tag is at most 255 characters")),
        Some(_) => Err(MpError::param("Tag", "Tag must be a string")),
    }
}

#[utoipa::path(put, operation_id = "updateDispute", path = "/{ClientId}/disputes/{DisputeId}", tag = "disputes",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path)),
    request_body(content = super::openapi::TagBody, content_type = "application/json"),
    responses((status = 200, description = "The dispute", body = DisputeJson),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
pub async fn update(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
    Body(body): Body,
) -> MpResult<Response> {
    let dispute = find(&state, &client, &id).await?;
    let update = DisputeUpdate { tag: tag(&body)? };
    let dispute = state
        .core
        .update_dispute(Some(&client.scope), &dispute.id, &update, &client.actor)
        .await
        .map_err(|r| MpError::from_refusal(r, &id, None))?;
    render_one(&state, &dispute).await
}

/// `ContestedFunds`, checked against the dispute: same currency, 0 < Amount <= disputed.
fn contested_amount(body: &Map<String, Value>, dispute: &Dispute) -> MpResult<Option<i64>> {
    let funds = match body.get("ContestedFunds") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(funds)) => funds,
        Some(_) => {
            return Err(MpError::param(
                "ContestedFunds",
                "ContestedFunds must be Money",
            ));
        }
    };
    let currency = funds.get("Currency").and_then(Value::as_str);
    if !currency.is_some_and(|c| c.eq_ignore_ascii_case(&dispute.currency)) {
        return Err(MpError::param(
            "ContestedFunds.Currency",
            format!("the Currency must be {}", dispute.currency),
        ));
    }
    match funds.get("Amount").and_then(Value::as_i64) {
        Some(amount) if amount > 0 && amount <= dispute.amount => Ok(Some(amount)),
        _ => Err(MpError::param(
            "ContestedFunds.Amount",
            format!("the Amount must be between 1 and {}", dispute.amount),
        )),
    }
}

#[utoipa::path(put, operation_id = "submitDispute", path = "/{ClientId}/disputes/{DisputeId}/submit", tag = "disputes",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path)),
    request_body(content = super::openapi::ContestBody, content_type = "application/json"),
    responses((status = 200, description = "The dispute, SUBMITTED", body = DisputeJson),
        (status = 400, description = "Not awaiting the client, past its deadline, not contestable, or ContestedFunds missing or wrong", body = super::openapi::Error),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
/// Contests the dispute (the first time, `ContestedFunds` is required) or resubmits it.
pub async fn submit(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
    Body(body): Body,
) -> MpResult<Response> {
    let dispute = find(&state, &client, &id).await?;
    if dispute.status != DisputeStatus::AwaitingEvidence {
        return Err(MpError::param(
            "Status",
            "the dispute is not awaiting the client's action",
        ));
    }
    if !dispute.kind.contestable() {
        return Err(MpError::param(
            "DisputeType",
            "this dispute cannot be contested",
        ));
    }
    let now = state.core.now_for(&client.scope).await?;
    if dispute.evidence_due_at.is_some_and(|due| due < now) {
        return Err(MpError::param(
            "ContestDeadlineDate",
            "the contest deadline has passed",
        ));
    }
    let amount = contested_amount(&body, &dispute)?;
    let reopened = marks(&state, &dispute).await?.reopened;
    if amount.is_none() && !reopened && dispute.contested_amount.is_none() {
        return Err(MpError::param(
            "ContestedFunds",
            "The ContestedFunds field is required.",
        ));
    }
    let fields = Fields {
        contested_amount: amount,
        ..Fields::default()
    };
    let dispute = state
        .core
        .transition(
            Some(&client.scope),
            &dispute.id,
            Action::Submit,
            fields,
            &client.actor,
        )
        .await
        .map_err(|r| MpError::from_refusal(r, &id, None))?;
    render_one(&state, &dispute).await
}

#[utoipa::path(put, operation_id = "closeDispute", path = "/{ClientId}/disputes/{DisputeId}/close", tag = "disputes",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path)),
    responses((status = 200, description = "The dispute, CLOSED and LOST", body = DisputeJson),
        (status = 400, description = "Not awaiting the client", body = super::openapi::Error),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
/// Closes the dispute: the client concedes it.
pub async fn close(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let dispute = find(&state, &client, &id).await?;
    let dispute = state
        .core
        .transition(
            Some(&client.scope),
            &dispute.id,
            Action::Concede,
            Fields::default(),
            &client.actor,
        )
        .await
        .map_err(|r| MpError::from_refusal(r, &id, None))?;
    render_one(&state, &dispute).await
}

#[utoipa::path(get, operation_id = "listDisputeTransactions", path = "/{ClientId}/disputes/{DisputeId}/transactions", tag = "disputes",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "The repudiation and, once won, the settlement", body = [TransactionJson]),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
pub async fn transactions(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
    uri: OriginalUri,
) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    let dispute = find(&state, &client, &id).await?;
    let all = render::transactions(&dispute);
    let total = all.len() as i64;
    let start = (input.page - 1)
        .saturating_mul(input.per_page)
        .clamp(0, total) as usize;
    let end = start.saturating_add(input.per_page as usize).min(all.len());
    Ok(respond(
        &all[start..end],
        total,
        &input,
        &list_url(&state, &uri),
    ))
}
