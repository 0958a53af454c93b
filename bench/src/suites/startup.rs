//! Start-up: the whole `plumbline audit` process on the bundled example, spawned repeatedly.
//! Cold = an empty compile cache every time (all eight components compiled); warm = the cache
//! filled once before.

use super::{Env, Results};
use crate::measure::{fmt_duration, fmt_mb, median_process};

pub fn run(env: &Env, results: &mut Results) -> anyhow::Result<()> {
    let (cold_runs, warm_runs) = if env.quick { (2, 7) } else { (5, 31) };
    let scratch = env.work.join("cold-cache");
    let cold = median_process(cold_runs, &[0, 1], || {
        let _ = std::fs::remove_dir_all(&scratch);
        let mut command = env.plumbline();
        command.arg("audit").arg("--cache-dir").arg(&scratch);
        command
    })?;
    let _ = std::fs::remove_dir_all(&scratch);
    env.warm_cache()?;
    let warm = median_process(warm_runs, &[0, 1], || {
        let mut command = env.plumbline();
        command.arg("audit").arg("--cache-dir").arg(&env.cache);
        command
    })?;
    let no_cache = median_process(cold_runs, &[0, 1], || {
        let mut command = env.plumbline();
        command.args(["audit", "--no-cache"]);
        command
    })?;
    results.row(
        "Start-up, cold (empty cache)",
        format!("{} (median of {cold_runs})", fmt_duration(cold.wall)),
        "—",
        None,
    );
    results.row(
        "Start-up, warm",
        format!("{} (median of {warm_runs})", fmt_duration(warm.wall)),
        "≤ 25 ms",
        Some(warm.wall.as_secs_f64() <= 0.025),
    );
    results.details.push((
        "Start-up (bundled example, whole process)".into(),
        format!(
            "| run | median wall | peak RSS |\n|---|---:|---:|\n\
             | cold: empty `--cache-dir` each time ({cold_runs} runs) | {} | {} |\n\
             | `--no-cache` ({cold_runs} runs) | {} | {} |\n\
             | warm: cache filled once ({warm_runs} runs) | {} | {} |\n",
            fmt_duration(cold.wall),
            fmt_mb(cold.peak_rss),
            fmt_duration(no_cache.wall),
            fmt_mb(no_cache.peak_rss),
            fmt_duration(warm.wall),
            fmt_mb(warm.peak_rss)
        ),
    ));
    Ok(())
}
