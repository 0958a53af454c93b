//! The terminal report: findings grouped by severity, one line per check, one summary line.
//! Colours only when writing to a terminal (anstream strips them otherwise).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::model::{CheckReport, Report};

const SEVERITIES: [(&str, AnsiColor); 5] = [
    ("critical", AnsiColor::BrightRed),
    ("high", AnsiColor::Red),
    ("medium", AnsiColor::Yellow),
    ("low", AnsiColor::Cyan),
    ("info", AnsiColor::BrightBlack),
];

pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let _ = writeln!(
        out,
        "{bold}plumbline {}{bold:#} · {} · sha256 {} · collected {}",
        report.plumbline_version,
        report.snapshot.origin,
        &report.snapshot.sha256[..12.min(report.snapshot.sha256.len())],
        format_utc(report.snapshot.collected_at),
    );
    let failed: Vec<String> = report
        .snapshot
        .sources
        .iter()
        .filter(|s| !s.ok)
        .map(|s| format!("{} ({})", s.name, s.reason.as_deref().unwrap_or("?")))
        .collect();
    if !failed.is_empty() {
        let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        let _ = writeln!(out, "{warn}unreadable sources:{warn:#} {}", failed.join(", "));
    }

    for (severity, color) in SEVERITIES {
        let style = Style::new().fg_color(Some(color.into())).bold();
        let findings: Vec<_> =
            report.checks.iter().flat_map(|c| c.findings.iter()).filter(|f| f.severity == severity).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{style}{} ({}){style:#}", severity.to_uppercase(), findings.len());
        for f in findings {
            let _ =
                writeln!(out, "  {bold}{}{bold:#}  {} {} {}", f.rule, f.subject.source, f.subject.kind, f.subject.id);
            let _ = writeln!(out, "    {}", f.message);
            if !f.evidence.is_empty() {
                let facts: Vec<String> = f.evidence.iter().map(|e| format!("{}={}", e.key, e.value)).collect();
                let _ = writeln!(out, "    {dim}evidence: {}{dim:#}", facts.join("  "));
            }
            if let Some(fix) = &f.remediation {
                let _ = writeln!(out, "    {dim}fix: {fix}{dim:#}");
            }
        }
    }

    let _ = writeln!(out, "\n{bold}Checks{bold:#}");
    let width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(4);
    for check in &report.checks {
        let _ = writeln!(out, "  {}", check_line(check, width));
        if let Some(error) = &check.error {
            let _ = writeln!(out, "  {:width$}  {dim}{error}{dim:#}", "");
        }
        if check.status == "inconclusive" || check.status == "skip" {
            for note in &check.notes {
                let _ = writeln!(out, "  {:width$}  {dim}{note}{dim:#}", "");
            }
        }
    }

    let s = &report.summary;
    let counts: Vec<String> = [
        ("critical", s.by_severity.critical),
        ("high", s.by_severity.high),
        ("medium", s.by_severity.medium),
        ("low", s.by_severity.low),
        ("info", s.by_severity.info),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(name, n)| format!("{n} {name}"))
    .collect();
    let verdict = if s.gate.passed {
        Style::new().fg_color(Some(AnsiColor::Green.into())).bold()
    } else {
        Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
    };
    let _ = writeln!(
        out,
        "\n{} checks · {} findings{} · --fail-on {}: {verdict}{}{verdict:#} ({})",
        s.checks,
        s.findings,
        if counts.is_empty() { String::new() } else { format!(" ({})", counts.join(", ")) },
        s.gate.fail_on,
        if s.gate.passed { "PASSED" } else { "FAILED" },
        s.gate.reason,
    );
    out
}

fn check_line(check: &CheckReport, width: usize) -> String {
    let color = match check.status {
        "pass" => AnsiColor::Green,
        "fail" => AnsiColor::Red,
        "inconclusive" => AnsiColor::Yellow,
        "error" => AnsiColor::Magenta,
        _ => AnsiColor::BrightBlack,
    };
    let style = Style::new().fg_color(Some(color.into())).bold();
    format!(
        "{:width$}  {style}{:12}{style:#}  {:>4} evaluated  {:>3} findings  {:>7.1} ms  {}",
        check.id,
        check.status,
        check.evaluated,
        check.findings.len(),
        check.duration_ms,
        check.question.as_deref().unwrap_or(""),
    )
}

/// `2026-11-20 10:00 UTC` from Unix seconds (proleptic Gregorian, no time-zone database needed).
pub fn format_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, (secs % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::format_utc;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_600_000), "2026-11-25 09:46 UTC");
    }
}
