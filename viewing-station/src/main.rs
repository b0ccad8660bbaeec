//! `svs`: the Secure Viewing Station tool. See `svs --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = viewing_station::cli::Args::parse();
    let mut stdout = std::io::stdout().lock();
    viewing_station::run(args, &mut stdout)
}
