//! The arti client configuration: the real Tor network by default, or a private
//! network's overlay (`arti-network.toml`: authorities, fallbacks, path rules and the
//! `hsdir_interval` a test network needs), with our state directory.

use arti_client::config::TorClientConfigBuilder;

use crate::{OnionError, TorCause, TorOptions};

/// The most memory arti's queues may hold before it reclaims (closing the streams that
/// hold the most): a fixed bound, rather than arti's guess from the system's memory,
/// which a sandboxed service cannot read (systemd's ProcSubset=pid hides it).
const ARTI_MEMORY_MAX: &str = "256 MiB";

/// Deep-merges table `b` into `a`.
fn merge(a: &mut toml::Table, b: toml::Table) {
    for (key, value) in b {
        match (a.get_mut(&key), value) {
            (Some(toml::Value::Table(a_table)), toml::Value::Table(b_table)) => merge(a_table, b_table),
            (_, value) => {
                a.insert(key, value);
            }
        }
    }
}

pub(crate) fn config_builder(options: &TorOptions) -> Result<TorClientConfigBuilder, OnionError> {
    let mut table = match &options.network {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| OnionError::NetworkFile(TorCause::of(e)))?;
            toml::from_str::<toml::Table>(&text).map_err(|e| OnionError::NetworkFile(TorCause::of(e)))?
        }
        None => toml::Table::new(),
    };
    let state = options.state_dir.join("state");
    let cache = options.state_dir.join("cache");
    let mut storage = toml::Table::new();
    storage.insert("state_dir".into(), state.to_string_lossy().into_owned().into());
    storage.insert("cache_dir".into(), cache.to_string_lossy().into_owned().into());
    let mut memory = toml::Table::new();
    memory.insert("max".into(), ARTI_MEMORY_MAX.into());
    let mut system = toml::Table::new();
    system.insert("memory".into(), memory.into());
    let mut ours = toml::Table::new();
    ours.insert("storage".into(), storage.into());
    ours.insert("system".into(), system.into());
    merge(&mut table, ours);
    toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| OnionError::Config(TorCause::of(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_is_merged_with_our_storage() {
        let dir = tempfile::tempdir().unwrap();
        let overlay = dir.path().join("arti-network.toml");
        std::fs::write(&overlay, "[override_net_params]\nhsdir_interval = 8\n[storage]\nstate_dir = \"/elsewhere\"\n")
            .unwrap();
        let options = TorOptions { state_dir: dir.path().join("tor"), network: Some(overlay) };
        config_builder(&options).unwrap().build().unwrap();
        let missing = TorOptions { state_dir: dir.path().join("tor"), network: Some(dir.path().join("nope")) };
        assert!(matches!(config_builder(&missing), Err(OnionError::NetworkFile(_))));
        let default = TorOptions { state_dir: dir.path().join("tor"), network: None };
        config_builder(&default).unwrap().build().unwrap();
    }
}
