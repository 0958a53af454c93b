//! Audit history: every `plumbline audit --record` stores the run's report data in a SQLite file
//! (the default, `.plumbline/history.sqlite`) or in PostgreSQL (a `postgres://` URL, for a team);
//! `plumbline history` lists the runs and `plumbline diff` compares two of them by finding
//! fingerprint. User guide: docs/history.md.
//!
//! - [`Location`] names the store; [`Store`] opens it (running the embedded migrations in
//!   `migrations/<backend>/`, the same sqlx migration files `sqlx migrate` would apply), records a
//!   [`Run`], lists [`RunInfo`]s and loads a run back.
//! - [`Run::from_report`] reads the finished report through its serialised form, so only what the
//!   report shows (already redacted) is stored — never the configuration or a credential.
//! - [`diff`] compares two loaded runs: new, resolved, unchanged findings and check-status changes.
//!
//! Errors are [`HistoryError`]s that name the location (PostgreSQL URLs without their password).
//!
//! Only [`Store`] (sqlx, SQLite and PostgreSQL) needs the `live` feature (see host/Cargo.toml);
//! `[history]` settings, locations, selectors, the run model and [`diff`] are always compiled.

mod diff;
mod model;
#[cfg(feature = "live")]
mod store;

pub use diff::{CheckChange, Diff, DiffCounts, SeverityChange, diff};
pub use model::{CheckRecord, Counts, FindingRecord, GateInfo, Run, RunInfo, RunStatus, SnapshotInfo, format_time};
#[cfg(feature = "live")]
pub use store::Store;

use std::path::PathBuf;

use serde::Deserialize;

/// Where the history lives when neither `--history`, `PLUMBLINE_HISTORY` nor `[history]` names it
/// (relative to the working directory).
pub const DEFAULT_LOCATION: &str = ".plumbline/history.sqlite";

/// `[history]` in plumbline.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HistoryConfig {
    /// A file path (SQLite; relative to the config file's directory) or a `postgres://` URL;
    /// `${VAR}` references are expanded from the environment.
    pub location: Option<String>,
}

/// A history store: a SQLite file or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// The full connection URL (may hold a password: show it with [`Location::display`]).
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` → PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a plain
    /// path → SQLite. Any other `scheme://` is refused.
    pub fn parse(text: &str) -> Result<Location, HistoryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HistoryError::Unsupported(String::new()));
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_string()));
        }
        let path = if lower.starts_with("sqlite://") {
            &text["sqlite://".len()..]
        } else if lower.starts_with("sqlite:") {
            &text["sqlite:".len()..]
        } else if text.contains("://") {
            return Err(HistoryError::Unsupported(crate::collect::display_url(text)));
        } else {
            text
        };
        if path.is_empty() {
            return Err(HistoryError::Unsupported(text.to_string()));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// Safe to print: the path, or the URL without credentials.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => crate::collect::display_url(url),
        }
    }
}

/// Which run: a run id, or `last~N` (N runs before the last; `last` = `last~0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Id(i64),
    Last(u32),
}

impl std::str::FromStr for Selector {
    type Err = HistoryError;

    fn from_str(text: &str) -> Result<Selector, HistoryError> {
        let bad = || HistoryError::BadSelector(text.to_string());
        let t = text.trim();
        if t.eq_ignore_ascii_case("last") {
            return Ok(Selector::Last(0));
        }
        if let Some(back) = t.strip_prefix("last~").or_else(|| t.strip_prefix("LAST~")) {
            return back.parse().map(Selector::Last).map_err(|_| bad());
        }
        match t.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Selector::Id(id)),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Id(id) => write!(f, "{id}"),
            Selector::Last(0) => write!(f, "last"),
            Selector::Last(n) => write!(f, "last~{n}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history location `{0}` is not supported: use a file path (SQLite) or a postgres:// URL")]
    Unsupported(String),
    #[error("no history at {0}: record a run first with `plumbline audit --record`")]
    Missing(String),
    #[error("cannot create the directory {path} for the history")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open history {location}: {reason}")]
    Open { location: String, reason: String },
    #[error("cannot prepare history {location} (migrations): {reason}")]
    Migrate { location: String, reason: String },
    #[error("history {location}: {reason}")]
    Query { location: String, reason: String },
    #[error("`{0}` is not a run: use a run id (see `plumbline history`), `last` or `last~N`")]
    BadSelector(String),
    #[error("no run {selector} in history {location} ({recorded} run(s) recorded)")]
    UnknownRun { selector: Selector, location: String, recorded: i64 },
    #[error("cannot read the report to record it: {0}")]
    Report(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_by_scheme() {
        assert_eq!(Location::parse("runs.sqlite").unwrap(), Location::Sqlite("runs.sqlite".into()));
        assert_eq!(Location::parse("sqlite:///tmp/h.db").unwrap(), Location::Sqlite("/tmp/h.db".into()));
        assert_eq!(Location::parse("sqlite:h.db").unwrap(), Location::Sqlite("h.db".into()));
        let pg = Location::parse("postgres://u:secret@db:5432/audits").unwrap();
        assert!(matches!(pg, Location::Postgres(_)));
        assert!(!pg.display().contains("secret"), "{}", pg.display());
        let err = Location::parse("mysql://u:secret@db/x").unwrap_err().to_string();
        assert!(err.contains("not supported") && !err.contains("secret"), "{err}");
        assert!(Location::parse("  ").is_err());
    }

    #[test]
    fn selectors_parse() {
        assert_eq!("last".parse::<Selector>().unwrap(), Selector::Last(0));
        assert_eq!("last~2".parse::<Selector>().unwrap(), Selector::Last(2));
        assert_eq!("17".parse::<Selector>().unwrap(), Selector::Id(17));
        for bad in ["", "0", "-1", "last~", "last~x", "first"] {
            let err = bad.parse::<Selector>().unwrap_err().to_string();
            assert!(err.contains("is not a run"), "{bad}: {err}");
        }
        assert_eq!(Selector::Last(1).to_string(), "last~1");
    }
}
