//! The login throttle: five attempts a minute per user name. Real accounts are counted
//! in the store (SecureDrop's table), names without an account here, in memory, by the
//! same rule.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// Attempts allowed per user within [`THROTTLE_WINDOW`]; the next is refused even with
/// correct credentials.
pub(crate) const MAX_ATTEMPTS: u64 = 5;
/// The throttling window.
pub(crate) const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// Most user names without an account whose attempts are remembered at once. Attempts
/// wait in the passphrase queue (a few a second), so a minute's worth is far fewer.
const MAX_UNKNOWN_NAMES: usize = 4096;

/// Attempts on user names that have no account, throttled exactly as the store
/// throttles real accounts, so that neither the answer nor its timing tells whether a
/// name exists. In memory: it guards no secret, and a restart only resets it. Names are
/// kept as keyed hashes, so the table's size does not depend on what clients send.
#[derive(Default)]
pub(crate) struct UnknownNames {
    attempts: Mutex<HashMap<u64, VecDeque<u64>>>,
    /// A random key per process: nobody can choose names that share a hash.
    hasher: std::hash::RandomState,
}

impl UnknownNames {
    /// Records an attempt on `name` at `now` (seconds) and returns how many fell within
    /// [`THROTTLE_WINDOW`], this one included.
    pub(crate) fn record(&self, name: &str, now: u64) -> u64 {
        let since = now.saturating_sub(THROTTLE_WINDOW.as_secs());
        let name = std::hash::BuildHasher::hash_one(&self.hasher, name);
        let mut all = self.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.len() >= MAX_UNKNOWN_NAMES && !all.contains_key(&name) {
            all.retain(|_, at| at.back().is_some_and(|last| *last >= since));
            if all.len() >= MAX_UNKNOWN_NAMES {
                // Only reachable faster than the passphrase queue allows; forget one.
                let victim = all.keys().next().copied();
                victim.map(|v| all.remove(&v));
            }
        }
        let at = all.entry(name).or_default();
        while at.front().is_some_and(|t| *t < since) {
            at.pop_front();
        }
        at.push_back(now);
        at.len() as u64
    }
}
