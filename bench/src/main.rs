//! `plumbline-bench` command line: `gen` writes a synthetic estate; `run` runs the benchmarks
//! (what `just bench` does) and writes bench/results/results.md and docs/performance-scale.png.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use plumbline_bench::suites::{self, Env, Results};
use plumbline_bench::{results, synth};

#[derive(Parser)]
#[command(name = "plumbline-bench", about = "Benchmarks of plumbline")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic estate snapshot.
    Gen {
        /// Approximate number of resources (queues, consumers, topics, partitions, groups, tables, rules, series, ...).
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        /// Share of integration units that carry one problem (0..=1).
        #[arg(long, default_value_t = 0.05)]
        problem_rate: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(short, long, default_value = "estate.json")]
        output: PathBuf,
    },
    /// Run the benchmarks and write the results table and the plot (what `just bench` does).
    Run {
        /// Suites to run, comma-separated: checks, rego, scale, startup, collect (default: all).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Fewer sizes and runs: a quick look, not the published figures.
        #[arg(long)]
        quick: bool,
        /// The plumbline binary to measure.
        #[arg(long, default_value = "target/release/plumbline")]
        plumbline: PathBuf,
        /// Where generated estates and scratch files go.
        #[arg(long)]
        work: Option<PathBuf>,
        /// The results table (Markdown).
        #[arg(long, default_value = "bench/results/results.md")]
        results: PathBuf,
        /// The cost-vs-size plot (PNG).
        #[arg(long, default_value = "docs/performance-scale.png")]
        plot: PathBuf,
    },
    /// Internal: runs a command and prints its wall time, peak RSS and exit code (see
    /// `measure::trampoline`).
    #[command(name = "__measure", hide = true)]
    Measure {
        program: std::ffi::OsString,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

const ALL: [&str; 5] = ["checks", "rego", "scale", "startup", "collect"];

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Measure { program, args } => plumbline_bench::measure::trampoline(&program, &args)?,
        Command::Gen { resources, problem_rate, seed, output } => {
            anyhow::ensure!((0.0..=1.0).contains(&problem_rate), "--problem-rate must be between 0 and 1");
            let generated = synth::generate(synth::Spec { resources, problem_rate, seed });
            let bytes =
                synth::write(&generated.snapshot, &output).with_context(|| format!("writing {}", output.display()))?;
            eprintln!(
                "wrote {}: {} resources in {} units, {} with a problem ({} expected findings of acks/dead-letters), {:.1} MB",
                output.display(),
                synth::count_resources(&generated.snapshot),
                generated.units,
                generated.problem_units,
                generated.injected.len(),
                bytes as f64 / 1e6
            );
        }
        Command::Run { only, quick, plumbline, work, results: results_path, plot } => {
            for suite in &only {
                anyhow::ensure!(
                    ALL.contains(&suite.as_str()),
                    "--only: no suite `{suite}` (suites: {})",
                    ALL.join(", ")
                );
            }
            let root = std::env::current_dir()?;
            let env = Env {
                work: work.unwrap_or_else(|| std::env::temp_dir().join("plumbline-bench")),
                plumbline: std::fs::canonicalize(&plumbline).with_context(|| {
                    format!("{} (build it with `cargo build --release -p plumbline`)", plumbline.display())
                })?,
                cache: std::env::temp_dir().join("plumbline-bench").join("cache"),
                root,
                quick,
            };
            run(&env, &only, &results_path, &plot)?;
        }
    }
    Ok(())
}

fn run(env: &Env, only: &[String], results_path: &std::path::Path, plot: &std::path::Path) -> anyhow::Result<()> {
    let wanted = |suite: &str| only.is_empty() || only.iter().any(|s| s == suite);
    // The Rego peer is two orders of magnitude slower: it stops at 10k (20 s per evaluation).
    let (small, rego, scale): (Vec<usize>, Vec<usize>, Vec<usize>) = if env.quick {
        (vec![10_000], vec![3_000], vec![1_000, 10_000, 30_000])
    } else {
        (vec![10_000, 30_000], vec![3_000, 10_000], vec![1_000, 3_000, 10_000, 30_000, 100_000, 1_000_000])
    };
    env.warm_cache()?;
    let mut results = Results::default();
    if wanted("checks") {
        eprintln!("== Wasm vs native");
        if let Err(err) = suites::checks::wasm_vs_native(env, &small, &mut results) {
            // Keep what the other suites measured; say why this one stopped.
            results.notes.push(format!("Suite `checks` stopped: {err:#}"));
        }
    }
    if wanted("rego") {
        eprintln!("== Rego peer");
        if let Err(err) = suites::checks::rego_peer(env, &rego, &mut results) {
            // Keep what the other suites measured; say why this one stopped.
            results.notes.push(format!("Suite `rego` stopped: {err:#}"));
        }
    }
    if wanted("scale") {
        eprintln!("== Scale");
        if let Err(err) = suites::scale::run(env, &scale, &mut results) {
            // Keep what the other suites measured; say why this one stopped.
            results.notes.push(format!("Suite `scale` stopped: {err:#}"));
        }
    }
    if wanted("startup") {
        eprintln!("== Start-up");
        if let Err(err) = suites::startup::run(env, &mut results) {
            // Keep what the other suites measured; say why this one stopped.
            results.notes.push(format!("Suite `startup` stopped: {err:#}"));
        }
    }
    if wanted("collect") {
        eprintln!("== Collection");
        if let Err(err) = suites::collect::run(env, &mut results) {
            // Keep what the other suites measured; say why this one stopped.
            results.notes.push(format!("Suite `collect` stopped: {err:#}"));
        }
    }
    let mut command = String::from("just bench");
    if !only.is_empty() || env.quick {
        command = format!(
            "cargo run --release -p plumbline-bench -- run{}{}",
            if env.quick { " --quick" } else { "" },
            if only.is_empty() { String::new() } else { format!(" --only {}", only.join(",")) }
        );
    }
    if let Some(dir) = results_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(results_path, results::markdown(&results, &command))
        .with_context(|| format!("writing {}", results_path.display()))?;
    eprintln!("wrote {}", results_path.display());
    if results.scale.len() >= 2 {
        results::plot(&results.scale, plot).with_context(|| format!("drawing {}", plot.display()))?;
        eprintln!("wrote {}", plot.display());
    }
    Ok(())
}
