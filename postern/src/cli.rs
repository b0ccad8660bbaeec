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
    /// Serve an interface from a config file.
    #[command(subcommand)]
    Serve(Serve),
}

#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Directory of the demo instance.
    #[arg(long, default_value = "./postern-demo")]
    pub(crate) dir: PathBuf,
    /// Loopback address of the source interface (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) source_addr: SocketAddr,
    /// Loopback address of the journalist interface (once it exists).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub(crate) journalist_addr: SocketAddr,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Directory of the new instance (created; must not hold an instance yet).
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// The newsroom's ASCII-armoured OpenPGP submission public key.
    #[arg(long)]
    pub(crate) submission_key: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Serve {
    /// The source interface.
    Source(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The instance's configuration file.
    #[arg(long)]
    pub(crate) config: PathBuf,
}
