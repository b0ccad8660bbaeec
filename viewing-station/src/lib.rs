//! The Secure Viewing Station tool, `svs`, as a library: the binary parses
//! arguments and calls [`run`]; tests call it in-process.
//!
//! It runs offline by construction: its dependency tree holds no networking crate.
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

pub mod cli;
mod cmd;
mod error;
mod output;
mod passphrase;
mod text;

use std::io::Write;
use std::process::ExitCode;

pub use error::SvsError;

/// Runs one command, writing results to `out` and errors to stderr; returns the
/// exit code: 0 done, 1 some inputs failed (the others were done), 2 nothing was
/// done (bad arguments, key or output directory).
pub fn run(args: cli::Args, out: &mut dyn Write) -> ExitCode {
    let result = match args.command {
        cli::Command::Keygen(a) => cmd::keygen::run(&a, out),
        cli::Command::Decrypt(a) => cmd::decrypt::run(&a, out),
        cli::Command::Inspect(a) => cmd::inspect::run(&a, out),
        cli::Command::Scrub(a) => cmd::scrub::run(&a, out),
    };
    let _ = out.flush();
    match result {
        Ok(cmd::Done::All) => ExitCode::SUCCESS,
        Ok(cmd::Done::Partly) => ExitCode::from(1),
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}

#[expect(clippy::print_stderr, reason = "stderr is the CLI's error channel")]
fn report_error(e: &SvsError) {
    eprintln!("svs: {e}");
}
