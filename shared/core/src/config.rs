//! The one TOML configuration format of the `postern` server.
//!
//! Unknown keys are an error: a typo in a security setting must stop the
//! service, not be silently ignored. Relative paths are resolved against the
//! directory of the configuration file.

use std::net::SocketAddr;
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
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("/var/lib/postern"),
            submission_key: PathBuf::from("/etc/postern/submission-key.asc"),
            secrets_file: PathBuf::from("/var/lib/postern/instance-secrets.toml"),
        }
    }
}

/// The `[source]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// Plain loopback addresses to serve the source interface on.
    pub listen: Vec<SocketAddr>,
    /// Largest accepted request body of a submission, in bytes.
    pub max_upload_bytes: u64,
    /// Absolute lifetime of a source session, in minutes.
    pub session_lifetime_minutes: u64,
    /// The source interface's onion service.
    pub onion: OnionConfig,
}

/// Default upload limit: 500 MiB, as SecureDrop.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 500 * 1024 * 1024;

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 8080))],
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
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

impl Default for OnionConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            num_intro_points: 3,
            intro_rate_per_second: 0,
            intro_burst: 0,
            max_streams_per_circuit: 64,
            enable_pow: false,
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

impl crate::HasKind for ConfigError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::ConfigInvalid
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
        if !["error", "warn", "info", "debug", "trace"].contains(&self.logging.level.as_str()) {
            return Err(ConfigError::Invalid {
                key: "logging.level",
                problem: "must be one of error, warn, info, debug, trace",
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_an_error() {
        let err = PosternConfig::parse("[source]\nmax_upload_byte = 5\n").unwrap_err();
        assert!(err.to_string().contains("max_upload_byte"), "{err}");
        assert!(PosternConfig::parse("[sorce]\n").is_err());
    }

    #[test]
    fn empty_file_means_defaults() {
        assert_eq!(PosternConfig::parse("").unwrap(), PosternConfig::default());
        assert_eq!(PosternConfig::default().source.max_upload_bytes, 524_288_000);
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
    fn validation_names_the_key() {
        let c = PosternConfig::parse("[logging]\nlevel = \"loud\"\n").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("logging.level"));
    }
}
