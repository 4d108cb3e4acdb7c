//! What a process remembers for a short time (`AUTH_CACHE_TTL`): verified keys, bearer tokens
//! and the accounts' test clocks, so that most requests cost no database round trip before
//! their own. Only what verified is put in, so unknown secrets cannot fill it; it is bounded all
//! the same. What
//! changes elsewhere (a key revoked through another process) shows here after at most the TTL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The most entries kept; past it the stale ones go, and if none is stale, all of them.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache whose entries live `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The value remembered for `key`, if it is younger than the TTL.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self
            .entries
            .read()
            .expect("the cache lock is never poisoned");
        let (value, at) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .expect("the cache lock is never poisoned");
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets everything (this process changed what the entries say).
    pub fn clear(&self) {
        self.entries
            .write()
            .expect("the cache lock is never poisoned")
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_remembers_within_its_ttl_and_nothing_with_none() {
        let cache = TtlCache::new(Duration::from_secs(3600));
        assert_eq!(cache.get(&1), None);
        cache.insert(1, "one");
        assert_eq!(cache.get(&1), Some("one"));
        cache.clear();
        assert_eq!(cache.get(&1), None);
        let off = TtlCache::new(Duration::ZERO);
        off.insert(1, "one");
        assert_eq!(off.get(&1), None);
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = TtlCache::new(Duration::from_secs(3600));
        for n in 0..=MAX_ENTRIES {
            cache.insert(n, n);
        }
        assert_eq!(cache.get(&MAX_ENTRIES), Some(MAX_ENTRIES));
        assert!(cache.entries.read().unwrap().len() <= MAX_ENTRIES);
    }
}
