//! Hosting the interfaces as onion services (through postern-onion), and the
//! journalist devices allowed to find the journalist interface.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use postern_config::{DEFAULT_INTRO_BURST, OnionConfig, PosternConfig};
use postern_onion::{ClientKey, OnionAddress, OnionService, ServiceOptions, Tor, TorOptions};
use postern_store::files::replace_file;
use postern_web::Router;

/// The journalist onion address, for the administrator (mode 0600), in the journalist
/// role's own state directory: only the journalist service user may write there.
pub(crate) const JOURNALIST_ADDRESS_FILE: &str = "journalist-onion-address";
/// The source onion address (public), beside the source service's keys.
const SOURCE_ADDRESS_FILE: &str = "source-onion-address";
/// How long a new service may take to publish its first descriptor before we warn.
const FIRST_PUBLISH_WAIT: Duration = Duration::from_secs(120);

/// Starts this process's Tor client, with its own state (one arti state directory per
/// role: two processes cannot share one). It connects in the background.
pub(crate) fn start(config: &PosternConfig, role: &str) -> anyhow::Result<Tor> {
    let wants_pow = (config.source.onion.enabled && config.source.onion.enable_pow)
        || (config.journalist.onion.enabled && config.journalist.onion.enable_pow);
    if wants_pow && !postern_onion::POW_AVAILABLE {
        tracing::warn!(
            "this postern was built without proof of work (the pow feature): the onion services run without \
             that defence; rebuild with default features to have it"
        );
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.tor.state_dir)
        .context("unable to create tor.state_dir")?;
    let state_dir = config.tor.state_dir.join(role);
    refuse_loose_key_dir(&state_dir)?;
    let options = TorOptions { state_dir, network: config.tor.network.clone() };
    Tor::start(&options).context("unable to start the Tor client")
}

/// The role's state directory holds the onion service's private keys: if anyone but
/// its owner can read it, refuse to start rather than keep using leaked keys quietly.
fn refuse_loose_key_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(dir) else { return Ok(()) };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{} holds onion service keys but has mode {mode:o}: it must be private to the service user (chmod 700)",
            dir.display()
        );
    }
    Ok(())
}

fn service_options(nickname: &str, c: &OnionConfig, devices: Option<PathBuf>) -> ServiceOptions {
    ServiceOptions {
        nickname: nickname.to_owned(),
        num_intro_points: c.num_intro_points,
        intro_rate_limit: (c.intro_rate_per_second > 0).then(|| {
            let default_burst = DEFAULT_INTRO_BURST.max(c.intro_rate_per_second);
            (c.intro_rate_per_second, if c.intro_burst == 0 { default_burst } else { c.intro_burst })
        }),
        max_streams_per_circuit: c.max_streams_per_circuit,
        enable_pow: c.enable_pow,
        authorized_clients_dir: devices,
    }
}

/// Launches the source interface's onion service; it publishes once Tor is connected.
/// Its (public) address is also written to a file, for the deployment to fetch.
pub(crate) fn launch_source(tor: &Tor, config: &PosternConfig, app: Router) -> anyhow::Result<OnionService> {
    let service = tor
        .serve(&service_options("source", &config.source.onion, None), serving(app))
        .context("unable to launch the source onion service")?;
    write_address(&config.tor.state_dir.join("source").join(SOURCE_ADDRESS_FILE), service.address())
        .context("unable to write the source onion address file")?;
    service.warn_unless_published("source", FIRST_PUBLISH_WAIT);
    Ok(service)
}

/// Serves `app` on each stream of an onion service, as on loopback.
fn serving(app: Router) -> impl Fn(postern_onion::OnionStream) + Send + Sync + 'static {
    move |stream| {
        let circuit = Some(postern_web::Circuit(stream.circuit()));
        tokio::spawn(postern_web::serve_connection(
            stream,
            app.clone(),
            &postern_web::HeaderPolicy::INTERFACE,
            circuit,
        ));
    }
}

/// Writes an onion address (mode 0600) into a role's directory, creating it if needed.
fn write_address(file: &Path, address: &OnionAddress) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    replace_file(file, address.expose().as_bytes(), 0o600)?;
    Ok(())
}

/// Launches the journalist interface's onion service (restricted discovery) and writes
/// its address to a file only the service user can read. The address is never logged.
pub(crate) fn launch_journalist(tor: &Tor, config: &PosternConfig, app: Router) -> anyhow::Result<OnionService> {
    let devices = &config.tor.journalist_devices_dir;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(devices)
        .context("unable to create tor.journalist_devices_dir")?;
    let service = tor
        .serve(&service_options("journalist", &config.journalist.onion, Some(devices.clone())), serving(app))
        .context("unable to launch the journalist onion service")?;
    write_address(&journalist_address_file(config), service.address())
        .context("unable to write the journalist onion address file")?;
    service.warn_unless_published("journalist", FIRST_PUBLISH_WAIT);
    Ok(service)
}

/// The file holding the journalist onion address.
pub(crate) fn journalist_address_file(config: &PosternConfig) -> PathBuf {
    config.tor.state_dir.join("journalist").join(JOURNALIST_ADDRESS_FILE)
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
