//! Native unit tests for checks: load a snapshot file (the same format `plumbline audit
//! --snapshot` reads), optionally mark sections missing or unavailable, and run a check on it.
//!
//! ```text
//! let fixture = Fixture::from_json(include_str!("../fixtures/auto-ack.json")).unwrap();
//! let verdict = testing::run::<Acks>(&fixture, &[]);
//! assert_eq!(verdict.status, Status::Fail);
//! ```
//!
//! [`run`] holds the check to the host's contract rules, so a check that passes `cargo test`
//! natively does not end in `error` as a component: sections are served as the host serves them
//! (a kind with a failed source beside read ones is *partial*: its data is served, and the check
//! cannot `pass` on it), and the verdict is settled as the host settles it. A contract violation
//! (an invalid id, a rule id outside `<id>/`, a finding under an undeclared rule, a read of an
//! undeclared section) panics with what the host would say.

use std::cell::RefCell;

use serde::Deserialize;

use crate::estate::*;
use crate::source::{Estate, SectionRead};
use crate::{Check, Info, Param, ParamValue, Section, Status, Verdict};

/// A snapshot held in memory, served section by section like the host does.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Fixture {
    #[serde(default)]
    pub info: Option<SnapshotInfo>,
    #[serde(default)]
    pub kafka: Option<Vec<KafkaCluster>>,
    #[serde(default)]
    pub rabbitmq: Option<Vec<RabbitmqBroker>>,
    #[serde(default)]
    pub sqs: Option<Vec<SqsAccount>>,
    #[serde(default)]
    pub postgres: Option<Vec<PostgresServer>>,
    #[serde(default)]
    pub prometheus: Option<Vec<PrometheusServer>>,
    #[serde(default)]
    pub config_files: Option<Vec<ConfigFile>>,
    #[serde(default)]
    pub registry: Option<Vec<Integration>>,
    #[serde(skip)]
    unavailable: Vec<(Section, String)>,
}

impl Fixture {
    /// Parses a snapshot file's JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Makes `section` unreadable, as if its source had failed with `reason`.
    pub fn unavailable(mut self, section: Section, reason: &str) -> Self {
        self.unavailable.push((section, reason.to_string()));
        self
    }

    /// Removes `section`, as if no source of that kind had been configured.
    pub fn without(mut self, section: Section) -> Self {
        match section {
            Section::Kafka => self.kafka = None,
            Section::Rabbitmq => self.rabbitmq = None,
            Section::Sqs => self.sqs = None,
            Section::Postgres => self.postgres = None,
            Section::Prometheus => self.prometheus = None,
            Section::ConfigFiles => self.config_files = None,
            Section::Registry => self.registry = None,
        }
        self
    }

    /// The section as the host serves it to a check that declared it, with the read's outcome
    /// (`Partial` when a source of this kind failed but others were read: the data is served).
    fn serve<T: Clone>(&self, section: Section, data: &Option<Vec<T>>) -> (SectionRead<T>, Read) {
        let marked: Vec<&str> =
            self.unavailable.iter().filter(|(s, _)| *s == section).map(|(_, r)| r.as_str()).collect();
        if !marked.is_empty() {
            return (Err(SectionError::Unavailable(marked.join("; "))), Read::Unavailable);
        }
        let failed: Vec<String> = self.info.as_ref().map_or_else(Vec::new, |info| {
            info.sources
                .iter()
                .filter(|s| s.kind == section && !s.ok)
                .map(|s| format!("{}: {}", s.name, s.reason.as_deref().unwrap_or("not read")))
                .collect()
        });
        match (failed.is_empty(), data) {
            (true, Some(items)) => (Ok(items.clone()), Read::Available),
            (true, None) => (Err(SectionError::NotCollected), Read::NotCollected),
            (false, Some(items)) if !items.is_empty() => (Ok(items.clone()), Read::Partial),
            (false, _) => (Err(SectionError::Unavailable(failed.join("; "))), Read::Unavailable),
        }
    }

    fn snapshot_info(&self) -> SnapshotInfo {
        self.info.clone().unwrap_or(SnapshotInfo {
            collected_at: 0,
            window_seconds: 86_400,
            collector_version: "fixture".to_string(),
            sources: Vec::new(),
        })
    }
}

/// The fixture as the host serves a check that declared every section (no read record; for
/// benchmarks and tools that call `run_check` directly).
impl Estate for Fixture {
    fn info(&self) -> SnapshotInfo {
        self.snapshot_info()
    }
    fn kafka(&self) -> SectionRead<KafkaCluster> {
        self.serve(Section::Kafka, &self.kafka).0
    }
    fn rabbitmq(&self) -> SectionRead<RabbitmqBroker> {
        self.serve(Section::Rabbitmq, &self.rabbitmq).0
    }
    fn sqs(&self) -> SectionRead<SqsAccount> {
        self.serve(Section::Sqs, &self.sqs).0
    }
    fn postgres(&self) -> SectionRead<PostgresServer> {
        self.serve(Section::Postgres, &self.postgres).0
    }
    fn prometheus(&self) -> SectionRead<PrometheusServer> {
        self.serve(Section::Prometheus, &self.prometheus).0
    }
    fn config_files(&self) -> SectionRead<ConfigFile> {
        self.serve(Section::ConfigFiles, &self.config_files).0
    }
    fn registry(&self) -> SectionRead<Integration> {
        self.serve(Section::Registry, &self.registry).0
    }
}

/// How one read went, as the host records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Available,
    Partial,
    NotCollected,
    Unavailable,
    NotDeclared,
}

/// A fixture served to one check run: refuses undeclared sections and records every read.
struct Served<'a> {
    fixture: &'a Fixture,
    declared: &'a [Section],
    reads: RefCell<Vec<(Section, Read)>>,
}

impl Served<'_> {
    fn serve<T: Clone>(&self, section: Section, data: &Option<Vec<T>>) -> SectionRead<T> {
        let (result, read) = if self.declared.contains(&section) {
            self.fixture.serve(section, data)
        } else {
            (Err(SectionError::NotDeclared), Read::NotDeclared)
        };
        self.reads.borrow_mut().push((section, read));
        result
    }
}

impl Estate for Served<'_> {
    fn info(&self) -> SnapshotInfo {
        self.fixture.snapshot_info()
    }
    fn kafka(&self) -> SectionRead<KafkaCluster> {
        self.serve(Section::Kafka, &self.fixture.kafka)
    }
    fn rabbitmq(&self) -> SectionRead<RabbitmqBroker> {
        self.serve(Section::Rabbitmq, &self.fixture.rabbitmq)
    }
    fn sqs(&self) -> SectionRead<SqsAccount> {
        self.serve(Section::Sqs, &self.fixture.sqs)
    }
    fn postgres(&self) -> SectionRead<PostgresServer> {
        self.serve(Section::Postgres, &self.fixture.postgres)
    }
    fn prometheus(&self) -> SectionRead<PrometheusServer> {
        self.serve(Section::Prometheus, &self.fixture.prometheus)
    }
    fn config_files(&self) -> SectionRead<ConfigFile> {
        self.serve(Section::ConfigFiles, &self.fixture.config_files)
    }
    fn registry(&self) -> SectionRead<Integration> {
        self.serve(Section::Registry, &self.fixture.registry)
    }
}

/// Runs check `C` on `fixture` with parameter overrides, as the host would: undeclared sections
/// are refused, partial sections served, and the verdict settled by the host's rules (findings
/// make it `fail`; `pass` or `skip` on data that could not all be read becomes `inconclusive`;
/// `fail` without findings becomes `error`; `pass` with nothing evaluated becomes `skip`).
///
/// # Panics
/// When the check breaks the contract in a way the host ends in `error`: an invalid id, a rule
/// id not under `<id>/`, a read of an undeclared section, or a finding under an undeclared rule.
/// The message says what the host would report.
pub fn run<C: Check>(fixture: &Fixture, overrides: &[(&str, ParamValue)]) -> Verdict {
    let info = C::info();
    if let Err(why) = validate(&info) {
        panic!("{why}: the host refuses this check when it describes itself");
    }
    let served = Served { fixture, declared: info.sections(), reads: RefCell::new(Vec::new()) };
    let params = overrides.iter().map(|(name, value)| Param { name: name.to_string(), value: value.clone() }).collect();
    let verdict = crate::run_check::<C>(&served, params);
    let reads = served.reads.into_inner();
    settle(&info, verdict, &reads)
}

/// The host's checks on `describe()` (host/src/runtime/verdict.rs, `validate_info`): a kebab-case
/// id of at most 64 characters and every rule id under `<id>/`.
fn validate(info: &Info) -> Result<(), String> {
    let id = info.id();
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(format!("invalid check id {id:?} (kebab-case, at most 64 characters)"));
    }
    let prefix = format!("{id}/");
    match info.rules().iter().find(|r| !r.id.starts_with(&prefix)) {
        Some(rule) => Err(format!("rule id `{}` does not start with `{prefix}`", rule.id)),
        None => Ok(()),
    }
}

/// The host's rules on a verdict (host/src/runtime/verdict.rs, `enforce`).
fn settle(info: &Info, mut verdict: Verdict, reads: &[(Section, Read)]) -> Verdict {
    if let Some((section, _)) = reads.iter().find(|(_, r)| *r == Read::NotDeclared) {
        panic!(
            "the check read section `{}` without declaring it (Info::reads): the host refuses the read and ends the check in `error`",
            section.name()
        );
    }
    if let Some(finding) = verdict.findings.iter().find(|f| !info.rules().iter().any(|r| r.id == f.rule)) {
        panic!(
            "finding under undeclared rule `{}` (declare it with Info::rule): the host drops the findings and ends the check in `error`",
            finding.rule
        );
    }
    let unreadable = reads.iter().any(|(_, r)| matches!(r, Read::Partial | Read::Unavailable));
    verdict.status = match verdict.status {
        Status::Error => Status::Error,
        _ if !verdict.findings.is_empty() => Status::Fail,
        Status::Pass | Status::Skip if unreadable => Status::Inconclusive,
        Status::Fail => Status::Error,
        Status::Pass if verdict.evaluated == 0 => Status::Skip,
        other => other,
    };
    verdict
}

/// The rule ids of a verdict's findings, sorted, for compact assertions.
pub fn rules_fired(verdict: &Verdict) -> Vec<String> {
    let mut rules: Vec<String> = verdict.findings.iter().map(|f| f.rule.clone()).collect();
    rules.sort();
    rules.dedup();
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// Declares rabbitmq and one rule; `mode` (a parameter) picks how it misbehaves.
    struct Probe;

    impl Check for Probe {
        fn info() -> Info {
            Info::new("probe", "Probe", "Does the harness act like the host?")
                .reads(Section::Rabbitmq)
                .rule(RuleSpec::new("probe/rule", Severity::High, "A rule"))
                .param("mode", "pass", "pass, finding, undeclared-rule, undeclared-section, fail-empty")
        }
        fn run(audit: &mut Audit<'_>) {
            let brokers = audit.rabbitmq();
            audit.evaluated(brokers.len());
            let subject = Subject { source: "s".into(), kind: "queue".into(), id: "q".into() };
            match audit.params().text("mode").to_string().as_str() {
                "finding" => audit.finding("probe/rule", subject, "m", [("k", "v")]),
                "undeclared-rule" => audit.finding("probe/other", subject, "m", [("k", "v")]),
                "undeclared-section" => {
                    audit.kafka();
                }
                _ => {}
            }
        }
        fn conclude(audit: &Audit<'_>) -> Status {
            match audit.params().text("mode") {
                "fail-empty" => Status::Fail,
                _ => Status::Pass,
            }
        }
    }

    struct BadPrefix;

    impl Check for BadPrefix {
        fn info() -> Info {
            Info::new("bad", "Bad", "?").rule(RuleSpec::new("other/rule", Severity::Low, "r"))
        }
        fn run(_audit: &mut Audit<'_>) {}
    }

    /// The leaky example's first RabbitMQ broker once per readable source; `false` entries are
    /// sources of the same kind that failed.
    fn fixture(sources_ok: &[bool]) -> Fixture {
        let example: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/leaky-estate/snapshot.json")).expect("example");
        let template = example["rabbitmq"][0].clone();
        let mut info = example["info"].clone();
        info["sources"] = sources_ok
            .iter()
            .enumerate()
            .map(|(i, ok)| {
                let reason = if *ok { serde_json::Value::Null } else { "refused".into() };
                serde_json::json!({"name": format!("rabbit-{i}"), "kind": "Rabbitmq", "ok": ok, "reason": reason})
            })
            .collect();
        let brokers: Vec<serde_json::Value> = sources_ok
            .iter()
            .enumerate()
            .filter(|(_, ok)| **ok)
            .map(|(i, _)| {
                let mut broker = template.clone();
                broker["source"] = format!("rabbit-{i}").into();
                broker
            })
            .collect();
        let text = serde_json::json!({"info": info, "rabbitmq": brokers});
        Fixture::from_json(&text.to_string()).expect("fixture")
    }

    fn mode(m: &str) -> [(&'static str, ParamValue); 1] {
        [("mode", ParamValue::Text(m.to_string()))]
    }

    #[test]
    fn a_partial_section_is_served_and_a_pass_on_it_is_inconclusive() {
        let verdict = run::<Probe>(&fixture(&[true, false]), &mode("pass"));
        assert_eq!(verdict.evaluated, 1, "the readable broker was served");
        assert_eq!(verdict.status, Status::Inconclusive);
        let verdict = run::<Probe>(&fixture(&[true]), &mode("pass"));
        assert_eq!(verdict.status, Status::Pass);
    }

    #[test]
    fn findings_make_it_fail_and_fail_without_findings_is_an_error() {
        assert_eq!(run::<Probe>(&fixture(&[true]), &mode("finding")).status, Status::Fail);
        assert_eq!(run::<Probe>(&fixture(&[true]), &mode("fail-empty")).status, Status::Error);
    }

    #[test]
    #[should_panic(expected = "finding under undeclared rule `probe/other`")]
    fn a_finding_under_an_undeclared_rule_fails_the_test() {
        run::<Probe>(&fixture(&[true]), &mode("undeclared-rule"));
    }

    #[test]
    #[should_panic(expected = "read section `kafka` without declaring it")]
    fn reading_an_undeclared_section_fails_the_test() {
        run::<Probe>(&fixture(&[true]), &mode("undeclared-section"));
    }

    #[test]
    #[should_panic(expected = "rule id `other/rule` does not start with `bad/`")]
    fn a_rule_outside_the_check_prefix_fails_the_test() {
        run::<BadPrefix>(&Fixture::default(), &[]);
    }
}
