//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The Secure Viewing Station tool: decrypt Postern and SecureDrop submissions,
/// see what hidden information files carry, and write cleaned copies. Works offline.
#[derive(Debug, Parser)]
#[command(name = "svs", version, about, long_about = None)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the newsroom's submission key pair (secret key protected by a passphrase).
    Keygen(KeygenArgs),
    /// Decrypt submissions, replies and bulk-download zips; restore original file names safely.
    Decrypt(DecryptArgs),
    /// Report the hidden information (location, device, names, times…) files carry.
    Inspect(InspectArgs),
    /// Write cleaned copies of files to another directory; the originals are never changed.
    Scrub(ScrubArgs),
}

/// `svs keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Directory for submission-secret.asc and submission-public.asc (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Name on the key (e.g. the newsroom's).
    #[arg(long, default_value = "Postern submission key")]
    pub name: String,
    /// An RFC 9580 (v6) key: newer tools only; GnuPG 2.2 cannot read it or what is encrypted to it.
    #[arg(long)]
    pub modern: bool,
    /// Read the passphrase from the first line of FILE instead of asking.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// `svs decrypt`.
#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    /// The secret submission key (ASCII-armoured or binary).
    #[arg(long, value_name = "SECRET.asc")]
    pub key: PathBuf,
    /// Directory to write the decrypted files to (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Read the key's passphrase from the first line of FILE instead of asking.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// `*-msg.gpg`, `*-doc.gz.gpg`, `*-reply.gpg` files or bulk-download `.zip` files.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

/// `svs inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Print JSON (one array, an object per file) for scripts.
    #[arg(long)]
    pub json: bool,
    /// Files to inspect (JPEG, PNG, WebP, PDF, DOCX/XLSX/PPTX; others are named as not inspected).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `svs scrub`.
#[derive(Debug, clap::Args)]
pub struct ScrubArgs {
    /// Directory for the cleaned copies (created if missing); existing files are never replaced.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// List everything that was removed from each file.
    #[arg(long)]
    pub report: bool,
    /// Files to clean.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}
