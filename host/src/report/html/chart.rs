//! Inline SVG charts for the HTML report, drawn from plain numbers (no script, no library):
//! findings by check and severity (horizontal stacked bars) and stacked columns per recorded run
//! for the trend. Every label is escaped; fills come from the report's colour tables.

use std::fmt::Write;

use super::{Esc, SEVERITIES, STATUSES, fragment_value, shorten};
use crate::report::model::{CheckReport, Report};

/// Checks drawn in the summary chart; more are left out with a note (the table has them all).
const MAX_BARS: usize = 40;

/// An axis from 0 in four equal integer steps of 1, 2 or 5 × 10^k that covers `max`.
fn axis(max: i64) -> (i64, i64) {
    let mut unit = 1i64;
    loop {
        for step in [unit, 2 * unit, 5 * unit] {
            if step.saturating_mul(4) >= max {
                return (step, step * 4);
            }
        }
        unit = unit.saturating_mul(10);
    }
}

/// Counted (not suppressed) findings of `check`, worst severity first.
fn counts(check: &CheckReport) -> [i64; 5] {
    let mut n = [0i64; 5];
    for f in check.findings.iter().filter(|f| f.suppression.is_none()) {
        if let Some(i) = SEVERITIES.iter().position(|(name, _, _)| *name == f.severity) {
            n[i] += 1;
        }
    }
    n
}

fn status_colour(status: &str) -> &'static str {
    STATUSES.iter().find(|(name, _)| *name == status).map_or("#868e96", |(_, colour)| colour)
}

/// The summary chart: one row per check, its findings stacked by severity, its status at the end.
pub(super) fn check_bars(out: &mut String, report: &Report) {
    const WIDTH: f64 = 1100.0;
    const LABEL: f64 = 170.0;
    const BARS: f64 = 760.0;
    const ROW: f64 = 30.0;
    const TOP: f64 = 8.0;
    let rows: Vec<(&CheckReport, [i64; 5])> = report.checks.iter().take(MAX_BARS).map(|c| (c, counts(c))).collect();
    let largest = rows.iter().map(|(_, n)| n.iter().sum::<i64>()).max().unwrap_or(0);
    let (step, top) = axis(largest.max(1));
    let height = TOP + ROW * rows.len() as f64 + 26.0;
    let _ = write!(
        out,
        "<svg class=\"bars\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"Findings by check and severity\">"
    );
    let bottom = TOP + ROW * rows.len() as f64;
    // No finding at all: no scale to read.
    for i in (0..=4).filter(|_| largest > 0) {
        let x = LABEL + BARS * (i as f64) / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 16.0,
            step * i
        );
    }
    for (i, (check, n)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let total: i64 = n.iter().sum();
        let detail: Vec<String> =
            SEVERITIES.iter().zip(n).filter(|(_, n)| **n > 0).map(|((name, _, _), n)| format!("{n} {name}")).collect();
        let _ = write!(
            out,
            "<a href=\"#check={}\"><title>{}: {}{}</title>\
             <rect class=\"row-hit\" x=\"0\" y=\"{y}\" width=\"{WIDTH}\" height=\"{ROW}\"/>\
             <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            Esc(&fragment_value(&check.id)),
            Esc(&check.id),
            Esc(check.status),
            if detail.is_empty() { String::new() } else { format!(", {}", detail.join(", ")) },
            LABEL - 10.0,
            y + 19.5,
            Esc(&shorten(&check.id, 22)),
        );
        let mut x = LABEL;
        for ((name, _, colour), count) in SEVERITIES.iter().zip(n) {
            if *count == 0 {
                continue;
            }
            let w = BARS * (*count as f64) / (top as f64);
            let _ = write!(
                out,
                "<rect class=\"seg sev-{name}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"20\" fill=\"{colour}\"/>",
                y + 5.0
            );
            x += w;
        }
        if total > 0 {
            let _ = write!(out, "<text class=\"total\" x=\"{:.1}\" y=\"{:.1}\">{total}</text>", x + 6.0, y + 19.5);
        } else if check.status == "pass" {
            let _ =
                write!(out, "<text class=\"none\" x=\"{:.1}\" y=\"{:.1}\">no findings</text>", LABEL + 6.0, y + 19.5);
        }
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/><text class=\"status\" x=\"{:.1}\" y=\"{:.1}\" \
             fill=\"{}\">{}</text></a>",
            LABEL + BARS + 44.0,
            y + 15.0,
            status_colour(check.status),
            LABEL + BARS + 54.0,
            y + 19.5,
            status_colour(check.status),
            Esc(check.status),
        );
    }
    out.push_str("</svg>");
    if report.checks.len() > MAX_BARS {
        let _ = write!(
            out,
            "<p class=\"note\">The chart shows the first {MAX_BARS} of {} checks; the table below lists them all.</p>",
            report.checks.len()
        );
    }
}

/// One column of a stacked column chart.
pub(super) struct Column {
    /// Under the column (`#12`, `this run`).
    pub label: String,
    /// Under the label (a short date).
    pub sub: String,
    /// The tooltip.
    pub title: String,
    /// One value per series, bottom first.
    pub values: Vec<i64>,
    /// Drawn with an outline: the run this report is about.
    pub current: bool,
}

/// A stacked column chart: `series` are (name, colour) bottom first; `columns` left to right.
pub(super) fn columns(out: &mut String, label: &str, series: &[(&str, &str)], columns: &[Column], height: f64) {
    const WIDTH: f64 = 1100.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 38.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    let largest = columns.iter().map(|c| c.values.iter().sum::<i64>()).max().unwrap_or(0);
    let (step, top) = axis(largest.max(1));
    let _ = write!(
        out,
        "<svg class=\"columns\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        Esc(label)
    );
    let base = TOP + plot_h;
    for i in 0..=4 {
        let y = base - plot_h * (i as f64) / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            step * i
        );
    }
    let slot = plot_w / columns.len().max(1) as f64;
    let bar = (slot * 0.62).min(44.0);
    for (i, column) in columns.iter().enumerate() {
        let centre = LEFT + slot * (i as f64 + 0.5);
        let x = centre - bar / 2.0;
        let _ = write!(
            out,
            "<g class=\"col{}\"><title>{}</title>",
            if column.current { " current" } else { "" },
            Esc(&column.title)
        );
        let mut y = base;
        for ((name, colour), value) in series.iter().zip(&column.values) {
            if *value <= 0 {
                continue;
            }
            let h = plot_h * (*value as f64) / (top as f64);
            y -= h;
            let _ = write!(
                out,
                "<rect class=\"seg s-{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{colour}\"/>",
                Esc(name)
            );
        }
        let total: i64 = column.values.iter().sum();
        let _ = write!(
            out,
            "<text class=\"total\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{total}</text>",
            y - 5.0
        );
        if column.current {
            let _ = write!(
                out,
                "<rect class=\"outline\" x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\"/>",
                centre - slot / 2.0 + 2.0,
                slot - 4.0,
                plot_h
            );
        }
        let _ = write!(
            out,
            "<text class=\"xlabel\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"xsub\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            base + 16.0,
            Esc(&column.label),
            base + 30.0,
            Esc(&column.sub)
        );
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::axis;

    #[test]
    fn axes_use_round_steps() {
        assert_eq!(axis(0), (1, 4));
        assert_eq!(axis(4), (1, 4));
        assert_eq!(axis(5), (2, 8));
        assert_eq!(axis(9), (5, 20));
        assert_eq!(axis(21), (10, 40));
        assert_eq!(axis(1234), (500, 2000));
    }
}
