//! The trend section of the HTML report: findings by severity and checks that did not pass across
//! the last [`TREND_RUNS`] recorded runs, as two SVG column charts and a table. The data is plain
//! ([`Trend`]); the CLI reads it from the history store (`history::Store::recent`).

use std::fmt::Write;

use super::chart::{self, Column};
use super::{Esc, SEVERITIES, STATUSES, shorten};
use crate::report::model::Report;
use crate::time::Civil;

/// Runs shown in the trend, this one included.
pub const TREND_RUNS: usize = 20;

/// The recorded runs behind the trend section.
#[derive(Debug, Clone, Default)]
pub struct Trend {
    /// The history store, safe to show (a PostgreSQL URL without its password).
    pub location: String,
    /// Oldest first, at most [`TREND_RUNS`]; the run this report is about is marked `current`.
    pub runs: Vec<TrendRun>,
    /// Why the history could not be read, when it could not: the section says so instead.
    pub problem: Option<String>,
}

/// One run in the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRun {
    /// The run's id in the history; `None` for this run when it was not recorded.
    pub id: Option<i64>,
    /// When the audit started (Unix milliseconds, UTC).
    pub started_at: i64,
    pub snapshot: String,
    pub passed: bool,
    /// Counted findings: critical, high, medium, low, info.
    pub by_severity: [i64; 5],
    /// Checks that ended `fail`, `inconclusive`, `error`.
    pub failing: i64,
    pub inconclusive: i64,
    pub errored: i64,
    /// The run this report is about.
    pub current: bool,
}

impl TrendRun {
    /// This run, not recorded, from its report.
    pub fn unrecorded(report: &Report, started_at: i64) -> TrendRun {
        let (b, st) = (&report.summary.by_severity, &report.summary.by_status);
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        TrendRun {
            id: None,
            started_at,
            snapshot: report.snapshot.origin.clone(),
            passed: report.summary.gate.passed,
            by_severity: [n(b.critical), n(b.high), n(b.medium), n(b.low), n(b.info)],
            failing: n(st.fail),
            inconclusive: n(st.inconclusive),
            errored: n(st.error),
            current: true,
        }
    }

    fn label(&self) -> String {
        self.id.map_or_else(|| "this run".to_string(), |id| format!("#{id}"))
    }
}

fn date(ms: i64) -> Civil {
    Civil::from_unix(ms.div_euclid(1000))
}

pub(super) fn section(out: &mut String, trend: &Trend) {
    let _ = writeln!(
        out,
        "<section class=\"panel\" id=\"trend\"><h2>Trend <span class=\"sub\">last {} run(s) · history \
         <code>{}</code></span></h2>",
        trend.runs.len(),
        Esc(&shorten(&trend.location, 300))
    );
    if let Some(problem) = &trend.problem {
        let _ = writeln!(out, "<p class=\"warn\">The history could not be read: {}</p>", Esc(&shorten(problem, 1000)));
    }
    if trend.runs.len() < 2 && trend.problem.is_none() {
        out.push_str(
            "<p class=\"note\">No earlier run is recorded yet. Record runs with <code>plumbline audit --record</code> \
             to see how the findings change.</p>\n",
        );
    }
    if trend.runs.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    let columns = |values: &dyn Fn(&TrendRun) -> Vec<i64>| -> Vec<Column> {
        trend
            .runs
            .iter()
            .map(|run| {
                let d = date(run.started_at);
                let v = values(run);
                Column {
                    label: run.label(),
                    sub: format!("{:02}-{:02} {:02}:{:02}", d.month, d.day, d.hour, d.minute),
                    title: format!(
                        "run {} · {} · gate {} · {} finding(s), {} check(s) failing, {} inconclusive, {} in error",
                        run.label(),
                        super::format_utc(run.started_at.div_euclid(1000)),
                        if run.passed { "passed" } else { "failed" },
                        run.by_severity.iter().sum::<i64>(),
                        run.failing,
                        run.inconclusive,
                        run.errored
                    ),
                    values: v,
                    current: run.current,
                }
            })
            .collect()
    };
    out.push_str("<div class=\"trend-charts\"><figure><figcaption>Findings by severity</figcaption>");
    let severity_series: Vec<(&str, &str)> = SEVERITIES.iter().map(|(name, _, colour)| (*name, *colour)).collect();
    chart::columns(
        out,
        "Findings by severity per recorded run",
        &severity_series,
        &columns(&|run| run.by_severity.to_vec()),
        240.0,
    );
    out.push_str("</figure><figure><figcaption>Checks not passing</figcaption>");
    let status = |name: &str| STATUSES.iter().find(|(n, _)| *n == name).map_or("#868e96", |(_, c)| *c);
    let status_series =
        [("fail", status("fail")), ("inconclusive", status("inconclusive")), ("error", status("error"))];
    chart::columns(
        out,
        "Checks failing, inconclusive or in error per recorded run",
        &status_series,
        &columns(&|run| vec![run.failing, run.inconclusive, run.errored]),
        170.0,
    );
    out.push_str("</figure></div>\n<p class=\"legend\">");
    for (name, label, _) in SEVERITIES {
        let _ = write!(out, "<span class=\"key\"><i class=\"sw sev-{name}\"></i>{label}</span>");
    }
    for (name, _) in status_series {
        let _ = write!(out, "<span class=\"key\"><i class=\"sw stb-{name}\"></i>check {name}</span>");
    }
    out.push_str("</p>\n");
    table(out, trend);
    out.push_str("</section>\n");
}

/// The runs, newest first.
fn table(out: &mut String, trend: &Trend) {
    out.push_str(
        "<div class=\"scroll\"><table class=\"runs\"><thead><tr><th>Run</th><th>Started (UTC)</th><th>Gate</th>\
         <th class=\"num\">Critical</th><th class=\"num\">High</th><th class=\"num\">Medium</th><th class=\"num\">Low</th>\
         <th class=\"num\">Info</th><th class=\"num\">Failing</th><th class=\"num\">Inconclusive</th>\
         <th class=\"num\">Error</th><th>Snapshot</th></tr></thead><tbody>\n",
    );
    for run in trend.runs.iter().rev() {
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td><span class=\"st st-{}\">{}</span></td>",
            if run.current { " class=\"current\"" } else { "" },
            Esc(&run.label()),
            Esc(&super::format_utc(run.started_at.div_euclid(1000))),
            if run.passed { "pass" } else { "fail" },
            if run.passed { "passed" } else { "failed" },
        );
        for n in run.by_severity.iter().chain([&run.failing, &run.inconclusive, &run.errored]) {
            let _ = write!(out, "<td class=\"num{}\">{n}</td>", if *n == 0 { " zero" } else { "" });
        }
        let _ = writeln!(out, "<td><code>{}</code></td></tr>", Esc(&shorten(&run.snapshot, 120)));
    }
    out.push_str("</tbody></table></div>\n");
}
