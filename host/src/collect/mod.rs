//! Live collection: reads every configured source — concurrently, read-only, each under its own
//! timeout — and assembles a [`Snapshot`]. A source that fails is recorded in
//! `info.sources` with its reason (so checks that need it say `inconclusive`); the others go on.
//!
//! One module per source kind, each exposing a `…Source` settings struct (a `[[sources.<kind>]]`
//! table of `plumbline.toml`) and `async fn collect(&source) -> Result<Collected<Record>, CollectError>`.
//! Collectors only read: no consuming, acking, committing, declaring or changing anything.
//!
//! Without the `live` feature (see host/Cargo.toml) only the configuration side is compiled: the
//! settings types ([`settings`]), [`CollectError`], [`expand_env`] and [`display_url`]; the
//! collectors, their clients and the collection run are left out.

#[cfg(feature = "live")]
pub mod config_files;
#[cfg(feature = "live")]
pub mod kafka;
#[cfg(feature = "live")]
pub mod postgres;
#[cfg(feature = "live")]
mod progress;
#[cfg(feature = "live")]
pub mod prometheus;
#[cfg(feature = "live")]
pub mod rabbitmq;
#[cfg(feature = "live")]
mod run;
#[cfg(feature = "live")]
mod secrets;
pub mod settings;
#[cfg(feature = "live")]
pub mod sqs;

#[cfg(feature = "live")]
pub use progress::Progress;
#[cfg(feature = "live")]
pub use run::{collect_all, install_crypto_provider};
pub use settings::{CollectSettings, Sources};

/// What a collector read, plus what it could not read (which makes its section unavailable).
#[derive(Debug, Clone)]
pub struct Collected<T> {
    pub data: T,
    /// Endpoints or queries that failed while the rest was read (e.g. "GET /api/permissions: 403").
    pub problems: Vec<String>,
}

impl<T> Collected<T> {
    pub fn complete(data: T) -> Self {
        Collected { data, problems: Vec::new() }
    }
}

/// Why a source could not be read at all. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("authentication refused by {target}: {reason}")]
    Auth { target: String, reason: String },
    #[error("{0}")]
    Read(String),
    #[error("invalid source settings: {0}")]
    Settings(String),
    #[error("timed out after {0} s")]
    Timeout(u64),
}

/// Expands `${VAR}` references in a setting from the environment. A missing variable is an
/// error naming the setting, never an empty password.
pub fn expand_env(value: &str, setting: &str) -> Result<String, CollectError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end =
            after.find('}').ok_or_else(|| CollectError::Settings(format!("{setting}: unterminated `${{` in value")))?;
        let var = &after[..end];
        let resolved = std::env::var(var)
            .map_err(|_| CollectError::Settings(format!("{setting}: environment variable `{var}` is not set")))?;
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Text safe to show for a URL: credentials removed (`user:pass@` and password parameters).
pub fn display_url(url: &str) -> String {
    crate::snapshot::strip_url_secrets(url).unwrap_or_else(|| url.to_string())
}

#[cfg(all(test, feature = "live"))]
mod tests;
