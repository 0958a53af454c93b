//! Timing and memory: medians of repeated runs, and whole-process runs of a child whose wall
//! time and peak resident set (`ru_maxrss` from `wait4`, the kernel's VmHWM of that process) are
//! taken from the kernel.
//!
//! Linux carries a parent's peak RSS into a child's `ru_maxrss` across fork and exec, so a child
//! of this process (which may hold a 1.7 GB estate in memory) would report at least that much.
//! Children are therefore started through a trampoline: this binary re-executed as
//! `plumbline-bench __measure -- PROGRAM ARGS` (a fresh, small process), which starts the real
//! command, reaps it with `wait4` and prints what the kernel reported.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Median of `samples` (sorted in place); zero for none.
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// Runs `f` `runs` times and returns the median time and the last result.
pub fn median_of<R>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<(R, Duration)>,
) -> anyhow::Result<(R, Duration)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let (result, time) = f()?;
        times.push(time);
        last = Some(result);
    }
    Ok((last.context("at least one run")?, median(&mut times)))
}

/// What one child process took.
#[derive(Debug, Clone, Copy)]
pub struct ProcessRun {
    pub wall: Duration,
    /// Peak resident set size in bytes.
    pub peak_rss: u64,
    pub exit_code: i32,
}

/// Name of the hidden subcommand that runs [`trampoline`].
pub const TRAMPOLINE: &str = "__measure";

/// Runs `command` (stdout and stderr discarded) through the trampoline and returns its wall
/// time, peak RSS and exit code.
pub fn run_process(command: &mut Command) -> anyhow::Result<ProcessRun> {
    let mut outer = Command::new(std::env::current_exe().context("cannot find the bench binary")?);
    outer.arg(TRAMPOLINE).arg("--").arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => outer.env(key, value),
            None => outer.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        outer.current_dir(dir);
    }
    outer.stdin(Stdio::null()).stderr(Stdio::inherit());
    let output = outer.output().with_context(|| format!("cannot start {command:?}"))?;
    anyhow::ensure!(
        output.status.success(),
        "measuring {command:?} failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<i64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unexpected trampoline output {text:?}"))?;
    let [wall_ns, peak_rss, exit_code] = fields[..] else { anyhow::bail!("unexpected trampoline output {text:?}") };
    Ok(ProcessRun {
        wall: Duration::from_nanos(wall_ns.max(0) as u64),
        peak_rss: peak_rss.max(0) as u64,
        exit_code: exit_code as i32,
    })
}

/// The trampoline's body (in the fresh process): starts `program args` with stdio discarded,
/// reaps it with `wait4` and prints `WALL_NS PEAK_RSS_BYTES EXIT_CODE`.
pub fn trampoline(program: &std::ffi::OsStr, args: &[std::ffi::OsString]) -> anyhow::Result<()> {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let child = command.spawn().with_context(|| format!("cannot start {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: plain FFI call; `rusage` is a C struct for which all-zero bytes are a valid value,
    // and the pid is our own child, which `wait4` reaps (the `Child` handle is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    anyhow::ensure!(reaped == pid, "wait4 failed for {command:?}: {}", std::io::Error::last_os_error());
    let exit_code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    println!("{} {} {exit_code}", wall.as_nanos(), usage.ru_maxrss.max(0) * 1024);
    Ok(())
}

/// Runs `make()`'s command `runs` times; the run with the median wall time (peak RSS is the
/// highest seen). Every exit code must be in `ok_codes`.
pub fn median_process(runs: usize, ok_codes: &[i32], mut make: impl FnMut() -> Command) -> anyhow::Result<ProcessRun> {
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let mut command = make();
        let run = run_process(&mut command)?;
        anyhow::ensure!(ok_codes.contains(&run.exit_code), "{command:?} exited with {}", run.exit_code);
        all.push(run);
    }
    let peak = all.iter().map(|r| r.peak_rss).max().unwrap_or(0);
    all.sort_by_key(|r| r.wall);
    let mut median = all[all.len() / 2];
    median.peak_rss = peak;
    Ok(median)
}

/// Formats a duration for the table: `1.23 s`, `45.6 ms`, `789 µs`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// Formats a byte count in MB (10^6).
pub fn fmt_mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
