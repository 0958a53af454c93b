//! Suppressions and severity overrides: the policy a team applies to an audit's findings after
//! the checks ran (checks never see it). Semantics and syntax: docs/suppressions.md.
//!
//! ```toml
//! # plumbline.toml, or .plumblineignore.toml next to it (or in the working directory)
//! [[suppress]]
//! rule = "security/kafka-plaintext-listener"   # a rule id, or a glob: "security/*"
//! subject = "kafka-prod/listener/*"            # glob over `source/kind/id`; "*" = any subject
//! reason = "Internal listener; TLS migration tracked in OPS-123"
//! expires = 2026-06-30                         # a date; the suppression applies before it
//!
//! [severity-overrides]                          # plumbline.toml only
//! "acks/kafka-auto-commit" = "critical"        # rule id or glob → severity
//! ```
//!
//! - A finding matched by an unexpired suppression is *suppressed*: it stays in the report (JSON
//!   `suppression`, SARIF `suppressions`), is listed apart in text and Markdown, and is not
//!   counted by the summary or the gate.
//! - A suppression whose `expires` date is today or earlier (UTC) no longer applies: the findings
//!   it matches count again, and the report lists it as `expired`. One that matches nothing is
//!   listed as `unused`.
//! - A severity override replaces the severity of every finding of the rule before the gate is
//!   decided; the finding keeps the check's severity in `original_severity`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{FindingReport, Gate, Report, SeverityCounts};
use crate::config::{Config, ConfigError};
use crate::contract::types::Severity;

/// The file of suppressions read next to the config file (or in the working directory).
pub const IGNORE_FILE: &str = ".plumblineignore.toml";

/// One `[[suppress]]` table as written; checked by [`Policy::load`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressEntry {
    pub rule: Option<String>,
    pub subject: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
    /// A TOML date (`2026-06-30`) or a string holding one.
    pub expires: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    #[serde(default)]
    suppress: Vec<SuppressEntry>,
}

/// A calendar date (UTC), compared as `(year, month, day)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, refusing dates that do not exist (`2026-02-30`).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = &text[range];
            part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(Date { year, month: month as u8, day: day as u8 })
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let text = super::text::format_utc(now);
        Date::parse(&text[..10]).unwrap_or(Date { year: 1970, month: 1, day: 1 })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One checked suppression.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// `plumbline.toml [[suppress]] #2`: where it is written, for people.
    pub defined_in: String,
    pub rule: String,
    pub subject: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub expires: Date,
}

impl Suppression {
    fn matches(&self, f: &FindingReport) -> bool {
        glob(&self.rule, &f.rule)
            && self.subject.as_ref().is_none_or(|p| glob(p, &subject_path(f)))
            && self.fingerprint.as_ref().is_none_or(|fp| fp.eq_ignore_ascii_case(&f.fingerprint))
    }

    /// Applies while today is before `expires`.
    fn active_on(&self, today: Date) -> bool {
        today < self.expires
    }
}

/// The suppressions and severity overrides of a run. Empty by default.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub suppressions: Vec<Suppression>,
    /// Rule id or glob → severity, in the order they are tried (exact ids first, then the
    /// longest glob).
    pub overrides: Vec<(String, Severity)>,
}

impl Policy {
    /// The `[[suppress]]` and `[severity-overrides]` of `config` (read from `config_file`), then
    /// the `[[suppress]]` of [`IGNORE_FILE`] in the config's directory, or in the working
    /// directory when there is no config file.
    pub fn load(config: &Config, config_file: Option<&Path>) -> Result<Policy, ConfigError> {
        let config_path = config_file.map_or_else(|| PathBuf::from("plumbline.toml"), Path::to_path_buf);
        let mut policy = Policy {
            suppressions: parse_entries(&config.suppress, &config_path)?,
            overrides: parse_overrides(&config.severity_overrides, &config_path)?,
        };
        let ignore = config.base_dir.join(IGNORE_FILE);
        let same_file = config_file.is_some_and(|c| c.file_name().is_some_and(|n| n == IGNORE_FILE));
        if !same_file && ignore.is_file() {
            let text =
                std::fs::read_to_string(&ignore).map_err(|source| ConfigError::Io { path: ignore.clone(), source })?;
            let file: IgnoreFile = toml::from_str(&text)
                .map_err(|e| ConfigError::Invalid { path: ignore.clone(), message: e.to_string() })?;
            policy.suppressions.extend(parse_entries(&file.suppress, &ignore)?);
        }
        Ok(policy)
    }

    pub fn is_empty(&self) -> bool {
        self.suppressions.is_empty() && self.overrides.is_empty()
    }

    /// Fails when a severity override names no rule of the available checks (`known`): a typo
    /// would otherwise leave the severity unchanged without a word.
    pub fn check_rules(&self, known: &[&str]) -> Result<(), String> {
        for (pattern, _) in &self.overrides {
            if !known.iter().any(|rule| glob(pattern, rule)) {
                return Err(format!("severity-overrides.\"{pattern}\": matches no rule of the available checks"));
            }
        }
        Ok(())
    }

    fn severity_for(&self, rule: &str) -> Option<Severity> {
        self.overrides.iter().find(|(pattern, _)| glob(pattern, rule)).map(|(_, severity)| *severity)
    }
}

fn parse_entries(entries: &[SuppressEntry], path: &Path) -> Result<Vec<Suppression>, ConfigError> {
    let file = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            parse_entry(entry, format!("{file} [[suppress]] #{}", i + 1)).map_err(|why| ConfigError::Invalid {
                path: path.to_owned(),
                message: format!("[[suppress]] #{}: {why}", i + 1),
            })
        })
        .collect()
}

fn parse_entry(entry: &SuppressEntry, defined_in: String) -> Result<Suppression, String> {
    let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let rule = text(&entry.rule).ok_or("`rule` is required: a rule id or a glob such as \"security/*\"")?;
    let reason =
        text(&entry.reason).ok_or("`reason` is required and must not be empty: say why the risk is accepted")?;
    let expires = match &entry.expires {
        None => return Err("`expires` is required: a date (expires = 2026-06-30); every suppression must end".into()),
        Some(value) => {
            let shown = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Datetime(d) => d.to_string(),
                other => other.to_string(),
            };
            Date::parse(shown.trim()).ok_or(format!("expires = {shown}: not a date; write YYYY-MM-DD"))?
        }
    };
    let fingerprint = text(&entry.fingerprint);
    if let Some(fp) = &fingerprint
        && !(fp.len() == 16 && fp.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("fingerprint = \"{fp}\": a finding's fingerprint is 16 hex digits, as in the report"));
    }
    let subject = text(&entry.subject);
    if subject.is_none() && fingerprint.is_none() {
        return Err("give `subject` (a glob over source/kind/id; \"*\" for every subject) or `fingerprint`".into());
    }
    Ok(Suppression { defined_in, rule, subject, fingerprint, reason, expires })
}

fn parse_overrides(
    table: &std::collections::BTreeMap<String, String>,
    path: &Path,
) -> Result<Vec<(String, Severity)>, ConfigError> {
    let mut overrides = Vec::new();
    for (pattern, name) in table {
        let severity = Severity::parse(name.trim()).ok_or_else(|| ConfigError::Invalid {
            path: path.to_owned(),
            message: format!(
                "severity-overrides.\"{pattern}\" = \"{name}\": not a severity (critical, high, medium, low, info)"
            ),
        })?;
        overrides.push((pattern.clone(), severity));
    }
    // Exact rule ids first, then globs from the most specific (longest) down.
    overrides.sort_by_key(|(pattern, _)| (is_glob(pattern), std::cmp::Reverse(pattern.len())));
    Ok(overrides)
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// The subject as suppressions see it: `source/kind/id`.
fn subject_path(f: &FindingReport) -> String {
    format!("{}/{}/{}", f.subject.source, f.subject.kind, f.subject.id)
}

/// `*` matches any run of characters (`/` included), `?` one character; the rest literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// How a finding was suppressed (JSON `checks[].findings[].suppression`).
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionRef {
    pub reason: String,
    /// The suppression applies before this date (`YYYY-MM-DD`).
    pub expires: String,
    pub defined_in: String,
}

/// A configured suppression and what it did in this run (JSON `suppressions[]`).
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionReport {
    pub defined_in: String,
    pub rule: String,
    pub subject: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub expires: String,
    /// `active` (applied to at least one finding), `unused` (matched none) or `expired`.
    pub status: &'static str,
    /// Fingerprints of the findings it matches; for an expired one, those that count again.
    pub findings: Vec<String>,
}

impl Report {
    /// Applies `policy` as of `today`: severity overrides first, then suppressions; then the
    /// summary and the gate are counted again over the findings that are not suppressed.
    pub fn apply_policy(&mut self, policy: &Policy, today: Date) {
        if policy.is_empty() {
            return;
        }
        let mut matched: Vec<Vec<String>> = vec![Vec::new(); policy.suppressions.len()];
        for check in &mut self.checks {
            for f in &mut check.findings {
                if let Some(severity) = policy.severity_for(&f.rule)
                    && severity.name() != f.severity
                {
                    f.original_severity.get_or_insert(f.severity);
                    f.severity = severity.name();
                }
                for (i, s) in policy.suppressions.iter().enumerate() {
                    if !s.matches(f) {
                        continue;
                    }
                    matched[i].push(f.fingerprint.clone());
                    if f.suppression.is_none() && s.active_on(today) {
                        f.suppression = Some(SuppressionRef {
                            reason: s.reason.clone(),
                            expires: s.expires.to_string(),
                            defined_in: s.defined_in.clone(),
                        });
                    }
                }
            }
            let rank = |f: &FindingReport| Severity::parse(f.severity).map_or(9, Severity::rank);
            check.findings.sort_by(|a, b| (rank(a), &a.rule, &a.subject.id).cmp(&(rank(b), &b.rule, &b.subject.id)));
        }
        self.suppressions = policy
            .suppressions
            .iter()
            .zip(matched)
            .map(|(s, findings)| SuppressionReport {
                defined_in: s.defined_in.clone(),
                rule: s.rule.clone(),
                subject: s.subject.clone(),
                fingerprint: s.fingerprint.clone(),
                reason: s.reason.clone(),
                expires: s.expires.to_string(),
                status: match (s.active_on(today), findings.is_empty()) {
                    (false, _) => "expired",
                    (true, true) => "unused",
                    (true, false) => "active",
                },
                findings,
            })
            .collect();
        self.recount(!policy.suppressions.is_empty());
    }

    /// Counts findings, severities and the gate again, leaving suppressed findings out.
    fn recount(&mut self, with_suppressions: bool) {
        let fail_on = Severity::parse(&self.summary.gate.fail_on);
        let mut by_severity = SeverityCounts::default();
        let (mut findings, mut suppressed, mut at_or_above, mut revived) = (0, 0, 0, 0);
        let expired: Vec<&str> = self
            .suppressions
            .iter()
            .filter(|s| s.status == "expired")
            .flat_map(|s| s.findings.iter().map(String::as_str))
            .collect();
        for f in self.checks.iter().flat_map(|c| c.findings.iter()) {
            if f.suppression.is_some() {
                suppressed += 1;
                continue;
            }
            findings += 1;
            let severity = Severity::parse(f.severity).unwrap_or(Severity::Info);
            *by_severity.slot(severity) += 1;
            if fail_on.is_some_and(|t| severity.rank() <= t.rank()) {
                at_or_above += 1;
                if expired.contains(&f.fingerprint.as_str()) {
                    revived += 1;
                }
            }
        }
        let summary = &mut self.summary;
        let mut gate = Gate::decide(fail_on, summary.gate.fail_on_inconclusive, at_or_above, &summary.by_status);
        if revived > 0 {
            let threshold = &gate.fail_on;
            gate.reason.push_str(&format!(
                "; {revived} of the finding(s) at or above {threshold} count again because their suppression expired"
            ));
        }
        if suppressed > 0 {
            gate.reason.push_str(&format!("; {suppressed} suppressed finding(s) not counted"));
        }
        summary.findings = findings;
        summary.by_severity = by_severity;
        summary.suppressed = with_suppressions.then_some(suppressed);
        summary.gate = gate;
    }
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;
