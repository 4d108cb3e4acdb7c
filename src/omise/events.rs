//! Events in the Omise dialect: `GET /events`, `GET /events/{id}`, a dispute's own trail at
//! `GET /disputes/{id}/events`, and the webhook POST that carries an event to an endpoint.
//!
//! Which topic is which Omise key (`event_key`): opening is `dispute.create`; winning and losing
//! (accept included) `dispute.close` alone; every other change the merchant sees on the dispute
//! (its message, submission, escalation, reopening, a document added or removed)
//! `dispute.update`. Document reviews have no Omise key and are not shown here. `data` is the
//! dispute as the change left it, in the account's default shape at the time, with its
//! download links signed as of then: rendered from the event's snapshot, which never changes.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, VERSION_PREFERENCE};
use super::input::{Input, ListParams};
use super::openapi::{DisputePath, Error};
use super::render::{DisputeJson, ListJson, Path, Renderer, WireTime, json};
use super::version::ApiVersion;
use super::{ApiError, ApiResult, OmiseState, PathParams, path_id};
use crate::domain::list::DEFAULT_LIMIT;
use crate::domain::{Attempt, Event, IdKind};
use crate::signing::Signer;
use crate::store::EventFilter;

pub use crate::wire::omise::events::{SCHEME, event_key, topics};

/// An event.
#[derive(Serialize, ToSchema)]
pub struct EventJson<'a> {
    object: &'static str,
    id: &'a str,
    livemode: bool,
    #[schema(value_type = String)]
    location: Path<'a>,
    webhook_deliveries: Vec<WebhookDeliveryJson<'a>>,
    #[schema(value_type = Object)]
    data: DisputeJson<'a>,
    key: &'static str,
    #[schema(value_type = String, format = DateTime)]
    created_at: WireTime,
}

/// One attempt at pushing an event to an endpoint.
#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryJson<'a> {
    object: &'static str,
    id: String,
    uri: &'a str,
    /// The HTTP status received; null when none came back.
    status: Option<i64>,
    key: &'static str,
    /// What went wrong short of a status.
    error: Option<&'a str>,
    /// The exact body sent.
    payload: &'a str,
    #[schema(value_type = String, format = DateTime)]
    created_at: WireTime,
}

/// What renders an event as it was: the shape the account had then, links signed as of then.
pub struct EventRenderer<'a> {
    pub base_url: &'a str,
    pub signer: &'a Signer,
}

impl EventRenderer<'_> {
    fn shape(event: &Event) -> ApiVersion {
        event
            .preferences
            .get(VERSION_PREFERENCE)
            .and_then(|v| v.as_str())
            .and_then(|v| ApiVersion::parse(v).ok())
            .unwrap_or(ApiVersion::DEFAULT)
    }

    /// The event, with the attempts made so far; `None` for a topic Omise does not tell of.
    pub fn event<'a>(&self, event: &'a Event, attempts: &'a [Attempt]) -> Option<EventJson<'a>> {
        let key = event_key(event.topic)?;
        let renderer = Renderer {
            version: Self::shape(event),
            now: event.created_at,
            base_url: self.base_url,
            signer: self.signer,
        };
        let embedded = event.documents.len().min(DEFAULT_LIMIT as usize);
        let id = event.id.as_str();
        let marker = if event.mode.is_live() { "" } else { "test_" };
        Some(EventJson {
            object: "event",
            id,
            livemode: event.mode.is_live(),
            location: Path::of(&["/events/", id]),
            webhook_deliveries: attempts
                .iter()
                .map(|a| WebhookDeliveryJson {
                    object: "webhook_delivery",
                    id: format!("whdl_{marker}{:019}", a.seq),
                    uri: &a.url,
                    status: a.status,
                    key,
                    error: a.error.as_deref(),
                    payload: &a.payload,
                    created_at: WireTime(a.created_at),
                })
                .collect(),
            data: renderer.dispute(&event.dispute, &event.documents[..embedded]),
            key,
            created_at: WireTime(event.created_at),
        })
    }

    /// The body of the webhook POST: the event without deliveries, as Omise sends it.
    pub fn payload(&self, event: &Event) -> Option<String> {
        self.event(event, &[])
            .map(|e| serde_json::to_string(&e).expect("an event serializes"))
    }
}

fn renderer(state: &OmiseState) -> EventRenderer<'_> {
    EventRenderer {
        base_url: &state.base_url,
        signer: &state.core.signer,
    }
}

async fn list(
    state: &OmiseState,
    caller: &Caller,
    params: &ListParams,
    filter: EventFilter,
    location: &str,
) -> ApiResult<Response> {
    let render = state.renderer(caller.version, caller.now);
    let query = params.query(render.now)?;
    let page = state
        .core
        .list_events(&caller.scope, &filter, &query)
        .await?;
    let ids: Vec<_> = page.items.iter().map(|e| &e.id).collect();
    let attempts = state.core.attempts(&ids, SCHEME).await?;
    let events = renderer(state);
    let none = Vec::new();
    let data = page
        .items
        .iter()
        .filter_map(|e| events.event(e, attempts.get(&e.id).unwrap_or(&none)))
        .collect();
    Ok(json(&render.list(
        data,
        page.total,
        &query,
        Path::of(&[location]),
    )))
}

#[utoipa::path(get, operation_id = "listEvents", path = "/events", tag = "events", params(ListParams),
    responses((status = 200, description = "Every event of the account, paged", body = ListJson<EventJson>)))]
pub async fn list_all(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let filter = EventFilter {
        topics: topics(),
        dispute: None,
    };
    list(&state, &caller, &params, filter, "/events").await
}

#[utoipa::path(get, operation_id = "listDisputeEvents", path = "/disputes/{id}/events", tag = "events",
    params(DisputePath, ListParams),
    responses((status = 200, description = "The dispute's events, paged: its audit trail", body = ListJson<EventJson>),
        (status = 404, description = "No such dispute", body = Error)))]
pub async fn list_for_dispute(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    if state
        .core
        .dispute(Some(&caller.scope), &id)
        .await?
        .is_none()
    {
        return Err(ApiError::dispute_not_found(id.as_str()));
    }
    let location = format!("/disputes/{id}/events");
    let filter = EventFilter {
        topics: topics(),
        dispute: Some(id),
    };
    list(&state, &caller, &params, filter, &location).await
}

/// The event a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EventPath {
    /// An event id (evnt_test_… or evnt_…)
    id: String,
}

#[utoipa::path(get, operation_id = "retrieveEvent", path = "/events/{id}", tag = "events", params(EventPath),
    responses((status = 200, description = "The event, with its webhook deliveries so far", body = EventJson),
        (status = 404, description = "No such event", body = Error)))]
pub async fn retrieve(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError::NotFound(format!("event {id} was not found"));
    let event_id = path_id(IdKind::Event, &id, &caller)?;
    let event = state
        .core
        .event(Some(&caller.scope), &event_id)
        .await?
        .ok_or_else(not_found)?;
    let mut attempts: HashMap<_, _> = state.core.attempts(&[&event.id], SCHEME).await?;
    let attempts = attempts.remove(&event.id).unwrap_or_default();
    let body = renderer(&state)
        .event(&event, &attempts)
        .ok_or_else(not_found)?;
    Ok(json(&body))
}

/// Omise webhook requests: a POST of the event (without deliveries), `Content-Type` exactly
/// `application/json`, signed with Omise's headers and Standard Webhooks' alike.
pub struct OmiseWebhooks {
    pub base_url: std::sync::Arc<str>,
    pub signer: Signer,
}

impl crate::webhooks::Dialect for OmiseWebhooks {
    fn request(
        &self,
        event: &Event,
        endpoint: &crate::domain::Endpoint,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<crate::webhooks::Outgoing> {
        use crate::webhooks::sign;
        use axum::http::HeaderName;
        let body = EventRenderer {
            base_url: &self.base_url,
            signer: &self.signer,
        }
        .payload(event)?;
        let secrets = endpoint.signing_secrets(now);
        let ts = now.timestamp();
        let header = HeaderName::from_static;
        Some(crate::webhooks::Outgoing {
            method: reqwest::Method::POST,
            url: endpoint.url.clone(),
            headers: vec![
                (header("content-type"), "application/json".into()),
                (header("omise-signature"), sign::omise(&secrets, ts, &body)),
                (header("omise-signature-timestamp"), ts.to_string()),
                (header("webhook-id"), event.id.to_string()),
                (header("webhook-timestamp"), ts.to_string()),
                (
                    header("webhook-signature"),
                    sign::standard(&secrets, event.id.as_str(), ts, &body),
                ),
            ],
            payload: body.clone(),
            body: Some(body),
        })
    }

    /// About three days: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h (Standard
    /// Webhooks' example schedule, stopped at three days).
    fn schedule(&self) -> Vec<chrono::TimeDelta> {
        use chrono::TimeDelta as T;
        vec![
            T::seconds(5),
            T::minutes(5),
            T::minutes(30),
            T::hours(2),
            T::hours(5),
            T::hours(10),
            T::hours(14),
            T::hours(20),
            T::hours(20),
        ]
    }

    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(10)
    }
}
