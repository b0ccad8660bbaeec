//! `svs`: the Secure Viewing Station tool. See `svs --help`.
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = viewing_station::cli::Args::parse();
    let mut stdout = std::io::stdout().lock();
    viewing_station::run(args, &mut stdout)
}
