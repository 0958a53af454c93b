//! Builders for what a check says about itself (`check-info`): id, question, sections, rules and
//! parameters, kept as data next to the check's code.

use crate::{CheckInfo, ParamSpec, ParamValue, Rule, Section, Severity};

/// A check's description. Build it with [`Info::new`] and the chained methods.
#[derive(Debug, Clone)]
pub struct Info {
    pub(crate) inner: CheckInfo,
}

impl Info {
    /// `id` is the kebab-case check id; `question` the audit question it answers.
    pub fn new(id: &str, title: &str, question: &str) -> Self {
        Info {
            inner: CheckInfo {
                id: id.to_string(),
                version: "0.1.0".to_string(),
                title: title.to_string(),
                question: question.to_string(),
                sections: Vec::new(),
                rules: Vec::new(),
                params: Vec::new(),
            },
        }
    }

    /// The check's own version (semver); defaults to `0.1.0`.
    pub fn version(mut self, version: &str) -> Self {
        self.inner.version = version.to_string();
        self
    }

    /// Declares a section `run` reads. Reads of undeclared sections are refused by the host.
    pub fn reads(mut self, section: Section) -> Self {
        if !self.inner.sections.contains(&section) {
            self.inner.sections.push(section);
        }
        self
    }

    pub fn rule(mut self, rule: RuleSpec) -> Self {
        self.inner.rules.push(rule.inner);
        self
    }

    /// Declares a tunable parameter and its default.
    pub fn param(mut self, name: &str, default: impl Into<ParamValue>, description: &str) -> Self {
        self.inner.params.push(ParamSpec {
            name: name.to_string(),
            description: description.to_string(),
            default: default.into(),
        });
        self
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn rules(&self) -> &[Rule] {
        &self.inner.rules
    }

    pub fn params(&self) -> &[ParamSpec] {
        &self.inner.params
    }

    pub fn sections(&self) -> &[Section] {
        &self.inner.sections
    }

    pub fn into_check_info(self) -> CheckInfo {
        self.inner
    }
}

/// One rule of a check. `id` is `<check-id>/<rule>`.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    inner: Rule,
}

impl RuleSpec {
    pub fn new(id: &str, severity: Severity, title: &str) -> Self {
        RuleSpec {
            inner: Rule {
                id: id.to_string(),
                title: title.to_string(),
                default_severity: severity,
                description: String::new(),
                remediation: String::new(),
                references: Vec::new(),
            },
        }
    }

    /// Why it matters.
    pub fn description(mut self, text: &str) -> Self {
        self.inner.description = text.to_string();
        self
    }

    /// What to change.
    pub fn remediation(mut self, text: &str) -> Self {
        self.inner.remediation = text.to_string();
        self
    }

    pub fn reference(mut self, url: &str) -> Self {
        self.inner.references.push(url.to_string());
        self
    }
}

impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Integer(v)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Boolean(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Text(v.to_string())
    }
}
impl From<&[&str]> for ParamValue {
    fn from(v: &[&str]) -> Self {
        ParamValue::TextList(v.iter().map(|s| s.to_string()).collect())
    }
}
impl<const N: usize> From<[&str; N]> for ParamValue {
    fn from(v: [&str; N]) -> Self {
        ParamValue::TextList(v.iter().map(|s| s.to_string()).collect())
    }
}
