//! The benchmarks behind `just bench`. Each suite measures one question of the performance issue
//! and adds rows (figure, target, met?) and a detail table to [`Results`]. Correctness comes first
//! in every suite: Wasm and native findings, and Rego and check findings, are compared before
//! anything is timed, and a mismatch stops the run.

pub mod checks;
pub mod collect;
pub mod scale;
pub mod startup;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::synth;

/// One line of the summary table.
#[derive(Debug, Clone)]
pub struct Row {
    pub benchmark: String,
    pub measured: String,
    pub target: String,
    /// `None` when there is no target or it could not be measured.
    pub met: Option<bool>,
}

/// One estate size of the scale suite.
#[derive(Debug, Clone)]
pub struct ScalePoint {
    pub resources: usize,
    pub file_bytes: u64,
    /// `plumbline::snapshot::load` alone (read, hash, parse, redact), in-process, median.
    pub parse: Duration,
    /// The eight checks through the runtime on the loaded snapshot, in-process, median.
    pub checks: Duration,
    /// The whole `plumbline audit --snapshot FILE --format json` process, median.
    pub audit: Duration,
    pub peak_rss: u64,
    pub findings: usize,
    /// Checks that ended in `error` (deadline, memory, findings limit) at this size.
    pub errors: usize,
}

/// Everything a run measured.
#[derive(Debug, Default)]
pub struct Results {
    pub rows: Vec<Row>,
    /// `(title, Markdown table)` per suite.
    pub details: Vec<(String, String)>,
    pub scale: Vec<ScalePoint>,
    pub notes: Vec<String>,
}

impl Results {
    pub fn row(&mut self, benchmark: impl Into<String>, measured: impl Into<String>, target: &str, met: Option<bool>) {
        let row = Row { benchmark: benchmark.into(), measured: measured.into(), target: target.into(), met };
        eprintln!(
            "  {} — {} (target {}{})",
            row.benchmark,
            row.measured,
            row.target,
            match row.met {
                Some(true) => ", met",
                Some(false) => ", NOT met",
                None => "",
            }
        );
        self.rows.push(row);
    }
}

/// Where a run works and what it runs.
pub struct Env {
    /// Generated snapshots and scratch files (large: the 1M estate is several hundred MB).
    pub work: PathBuf,
    /// The release `plumbline` binary.
    pub plumbline: PathBuf,
    /// The compile cache the warm runs share.
    pub cache: PathBuf,
    /// The repository root (for scripts and examples).
    pub root: PathBuf,
    /// Fewer sizes and runs (for a quick look, not for the published table).
    pub quick: bool,
}

impl Env {
    /// The generated estate of about `resources` resources (5 % problem units, seed 1), written
    /// once and reused: generation is deterministic.
    pub fn estate(&self, resources: usize) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.work).with_context(|| format!("creating {}", self.work.display()))?;
        let path = self.work.join(format!("estate-{resources}-p05-s1.json"));
        if !path.is_file() {
            let generated = synth::generate(synth::Spec { resources, problem_rate: 0.05, seed: 1 });
            let partial = path.with_extension("partial");
            synth::write(&generated.snapshot, &partial)?;
            std::fs::rename(&partial, &path)?;
        }
        Ok(path)
    }

    /// A `plumbline` command with the shared warm cache.
    pub fn plumbline(&self) -> std::process::Command {
        let mut command = std::process::Command::new(&self.plumbline);
        command.env_remove("PLUMBLINE_LOG").env("NO_COLOR", "1");
        command
    }

    /// Fills the shared compile cache (one audit of the bundled example).
    pub fn warm_cache(&self) -> anyhow::Result<()> {
        let run = crate::measure::run_process(self.plumbline().arg("audit").arg("--cache-dir").arg(&self.cache))?;
        anyhow::ensure!(matches!(run.exit_code, 0 | 1), "warming the cache: plumbline audit exited {}", run.exit_code);
        Ok(())
    }
}

/// `n` as `1k`, `10k`, `1M`.
pub fn size_label(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

/// `path` relative to the repository root, for messages.
pub fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
