//! JUnit XML (`--format junit`) for CI test views (GitLab, Jenkins, Azure, GitHub test reporters):
//! one `<testsuite>` per check, one `<testcase>` per rule of the check. A rule with findings fails
//! and lists them; a rule without findings (or whose findings are all suppressed) passes; the rules of an `inconclusive` check are
//! skipped with the reason, those of a check in `error` are errors (a check that broke before
//! describing itself is one erroring test case named after it).
//!
//! The document follows the Jenkins xunit `junit-10.xsd` (tests/schemas/), which is what most
//! readers accept. It is written by hand rather than with `quick-junit`, because that crate always
//! puts a `skipped` attribute on `<testsuites>`, which the schema does not allow.
//!
//! Text from checks and snapshots is XML-escaped and neutralised (`untrusted`): CI log views print
//! these messages to a terminal, so controls, escape sequences and bidi overrides are written as
//! visible escapes, never raw and never as character references that a parser would turn back.

use std::fmt::Write;

use super::Catalog;
use super::model::{CheckReport, FindingReport, Report};
use super::untrusted::{self, Line, Mode};
use crate::contract::types::Rule;

/// Renders the report as JUnit XML (UTF-8, ending in a newline).
pub fn render_junit(report: &Report, catalog: &Catalog) -> String {
    let suites: Vec<Suite> = report.checks.iter().map(|check| suite(check, catalog.rules(&check.id))).collect();
    let total = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let seconds: f64 = report.checks.iter().map(|c| c.duration_ms).sum::<f64>() / 1000.0;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"plumbline audit\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{seconds:.3}\">",
        total(|s| s.cases.len()),
        total(|s| s.count(|o| o.is_failure())),
        total(|s| s.count(|o| o.is_error())),
    );
    for (check, suite) in report.checks.iter().zip(&suites) {
        write_suite(&mut out, report, check, suite);
    }
    out.push_str("</testsuites>\n");
    out
}

struct Suite<'a> {
    cases: Vec<Case<'a>>,
}

struct Case<'a> {
    name: String,
    outcome: Outcome<'a>,
}

enum Outcome<'a> {
    Pass,
    Failure(Vec<&'a FindingReport>, Option<&'a Rule>),
    Skipped(String),
    Error(String),
}

impl Outcome<'_> {
    fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failure(..))
    }
    fn is_error(&self) -> bool {
        matches!(self, Outcome::Error(_))
    }
    fn is_skipped(&self) -> bool {
        matches!(self, Outcome::Skipped(_))
    }
}

impl Suite<'_> {
    fn count(&self, pick: impl Fn(&Outcome<'_>) -> bool) -> usize {
        self.cases.iter().filter(|c| pick(&c.outcome)).count()
    }
}

fn suite<'a>(check: &'a CheckReport, rules: &'a [Rule]) -> Suite<'a> {
    let unanswered = match check.status {
        "error" => Some(Outcome::Error(format!(
            "check ended in error: {}",
            check.error.as_deref().unwrap_or("no reason given")
        ))),
        "inconclusive" => Some(Outcome::Skipped(format!("check inconclusive: {}", notes(check, "data missing")))),
        "skip" => Some(Outcome::Skipped(format!("check skipped: {}", notes(check, "nothing to evaluate")))),
        _ => None,
    };
    let reason = |status: &Option<Outcome<'_>>| match status {
        Some(Outcome::Error(why)) => Outcome::Error(why.clone()),
        Some(Outcome::Skipped(why)) => Outcome::Skipped(why.clone()),
        _ => Outcome::Pass,
    };
    let mut cases: Vec<Case<'a>> = rules
        .iter()
        .map(|rule| {
            let findings: Vec<&FindingReport> =
                check.findings.iter().filter(|f| f.rule == rule.id && f.suppression.is_none()).collect();
            let outcome =
                if findings.is_empty() { reason(&unanswered) } else { Outcome::Failure(findings, Some(rule)) };
            Case { name: rule.id.clone(), outcome }
        })
        .collect();
    // Findings under a rule the check did not declare (refused by the runtime; kept for safety).
    let mut undeclared: Vec<&str> = Vec::new();
    // Suppressed findings do not fail a test case (report::suppress).
    for rule in check.findings.iter().filter(|f| f.suppression.is_none()).map(|f| f.rule.as_str()) {
        if !rules.iter().any(|d| d.id == rule) && !undeclared.contains(&rule) {
            undeclared.push(rule);
        }
    }
    for rule in undeclared {
        let findings = check.findings.iter().filter(|f| f.rule == rule && f.suppression.is_none()).collect();
        cases.push(Case { name: rule.to_string(), outcome: Outcome::Failure(findings, None) });
    }
    if cases.is_empty() {
        cases.push(Case { name: check.id.clone(), outcome: reason(&unanswered) });
    }
    Suite { cases }
}

fn notes(check: &CheckReport, default: &str) -> String {
    if check.notes.is_empty() { default.to_string() } else { joined(&check.notes, "; ") }
}

/// Notes (or other one-line texts) neutralised one by one and joined.
fn joined(texts: &[String], separator: &str) -> String {
    texts.iter().map(|t| untrusted::line(t)).collect::<Vec<_>>().join(separator)
}

fn write_suite(out: &mut String, report: &Report, check: &CheckReport, suite: &Suite<'_>) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\" package=\"plumbline\">",
        attr(&check.id),
        suite.cases.len(),
        suite.count(|o| o.is_failure()),
        suite.count(|o| o.is_error()),
        suite.count(|o| o.is_skipped()),
        check.duration_ms.max(0.0) / 1000.0,
    );
    out.push_str("    <properties>\n");
    let properties = [
        ("status", Some(check.status.to_string())),
        ("question", check.question.clone()),
        ("version", check.version.clone()),
        ("origin", Some(check.plugin.origin.clone())),
        ("evaluated", Some(check.evaluated.to_string())),
        ("snapshot", Some(report.snapshot.origin.clone())),
        ("snapshot-sha256", Some(report.snapshot.sha256.clone())),
    ];
    for (name, value) in properties {
        if let Some(value) = value {
            let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", attr(&value));
        }
    }
    out.push_str("    </properties>\n");
    let classname = attr(&format!("plumbline.{}", check.id));
    for case in &suite.cases {
        let head = format!("    <testcase name=\"{}\" classname=\"{classname}\"", attr(&case.name));
        match &case.outcome {
            Outcome::Pass => {
                let _ = writeln!(out, "{head}/>");
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(out, "{head}>\n      <skipped message=\"{}\"/>\n    </testcase>", attr(why));
            }
            Outcome::Error(why) => {
                let _ = writeln!(
                    out,
                    "{head}>\n      <error message=\"{}\" type=\"check-error\">{}</error>\n    </testcase>",
                    attr(why),
                    text(why)
                );
            }
            Outcome::Failure(findings, rule) => {
                let worst = findings.first().map_or("info", |f| f.severity);
                let _ = writeln!(
                    out,
                    "{head}>\n      <failure message=\"{}\" type=\"{worst}\">{}</failure>\n    </testcase>",
                    attr(&failure_message(findings, *rule)),
                    text(&failure_body(findings, *rule)),
                );
            }
        }
    }
    if !check.notes.is_empty() {
        let _ = writeln!(out, "    <system-out>{}</system-out>", text(&joined(&check.notes, "\n")));
    }
    out.push_str("  </testsuite>\n");
}

/// `2 findings (1 critical, 1 high): RabbitMQ consumers acknowledge manually`.
fn failure_message(findings: &[&FindingReport], rule: Option<&Rule>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in findings {
        match counts.iter_mut().find(|(s, _)| *s == f.severity) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.severity, 1)),
        }
    }
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let plural = if findings.len() == 1 { "finding" } else { "findings" };
    let title = rule.map(|r| r.title.as_str()).filter(|t| !t.is_empty());
    match title {
        Some(title) => format!("{} {plural} ({}): {}", findings.len(), counts.join(", "), Line(title)),
        None => format!("{} {plural} ({})", findings.len(), counts.join(", ")),
    }
}

fn failure_body(findings: &[&FindingReport], rule: Option<&Rule>) -> String {
    let mut body = String::new();
    for f in findings {
        let subject = &f.subject;
        let _ =
            writeln!(body, "[{}] {} {} {}", f.severity, Line(&subject.source), Line(&subject.kind), Line(&subject.id));
        let _ = writeln!(body, "  {}", Line(&f.message));
        if !f.evidence.is_empty() {
            let facts: Vec<String> =
                f.evidence.iter().map(|e| format!("{}={}", Line(&e.key), Line(&e.value))).collect();
            let _ = writeln!(body, "  evidence: {}", facts.join("  "));
        }
        let _ = writeln!(body, "  fingerprint: {}", f.fingerprint);
    }
    if let Some(fix) = rule.map(|r| r.remediation.as_str()).filter(|r| !r.is_empty()) {
        let _ = writeln!(body, "fix: {}", Line(fix));
    }
    body
}

/// Escapes text content; line feeds stay, other controls, escape sequences and bidi overrides
/// become visible escapes (`untrusted`), and the few characters XML 1.0 cannot carry U+FFFD.
fn text(value: &str) -> String {
    escape(value, false)
}

/// Escapes an attribute value as [`text`] does, keeping line feeds as character references.
fn attr(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, attribute: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            c => match untrusted::replacement(c, Mode::Block) {
                Some(with) => {
                    let _ = write!(out, "{with}");
                }
                None if c == '\n' || is_xml_char(c) => out.push(c),
                None => out.push('\u{FFFD}'),
            },
        }
    }
    out
}

/// XML 1.0 `Char`, less the tab, line feed and carriage return (neutralised before).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn xml() -> String {
        let (report, catalog) = fixture::report();
        render_junit(&report, &catalog)
    }

    #[test]
    fn one_suite_per_check_and_one_case_per_rule() {
        let xml = xml();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.contains("<testsuites name=\"plumbline audit\" tests=\"5\" failures=\"2\" errors=\"1\""), "{xml}");
        assert!(
            xml.contains("<testsuite name=\"acks\" tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"acks/quiet\" classname=\"plumbline.acks\"/>"), "{xml}");
        assert!(xml.contains("<failure message=\"1 finding (1 critical): Title of acks/auto-ack\" type=\"critical\">"));
    }

    #[test]
    fn inconclusive_rules_are_skipped_and_a_broken_check_is_an_error() {
        let xml = xml();
        assert!(xml.contains(
            "<testcase name=\"sla/p99\" classname=\"plumbline.sla\">\n      <skipped message=\"check inconclusive: section prometheus could not be read\"/>"
        ), "{xml}");
        assert!(xml.contains("<testcase name=\"broken\" classname=\"plumbline.broken\">\n      <error message=\"check ended in error: trapped: unreachable\""), "{xml}");
    }

    #[test]
    fn text_from_checks_is_escaped_and_control_characters_are_replaced() {
        let xml = xml();
        assert!(xml.contains("uses &lt;auto-ack&gt; &amp; loses"), "{xml}");
        assert!(xml.contains("ack_mode=auto\\x01"), "{xml}");
        assert!(!xml.contains('\u{1}'));
        assert_eq!(attr("a\"b\nc"), "a&quot;b&#10;c");
        assert_eq!(attr("a\rb\tc\u{202e}\u{ffff}"), "a\\rb c\\u202e\u{FFFD}");
        assert_eq!(text("a\u{1b}]0;t\u{7}\n"), "a\\x1b]0;t\\x07\n");
    }

    #[test]
    fn hostile_text_is_neutralised_in_every_element_and_attribute() {
        let (report, catalog) = fixture::hostile_report();
        let xml = render_junit(&report, &catalog);
        crate::report::untrusted::hostile::assert_clean("junit", &xml, false);
        assert!(!xml.contains("&#13;") && !xml.contains("&#27;"), "{xml}");
        assert!(xml.contains("message evil\\x1b]0;pwned\\x07\\x1b[2K\\r\\x08\\x00\\u009b31m\\u202egpj.exe"), "{xml}");
        assert!(xml.contains("<error message=\"check ended in error: error evil\\x1b]0;"), "{xml}");
        assert!(xml.contains("<system-out>note evil\\x1b]0;"), "{xml}");
    }
}
