//! The `plumbline` binary: parse arguments, set up logging, run, map errors to exit codes.

use clap::Parser;
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
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();

    let code = match plumbline::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            plumbline::cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
}
