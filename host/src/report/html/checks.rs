//! The checks table of the HTML report (every check with its status and why: the error, the notes,
//! the sections it could not read) and the table of configured suppressions and what they did.

use std::fmt::Write;

use super::{Esc, SEVERITIES, prose, shorten, text};
use crate::outcome::ReadState;
use crate::report::model::{CheckReport, Report};

/// Notes shown per check; the JSON report has them all.
const MAX_NOTES: usize = 20;

pub(super) fn section(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<section class=\"panel\" id=\"checks\"><h2>Checks <span class=\"sub\" data-shown=\"check\">{} check(s)</span></h2>\n\
         <div class=\"scroll\"><table class=\"checks\"><thead><tr><th>Check</th><th>Status</th><th>Findings</th>\
         <th>Why</th><th class=\"num\">Evaluated</th><th class=\"num\">Time</th></tr></thead><tbody>",
        report.checks.len()
    );
    for check in &report.checks {
        row(out, check);
    }
    out.push_str(
        "</tbody></table></div>\n<p class=\"empty\" data-empty=\"check\" hidden>No check matches the filters.</p>\n\
         </section>\n",
    );
}

fn row(out: &mut String, check: &CheckReport) {
    let _ = write!(
        out,
        "<tr class=\"check row-{status}\" data-filter=\"check\" data-check=\"{id}\" data-status=\"{status}\">\
         <td><code class=\"id\">{id}</code>",
        status = Esc(check.status),
        id = Esc(&check.id),
    );
    if let Some(title) = &check.title {
        let _ = write!(out, "<div class=\"title\">{}</div>", text(title));
    }
    if let Some(question) = &check.question {
        let _ = write!(out, "<div class=\"q\">{}</div>", prose(question));
    }
    let _ = write!(
        out,
        "<div class=\"origin\">{}{}</div></td><td><span class=\"st st-{}\">{}</span></td><td>",
        Esc(&shorten(&check.plugin.origin, 200)),
        check.version.as_deref().map(|v| format!(" · v{}", Esc(&shorten(v, 40)))).unwrap_or_default(),
        Esc(check.status),
        Esc(check.status),
    );
    let mut any = false;
    for (name, _, _) in SEVERITIES {
        let n = check.findings.iter().filter(|f| f.severity == name && f.suppression.is_none()).count();
        if n > 0 {
            any = true;
            let _ = write!(out, "<span class=\"pill sev-{name}\" title=\"{n} {name}\">{n}</span>");
        }
    }
    let suppressed = check.findings.iter().filter(|f| f.suppression.is_some()).count();
    if suppressed > 0 {
        any = true;
        let _ =
            write!(out, "<span class=\"pill muted\" title=\"suppressed, not counted\">{suppressed} suppressed</span>");
    }
    if !any {
        out.push_str("<span class=\"dim\">—</span>");
    }
    out.push_str("</td><td class=\"why\">");
    why(out, check);
    let _ = writeln!(
        out,
        "</td><td class=\"num\">{}</td><td class=\"num\">{:.1} ms</td></tr>",
        check.evaluated, check.duration_ms
    );
}

/// Why the check has its status, in words.
fn why(out: &mut String, check: &CheckReport) {
    let counted = check.findings.iter().filter(|f| f.suppression.is_none()).count();
    match check.status {
        "error" => {
            let _ = write!(
                out,
                "<p class=\"err\">Ended in error: {}</p>",
                prose(check.error.as_deref().unwrap_or("no reason given"))
            );
        }
        "inconclusive" if check.notes.is_empty() => {
            out.push_str("<p>Inconclusive: the data it needs is missing.</p>");
        }
        "inconclusive" => out.push_str("<p>Inconclusive:</p>"),
        "pass" => {
            let _ = write!(out, "<p>No finding in {} resource(s) evaluated.</p>", check.evaluated);
        }
        "fail" => {
            let _ = write!(out, "<p>{counted} finding(s) counted.</p>");
        }
        _ => {}
    }
    if let Some(error) = check.error.as_deref().filter(|_| check.status != "error") {
        let _ = write!(out, "<p class=\"err\">{}</p>", text(error));
    }
    let unread: Vec<String> = check
        .sections_read
        .iter()
        .filter_map(|read| match &read.state {
            ReadState::Available | ReadState::NotDeclared => None,
            ReadState::NotCollected => Some(format!("<code>{}</code> not collected", Esc(read.section))),
            ReadState::Partial(reason) => {
                Some(format!("<code>{}</code> partly read: {}", Esc(read.section), Esc(&shorten(reason, 500))))
            }
            ReadState::Unavailable(reason) => {
                Some(format!("<code>{}</code> unavailable: {}", Esc(read.section), Esc(&shorten(reason, 500))))
            }
        })
        .collect();
    if !check.notes.is_empty() || !unread.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for note in check.notes.iter().take(MAX_NOTES) {
            let _ = write!(out, "<li>{}</li>", prose(note));
        }
        if check.notes.len() > MAX_NOTES {
            let _ = write!(out, "<li>… and {} more note(s)</li>", check.notes.len() - MAX_NOTES);
        }
        for line in unread {
            let _ = write!(out, "<li>{line}</li>");
        }
        out.push_str("</ul>");
    }
}

/// Every configured suppression and what it did (only when some are configured).
pub(super) fn suppressions(out: &mut String, report: &Report) {
    if report.suppressions.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"panel\" id=\"suppressions\"><h2>Suppressions <span class=\"sub\">configured</span></h2>\n\
         <div class=\"scroll\"><table class=\"suppressions\"><thead><tr><th>Status</th><th>Rule</th><th>Subject</th>\
         <th>Reason</th><th>Expires</th><th class=\"num\">Findings</th><th>Defined in</th></tr></thead><tbody>\n",
    );
    for s in &report.suppressions {
        let on = match (&s.subject, &s.fingerprint) {
            (Some(subject), _) => format!("<code>{}</code>", text(subject)),
            (None, Some(fp)) => format!("fingerprint <code>{}</code>", text(fp)),
            (None, None) => "—".into(),
        };
        let what = match s.status {
            "expired" => "expired: its findings count again",
            "unused" => "unused: matches no finding",
            _ => "active",
        };
        let _ = writeln!(
            out,
            "<tr class=\"sup-{status}\"><td><span class=\"tag tag-{status}\">{}</span></td><td><code>{}</code></td>\
             <td>{on}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            what,
            text(&s.rule),
            text(&s.reason),
            Esc(&s.expires),
            s.findings.len(),
            text(&s.defined_in),
            status = Esc(s.status),
        );
    }
    out.push_str("</tbody></table></div></section>\n");
}
