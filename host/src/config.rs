//! `plumbline.toml`: per-check parameter overrides and sandbox limits. (Sources and the
//! integration registry join this file with the collectors.)
//!
//! ```toml
//! [limits]
//! timeout-seconds = 10
//! memory-mib = 256
//!
//! [checks.acks.params]
//! ignore-queues = ["metrics.*"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::contract::types::ParamValue;
use crate::runtime::{Limits, Overrides};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub checks: BTreeMap<String, CheckConfig>,
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
        let config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Invalid { path: path.to_owned(), message: e.to_string() })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.to_owned(), message };
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
