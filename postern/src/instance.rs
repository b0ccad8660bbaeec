//! Loading an instance from its configuration: key, secrets, store, router state.

use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use journalist_interface::{JournalistAppConfig, JournalistState};
use postern_config::PosternConfig;
use postern_crypto::{InstanceSecrets, KeyProblem, SubmissionKey};
use postern_store::{DataAccess, Store};
use source_interface::{SourceAppConfig, SourceState};

/// Reads and validates the submission key file.
pub(crate) fn load_submission_key(path: &Path) -> Result<SubmissionKey, KeyProblem> {
    let text = std::fs::read_to_string(path).map_err(|_| KeyProblem::NotOpenPgp)?;
    SubmissionKey::from_armored(&text)
}

/// How often the submission key file is compared with the key being served.
const KEY_FILE_CHECK: Duration = Duration::from_secs(10);

/// Reads the submission key file and, when it is usable, watches the file while the
/// server runs. The server keeps encrypting to the key it validated at start whatever
/// happens to the file (a key swapped under a running server is a rotation nobody
/// checked, or an attack); when the file stops holding that key, an administrator is
/// told once, and again when it is back.
fn load_and_watch_submission_key(path: &Path, watch: bool) -> Result<SubmissionKey, KeyProblem> {
    let key = load_submission_key(path);
    if let (true, Ok(key)) = (watch, &key) {
        tokio::spawn(watch_key_file(path.to_owned(), key.fingerprint()));
    }
    key
}

async fn watch_key_file(path: std::path::PathBuf, served: String) {
    let mut ticks = tokio::time::interval(KEY_FILE_CHECK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // What the last check found, and what was last told (None: the served key).
    let (mut seen, mut told): (Option<String>, Option<String>) = (None, None);
    loop {
        ticks.tick().await;
        let found = key_file_problem(&path, &served).await;
        // Told only when two checks in a row agree: a rewrite caught half-way is no news.
        if found == seen && found != told {
            match &found {
                Some(what) => tracing::error!(
                    config.key = "instance.submission_key",
                    "the submission key file {what}: submissions are still encrypted to the key loaded at start; \
                     put that key back, or restart the service to use a new one"
                ),
                None => tracing::warn!(
                    config.key = "instance.submission_key",
                    "the submission key file holds the served key again"
                ),
            }
            told.clone_from(&found);
        }
        seen = found;
    }
}

/// What is wrong with the key file, if it does not hold the served key. Only a
/// regular file of at most 1 MiB is read (a FIFO or a device there would hang us).
async fn key_file_problem(path: &Path, served: &str) -> Option<String> {
    let is_key_sized_file = tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file() && m.len() <= 1024 * 1024);
    let text = if is_key_sized_file { tokio::fs::read_to_string(path).await.ok() } else { None };
    let Some(text) = text else { return Some("cannot be read".to_owned()) };
    match SubmissionKey::from_armored(&text) {
        Err(problem) => Some(format!("no longer holds a usable key ({problem})")),
        Ok(key) if key.fingerprint() != served => Some("holds a different key".to_owned()),
        Ok(_) => None,
    }
}

/// Builds the source interface's state from a loaded configuration.
///
/// An unusable submission key is not fatal: it is logged once and every source page
/// answers 503 "offline" until an administrator fixes it.
pub(crate) fn source_state(config: &PosternConfig) -> anyhow::Result<(SourceState, Arc<Store>)> {
    let key = load_and_watch_submission_key(&config.instance.submission_key, true);
    if let Err(problem) = &key {
        tracing::error!(
            config.key = "instance.submission_key",
            "submission key unusable, the source interface is offline: {problem}"
        );
    }
    let secrets = load_secrets(&config.instance.secrets_file)?;
    let store = open_store(config)?;
    store.sweep_incomplete().context("unable to remove incomplete uploads from the store")?;
    let app_config = SourceAppConfig {
        max_upload_bytes: config.source.max_upload_bytes,
        max_pending_sources: config.source.max_pending_sources,
        session_lifetime: Duration::from_secs(config.source.session_lifetime_minutes * 60),
        v3_source_url: config.source.v3_source_url.clone(),
        exposed_addresses: exposed(&config.source.listen, config.source.expose_beyond_loopback),
        locales: config.source.locales.clone(),
        clock: postern_core::Clock::system(),
    };
    Ok((SourceState::new(Arc::clone(&store), key, secrets, app_config), store))
}

/// Reads the instance secrets, refusing a file anyone but its owner can read: with
/// them and the database, every source's codename can be tried offline.
pub(crate) fn load_secrets(path: &Path) -> anyhow::Result<InstanceSecrets> {
    let mode = std::fs::metadata(path)
        .context("unable to read the instance secrets file (instance.secrets_file)")?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "the instance secrets file (instance.secrets_file) has mode {:o}: it must be readable by its owner \
             alone; run chmod 600 on it",
            mode & 0o777
        );
    }
    let text =
        std::fs::read_to_string(path).context("unable to read the instance secrets file (instance.secrets_file)")?;
    InstanceSecrets::from_file_text(&text).context("instance.secrets_file")
}

/// The addresses beyond loopback that requests may name in `Host`, when exposed.
fn exposed(listen: &[SocketAddr], beyond_loopback: bool) -> Vec<IpAddr> {
    if beyond_loopback {
        listen.iter().map(SocketAddr::ip).filter(|ip| !ip.is_loopback()).collect()
    } else {
        Vec::new()
    }
}

/// Builds the journalist interface's state. An unusable submission key only turns
/// replies off (with a message on the page); journalists can still read and download.
/// With `watch_key`, the key file is watched as in [`source_state`] (once per process).
pub(crate) fn journalist_state(config: &PosternConfig, store: Arc<Store>, watch_key: bool) -> JournalistState {
    let key = load_and_watch_submission_key(&config.instance.submission_key, watch_key);
    if let Err(problem) = &key {
        tracing::error!(config.key = "instance.submission_key", "submission key unusable, replies are off: {problem}");
    }
    let app_config = JournalistAppConfig {
        session_lifetime: Duration::from_secs(config.journalist.session_lifetime_minutes * 60),
        exposed_addresses: exposed(&config.journalist.listen, config.journalist.expose_beyond_loopback),
        ..JournalistAppConfig::default()
    };
    JournalistState::new(store, key, app_config)
}

/// Opens the store of a loaded configuration, with the file modes it asks for.
pub(crate) fn open_store(config: &PosternConfig) -> anyhow::Result<Arc<Store>> {
    let access = if config.instance.group_shared { DataAccess::GroupShared } else { DataAccess::Private };
    let store =
        Store::open_with(&config.instance.data_dir, access).context("unable to open the store (instance.data_dir)")?;
    Ok(Arc::new(store))
}

/// Installs the stderr log subscriber at the configured level, without timestamps
/// (journald adds its own).
pub(crate) fn init_logging(level: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::new(level);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .without_time()
        .with_target(false)
        // Colour codes only for a person at a terminal, never into the journal.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
