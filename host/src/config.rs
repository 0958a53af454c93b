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
//! [limits]                        # every check; see docs/security.md#limits
//! timeout-seconds = 10
//! memory-mib = 256
//! max-findings = 10000
//! [limits.packs.plumbline-core]   # the plugins of one pack
//! timeout-seconds = 20
//! [limits.checks.acks]            # one check (most specific wins, key by key)
//! memory-mib = 512
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
//!
//! [packs]                         # plugin packs; see docs/security.md#packs
//! store = "/var/lib/plumbline/packs"
//!
//! [trust]                         # keys trusted for pack signatures, besides `plumbline keys trust`
//! keys = ["keys/acme.pub"]
//! require-signed = true
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
use crate::runtime::{LimitOverride, LimitPolicy, Limits, Overrides};

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
    /// `[packs] store`: the plugin pack store (crate::pack, docs/security.md#packs).
    #[serde(default)]
    pub packs: crate::pack::PacksConfig,
    /// `[trust] keys / require-signed`: keys trusted for pack signatures (crate::pack::trust).
    #[serde(default)]
    pub trust: crate::pack::TrustConfig,
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

/// `[limits]`, and (the same keys) `[limits.packs.<pack>]` and `[limits.checks.<id>]`.
/// Defaults and meanings: `runtime::Limits` and docs/security.md.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitsConfig {
    pub timeout_seconds: Option<f64>,
    pub memory_mib: Option<u64>,
    pub output_kib: Option<u64>,
    pub result_mib: Option<u64>,
    pub max_findings: Option<u64>,
    pub max_notes: Option<u64>,
    pub max_string_kib: Option<u64>,
    pub fuel: Option<u64>,
    /// Only in `[limits]`: overrides for the plugins of one pack.
    #[serde(default)]
    pub packs: BTreeMap<String, LimitsConfig>,
    /// Only in `[limits]`: overrides for one check.
    #[serde(default)]
    pub checks: BTreeMap<String, LimitsConfig>,
}

impl LimitsConfig {
    /// Checks the ranges of one table; `at` is its name (`limits`, `limits.checks.acks`).
    fn validate(&self, at: &str, nested: bool) -> Result<(), String> {
        if let Some(t) = self.timeout_seconds
            && !(t > 0.0 && t <= 3600.0)
        {
            return Err(format!("{at}.timeout-seconds = {t}: must be in (0, 3600]"));
        }
        let ranges = [
            ("memory-mib", self.memory_mib, 1, 16_384),
            ("output-kib", self.output_kib, 1, 65_536),
            ("result-mib", self.result_mib, 1, 4_096),
            ("max-findings", self.max_findings, 1, 10_000_000),
            ("max-notes", self.max_notes, 1, 1_000_000),
            ("max-string-kib", self.max_string_kib, 1, 65_536),
            ("fuel", self.fuel, 1, u64::MAX),
        ];
        for (key, value, min, max) in ranges {
            if let Some(v) = value
                && !(min..=max).contains(&v)
            {
                return Err(format!("{at}.{key} = {v}: must be in {min}..={max}"));
            }
        }
        if nested && !(self.packs.is_empty() && self.checks.is_empty()) {
            return Err(format!("{at}: packs and checks tables go directly under [limits]"));
        }
        for (name, table) in &self.packs {
            table.validate(&format!("{at}.packs.{name}"), true)?;
        }
        for (id, table) in &self.checks {
            table.validate(&format!("{at}.checks.{id}"), true)?;
        }
        Ok(())
    }

    /// The values this table sets, in the runtime's units (validated, so the casts fit).
    fn overrides(&self) -> LimitOverride {
        let bytes = |v: Option<u64>, shift: u32| v.map(|v| (v as usize) << shift);
        LimitOverride {
            timeout: self.timeout_seconds.map(Duration::from_secs_f64),
            memory_bytes: bytes(self.memory_mib, 20),
            output_bytes: bytes(self.output_kib, 10),
            result_bytes: bytes(self.result_mib, 20),
            max_findings: self.max_findings.map(|v| v as usize),
            max_notes: self.max_notes.map(|v| v as usize),
            max_string_bytes: bytes(self.max_string_kib, 10),
            fuel: self.fuel,
        }
    }
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
        Config::parse(&text, path)
    }

    /// Parses and validates the text of the configuration file at `path` (errors name `path`).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Invalid { path: path.to_owned(), message: e.to_string() })?;
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
        self.limits.validate("limits", false).map_err(invalid)?;
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
        if let Some(id) = self.checks.keys().find(|id| !known.contains(id)) {
            return Err(format!("[checks.{id}]: no check `{id}` in this run (available: {})", known.join(", ")));
        }
        if let Some(id) = self.limits.checks.keys().find(|id| !known.contains(id)) {
            return Err(format!("[limits.checks.{id}]: no check `{id}` in this run (available: {})", known.join(", ")));
        }
        Ok(())
    }

    /// Fails when `[limits.packs.<name>]` names a pack none of the run's plugins came from.
    pub fn check_packs(&self, known: &[String]) -> Result<(), String> {
        match self.limits.packs.keys().find(|name| !known.contains(name)) {
            Some(name) => Err(format!(
                "[limits.packs.{name}]: no pack `{name}` in this run (packs: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )),
            None => Ok(()),
        }
    }

    /// The run's limits with the per-pack and per-check tables.
    pub fn limit_policy(&self) -> LimitPolicy {
        let mut base = Limits::default();
        self.limits.overrides().apply(&mut base);
        LimitPolicy {
            base,
            packs: self.limits.packs.iter().map(|(k, v)| (k.clone(), v.overrides())).collect(),
            checks: self.limits.checks.iter().map(|(k, v)| (k.clone(), v.overrides())).collect(),
        }
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

#[cfg(test)]
mod limits_tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("plumbline.toml"))
    }

    #[test]
    fn every_limit_is_read_with_its_unit_and_the_most_specific_table_wins() {
        let config = parse(
            "[limits]\ntimeout-seconds = 4\nmemory-mib = 64\noutput-kib = 8\nresult-mib = 2\nmax-findings = 7\n\
             max-notes = 3\nmax-string-kib = 1\nfuel = 1000\n\
             [limits.packs.core]\nmemory-mib = 32\n[limits.checks.acks]\nmax-findings = 70\nmemory-mib = 16\n",
        )
        .unwrap();
        let policy = config.limit_policy();
        let base = policy.base;
        assert_eq!(base.timeout, Duration::from_secs(4));
        assert_eq!(
            (base.memory_bytes, base.output_bytes, base.result_bytes, base.max_string_bytes),
            (64 << 20, 8 << 10, 2 << 20, 1 << 10)
        );
        assert_eq!((base.max_findings, base.max_notes, base.fuel), (7, 3, Some(1000)));
        assert_eq!(policy.for_plugin(Some("core")).memory_bytes, 32 << 20);
        let acks = policy.for_check(Some("core"), "acks");
        assert_eq!((acks.memory_bytes, acks.max_findings, acks.fuel), (16 << 20, 70, Some(1000)));
    }

    #[test]
    fn no_limits_table_means_the_defaults() {
        assert_eq!(parse("").unwrap().limit_policy(), LimitPolicy::default());
        assert_eq!(Limits::default().fuel, None);
    }

    #[test]
    fn out_of_range_unknown_and_nested_limits_are_refused_naming_the_key() {
        let err = |text: &str| parse(text).unwrap_err().to_string();
        assert!(err("[limits]\nmax-findings = 0\n").contains("limits.max-findings = 0: must be in 1..="));
        assert!(err("[limits.checks.acks]\nmemory-mib = 0\n").contains("limits.checks.acks.memory-mib = 0"));
        assert!(err("[limits.packs.core]\nmax-string-kib = 0\n").contains("limits.packs.core.max-string-kib"));
        assert!(err("[limits]\nfuel = 0\n").contains("limits.fuel = 0"));
        assert!(err("[limits]\nmax-finding = 3\n").contains("unknown field `max-finding`"));
        assert!(err("[limits.checks.acks.checks.sla]\nfuel = 3\n").contains("go directly under [limits]"));
    }

    #[test]
    fn limit_tables_must_name_checks_and_packs_of_the_run() {
        let config = parse("[limits.checks.akcs]\nfuel = 5\n[limits.packs.nope]\nfuel = 5\n").unwrap();
        let err = config.check_ids(&["acks".into()]).unwrap_err();
        assert!(err.contains("[limits.checks.akcs]: no check `akcs`"), "{err}");
        let err = config.check_packs(&["plumbline-core".into()]).unwrap_err();
        assert!(err.contains("[limits.packs.nope]: no pack `nope`"), "{err}");
    }
}
