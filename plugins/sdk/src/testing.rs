//! Native unit tests for checks: load a snapshot file (the same format `plumbline audit
//! --snapshot` reads), optionally mark sections missing or unavailable, and run a check on it.
//!
//! ```text
//! let fixture = Fixture::from_json(include_str!("../fixtures/auto-ack.json")).unwrap();
//! let verdict = testing::run::<Acks>(&fixture, &[]);
//! assert_eq!(verdict.status, Status::Fail);
//! ```

use serde::Deserialize;

use crate::estate::*;
use crate::source::{Estate, SectionRead};
use crate::{Check, Param, ParamValue, Section, Verdict};

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
    #[serde(skip)]
    declared: Option<Vec<Section>>,
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

    fn serve<T: Clone>(&self, section: Section, data: &Option<Vec<T>>) -> SectionRead<T> {
        if self.declared.as_ref().is_some_and(|declared| !declared.contains(&section)) {
            return Err(SectionError::NotDeclared);
        }
        let mut reasons: Vec<String> =
            self.unavailable.iter().filter(|(s, _)| *s == section).map(|(_, r)| r.clone()).collect();
        if let Some(info) = &self.info {
            for source in info.sources.iter().filter(|s| s.kind == section && !s.ok) {
                reasons.push(format!("{}: {}", source.name, source.reason.as_deref().unwrap_or("not read")));
            }
        }
        if !reasons.is_empty() {
            return Err(SectionError::Unavailable(reasons.join("; ")));
        }
        data.clone().ok_or(SectionError::NotCollected)
    }
}

impl Estate for Fixture {
    fn info(&self) -> SnapshotInfo {
        self.info.clone().unwrap_or(SnapshotInfo {
            collected_at: 0,
            window_seconds: 86_400,
            collector_version: "fixture".to_string(),
            sources: Vec::new(),
        })
    }
    fn kafka(&self) -> SectionRead<KafkaCluster> {
        self.serve(Section::Kafka, &self.kafka)
    }
    fn rabbitmq(&self) -> SectionRead<RabbitmqBroker> {
        self.serve(Section::Rabbitmq, &self.rabbitmq)
    }
    fn sqs(&self) -> SectionRead<SqsAccount> {
        self.serve(Section::Sqs, &self.sqs)
    }
    fn postgres(&self) -> SectionRead<PostgresServer> {
        self.serve(Section::Postgres, &self.postgres)
    }
    fn prometheus(&self) -> SectionRead<PrometheusServer> {
        self.serve(Section::Prometheus, &self.prometheus)
    }
    fn config_files(&self) -> SectionRead<ConfigFile> {
        self.serve(Section::ConfigFiles, &self.config_files)
    }
    fn registry(&self) -> SectionRead<Integration> {
        self.serve(Section::Registry, &self.registry)
    }
}

/// Runs check `C` on `fixture` with parameter overrides, refusing undeclared sections like the
/// host does.
pub fn run<C: Check>(fixture: &Fixture, overrides: &[(&str, ParamValue)]) -> Verdict {
    let mut scoped = fixture.clone();
    scoped.declared = Some(C::info().sections().to_vec());
    let params = overrides.iter().map(|(name, value)| Param { name: name.to_string(), value: value.clone() }).collect();
    crate::run_check::<C>(&scoped, params)
}

/// The rule ids of a verdict's findings, sorted, for compact assertions.
pub fn rules_fired(verdict: &Verdict) -> Vec<String> {
    let mut rules: Vec<String> = verdict.findings.iter().map(|f| f.rule.clone()).collect();
    rules.sort();
    rules.dedup();
    rules
}
