//! Scale: at each estate size, the time to load (read, hash, parse, redact) the snapshot file
//! alone, the eight checks on the loaded snapshot, and the whole `plumbline audit` process with
//! its peak RSS. Targets: audit ≤ 2× parse, peak RSS ≤ 2× file size, cost linear in resources.
//!
//! Both run with a per-check memory limit of [`MEMORY_MIB`] and a deadline of
//! [`TIMEOUT_SECONDS`] instead of the defaults (256 MiB, 10 s), which guard against hostile
//! checks and are too small for the largest estates: what is measured is the whole cost, not
//! where a limit cut it short. A user auditing 1M resources raises them the same way.

use std::time::{Duration, Instant};

use super::{Env, Results, ScalePoint, size_label};
use crate::measure::{fmt_duration, fmt_mb, median_of, median_process};
use crate::wasm::WasmRunner;

/// Limits of the scale runs (see the module comment), in-process and in `plumbline.toml`.
pub const MEMORY_MIB: u64 = 2048;
pub const TIMEOUT_SECONDS: u64 = 300;

/// Sizes with a target in the table (the others only draw the curve).
const TARGET_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn runs(resources: usize) -> usize {
    match resources {
        0..=30_000 => 5,
        30_001..=300_000 => 3,
        _ => 2,
    }
}

pub fn run(env: &Env, sizes: &[usize], results: &mut Results) -> anyhow::Result<()> {
    let limits = plumbline::runtime::Limits {
        memory_bytes: (MEMORY_MIB << 20) as usize,
        timeout: Duration::from_secs(TIMEOUT_SECONDS),
        ..Default::default()
    };
    let runner = WasmRunner::with_limits(&env.cache, limits)?;
    let config = env.work.join("scale-limits.toml");
    std::fs::create_dir_all(&env.work)?;
    std::fs::write(&config, format!("[limits]\nmemory-mib = {MEMORY_MIB}\ntimeout-seconds = {TIMEOUT_SECONDS}\n"))?;
    let mut table = String::from(
        "| resources | file | load (parse) | 8 checks in-process | `plumbline audit` process | audit / parse | peak RSS | RSS / file | findings |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &n in sizes {
        eprintln!("scale: {} resources", size_label(n));
        let path = env.estate(n)?;
        let file_bytes = std::fs::metadata(&path)?.len();
        let (loaded, parse) = median_of(runs(n), || {
            let started = Instant::now();
            let loaded = plumbline::snapshot::load(&path)?;
            Ok((loaded, started.elapsed()))
        })?;
        let snapshot = loaded.snapshot;
        let (outcomes, checks) = median_of(runs(n), || {
            let started = Instant::now();
            let outcomes = runner.audit(&snapshot, &|_: &str| true);
            Ok((outcomes, started.elapsed()))
        })?;
        let errors: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == plumbline::contract::types::Status::Error)
            .map(|o| format!("{}: {}", o.id(), o.error.as_deref().unwrap_or("?")))
            .collect();
        if !errors.is_empty() {
            results.notes.push(format!("At {} resources, in-process: {}", size_label(n), errors.join("; ")));
        }
        let findings = outcomes.iter().map(|o| o.findings.len()).sum();
        drop((snapshot, outcomes));
        let process = median_process(runs(n), &[0, 1, 3], || {
            let mut command = env.plumbline();
            command.arg("audit").arg("--snapshot").arg(&path).args(["--format", "json"]).arg("--config").arg(&config);
            command.arg("--cache-dir").arg(&env.cache);
            command
        })?;
        if process.exit_code == 3 {
            results.notes.push(format!(
                "At {} resources `plumbline audit` exited 3: a check ended in error (see the in-process note).",
                size_label(n)
            ));
        }
        let point = ScalePoint {
            resources: n,
            file_bytes,
            parse,
            checks,
            audit: process.wall,
            peak_rss: process.peak_rss,
            findings,
            errors: errors.len(),
        };
        let (time_ratio, rss_ratio) =
            (secs(point.audit) / secs(point.parse), point.peak_rss as f64 / file_bytes as f64);
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {time_ratio:.2}× | {} | {rss_ratio:.2}× | {} |\n",
            size_label(n),
            fmt_mb(file_bytes),
            fmt_duration(parse),
            fmt_duration(checks),
            fmt_duration(point.audit),
            fmt_mb(point.peak_rss),
            findings
        ));
        if TARGET_SIZES.contains(&n) {
            results.row(
                format!("Audit vs parse, {} resources", size_label(n)),
                format!("{time_ratio:.2}× ({} vs {})", fmt_duration(point.audit), fmt_duration(parse)),
                "≤ 2×",
                Some(time_ratio <= 2.0 && process.exit_code != 3),
            );
            results.row(
                format!("Peak RSS vs file, {} resources", size_label(n)),
                format!("{rss_ratio:.2}× ({} for {})", fmt_mb(point.peak_rss), fmt_mb(file_bytes)),
                "≤ 2×",
                Some(rss_ratio <= 2.0),
            );
        }
        results.scale.push(point);
    }
    linearity(results);
    results
        .details
        .push((format!("Scale (per-check limits raised to {MEMORY_MIB} MiB and {TIMEOUT_SECONDS} s)"), table));
    Ok(())
}

/// Cost per resource at the largest size where every check finished vs at 10k: within 1.5×
/// counts as linear. A size where checks were stopped by their limits cannot show linearity (the
/// deadline caps the time), so it fails the target.
fn linearity(results: &mut Results) {
    let per = |p: &ScalePoint| secs(p.audit) / p.resources as f64;
    let stopped: Vec<String> = results
        .scale
        .iter()
        .filter(|p| p.errors > 0)
        .map(|p| format!("{} ({} checks)", size_label(p.resources), p.errors))
        .collect();
    let (Some(small), Some(large)) = (
        results.scale.iter().find(|p| p.resources >= 10_000),
        results.scale.iter().filter(|p| p.errors == 0).max_by_key(|p| p.resources),
    ) else {
        return;
    };
    if large.resources <= small.resources {
        return;
    }
    let growth = per(large) / per(small);
    let text = format!(
        "{:.2}× the per-resource cost of {} at {} ({:.1} µs vs {:.1} µs per resource)",
        growth,
        size_label(small.resources),
        size_label(large.resources),
        per(large) * 1e6,
        per(small) * 1e6
    );
    let text = if stopped.is_empty() {
        text
    } else {
        format!("{text}; checks stopped by their limits at {}", stopped.join(", "))
    };
    results.row(
        "Audit cost linear in resources",
        text,
        "≤ 1.5× per resource",
        Some(growth <= 1.5 && stopped.is_empty()),
    );
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}
