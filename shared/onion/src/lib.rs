//! Postern's onion services, hosted in-process with arti: the only crate that names
//! `arti-client` or `tor-*`. Callers see our own types only: [`Tor`], [`ServiceOptions`],
//! [`OnionService`], [`OnionAddress`] and [`ClientKey`].
//!
//! Each accepted stream on virtual port 80 is handed to the caller as an
//! [`OnionStream`], a plain byte stream it serves exactly as a loopback TCP connection.
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod client_auth;
mod network;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arti_client::DataStream;
use arti_client::TorClient;
use arti_client::config::TorClientConfigBuilder;
use futures_util::StreamExt;
use safelog::DisplayRedacted;
use tor_cell::relaycell::msg::Connected;
use tor_config::Reconfigure;
use tor_hsservice::config::OnionServiceConfigBuilder;
use tor_hsservice::{RendRequest, RunningOnionService, StreamRequest};
use tor_proto::stream::IncomingStreamRequest;
use tor_rtcompat::PreferredRuntime;

pub use client_auth::{ClientKey, authorize_client, authorized_clients, revoke_client};

/// Whether this build can ask clients for proof of work (the `pow` feature).
pub const POW_AVAILABLE: bool = cfg!(feature = "pow");

/// The onion service's virtual port (HTTP).
const VIRTUAL_PORT: u16 = 80;

/// An error from Tor, described by what we were doing; arti's (or toml's) error is
/// kept as the source, behind [`TorCause`], so that its types stay out of our API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnionError {
    /// The arti network overlay file could not be read or parsed.
    #[error("unable to read the Tor network file")]
    NetworkFile(#[source] TorCause),
    /// The arti configuration was refused.
    #[error("invalid Tor configuration")]
    Config(#[source] TorCause),
    /// The Tor client could not be created (its state directory, say).
    #[error("unable to start the Tor client")]
    Start(#[source] TorCause),
    /// Starting the onion service failed.
    #[error("unable to launch the onion service")]
    Launch(#[source] TorCause),
    /// A file operation on client keys failed.
    #[error("unable to {op}: {cause}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The cause.
        #[source]
        cause: std::io::Error,
    },
    /// A device name is not usable as a file name and client nickname.
    #[error("a device name has 1 to 64 lower-case letters, digits, '-' or '_', and does not start with '-'")]
    BadDeviceName,
}

impl postern_core::HasKind for OnionError {
    fn kind(&self) -> postern_core::ErrorKind {
        use postern_core::ErrorKind;
        match self {
            Self::Io { cause, .. } if cause.kind() == std::io::ErrorKind::StorageFull => ErrorKind::DiskFull,
            Self::Io { .. } => ErrorKind::StoreUnavailable,
            // A bad network file, configuration, state directory or device name: the
            // operator's to fix.
            _ => ErrorKind::ConfigInvalid,
        }
    }
}

/// A foreign error behind an [`OnionError`]: its message and its own sources, without
/// its type.
#[derive(Debug)]
pub struct TorCause(Box<dyn std::error::Error + Send + Sync>);

impl TorCause {
    fn of(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }
}

impl std::fmt::Display for TorCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TorCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Where arti keeps its state, and which Tor network it joins.
#[derive(Debug, Clone)]
pub struct TorOptions {
    /// Private directory (0700) for arti's state and cache; the onion services' keys
    /// live under it, so their addresses survive restarts.
    pub state_dir: PathBuf,
    /// An arti configuration overlay for a non-default Tor network (a private test
    /// network's `arti-network.toml`); `None` joins the real Tor network.
    pub network: Option<PathBuf>,
}

/// One onion service's settings.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Names the service's keys in the state directory (`source`, `journalist`).
    pub nickname: String,
    /// Introduction points (1–20; Tor's default is 3).
    pub num_intro_points: u8,
    /// Introduction requests per second and burst the introduction points let through.
    pub intro_rate_limit: Option<(u32, u32)>,
    /// Streams one rendezvous circuit may open at once before it is closed.
    pub max_streams_per_circuit: u32,
    /// Ask clients for proof of work under load; ignored by a build without the `pow`
    /// feature (see [`POW_AVAILABLE`]).
    pub enable_pow: bool,
    /// Restricted discovery: only clients whose keys are in this directory can find
    /// the service. Read every few seconds, so authorising or revoking needs no restart.
    pub authorized_clients_dir: Option<PathBuf>,
}

/// A `.onion` address (56 base32 characters and `.onion`). `Debug` is redacted: the
/// journalist interface's address is itself a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OnionAddress(String);

impl OnionAddress {
    /// The address, for the places that must show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Parses a v3 address as written by [`OnionAddress::expose`].
pub fn parse_address(text: &str) -> Option<OnionAddress> {
    postern_core::is_v3_onion_host(text).then(|| OnionAddress(text.to_owned()))
}

impl std::fmt::Debug for OnionAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnionAddress([redacted])")
    }
}

/// A Tor client that hosts onion services.
pub struct Tor {
    client: Arc<TorClient<PreferredRuntime>>,
}

/// How long to wait before trying to bootstrap again after a failure.
const BOOTSTRAP_RETRY: Duration = Duration::from_secs(60);

impl Tor {
    /// Starts a Tor client (call inside a tokio runtime) that connects to the Tor
    /// network in the background, trying again every minute until it succeeds. Onion
    /// services can be launched at once: their keys, and so their addresses, exist
    /// before the network is reachable, and they publish when it is.
    pub fn start(options: &TorOptions) -> Result<Self, OnionError> {
        let builder: TorClientConfigBuilder = network::config_builder(options)?;
        let config = builder.build().map_err(|e| OnionError::Config(TorCause::of(e)))?;
        let client = TorClient::builder()
            .config(config)
            .create_unbootstrapped()
            .map_err(|e| OnionError::Start(TorCause::of(e)))?;
        let bootstrapping = Arc::clone(&client);
        tokio::spawn(async move {
            while let Err(e) = bootstrapping.bootstrap().await {
                tracing::warn!("unable to connect to the Tor network yet; trying again in a minute: {e}");
                tokio::time::sleep(BOOTSTRAP_RETRY).await;
            }
        });
        Ok(Self { client })
    }

    /// Launches an onion service and hands every stream to its port 80 to `on_stream`.
    pub fn serve<F>(&self, options: &ServiceOptions, on_stream: F) -> Result<OnionService, OnionError>
    where
        F: Fn(OnionStream) + Send + Sync + 'static,
    {
        let devices = match &options.authorized_clients_dir {
            Some(dir) => client_auth::authorized_keys(dir)?,
            None => BTreeMap::new(),
        };
        let config = service_config(options, &devices)?;
        let launched = self.client.launch_onion_service(config).map_err(|e| OnionError::Launch(TorCause::of(e)))?;
        let Some((service, requests)) = launched else {
            return Err(OnionError::Launch(TorCause::of("the service is disabled")));
        };
        let address = service
            .onion_address()
            .map(|id| OnionAddress(id.display_unredacted().to_string()))
            .ok_or_else(|| OnionError::Launch(TorCause::of("the service has no address")))?;
        let on_stream = Arc::new(on_stream);
        let task = tokio::spawn(async move {
            let mut requests = std::pin::pin!(requests);
            let mut circuits: u64 = 0;
            while let Some(rendezvous) = requests.next().await {
                circuits += 1;
                tokio::spawn(accept_circuit(rendezvous, circuits, Arc::clone(&on_stream)));
            }
        });
        let watcher = options
            .authorized_clients_dir
            .clone()
            .map(|dir| tokio::spawn(watch_devices(dir, options.clone(), devices, Arc::clone(&service))));
        Ok(OnionService { address, service, task, watcher })
    }
}

/// How often the authorised devices directory is read again.
const DEVICES_POLL: Duration = Duration::from_secs(5);

/// Keeps the service's authorised clients equal to the devices directory. We read the
/// directory ourselves and hand arti a static list: arti's own watcher starts only
/// once Tor is connected, and misses a device added before that.
async fn watch_devices(
    dir: PathBuf,
    options: ServiceOptions,
    mut current: BTreeMap<String, String>,
    service: Arc<RunningOnionService>,
) {
    loop {
        tokio::time::sleep(DEVICES_POLL).await;
        let devices = match client_auth::authorized_keys(&dir) {
            Ok(devices) => devices,
            Err(e) => {
                tracing::warn!("unable to read the journalist devices; keeping the last list: {e}");
                continue;
            }
        };
        if devices == current {
            continue;
        }
        let applied = service_config(&options, &devices).and_then(|c| {
            service.reconfigure(c, Reconfigure::AllOrNothing).map_err(|e| OnionError::Config(TorCause::of(e)))
        });
        match applied {
            Ok(()) => current = devices,
            Err(e) => tracing::warn!("unable to apply the journalist devices; keeping the last list: {e}"),
        }
    }
}

/// A running onion service; dropping it stops the service.
pub struct OnionService {
    address: OnionAddress,
    service: Arc<RunningOnionService>,
    task: tokio::task::JoinHandle<()>,
    /// Follows the authorised devices (restricted discovery only).
    watcher: Option<tokio::task::JoinHandle<()>>,
}

impl OnionService {
    /// Its address.
    pub fn address(&self) -> &OnionAddress {
        &self.address
    }

    /// Logs a warning, naming the service by `what` (never its address), if it has
    /// not published its first descriptor within `limit`; does not wait for it.
    pub fn warn_unless_published(&self, what: &'static str, limit: Duration) {
        let service = Arc::clone(&self.service);
        tokio::spawn(async move {
            if !published(service, limit).await {
                tracing::warn!("the {what} onion service has not published its descriptor yet; it keeps trying");
            }
        });
    }
}

async fn published(service: Arc<RunningOnionService>, limit: Duration) -> bool {
    let mut events = service.status_events();
    let wait = async {
        loop {
            let state = service.status().state();
            if state.is_fully_reachable() || matches!(state, tor_hsservice::status::State::DegradedUnreachable) {
                return true;
            }
            if events.next().await.is_none() {
                return false;
            }
        }
    };
    tokio::time::timeout(limit, wait).await.unwrap_or(false)
}

impl Drop for OnionService {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
    }
}

/// Completes a client's rendezvous, then accepts the streams of its circuit, numbered
/// `circuit` (what `handle_rend_requests` does, keeping which circuit a stream is on).
async fn accept_circuit(
    rendezvous: RendRequest,
    circuit: u64,
    on_stream: Arc<impl Fn(OnionStream) + Send + Sync + 'static>,
) {
    // A client that gives up during the rendezvous is normal; nothing to report.
    let Ok(streams) = rendezvous.accept().await else { return };
    let mut streams = std::pin::pin!(streams);
    while let Some(request) = streams.next().await {
        tokio::spawn(accept_stream(request, circuit, Arc::clone(&on_stream)));
    }
}

/// Accepts a stream to port 80 (a circuit asking for any other port is closed).
async fn accept_stream(
    request: StreamRequest,
    circuit: u64,
    on_stream: Arc<impl Fn(OnionStream) + Send + Sync + 'static>,
) {
    if !matches!(request.request(), IncomingStreamRequest::Begin(begin) if begin.port() == VIRTUAL_PORT) {
        let _ = request.shutdown_circuit();
        return;
    }
    if let Ok(stream) = request.accept(Connected::new_empty()).await {
        on_stream(OnionStream { stream, circuit });
    }
}

/// One client's stream to the onion service: bytes in, bytes out.
pub struct OnionStream {
    stream: DataStream,
    circuit: u64,
}

impl OnionStream {
    /// The rendezvous circuit it came on, numbered from 1 in the order they arrived;
    /// every stream of one circuit (one client, for Tor Browser) has the same number.
    pub fn circuit(&self) -> u64 {
        self.circuit
    }
}

impl tokio::io::AsyncRead for OnionStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for OnionStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// arti's configuration of a service; with restricted discovery, `devices` (name →
/// public key line) are its authorised clients.
fn service_config(
    options: &ServiceOptions,
    devices: &BTreeMap<String, String>,
) -> Result<tor_hsservice::OnionServiceConfig, OnionError> {
    let mut table = toml::Table::new();
    table.insert("nickname".into(), options.nickname.clone().into());
    table.insert("num_intro_points".into(), i64::from(options.num_intro_points).into());
    table.insert("max_concurrent_streams_per_circuit".into(), i64::from(options.max_streams_per_circuit).into());
    // A build without proof of work says so at start (the caller); arti would refuse it.
    table.insert("enable_pow".into(), (options.enable_pow && POW_AVAILABLE).into());
    if let Some((rate, burst)) = options.intro_rate_limit {
        let mut bucket = toml::Table::new();
        bucket.insert("rate".into(), i64::from(rate).into());
        bucket.insert("burst".into(), i64::from(burst).into());
        table.insert("rate_limit_at_intro".into(), bucket.into());
    }
    if let Some(dir) = &options.authorized_clients_dir {
        let mut restricted = toml::Table::new();
        restricted.insert("enabled".into(), true.into());
        restricted.insert("watch_configuration".into(), false.into());
        if devices.is_empty() {
            // arti wants a source of keys even when there is none: the (empty)
            // directory itself, which it reads only when reconfigured.
            let mut key_dir = toml::Table::new();
            key_dir.insert("path".into(), dir.to_string_lossy().into_owned().into());
            restricted.insert("key_dirs".into(), toml::Value::Array(vec![key_dir.into()]));
        } else {
            let keys: toml::Table = devices.iter().map(|(name, line)| (name.clone(), line.clone().into())).collect();
            restricted.insert("static_keys".into(), keys.into());
        }
        table.insert("restricted_discovery".into(), restricted.into());
    }
    let builder: OnionServiceConfigBuilder =
        toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| OnionError::Config(TorCause::of(e)))?;
    builder.build().map_err(|e| OnionError::Config(TorCause::of(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ServiceOptions {
        ServiceOptions {
            nickname: "journalist".to_owned(),
            num_intro_points: 5,
            intro_rate_limit: Some((20, 40)),
            max_streams_per_circuit: 32,
            enable_pow: false,
            authorized_clients_dir: None,
        }
    }

    #[test]
    fn our_options_make_a_valid_arti_service_config() {
        let none = BTreeMap::new();
        service_config(&options(), &none).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let restricted = ServiceOptions { authorized_clients_dir: Some(dir.path().to_owned()), ..options() };
        service_config(&restricted, &none).unwrap();
        let laptop = BTreeMap::from([("laptop".to_owned(), ClientKey::generate().public_line())]);
        service_config(&restricted, &laptop).unwrap();
        let bad = ServiceOptions { num_intro_points: 0, ..options() };
        assert!(service_config(&bad, &none).is_err(), "arti refuses 0 introduction points");
    }

    #[test]
    fn addresses_do_not_leak_through_debug() {
        let a = OnionAddress("x".repeat(56) + ".onion");
        assert_eq!(format!("{a:?}"), "OnionAddress([redacted])");
    }
}
