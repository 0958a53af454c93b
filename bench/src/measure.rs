//! Timing and memory: medians of repeated runs, and whole-process runs of a child whose wall
//! time and peak resident set (`ru_maxrss` from `wait4`, the kernel's VmHWM of that process) are
//! taken from the kernel.

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

/// Spawns `command` (stdout and stderr discarded), waits for it with `wait4` and returns its wall
/// time, peak RSS and exit code.
pub fn run_process(command: &mut Command) -> anyhow::Result<ProcessRun> {
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
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
    Ok(ProcessRun { wall, peak_rss: usage.ru_maxrss.max(0) as u64 * 1024, exit_code })
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
