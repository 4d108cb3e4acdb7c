//! The delivery worker: it claims due deliveries (several processes safely: a lease, taken with
//! `FOR UPDATE SKIP LOCKED` on Postgres), asks the endpoint's dialect for the request, sends it
//! outside any transaction, and records the attempt and what comes next: done on success, the
//! next try on the dialect's schedule (with jitter, and no sooner than a `Retry-After`), or dead
//! once the schedule has run out. At least once: a crash between sending and recording means
//! the same event, with the same id, is sent again when the lease ends.

pub mod guard;
pub mod sign;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use rand::Rng;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER};
use tokio::sync::Notify;

pub use crate::config::Schedule;
use crate::core::Core;
use crate::domain::{Delivery, Endpoint, Event};
use crate::metrics::DeliveryOutcome;
use crate::store::{AttemptRecord, Outcome};
use guard::{Guard, GuardedResolver};

/// The most of a response body that is read; the rest is left unread.
pub const MAX_RESPONSE_READ: usize = 64 * 1024;
/// The most of a response body that is kept with the attempt.
pub const RESPONSE_EXCERPT: usize = 1024;
/// How many deliveries one pass claims, and sends at once.
const BATCH: i64 = 32;
const PARALLEL: usize = 8;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(HeaderName, String)>,
    /// What the attempt records as sent (the body, or the URL for a GET).
    pub payload: String,
    pub body: Option<String>,
}

/// What a dialect decides about its endpoints' requests.
pub trait Dialect: Send + Sync {
    /// The request that tells `endpoint` of `event`, signed as of `now`; `None` when the dialect
    /// does not tell of this event.
    fn request(&self, event: &Event, endpoint: &Endpoint, now: DateTime<Utc>) -> Option<Outgoing>;
    /// The waits before the second, third, … attempt. Once they are used up, a delivery is dead.
    fn schedule(&self) -> Vec<TimeDelta>;
    /// How long an attempt may take.
    fn timeout(&self) -> Duration;
    /// Whether a status is success.
    fn succeeded(&self, status: u16) -> bool {
        (200..300).contains(&status)
    }
    /// After this many failures in a row the endpoint is marked invalid and no longer sent to.
    fn invalid_after(&self) -> Option<i64> {
        None
    }
}

/// The worker's settings.
#[derive(Clone)]
pub struct WorkerSettings {
    pub allow: Vec<ipnet::IpNet>,
    /// Replaces every dialect's schedule (tests, impatient operators).
    pub schedule: Option<Vec<TimeDelta>>,
    /// Replaces every dialect's time-out.
    pub timeout: Option<Duration>,
    /// How often to look for due deliveries when nothing wakes the worker.
    pub poll: Duration,
    /// Reminders and what happens at a deadline, checked on every pass.
    pub deadlines: crate::core::deadlines::DeadlineSettings,
}

#[derive(Clone)]
pub struct Worker {
    core: Core,
    client: reqwest::Client,
    guard: Arc<Guard>,
    dialects: Arc<HashMap<String, Arc<dyn Dialect>>>,
    settings: WorkerSettings,
    /// Wakes the worker early (a change was just committed).
    pub wake: Arc<Notify>,
}

impl Worker {
    pub fn new(
        core: Core,
        dialects: HashMap<String, Arc<dyn Dialect>>,
        settings: WorkerSettings,
    ) -> Worker {
        let guard = Arc::new(Guard::new(settings.allow.clone()));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver(Arc::clone(&guard))))
            .user_agent(concat!("dispute-docs/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(2)
            .build()
            .expect("the webhook HTTP client builds");
        Worker {
            core,
            client,
            guard,
            dialects: Arc::new(dialects),
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    fn lease(&self) -> TimeDelta {
        let longest = self
            .dialects
            .values()
            .map(|d| self.settings.timeout.unwrap_or(d.timeout()))
            .max()
            .unwrap_or(Duration::from_secs(10));
        TimeDelta::from_std(longest).unwrap_or(TimeDelta::MAX) + TimeDelta::seconds(60)
    }

    /// One pass: the deadlines now due (whose events join this pass), then claims what is due
    /// and sends it. Returns how many attempts were made.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        self.core.run_deadlines(&self.settings.deadlines).await?;
        let now = self.core.clock.now();
        let claimed = self
            .core
            .store
            .claim_deliveries(now, now + self.lease(), BATCH)
            .await?;
        let count = claimed.len();
        let results: Vec<anyhow::Result<()>> = futures::stream::iter(claimed)
            .map(|d| self.deliver(d))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(count)
    }

    /// Passes until nothing is due. Returns how many attempts were made in all.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` resolves: a pass, then a wait for a wake-up or the poll interval.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let pass = async {
                match self.run_once().await {
                    Ok(n) if n > 0 => return true,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "webhook delivery pass failed"),
                }
                false
            };
            let busy = tokio::select! {
                busy = pass => busy,
                () = &mut shutdown => return,
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll) => {}
                () = &mut shutdown => return,
            }
        }
    }

    async fn deliver(&self, delivery: Delivery) -> anyhow::Result<()> {
        let store = &self.core.store;
        let (Some(endpoint), Some(event)) = (
            store.endpoint(&delivery.endpoint).await?,
            store.event(None, &delivery.event).await?,
        ) else {
            return Ok(()); // the endpoint was removed meanwhile, and its deliveries with it
        };
        let Some(dialect) = self.dialects.get(&endpoint.scheme) else {
            tracing::warn!(scheme = %endpoint.scheme, "an endpoint of an unknown dialect");
            return Ok(());
        };
        let now = self.core.clock.now();
        let refused = |payload: String, error: &str| AttemptRecord {
            url: endpoint.url.clone(),
            payload,
            status: None,
            error: Some(error.to_owned()),
            latency_ms: 0,
            response: None,
            at: now,
            outcome: Outcome::Dead,
            invalid_after: None,
        };
        if !endpoint.enabled || !endpoint.valid {
            let record = refused(String::new(), "the endpoint is disabled");
            return self.record(&delivery, &record).await;
        }
        let Some(request) = dialect.request(&event, &endpoint, now) else {
            let record = refused(String::new(), "this endpoint is not told of this event");
            return self.record(&delivery, &record).await;
        };
        let timeout = self.settings.timeout.unwrap_or(dialect.timeout());
        let started = Instant::now();
        let sent = self.send(&request, timeout).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error, response, retry_after) = match sent {
            Ok(r) => (Some(r.status), None, Some(r.excerpt), r.retry_after),
            Err(e) => (None, Some(e), None, None),
        };
        let succeeded = status
            .and_then(|s| u16::try_from(s).ok())
            .is_some_and(|s| dialect.succeeded(s));
        let schedule = self.settings.schedule.clone().unwrap_or(dialect.schedule());
        let outcome = if succeeded {
            Outcome::Succeeded
        } else {
            match usize::try_from(delivery.attempts)
                .ok()
                .and_then(|n| schedule.get(n))
            {
                Some(wait) => Outcome::RetryAt(now + next_wait(*wait, retry_after)),
                None => Outcome::Dead,
            }
        };
        match (&outcome, status, &error) {
            (Outcome::Succeeded, ..) => {}
            (_, Some(status), _) => {
                tracing::info!(endpoint = %endpoint.id, event = %event.id, status, ?outcome, "webhook not accepted")
            }
            (_, None, Some(error)) => {
                tracing::info!(endpoint = %endpoint.id, event = %event.id, %error, ?outcome, "webhook not delivered")
            }
            _ => {}
        }
        let record = AttemptRecord {
            url: request.url,
            payload: request.payload,
            status,
            error,
            latency_ms,
            response,
            at: now,
            outcome,
            invalid_after: dialect.invalid_after(),
        };
        self.record(&delivery, &record).await
    }

    /// Records an attempt, and counts its outcome.
    async fn record(&self, delivery: &Delivery, record: &AttemptRecord) -> anyhow::Result<()> {
        self.core.store.record_attempt(delivery, record).await?;
        self.core.metrics.delivery(match record.outcome {
            Outcome::Succeeded => DeliveryOutcome::Succeeded,
            Outcome::RetryAt(_) => DeliveryOutcome::Retrying,
            Outcome::Dead => DeliveryOutcome::Failed,
        });
        Ok(())
    }

    async fn send(&self, request: &Outgoing, timeout: Duration) -> Result<Sent, String> {
        let url = reqwest::Url::parse(&request.url).map_err(|e| format!("bad url: {e}"))?;
        // An address in the URL itself is not resolved, so it is checked here.
        let literal = match url.host() {
            Some(url::Host::Ipv4(a)) => Some(std::net::IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => Some(std::net::IpAddr::V6(a)),
            _ => None,
        };
        if literal.is_some_and(|ip| !self.guard.permits(ip)) {
            return Err("the url's address is one webhooks may not reach".into());
        }
        let mut builder = self
            .client
            .request(request.method.clone(), url)
            .timeout(timeout);
        for (name, value) in &request.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                builder = builder.header(name, value);
            }
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = i64::from(response.status().as_u16());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(TimeDelta::seconds);
        let mut read = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while read.len() < MAX_RESPONSE_READ {
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(Ok(Some(chunk))) => read.extend_from_slice(&chunk),
                _ => break,
            }
        }
        read.truncate(RESPONSE_EXCERPT);
        Ok(Sent {
            status,
            excerpt: String::from_utf8_lossy(&read).into_owned(),
            retry_after,
        })
    }
}

struct Sent {
    status: i64,
    excerpt: String,
    retry_after: Option<TimeDelta>,
}

/// What went wrong, without the URL (which may carry a token in its query).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The wait before the next attempt: the schedule's, ±20 %, and no less than a `Retry-After`
/// (capped at a day).
fn next_wait(wait: TimeDelta, retry_after: Option<TimeDelta>) -> TimeDelta {
    let millis = wait.num_milliseconds();
    let jitter = if millis >= 5 {
        rand::rng().random_range(-(millis / 5)..=millis / 5)
    } else {
        0
    };
    let jittered = TimeDelta::milliseconds(millis + jitter);
    match retry_after {
        Some(asked) => jittered.max(asked.min(TimeDelta::days(1))),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_jittered_within_a_fifth_and_honour_retry_after() {
        for _ in 0..100 {
            let w = next_wait(TimeDelta::seconds(100), None);
            assert!(
                w >= TimeDelta::seconds(80) && w <= TimeDelta::seconds(120),
                "{w}"
            );
        }
        let w = next_wait(TimeDelta::seconds(10), Some(TimeDelta::seconds(600)));
        assert_eq!(w, TimeDelta::seconds(600));
        let w = next_wait(TimeDelta::seconds(10), Some(TimeDelta::days(9)));
        assert_eq!(w, TimeDelta::days(1));
    }
}
