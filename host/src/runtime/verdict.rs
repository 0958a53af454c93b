//! What the host accepts back from a check, as pure functions over plain values (no wasmtime, so
//! they can be unit-tested and fuzzed): `describe()`'s answer is validated, and a `run()` verdict
//! is bounded by the output limits and then held to the contract.
//!
//! Per limit: more findings than `max-findings` or an over-long identifier (rule, subject, evidence
//! key) is an `error` and the findings are dropped — a cut list would read as the whole list.
//! Over-long free text (message, evidence value, note) is cut at `max-string-kib` with a visible
//! marker, and notes beyond `max-notes` are dropped; both leave the verdict alone and add a note
//! saying so.

use crate::contract::types::{CheckInfo, Finding, ParamValue, Section, Status, Verdict};

use super::limits::{Limits, key, raise_hint};
use crate::outcome::ReadState;

/// A verdict after the host has held it to the limits and the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub status: Status,
    pub evaluated: u32,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
    /// Why the host changed the check's own status, or why it is `error`.
    pub error: Option<String>,
}

/// Bounds `verdict` by `limits`, then decides the status the report shows. The check's own status
/// is kept unless it contradicts what the host saw; every change is explained in `error`.
pub fn settle(info: &CheckInfo, verdict: Verdict, reads: &[(Section, ReadState)], limits: &Limits) -> Settled {
    let Verdict { status: claimed, evaluated, findings, notes } = verdict;
    let notes = bound_notes(notes, &info.id, limits);
    match bound_findings(findings, &info.id, limits) {
        Ok((findings, cut)) => {
            let mut settled = enforce(info, claimed, evaluated, findings, notes, reads);
            if cut > 0 {
                settled.notes.push(format!(
                    "plumbline cut {cut} finding text(s) longer than {} KiB ({})",
                    limits.max_string_bytes >> 10,
                    raise_hint(key::MAX_STRING, Some(&info.id))
                ));
            }
            settled
        }
        Err(reason) => Settled { status: Status::Error, evaluated, findings: Vec::new(), notes, error: Some(reason) },
    }
}

/// Findings within `max-findings`, identifiers within `max-string-kib`, free text cut to it.
/// Returns the findings and how many texts were cut, or why the verdict is refused.
fn bound_findings(mut findings: Vec<Finding>, id: &str, limits: &Limits) -> Result<(Vec<Finding>, usize), String> {
    if findings.len() > limits.max_findings {
        return Err(format!(
            "returned {} findings, more than the limit of {}; {}",
            findings.len(),
            limits.max_findings,
            raise_hint(key::MAX_FINDINGS, Some(id))
        ));
    }
    let max = limits.max_string_bytes;
    let mut cut = 0;
    for (i, finding) in findings.iter_mut().enumerate() {
        let too_long = [
            ("rule", &finding.rule),
            ("subject.source", &finding.subject.source),
            ("subject.kind", &finding.subject.kind),
            ("subject.id", &finding.subject.id),
        ]
        .into_iter()
        .chain(finding.evidence.iter().map(|(k, _)| ("evidence key", k)))
        .find(|(_, text)| text.len() > max)
        .map(|(field, text)| (field, text.len()));
        if let Some((field, len)) = too_long {
            return Err(format!(
                "finding {} has a {field} of {} bytes, more than the limit of {} KiB; {}",
                i + 1,
                len,
                max >> 10,
                raise_hint(key::MAX_STRING, Some(id))
            ));
        }
        cut += usize::from(cut_text(&mut finding.message, max));
        for (_, value) in &mut finding.evidence {
            cut += usize::from(cut_text(value, max));
        }
    }
    Ok((findings, cut))
}

/// At most `max-notes` notes, each cut to `max-string-kib`; says what it dropped or cut.
fn bound_notes(mut notes: Vec<String>, id: &str, limits: &Limits) -> Vec<String> {
    let dropped = notes.len().saturating_sub(limits.max_notes);
    notes.truncate(limits.max_notes);
    let cut = notes.iter_mut().filter_map(|n| cut_text(n, limits.max_string_bytes).then_some(())).count();
    if dropped > 0 {
        notes.push(format!(
            "plumbline dropped {dropped} note(s) beyond the limit of {} ({})",
            limits.max_notes,
            raise_hint(key::MAX_NOTES, Some(id))
        ));
    }
    if cut > 0 {
        notes.push(format!(
            "plumbline cut {cut} note(s) longer than {} KiB ({})",
            limits.max_string_bytes >> 10,
            raise_hint(key::MAX_STRING, Some(id))
        ));
    }
    notes
}

/// Cuts `text` to at most `max` bytes (on a character boundary) and marks the cut. True if cut.
pub fn cut_text(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let original = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!(" […cut by plumbline: {original} bytes]"));
    true
}

/// The contract's rules on a (bounded) verdict.
fn enforce(
    info: &CheckInfo,
    claimed: Status,
    evaluated: u32,
    findings: Vec<Finding>,
    notes: Vec<String>,
    reads: &[(Section, ReadState)],
) -> Settled {
    let mut status = claimed;
    let mut error = None;
    let unavailable: Vec<String> = reads
        .iter()
        .filter_map(|(s, r)| match r {
            ReadState::Unavailable(reason) | ReadState::Partial(reason) => Some(format!("{} ({reason})", s.name())),
            _ => None,
        })
        .collect();
    let undeclared: Vec<&str> =
        reads.iter().filter(|(_, r)| *r == ReadState::NotDeclared).map(|(s, _)| s.name()).collect();
    let unknown_rules: Vec<&str> =
        findings.iter().filter(|f| !info.rules.iter().any(|r| r.id == f.rule)).map(|f| f.rule.as_str()).collect();

    if !undeclared.is_empty() {
        status = Status::Error;
        error = Some(format!(
            "read section(s) {} without declaring them in describe(); the host refused the read",
            undeclared.join(", ")
        ));
    } else if !unknown_rules.is_empty() {
        status = Status::Error;
        let distinct: std::collections::BTreeSet<&str> = unknown_rules.iter().copied().collect();
        let shown: Vec<&str> = distinct.into_iter().take(5).collect();
        error =
            Some(format!("returned {} finding(s) for undeclared rule(s): {}", unknown_rules.len(), shown.join(", ")));
    } else if status != Status::Error && !findings.is_empty() {
        status = Status::Fail;
    } else if matches!(status, Status::Pass | Status::Skip) && !unavailable.is_empty() {
        error = Some(format!(
            "reported {} but could not read: {}; the host made it inconclusive",
            status_name(status),
            unavailable.join("; ")
        ));
        status = Status::Inconclusive;
    } else if status == Status::Fail && findings.is_empty() {
        status = Status::Error;
        error = Some("reported fail without any finding".into());
    } else if status == Status::Pass && evaluated == 0 {
        status = Status::Skip;
    }
    // A check that broke the contract is not trusted for findings either, whatever it claimed
    // (found by fuzzing: a check claiming `error` kept findings under undeclared rules).
    let broke_contract = !undeclared.is_empty() || !unknown_rules.is_empty();
    let findings =
        if broke_contract || (status == Status::Error && claimed != Status::Error) { Vec::new() } else { findings };
    Settled { status, evaluated, findings, notes, error }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Inconclusive => "inconclusive",
        Status::Error => "error",
        Status::Skip => "skip",
    }
}

/// `describe()`'s answer: a kebab-case id of at most 64 characters, rule ids under `<id>/`, and
/// no string longer than `max-string-kib` (metadata that large is a bug or an attack).
pub fn validate_info(info: &CheckInfo, limits: &Limits) -> Result<(), String> {
    let id_ok = !info.id.is_empty()
        && info.id.len() <= 64
        && info.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        let shown: String = info.id.chars().take(80).collect();
        return Err(format!("describe() returned an invalid check id {shown:?} (kebab-case, at most 64 chars)"));
    }
    let prefix = format!("{}/", info.id);
    if let Some(rule) = info.rules.iter().find(|r| !r.id.starts_with(&prefix)) {
        let shown: String = rule.id.chars().take(80).collect();
        return Err(format!("rule id `{shown}` does not start with `{prefix}`"));
    }
    let mut texts: Vec<(&str, &str)> =
        vec![("version", info.version.as_str()), ("title", info.title.as_str()), ("question", info.question.as_str())];
    for rule in &info.rules {
        texts.extend([
            ("rule id", rule.id.as_str()),
            ("rule title", rule.title.as_str()),
            ("rule description", rule.description.as_str()),
            ("rule remediation", rule.remediation.as_str()),
        ]);
        texts.extend(rule.references.iter().map(|r| ("rule reference", r.as_str())));
    }
    for param in &info.params {
        texts.extend([("parameter name", param.name.as_str()), ("parameter description", param.description.as_str())]);
        match &param.default {
            ParamValue::Text(text) => texts.push(("parameter default", text.as_str())),
            ParamValue::TextList(items) => texts.extend(items.iter().map(|t| ("parameter default", t.as_str()))),
            _ => {}
        }
    }
    if let Some((field, text)) = texts.iter().find(|(_, t)| t.len() > limits.max_string_bytes) {
        return Err(format!(
            "describe() returned a {field} of {} bytes, more than the limit of {} KiB; {}",
            text.len(),
            limits.max_string_bytes >> 10,
            raise_hint(key::MAX_STRING, Some(&info.id))
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
