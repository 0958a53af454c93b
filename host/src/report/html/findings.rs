//! The findings of the HTML report: the filter bar (hidden until `filter.js` shows it), one card
//! per counted finding, worst first, with its subject, evidence and the rule's help, and the
//! suppressed findings apart. Findings whose suppression expired carry a visible tag.

use std::fmt::Write;

use super::{Esc, SEVERITIES, STATUSES, prose, shorten, text};
use crate::contract::types::Rule;
use crate::report::Catalog;
use crate::report::model::{CheckReport, FindingReport, Report};

/// Evidence rows shown per finding.
const MAX_EVIDENCE: usize = 50;
/// References shown per rule.
const MAX_REFERENCES: usize = 10;

/// The filter controls. `hidden` until the script runs, so a reader without JavaScript sees no
/// control that does nothing.
pub(super) fn filter_bar(out: &mut String, report: &Report) {
    out.push_str(
        "<div id=\"filters\" class=\"filters\" hidden><span class=\"flabel\">Filter</span>\
         <span class=\"chips\" role=\"group\" aria-label=\"Severity\">",
    );
    for (name, label, _) in SEVERITIES {
        let _ = write!(
            out,
            "<label class=\"chip sev-{name}\"><input type=\"checkbox\" name=\"severity\" value=\"{name}\"><i class=\"sw \
             sev-{name}\"></i>{label}</label>"
        );
    }
    out.push_str("</span><select id=\"filter-check\" aria-label=\"Check\"><option value=\"\">every check</option>");
    for check in &report.checks {
        let _ = write!(out, "<option value=\"{}\">{}</option>", Esc(&check.id), Esc(&shorten(&check.id, 60)));
    }
    out.push_str(
        "</select><select id=\"filter-status\" aria-label=\"Check status\"><option value=\"\">any status</option>",
    );
    for (name, _) in STATUSES {
        let _ = write!(out, "<option value=\"{name}\">{name}</option>");
    }
    out.push_str(
        "</select><input id=\"filter-q\" type=\"search\" placeholder=\"Search rule, subject, message…\" \
         aria-label=\"Search\"><button type=\"button\" id=\"filter-reset\">Clear</button>\
         <span class=\"shown\" data-shown=\"finding\"></span></div>\n",
    );
}

/// Counted findings, worst first (check order within a severity), at most `max`.
pub(super) fn section(out: &mut String, report: &Report, catalog: &Catalog, max: usize) {
    let all = ordered(report, false);
    let expired: Vec<(&str, &str)> = report
        .suppressions
        .iter()
        .filter(|s| s.status == "expired")
        .flat_map(|s| s.findings.iter().map(move |fp| (fp.as_str(), s.expires.as_str())))
        .collect();
    let _ = writeln!(
        out,
        "<section class=\"panel\" id=\"findings\"><h2>Findings <span class=\"sub\">{} counted, worst first</span></h2>",
        all.len()
    );
    if all.is_empty() {
        out.push_str("<p class=\"note\">No findings.</p>\n");
    }
    out.push_str("<div class=\"list\">\n");
    for (check, f) in all.iter().take(max) {
        let expired_on = expired.iter().find(|(fp, _)| *fp == f.fingerprint).map(|(_, date)| *date);
        card(out, check, f, rule(catalog, check, f), expired_on);
    }
    out.push_str("</div>\n<p class=\"empty\" data-empty=\"finding\" hidden>No finding matches the filters.</p>\n");
    if all.len() > max {
        let _ = writeln!(
            out,
            "<p class=\"note\">… and {} more finding(s) not shown: this page lists the worst {max}. The JSON report has \
             them all (<code>plumbline audit --format json</code>).</p>",
            all.len() - max
        );
    }
    out.push_str("</section>\n");
}

/// Suppressed findings, apart and dimmed, with the reason and end date of their suppression.
pub(super) fn suppressed(out: &mut String, report: &Report, catalog: &Catalog, max: usize) {
    let all = ordered(report, true);
    if all.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section class=\"panel\" id=\"suppressed\"><h2>Suppressed <span class=\"sub\">{} finding(s), not counted by the \
         summary or the gate</span></h2>\n<div class=\"list\">",
        all.len()
    );
    for (check, f) in all.iter().take(max) {
        card(out, check, f, rule(catalog, check, f), None);
    }
    out.push_str(
        "</div>\n<p class=\"empty\" data-empty=\"suppressed\" hidden>No suppressed finding matches the filters.</p>\n",
    );
    if all.len() > max {
        let _ = writeln!(out, "<p class=\"note\">… and {} more suppressed finding(s) not shown.</p>", all.len() - max);
    }
    out.push_str("</section>\n");
}

fn ordered(report: &Report, suppressed: bool) -> Vec<(&CheckReport, &FindingReport)> {
    let mut all: Vec<(&CheckReport, &FindingReport)> = report
        .checks
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| f.suppression.is_some() == suppressed)
        .collect();
    let rank = |f: &FindingReport| SEVERITIES.iter().position(|(name, _, _)| *name == f.severity).unwrap_or(9);
    all.sort_by_key(|(_, f)| rank(f));
    all
}

fn rule<'a>(catalog: &'a Catalog, check: &CheckReport, f: &FindingReport) -> Option<&'a Rule> {
    catalog.rules(&check.id).iter().find(|r| r.id == f.rule)
}

fn card(out: &mut String, check: &CheckReport, f: &FindingReport, rule: Option<&Rule>, expired_on: Option<&str>) {
    let kind = if f.suppression.is_some() { "suppressed" } else { "finding" };
    let label = SEVERITIES.iter().find(|(name, _, _)| *name == f.severity).map_or(f.severity, |(_, label, _)| label);
    let _ = write!(
        out,
        "<article class=\"finding sev-{sev}{extra}\" id=\"f-{fp}\" data-filter=\"{kind}\" data-severity=\"{sev}\" \
         data-check=\"{check}\" data-status=\"{status}\"><div class=\"fhead\"><span class=\"badge sev-{sev}\">{label}</span>",
        sev = Esc(f.severity),
        extra = if f.suppression.is_some() { " is-suppressed" } else { "" },
        fp = Esc(&f.fingerprint),
        check = Esc(&check.id),
        status = Esc(check.status),
    );
    if let Some(original) = f.original_severity {
        let _ = write!(out, "<span class=\"tag\">override: was {}</span>", Esc(original));
    }
    let _ = write!(out, "<code class=\"rule\">{}</code>", text(&f.rule));
    if let Some(rule) = rule.filter(|r| !r.title.is_empty()) {
        let _ = write!(out, "<span class=\"rtitle\">{}</span>", prose(&rule.title));
    }
    if let Some(date) = expired_on {
        let _ = write!(out, "<span class=\"tag tag-expired\">suppression expired {}: counts again</span>", Esc(date));
    }
    let _ = write!(
        out,
        "</div><p class=\"msg\">{}</p><p class=\"subject\"><span class=\"k\">source</span> <code>{}</code> \
         <span class=\"k\">kind</span> {} <span class=\"k\">id</span> <code>{}</code></p>",
        prose(&f.message),
        text(&f.subject.source),
        text(&f.subject.kind),
        text(&f.subject.id),
    );
    if let Some(s) = &f.suppression {
        let _ = write!(
            out,
            "<p class=\"supp\">Suppressed until {} ({}): {}</p>",
            Esc(&s.expires),
            text(&s.defined_in),
            prose(&s.reason)
        );
    }
    if !f.evidence.is_empty() {
        out.push_str("<table class=\"evidence\"><tbody>");
        for e in f.evidence.iter().take(MAX_EVIDENCE) {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", Esc(&shorten(&e.key, 200)), text(&e.value));
        }
        if f.evidence.len() > MAX_EVIDENCE {
            let _ = write!(out, "<tr><th>…</th><td>{} more</td></tr>", f.evidence.len() - MAX_EVIDENCE);
        }
        out.push_str("</tbody></table>");
    }
    help(out, f, rule);
    let _ = writeln!(
        out,
        "<p class=\"fp\">check <code>{}</code> · fingerprint <code>{}</code></p></article>",
        Esc(&shorten(&check.id, 100)),
        Esc(&f.fingerprint)
    );
}

/// The rule's help: the fix, why it matters, and its references (as text, never as links).
fn help(out: &mut String, f: &FindingReport, rule: Option<&Rule>) {
    let fix = f.remediation.as_deref().or(rule.map(|r| r.remediation.as_str())).filter(|s| !s.is_empty());
    let why = rule.map(|r| r.description.as_str()).filter(|s| !s.is_empty());
    let references = rule.map_or(&[][..], |r| r.references.as_slice());
    if fix.is_none() && why.is_none() && references.is_empty() {
        return;
    }
    out.push_str("<div class=\"help\">");
    if let Some(fix) = fix {
        let _ = write!(out, "<p><strong>Fix</strong> {}</p>", prose(fix));
    }
    if let Some(why) = why {
        let _ = write!(out, "<p class=\"why\"><strong>Why</strong> {}</p>", prose(why));
    }
    if !references.is_empty() {
        out.push_str("<p class=\"refs\"><strong>See</strong> ");
        for (i, reference) in references.iter().take(MAX_REFERENCES).enumerate() {
            let _ = write!(out, "{}<code>{}</code>", if i > 0 { " " } else { "" }, Esc(&shorten(reference, 300)));
        }
        out.push_str("</p>");
    }
    out.push_str("</div>");
}
