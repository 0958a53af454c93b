//! [`Audit`]: what a check works with during `run` — section reads (remembering which were
//! unavailable), parameters, the count of evaluated resources, findings and notes — and how they
//! become a verdict.

use crate::estate::*;
use crate::info::Info;
use crate::params::Params;
use crate::source::{Estate, SectionRead};
use crate::{Finding, Section, Severity, Status, Subject, Verdict};

/// The working state of one check run.
pub struct Audit<'a> {
    estate: &'a dyn Estate,
    info: &'a Info,
    params: Params,
    reads: Vec<(Section, Option<SectionError>)>,
    evaluated: u32,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl<'a> Audit<'a> {
    pub(crate) fn new(estate: &'a dyn Estate, info: &'a Info, params: Params) -> Self {
        Audit { estate, info, params, reads: Vec::new(), evaluated: 0, findings: Vec::new(), notes: Vec::new() }
    }

    /// Parameter values (defaults merged with configuration).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Snapshot metadata: collection time ("now" for the check), window, sources.
    pub fn snapshot(&self) -> SnapshotInfo {
        self.estate.info()
    }

    /// Kafka clusters; empty when not collected or unavailable (which is remembered).
    pub fn kafka(&mut self) -> Vec<KafkaCluster> {
        let read = self.estate.kafka();
        self.record(Section::Kafka, read)
    }

    pub fn rabbitmq(&mut self) -> Vec<RabbitmqBroker> {
        let read = self.estate.rabbitmq();
        self.record(Section::Rabbitmq, read)
    }

    pub fn sqs(&mut self) -> Vec<SqsAccount> {
        let read = self.estate.sqs();
        self.record(Section::Sqs, read)
    }

    pub fn postgres(&mut self) -> Vec<PostgresServer> {
        let read = self.estate.postgres();
        self.record(Section::Postgres, read)
    }

    pub fn prometheus(&mut self) -> Vec<PrometheusServer> {
        let read = self.estate.prometheus();
        self.record(Section::Prometheus, read)
    }

    pub fn config_files(&mut self) -> Vec<ConfigFile> {
        let read = self.estate.config_files();
        self.record(Section::ConfigFiles, read)
    }

    pub fn registry(&mut self) -> Vec<Integration> {
        let read = self.estate.registry();
        self.record(Section::Registry, read)
    }

    /// How a section read went: `None` = not read yet, `Some(None)` = read fine,
    /// `Some(Some(err))` = not available.
    pub fn section_state(&self, section: Section) -> Option<Option<&SectionError>> {
        self.reads.iter().find(|(s, _)| *s == section).map(|(_, e)| e.as_ref())
    }

    /// True when `section` was read and held data (it may still be an empty list).
    pub fn is_available(&self, section: Section) -> bool {
        matches!(self.section_state(section), Some(None))
    }

    fn record<T>(&mut self, section: Section, read: SectionRead<T>) -> Vec<T> {
        match read {
            Ok(items) => {
                self.reads.push((section, None));
                items
            }
            Err(err) => {
                self.reads.push((section, Some(err)));
                Vec::new()
            }
        }
    }

    /// Counts resources the check looked at (for the report, and to tell `pass` from `skip`).
    pub fn evaluated(&mut self, count: usize) {
        self.evaluated = self.evaluated.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
    }

    /// Records a finding for `rule` at its default severity.
    ///
    /// `evidence` is a list of (key, value) facts: the measured figure, the threshold, the key.
    pub fn finding<K: ToString, V: ToString>(
        &mut self,
        rule: &str,
        subject: Subject,
        message: impl Into<String>,
        evidence: impl IntoIterator<Item = (K, V)>,
    ) {
        let severity = self.default_severity(rule);
        self.finding_with_severity(rule, severity, subject, message, evidence);
    }

    /// Records a finding at an explicit severity (say why in the message).
    pub fn finding_with_severity<K: ToString, V: ToString>(
        &mut self,
        rule: &str,
        severity: Severity,
        subject: Subject,
        message: impl Into<String>,
        evidence: impl IntoIterator<Item = (K, V)>,
    ) {
        self.findings.push(Finding {
            rule: rule.to_string(),
            severity,
            subject,
            message: message.into(),
            evidence: evidence.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }

    /// Adds a remark for the report.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    fn default_severity(&self, rule: &str) -> Severity {
        // An undeclared rule id is a bug in the check; the host rejects the finding and reports it.
        self.info.rules().iter().find(|r| r.id == rule).map(|r| r.default_severity).unwrap_or(Severity::High)
    }

    /// findings → fail; unavailable section → inconclusive; nothing evaluated → skip; else pass.
    pub fn default_status(&self) -> Status {
        if self.reads.iter().any(|(_, e)| matches!(e, Some(SectionError::NotDeclared))) {
            return Status::Error;
        }
        if !self.findings.is_empty() {
            return Status::Fail;
        }
        if self.reads.iter().any(|(_, e)| matches!(e, Some(SectionError::Unavailable(_)))) {
            return Status::Inconclusive;
        }
        if self.evaluated == 0 {
            return Status::Skip;
        }
        Status::Pass
    }

    pub(crate) fn into_verdict(mut self, status: Status) -> Verdict {
        for (section, err) in &self.reads {
            let line = match err {
                None => continue,
                Some(SectionError::NotCollected) => {
                    format!("{}: not collected, nothing of this kind to audit", section.name())
                }
                Some(SectionError::Unavailable(reason)) => {
                    format!("{}: unavailable ({reason})", section.name())
                }
                Some(SectionError::NotDeclared) => {
                    format!("{}: read without being declared", section.name())
                }
            };
            self.notes.push(line);
        }
        Verdict { status, evaluated: self.evaluated, findings: self.findings, notes: self.notes }
    }
}

impl Subject {
    /// `source` is the configured source name, `kind` the resource kind (`queue`, `consumer`,
    /// `config-key`, ...), `id` unique within both.
    pub fn new(source: impl Into<String>, kind: &str, id: impl Into<String>) -> Self {
        Subject { source: source.into(), kind: kind.to_string(), id: id.into() }
    }
}
