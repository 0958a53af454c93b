//! The terminal report: findings grouped by severity, suppressed findings apart, one line per
//! check, expired or unused suppressions, one summary line.
//! Colours only when writing to a terminal (the CLI's output filter strips them otherwise).
//! Every string from a check or the snapshot is neutralised ([`Line`]): only this module's own
//! styling emits escape sequences.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::model::{CheckReport, Report};
use super::untrusted::{Line, line};

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
        Line(&report.snapshot.origin),
        Line(report.snapshot.sha256.get(..12).unwrap_or(&report.snapshot.sha256)),
        format_utc(report.snapshot.collected_at),
    );
    if !report.packs.is_empty() {
        let _ = writeln!(out, "{dim}packs: {}{dim:#}", pack_line(report));
    }
    let failed: Vec<String> = report
        .snapshot
        .sources
        .iter()
        .filter(|s| !s.ok)
        .map(|s| format!("{} ({})", Line(&s.name), Line(s.reason.as_deref().unwrap_or("?"))))
        .collect();
    if !failed.is_empty() {
        let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        let _ = writeln!(out, "{warn}unreadable sources:{warn:#} {}", failed.join(", "));
    }

    for (severity, color) in SEVERITIES {
        let style = Style::new().fg_color(Some(color.into())).bold();
        let findings: Vec<_> = report
            .checks
            .iter()
            .flat_map(|c| c.findings.iter())
            .filter(|f| f.severity == severity && f.suppression.is_none())
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{style}{} ({}){style:#}", severity.to_uppercase(), findings.len());
        for f in findings {
            let _ = writeln!(
                out,
                "  {bold}{}{bold:#}  {} {} {}",
                Line(&f.rule),
                Line(&f.subject.source),
                Line(&f.subject.kind),
                Line(&f.subject.id)
            );
            let _ = writeln!(out, "    {}", Line(&f.message));
            if !f.evidence.is_empty() {
                let facts: Vec<String> =
                    f.evidence.iter().map(|e| format!("{}={}", Line(&e.key), Line(&e.value))).collect();
                let _ = writeln!(out, "    {dim}evidence: {}{dim:#}", facts.join("  "));
            }
            if let Some(fix) = &f.remediation {
                let _ = writeln!(out, "    {dim}fix: {}{dim:#}", Line(fix));
            }
        }
    }

    suppressed(&mut out, report);

    let _ = writeln!(out, "\n{bold}Checks{bold:#}");
    let width = report.checks.iter().map(|c| line(&c.id).chars().count()).max().unwrap_or(4);
    for check in &report.checks {
        let _ = writeln!(out, "  {}", check_line(check, width));
        if let Some(error) = &check.error {
            let _ = writeln!(out, "  {:width$}  {dim}{}{dim:#}", "", Line(error));
        }
        if check.status == "inconclusive" || check.status == "skip" {
            for note in &check.notes {
                let _ = writeln!(out, "  {:width$}  {dim}{}{dim:#}", "", Line(note));
            }
        }
    }

    suppression_notes(&mut out, report);

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
        "\n{} checks · {} findings{}{} · --fail-on {}: {verdict}{}{verdict:#} ({})",
        s.checks,
        s.findings,
        if counts.is_empty() { String::new() } else { format!(" ({})", counts.join(", ")) },
        match s.suppressed {
            Some(n) if n > 0 => format!(" · {n} suppressed"),
            _ => String::new(),
        },
        s.gate.fail_on,
        if s.gate.passed { "PASSED" } else { "FAILED" },
        s.gate.reason,
    );
    out
}

/// Suppressed findings, one line each with the reason: visible, but apart and not counted.
fn suppressed(out: &mut String, report: &Report) {
    let dim = Style::new().dimmed();
    let style = Style::new().fg_color(Some(AnsiColor::BrightBlack.into())).bold();
    let findings: Vec<_> =
        report.checks.iter().flat_map(|c| c.findings.iter()).filter(|f| f.suppression.is_some()).collect();
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{style}SUPPRESSED ({}) — not counted{style:#}", findings.len());
    for f in findings {
        let Some(s) = &f.suppression else { continue };
        let _ = writeln!(
            out,
            "  {}  {} {} {}  [{}]\n    {dim}{} (until {}, {}){dim:#}",
            Line(&f.rule),
            Line(&f.subject.source),
            Line(&f.subject.kind),
            Line(&f.subject.id),
            f.severity,
            Line(&s.reason),
            Line(&s.expires),
            Line(&s.defined_in)
        );
    }
}

/// A warning per expired suppression (its findings count again) and per unused one.
fn suppression_notes(out: &mut String, report: &Report) {
    let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let mut first = true;
    for s in report.suppressions.iter().filter(|s| s.status != "active") {
        if first {
            out.push('\n');
            first = false;
        }
        let on = match (&s.subject, &s.fingerprint) {
            (Some(subject), _) => format!("{} on {}", Line(&s.rule), Line(subject)),
            (None, Some(fp)) => format!("{} fingerprint {}", Line(&s.rule), Line(fp)),
            (None, None) => line(&s.rule).into_owned(),
        };
        let what = if s.status == "expired" {
            format!("expired {} — {} finding(s) count again", Line(&s.expires), s.findings.len())
        } else {
            "matches no finding (unused)".to_string()
        };
        let _ = writeln!(out, "{warn}suppression {} ({on}) {what}{warn:#}", Line(&s.defined_in));
    }
}

/// `plumbline-core 0.1.0 (built-in) · acme-dlq 1.0.0 sha256 1a2b3c4d5e6f signed by acme (key …)`.
fn pack_line(report: &Report) -> String {
    let packs: Vec<String> = report
        .packs
        .iter()
        .map(|p| {
            let hash = Line(p.manifest_sha256.get(..12).unwrap_or(&p.manifest_sha256));
            let (name, version) = (Line(&p.name), Line(&p.version));
            match (&p.signer, p.trust) {
                (_, "built-in") => format!("{name} {version} (built-in)"),
                (Some(s), _) => {
                    format!("{name} {version} sha256 {hash} signed by {} (key {})", Line(&s.name), Line(&s.key_id))
                }
                (None, _) => format!("{name} {version} sha256 {hash} UNSIGNED"),
            }
        })
        .collect();
    packs.join(" · ")
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
        Line(&check.id),
        check.status,
        check.evaluated,
        check.findings.iter().filter(|f| f.suppression.is_none()).count(),
        check.duration_ms,
        Line(check.question.as_deref().unwrap_or("")),
    )
}

/// `2026-11-20 10:00 UTC` from Unix seconds (proleptic Gregorian, no time-zone database needed).
pub fn format_utc(seconds: i64) -> String {
    let c = crate::time::Civil::from_unix(seconds);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", c.year, c.month, c.day, c.hour, c.minute)
}

#[cfg(test)]
mod tests {
    use super::{format_utc, render_text};
    use crate::report::untrusted::{self, hostile};
    use crate::report::{PackRef, SignerRef};

    #[test]
    fn hostile_text_never_reaches_the_terminal_raw() {
        let (report, _) = crate::report::fixture::hostile_report();
        let text = render_text(&report);
        // With colour: only the renderer's own SGR sequences.
        hostile::assert_clean("text report", &text, true);
        // Without colour (what a file or a pipe gets): nothing but line feeds.
        let plain = untrusted::output(&text, false);
        hostile::assert_clean("plain text report", &plain, false);
        // Every kind of field shows up, escaped where the hostile text was.
        for label in ["message", "source", "kind", "id", "key", "value", "fix", "note", "error", "origin", "reason"] {
            assert!(
                plain.contains(&format!("{label} evil\\x1b]0;pwned\\x07\\x1b[2K\\r\\x08\\x00\\u009b31m\\u202egpj.exe")),
                "{label}: {plain}"
            );
        }
        for label in ["pack", "signer", "defined in", "question", "1.0"] {
            assert!(plain.contains(&format!("{label} evil\\x1b]0;")), "{label}: {plain}");
        }
        // No fake verdict can be drawn over the real one: the summary line is the last line.
        assert!(plain.lines().last().is_some_and(|l| l.contains("FAILED")), "{plain}");
    }

    #[test]
    fn the_header_names_each_pack() {
        let (mut report, _) = crate::report::fixture::report();
        assert!(!render_text(&report).contains("packs:"), "no pack line without packs");
        let pack = |name: &str, trust: &'static str, signer: Option<SignerRef>| PackRef {
            name: name.into(),
            version: "1.2.0".into(),
            vendor: "Acme".into(),
            manifest_sha256: "0123456789abcdef".repeat(4),
            trust,
            signer,
            checks: vec!["c".into()],
        };
        report.packs = vec![
            pack("plumbline-core", "built-in", None),
            pack("acme-dlq", "signed", Some(SignerRef { key_id: "3f9c0a1b2c3d4e5f".into(), name: "acme".into() })),
            pack("loose", "unsigned", None),
        ];
        let text = render_text(&report);
        let line = text.lines().find(|l| l.contains("packs: ")).expect("a packs line");
        assert!(line.contains("plumbline-core 1.2.0 (built-in)"), "{line}");
        assert!(line.contains("acme-dlq 1.2.0 sha256 0123456789ab signed by acme (key 3f9c0a1b2c3d4e5f)"), "{line}");
        assert!(line.contains("loose 1.2.0 sha256 0123456789ab UNSIGNED"), "{line}");
    }

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_600_000), "2026-11-25 09:46 UTC");
    }
}
