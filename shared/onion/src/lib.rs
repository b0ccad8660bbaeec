//! Postern's onion services, hosted in-process with arti: the only crate that names
//! `arti-client` or `tor-*`. Callers see our own types only: [`Tor`], [`ServiceOptions`],
//! [`OnionService`], [`OnionAddress`] and [`ClientKey`].
//!
//! Each accepted stream on virtual port 80 is served with hyper and the interface's
//! axum router, exactly as a loopback TCP connection is.

mod client_auth;
mod network;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arti_client::TorClient;
use arti_client::config::TorClientConfigBuilder;
use axum::Router;
use futures_util::StreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use safelog::DisplayRedacted;
use tor_cell::relaycell::msg::Connected;
use tor_hsservice::config::OnionServiceConfigBuilder;
use tor_hsservice::{RunningOnionService, StreamRequest};
use tor_proto::stream::IncomingStreamRequest;
use tor_rtcompat::PreferredRuntime;

pub use client_auth::{ClientKey, authorize_client, authorized_clients, revoke_client};

/// Whether this build can ask clients for proof of work (the `pow` feature).
pub const POW_AVAILABLE: bool = cfg!(feature = "pow");

/// The onion service's virtual port (HTTP).
const VIRTUAL_PORT: u16 = 80;
/// A client must send its request headers within this time (as on loopback).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An error from Tor, described by what we were doing; arti's own message follows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnionError {
    /// The arti network overlay file could not be read or parsed.
    #[error("unable to read the Tor network file: {0}")]
    NetworkFile(String),
    /// The arti configuration was refused.
    #[error("invalid Tor configuration: {0}")]
    Config(String),
    /// Connecting to the Tor network failed.
    #[error("unable to bootstrap Tor: {0}")]
    Bootstrap(String),
    /// Starting the onion service failed.
    #[error("unable to launch the onion service: {0}")]
    Launch(String),
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
    /// Ask clients for proof of work under load (needs the `pow` build feature).
    pub enable_pow: bool,
    /// Restricted discovery: only clients whose keys are in this directory can find
    /// the service. Watched, so authorising or revoking needs no restart.
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
    let host = text.strip_suffix(".onion")?;
    let ok = host.len() == 56 && host.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    ok.then(|| OnionAddress(text.to_owned()))
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

impl Tor {
    /// Connects to the Tor network (call inside a tokio runtime).
    pub async fn bootstrap(options: &TorOptions) -> Result<Self, OnionError> {
        let builder: TorClientConfigBuilder = network::config_builder(options)?;
        let config = builder.build().map_err(|e| OnionError::Config(e.to_string()))?;
        let client = TorClient::create_bootstrapped(config).await.map_err(|e| OnionError::Bootstrap(e.to_string()))?;
        Ok(Self { client })
    }

    /// Launches an onion service and serves `app` on every stream to its port 80.
    pub fn serve(&self, options: &ServiceOptions, app: Router) -> Result<OnionService, OnionError> {
        let config = service_config(options)?;
        let launched = self.client.launch_onion_service(config).map_err(|e| OnionError::Launch(e.to_string()))?;
        let Some((service, requests)) = launched else {
            return Err(OnionError::Launch("the service is disabled".to_owned()));
        };
        let address = service
            .onion_address()
            .map(|id| OnionAddress(id.display_unredacted().to_string()))
            .ok_or_else(|| OnionError::Launch("the service has no address".to_owned()))?;
        let task = tokio::spawn(async move {
            let mut streams = std::pin::pin!(tor_hsservice::handle_rend_requests(requests));
            while let Some(request) = streams.next().await {
                tokio::spawn(serve_stream(request, app.clone()));
            }
        });
        Ok(OnionService { address, service, task })
    }
}

/// A running onion service; dropping it stops the service.
pub struct OnionService {
    address: OnionAddress,
    service: Arc<RunningOnionService>,
    task: tokio::task::JoinHandle<()>,
}

impl OnionService {
    /// Its address.
    pub fn address(&self) -> &OnionAddress {
        &self.address
    }

    /// Waits until the first descriptor has been published (or `limit` passes): from
    /// then on, clients can find the service. Returns whether it was published.
    pub async fn published(&self, limit: Duration) -> bool {
        let mut events = self.service.status_events();
        let wait = async {
            loop {
                let state = self.service.status().state();
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
}

impl Drop for OnionService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_stream(request: StreamRequest, app: Router) {
    if !matches!(request.request(), IncomingStreamRequest::Begin(begin) if begin.port() == VIRTUAL_PORT) {
        let _ = request.shutdown_circuit();
        return;
    }
    let Ok(stream) = request.accept(Connected::new_empty()).await else { return };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    // A client that goes away mid-request is normal; nothing to report.
    let _ = connection.await;
}

fn service_config(options: &ServiceOptions) -> Result<tor_hsservice::OnionServiceConfig, OnionError> {
    let mut table = toml::Table::new();
    table.insert("nickname".into(), options.nickname.clone().into());
    table.insert("num_intro_points".into(), i64::from(options.num_intro_points).into());
    table.insert("max_concurrent_streams_per_circuit".into(), i64::from(options.max_streams_per_circuit).into());
    table.insert("enable_pow".into(), options.enable_pow.into());
    if let Some((rate, burst)) = options.intro_rate_limit {
        let mut bucket = toml::Table::new();
        bucket.insert("rate".into(), i64::from(rate).into());
        bucket.insert("burst".into(), i64::from(burst).into());
        table.insert("rate_limit_at_intro".into(), bucket.into());
    }
    if let Some(dir) = &options.authorized_clients_dir {
        let mut key_dir = toml::Table::new();
        key_dir.insert("path".into(), dir.to_string_lossy().into_owned().into());
        let mut restricted = toml::Table::new();
        restricted.insert("enabled".into(), true.into());
        restricted.insert("key_dirs".into(), toml::Value::Array(vec![key_dir.into()]));
        table.insert("restricted_discovery".into(), restricted.into());
    }
    let mut builder: OnionServiceConfigBuilder =
        toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| OnionError::Config(e.to_string()))?;
    if options.authorized_clients_dir.is_some() {
        builder.restricted_discovery().watch_configuration(true);
    }
    builder.build().map_err(|e| OnionError::Config(e.to_string()))
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
        service_config(&options()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let restricted = ServiceOptions { authorized_clients_dir: Some(dir.path().to_owned()), ..options() };
        service_config(&restricted).unwrap();
        let bad = ServiceOptions { num_intro_points: 0, ..options() };
        assert!(service_config(&bad).is_err(), "arti refuses 0 introduction points");
    }

    #[test]
    fn addresses_do_not_leak_through_debug() {
        let a = OnionAddress("x".repeat(56) + ".onion");
        assert_eq!(format!("{a:?}"), "OnionAddress([redacted])");
    }
}
