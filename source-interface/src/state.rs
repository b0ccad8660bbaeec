//! Shared application state: the store, the submission key, sessions and settings.

use std::sync::Arc;
use std::time::Duration;

use postern_core::Clock;
use postern_crypto::{InstanceSecrets, KdfWorkspace, KeyProblem, SubmissionKey};
use postern_store::{Store, StoreError};
use postern_web::WorkQueue;

use crate::i18n::Tr;
use crate::session::Sessions;

/// How many codename derivations may run at once: one, so a flood of logins leaves
/// the other core to uploads and the server holds exactly one 19 MiB workspace. A
/// wrong codename costs one 19 MiB argon2id run (about 40 ms), a right one or a new
/// account two: about 25 wrong guesses a second.
const CONCURRENT_DERIVATIONS: usize = 1;
/// Logins and account creations allowed to queue for the derivation permit: a few
/// hundred bytes each, and about 10 s of wrong guesses. Every client (session,
/// circuit) holds one place at most, so a request that gets in waits behind at most
/// this many others, and a flood by fewer clients than this refuses nobody.
const MAX_WAITING_DERIVATIONS: usize = 256;

/// Settings of the source interface that come from the configuration file.
#[derive(Debug, Clone)]
pub struct SourceAppConfig {
    /// Largest accepted submission request body, in bytes.
    pub max_upload_bytes: u64,
    /// Most accounts that have never submitted; past it `/create` is refused.
    pub max_pending_sources: u64,
    /// Absolute lifetime of a session.
    pub session_lifetime: Duration,
    /// The source interface's onion address (`…onion`), when known.
    pub v3_source_url: Option<String>,
    /// Non-loopback addresses the administrator exposed the interface on; requests may
    /// name them in `Host` as well as loopback and the onion address.
    pub exposed_addresses: Vec<std::net::IpAddr>,
    /// The locales offered (BCP 47), as the configuration lists them.
    pub locales: Vec<String>,
    /// The time of sessions and of the key's re-checks (tests use a manual one).
    pub clock: Clock,
}

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct SourceState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<Store>,
    pub(crate) key: Result<SubmissionKey, KeyProblem>,
    pub(crate) secrets: InstanceSecrets,
    pub(crate) sessions: Sessions,
    pub(crate) config: SourceAppConfig,
    pub(crate) tr: Tr,
    /// Codename derivations: one at a time, [`MAX_WAITING_DERIVATIONS`] waiting.
    pub(crate) derivation_queue: WorkQueue,
    /// Uploads being received, and who sends them.
    pub(crate) upload_slots: Arc<crate::admission::UploadSlots>,
    /// Derivations run so far (tests check that bad input runs none).
    pub(crate) derivations: std::sync::atomic::AtomicU64,
    /// Whether the submission key was still usable at the last check, and when that was.
    pub(crate) key_check: std::sync::Mutex<(std::time::Instant, bool)>,
    /// The one argon2 workspace; taken only while holding a permit.
    pub(crate) kdf_workspace: std::sync::Mutex<KdfWorkspace>,
    pub(crate) server_os: Option<String>,
    /// The onion address, once the onion service has launched.
    pub(crate) onion_url: std::sync::OnceLock<String>,
}

impl SourceState {
    /// Builds the state. With `key` an error, every page answers 503 "offline".
    pub fn new(
        store: Arc<Store>,
        key: Result<SubmissionKey, KeyProblem>,
        secrets: InstanceSecrets,
        config: SourceAppConfig,
    ) -> Self {
        let sessions = crate::session::sessions(config.session_lifetime, config.clock.clone());
        let now = config.clock.now();
        Self {
            inner: Arc::new(Inner {
                store,
                key,
                secrets,
                sessions,
                config,
                tr: Tr::en_us(),
                derivation_queue: WorkQueue::new(CONCURRENT_DERIVATIONS, MAX_WAITING_DERIVATIONS),
                upload_slots: crate::admission::UploadSlots::new(),
                derivations: std::sync::atomic::AtomicU64::new(0),
                key_check: std::sync::Mutex::new((now, true)),
                kdf_workspace: std::sync::Mutex::new(KdfWorkspace::new()),
                server_os: read_os_version(),
                onion_url: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Records the source interface's onion address (`….onion`) once its onion service
    /// has launched; `/metadata` and the Tor2Web page show it from then on.
    pub fn set_v3_source_url(&self, url: &str) {
        let _ = self.inner.onion_url.set(url.to_owned());
    }

    /// The onion address, from the configuration or the running onion service.
    pub(crate) fn v3_source_url(&self) -> Option<String> {
        self.inner.config.v3_source_url.clone().or_else(|| self.inner.onion_url.get().cloned())
    }

    /// How many codename derivations this server has run (for tests and benchmarks).
    pub fn derivation_count(&self) -> u64 {
        self.inner.derivations.load(std::sync::atomic::Ordering::SeqCst)
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

/// `VERSION_ID` from `/etc/os-release`, as SecureDrop's `/metadata` reports it.
fn read_os_version() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines().find_map(|l| l.strip_prefix("VERSION_ID=")).map(|v| v.trim_matches('"').to_owned())
}
