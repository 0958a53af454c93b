//! The `plumbline` binary: parse arguments, set up logging, run, map errors to exit codes.
//!
//! Logs and errors go to stderr through the output filter (`report::untrusted`): log lines and
//! errors quote names from checks and snapshots, so no control or escape sequence reaches the
//! terminal raw; colour (SGR) only when stderr is a terminal.

use std::io::IsTerminal;

use clap::Parser;
use plumbline::report::untrusted;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = plumbline::cli::Cli::parse();
    let default = match cli.verbose {
        0 => "warn",
        1 => "plumbline=info,warn",
        2 => "plumbline=debug,warn",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("PLUMBLINE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(move || untrusted::OutputWriter::new(std::io::stderr(), terminal))
        .with_target(false)
        .init();

    let code = match plumbline::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", untrusted::output(&format!("{err:#}"), false));
            plumbline::cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
}
