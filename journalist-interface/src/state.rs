//! Shared application state: the store, the submission key (for replies), sessions.

use std::sync::Arc;
use std::time::Duration;

use postern_crypto::{KeyProblem, SubmissionKey};
use postern_store::{Store, StoreError};
use postern_web::WorkQueue;

use crate::session::Sessions;

/// Passphrase hashes or checks (64 MiB of argon2id each) running at once.
pub(crate) const CONCURRENT_PASSWORD_WORK: usize = 2;
/// Requests allowed to wait for passphrase work; beyond it they get "busy".
pub(crate) const MAX_WAITING_PASSWORD_WORK: usize = 32;

/// Settings of the journalist interface that come from the configuration file.
#[derive(Debug, Clone)]
pub struct JournalistAppConfig {
    /// Lifetime of a session before renewal.
    pub session_lifetime: Duration,
    /// Issuer name shown in authenticator apps.
    pub otp_issuer: String,
    /// Non-loopback addresses the administrator exposed the interface on; requests may
    /// name them in `Host` as well as loopback and the onion address.
    pub exposed_addresses: Vec<std::net::IpAddr>,
    /// The time of sessions and of second-factor checks (tests use a manual one; the
    /// login throttle counts by the store's clock).
    pub clock: postern_core::Clock,
}

impl Default for JournalistAppConfig {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(2 * 3600),
            otp_issuer: "Postern".to_owned(),
            exposed_addresses: Vec::new(),
            clock: postern_core::Clock::system(),
        }
    }
}

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct JournalistState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<Store>,
    /// Replies are encrypted to it as well as to the source.
    pub(crate) key: Result<SubmissionKey, KeyProblem>,
    pub(crate) sessions: Sessions,
    /// Journalist API tokens, with the sessions' lifetime.
    pub(crate) api_tokens: Sessions,
    /// API v2 indexes built, until their shards change.
    pub(crate) sync_index: crate::api::v2::cache::IndexCache,
    pub(crate) config: JournalistAppConfig,
    /// Passphrase hashing and checks: [`CONCURRENT_PASSWORD_WORK`] at once,
    /// [`MAX_WAITING_PASSWORD_WORK`] waiting.
    pub(crate) password_queue: WorkQueue,
    /// The journalist onion address, once its onion service has launched.
    pub(crate) onion: std::sync::OnceLock<String>,
    /// Login attempts on user names without an account.
    pub(crate) unknown_names: Arc<crate::throttle::UnknownNames>,
}

impl JournalistState {
    /// Builds the state. Without a usable submission key, replies are refused with a
    /// clear message; everything else works.
    pub fn new(store: Arc<Store>, key: Result<SubmissionKey, KeyProblem>, config: JournalistAppConfig) -> Self {
        let sessions = crate::session::sessions(config.session_lifetime, config.clock.clone());
        let api_tokens = crate::session::api_tokens(config.session_lifetime, config.clock.clone());
        let password_queue = WorkQueue::new(CONCURRENT_PASSWORD_WORK, MAX_WAITING_PASSWORD_WORK);
        let onion = std::sync::OnceLock::new();
        let unknown_names = Arc::default();
        Self {
            inner: Arc::new(Inner {
                store,
                key,
                sessions,
                api_tokens,
                sync_index: Default::default(),
                config,
                password_queue,
                onion,
                unknown_names,
            }),
        }
    }

    /// Records the journalist onion address once its onion service has launched, so
    /// that requests naming it in `Host` are answered.
    pub fn set_onion_address(&self, address: &str) {
        let _ = self.inner.onion.set(address.to_owned());
    }

    /// Ends every web session and API token of `journalist` in this process (another
    /// process's end when they next check the account).
    pub(crate) fn end_sessions_of(&self, journalist: postern_core::JournalistId) {
        crate::session::end_all_for(&self.inner.sessions, journalist);
        crate::session::end_all_for(&self.inner.api_tokens, journalist);
    }

    /// Seconds since the Unix epoch, by this interface's clock.
    pub(crate) fn unix_now(&self) -> u64 {
        self.inner.config.clock.unix_seconds()
    }

    /// Runs a blocking store operation off the async threads.
    pub(crate) async fn with_store<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.inner.store);
        postern_web::blocking(move || op(&store)).await
    }
}
