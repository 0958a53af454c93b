//! `plumbline.toml`: the sources to collect, the integration registry, per-check parameter
//! overrides and sandbox limits.
//!
//! ```toml
//! [collect]
//! timeout-seconds = 30
//!
//! [[sources.postgres]]
//! name = "pg-payments"
//! url = "postgres://auditor:${PG_PASSWORD}@127.0.0.1:5432/payments"
//!
//! [registry]
//! file = "registry.json"          # or inline [[registry.integrations]] tables
//!
//! [limits]
//! timeout-seconds = 10
//! memory-mib = 256
//!
//! [checks.acks.params]
//! ignore-queues = ["metrics.*"]
//!
//! [history]                       # audit --record / history / diff; see docs/history.md
//! location = "postgres://plumbline:${PG_PASSWORD}@db:5432/audits"   # or a SQLite file path
//!
//! [[suppress]]                    # accepted risks, see report::suppress and docs/suppressions.md
//! rule = "security/*"
//! subject = "kafka-prod/listener/*"
//! reason = "Internal network; TLS migration in OPS-123"
//! expires = 2026-06-30
//!
//! [severity-overrides]
//! "acks/kafka-auto-commit" = "critical"
//! ```
//!
//! Relative paths are resolved from the directory of the configuration file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::collect::{CollectSettings, Sources};
use crate::contract::estate::Integration;
use crate::contract::types::ParamValue;
use crate::runtime::{Limits, Overrides};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub checks: BTreeMap<String, CheckConfig>,
    #[serde(default)]
    pub collect: CollectSettings,
    #[serde(default)]
    pub sources: Sources,
    pub registry: Option<RegistryConfig>,
    /// `[history] location`: where `audit --record`, `history` and `diff` keep runs (crate::history).
    #[serde(default)]
    pub history: crate::history::HistoryConfig,
    /// `[[suppress]]`: accepted findings, checked and applied by `report::Policy`.
    #[serde(default)]
    pub suppress: Vec<crate::report::SuppressEntry>,
    /// `[severity-overrides]`: rule id or glob → severity.
    #[serde(default)]
    pub severity_overrides: BTreeMap<String, String>,
    /// Directory of the file this came from (relative paths start here).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// The declared integration registry: a file (JSON or TOML with an `integrations` list) or
/// inline `[[registry.integrations]]` tables, in the contract's `integration` shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryConfig {
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub integrations: Vec<Integration>,
}

#[derive(Deserialize)]
struct RegistryFile {
    integrations: Vec<Integration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitsConfig {
    pub timeout_seconds: Option<f64>,
    pub memory_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckConfig {
    /// Parameter overrides by name.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_owned(), source })?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Invalid { path: path.to_owned(), message: e.to_string() })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // Config-file sources read relative paths from the config's directory by default.
        for source in &mut config.sources.config_files {
            let base = source.base_dir.take().map(|dir| config.base_dir.join(dir));
            source.base_dir = Some(base.unwrap_or_else(|| config.base_dir.clone()));
        }
        config.validate(path)?;
        Ok(config)
    }

    /// The registry's integrations, read from `registry.file` if set. `None` when no registry
    /// is configured.
    pub fn registry(&self) -> Result<Option<Vec<Integration>>, ConfigError> {
        let Some(registry) = &self.registry else { return Ok(None) };
        let mut integrations = registry.integrations.clone();
        if let Some(file) = &registry.file {
            let path = self.base_dir.join(file);
            let text =
                std::fs::read_to_string(&path).map_err(|source| ConfigError::Io { path: path.clone(), source })?;
            let parsed: Result<RegistryFile, String> = if path.extension().is_some_and(|e| e == "toml") {
                toml::from_str(&text).map_err(|e| e.to_string())
            } else {
                serde_json::from_str(&text).map_err(|e| e.to_string())
            };
            let parsed = parsed.map_err(|message| ConfigError::Invalid { path: path.clone(), message })?;
            integrations.extend(parsed.integrations);
        }
        Ok(Some(integrations))
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.to_owned(), message };
        self.sources.validate().map_err(|why| invalid(format!("sources: {why}")))?;
        if let Some(t) = self.limits.timeout_seconds
            && !(t > 0.0 && t <= 3600.0)
        {
            return Err(invalid(format!("limits.timeout-seconds = {t}: must be in (0, 3600]")));
        }
        if let Some(m) = self.limits.memory_mib
            && !(1..=16_384).contains(&m)
        {
            return Err(invalid(format!("limits.memory-mib = {m}: must be in 1..=16384")));
        }
        for (check, cfg) in &self.checks {
            for (name, value) in &cfg.params {
                param_value(value).map_err(|why| invalid(format!("checks.{check}.params.{name}: {why}")))?;
            }
        }
        Ok(())
    }

    /// Fails when the config tunes a check that is not part of the run (a typo would otherwise
    /// silently leave the default in place).
    pub fn check_ids(&self, known: &[String]) -> Result<(), String> {
        match self.checks.keys().find(|id| !known.contains(id)) {
            Some(id) => Err(format!("[checks.{id}]: no check `{id}` in this run (available: {})", known.join(", "))),
            None => Ok(()),
        }
    }

    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(t) = self.limits.timeout_seconds {
            limits.timeout = Duration::from_secs_f64(t);
        }
        if let Some(m) = self.limits.memory_mib {
            limits.memory_bytes = (m as usize) << 20;
        }
        limits
    }

    /// The overrides for check `id` (validated at load, so conversion cannot fail here).
    pub fn overrides(&self, id: &str) -> Overrides {
        self.checks
            .get(id)
            .map(|c| c.params.iter().filter_map(|(k, v)| param_value(v).ok().map(|v| (k.clone(), v))).collect())
            .unwrap_or_default()
    }
}

fn param_value(value: &toml::Value) -> Result<ParamValue, String> {
    Ok(match value {
        toml::Value::Integer(i) => ParamValue::Integer(*i),
        toml::Value::Float(f) => ParamValue::Float(*f),
        toml::Value::Boolean(b) => ParamValue::Boolean(*b),
        toml::Value::String(s) => ParamValue::Text(s.clone()),
        toml::Value::Array(items) => ParamValue::TextList(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or("lists may only hold strings".to_string()))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(format!("unsupported value {other}: use a number, boolean, string or list of strings"));
        }
    })
}
