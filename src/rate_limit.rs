//! Per-key request budgets (`RATE_LIMIT` requests a minute): kept in this process, or, with
//! `REDIS_URL`, in Redis, where every server process draws on the same budget. Both are the
//! same cell rate algorithm (GCRA, as the `governor` crate implements it): a key may burst its
//! whole minute's budget, then gets one more request every `60 s / RATE_LIMIT`; a refused
//! request learns how long to wait, which becomes its `Retry-After`.
//!
//! A key is whatever a door counts by: an API key's id (the Omise and Mangopay dialects), or a
//! name of the door's own (`signin-address:…`, `signin-key:…`, `link:…`), so that each counts
//! apart. In Redis a key's state is one number, its theoretical arrival time, under
//! `dispute-docs:ratelimit:<key>`, expiring once the key's budget is whole again. One script
//! reads and updates it on Redis's own clock, so processes on machines whose clocks disagree
//! share one budget, in one round trip per request.
//!
//! If Redis does not answer within `REDIS_DEADLINE`, the request is let through (fail open):
//! a rate limit protects the service from a runaway client, and refusing every request while
//! Redis is away would turn a Redis outage into an outage of the API. The failure is logged as a
//! warning at most once every `WARN_EVERY`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisUrl;

/// Where every key's state lives in Redis, followed by the key's id.
pub const NAMESPACE: &str = "dispute-docs:ratelimit:";
/// The longest a request waits for Redis's verdict before it is let through.
const REDIS_DEADLINE: Duration = Duration::from_millis(500);
/// The least time between two warnings that Redis is away.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// GCRA over Redis's clock, in microseconds. KEYS[1]: the key's state (its theoretical arrival
/// time). ARGV[1]: the emission interval (60 s / RATE_LIMIT); ARGV[2]: the tolerance (the
/// interval times the budget less one). Returns 0 when the request may go, else how long it
/// must wait. The state expires when it would be as good as absent.
const GCRA: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = tonumber(stored) end
local earliest = tat - tolerance
if now < earliest then
  return earliest - now
end
local next = math.max(tat, now) + interval
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000))
return 0
";

/// A refused request: how long until the key may make another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

/// How many checks of the local limiter between two sweeps of the keys whose budget is whole
/// again (client addresses and keys tried would otherwise pile up).
const SWEEP_EVERY: u64 = 4096;

/// The limiter of one process: its own counts, or Redis's shared ones.
pub enum RateLimiter {
    Local(LocalLimiter),
    Redis(RedisLimiter),
}

/// The budgets of this process.
pub struct LocalLimiter {
    limiter: governor::DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl RateLimiter {
    /// `per_minute` requests a minute per key, counted in Redis when `redis` is set (connected
    /// lazily: `connect` checks it answers), else in this process.
    pub fn new(per_minute: NonZeroU32, redis: Option<&RedisUrl>) -> RateLimiter {
        match redis {
            Some(url) => RateLimiter::Redis(RedisLimiter::new(per_minute, url)),
            None => RateLimiter::Local(LocalLimiter {
                limiter: governor::DefaultKeyedRateLimiter::keyed(governor::Quota::per_minute(
                    per_minute,
                )),
                checks: AtomicU64::new(0),
            }),
        }
    }

    /// Makes sure Redis answers, if the limit is kept there: a start-up with an unreachable
    /// `REDIS_URL` fails with this error rather than serving without its shared limit.
    pub async fn connect(&self) -> anyhow::Result<()> {
        match self {
            RateLimiter::Local(_) => Ok(()),
            RateLimiter::Redis(redis) => redis.ping().await,
        }
    }

    /// Counts one request of `key`: `Ok` if it may go, else how long it must wait.
    pub async fn check(&self, key: &str) -> Result<(), Limited> {
        match self {
            RateLimiter::Local(local) => local.check(key),
            RateLimiter::Redis(redis) => redis.check(key).await,
        }
    }
}

impl LocalLimiter {
    fn check(&self, key: &str) -> Result<(), Limited> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key.to_owned()).map_err(|wait| {
            let now = governor::clock::Clock::now(&governor::clock::DefaultClock::default());
            Limited {
                retry_after: wait.wait_time_from(now),
            }
        })
    }
}

/// The budgets in Redis.
pub struct RedisLimiter {
    connection: ConnectionManager,
    script: redis::Script,
    url: String,
    /// Microseconds between two requests of a key, once its burst is spent.
    interval: u64,
    /// How far ahead of now a key's arrival time may run: its burst less one request.
    tolerance: u64,
    /// When Redis was last reported away (Unix seconds; 0: never).
    last_warning: AtomicU64,
}

impl RedisLimiter {
    fn new(per_minute: NonZeroU32, url: &RedisUrl) -> RedisLimiter {
        let client = redis::Client::open(url.expose()).expect("REDIS_URL was parsed");
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_DEADLINE))
            .set_response_timeout(Some(REDIS_DEADLINE))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .expect("a connection manager without push subscriptions");
        let interval = 60_000_000 / u64::from(per_minute.get());
        RedisLimiter {
            connection,
            script: redis::Script::new(GCRA),
            url: url.redacted(),
            interval,
            tolerance: interval * u64::from(per_minute.get() - 1),
            last_warning: AtomicU64::new(0),
        }
    }

    async fn ping(&self) -> anyhow::Result<()> {
        let mut connection = self.connection.clone();
        let ping = redis::cmd("PING");
        tokio::time::timeout(
            Duration::from_secs(5),
            ping.query_async::<String>(&mut connection),
        )
        .await
        .map_err(|_| anyhow::anyhow!("no answer within 5 s"))
        .and_then(|answer| answer.map_err(anyhow::Error::from))
        .with_context(|| format!("REDIS_URL {}: Redis does not answer", self.url))?;
        Ok(())
    }

    async fn check(&self, key: &str) -> Result<(), Limited> {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(format!("{NAMESPACE}{key}"));
        invocation.arg(self.interval).arg(self.tolerance);
        let verdict = tokio::time::timeout(
            REDIS_DEADLINE,
            invocation.invoke_async::<u64>(&mut connection),
        )
        .await;
        match verdict {
            Ok(Ok(0)) => Ok(()),
            Ok(Ok(wait)) => Err(Limited {
                retry_after: Duration::from_micros(wait),
            }),
            Ok(Err(e)) => {
                self.warn(&e);
                Ok(())
            }
            Err(_) => {
                self.warn(&format!("no answer within {REDIS_DEADLINE:?}"));
                Ok(())
            }
        }
    }

    /// Logs that Redis is away, unless that was said less than `WARN_EVERY` ago.
    fn warn(&self, error: &dyn std::fmt::Display) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_warning.load(Ordering::Relaxed);
        if now.saturating_sub(last) < WARN_EVERY.as_secs()
            || self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        tracing::warn!(
            redis = %self.url,
            error = %error,
            "the shared rate limit is not enforced: Redis does not answer, requests go through"
        );
    }
}
