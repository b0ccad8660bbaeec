//! Hosting the interfaces as onion services (through postern-onion), and the
//! journalist devices allowed to find the journalist interface.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use postern_core::{OnionConfig, PosternConfig};
use postern_onion::{ClientKey, OnionAddress, OnionService, ServiceOptions, Tor, TorOptions};
use postern_store::files::replace_file;

/// Where the journalist onion address is written for the administrator (mode 0600).
pub(crate) const JOURNALIST_ADDRESS_FILE: &str = "journalist-onion-address";
/// Tor's default introduction burst (`HiddenServiceEnableIntroDoSBurstPerSec`).
const TOR_DEFAULT_INTRO_BURST: u32 = 200;
/// How long to wait for a new service's first descriptor before going on anyway.
const FIRST_PUBLISH_WAIT: Duration = Duration::from_secs(60);

/// Connects to Tor with this process's own state (one arti state directory per role:
/// two processes cannot share one).
pub(crate) async fn bootstrap(config: &PosternConfig, role: &str) -> anyhow::Result<Tor> {
    let wants_pow = (config.source.onion.enabled && config.source.onion.enable_pow)
        || (config.journalist.onion.enabled && config.journalist.onion.enable_pow);
    if wants_pow && !postern_onion::POW_AVAILABLE {
        anyhow::bail!(
            "enable_pow is set, but this postern was built without proof of work; \
             rebuild with `--features postern-onion/pow` or set enable_pow = false"
        );
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.tor.state_dir)
        .context("unable to create tor.state_dir")?;
    let options = TorOptions { state_dir: config.tor.state_dir.join(role), network: config.tor.network.clone() };
    Tor::bootstrap(&options).await.context("unable to connect to the Tor network")
}

fn service_options(nickname: &str, c: &OnionConfig, devices: Option<PathBuf>) -> ServiceOptions {
    ServiceOptions {
        nickname: nickname.to_owned(),
        num_intro_points: c.num_intro_points,
        intro_rate_limit: (c.intro_rate_per_second > 0).then(|| {
            let default_burst = TOR_DEFAULT_INTRO_BURST.max(c.intro_rate_per_second);
            (c.intro_rate_per_second, if c.intro_burst == 0 { default_burst } else { c.intro_burst })
        }),
        max_streams_per_circuit: c.max_streams_per_circuit,
        enable_pow: c.enable_pow,
        authorized_clients_dir: devices,
    }
}

/// Launches the source interface's onion service and waits for its first descriptor.
pub(crate) async fn launch_source(tor: &Tor, config: &PosternConfig, app: Router) -> anyhow::Result<OnionService> {
    let service = tor
        .serve(&service_options("source", &config.source.onion, None), app)
        .context("unable to launch the source onion service")?;
    if !service.published(FIRST_PUBLISH_WAIT).await {
        tracing::warn!("the source onion service has not published its descriptor yet; it keeps trying");
    }
    Ok(service)
}

/// Launches the journalist interface's onion service (restricted discovery) and writes
/// its address to a file only the service user can read. The address is never logged.
pub(crate) async fn launch_journalist(tor: &Tor, config: &PosternConfig, app: Router) -> anyhow::Result<OnionService> {
    let devices = &config.tor.journalist_devices_dir;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(devices)
        .context("unable to create tor.journalist_devices_dir")?;
    let service = tor
        .serve(&service_options("journalist", &config.journalist.onion, Some(devices.clone())), app)
        .context("unable to launch the journalist onion service")?;
    replace_file(&journalist_address_file(config), service.address().expose().as_bytes(), 0o600)
        .context("unable to write the journalist onion address file")?;
    if !service.published(FIRST_PUBLISH_WAIT).await {
        tracing::warn!("the journalist onion service has not published its descriptor yet; it keeps trying");
    }
    Ok(service)
}

/// The file holding the journalist onion address.
pub(crate) fn journalist_address_file(config: &PosternConfig) -> PathBuf {
    config.tor.state_dir.join(JOURNALIST_ADDRESS_FILE)
}

/// The journalist onion address, once the journalist interface has run with its onion on.
pub(crate) fn journalist_address(config: &PosternConfig) -> Option<OnionAddress> {
    let text = std::fs::read_to_string(journalist_address_file(config)).ok()?;
    postern_onion::parse_address(text.trim())
}

/// Authorises a new device key; returns it (its private half is shown once).
pub(crate) fn add_device(devices: &Path, name: &str) -> anyhow::Result<ClientKey> {
    let key = ClientKey::generate();
    postern_onion::authorize_client(devices, name, &key).context("unable to authorise the device")?;
    Ok(key)
}
