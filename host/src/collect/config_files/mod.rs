//! Config-file collector: reads application configuration files (Spring `application*.yml`,
//! plain YAML, `.properties` including Kafka client configs, `.env`, TOML), flattens each to
//! `key = value` entries with the line they sit on, and redacts secrets on the way in.
//!
//! Settings (`[[sources.config-files]]`): `paths` lists files or simple globs (`*` within one
//! path segment, `**` for any depth; `**` does not descend into hidden directories such as
//! `.git`), resolved from `base-dir` (default: the current directory). Keys are flattened Spring
//! style: nested maps joined with `.`, sequences as `[i]`, every YAML document of a file into the
//! same entry list. Every value goes through the snapshot's secret classifier before it is
//! stored: a plaintext secret becomes the redacted marker, a reference such as `${DB_PASSWORD}`
//! is kept. Values are never logged. A file that cannot be read or parsed, or a pattern that
//! matches nothing, is a problem of this source; the other files still load.

mod dotenv;
mod glob;
mod properties;
mod toml_format;
mod yaml;

#[cfg(test)]
mod tests;

use std::path::{Component, Path, PathBuf};

use futures::StreamExt;

use super::{CollectError, Collected};
use crate::contract::estate::{ConfigEntry, ConfigFile};

/// Files read at the same time.
const CONCURRENT_READS: usize = 16;

/// Files larger than this are not read (configuration files are small; this is not one).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Keys that only a Kafka client configuration has.
const KAFKA_CLIENT_KEYS: [&str; 10] = [
    "bootstrap.servers",
    "group.id",
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "enable.auto.commit",
    "auto.offset.reset",
    "sasl.jaas.config",
    "transactional.id",
];

pub use super::settings::ConfigFilesSource;

/// One key/value as a parser read it, before redaction. Deliberately not `Debug`: the value may
/// be a secret, and it leaves this module only through [`ConfigEntry::redacted`].
pub(super) struct RawEntry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

impl RawEntry {
    fn new(key: impl Into<String>, value: impl Into<String>, line: u32) -> Self {
        RawEntry { key: key.into(), value: value.into(), line }
    }
}

/// How a file is parsed (Kafka properties are told apart after parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    SpringYaml,
    Yaml,
    Properties,
    Env,
    Toml,
}

impl Format {
    /// From the file name; `None` for a file this collector does not understand.
    fn detect(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            let spring = name.starts_with("application") || name.starts_with("bootstrap");
            Some(if spring { Format::SpringYaml } else { Format::Yaml })
        } else if name.ends_with(".properties") {
            Some(Format::Properties)
        } else if name == ".env" || name.ends_with(".env") || name.starts_with(".env.") {
            Some(Format::Env)
        } else if name.ends_with(".toml") {
            Some(Format::Toml)
        } else {
            None
        }
    }
}

/// Reads every file the source's `paths` match.
pub async fn collect(source: &ConfigFilesSource) -> Result<Collected<Vec<ConfigFile>>, CollectError> {
    if source.paths.is_empty() {
        return Err(CollectError::Settings(format!("{}: `paths` is empty", source.name)));
    }
    let base = source.base_dir.clone().unwrap_or_default();
    if !base.as_os_str().is_empty() && !tokio::fs::metadata(&base).await.is_ok_and(|m| m.is_dir()) {
        return Err(CollectError::Settings(format!(
            "{}: base-dir `{}` is not a directory",
            source.name,
            base.display()
        )));
    }
    let patterns = source.paths.clone();
    let (files, mut problems) = tokio::task::spawn_blocking(move || find_files(&base, &patterns))
        .await
        .map_err(|err| CollectError::Read(format!("searching for config files failed: {err}")))?;

    let service = source.service.as_deref();
    let reads = files.iter().map(|(path, format)| read_file(path, *format, service));
    let results: Vec<_> = futures::stream::iter(reads).buffered(CONCURRENT_READS).collect().await;
    let mut data = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(file) => data.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    tracing::debug!(files = data.len(), problems = problems.len(), "config files read");
    Ok(Collected { data, problems })
}

/// Expands every pattern; returns each matched file once (in pattern order) with its format,
/// and a problem for each pattern that matched nothing readable.
fn find_files(base: &Path, patterns: &[String]) -> (Vec<(PathBuf, Format)>, Vec<String>) {
    let mut files: Vec<(PathBuf, Format)> = Vec::new();
    let mut problems = Vec::new();
    let mut budget = glob::VISIT_BUDGET;
    for pattern in patterns {
        let found = glob::expand(base, pattern, &mut budget);
        if found.truncated {
            problems.push(format!("`{pattern}`: search stopped after {} directory entries", glob::VISIT_BUDGET));
        }
        let any = !found.files.is_empty();
        let mut matched = 0;
        for path in found.files {
            match Format::detect(&path) {
                Some(format) => {
                    matched += 1;
                    if !files.iter().any(|(seen, _)| *seen == path) {
                        files.push((path, format));
                    }
                }
                None if !found.is_glob => problems.push(format!(
                    "{}: format not recognised (expected .yml, .yaml, .properties, .env or .toml)",
                    path.display()
                )),
                None => {}
            }
        }
        if matched == 0 && (found.is_glob || !any) {
            problems.push(format!("no file matches `{pattern}`"));
        }
    }
    (files, problems)
}

/// Reads and parses one file; the error is a problem line naming the file.
async fn read_file(path: &Path, format: Format, service: Option<&str>) -> Result<ConfigFile, String> {
    let shown = path.display();
    let size = tokio::fs::metadata(path).await.map_err(|err| format!("{shown}: cannot read: {err}"))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{shown}: not read: {size} bytes is more than {MAX_FILE_BYTES}"));
    }
    let text = tokio::fs::read_to_string(path).await.map_err(|err| format!("{shown}: cannot read: {err}"))?;
    let (format, raw) = parse(format, &text).map_err(|reason| format!("{shown}: {reason}"))?;
    Ok(ConfigFile {
        path: shown.to_string(),
        format: format.to_string(),
        service: service.map(str::to_string).or_else(|| service_from_path(path)),
        entries: raw.into_iter().map(|e| ConfigEntry::redacted(e.key, e.value, e.line)).collect(),
    })
}

/// Parses `text`; returns the format label and the raw entries.
fn parse(format: Format, text: &str) -> Result<(&'static str, Vec<RawEntry>), String> {
    Ok(match format {
        Format::SpringYaml => ("spring-yaml", yaml::parse(text).map_err(|e| format!("invalid YAML: {e}"))?),
        Format::Yaml => ("yaml", yaml::parse(text).map_err(|e| format!("invalid YAML: {e}"))?),
        Format::Toml => ("toml", toml_format::parse(text).map_err(|e| format!("invalid TOML: {e}"))?),
        Format::Env => ("env", dotenv::parse(text)),
        Format::Properties => {
            let entries = properties::parse(text);
            let kafka = entries.iter().any(|e| KAFKA_CLIENT_KEYS.contains(&e.key.as_str()));
            (if kafka { "kafka-properties" } else { "properties" }, entries)
        }
    })
}

/// The service a file configures, from its path: the project above `src/main/resources`, else
/// the directory above the last `config/`, else the file's own directory.
fn service_from_path(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let dirs: Vec<&str> = absolute
        .parent()?
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let resources = dirs.windows(3).rposition(|w| w == ["src", "main", "resources"]);
    let above = match resources {
        Some(src) => src.checked_sub(1),
        None => dirs.iter().rposition(|d| *d == "config").and_then(|i| i.checked_sub(1)),
    };
    match above {
        Some(i) => Some(dirs[i].to_string()),
        None => dirs.last().filter(|d| **d != "config").map(|d| d.to_string()),
    }
}
