//! The history commands: `audit --record` stores a run, `plumbline history` lists runs and
//! `plumbline diff [RUN_A] [RUN_B]` compares two (crate::history; guide in docs/history.md).
//!
//! The store is `--history LOCATION`, else `$PLUMBLINE_HISTORY`, else `[history] location` in the
//! config, else `.plumbline/history.sqlite` in the working directory.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::history::{self, Diff, FindingRecord, Location, Run, RunInfo, RunStatus, Selector, Store, format_time};
use crate::report::{Report, TREND_RUNS, Trend, TrendRun};

/// `--history`: shared by `audit`, `history` and `diff`.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// History store: a SQLite file or a postgres:// URL [default: [history] location in the
    /// config, else .plumbline/history.sqlite].
    #[arg(long = "history", env = "PLUMBLINE_HISTORY", hide_env_values = true, value_name = "LOCATION")]
    pub location: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: HistoryFormat,
    /// Only the last N runs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Configuration file (for `[history] location`). Default: ./plumbline.toml if present.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run: a run id, `last` or `last~N` [default: last~1, or with one run given,
    /// that run].
    #[arg(value_name = "RUN_A", value_parser = parse_selector)]
    pub run_a: Option<Selector>,
    /// The later run [default: last].
    #[arg(value_name = "RUN_B", value_parser = parse_selector)]
    pub run_b: Option<Selector>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: HistoryFormat,
    /// Also list the unchanged findings (text; JSON always has them).
    #[arg(long)]
    pub all: bool,
    /// Exit 1 when the later run has findings the earlier did not (new or counted again).
    #[arg(long)]
    pub fail_on_new: bool,
    /// Configuration file (for `[history] location`). Default: ./plumbline.toml if present.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
}

fn parse_selector(text: &str) -> Result<Selector, String> {
    text.parse().map_err(|e: history::HistoryError| e.to_string())
}

/// The store to use: flag or environment, then the config, then the default file.
fn location(arg: &StoreArg, config: &Config) -> Result<Location> {
    if let Some(text) = &arg.location {
        return Ok(Location::parse(text)?);
    }
    if let Some(text) = &config.history.location {
        let expanded = crate::collect::expand_env(text, "history.location").map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(match Location::parse(&expanded).context("invalid config: history.location")? {
            Location::Sqlite(path) if path.is_relative() => Location::Sqlite(config.base_dir.join(path)),
            other => other,
        });
    }
    Ok(Location::Sqlite(PathBuf::from(history::DEFAULT_LOCATION)))
}

fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the history runtime")?
        .block_on(future)
}

fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `audit --record`: stores the finished report (creating the SQLite file if needed); returns
/// the new run's id.
pub fn record(arg: &StoreArg, config: &Config, report: &Report, started: SystemTime) -> Result<i64> {
    let location = location(arg, config)?;
    let shown = location.display();
    let run = Run::from_report(report, unix_ms(started), unix_ms(SystemTime::now()))?;
    let id = block_on(async {
        let store = Store::open(location, true).await?;
        let id = store.record(&run).await;
        store.close().await;
        Ok(id?)
    })
    .context("cannot record the run (use --history to choose another store)")?;
    eprintln!("recorded run {id} in {shown}");
    Ok(id)
}

/// The trend for the HTML report: the last [`TREND_RUNS`] runs of the history, when the run was
/// recorded (`recorded` is its id) or a store is named (`--history`, `PLUMBLINE_HISTORY`,
/// `[history] location`); `None` otherwise. An unrecorded run is added as the last column. A
/// history that cannot be read does not stop the audit: the trend section says why.
pub fn trend(
    arg: &StoreArg,
    config: &Config,
    recorded: Option<i64>,
    report: &Report,
    started: SystemTime,
) -> Option<Trend> {
    if recorded.is_none() && arg.location.is_none() && config.history.location.is_none() {
        return None;
    }
    let current = TrendRun::unrecorded(report, unix_ms(started));
    let mut trend = Trend { location: String::new(), runs: Vec::new(), problem: None };
    let location = match location(arg, config) {
        Ok(location) => location,
        Err(e) => {
            trend.problem = Some(format!("{e:#}"));
            trend.runs.push(current);
            return Some(trend);
        }
    };
    trend.location = location.display();
    let wanted = if recorded.is_some() { TREND_RUNS } else { TREND_RUNS - 1 };
    let runs = block_on(async {
        let store = Store::open(location, false).await?;
        let runs = store.recent(u32::try_from(wanted).unwrap_or(u32::MAX)).await;
        store.close().await;
        Ok(runs?)
    });
    match runs {
        Ok(runs) => trend.runs = runs.iter().map(|r| trend_run(r, recorded)).collect(),
        Err(e) if matches!(e.downcast_ref::<history::HistoryError>(), Some(history::HistoryError::Missing(_))) => {}
        Err(e) => {
            tracing::warn!("the HTML report has no trend: {e:#}");
            trend.problem = Some(format!("{e:#}"));
        }
    }
    if recorded.is_none() {
        trend.runs.push(current);
    }
    Some(trend)
}

fn trend_run(run: &RunStatus, recorded: Option<i64>) -> TrendRun {
    let (i, c) = (&run.info, &run.info.counts);
    TrendRun {
        id: Some(i.id),
        started_at: i.started_at,
        snapshot: i.snapshot.origin.clone(),
        passed: i.gate.passed,
        by_severity: [c.critical, c.high, c.medium, c.low, c.info],
        failing: run.failing,
        inconclusive: run.inconclusive,
        errored: run.errored,
        current: recorded == Some(i.id),
    }
}

/// `plumbline history`.
pub fn list(args: ListArgs) -> Result<i32> {
    let config = super::load_config(args.config.as_ref())?;
    let location = location(&args.store, &config)?;
    let shown = location.display();
    let mut runs = block_on(async {
        let store = Store::open(location, false).await?;
        let runs = store.runs().await;
        store.close().await;
        Ok(runs?)
    })?;
    if let Some(limit) = args.limit {
        runs.drain(..runs.len().saturating_sub(limit));
    }
    let text = match args.format {
        HistoryFormat::Json => {
            let doc = serde_json::json!({"schema": "plumbline-history/1", "location": shown, "runs": runs});
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        HistoryFormat::Text => render_list(&shown, &runs),
    };
    super::print(&text)?;
    Ok(0)
}

/// `plumbline diff`.
pub fn diff(args: DiffArgs) -> Result<i32> {
    let config = super::load_config(args.config.as_ref())?;
    let location = location(&args.store, &config)?;
    let shown = location.display();
    let (a, b) = match (args.run_a, args.run_b) {
        (None, _) => (Selector::Last(1), Selector::Last(0)),
        (Some(a), None) => (a, Selector::Last(0)),
        (Some(a), Some(b)) => (a, b),
    };
    let (from, to) = block_on(async {
        let store = Store::open(location, false).await?;
        let loaded = async {
            let from = store.load(store.resolve(a).await?).await?;
            let to = store.load(store.resolve(b).await?).await?;
            Ok::<_, history::HistoryError>((from, to))
        }
        .await;
        store.close().await;
        Ok(loaded?)
    })?;
    let diff = history::diff(&from, &to);
    let text = match args.format {
        HistoryFormat::Json => serde_json::to_string_pretty(&diff)? + "\n",
        HistoryFormat::Text => render_diff(&shown, &diff, args.all),
    };
    super::print(&text)?;
    Ok(i32::from(args.fail_on_new && diff.counts.new + diff.counts.unsuppressed > 0))
}

fn gate_text(run: &RunInfo) -> String {
    format!("{} (exit {})", if run.gate.passed { "passed" } else { "FAILED" }, run.gate.exit_code)
}

fn short_sha(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn render_list(location: &str, runs: &[RunInfo]) -> String {
    if runs.is_empty() {
        return format!("no runs recorded in {location}\n");
    }
    let mut out = format!("history: {location} ({} run(s))\n", runs.len());
    let width = runs.iter().map(|r| r.id.to_string().len()).max().unwrap_or(1).max(3);
    out.push_str(&format!(
        "{:>width$}  {:20}  {:16}  {:>4} {:>4} {:>4} {:>4} {:>4}  SNAPSHOT\n",
        "RUN", "STARTED (UTC)", "GATE", "CRIT", "HIGH", "MED", "LOW", "INFO"
    ));
    for run in runs {
        let c = &run.counts;
        out.push_str(&format!(
            "{:>width$}  {:20}  {:16}  {:>4} {:>4} {:>4} {:>4} {:>4}  {} ({})\n",
            run.id,
            format_time(run.started_at),
            gate_text(run),
            c.critical,
            c.high,
            c.medium,
            c.low,
            c.info,
            run.snapshot.origin,
            short_sha(&run.snapshot.sha256),
        ));
    }
    out
}

fn render_diff(location: &str, diff: &Diff, all: bool) -> String {
    let (a, b) = (&diff.from, &diff.to);
    let mut out = format!("diff: run {} → run {}  (history: {location})\n", a.id, b.id);
    for run in [a, b] {
        out.push_str(&format!(
            "  run {}  {}  gate {}  {} ({})\n",
            run.id,
            format_time(run.started_at),
            gate_text(run),
            run.snapshot.origin,
            short_sha(&run.snapshot.sha256)
        ));
    }
    let c = &diff.counts;
    let mut counts =
        vec![format!("{} new", c.new), format!("{} resolved", c.resolved), format!("{} unchanged", c.unchanged)];
    for (n, label) in [(c.unverified, "unverified"), (c.suppressed, "suppressed"), (c.unsuppressed, "counted again")] {
        if n > 0 {
            counts.push(format!("{n} {label}"));
        }
    }
    out.push_str(&format!("\nfindings: {}\n", counts.join(" · ")));
    let sections: [(&str, &[FindingRecord], bool); 6] = [
        ("New", &diff.new, true),
        ("Resolved", &diff.resolved, true),
        ("Unverified (no longer reported, but the check did not conclude in the later run)", &diff.unverified, true),
        ("Suppressed since", &diff.suppressed, true),
        ("Counted again (suppression expired or removed)", &diff.unsuppressed, true),
        ("Unchanged", &diff.unchanged, all),
    ];
    for (title, list, show) in sections {
        if show && !list.is_empty() {
            out.push_str(&format!("\n{title} ({}):\n", list.len()));
            for f in list {
                out.push_str(&format!(
                    "  {:8}  {}  {}\n    {}  [{}]\n",
                    f.severity.to_uppercase(),
                    f.rule,
                    f.subject_text(),
                    f.message,
                    f.fingerprint
                ));
            }
        }
    }
    if !diff.severity_changes.is_empty() {
        out.push_str(&format!("\nSeverity changes ({}):\n", diff.severity_changes.len()));
        for s in &diff.severity_changes {
            out.push_str(&format!("  {} → {}  {}  {}\n", s.from, s.to, s.rule, s.subject));
        }
    }
    let status = |s: &Option<String>| s.clone().unwrap_or_else(|| "(not run)".into());
    if diff.check_changes.is_empty() {
        out.push_str("\nCheck status: no change\n");
    } else {
        out.push_str("\nCheck status:\n");
        for change in &diff.check_changes {
            out.push_str(&format!("  {}: {} → {}\n", change.check, status(&change.from), status(&change.to)));
        }
    }
    if a.gate.passed == b.gate.passed && a.gate.exit_code == b.gate.exit_code {
        out.push_str(&format!("Gate: {} in both runs\n", gate_text(b)));
    } else {
        out.push_str(&format!("Gate: {} → {}\n", gate_text(a), gate_text(b)));
    }
    out
}
