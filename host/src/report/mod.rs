//! The report: check outcomes merged into one document (`model`), the gate that decides the exit
//! code, and the renderers: `text` (terminal), `json` (`plumbline-report/1`), `sarif` (SARIF 2.1.0
//! for code scanning), `junit` (JUnit XML for CI test views), `markdown` (a PR comment) and
//! `html` (one self-contained page for people, with the trend across recorded runs).
//! Renderers see plain data only: the report and the rule catalog, never the sandbox. Text from
//! checks and snapshots is untrusted: every renderer passes it through `untrusted` (docs/security.md).

mod html;
mod junit;
mod markdown;
mod model;
mod sarif;
mod suppress;
mod text;
pub mod untrusted;

pub use html::{HTML_LIMIT, TREND_RUNS, Trend, TrendRun, render_html};
pub use junit::render_junit;
pub use markdown::{MARKDOWN_LIMIT, render_markdown};
pub use model::{Gate, PackRef, Report, SCHEMA, SignerRef};
pub use sarif::{SarifOptions, render_sarif};
pub use suppress::{Date, IGNORE_FILE, Policy, SuppressEntry};
pub use text::render_text;

use crate::contract::types::Rule;
use crate::outcome::CheckOutcome;

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot serialise the SARIF log: {0}")]
    Sarif(#[from] serde_json::Error),
}

/// Renders the report as pretty JSON (schema `plumbline-report/1`, docs/report.schema.json).
/// Strings are exact; the control and bidi characters serde_json would leave raw are `\uXXXX`.
pub fn render_json(report: &Report) -> String {
    // Serialising plain data with string keys cannot fail.
    untrusted::to_json_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

/// Every rule each check declared in `describe`, by check id, in the order the checks ran.
///
/// The JSON report carries only the rules that fired (its schema is frozen at
/// `plumbline-report/1`); SARIF and JUnit list every rule of every check that ran, so the catalog
/// travels beside the report. Take it from the outcomes before `Report::build` consumes them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    checks: Vec<(String, Vec<Rule>)>,
}

impl Catalog {
    pub fn from_outcomes(outcomes: &[CheckOutcome]) -> Catalog {
        let checks =
            outcomes.iter().filter_map(|o| o.info.as_ref().map(|info| (info.id.clone(), info.rules.clone()))).collect();
        Catalog { checks }
    }

    /// The rules of check `id`; empty when it never described itself.
    pub fn rules(&self, check: &str) -> &[Rule] {
        self.checks.iter().find(|(id, _)| id == check).map_or(&[], |(_, rules)| rules.as_slice())
    }
}

/// A small report for the renderers' unit tests: a failing check with a config-file finding (with
/// a line) and an estate finding, an inconclusive check, and a check that errored before
/// describing itself.
#[cfg(test)]
pub(crate) mod fixture {
    use std::time::Duration;

    use crate::contract::types::{CheckInfo, Finding, Rule, Severity, Status, Subject};
    use crate::outcome::{CheckOutcome, PluginMeta};
    use crate::snapshot::{Loaded, Snapshot};

    use super::{Catalog, Report};

    fn plugin(name: &str) -> PluginMeta {
        PluginMeta {
            origin: format!("bundled:{name}"),
            sha256: "ab".repeat(32),
            size: 1000,
            contract: Some("0.1.0".into()),
            cache: None,
        }
    }

    fn rule(id: &str, severity: Severity) -> Rule {
        Rule {
            id: id.into(),
            title: format!("Title of {id}"),
            default_severity: severity,
            description: format!("Why {id} matters."),
            remediation: format!("Fix {id} <now> & then."),
            references: vec!["https://example.com/docs#acks".into()],
        }
    }

    fn info(id: &str, rules: Vec<Rule>) -> CheckInfo {
        CheckInfo {
            id: id.into(),
            version: "1.2.3".into(),
            title: format!("The {id} check"),
            question: format!("Is {id} fine?"),
            sections: Vec::new(),
            rules,
            params: Vec::new(),
        }
    }

    fn outcome(plugin: PluginMeta, info: Option<CheckInfo>, status: Status, findings: Vec<Finding>) -> CheckOutcome {
        CheckOutcome {
            plugin,
            info,
            status,
            evaluated: 3,
            findings,
            notes: Vec::new(),
            error: None,
            reads: Vec::new(),
            duration: Duration::from_micros(1500),
        }
    }

    pub fn outcomes() -> Vec<CheckOutcome> {
        let acks = info(
            "acks",
            vec![
                rule("acks/auto-ack", Severity::High),
                rule("acks/auto-commit", Severity::Medium),
                rule("acks/quiet", Severity::Low),
            ],
        );
        let findings = vec![
            Finding {
                rule: "acks/auto-ack".into(),
                severity: Severity::Critical,
                subject: Subject { source: "rabbit-prod".into(), kind: "consumer".into(), id: "/orders/q|1".into() },
                message: "Consumer `c` uses <auto-ack> & loses messages.".into(),
                evidence: vec![("ack_mode".into(), "auto\u{1}".into())],
            },
            Finding {
                rule: "acks/auto-commit".into(),
                severity: Severity::Medium,
                subject: Subject {
                    source: "/srv/app/application.yml".into(),
                    kind: "config-key".into(),
                    id: "spring.kafka.enable-auto-commit".into(),
                },
                message: "Auto-commit is on.".into(),
                evidence: vec![("file".into(), "/srv/app/application.yml".into()), ("line".into(), "12".into())],
            },
        ];
        let mut inconclusive = outcome(
            plugin("sla"),
            Some(info("sla", vec![rule("sla/p99", Severity::High)])),
            Status::Inconclusive,
            vec![],
        );
        inconclusive.notes = vec!["section prometheus could not be read".into()];
        let mut broken = outcome(plugin("broken.wasm"), None, Status::Error, vec![]);
        broken.error = Some("trapped: unreachable".into());
        vec![outcome(plugin("acks"), Some(acks), Status::Fail, findings), inconclusive, broken]
    }

    /// The outcomes with every string a check or a component's path controls made hostile
    /// ([`untrusted::hostile::TEXT`](super::untrusted::hostile::TEXT)); check ids stay kebab-case,
    /// as the runtime requires, except the broken check's, which comes from its file name.
    pub fn hostile_outcomes() -> Vec<CheckOutcome> {
        use crate::contract::types::Section;
        use crate::outcome::{ReadState, SectionReads};
        let h = |label: &str| format!("{label} {}", super::untrusted::hostile::TEXT);
        let mut outcomes = outcomes();
        for o in &mut outcomes {
            o.plugin.origin = format!("{}/{}.wasm", o.plugin.origin, h("origin"));
            o.plugin.contract = Some(h("contract"));
            o.notes = vec![h("note"), h("second note")];
            o.reads = vec![
                SectionReads { section: Section::Rabbitmq, state: ReadState::Partial(h("partial")), count: 1 },
                SectionReads { section: Section::Kafka, state: ReadState::Unavailable(h("unavailable")), count: 1 },
            ];
            if let Some(info) = &mut o.info {
                info.version = h("1.0");
                info.title = h("title");
                info.question = h("question");
                for rule in &mut info.rules {
                    rule.id = format!("{}{}", rule.id, h(""));
                    rule.title = h("rule title");
                    rule.description = h("why");
                    rule.remediation =
                        format!("{} ![x](https://evil.example/p.png) <img src=x> [c](javascript:alert(1))", h("fix"));
                    rule.references = vec![
                        h("https://example.com/ref"),
                        "javascript:alert(1)".into(),
                        "https://example.com/ok#frag".into(),
                    ];
                }
            }
            for f in &mut o.findings {
                f.rule = format!("{}{}", f.rule, h(""));
                f.subject = Subject { source: h("source"), kind: h("kind"), id: h("id") };
                f.message = h("message");
                f.evidence.push((h("key"), h("value")));
            }
        }
        if let Some(error) = outcomes.iter_mut().find_map(|o| o.error.as_mut()) {
            *error = h("error");
        }
        outcomes
    }

    /// [`hostile_outcomes`] as a report, with a hostile snapshot origin, an unreadable source,
    /// a pack, a suppressed finding and expired and unused suppressions.
    pub fn hostile_report() -> (Report, Catalog) {
        use super::model::SourceRef;
        use super::suppress::{SuppressionRef, SuppressionReport};
        use super::{PackRef, SignerRef};
        let h = |label: &str| format!("{label} {}", super::untrusted::hostile::TEXT);
        let (mut report, catalog) = build(hostile_outcomes());
        report.snapshot.origin = h("origin");
        report.snapshot.sources =
            vec![SourceRef { name: h("source"), kind: "rabbitmq", ok: false, reason: Some(h("reason")) }];
        report.packs = vec![PackRef {
            name: h("pack"),
            version: h("1.0"),
            vendor: h("vendor"),
            manifest_sha256: "ab".repeat(32),
            trust: "signed",
            signer: Some(SignerRef { key_id: h("key"), name: h("signer") }),
            checks: vec![h("check")],
        }];
        report.checks[0].findings[1].suppression =
            Some(SuppressionRef { reason: h("reason"), expires: h("2030-01-01"), defined_in: h("defined in") });
        let suppression = |status| SuppressionReport {
            defined_in: h("defined in"),
            rule: h("rule"),
            subject: Some(h("subject")),
            fingerprint: None,
            reason: h("reason"),
            expires: h("2020-01-01"),
            status,
            findings: vec![h("fingerprint")],
        };
        report.suppressions = vec![suppression("expired"), suppression("unused"), suppression("active")];
        report.summary.suppressed = Some(1);
        (report, catalog)
    }

    pub fn report() -> (Report, Catalog) {
        build(outcomes())
    }

    fn build(outcomes: Vec<CheckOutcome>) -> (Report, Catalog) {
        let catalog = Catalog::from_outcomes(&outcomes);
        let loaded = Loaded {
            snapshot: std::sync::Arc::new(Snapshot::empty()),
            sha256: "cd".repeat(32),
            origin: "estate.json".into(),
        };
        (Report::build(&loaded, outcomes, Some(Severity::High), true), catalog)
    }
}

#[cfg(test)]
mod tests {
    use super::untrusted::hostile;
    use super::{fixture, render_json};

    #[test]
    fn json_keeps_hostile_strings_exact_and_never_raw() {
        let (report, _) = fixture::hostile_report();
        let json = render_json(&report);
        hostile::assert_clean("json report", &json, false);
        let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let finding = &value["checks"][0]["findings"][0];
        assert_eq!(finding["subject"]["id"], format!("id {}", hostile::TEXT));
        assert_eq!(finding["message"], format!("message {}", hostile::TEXT));
        assert_eq!(value["snapshot"]["origin"], format!("origin {}", hostile::TEXT));
    }
}
