//! Unit tests of the HTML renderer on the shared report fixture (crate::report::fixture).

use super::*;
use crate::report::fixture;
use crate::report::model::{Evidence, FindingReport, SubjectReport};
use crate::report::suppress::{SuppressionRef, SuppressionReport};

const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

fn finding(i: usize, severity: &'static str, message: String) -> FindingReport {
    FindingReport {
        rule: "acks/auto-ack".into(),
        severity,
        subject: SubjectReport { source: "rabbit-prod".into(), kind: "consumer".into(), id: format!("queue-{i}") },
        message,
        evidence: vec![Evidence { key: "ack_mode".into(), value: "auto".into() }],
        fingerprint: format!("{i:016x}"),
        remediation: Some("Fix it.".into()),
        original_severity: None,
        suppression: None,
    }
}

/// Every `attr="value"` of the document.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn verdict_summary_checks_and_findings_are_shown() {
    let (report, catalog) = fixture::report();
    let html = render_html(&report, &catalog, None);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{}", &html[..200]);
    assert!(html.contains("<h1>Audit failed</h1>"), "verdict");
    assert!(html.contains("1 check(s) ended in error"), "gate reason");
    assert!(html.contains("<svg class=\"bars\""), "summary chart");
    // Every check with its status and reason.
    assert!(html.contains("data-check=\"broken\" data-status=\"error\""), "error check row");
    assert!(html.contains("Ended in error: trapped: unreachable"));
    assert!(html.contains("data-check=\"sla\" data-status=\"inconclusive\""));
    assert!(html.contains("section prometheus could not be read"), "inconclusive note");
    // Findings: subject, evidence, the rule's help (escaped), references as text.
    assert!(html.contains("uses &lt;auto-ack&gt; &amp; loses messages"));
    assert!(html.contains("<code>/orders/q|1</code>"));
    assert!(html.contains("<tr><th>line</th><td>12</td></tr>"));
    assert!(html.contains("<strong>Fix</strong> Fix acks/auto-ack &lt;now&gt; &amp; then."));
    assert!(html.contains("<strong>Why</strong> Why acks/auto-ack matters."));
    assert!(html.contains("<code>https://example.com/docs#acks</code>"));
    assert!(html.contains("auto\\x01"), "control characters are shown escaped");
    assert!(!html.contains('\u{1}'));
    // Worst first.
    let critical = html.find("data-severity=\"critical\"").unwrap();
    let medium = html.find("data-severity=\"medium\"").unwrap();
    assert!(critical < medium);
}

#[test]
fn strings_from_checks_and_the_snapshot_render_as_text() {
    let (mut report, catalog) = fixture::report();
    report.snapshot.origin = HOSTILE.into();
    report.summary.gate.reason = HOSTILE.into();
    let check = &mut report.checks[0];
    check.id = HOSTILE.into();
    check.notes = vec![HOSTILE.into()];
    check.error = Some(HOSTILE.into());
    let f = &mut check.findings[0];
    f.message = HOSTILE.into();
    f.rule = HOSTILE.into();
    f.subject = SubjectReport { source: HOSTILE.into(), kind: HOSTILE.into(), id: HOSTILE.into() };
    f.evidence = vec![Evidence { key: HOSTILE.into(), value: HOSTILE.into() }];
    f.remediation = Some(HOSTILE.into());
    let trend =
        Trend { location: HOSTILE.into(), runs: vec![TrendRun::unrecorded(&report, 0)], problem: Some(HOSTILE.into()) };
    let html = render_html(&report, &catalog, Some(&trend));
    assert_eq!(html.matches("<script").count(), 1, "only the report's own script");
    assert!(!html.contains("<img"), "no element from the data");
    assert!(!html.contains("\"'>"), "no attribute closed by the data");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    // The check id inside a fragment link is percent-encoded, then escaped.
    assert!(html.contains("href=\"#check=%3Cscript%3Ealert%281%29"), "chart link");
}

#[test]
fn nothing_is_loaded_from_anywhere() {
    let (report, catalog) = fixture::report();
    let html = render_html(&report, &catalog, None);
    assert!(html.contains(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">")));
    assert!(
        CSP.starts_with("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:")
    );
    assert!(attributes(&html, "src").is_empty(), "no src attribute");
    let hrefs = attributes(&html, "href");
    assert!(!hrefs.is_empty());
    assert!(hrefs.iter().all(|h| h.starts_with('#')), "only in-page links: {hrefs:?}");
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
}

#[test]
fn filters_are_markup_the_script_reads() {
    let (report, catalog) = fixture::report();
    let html = render_html(&report, &catalog, None);
    assert!(html.contains("<div id=\"filters\" class=\"filters\" hidden>"), "hidden without JavaScript");
    for name in ["critical", "high", "medium", "low", "info"] {
        assert!(html.contains(&format!("name=\"severity\" value=\"{name}\"")), "{name} chip");
    }
    assert!(html.contains("<option value=\"acks\">acks</option>"), "check select");
    assert!(html.contains("<option value=\"inconclusive\">inconclusive</option>"), "status select");
    assert!(html.contains("id=\"filter-q\" type=\"search\""));
    assert_eq!(html.matches("data-filter=\"finding\"").count(), report.summary.findings);
    assert_eq!(html.matches("data-filter=\"check\"").count(), report.checks.len());
    assert!(
        html.contains("data-filter=\"finding\" data-severity=\"critical\" data-check=\"acks\" data-status=\"fail\"")
    );
    assert!(html.contains("<script>\n// plumbline HTML report: the filters."));
    assert!(html.contains("location.hash"), "the fragment drives the filters");
}

#[test]
fn suppressed_and_expired_findings_are_apart() {
    let (mut report, catalog) = fixture::report();
    let findings = &mut report.checks[0].findings;
    findings[1].suppression = Some(SuppressionRef {
        reason: "Accepted <until> the migration".into(),
        expires: "2099-01-01".into(),
        defined_in: "plumbline.toml [[suppress]] #1".into(),
    });
    let revived = findings[0].fingerprint.clone();
    report.suppressions = vec![SuppressionReport {
        defined_in: ".plumblineignore.toml [[suppress]] #1".into(),
        rule: "acks/auto-ack".into(),
        subject: Some("*".into()),
        fingerprint: None,
        reason: "old".into(),
        expires: "2020-01-01".into(),
        status: "expired",
        findings: vec![revived],
    }];
    let html = render_html(&report, &catalog, None);
    let suppressed_at = html.find("<section class=\"panel\" id=\"suppressed\">").expect("a suppressed section");
    let card = html.find("data-filter=\"suppressed\"").unwrap();
    assert!(card > suppressed_at, "the suppressed finding is in its own section");
    assert!(html.contains("Suppressed until 2099-01-01 (plumbline.toml [[suppress]] #1): Accepted &lt;until&gt;"));
    assert!(html.contains("suppression expired 2020-01-01: counts again"));
    assert!(html.contains("id=\"suppressions\""), "the suppressions table");
    assert!(html.contains("expired: its findings count again"));
}

#[test]
fn the_size_stays_under_the_limit() {
    let (mut report, catalog) = fixture::report();
    let many: Vec<FindingReport> = (0..20_000).map(|i| finding(i, "critical", "x".repeat(3000))).collect();
    report.summary.findings = many.len();
    report.checks[0].findings = many;
    let html = render_html(&report, &catalog, None);
    assert!(html.len() <= HTML_LIMIT, "{} bytes", html.len());
    let shown = html.matches("data-filter=\"finding\"").count();
    assert!((100..=MAX_FINDINGS).contains(&shown), "{shown} shown");
    assert!(html.contains(&format!("… and {} more finding(s) not shown", 20_000 - shown)));
    assert!(html.contains(&format!("{}…", "x".repeat(1999))), "messages are cut");
    assert!(html.ends_with("</html>\n"));

    // Thousands of long notes: only the verdict and summary remain.
    let (mut report, catalog) = fixture::report();
    report.checks[1].notes = (0..20).map(|_| "n".repeat(5000)).collect();
    let template = report.checks.remove(1);
    for i in 0..400 {
        let mut check = CheckReportClone::of(&template);
        check.id = format!("check-{i}");
        report.checks.push(check);
    }
    let html = render_html(&report, &catalog, None);
    assert!(html.len() <= HTML_LIMIT, "{} bytes", html.len());
    assert!(html.contains("too large to show in full"));
    assert!(html.contains("<h1>Audit failed</h1>") && html.ends_with("</html>\n"));
}

/// `CheckReport` is not `Clone` (it is built once per outcome); tests copy one field by field.
struct CheckReportClone;

impl CheckReportClone {
    fn of(c: &crate::report::model::CheckReport) -> crate::report::model::CheckReport {
        crate::report::model::CheckReport {
            id: c.id.clone(),
            title: c.title.clone(),
            question: c.question.clone(),
            version: c.version.clone(),
            status: c.status,
            evaluated: c.evaluated,
            duration_ms: c.duration_ms,
            plugin: c.plugin.clone(),
            sections_read: Vec::new(),
            error: c.error.clone(),
            notes: c.notes.clone(),
            findings: Vec::new(),
        }
    }
}

#[test]
fn the_trend_is_there_only_with_a_history() {
    let (report, catalog) = fixture::report();
    let html = render_html(&report, &catalog, None);
    assert!(!html.contains("id=\"trend\""));

    let run = |id: i64, critical: i64, passed: bool| TrendRun {
        id: Some(id),
        started_at: 1_767_225_600_000 + id * 86_400_000,
        snapshot: "estate.json".into(),
        passed,
        by_severity: [critical, 2, 0, 1, 0],
        failing: 2,
        inconclusive: 1,
        errored: 0,
        current: false,
    };
    let mut current = TrendRun::unrecorded(&report, 1_767_225_600_000 + 3 * 86_400_000);
    current.by_severity[0] = 7;
    let trend = Trend {
        location: "/tmp/h.sqlite".into(),
        runs: vec![run(1, 4, false), run(2, 0, true), current],
        problem: None,
    };
    let html = render_html(&report, &catalog, Some(&trend));
    let section = &html[html.find("id=\"trend\"").expect("a trend section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("last 3 run(s) · history <code>/tmp/h.sqlite</code>"));
    assert_eq!(section.matches("<svg class=\"columns\"").count(), 2, "severity and check charts");
    assert_eq!(section.matches("<g class=\"col").count(), 6, "one column per run in each chart");
    assert_eq!(section.matches("<g class=\"col current\">").count(), 2, "this run is marked");
    assert!(section.contains("<td>#1</td><td>2026-01-02 00:00 UTC</td>"), "{section}");
    assert!(section.contains("<td>this run</td>"));
    assert!(section.contains("<td class=\"num\">7</td>"), "this run's critical count");
    // Table newest first.
    assert!(section.find("<td>this run</td>").unwrap() < section.find("<td>#1</td>").unwrap());

    let lonely = Trend { location: "h.sqlite".into(), runs: vec![TrendRun::unrecorded(&report, 0)], problem: None };
    let html = render_html(&report, &catalog, Some(&lonely));
    assert!(html.contains("No earlier run is recorded yet"));

    let broken = Trend { location: "postgres://db/x".into(), runs: Vec::new(), problem: Some("refused".into()) };
    let html = render_html(&report, &catalog, Some(&broken));
    assert!(html.contains("The history could not be read: refused"));
}

#[test]
fn code_spans_in_prose_become_code_and_stay_escaped() {
    assert_eq!(prose("queue `a<b>` is `x`"), "queue <code>a&lt;b&gt;</code> is <code>x</code>");
    assert_eq!(prose("odd ` tick <"), "odd ` tick &lt;");
    assert_eq!(prose("`</code><script>`"), "<code>&lt;/code&gt;&lt;script&gt;</code>");
}

#[test]
fn hostile_text_is_neutralised_everywhere() {
    use crate::report::untrusted::hostile;
    let (report, catalog) = fixture::hostile_report();
    let html = render_html(&report, &catalog, None);
    hostile::assert_clean("html", &html, false);
    assert!(html.contains("message evil\\x1b]0;pwned\\x07\\x1b[2K\\r\\x08\\x00\\u009b31m\\u202egpj.exe"));
    assert!(!html.contains("<img src=x>") && !html.contains("href=\"javascript"));
    assert_eq!(Esc("a\rb\tc\u{202e}<").to_string(), "a\\rb c\\u202e&lt;");
}
