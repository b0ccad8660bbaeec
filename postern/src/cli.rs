//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Postern: a SecureDrop-style anonymous submission server.
#[derive(Debug, Parser)]
#[command(name = "postern", version, about)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create (first run) or reuse a throwaway instance in DIR and serve it on loopback.
    Demo(DemoArgs),
    /// Create a production instance: config file, secrets, database.
    Init(InitArgs),
    /// Create the instance secrets file a configuration names, unless it exists (it is
    /// never replaced); prints "created" or "kept".
    InitSecrets(ConfigArgs),
    /// Set the organization name shown in page titles (administrators can also change
    /// it in the journalist interface); prints "set" or "unchanged".
    SetOrganizationName {
        #[command(flatten)]
        instance: ConfigArgs,
        /// Only if it is still the default a new instance starts with (so a deployment
        /// can set it once, and never undo an administrator's change).
        #[arg(long)]
        if_default: bool,
        /// The name (1-64 characters).
        name: String,
    },
    /// Check a configuration file the way `serve` loads it.
    CheckConfig {
        /// The configuration file.
        file: PathBuf,
    },
    /// Write an encrypted backup of the instance (safe while it serves): a database
    /// snapshot, the ciphertext store, the secrets, the onion keys and the devices.
    Backup(BackupArgs),
    /// Restore a backup (decrypted, a plain tar) onto this server; stop both services
    /// first. Refuses another instance's backup, and changes nothing unless the whole
    /// archive checks out.
    Restore(RestoreArgs),
    /// Check an OpenPGP public key the way `serve` does (one certificate, no secret
    /// material, not expired or revoked, a usable encryption subkey, acceptable under
    /// the standard policy), and that it has the expected fingerprint.
    CheckKey(CheckKeyArgs),
    /// Serve an interface from a config file.
    #[command(subcommand)]
    Serve(Serve),
    /// Manage journalist accounts.
    Journalist(JournalistArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct JournalistArgs {
    /// The instance's configuration file.
    #[arg(long, global = true, default_value = "/etc/postern/postern.toml")]
    pub(crate) config: PathBuf,
    #[command(subcommand)]
    pub(crate) command: JournalistCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum JournalistCommand {
    /// Create an account; prints its passphrase and two-factor secret once.
    Add {
        /// User name (3–64 letters, digits, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// May administer the instance.
        #[arg(long)]
        admin: bool,
        /// Use a YubiKey's HOTP secret instead of a new TOTP secret: 40 hex digits,
        /// asked for without echo, or read from standard input when it is not a terminal.
        #[arg(long)]
        hotp: bool,
        /// Set this passphrase (≥ 14 characters, ≥ 7 words) instead of generating one:
        /// read from the file, or from standard input for `-`. Never an argument, which
        /// shell history and `/proc` would keep. For provisioning and tests.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Set this TOTP secret (base32, at least 128 bits) instead of generating one:
        /// read from the file, or from standard input for `-`.
        #[arg(long, value_name = "FILE", conflicts_with = "hotp")]
        totp_secret_file: Option<PathBuf>,
    },
    /// Delete an account; its replies stay, attributed to a deleted account.
    Delete {
        /// User name.
        #[arg(long)]
        username: String,
    },
    /// Give an account a new generated passphrase.
    ResetPassword {
        /// User name.
        #[arg(long)]
        username: String,
    },
    /// Give an account a new second factor (TOTP, or the given HOTP secret).
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// User name.
        #[arg(long)]
        username: String,
        /// Use a YubiKey's HOTP secret (read as for `add --hotp`).
        #[arg(long)]
        hotp: bool,
    },
    /// Devices allowed to find the journalist onion service (restricted discovery).
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Authorise a new device: prints its private key once, for Tor Browser and C tor.
    Add {
        /// Device name (letters, digits, '-', '_').
        name: String,
        /// Write the private key (base32, for Tor Browser) to this new file (mode
        /// 0600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        key_out: Option<PathBuf>,
    },
    /// Withdraw a device's authorisation (fresh clients with its key can no longer
    /// find the service; the onion address stays).
    Revoke {
        /// Device name.
        name: String,
    },
    /// List the authorised devices.
    List,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    /// The instance's configuration file.
    #[arg(long, default_value = "/etc/postern/postern.toml")]
    pub(crate) config: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct BackupArgs {
    #[command(flatten)]
    pub(crate) instance: ConfigArgs,
    /// The administrator's OpenPGP public key the backup is encrypted to.
    #[arg(long, value_name = "KEY.asc")]
    pub(crate) recipient: PathBuf,
    /// The fingerprint that key must have.
    #[arg(long)]
    pub(crate) recipient_fingerprint: Option<String>,
    /// The new backup file (mode 0600; never replaces a file).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RestoreArgs {
    #[command(flatten)]
    pub(crate) instance: ConfigArgs,
    /// The decrypted backup (`gpg --decrypt` of what `postern backup` wrote).
    pub(crate) archive: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckKeyArgs {
    /// The ASCII-armoured public key.
    pub(crate) file: PathBuf,
    /// The fingerprint the key must have (hex; spaces and case do not matter).
    #[arg(long)]
    pub(crate) fingerprint: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Directory of the demo instance.
    #[arg(long, default_value = "./postern-demo")]
    pub(crate) dir: PathBuf,
    /// Loopback address of the source interface (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) source_addr: SocketAddr,
    /// Loopback address of the journalist interface (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub(crate) journalist_addr: SocketAddr,
    /// Also host both interfaces as onion services (the journalist one with
    /// restricted discovery and a demo device key).
    #[arg(long)]
    pub(crate) onion: bool,
    /// An arti configuration overlay for a non-default Tor network (e.g. a private
    /// test network's arti-network.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) tor_network: Option<PathBuf>,
    /// Fill an instance without sources with sample sources, messages, documents and
    /// replies (their codenames go to demo.json).
    #[arg(long)]
    pub(crate) sample_data: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Directory of the new instance (created; must not hold an instance yet).
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// The newsroom's ASCII-armoured OpenPGP submission public key.
    #[arg(long)]
    pub(crate) submission_key: PathBuf,
    /// Turn on both onion services in the new configuration.
    #[arg(long)]
    pub(crate) onion: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Serve {
    /// The source interface.
    Source(ServeArgs),
    /// The journalist interface.
    Journalist(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The instance's configuration file.
    #[arg(long)]
    pub(crate) config: PathBuf,
    /// An arti configuration overlay for a non-default Tor network (overrides
    /// tor.network in the configuration).
    #[arg(long, value_name = "FILE")]
    pub(crate) tor_network: Option<PathBuf>,
}
