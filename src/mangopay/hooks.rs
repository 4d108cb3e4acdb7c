//! Hooks and events in the Mangopay dialect (EVENTS.md §3): `/{ClientId}/hooks` (one hook per
//! EventType; ENABLED/DISABLED, VALID/INVALID), `/{ClientId}/events` (a bare array of
//! `{ResourceId, EventType, Date}` with paging headers, 45 days back at most), and the
//! notification itself: a GET of the hook's URL with `EventType`, `RessourceId` and `Date`
//! appended, unsigned, retried every 10 minutes for an hour and then every 8 hours for 3 days;
//! 100 failures in a row make the hook INVALID.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::auth::Client;
use super::disputes::{list_url, tag};
use super::error::{MpError, MpResult};
use super::lists::{ListInput, respond};
use super::{Body, MangopayState, MpPath};
use crate::core::events::{EndpointError, NewEndpoint};
use crate::domain::{Endpoint, Event, Id, IdKind, Topic};
use crate::http::json;
use crate::store::EventFilter;

/// The scheme of Mangopay hooks: an unsigned GET with the event in the query.
pub const SCHEME: &str = "mangopay";

/// How far back events can be listed.
pub const EVENT_WINDOW: TimeDelta = TimeDelta::days(45);

/// The dispute and dispute-document EventTypes, and the topics each is (a type may be several).
pub const EVENT_TYPES: [(&str, Topic); 12] = [
    ("DISPUTE_CREATED", Topic::DisputeOpened),
    ("DISPUTE_ACTION_REQUIRED", Topic::DisputeActionRequired),
    ("DISPUTE_SUBMITTED", Topic::DisputeSubmitted),
    ("DISPUTE_SENT_TO_BANK", Topic::DisputeEscalated),
    ("DISPUTE_FURTHER_ACTION_REQUIRED", Topic::DisputeReopened),
    ("DISPUTE_CLOSED", Topic::DisputeClosed),
    // Ours: Mangopay has no packet; its platforms read the one frozen at submission.
    ("DISPUTE_PACKET_FROZEN", Topic::DisputePacketFrozen),
    ("DISPUTE_DOCUMENT_CREATED", Topic::DocumentAdded),
    (
        "DISPUTE_DOCUMENT_VALIDATION_ASKED",
        Topic::DocumentSubmitted,
    ),
    ("DISPUTE_DOCUMENT_SUCCEEDED", Topic::DocumentValidated),
    ("DISPUTE_DOCUMENT_FAILED", Topic::DocumentRefused),
    // Ours: Mangopay has no quarantine; a page found infected after the fact is the
    // document failing.
    ("DISPUTE_DOCUMENT_FAILED", Topic::DocumentQuarantined),
];

pub fn event_type(topic: Topic) -> Option<&'static str> {
    EVENT_TYPES
        .iter()
        .find(|(_, t)| *t == topic)
        .map(|(name, _)| *name)
}

/// The first topic an EventType is, if it is one of the dispute types.
pub fn parse_event_type(name: &str) -> Option<Topic> {
    event_topics(name).first().copied()
}

/// Every topic an EventType is: what a hook of that type, or a list filtered by it, takes in.
pub fn event_topics(name: &str) -> Vec<Topic> {
    EVENT_TYPES
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .collect()
}

/// The id a notification names: the document's for document events, else the dispute's.
fn resource_id(event: &Event) -> &str {
    match (event_type(event.topic), &event.document) {
        (Some(name), Some(document)) if name.starts_with("DISPUTE_DOCUMENT_") => document.as_str(),
        _ => event.dispute.id.as_str(),
    }
}

/// A hook.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HookJson<'a> {
    url: &'a str,
    /// ENABLED or DISABLED
    status: &'static str,
    /// VALID or INVALID
    validity: &'static str,
    event_type: &'a str,
    id: &'a str,
    tag: Option<&'a str>,
    creation_date: i64,
}

fn hook(e: &Endpoint) -> HookJson<'_> {
    HookJson {
        url: &e.url,
        status: if e.enabled { "ENABLED" } else { "DISABLED" },
        validity: if e.valid { "VALID" } else { "INVALID" },
        event_type: e.label.as_deref().unwrap_or_default(),
        id: e.id.as_str(),
        tag: e.tag.as_deref(),
        creation_date: e.created_at.timestamp(),
    }
}

/// An event.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EventJson<'a> {
    resource_id: &'a str,
    event_type: &'static str,
    date: i64,
}

/// A hook to create.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct NewHookBody {
    #[schema(rename = "EventType", inline, required = true)]
    event_type: HookEventType,
    /// Where to notify: https, or http for test keys; at most 255 characters.
    #[schema(
        rename = "Url",
        required = true,
        min_length = 1,
        max_length = 255,
        pattern = r"^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%=&/-]*)?$"
    )]
    url: String,
    #[schema(rename = "Tag", max_length = 255)]
    tag: Option<String>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code, clippy::enum_variant_names)]
pub enum HookEventType {
    #[schema(rename = "DISPUTE_CREATED")]
    DisputeCreated,
    #[schema(rename = "DISPUTE_ACTION_REQUIRED")]
    DisputeActionRequired,
    #[schema(rename = "DISPUTE_SUBMITTED")]
    DisputeSubmitted,
    #[schema(rename = "DISPUTE_SENT_TO_BANK")]
    DisputeSentToBank,
    #[schema(rename = "DISPUTE_FURTHER_ACTION_REQUIRED")]
    DisputeFurtherActionRequired,
    #[schema(rename = "DISPUTE_CLOSED")]
    DisputeClosed,
    #[schema(rename = "DISPUTE_DOCUMENT_CREATED")]
    DisputeDocumentCreated,
    #[schema(rename = "DISPUTE_DOCUMENT_VALIDATION_ASKED")]
    DisputeDocumentValidationAsked,
    #[schema(rename = "DISPUTE_DOCUMENT_SUCCEEDED")]
    DisputeDocumentSucceeded,
    #[schema(rename = "DISPUTE_DOCUMENT_FAILED")]
    DisputeDocumentFailed,
}

/// A hook's changes; read-only fields sent back are ignored.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HookUpdateBody {
    #[schema(
        rename = "Url",
        min_length = 1,
        max_length = 255,
        pattern = r"^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%=&/-]*)?$"
    )]
    url: Option<String>,
    #[schema(rename = "Status", pattern = "^(ENABLED|DISABLED)$")]
    status: Option<String>,
    /// VALID revives an INVALID hook.
    #[schema(rename = "Validity", pattern = "^(VALID|INVALID|UNKNOWN)$")]
    validity: Option<String>,
    #[schema(rename = "Tag", max_length = 255)]
    tag: Option<String>,
}

fn text<'a>(body: &'a Map<String, Value>, field: &str) -> MpResult<Option<&'a str>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(MpError::param(field, format!("{field} must be a string"))),
    }
}

fn url(body: &Map<String, Value>) -> MpResult<Option<String>> {
    let Some(url) = text(body, "Url")? else {
        return Ok(None);
    };
    if url.chars().count() > 255 {
        return Err(MpError::param("Url", "Url is at most 255 characters"));
    }
    Ok(Some(url.to_owned()))
}

fn endpoint_error(e: EndpointError) -> MpError {
    match e {
        EndpointError::InvalidUrl(m) => MpError::param("Url", m),
        EndpointError::Taken(_) => MpError::param(
            "EventType",
            "A hook has already been registered for this EventType",
        ),
        EndpointError::UnknownAccount(a) => MpError::not_found("Client", a.as_str()),
        EndpointError::Store(e) => e.into(),
    }
}

#[utoipa::path(post, operation_id = "createHook", path = "/{ClientId}/hooks", tag = "hooks",
    params(("ClientId" = String, Path)),
    request_body(content = NewHookBody, content_type = "application/json"),
    responses((status = 200, description = "The hook", body = HookJson),
        (status = 400, description = "A parameter is missing or wrong, or the EventType has a hook already", body = super::openapi::Error)))]
pub async fn create(
    State(state): State<MangopayState>,
    client: Client,
    MpPath(_client_id): MpPath<String>,
    Body(body): Body,
) -> MpResult<Response> {
    let event_type = text(&body, "EventType")?
        .ok_or_else(|| MpError::param("EventType", "The EventType field is required."))?;
    let topics = event_topics(event_type);
    if topics.is_empty() {
        return Err(MpError::param(
            "EventType",
            format!("{event_type} is not a valid EventType"),
        ));
    }
    let url = url(&body)?.ok_or_else(|| MpError::param("Url", "The Url field is required."))?;
    let tag = tag(&body)?.flatten();
    let endpoint = state
        .core
        .add_endpoint(NewEndpoint {
            account: client.scope.account.clone(),
            mode: client.scope.mode,
            scheme: SCHEME,
            url,
            topics,
            label: Some(event_type.to_owned()),
            tag,
            signed: false,
        })
        .await
        .map_err(endpoint_error)?;
    Ok(json(&hook(&endpoint)))
}

async fn find(state: &MangopayState, client: &Client, raw: &str) -> MpResult<Endpoint> {
    let not_found = || MpError::not_found("Hook", raw);
    let id = Id::parse(IdKind::Endpoint, raw).map_err(|_| not_found())?;
    state
        .core
        .endpoint(&client.scope.account, &id)
        .await?
        .filter(|e| e.scheme == SCHEME && e.mode == client.scope.mode)
        .ok_or_else(not_found)
}

#[utoipa::path(get, operation_id = "viewHook", path = "/{ClientId}/hooks/{HookId}", tag = "hooks",
    params(("ClientId" = String, Path), ("HookId" = String, Path)),
    responses((status = 200, description = "The hook", body = HookJson),
        (status = 404, description = "No such hook", body = super::openapi::Error)))]
pub async fn view(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let endpoint = find(&state, &client, &id).await?;
    Ok(json(&hook(&endpoint)))
}

#[utoipa::path(put, operation_id = "updateHook", path = "/{ClientId}/hooks/{HookId}", tag = "hooks",
    params(("ClientId" = String, Path), ("HookId" = String, Path)),
    request_body(content = HookUpdateBody, content_type = "application/json"),
    responses((status = 200, description = "The hook", body = HookJson),
        (status = 400, description = "A parameter is wrong", body = super::openapi::Error),
        (status = 404, description = "No such hook", body = super::openapi::Error)))]
pub async fn update(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
    Body(body): Body,
) -> MpResult<Response> {
    let mut endpoint = find(&state, &client, &id).await?;
    if let Some(url) = url(&body)? {
        endpoint.url = url;
    }
    if let Some(tag) = tag(&body)? {
        endpoint.tag = tag;
    }
    match text(&body, "Status")? {
        None => {}
        Some("ENABLED") => {
            if !endpoint.enabled {
                // Disabling and enabling again revives an INVALID hook.
                endpoint.valid = true;
                endpoint.consecutive_failures = 0;
            }
            endpoint.enabled = true;
        }
        Some("DISABLED") => endpoint.enabled = false,
        Some(_) => return Err(MpError::param("Status", "Status is ENABLED or DISABLED")),
    }
    match text(&body, "Validity")? {
        None | Some("INVALID" | "UNKNOWN") => {}
        Some("VALID") => {
            endpoint.valid = true;
            endpoint.consecutive_failures = 0;
        }
        Some(_) => return Err(MpError::param("Validity", "Validity is VALID or INVALID")),
    }
    state
        .core
        .update_endpoint(&endpoint)
        .await
        .map_err(endpoint_error)?;
    Ok(json(&hook(&endpoint)))
}

#[utoipa::path(get, operation_id = "listHooks", path = "/{ClientId}/hooks", tag = "hooks",
    params(("ClientId" = String, Path)),
    responses((status = 200, description = "The hooks, enabled and disabled, with paging headers", body = Vec<HookJson>)))]
pub async fn list(
    State(state): State<MangopayState>,
    client: Client,
    MpPath(_client_id): MpPath<String>,
    uri: OriginalUri,
) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    let mut all = state
        .core
        .endpoints(&client.scope.account, Some(client.scope.mode), SCHEME)
        .await?;
    if input.order == crate::domain::Order::ReverseChronological {
        all.reverse();
    }
    let query = input.query(state.core.now_for(&client.scope).await?);
    let page: Vec<HookJson> = all
        .iter()
        .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(query.limit).unwrap_or(0))
        .map(hook)
        .collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    Ok(respond(&page, total, &input, &list_url(&state, &uri)))
}

#[utoipa::path(get, operation_id = "listEvents", path = "/{ClientId}/events", tag = "hooks",
    params(("ClientId" = String, Path),
        ("EventType" = Option<String>, Query, description = "Only this type (optional)"),
        ("BeforeDate" = Option<i64>, Query, description = "Unix seconds"),
        ("AfterDate" = Option<i64>, Query, description = "Unix seconds; at most 45 days ago")),
    responses((status = 200, description = "Events, with paging headers", body = Vec<EventJson>),
        (status = 400, description = "A parameter is wrong, or the range reaches back more than 45 days", body = super::openapi::Error)))]
pub async fn events(
    State(state): State<MangopayState>,
    client: Client,
    MpPath(_client_id): MpPath<String>,
    uri: OriginalUri,
) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    let now = state.core.now_for(&client.scope).await?;
    let oldest = now - EVENT_WINDOW;
    let too_old = "Events older than 45 days can not be searched";
    for (field, date) in [("AfterDate", input.after), ("BeforeDate", input.before)] {
        if date.is_some_and(|d| d < oldest.timestamp()) {
            return Err(MpError::param(field, too_old));
        }
    }
    let mut topics = Vec::new();
    for (name, value) in url::form_urlencoded::parse(uri.0.query().unwrap_or("").as_bytes()) {
        if name.eq_ignore_ascii_case("EventType") {
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let named = event_topics(part);
                if named.is_empty() {
                    return Err(MpError::param(
                        "EventType",
                        format!("{part} is not a valid EventType"),
                    ));
                }
                topics.extend(named);
            }
        }
    }
    if topics.is_empty() {
        topics = EVENT_TYPES.iter().map(|(_, t)| *t).collect();
    }
    let mut query = input.query(now);
    query.from = query.from.max(oldest);
    query.unbounded = false;
    let page = state
        .core
        .list_events(
            &client.scope,
            &EventFilter {
                topics,
                dispute: None,
            },
            &query,
        )
        .await?;
    let items: Vec<EventJson> = page
        .items
        .iter()
        .filter_map(|e| {
            Some(EventJson {
                resource_id: resource_id(e),
                event_type: event_type(e.topic)?,
                date: e.created_at.timestamp(),
            })
        })
        .collect();
    Ok(respond(&items, page.total, &input, &list_url(&state, &uri)))
}

/// Mangopay hook notifications.
pub struct MangopayHooks;

impl crate::webhooks::Dialect for MangopayHooks {
    fn request(
        &self,
        event: &Event,
        endpoint: &Endpoint,
        _now: DateTime<Utc>,
    ) -> Option<crate::webhooks::Outgoing> {
        let name = event_type(event.topic)?;
        let mut url = url::Url::parse(&endpoint.url).ok()?;
        url.query_pairs_mut()
            .append_pair("EventType", name)
            .append_pair("RessourceId", resource_id(event))
            .append_pair("Date", &event.created_at.timestamp().to_string());
        let url = String::from(url);
        Some(crate::webhooks::Outgoing {
            method: reqwest::Method::GET,
            payload: url.clone(),
            url,
            headers: Vec::new(),
            body: None,
        })
    }

    /// Every 10 minutes for the first hour, then every 8 hours for 3 days.
    fn schedule(&self) -> Vec<TimeDelta> {
        let mut waits = vec![TimeDelta::minutes(10); 6];
        waits.extend(vec![TimeDelta::hours(8); 9]);
        waits
    }

    /// A hook must answer within 2 seconds.
    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(2)
    }

    fn invalid_after(&self) -> Option<i64> {
        Some(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_is_one_topic_and_back() {
        for (name, topic) in EVENT_TYPES {
            assert_eq!(event_type(topic), Some(name));
            assert!(event_topics(name).contains(&topic));
        }
        assert_eq!(
            event_topics("DISPUTE_DOCUMENT_FAILED"),
            [Topic::DocumentRefused, Topic::DocumentQuarantined]
        );
        assert_eq!(
            parse_event_type("DISPUTE_DOCUMENT_FAILED"),
            Some(Topic::DocumentRefused)
        );
        assert_eq!(event_type(Topic::DisputeUpdated), None);
        assert_eq!(parse_event_type("PAYIN_NORMAL_CREATED"), None);
    }
}
