//! The fixture convention of `plumbline test` (docs/writing-checks.md, "Test a check"): where the
//! cases are, and reading each case's `snapshot.json`, `expected.toml` and optional
//! `plumbline.toml`. Every problem names the file (and, for `expected.toml`, the field and line).
//!
//! ```text
//! PATH/                            a check directory (with fixtures/) or the fixtures directory
//!   fixtures/<case>/snapshot.json  a snapshot, as `plumbline snapshot` writes it
//!   fixtures/<case>/expected.toml  status (required), evaluated, [[finding]], extra-findings
//!   fixtures/<case>/plumbline.toml optional: [checks.<id>.params], [limits]
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};
use crate::contract::types::Status;
use crate::snapshot::{self, LoadError, Loaded};

pub const FIXTURES: &str = "fixtures";
pub const SNAPSHOT: &str = "snapshot.json";
pub const EXPECTED: &str = "expected.toml";
pub const CONFIG: &str = "plumbline.toml";

/// Where the check and its cases are.
#[derive(Debug)]
pub struct Layout {
    /// The check's directory (where a Cargo.toml would be).
    pub check_dir: PathBuf,
    /// The directory whose subdirectories are the cases.
    pub fixtures: PathBuf,
}

/// One case, fully read.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub snapshot: Loaded,
    pub expected: Expected,
    pub config: Option<Config>,
}

/// `expected.toml`: what the check must answer for one case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expected {
    pub status: ExpectedStatus,
    pub evaluated: Option<u32>,
    #[serde(default, rename = "finding")]
    pub findings: Vec<ExpectedFinding>,
    /// `deny` (default): a finding not listed fails the case. `allow`: only listed ones are required.
    #[serde(default)]
    pub extra_findings: ExtraFindings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedStatus {
    Pass,
    Fail,
    Inconclusive,
    Error,
    Skip,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraFindings {
    #[default]
    Deny,
    Allow,
}

/// One `[[finding]]`: matched on `rule` and `subject` (the subject's `id` as in the JSON report).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExpectedFinding {
    pub rule: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

/// Why the cases cannot be run; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{}: no such directory", .0.display())]
    NotFound(PathBuf),
    #[error(
        "{}: no test cases. Put each case in {FIXTURES}/<case>/ with {SNAPSHOT} and {EXPECTED} \
         (see docs/writing-checks.md, \"Test a check\")",
        .0.display()
    )]
    NoCases(PathBuf),
    #[error(
        "{}: no {file}; every directory under {FIXTURES}/ is a case and needs {SNAPSHOT} and {EXPECTED}",
        .dir.display()
    )]
    Missing { dir: PathBuf, file: &'static str },
    #[error("cannot read {}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid {}: at `{field}`{line}: {message}", .path.display())]
    Expected { path: PathBuf, field: String, line: String, message: String },
    #[error("invalid {}: {why}", .path.display())]
    Contradiction { path: PathBuf, why: String },
    #[error(transparent)]
    Snapshot(#[from] LoadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "{}: a test case's {CONFIG} may only set [checks.<id>.params] and [limits]; {what} is not used by `plumbline test`",
        .path.display()
    )]
    ConfigScope { path: PathBuf, what: &'static str },
}

impl ExpectedStatus {
    pub fn name(self) -> &'static str {
        match self {
            ExpectedStatus::Pass => "pass",
            ExpectedStatus::Fail => "fail",
            ExpectedStatus::Inconclusive => "inconclusive",
            ExpectedStatus::Error => "error",
            ExpectedStatus::Skip => "skip",
        }
    }

    pub fn matches(self, status: Status) -> bool {
        matches!(
            (self, status),
            (ExpectedStatus::Pass, Status::Pass)
                | (ExpectedStatus::Fail, Status::Fail)
                | (ExpectedStatus::Inconclusive, Status::Inconclusive)
                | (ExpectedStatus::Error, Status::Error)
                | (ExpectedStatus::Skip, Status::Skip)
        )
    }
}

impl SeverityName {
    pub fn name(self) -> &'static str {
        match self {
            SeverityName::Critical => "critical",
            SeverityName::High => "high",
            SeverityName::Medium => "medium",
            SeverityName::Low => "low",
            SeverityName::Info => "info",
        }
    }
}

/// Finds the fixtures: `PATH/fixtures/` when it exists, else PATH itself when it holds cases.
pub fn layout(path: &Path) -> Result<Layout, CaseError> {
    if !path.is_dir() {
        return Err(CaseError::NotFound(path.to_owned()));
    }
    let nested = path.join(FIXTURES);
    if nested.is_dir() {
        return Ok(Layout { check_dir: path.to_owned(), fixtures: nested });
    }
    let holds_cases = case_dirs(path)?.iter().any(|d| d.join(EXPECTED).exists() || d.join(SNAPSHOT).exists());
    if !holds_cases {
        return Err(CaseError::NoCases(path.to_owned()));
    }
    let check_dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from(".."),
    };
    Ok(Layout { check_dir, fixtures: path.to_owned() })
}

/// Why the cases could not be loaded: the fixtures directory itself, or some of its cases.
pub enum LoadFailure {
    Fixtures(CaseError),
    /// Every bad case, so they can all be fixed at once.
    Cases(Vec<CaseError>),
}

/// Reads every case under `fixtures`, sorted by name.
pub fn load_all(fixtures: &Path) -> Result<Vec<Case>, LoadFailure> {
    let dirs = case_dirs(fixtures).map_err(LoadFailure::Fixtures)?;
    if dirs.is_empty() {
        return Err(LoadFailure::Fixtures(CaseError::NoCases(fixtures.to_owned())));
    }
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        match load_case(&dir) {
            Ok(case) => cases.push(case),
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() { Ok(cases) } else { Err(LoadFailure::Cases(errors)) }
}

/// The subdirectories of `dir`, sorted.
fn case_dirs(dir: &Path) -> Result<Vec<PathBuf>, CaseError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CaseError::Io { path: dir.to_owned(), source })?;
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

fn load_case(dir: &Path) -> Result<Case, CaseError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for file in [SNAPSHOT, EXPECTED] {
        if !dir.join(file).is_file() {
            return Err(CaseError::Missing { dir: dir.to_owned(), file });
        }
    }
    let expected = read_expected(&dir.join(EXPECTED))?;
    let snapshot = snapshot::load(&dir.join(SNAPSHOT))?;
    let config_path = dir.join(CONFIG);
    let config = if config_path.exists() { Some(read_config(&config_path)?) } else { None };
    Ok(Case { name, dir: dir.to_owned(), snapshot, expected, config })
}

/// Parses and sanity-checks one `expected.toml`.
pub fn read_expected(path: &Path) -> Result<Expected, CaseError> {
    let text = std::fs::read_to_string(path).map_err(|source| CaseError::Io { path: path.to_owned(), source })?;
    let expected = parse_expected(&text).map_err(|(field, line, message)| CaseError::Expected {
        path: path.to_owned(),
        field,
        line: line.map(|l| format!(" (line {l})")).unwrap_or_default(),
        message,
    })?;
    let contradiction = |why: String| Err(CaseError::Contradiction { path: path.to_owned(), why });
    let status = expected.status;
    if !expected.findings.is_empty() && !matches!(status, ExpectedStatus::Fail | ExpectedStatus::Error) {
        return contradiction(format!(
            "status = \"{}\" with [[finding]] tables: findings always make a check `fail`",
            status.name()
        ));
    }
    if status == ExpectedStatus::Fail && expected.findings.is_empty() && expected.extra_findings == ExtraFindings::Deny
    {
        return contradiction(
            "status = \"fail\" needs at least one [[finding]] (or extra-findings = \"allow\"): a check fails only \
             with findings"
                .into(),
        );
    }
    Ok(expected)
}

/// (field path, line, message) of the first problem.
fn parse_expected(text: &str) -> Result<Expected, (String, Option<usize>, String)> {
    let line_of =
        |err: &toml::de::Error| err.span().map(|span| text.get(..span.start).unwrap_or(text).matches('\n').count() + 1);
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| ("(top level)".to_string(), line_of(&e), e.message().to_string()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        let field = if field == "." { "(top level)".to_string() } else { field };
        (field, line_of(&inner), inner.message().to_string())
    })
}

/// A case's `plumbline.toml`: parameters and limits only (a case never collects or suppresses).
fn read_config(path: &Path) -> Result<Config, CaseError> {
    let config = Config::load(path)?;
    let scope = |what| Err(CaseError::ConfigScope { path: path.to_owned(), what });
    if !config.sources.is_empty() {
        return scope("[[sources.*]]");
    }
    if config.registry.is_some() {
        return scope("[registry]");
    }
    if !config.suppress.is_empty() {
        return scope("[[suppress]]");
    }
    if !config.severity_overrides.is_empty() {
        return scope("[severity-overrides]");
    }
    Ok(config)
}
