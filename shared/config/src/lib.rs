#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

//! The one TOML configuration format of the `postern` server.
//!
//! Unknown keys are an error: a typo in a security setting must stop the
//! service, not be silently ignored. Relative paths are resolved against the
//! directory of the configuration file.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Contents of `postern.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PosternConfig {
    /// Where the instance keeps its state, and which key it encrypts to.
    pub instance: InstanceConfig,
    /// The source interface.
    pub source: SourceConfig,
    /// The journalist interface.
    pub journalist: JournalistConfig,
    /// The in-process Tor client (arti) that hosts the onion services.
    pub tor: TorConfig,
    /// Log output.
    pub logging: LoggingConfig,
}

/// The `[instance]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    /// Directory holding the database and the ciphertext store (mode 0700).
    pub data_dir: PathBuf,
    /// The newsroom's ASCII-armoured OpenPGP submission public key.
    pub submission_key: PathBuf,
    /// The instance-wide secrets file written by `postern init` (mode 0600).
    pub secrets_file: PathBuf,
    /// The source and journalist processes run as different users who share the data
    /// directory through its group: directories 2770 and files 0660 instead of 0700
    /// and 0600 (never anything for others).
    pub group_shared: bool,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("/var/lib/postern"),
            submission_key: PathBuf::from("/etc/postern/submission-key.asc"),
            secrets_file: PathBuf::from("/var/lib/postern/instance-secrets.toml"),
            group_shared: false,
        }
    }
}

/// The `[source]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// Plain loopback addresses to serve the source interface on.
    pub listen: Vec<SocketAddr>,
    /// Allows `listen` addresses beyond loopback (behind a reverse proxy the
    /// administrator runs); off, anything but loopback is a configuration error.
    pub expose_beyond_loopback: bool,
    /// The source onion address when C tor, not this process, hosts the onion service
    /// (`….onion`), for `/metadata` and the Tor2Web page. Unset with `onion.enabled`.
    pub v3_source_url: Option<String>,
    /// The languages the source interface offers (BCP 47, from [`AVAILABLE_LOCALES`]).
    pub locales: Vec<String>,
    /// Largest accepted request body of a submission, in bytes.
    pub max_upload_bytes: u64,
    /// Most source accounts that have never submitted anything; past it, `/create`
    /// refuses new accounts with a clear page until unused ones are purged (daily).
    pub max_pending_sources: u64,
    /// Absolute lifetime of a source session, in minutes.
    pub session_lifetime_minutes: u64,
    /// The source interface's onion service.
    pub onion: OnionConfig,
}

/// The locales the interfaces have translations for.
pub const AVAILABLE_LOCALES: &[&str] = &["en-US"];

/// Default cap on unused source accounts: about 150 MB of rows, and far beyond what
/// a newsroom sees in a day (accounts unused for a day are purged, bar the newest 100).
pub const DEFAULT_MAX_PENDING_SOURCES: u64 = 100_000;

/// Default upload limit: 2 GiB. SecureDrop's 500 MiB has been too small for its users
/// for years (its issue #4966); memory stays flat whatever the size, and slow clients
/// cannot hold a slot for ever, so a larger limit costs only disk.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 8080))],
            expose_beyond_loopback: false,
            v3_source_url: None,
            locales: vec!["en-US".to_owned()],
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_pending_sources: DEFAULT_MAX_PENDING_SOURCES,
            session_lifetime_minutes: 120,
            onion: OnionConfig::default(),
        }
    }
}

/// The `[source.onion]` and `[journalist.onion]` tables: one onion service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OnionConfig {
    /// Host this interface as a Tor onion service in-process (arti).
    pub enabled: bool,
    /// Introduction points (3–20).
    pub num_intro_points: u8,
    /// Introduction requests per second the introduction points let through (0: Tor's default).
    pub intro_rate_per_second: u32,
    /// Burst of introduction requests allowed (0: Tor's default of 200, or the rate if
    /// higher); at least the rate, or introduction points ignore the limit.
    pub intro_burst: u32,
    /// Streams one client circuit may have open at once before it is closed.
    pub max_streams_per_circuit: u32,
    /// Ask clients for proof of work under load (needs a build with the `pow` feature).
    pub enable_pow: bool,
}

impl OnionConfig {
    fn validate(&self, points_key: &'static str, burst_key: &'static str) -> Result<(), ConfigError> {
        // arti accepts 3 to 20 introduction points (C tor's range).
        if !(3..=20).contains(&self.num_intro_points) {
            return Err(ConfigError::Invalid { key: points_key, problem: "must be from 3 to 20" });
        }
        // Introduction points switch the limit off when the burst is below the rate.
        if self.intro_burst > 0 && self.intro_burst < self.intro_rate_per_second {
            return Err(ConfigError::Invalid { key: burst_key, problem: "must be at least intro_rate_per_second" });
        }
        Ok(())
    }
}

/// Tor's own values for its introduction-point DoS defence
/// (`HiddenServiceEnableIntroDoSRatePerSec`, `…BurstPerSec`), on by default here.
pub const DEFAULT_INTRO_RATE_PER_SECOND: u32 = 25;
/// See [`DEFAULT_INTRO_RATE_PER_SECOND`].
pub const DEFAULT_INTRO_BURST: u32 = 200;

impl Default for OnionConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            num_intro_points: 3,
            intro_rate_per_second: DEFAULT_INTRO_RATE_PER_SECOND,
            intro_burst: DEFAULT_INTRO_BURST,
            max_streams_per_circuit: 64,
            enable_pow: true,
        }
    }
}

/// The `[tor]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TorConfig {
    /// Private directory (0700) of arti's state and cache and the onion services' keys.
    pub state_dir: PathBuf,
    /// Public keys of the devices allowed to find the journalist onion service.
    pub journalist_devices_dir: PathBuf,
    /// An arti configuration overlay for a non-default Tor network (a private test
    /// network); unset joins the real Tor network.
    pub network: Option<PathBuf>,
}

impl Default for TorConfig {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from("/var/lib/postern/tor"),
            journalist_devices_dir: PathBuf::from("/var/lib/postern/journalist-devices"),
            network: None,
        }
    }
}

/// The `[journalist]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalistConfig {
    /// Plain loopback addresses to serve the journalist interface on.
    pub listen: Vec<SocketAddr>,
    /// Allows `listen` addresses beyond loopback; see [`SourceConfig`].
    pub expose_beyond_loopback: bool,
    /// Lifetime of a journalist session in minutes; renewed while in use (at most
    /// five times) when less than 30 minutes remain.
    pub session_lifetime_minutes: u64,
    /// The journalist interface's onion service (always with restricted discovery).
    pub onion: OnionConfig,
}

impl Default for JournalistConfig {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 8081))],
            expose_beyond_loopback: false,
            session_lifetime_minutes: 120,
            onion: OnionConfig::default(),
        }
    }
}

/// The `[logging]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// `error`, `warn` (production), `info`, `debug` or `trace`.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self { level: "warn".to_owned() }
    }
}

/// Why a configuration file was refused. Names keys, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("unable to read the configuration file")]
    Read(#[source] std::io::Error),
    /// The file is not valid TOML for this format.
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A value is out of range.
    #[error("invalid configuration: {key} {problem}")]
    Invalid {
        /// The offending key.
        key: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl postern_core::HasKind for ConfigError {
    fn kind(&self) -> postern_core::ErrorKind {
        postern_core::ErrorKind::ConfigInvalid
    }
}

impl PosternConfig {
    /// Reads, parses and validates `path`; relative paths become relative to its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(ConfigError::Read)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text)?.resolved_against(base).validate()
    }

    /// Parses configuration text. TOML errors name the key and line, never a secret
    /// (the file holds no secrets: only paths to them).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse(e.message().to_owned()))
    }

    fn resolved_against(mut self, base: &Path) -> Self {
        for p in [
            &mut self.instance.data_dir,
            &mut self.instance.submission_key,
            &mut self.instance.secrets_file,
            &mut self.tor.state_dir,
            &mut self.tor.journalist_devices_dir,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let Some(p) = self.tor.network.as_mut().filter(|p| p.is_relative()) {
            *p = base.join(&*p);
        }
        self
    }

    /// Checks cross-field rules.
    pub fn validate(self) -> Result<Self, ConfigError> {
        if self.source.max_pending_sources == 0 {
            return Err(ConfigError::Invalid { key: "source.max_pending_sources", problem: "must be at least 1" });
        }
        if self.source.max_upload_bytes < 1024 {
            return Err(ConfigError::Invalid { key: "source.max_upload_bytes", problem: "must be at least 1024" });
        }
        if self.source.session_lifetime_minutes == 0 {
            return Err(ConfigError::Invalid { key: "source.session_lifetime_minutes", problem: "must be positive" });
        }
        self.source.onion.validate("source.onion.num_intro_points", "source.onion.intro_burst")?;
        self.journalist.onion.validate("journalist.onion.num_intro_points", "journalist.onion.intro_burst")?;
        if self.journalist.session_lifetime_minutes == 0 {
            return Err(ConfigError::Invalid {
                key: "journalist.session_lifetime_minutes",
                problem: "must be positive",
            });
        }
        if self.source.locales.is_empty()
            || !self.source.locales.iter().all(|l| AVAILABLE_LOCALES.contains(&l.as_str()))
        {
            return Err(ConfigError::Invalid {
                key: "source.locales",
                problem: "must list one or more of the available locales: en-US",
            });
        }
        check_listen(&self.source.listen, self.source.expose_beyond_loopback, "source.listen")?;
        check_listen(&self.journalist.listen, self.journalist.expose_beyond_loopback, "journalist.listen")?;
        if let Some(url) = &self.source.v3_source_url {
            if !postern_core::is_v3_onion_host(url) {
                return Err(ConfigError::Invalid {
                    key: "source.v3_source_url",
                    problem: "must be a v3 onion address: 56 base32 characters and .onion",
                });
            }
            if self.source.onion.enabled {
                return Err(ConfigError::Invalid {
                    key: "source.v3_source_url",
                    problem: "is only for C tor: with source.onion.enabled the address is arti's",
                });
            }
        }
        if !["error", "warn", "info", "debug", "trace"].contains(&self.logging.level.as_str()) {
            return Err(ConfigError::Invalid {
                key: "logging.level",
                problem: "must be one of error, warn, info, debug, trace",
            });
        }
        Ok(self)
    }
}

/// Loopback only (127.0.0.0/8, ::1) unless the administrator said otherwise: the
/// interfaces are meant to be reached through Tor alone.
fn check_listen(listen: &[SocketAddr], beyond_loopback: bool, key: &'static str) -> Result<(), ConfigError> {
    if listen.is_empty() {
        return Err(ConfigError::Invalid { key, problem: "needs at least one address" });
    }
    let loopback = |a: &SocketAddr| match a.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    };
    if !beyond_loopback && !listen.iter().all(loopback) {
        return Err(ConfigError::Invalid {
            key,
            problem: "must hold loopback addresses only (127.0.0.0/8 or [::1]); to serve beyond loopback, \
                      set expose_beyond_loopback = true in the same table",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // What fuzz/fuzz_targets/config.rs checks, on stable Rust in the test command.
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "(?s).{0,400}") {
            let _ = PosternConfig::parse(&text);
        }

        #[test]
        fn the_example_config_mangled_anywhere_parses_or_is_refused_without_panicking(
            at in 0..2000usize,
            cut in any::<bool>(),
            insert in "[\\[\\]=\"'.0-9a-z_ \n#-]{0,12}",
        ) {
            let mut text = DEFAULT_TEXT.to_owned();
            let at = (at % text.len().max(1)).min(text.len());
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            if cut { text.truncate(at) } else { text.insert_str(at, &insert) }
            let _ = PosternConfig::parse(&text);
        }
    }

    /// A complete configuration, as `postern init` writes it.
    const DEFAULT_TEXT: &str = include_str!("../../../postern/config.example.toml");

    #[test]
    fn unknown_keys_are_an_error() {
        let err = PosternConfig::parse("[source]\nmax_upload_byte = 5\n").unwrap_err();
        assert!(err.to_string().contains("max_upload_byte"), "{err}");
        assert!(PosternConfig::parse("[sorce]\n").is_err());
    }

    #[test]
    fn empty_file_means_defaults() {
        assert_eq!(PosternConfig::parse("").unwrap(), PosternConfig::default());
        assert_eq!(PosternConfig::default().source.max_upload_bytes, 2_147_483_648);
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let c = PosternConfig::parse("[instance]\ndata_dir = \"data\"\n").unwrap().resolved_against(Path::new("/x"));
        assert_eq!(c.instance.data_dir, PathBuf::from("/x/data"));
        assert_eq!(c.instance.submission_key, PathBuf::from("/etc/postern/submission-key.asc"));
    }

    #[test]
    fn onion_limits_that_tor_would_ignore_or_refuse_are_errors() {
        let c = PosternConfig::parse("[journalist.onion]\nnum_intro_points = 2\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("journalist.onion.num_intro_points"));
        let c = PosternConfig::parse("[source.onion]\nintro_rate_per_second = 25\nintro_burst = 10\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("source.onion.intro_burst"));
        let c = PosternConfig::parse("[source.onion]\nintro_rate_per_second = 25\n").unwrap();
        assert!(c.validate().is_ok(), "burst 0 means Tor's default");
    }

    #[test]
    fn listen_addresses_beyond_loopback_need_the_override() {
        for addr in ["0.0.0.0:8080", "192.168.1.5:8080", "[::]:8080", "[2001:db8::1]:80"] {
            let c = PosternConfig::parse(&format!("[source]\nlisten = [\"{addr}\"]\n")).unwrap();
            let err = c.validate().unwrap_err().to_string();
            assert!(err.contains("source.listen") && err.contains("expose_beyond_loopback"), "{addr}: {err}");
        }
        let c = PosternConfig::parse("[journalist]\nlisten = [\"127.0.0.1:1\", \"10.0.0.1:2\"]\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("journalist.listen"));
        for addr in ["127.0.0.1:8080", "127.0.1.1:80", "[::1]:8080", "[::ffff:127.0.0.1]:80"] {
            let c = PosternConfig::parse(&format!("[source]\nlisten = [\"{addr}\"]\n")).unwrap();
            assert!(c.validate().is_ok(), "{addr}");
        }
        let c = PosternConfig::parse("[source]\nlisten = [\"0.0.0.0:8080\"]\nexpose_beyond_loopback = true\n").unwrap();
        assert!(c.validate().is_ok());
        let c = PosternConfig::parse("[source]\nlisten = []\n").unwrap();
        assert!(c.validate().is_err());
    }

    #[test]
    fn a_c_tor_source_address_must_be_an_onion_and_only_without_arti() {
        let onion = format!("{}.onion", "a".repeat(56));
        let c = PosternConfig::parse(&format!("[source]\nv3_source_url = \"{onion}\"\n")).unwrap();
        assert_eq!(c.validate().unwrap().source.v3_source_url.as_deref(), Some(onion.as_str()));
        let c = PosternConfig::parse("[source]\nv3_source_url = \"http://example.com\"\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("source.v3_source_url"));
        let both = format!("[source]\nv3_source_url = \"{onion}\"\n[source.onion]\nenabled = true\n");
        assert!(PosternConfig::parse(&both).unwrap().validate().unwrap_err().to_string().contains("only for C tor"));
    }

    #[test]
    fn only_available_locales_may_be_offered() {
        let c = PosternConfig::parse("[source]\nlocales = [\"en-US\"]\n").unwrap();
        assert!(c.validate().is_ok());
        for bad in ["[]", "[\"xx-YY\"]", "[\"en_US\"]"] {
            let c = PosternConfig::parse(&format!("[source]\nlocales = {bad}\n")).unwrap();
            assert!(c.validate().unwrap_err().to_string().contains("source.locales"), "{bad}");
        }
    }

    #[test]
    fn onion_dos_defences_are_on_by_default() {
        let c = PosternConfig::default();
        for onion in [&c.source.onion, &c.journalist.onion] {
            assert_eq!((onion.intro_rate_per_second, onion.intro_burst), (25, 200));
            assert!(onion.enable_pow);
            assert!(onion.max_streams_per_circuit > 0);
        }
    }

    #[test]
    fn validation_names_the_key() {
        let c = PosternConfig::parse("[logging]\nlevel = \"loud\"\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("logging.level"));
    }
}
