//! SARIF 2.1.0 (`--format sarif`) in the shape GitHub code scanning accepts: one run; the driver
//! lists every rule of every check that ran, with help text, a default level, `security-severity`
//! and tags; each finding is a result with a level, a physical location (the config file and line
//! when the finding names one, else the snapshot or config the audit read, line 1), a logical
//! location for the subject and the report's stable fingerprint. A suppressed finding keeps its
//! result, with an `external`, `accepted` suppression carrying the reason. Checks that ended
//! `error` or `inconclusive`, unreadable sources and expired or unused suppressions become tool
//! execution notifications, and the gate is in the invocation. Validated against the OASIS schema in tests/e2e/formats.rs.
//!
//! Text from checks and snapshots is untrusted: every `text` field is neutralised (`untrusted`),
//! `help.markdown` escapes it as the Markdown report does (`markdown::inline`), and a reference
//! becomes a link only when it is a plain `https://` or `http://` URL. The document is written
//! with `untrusted::to_json_pretty`, so no control or bidi character appears raw in the file.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultKind, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

use super::markdown::inline;
use super::model::{CheckReport, FindingReport, Report};
use super::untrusted::{self, Block, Line, block, line};
use super::{Catalog, RenderError};
use crate::contract::types::{Rule, Severity};

/// The schema URI GitHub's documentation and most tools put in `$schema`.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The project's home (the workspace `repository`; the host crate does not inherit it).
const INFORMATION_URI: &str = "https://github.com/plumbline-audit/plumbline";
/// Key of the report's fingerprint in `partialFingerprints`; bump the suffix if its recipe changes.
const FINGERPRINT_KEY: &str = "plumbline/v1";

/// Where relative artifact URIs are anchored.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions<'a> {
    /// Absolute paths under this directory (the working directory, normally the repository
    /// checkout) are written relative to it, as GitHub expects; others become `file://` URIs.
    pub base_dir: Option<&'a Path>,
}

/// Renders the report as a SARIF 2.1.0 log (pretty JSON, ending in a newline).
pub fn render_sarif(report: &Report, catalog: &Catalog, options: &SarifOptions<'_>) -> Result<String, RenderError> {
    let rules = descriptors(report, catalog);
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let fallback = fallback_artifact(&report.snapshot.origin);
    let results: Vec<SarifResult> = report
        .checks
        .iter()
        .flat_map(|check| check.findings.iter().map(move |f| (check, f)))
        .map(|(check, f)| result(check, f, index.get(f.rule.as_str()).copied(), &fallback, options))
        .collect();

    let mut driver = ToolComponent::builder()
        .name("plumbline")
        .version(report.plumbline_version)
        .semantic_version(report.plumbline_version)
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    driver.full_name = Some(format!("plumbline {} (contract {})", report.plumbline_version, report.contract_version));
    let extensions: Vec<ToolComponent> = report.checks.iter().map(extension).collect();
    let tool = Tool::builder().driver(driver).extensions(extensions).build();

    let mut run = Run::builder().tool(tool).results(results).invocations(vec![invocation(report)]).build();
    run.properties = Some(bag([(
        "plumbline",
        json!({
            "schema": report.schema,
            "snapshot": {
                "origin": report.snapshot.origin,
                "sha256": report.snapshot.sha256,
                "collected_at": report.snapshot.collected_at,
            },
            "summary": {
                "checks": report.summary.checks,
                "findings": report.summary.findings,
                "by_severity": report.summary.by_severity,
                "by_status": report.summary.by_status,
                "suppressed": report.summary.suppressed,
            },
        }),
    )]));
    let log = Sarif::builder().schema(SCHEMA_URI).version(json!("2.1.0")).runs(vec![run]).build();
    Ok(untrusted::to_json_pretty(&log)? + "\n")
}

/// Every rule of every check in the report, in check order, plus a bare descriptor for any rule
/// a finding names that its check did not declare (the runtime refuses those, but the log must
/// stay consistent whatever it is given).
fn descriptors(report: &Report, catalog: &Catalog) -> Vec<ReportingDescriptor> {
    let mut out: Vec<ReportingDescriptor> = Vec::new();
    for check in &report.checks {
        for rule in catalog.rules(&check.id) {
            if !out.iter().any(|d| d.id == rule.id) {
                out.push(descriptor(&check.id, rule));
            }
        }
        for finding in &check.findings {
            if !out.iter().any(|d| d.id == finding.rule) {
                let mut bare = ReportingDescriptor::builder().id(finding.rule.as_str()).build();
                bare.short_description = Some(text_only(&line(&finding.rule)));
                bare.properties = Some(tags(&check.id, []));
                out.push(bare);
            }
        }
    }
    out
}

fn descriptor(check: &str, rule: &Rule) -> ReportingDescriptor {
    let title = if rule.title.is_empty() { rule.id.as_str() } else { rule.title.as_str() };
    let description = if rule.description.is_empty() { title } else { rule.description.as_str() };
    let mut d = ReportingDescriptor::builder()
        .id(rule.id.as_str())
        .short_description(text_only(&line(title)))
        .full_description(text_only(&block(description)))
        .build();
    d.name = Some(friendly_name(&rule.id));
    d.help = Some(help(rule));
    d.help_uri = rule.references.iter().find(|r| is_link(r)).cloned();
    let level = level_name(rule.default_severity.name());
    d.default_configuration = Some(ReportingConfiguration::builder().level(json!(level)).build());
    let extra = security_severity(rule.default_severity).map(|s| ("security-severity", json!(s)));
    let mut properties = tags(check, extra);
    properties.additional_properties.insert("precision".into(), json!("high"));
    properties.additional_properties.insert("plumbline-severity".into(), json!(rule.default_severity.name()));
    d.properties = Some(properties);
    d
}

/// SARIF's "friendly name", a PascalCase identifier: `acks/rabbitmq-auto-ack` → `RabbitmqAutoAck`.
fn friendly_name(rule_id: &str) -> String {
    let local = rule_id.rsplit('/').next().unwrap_or(rule_id);
    let mut name = String::with_capacity(local.len());
    for word in local.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if name.is_empty() { rule_id.to_string() } else { name }
}

/// The rule's remediation first (what GitHub shows under "Recommendation"), then why, then links.
/// The check's text is neutralised in `text` and escaped as Markdown in `markdown`, where only a
/// plain `http(s)://` reference becomes a link.
fn help(rule: &Rule) -> MultiformatMessageString {
    let mut text = String::new();
    let mut markdown = String::new();
    if !rule.remediation.is_empty() {
        text.push_str(&block(&rule.remediation));
        markdown.push_str(&format!("**What to do.** {}", inline(&rule.remediation)));
    }
    if !rule.description.is_empty() {
        text.push_str(&format!("\n\nWhy it matters: {}", block(&rule.description)));
        markdown.push_str(&format!("\n\n**Why it matters.** {}", inline(&rule.description)));
    }
    if !rule.references.is_empty() {
        text.push_str("\n\nReferences:");
        markdown.push_str("\n\n**References**\n");
        for reference in &rule.references {
            text.push_str(&format!("\n- {}", Line(reference)));
            if is_link(reference) {
                markdown.push_str(&format!("\n- <{reference}>"));
            } else {
                markdown.push_str(&format!("\n- {}", inline(reference)));
            }
        }
    }
    let text = text.trim().to_string();
    let text = if text.is_empty() { line(&rule.id).into_owned() } else { text };
    let markdown = markdown.trim().to_string();
    let mut help = text_only(&text);
    help.markdown = (!markdown.is_empty()).then_some(markdown);
    help
}

/// A reference that can be a Markdown autolink (`<https://…>`) and a `helpUri`: `https://` or
/// `http://`, then only visible ASCII that cannot end the autolink or start markup.
fn is_link(reference: &str) -> bool {
    let scheme = |s: &str| reference.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s));
    let rest = if scheme("https://") {
        &reference[8..]
    } else if scheme("http://") {
        &reference[7..]
    } else {
        return false;
    };
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'`' | b'\\'))
}

fn result(
    check: &CheckReport,
    f: &FindingReport,
    rule_index: Option<usize>,
    fallback: &str,
    options: &SarifOptions<'_>,
) -> SarifResult {
    let evidence = |key: &str| f.evidence.iter().find(|e| e.key == key).map(|e| e.value.as_str());
    // A finding about a config file points at it (and its line); any other subject lives in the
    // estate, which the snapshot (or the config it was collected from) describes.
    let (path, line) = match evidence("file") {
        Some(file) if !file.is_empty() => {
            (file, evidence("line").and_then(|l| l.trim().parse::<i64>().ok()).filter(|l| *l >= 1).unwrap_or(1))
        }
        _ => (fallback, 1),
    };
    let physical = PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(artifact_uri(path, options.base_dir)).build())
        .region(Region::builder().start_line(line).build())
        .build();
    let mut logical = LogicalLocation::builder()
        .name(f.subject.id.as_str())
        .fully_qualified_name(format!("{}/{}/{}", f.subject.source, f.subject.kind, f.subject.id))
        .kind("resource")
        .build();
    logical.properties = Some(bag([("source", json!(f.subject.source)), ("kind", json!(f.subject.kind))]));
    let mut location = Location::builder().physical_location(physical).logical_locations(vec![logical]).build();
    location.message =
        Some(message(&format!("{} `{}` on {}", Line(&f.subject.kind), Line(&f.subject.id), Line(&f.subject.source))));

    let mut result = SarifResult::builder()
        .rule_id(f.rule.as_str())
        .level(level(f.severity))
        .kind(ResultKind::Fail)
        .message(message(&block(&f.message)))
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), f.fingerprint.clone())]))
        .build();
    result.rule_index = rule_index.and_then(|i| i64::try_from(i).ok());
    let evidence: serde_json::Map<String, Value> =
        f.evidence.iter().map(|e| (e.key.clone(), Value::String(e.value.clone()))).collect();
    let mut properties = bag([
        ("check", json!(check.id)),
        ("severity", json!(f.severity)),
        ("subject", json!({ "source": f.subject.source, "kind": f.subject.kind, "id": f.subject.id })),
        ("evidence", Value::Object(evidence)),
    ]);
    if let Some(original) = f.original_severity {
        properties.additional_properties.insert("original-severity".into(), json!(original));
    }
    result.properties = Some(properties);
    if let Some(s) = &f.suppression {
        let mut suppression = Suppression::builder()
            .kind(json!("external"))
            .justification(untrusted::line(&s.reason).into_owned())
            .build();
        suppression.status = Some(json!("accepted"));
        suppression.properties = Some(bag([("expires", json!(s.expires)), ("defined-in", json!(s.defined_in))]));
        result.suppressions = Some(vec![suppression]);
    }
    result
}

/// One tool extension per check that ran: which component, which version.
fn extension(check: &CheckReport) -> ToolComponent {
    let mut component = ToolComponent::builder().name(check.id.as_str()).build();
    component.version = check.version.clone();
    component.full_name = check.title.as_deref().map(|t| line(t).into_owned());
    component.short_description = check.question.as_deref().map(|q| text_only(&line(q)));
    component.properties = Some(bag([
        ("origin", json!(check.plugin.origin)),
        ("sha256", json!(check.plugin.sha256)),
        ("status", json!(check.status)),
    ]));
    component
}

/// The run's gate, and a notification for every check whose question went unanswered and every
/// source that could not be read.
fn invocation(report: &Report) -> Invocation {
    let mut notifications = Vec::new();
    for source in report.snapshot.sources.iter().filter(|s| !s.ok) {
        let why = source.reason.as_deref().unwrap_or("no reason given");
        notifications.push(notification(
            "warning",
            format!("source `{}` could not be read: {}", Line(&source.name), Line(why)),
            None,
        ));
    }
    for check in &report.checks {
        match check.status {
            "error" => {
                let why = check.error.as_deref().unwrap_or("no reason given");
                notifications.push(notification(
                    "error",
                    format!("check `{}` ended in error: {}", Line(&check.id), Block(why)),
                    Some(check),
                ));
            }
            "inconclusive" => {
                let why = if check.notes.is_empty() {
                    "data missing".to_string()
                } else {
                    check.notes.iter().map(|n| line(n)).collect::<Vec<_>>().join("; ")
                };
                notifications.push(notification(
                    "warning",
                    format!("check `{}` is inconclusive: {why}", Line(&check.id)),
                    Some(check),
                ));
            }
            _ => {}
        }
    }
    for s in report.suppressions.iter().filter(|s| s.status != "active") {
        let what = if s.status == "expired" {
            format!("expired {}; {} finding(s) count again", Line(&s.expires), s.findings.len())
        } else {
            "matches no finding".to_string()
        };
        notifications.push(notification(
            "warning",
            format!("suppression {} ({}) {what}", Line(&s.defined_in), Line(&s.rule)),
            None,
        ));
    }
    let gate = &report.summary.gate;
    let mut invocation = Invocation::builder()
        .execution_successful(report.summary.by_status.error == 0)
        .exit_code(gate.exit_code)
        .build();
    invocation.exit_code_description = Some(gate.reason.clone());
    invocation.tool_execution_notifications = (!notifications.is_empty()).then_some(notifications);
    invocation.properties = Some(bag([("gate", json!(gate))]));
    invocation
}

fn notification(level: &str, text: String, check: Option<&CheckReport>) -> Notification {
    let mut n = Notification::builder().message(message(&text)).build();
    n.level = Some(json!(level));
    n.properties = check.map(|c| bag([("check", json!(c.id)), ("status", json!(c.status))]));
    n
}

/// critical/high → error, medium → warning, low/info → note.
fn level(severity: &str) -> ResultLevel {
    match level_name(severity) {
        "error" => ResultLevel::Error,
        "warning" => ResultLevel::Warning,
        _ => ResultLevel::Note,
    }
}

fn level_name(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

/// GitHub's scale: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. `info` has none.
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

fn tags<'a>(check: &str, extra: impl IntoIterator<Item = (&'a str, Value)>) -> PropertyBag {
    let mut bag = bag(extra);
    bag.tags = Some(vec!["plumbline".to_string(), check.to_string()]);
    bag
}

fn bag<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> PropertyBag {
    let mut bag = PropertyBag::builder().build();
    bag.additional_properties = entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    bag
}

fn message(text: &str) -> Message {
    Message::builder().text(text).build()
}

fn text_only(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

/// The file a finding without a file of its own points at: the snapshot file, or the config
/// the snapshot was collected from (`collected:plumbline.toml`), or the bundled example's name.
fn fallback_artifact(origin: &str) -> String {
    let path = origin.strip_prefix("collected:").or_else(|| origin.strip_prefix("bundled:")).unwrap_or(origin);
    if path.is_empty() { "snapshot.json".to_string() } else { path.to_string() }
}

/// A URI reference for a path: relative to `base` when under it (GitHub resolves relative URIs
/// against the checkout), `file://` for other absolute paths, percent-encoded either way.
fn artifact_uri(path: &str, base: Option<&Path>) -> String {
    let unix = path.replace('\\', "/");
    if unix.starts_with('/') {
        if let Some(relative) = base.and_then(|b| Path::new(path).strip_prefix(b).ok()) {
            let relative = relative.to_string_lossy().replace('\\', "/");
            if !relative.is_empty() {
                return encode(&relative);
            }
        }
        return format!("file://{}", encode(&unix));
    }
    encode(unix.trim_start_matches("./"))
}

/// Percent-encodes everything but unreserved characters, `/` and the sub-delimiters that are
/// safe in a path; `:` is encoded so that a relative path never reads as a scheme.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn log() -> Value {
        let (report, catalog) = fixture::report();
        let base = Path::new("/srv");
        let text = render_sarif(&report, &catalog, &SarifOptions { base_dir: Some(base) }).expect("renders");
        serde_json::from_str(&text).expect("SARIF is JSON")
    }

    #[test]
    fn every_declared_rule_is_listed_with_help_and_level() {
        let log = log();
        let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["acks/auto-ack", "acks/auto-commit", "acks/quiet", "sla/p99"]);
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
        assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");
        assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
        assert_eq!(rules[0]["properties"]["tags"], json!(["plumbline", "acks"]));
        assert!(rules[0]["help"]["text"].as_str().unwrap().starts_with("Fix acks/auto-ack"));
        assert!(rules[0]["help"]["markdown"].as_str().unwrap().contains("**What to do.**"));
        assert_eq!(rules[0]["helpUri"], "https://example.com/docs#acks");
        assert_eq!(rules[0]["name"], "AutoAck");
        assert_eq!(friendly_name("acks/rabbitmq-auto-ack"), "RabbitmqAutoAck");
    }

    #[test]
    fn results_carry_level_location_and_fingerprint() {
        let (report, _) = fixture::report();
        let log = log();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let critical = &results[0];
        assert_eq!(critical["level"], "error");
        assert_eq!(critical["ruleIndex"], 0);
        assert_eq!(critical["partialFingerprints"][FINGERPRINT_KEY], report.checks[0].findings[0].fingerprint.as_str());
        let location = &critical["locations"][0];
        assert_eq!(location["physicalLocation"]["artifactLocation"]["uri"], "estate.json");
        assert_eq!(location["physicalLocation"]["region"]["startLine"], 1);
        assert_eq!(location["logicalLocations"][0]["fullyQualifiedName"], "rabbit-prod/consumer//orders/q|1");
        let config = &results[1];
        assert_eq!(config["level"], "warning");
        assert_eq!(config["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "app/application.yml");
        assert_eq!(config["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
    }

    #[test]
    fn unanswered_checks_become_notifications_and_the_gate_is_in_the_invocation() {
        let log = log();
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(invocation["exitCode"], 3);
        let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
        let texts: Vec<&str> = notes.iter().map(|n| n["message"]["text"].as_str().unwrap()).collect();
        assert!(texts.iter().any(|t| t.contains("`sla` is inconclusive")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("`broken` ended in error: trapped")), "{texts:?}");
        assert_eq!(invocation["properties"]["gate"]["passed"], false);
    }

    /// Every `text` and `markdown` string in the log, with its JSON path.
    fn texts(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) if key == "text" || key == "markdown" => {
                            out.push((format!("{path}.{key}"), s.clone()));
                        }
                        _ => texts(value, &format!("{path}.{key}"), out),
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    texts(item, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn hostile_text_is_neutralised_in_text_and_markdown_and_exact_in_data() {
        use crate::report::untrusted::hostile;
        let (report, catalog) = fixture::hostile_report();
        let raw = render_sarif(&report, &catalog, &SarifOptions::default()).expect("renders");
        hostile::assert_clean("sarif file", &raw, false);
        let log: Value = serde_json::from_str(&raw).expect("SARIF is JSON");
        let mut found = Vec::new();
        texts(&log, "$", &mut found);
        assert!(found.len() > 20, "{found:?}");
        for (path, text) in &found {
            hostile::assert_clean(path, text, false);
        }
        let all: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
        assert!(all.iter().any(|t| t.contains("message evil\\x1b]0;pwned\\x07\\x1b[2K\\r")), "{all:?}");
        let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        assert!(markdown.contains("**What to do.** fix evil\\\\x1b\\]0;pwned"), "{markdown}");
        assert!(!markdown.contains("![") && !markdown.contains("<img") && !markdown.contains("[c]("), "{markdown}");
        assert!(markdown.contains("\n- <https://example.com/ok#frag>"), "{markdown}");
        assert!(markdown.contains("\n- javascript:alert(1)"), "{markdown}");
        assert!(!markdown.contains("<javascript:") && !markdown.contains("<https://example.com/ref"), "{markdown}");
        assert_eq!(rule["helpUri"], "https://example.com/ok#frag");
        // Data fields keep the exact strings (JSON escapes them).
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["properties"]["subject"]["id"], format!("id {}", hostile::TEXT));
        assert!(raw.contains("\\u001b]0;pwned\\u0007") && raw.contains("\\u009b31m\\u202e"), "JSON escapes");
    }

    #[test]
    fn only_plain_http_references_are_links() {
        assert!(is_link("https://example.com/a?b=c#d"));
        assert!(is_link("HTTP://example.com/(x)"));
        for bad in
            ["javascript:alert(1)", "https://", "https://a b", "https://a>b", "ftp://x", "https://a\u{1b}b", "data:x"]
        {
            assert!(!is_link(bad), "{bad}");
        }
    }

    #[test]
    fn uris_are_relative_under_the_base_and_encoded() {
        let base = Some(Path::new("/work/repo"));
        assert_eq!(artifact_uri("/work/repo/a b/c.yml", base), "a%20b/c.yml");
        assert_eq!(artifact_uri("/etc/app#1.yml", base), "file:///etc/app%231.yml");
        assert_eq!(artifact_uri("./conf/x:y.toml", None), "conf/x%3Ay.toml");
        assert_eq!(artifact_uri("C:\\conf\\a.yml", None), "C%3A/conf/a.yml");
        assert_eq!(fallback_artifact("collected:plumbline.toml"), "plumbline.toml");
        assert_eq!(fallback_artifact("bundled:leaky.json"), "leaky.json");
    }
}
