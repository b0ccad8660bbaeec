//! The `postern` server binary: wiring only.
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests write fixtures and time themselves"))]

mod backup;
mod check;
mod cli;
mod demo;
mod init;
mod instance;
mod journalist;
mod onion;
mod sample;
mod serve;

use std::process::ExitCode;

use clap::Parser;

#[expect(clippy::print_stderr, reason = "stderr is the CLI's error channel")]
fn main() -> ExitCode {
    install_panic_hook();
    let args = cli::Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("postern: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: cli::Args) -> anyhow::Result<()> {
    match args.command {
        cli::Command::Demo(a) => demo::run(&a),
        cli::Command::Init(a) => init::run(&a),
        cli::Command::InitSecrets(a) => init::secrets(&a.config),
        cli::Command::SetOrganizationName { instance, if_default, name } => {
            init::organization_name(&instance.config, if_default, &name)
        }
        cli::Command::CheckConfig { file } => check::config(&file),
        cli::Command::CheckKey(a) => check::key(&a),
        cli::Command::Backup(a) => backup::back_up(&a),
        cli::Command::Restore(a) => backup::restore(&a),
        cli::Command::Serve(cli::Serve::Source(a)) => serve::run_source(&a),
        cli::Command::Serve(cli::Serve::Journalist(a)) => serve::run_journalist(&a),
        cli::Command::Journalist(a) => journalist::run(&a),
    }
}

/// A panic message may have been formatted from request data, so only its location is logged.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!("bug: panic at {location}");
    }));
}
