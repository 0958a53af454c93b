//! Markdown (`--format markdown`) short enough for a pull-request comment: the gate verdict and
//! why, a table of findings by check and severity, the checks that could not answer, then the
//! worst findings grouped by severity and rule — at most [`MAX_FINDINGS`], and the whole document
//! under [`MARKDOWN_LIMIT`] bytes (GitHub refuses comments over 65,536 characters). Suppressed
//! findings are left out of the table and the list; a short section names them, and expired or
//! unused suppressions get a warning line.
//!
//! Text from checks and snapshots is escaped so that it cannot inject HTML, images or links into
//! the comment, and neutralised (`untrusted`): controls, escape sequences and bidi overrides are
//! shown as visible escapes. The inline code spans checks write (`like this`) are kept.

use std::fmt::Write;

use super::model::{CheckReport, FindingReport, Report};
use super::text::format_utc;
use super::untrusted;

/// Upper bound of the rendered size in bytes, with room to spare under GitHub's 65,536.
pub const MARKDOWN_LIMIT: usize = 60_000;
/// Findings listed before "… and N more".
pub const MAX_FINDINGS: usize = 50;
/// Suppressed findings listed before "… and N more".
const MAX_SUPPRESSED: usize = 10;
/// Longest message kept, in characters.
const MAX_MESSAGE: usize = 400;

const SEVERITIES: [(&str, &str, &str); 5] = [
    ("critical", "🔴", "Critical"),
    ("high", "🟠", "High"),
    ("medium", "🟡", "Medium"),
    ("low", "🔵", "Low"),
    ("info", "⚪", "Info"),
];

/// Renders the report as Markdown, never longer than [`MARKDOWN_LIMIT`] bytes.
pub fn render_markdown(report: &Report) -> String {
    let mut shown = MAX_FINDINGS;
    loop {
        let out = render_with(report, shown);
        if out.len() <= MARKDOWN_LIMIT {
            return out;
        }
        if shown == 0 {
            return truncate(out);
        }
        shown /= 2;
    }
}

fn render_with(report: &Report, max_findings: usize) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let gate = &s.gate;
    let verdict = if gate.passed { "✅ passed" } else { "❌ failed" };
    let _ = writeln!(out, "## plumbline audit {verdict}\n");
    let _ = writeln!(
        out,
        "**Gate** (`--fail-on {}`): **{}**, exit {}: {}\n",
        gate.fail_on,
        if gate.passed { "PASSED" } else { "FAILED" },
        gate.exit_code,
        inline(&gate.reason)
    );
    let sha = &report.snapshot.sha256[..12.min(report.snapshot.sha256.len())];
    let _ = writeln!(
        out,
        "{} findings from {} checks · snapshot {} (sha256 `{sha}`, collected {}) · plumbline {}\n",
        s.findings,
        s.checks,
        code(&report.snapshot.origin),
        format_utc(report.snapshot.collected_at),
        report.plumbline_version
    );

    summary_table(&mut out, report);

    let unreadable: Vec<String> = report
        .snapshot
        .sources
        .iter()
        .filter(|s| !s.ok)
        .map(|s| format!("{} ({})", code(&s.name), inline(s.reason.as_deref().unwrap_or("no reason given"))))
        .collect();
    if !unreadable.is_empty() {
        let _ = writeln!(out, "> ⚠️ Sources that could not be read: {}\n", unreadable.join(", "));
    }
    let unanswered: Vec<&CheckReport> =
        report.checks.iter().filter(|c| c.status == "error" || c.status == "inconclusive").collect();
    if !unanswered.is_empty() {
        out.push_str("### Checks without an answer\n\n");
        for check in unanswered {
            let why = match check.status {
                "error" => {
                    format!("💥 ended in error: {}", inline(check.error.as_deref().unwrap_or("no reason given")))
                }
                _ if check.notes.is_empty() => "⚠️ inconclusive: data missing".to_string(),
                _ => format!("⚠️ inconclusive: {}", inline(&check.notes.join("; "))),
            };
            let _ = writeln!(out, "- {} {why}", code(&check.id));
        }
        out.push('\n');
    }

    for s in report.suppressions.iter().filter(|s| s.status != "active") {
        let what = if s.status == "expired" {
            format!("expired {}: {} finding(s) count again", inline(&s.expires), s.findings.len())
        } else {
            "matches no finding".to_string()
        };
        let _ = writeln!(out, "> ⚠️ Suppression {} ({}) {what}\n", inline(&s.defined_in), code(&s.rule));
    }

    findings(&mut out, report, max_findings);
    suppressed(&mut out, report, max_findings.min(MAX_SUPPRESSED));
    out
}

/// Suppressed findings listed after the rest: how many, and the first few with their reason.
fn suppressed(out: &mut String, report: &Report, max: usize) {
    let all: Vec<&FindingReport> =
        report.checks.iter().flat_map(|c| c.findings.iter()).filter(|f| f.suppression.is_some()).collect();
    if all.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Suppressed ({}, not counted)\n", all.len());
    for f in all.iter().take(max) {
        let Some(s) = &f.suppression else { continue };
        let _ = writeln!(
            out,
            "- {} {} {}: {} (until {})",
            code(&f.rule),
            code(&f.subject.source),
            code(&f.subject.id),
            inline(&shorten(&s.reason)),
            inline(&s.expires)
        );
    }
    if all.len() > max {
        let _ = writeln!(out, "- … and {} more", all.len() - max);
    }
}

fn summary_table(out: &mut String, report: &Report) {
    out.push_str("| Check | Status | Critical | High | Medium | Low | Info |\n");
    out.push_str("|---|---|--:|--:|--:|--:|--:|\n");
    for check in &report.checks {
        let count = |severity: &str| {
            check.findings.iter().filter(|f| f.severity == severity && f.suppression.is_none()).count()
        };
        let cells: Vec<String> = SEVERITIES.iter().map(|(s, _, _)| number(count(s))).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            code(&check.id).replace('|', "\\|"),
            status(check.status),
            cells.join(" | ")
        );
    }
    let b = &report.summary.by_severity;
    let _ = writeln!(
        out,
        "| **Total** | {} checks | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        report.summary.checks, b.critical, b.high, b.medium, b.low, b.info
    );
}

fn findings(out: &mut String, report: &Report, max: usize) {
    let total = report.summary.findings;
    if total == 0 {
        out.push_str("No findings.\n");
        return;
    }
    let all: Vec<&FindingReport> =
        report.checks.iter().flat_map(|c| c.findings.iter()).filter(|f| f.suppression.is_none()).collect();
    let shown = total.min(max);
    if shown == total {
        let _ = writeln!(out, "### Findings\n");
    } else {
        let _ = writeln!(out, "### Findings ({shown} of {total}, worst first)\n");
    }
    let mut left = max;
    for (severity, badge, name) in SEVERITIES {
        let of_severity: Vec<&FindingReport> = all.iter().copied().filter(|f| f.severity == severity).collect();
        if of_severity.is_empty() || left == 0 {
            continue;
        }
        let _ = writeln!(out, "#### {badge} {name} ({})\n", of_severity.len());
        // Group by rule, keeping the order rules first appear in.
        let mut rules: Vec<&str> = Vec::new();
        for f in &of_severity {
            if !rules.contains(&f.rule.as_str()) {
                rules.push(&f.rule);
            }
        }
        for rule in rules {
            if left == 0 {
                break;
            }
            let of_rule: Vec<&FindingReport> = of_severity.iter().copied().filter(|f| f.rule == rule).collect();
            let _ = writeln!(out, "**{}** ({})", code(rule), of_rule.len());
            for f in of_rule.iter().take(left) {
                let _ = writeln!(
                    out,
                    "- {} {} {}: {}",
                    code(&f.subject.source),
                    inline(&f.subject.kind),
                    code(&f.subject.id),
                    inline(&shorten(&f.message))
                );
            }
            left = left.saturating_sub(of_rule.len());
            if let Some(fix) = of_rule.first().and_then(|f| f.remediation.as_deref()) {
                let _ = writeln!(out, "\n*Fix:* {}", inline(&shorten(fix)));
            }
            out.push('\n');
        }
    }
    if shown < total {
        let _ = writeln!(
            out,
            "… and {} more. The full list is in the JSON, SARIF or text report (`plumbline audit --format json`).",
            total - shown
        );
    }
}

fn status(status: &str) -> String {
    let icon = match status {
        "pass" => "✅",
        "fail" => "❌",
        "inconclusive" => "⚠️",
        "error" => "💥",
        _ => "⏭️",
    };
    format!("{icon} {status}")
}

fn number(n: usize) -> String {
    if n == 0 { "·".to_string() } else { n.to_string() }
}

/// An inline code span that holds any text (neutralised, on one line): the fence is one backtick
/// longer than any run inside.
fn code(text: &str) -> String {
    let text = untrusted::line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || text.starts_with(' ') || text.ends_with(' ') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text from a check, on one line: controls and bidi overrides neutralised (`untrusted::line`),
/// HTML, image and link syntax escaped; balanced `code spans` kept. SARIF's `help.markdown` uses
/// it too.
pub(super) fn inline(text: &str) -> String {
    let text = untrusted::line(text);
    let balanced = text.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' if balanced => {
                in_code = !in_code;
                out.push(c);
            }
            _ if in_code => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '*' | '_' | '[' | ']' | '`' | '|' | '~' | '#' | '@' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_MESSAGE).collect();
    format!("{cut}…")
}

/// Last resort when even the summary is too long (thousands of checks): cut at a line.
fn truncate(mut out: String) -> String {
    const NOTE: &str = "\n… (cut to fit a comment; see the full report)\n";
    let mut end = MARKDOWN_LIMIT - NOTE.len();
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    let end = out[..end].rfind('\n').unwrap_or(end);
    out.truncate(end);
    out.push_str(NOTE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::report::model::SubjectReport;

    #[test]
    fn verdict_table_and_grouped_findings() {
        let (report, _) = fixture::report();
        let md = render_markdown(&report);
        assert!(md.starts_with("## plumbline audit ❌ failed\n"), "{md}");
        assert!(md.contains("**FAILED**, exit 3: 1 check(s) ended in error"), "{md}");
        assert!(md.contains("| `acks` | ❌ fail | 1 | · | 1 | · | · |"), "{md}");
        assert!(md.contains("- `broken` 💥 ended in error: trapped: unreachable"), "{md}");
        assert!(md.contains("#### 🔴 Critical (1)"), "{md}");
        assert!(md.contains("uses &lt;auto-ack&gt; &amp; loses"), "{md}");
        assert!(md.contains("*Fix:* Fix acks/auto-ack &lt;now&gt; &amp; then."), "{md}");
    }

    #[test]
    fn escaping_keeps_code_spans_and_neutralises_markup() {
        assert_eq!(inline("Queue `a<b>` has [link](x) & *bold*"), "Queue `a<b>` has \\[link\\](x) &amp; \\*bold\\*");
        assert_eq!(inline("odd ` tick <"), "odd \\` tick &lt;");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("plain"), "`plain`");
    }

    #[test]
    fn many_findings_are_capped_and_the_size_stays_under_the_limit() {
        let (mut report, _) = fixture::report();
        let many = (0..5000)
            .map(|i| FindingReport {
                rule: "acks/auto-ack".into(),
                severity: "critical",
                subject: SubjectReport {
                    source: "rabbit-prod".into(),
                    kind: "consumer".into(),
                    id: format!("queue-{i}"),
                },
                message: "x".repeat(1000),
                evidence: Vec::new(),
                fingerprint: format!("{i:016x}"),
                remediation: Some("Fix it.".into()),
                original_severity: None,
                suppression: None,
            })
            .collect();
        report.checks[0].findings = many;
        report.summary.findings = 5000;
        let md = render_markdown(&report);
        assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
        assert!(md.contains("… and 4950 more"), "{}", &md[md.len().saturating_sub(300)..]);
        assert_eq!(md.matches("\n- `rabbit-prod` consumer").count(), 50);
    }

    #[test]
    fn hostile_text_is_neutralised_and_escaped() {
        let (report, _) = fixture::hostile_report();
        let md = render_markdown(&report);
        crate::report::untrusted::hostile::assert_clean("markdown", &md, false);
        // Shown, visibly escaped (the backslash doubled for Markdown outside code spans).
        assert!(md.contains("message evil\\\\x1b\\]0;pwned\\\\x07"), "{md}");
        assert!(md.contains("`id evil\\x1b]0;pwned\\x07\\x1b[2K\\r\\x08\\x00\\u009b31m\\u202egpj.exe"), "{md}");
        assert!(!md.contains("<img") && !md.contains("[c](") && !md.contains("![x]"), "{md}");
    }

    #[test]
    fn escaping_neutralises_controls_in_text_and_code() {
        assert_eq!(inline("a\u{1b}[31mb\rc\u{202e}"), "a\\\\x1b\\[31mb\\\\rc\\\\u202e");
        assert_eq!(code("a\u{1b}]0;t\u{7}\nb"), "`a\\x1b]0;t\\x07 b`");
        assert_eq!(inline("`a\u{9b}b`"), "`a\\u009bb`");
    }

    #[test]
    fn truncation_cuts_at_a_line() {
        let long = "line\n".repeat(MARKDOWN_LIMIT);
        let cut = truncate(long);
        assert!(cut.len() <= MARKDOWN_LIMIT);
        assert!(cut.ends_with("see the full report)\n"));
    }
}
