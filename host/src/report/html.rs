//! The HTML report (`--format html`): one self-contained file a person opens in a browser — the
//! verdict and why, a summary by check and severity with an inline SVG chart, the trend across
//! recorded runs (when a history is in use, [`Trend`]), every check with its status and reason,
//! and every finding with its subject, evidence and the rule's help; suppressed findings apart.
//!
//! Safe to open from anywhere: nothing is loaded from the network (inline CSS and JS only, a
//! Content-Security-Policy that forbids every other load), and every string that came from the
//! snapshot or a check is escaped ([`Esc`]), its controls, escape sequences and bidi overrides
//! shown as visible escapes (`untrusted`). Rule references are shown as text, never as links.
//! The filters (`html/filter.js`) are driven by the URL fragment (`#severity=critical&check=acks`);
//! without JavaScript the filter bar stays hidden and everything is shown.
//!
//! The document stays under [`HTML_LIMIT`] bytes: at most [`MAX_FINDINGS`] findings are listed
//! (fewer if the document would still be too large), long texts are cut, and as a last resort
//! only the verdict and the summary are rendered.

mod chart;
mod checks;
mod findings;
mod trend;

pub use trend::{TREND_RUNS, Trend, TrendRun};

use std::fmt::{self, Write};

use super::Catalog;
use super::model::Report;
use super::text::format_utc;
use super::untrusted::{Mode, replacement};

/// Upper bound of the rendered size in bytes.
pub const HTML_LIMIT: usize = 5 * 1024 * 1024;
/// Findings listed (worst first) before "… and N more"; suppressed findings count separately.
pub const MAX_FINDINGS: usize = 2000;
/// Longest text from a check kept, in characters (messages, evidence values, notes, errors).
const MAX_TEXT: usize = 2000;

/// The Content-Security-Policy of the document: nothing but its own inline style and script.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/filter.js");

/// Severity names, display names and colours, worst first (the charts, badges and CSS share them).
pub(crate) const SEVERITIES: [(&str, &str, &str); 5] = [
    ("critical", "Critical", "#c92a2a"),
    ("high", "High", "#f76707"),
    ("medium", "Medium", "#f5b800"),
    ("low", "Low", "#1c7ed6"),
    ("info", "Info", "#868e96"),
];

/// Check statuses and their colours.
pub(crate) const STATUSES: [(&str, &str); 5] =
    [("pass", "#2f9e44"), ("fail", "#e03131"), ("inconclusive", "#e67700"), ("error", "#9c36b5"), ("skip", "#adb5bd")];

/// Renders the report as one HTML document of at most [`HTML_LIMIT`] bytes; `trend` adds the
/// trend section (absent without a history).
pub fn render_html(report: &Report, catalog: &Catalog, trend: Option<&Trend>) -> String {
    let mut shown = MAX_FINDINGS;
    loop {
        let out = document(report, catalog, trend, Some(shown));
        if out.len() <= HTML_LIMIT {
            return out;
        }
        if shown == 0 {
            return document(report, catalog, None, None);
        }
        shown /= 2;
    }
}

/// The whole document; `max_findings: None` renders the verdict and summary only.
fn document(report: &Report, catalog: &Catalog, trend: Option<&Trend>, max_findings: Option<usize>) -> String {
    let gate = &report.summary.gate;
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"plumbline {}\">\n<title>plumbline audit {} — {}</title>\n<style>",
        Esc(report.plumbline_version),
        if gate.passed { "passed" } else { "failed" },
        Esc(&report.snapshot.origin),
    );
    out.push_str(":root {\n");
    for (name, _, colour) in SEVERITIES {
        let _ = writeln!(out, "  --{name}: {colour};");
    }
    for (name, colour) in STATUSES {
        let _ = writeln!(out, "  --st-{name}: {colour};");
    }
    out.push_str("}\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    header(&mut out, report);
    out.push_str("<main>\n");
    verdict(&mut out, report);
    summary(&mut out, report);
    match max_findings {
        Some(max) => {
            if let Some(trend) = trend {
                trend::section(&mut out, trend);
            }
            findings::filter_bar(&mut out, report);
            checks::section(&mut out, report);
            findings::section(&mut out, report, catalog, max);
            findings::suppressed(&mut out, report, catalog, max);
            checks::suppressions(&mut out, report);
        }
        None => {
            out.push_str(
                "<section class=\"panel\"><p class=\"note\">This report is too large to show in full \
                 in one page. The JSON report has every check and finding \
                 (<code>plumbline audit --format json</code>).</p></section>\n",
            );
        }
    }
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer>Generated by plumbline {} (contract {}) · report schema {} · self-contained: this \
         file loads nothing from the network.</footer>",
        Esc(report.plumbline_version),
        Esc(report.contract_version),
        Esc(report.schema)
    );
    if max_findings.is_some() {
        let _ = writeln!(out, "<script>\n{SCRIPT}</script>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn header(out: &mut String, report: &Report) {
    let snapshot = &report.snapshot;
    let _ = writeln!(
        out,
        "<header class=\"top\"><span class=\"brand\">plumbline</span> <span class=\"meta\">snapshot \
         <code>{}</code> · sha256 <code title=\"{}\">{}</code> · collected {}</span></header>",
        Esc(&shorten(&snapshot.origin, 300)),
        Esc(&snapshot.sha256),
        Esc(snapshot.sha256.get(..12).unwrap_or(&snapshot.sha256)),
        Esc(&format_utc(snapshot.collected_at)),
    );
}

fn verdict(out: &mut String, report: &Report) {
    let gate = &report.summary.gate;
    let (class, mark, title) =
        if gate.passed { ("pass", "✓", "Audit passed") } else { ("fail", "✗", "Audit failed") };
    let _ = writeln!(
        out,
        "<section class=\"verdict verdict-{class}\" id=\"verdict\"><div class=\"mark\" aria-hidden=\"true\">{mark}</div>\
         <div><h1>{title}</h1><p class=\"reason\">{}</p><p class=\"gate\">gate <code>--fail-on {}</code> · exit code \
         <strong>{}</strong> · inconclusive checks {}</p></div></section>",
        Esc(&shorten(&gate.reason, MAX_TEXT)),
        Esc(&gate.fail_on),
        gate.exit_code,
        if gate.fail_on_inconclusive { "fail the run" } else { "allowed (--allow-inconclusive)" },
    );
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    let b = &s.by_severity;
    out.push_str("<section class=\"panel\" id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">");
    for ((name, label, _), n) in SEVERITIES.iter().zip([b.critical, b.high, b.medium, b.low, b.info]) {
        let _ = write!(
            out,
            "<a class=\"card sev-{name}{}\" href=\"#severity={name}\"><span class=\"n\">{n}</span>\
             <span class=\"l\">{label}</span></a>",
            if n == 0 { " zero" } else { "" }
        );
    }
    let st = &s.by_status;
    let _ = write!(
        out,
        "<div class=\"card checks-card\"><span class=\"n\">{}</span><span class=\"l\">checks</span>\
         <span class=\"statuses\">",
        s.checks
    );
    for (name, n) in [("pass", st.pass), ("fail", st.fail), ("inconclusive", st.inconclusive), ("error", st.error)]
        .into_iter()
        .chain((st.skip > 0).then_some(("skip", st.skip)))
    {
        let _ = write!(out, "<span class=\"st st-{name}{}\">{n} {name}</span> ", if n == 0 { " zero" } else { "" });
    }
    out.push_str("</span></div></div>\n");
    let _ = writeln!(
        out,
        "<p class=\"counts\">{} finding(s) counted{}.</p>",
        s.findings,
        match s.suppressed {
            Some(n) if n > 0 => format!(", {n} suppressed and not counted"),
            _ => String::new(),
        }
    );
    let unreadable: Vec<String> = report
        .snapshot
        .sources
        .iter()
        .filter(|s| !s.ok)
        .map(|s| {
            format!(
                "<code>{}</code> ({}): {}",
                Esc(&s.name),
                Esc(s.kind),
                Esc(&shorten(s.reason.as_deref().unwrap_or("no reason given"), 500))
            )
        })
        .collect();
    if !unreadable.is_empty() {
        let _ = writeln!(out, "<p class=\"warn\">Sources that could not be read: {}</p>", unreadable.join("; "));
    }
    out.push_str("<div class=\"chart\">");
    chart::check_bars(out, report);
    out.push_str("</div>\n<p class=\"legend\">");
    for (name, label, _) in SEVERITIES {
        let _ = write!(out, "<span class=\"key\"><i class=\"sw sev-{name}\"></i>{label}</span>");
    }
    out.push_str("</p>\n</section>\n");
}

/// Escapes text for HTML element content and quoted attribute values. Line feeds stay; other
/// controls, escape sequences and bidi overrides become visible escapes (`untrusted`, block mode).
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || replacement(c, Mode::Block).is_some();
        let mut rest = self.0;
        while let Some(at) = rest.find(special) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or('\u{fffd}');
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => match replacement(c, Mode::Block) {
                    Some(with) => write!(f, "{with}")?,
                    None => f.write_str("\u{fffd}")?,
                },
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// Percent-encodes a value for the URL fragment the filters read (then escape it for the attribute).
pub(crate) fn fragment_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

/// Shortened to [`MAX_TEXT`], then escaped.
pub(crate) fn text(text: &str) -> String {
    Esc(&shorten(text, MAX_TEXT)).to_string()
}

/// As [`text`], with the `code spans` checks write in their messages shown as code (when the
/// backticks pair up; escaping leaves backticks alone, so the spans hold escaped text only).
pub(crate) fn prose(text: &str) -> String {
    let escaped = self::text(text);
    let ticks = escaped.matches('`').count();
    if ticks == 0 || ticks % 2 == 1 {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + ticks * 6);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
#[path = "html/tests.rs"]
mod tests;
