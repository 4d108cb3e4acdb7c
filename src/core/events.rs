//! Events and the endpoints they are pushed to. Events are written by the store with the changes
//! they report; here they are read, and endpoints are registered, rotated and removed, and
//! deliveries listed and sent again.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use rand::Rng;

use super::Core;
use crate::domain::{
    Attempt, Delivery, DeliveryState, Endpoint, Event, Id, IdKind, ListPage, ListQuery, Mode,
    Scope, Topic,
};
use crate::store::{EventFilter, StoreError};

/// How long the key before a rotation still signs, beside the new one.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// The longest endpoint URL kept.
pub const MAX_URL_LEN: usize = 2048;

/// The endpoint URLs accepted, written as the OpenAPI documents state them: http(s), a host
/// name or IPv4 address, an optional port, a path and a query of plain URL characters (no
/// credentials, no fragment).
pub const URL_PATTERN: &str = "^https?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~%/-]*)?(\\?[A-Za-z0-9._~%=&/-]*)?$";

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error("account {0} was not found")]
    UnknownAccount(Id),
    /// The dialect allows one endpoint per label, and this one is taken.
    #[error("an endpoint is registered already for {0}")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An endpoint to register.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub account: Id,
    pub mode: Mode,
    pub scheme: &'static str,
    pub url: String,
    pub topics: Vec<Topic>,
    pub label: Option<String>,
    pub tag: Option<String>,
    /// Whether its requests are signed (it gets a secret).
    pub signed: bool,
}

/// A URL events may be pushed to in `mode`: `https`, or `http` in test mode; with a host; not
/// too long. (Where it points is checked when a request is sent, after DNS.)
pub fn check_url(raw: &str, mode: Mode) -> Result<url::Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("url is longer than {MAX_URL_LEN} characters"));
    }
    static PATTERN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(URL_PATTERN).expect("the URL pattern"));
    if !PATTERN.is_match(raw) {
        return Err(
            "url must be an http(s) URL of a host, an optional port, a path and a query".into(),
        );
    }
    let url = url::Url::parse(raw).map_err(|e| format!("url is not a valid URL: {e}"))?;
    match (url.scheme(), mode) {
        ("https", _) | ("http", Mode::Test) => {}
        ("http", Mode::Live) => return Err("url must be https in live mode".into()),
        _ => return Err("url must be http or https".into()),
    }
    if url.host().is_none() {
        return Err("url has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url must not carry credentials".into());
    }
    Ok(url)
}

/// A new signing key: 32 random bytes, in base64.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    STANDARD.encode(bytes)
}

impl Core {
    pub async fn list_events(
        &self,
        scope: &Scope,
        filter: &EventFilter,
        query: &ListQuery,
    ) -> Result<ListPage<Event>, StoreError> {
        self.store.list_events(scope, filter, query).await
    }

    pub async fn event(&self, scope: Option<&Scope>, id: &Id) -> Result<Option<Event>, StoreError> {
        self.store.event(scope, id).await
    }

    pub async fn attempts(
        &self,
        events: &[&Id],
        scheme: &str,
    ) -> Result<HashMap<Id, Vec<Attempt>>, StoreError> {
        self.store.attempts(events, scheme).await
    }

    pub async fn add_endpoint(&self, new: NewEndpoint) -> Result<Endpoint, EndpointError> {
        let url = check_url(&new.url, new.mode).map_err(EndpointError::InvalidUrl)?;
        // An endpoint that hears every topic is one per URL: registered twice, it would get
        // every event twice. (Endpoints with a label hear one event type each, and are one per label:
        // several may share a URL.)
        if new.label.is_none() {
            let existing = self
                .store
                .endpoints(&new.account, Some(new.mode), new.scheme)
                .await?;
            if existing.iter().any(|e| e.url == url.as_str()) {
                return Err(EndpointError::Taken(url.into()));
            }
        }
        let now = self.clock.now();
        let endpoint = Endpoint {
            id: Id::generate(IdKind::Endpoint, new.mode, now.timestamp()),
            account: new.account,
            mode: new.mode,
            scheme: new.scheme.to_owned(),
            url: url.into(),
            topics: new.topics,
            label: new.label,
            tag: new.tag,
            enabled: true,
            valid: true,
            consecutive_failures: 0,
            secret: new.signed.then(new_secret),
            previous_secret: None,
            previous_secret_until: None,
            created_at: now,
        };
        match self.store.insert_endpoint(&endpoint).await {
            Ok(()) => Ok(endpoint),
            Err(StoreError::MissingReference(_)) => {
                Err(EndpointError::UnknownAccount(endpoint.account))
            }
            Err(StoreError::Conflict(_)) => Err(EndpointError::Taken(
                endpoint.label.unwrap_or_else(|| endpoint.url.clone()),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn endpoints(
        &self,
        account: &Id,
        mode: Option<Mode>,
        scheme: &str,
    ) -> Result<Vec<Endpoint>, StoreError> {
        self.store.endpoints(account, mode, scheme).await
    }

    /// An endpoint of `account`.
    pub async fn endpoint(&self, account: &Id, id: &Id) -> Result<Option<Endpoint>, StoreError> {
        Ok(self
            .store
            .endpoint(id)
            .await?
            .filter(|e| &e.account == account))
    }

    /// Writes an endpoint's changed fields, its URL checked again.
    pub async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<(), EndpointError> {
        check_url(&endpoint.url, endpoint.mode).map_err(EndpointError::InvalidUrl)?;
        self.store.update_endpoint(endpoint).await?;
        Ok(())
    }

    /// Gives an endpoint a new key; the old one keeps signing beside it for a day.
    pub async fn rotate_secret(
        &self,
        account: &Id,
        id: &Id,
    ) -> Result<Option<Endpoint>, StoreError> {
        let Some(mut endpoint) = self.endpoint(account, id).await? else {
            return Ok(None);
        };
        endpoint.previous_secret = endpoint.secret.take();
        endpoint.previous_secret_until = Some(self.clock.now() + ROTATION_OVERLAP);
        endpoint.secret = Some(new_secret());
        self.store.update_endpoint(&endpoint).await?;
        Ok(Some(endpoint))
    }

    pub async fn remove_endpoint(&self, account: &Id, id: &Id) -> Result<bool, StoreError> {
        self.store.delete_endpoint(account, id).await
    }

    pub async fn deliveries(
        &self,
        account: Option<&Id>,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.store.deliveries(account, state, limit).await
    }

    pub async fn delivery(&self, seq: i64) -> Result<Option<Delivery>, StoreError> {
        self.store.delivery(seq).await
    }

    pub async fn delivery_attempts(
        &self,
        deliveries: &[i64],
    ) -> Result<HashMap<i64, Vec<Attempt>>, StoreError> {
        self.store.delivery_attempts(deliveries).await
    }

    /// Sends a delivery again from the start of its schedule, now.
    pub async fn redeliver(&self, seq: i64) -> Result<bool, StoreError> {
        self.store.redeliver(seq, self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_per_mode() {
        assert!(check_url("https://example.com/hook", Mode::Live).is_ok());
        assert!(check_url("http://example.com/hook", Mode::Test).is_ok());
        assert!(check_url("http://example.com/hook", Mode::Live).is_err());
        assert!(check_url("ftp://example.com/hook", Mode::Test).is_err());
        assert!(check_url("https://user:pw@example.com/", Mode::Test).is_err());
        assert!(check_url("not a url", Mode::Test).is_err());
        assert!(check_url("https://0*", Mode::Test).is_err());
        assert!(check_url("https://a.example:65536/", Mode::Test).is_err());
        assert!(check_url("https://a.example:8443/h?token=a%20b&x=1", Mode::Test).is_ok());
        assert!(check_url("http://127.0.0.1:9/hooks/omise?token=abc", Mode::Test).is_ok());
    }

    #[test]
    fn secrets_are_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(a).unwrap().len(), 32);
    }
}
