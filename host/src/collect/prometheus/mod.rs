//! Prometheus collector: owns the `[[sources.prometheus]]` settings and reads one server into a
//! [`PrometheusServer`] record through its HTTP API ([`api`]), read-only.
//!
//! What is read:
//! - `GET /api/v1/status/buildinfo`: `version`.
//! - `GET /api/v1/rules`: rule groups with their file; alerting and recording rules with their
//!   expression, `for` (seconds, rounded), labels (sorted) and health (`ok`, `err`, `unknown`).
//! - `GET /api/v1/metadata`: every metric family's type (mapped to the contract's `metric-type`;
//!   anything else is `unknown`) and help text, sorted by name.
//! - `GET /api/v1/targets?state=active`: scrape targets with job, instance, health and
//!   `last-error` (none when empty), sorted by job and instance.
//! - the configured signals (`[[sources.prometheus.signals]]`): each query runs as a range query
//!   over the observation window ending now (`POST /api/v1/query_range`), or with
//!   `instant = true` as one instant query at that same "now" (`POST /api/v1/query`), at most
//!   `concurrency` at a time. Series carry their label set sorted and without `__name__`, samples
//!   oldest first (Unix seconds, rounded down). Samples that are not finite (NaN from `0/0` when
//!   nothing flowed, ±Inf, native-histogram samples) are dropped, since a snapshot cannot carry
//!   them; a series left without samples is dropped with them. No signal is queried by default:
//!   metric names depend on the exporters, so queries are the estate owner's to write.
//!
//! `tracing-detected` is a heuristic: true when a metric family's name starts with a prefix
//! only tracing pipelines expose (`otelcol_`, `otel_`, `jaeger_`, `zipkin_`, `tempo_`,
//! `traces_spanmetrics_`, `traces_span_metrics_`), or a scrape job's name contains the word
//! `otel`, `otelcol`, `opentelemetry`, `jaeger`, `zipkin` or `tempo` (split at anything not a
//! letter or digit, so `otel-collector` counts and `contemporary` does not).
//!
//! Range-query resolution (`step-seconds`) defaults to a 240th of the window, at least 15 s
//! (360 s for 24 h), and is raised when needed to stay within Prometheus' 11,000 points per
//! series. Each request has `request-timeout-seconds`, also sent as the query `timeout`.
//!
//! Errors: the server unreachable (or silent past the request timeout) at buildinfo is
//! [`CollectError::Connect`]; HTTP 401/403 there is [`CollectError::Auth`]. Any other failing
//! endpoint, and each failing or non-numeric query (named by its signal, with Prometheus'
//! `errorType: error` text), is a `problems` entry next to what was read; a failed signal is left
//! out rather than recorded empty. When buildinfo, rules, metadata and targets all fail the
//! source fails ([`CollectError::Read`]). Query warnings are logged, not counted as problems.
//! Credentials go in the `Authorization` header; messages show the URL without credentials (a
//! URL carrying them is refused) and are scrubbed of the password or token.

mod api;
mod read;

use std::time::Duration;

use futures::StreamExt;

use super::{CollectError, Collected, expand_env};
use crate::collect::secrets::scrub;
use crate::contract::estate::{PrometheusServer, Signal};
use api::{Api, Auth, Failure};

pub use super::settings::{PrometheusSource, SignalQuery};

const MAX_CONCURRENCY: usize = 32;
/// Default range-query resolution: this many steps per window…
const DEFAULT_STEPS: u64 = 240;
/// …but no finer than this.
const MIN_DEFAULT_STEP: u64 = 15;
/// Prometheus refuses range queries with more points per series.
const MAX_POINTS: u64 = 11_000;

const BUILDINFO: &str = "/api/v1/status/buildinfo";
const RULES: &str = "/api/v1/rules";
const METADATA: &str = "/api/v1/metadata";
const TARGETS: &str = "/api/v1/targets?state=active";

/// Reads one server; range queries cover the `window` before now. See the module documentation
/// for what is read and how failures count.
pub async fn collect(source: &PrometheusSource, window: Duration) -> Result<Collected<PrometheusServer>, CollectError> {
    validate(source)?;
    let auth = auth(source)?;
    let secrets: Vec<String> = match &auth {
        Auth::None => Vec::new(),
        Auth::Basic { password, .. } => vec![password.clone()],
        Auth::Bearer(token) => vec![token.clone()],
    };
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let url = expand_env(&source.url, "sources.prometheus.url")?;
    let api = Api::new(&url, auth, Duration::from_secs(source.request_timeout_seconds))
        .map_err(|err| CollectError::Settings(scrub(&format!("sources.prometheus: {err}"), &secrets)))?;
    let target = api.target().to_string();
    let step = step_seconds(source.step_seconds, window);
    let end = now_unix();
    let start = end.saturating_sub(i64::try_from(window.as_secs()).unwrap_or(i64::MAX));

    tracing::debug!(%target, step, "reading the Prometheus API");
    let mut problems = Vec::new();
    let mut failed = 0;
    let version = match api.get(BUILDINFO).await {
        Ok(data) => read::version(&data),
        Err(Failure::Unreachable(reason)) => return Err(CollectError::Connect { target, reason }),
        Err(Failure::Unauthorized(reason)) => return Err(CollectError::Auth { target, reason }),
        Err(Failure::Other(reason)) => {
            failed += 1;
            problems.push(format!("GET {BUILDINFO}: {reason}"));
            None
        }
    };

    let signals = futures::stream::iter(source.signals.iter().map(|s| signal(&api, s, start, end, step)))
        .buffered(source.concurrency)
        .collect::<Vec<_>>();
    let (rules, metadata, targets, signals) =
        tokio::join!(api.get(RULES), api.get(METADATA), api.get(TARGETS), signals);

    let mut endpoint = |path: &str, result: Result<serde_json::Value, Failure>| {
        result
            .map_err(|failure| {
                failed += 1;
                problems.push(format!("GET {path}: {failure}"));
            })
            .ok()
    };
    let rule_groups = endpoint(RULES, rules).map(|d| read::rule_groups(&d)).unwrap_or_default();
    let metrics = endpoint(METADATA, metadata).map(|d| read::metrics(&d)).unwrap_or_default();
    let targets = endpoint(TARGETS, targets).map(|d| read::targets(&d)).unwrap_or_default();
    if failed == 4 {
        return Err(CollectError::Read(format!("nothing could be read from {target}: {}", problems.join("; "))));
    }
    let mut collected = Vec::new();
    for result in signals {
        match result {
            Ok(signal) => collected.push(signal),
            Err(problem) => problems.push(problem),
        }
    }

    let server = PrometheusServer {
        source: source.name.clone(),
        version,
        tracing_detected: read::tracing_detected(&metrics, &targets),
        rule_groups,
        metrics,
        targets,
        signals: collected,
    };
    let problems: Vec<String> = problems.iter().map(|p| scrub(p, &secrets)).collect();
    for problem in &problems {
        // The runner reports the source as read in part (at warn level) with every problem.
        tracing::debug!(%target, "{problem}");
    }
    tracing::info!(
        rule_groups = server.rule_groups.len(),
        metrics = server.metrics.len(),
        targets = server.targets.len(),
        signals = server.signals.len(),
        problems = problems.len(),
        "prometheus read"
    );
    Ok(Collected { data: server, problems })
}

/// Runs one configured query; a failure is the problem text naming the signal.
async fn signal(api: &Api, signal: &SignalQuery, start: i64, end: i64, step: u64) -> Result<Signal, String> {
    let answer = if signal.instant {
        api.query(&signal.query, end).await
    } else {
        api.query_range(&signal.query, start, end, step).await
    };
    let data = answer.map_err(|failure| format!("signal `{}`: {failure}", signal.name))?;
    let (series, dropped) = read::series(&data).map_err(|err| format!("signal `{}`: {err}", signal.name))?;
    if dropped > 0 {
        tracing::debug!(signal = %signal.name, dropped, "samples that are not finite numbers dropped");
    }
    Ok(Signal { name: signal.name.clone(), query: signal.query.clone(), series })
}

/// Checks the settings that need no environment.
fn validate(source: &PrometheusSource) -> Result<(), CollectError> {
    let bad = |text: String| Err(CollectError::Settings(format!("sources.prometheus `{}`: {text}", source.name)));
    if !(1..=MAX_CONCURRENCY).contains(&source.concurrency) {
        return bad(format!("concurrency {} is outside 1–{MAX_CONCURRENCY}", source.concurrency));
    }
    if source.request_timeout_seconds == 0 {
        return bad("request-timeout-seconds must be at least 1".into());
    }
    if source.step_seconds == Some(0) {
        return bad("step-seconds must be at least 1".into());
    }
    for (i, signal) in source.signals.iter().enumerate() {
        if signal.name.trim().is_empty() || signal.query.trim().is_empty() {
            return bad(format!("signal #{} needs a `name` and a `query`", i + 1));
        }
        if source.signals[..i].iter().any(|s| s.name == signal.name) {
            return bad(format!("two signals are named `{}`", signal.name));
        }
    }
    Ok(())
}

/// The configured credentials, `${VAR}`s expanded.
fn auth(source: &PrometheusSource) -> Result<Auth, CollectError> {
    let expand = |value: &Option<String>, setting: &str| value.as_deref().map(|v| expand_env(v, setting)).transpose();
    let username = expand(&source.username, "sources.prometheus.username")?;
    let password = expand(&source.password, "sources.prometheus.password")?;
    let token = expand(&source.bearer_token, "sources.prometheus.bearer-token")?;
    let bad = |text: &str| Err(CollectError::Settings(format!("sources.prometheus `{}`: {text}", source.name)));
    match (username, password, token) {
        (None, None, None) => Ok(Auth::None),
        (Some(username), Some(password), None) => Ok(Auth::Basic { username, password }),
        (None, None, Some(token)) => Ok(Auth::Bearer(token)),
        (Some(_), Some(_), Some(_)) | (Some(_), None, Some(_)) | (None, Some(_), Some(_)) => {
            bad("set either `username`/`password` or `bearer-token`, not both")
        }
        (Some(_), None, None) | (None, Some(_), None) => bad("`username` and `password` go together"),
    }
}

/// The range-query step: configured or a [`DEFAULT_STEPS`]th of the window (at least
/// [`MIN_DEFAULT_STEP`]), raised to keep within [`MAX_POINTS`] per series.
fn step_seconds(configured: Option<u64>, window: Duration) -> u64 {
    let window = window.as_secs();
    let step = configured.unwrap_or_else(|| window.div_ceil(DEFAULT_STEPS).max(MIN_DEFAULT_STEP));
    step.max(window.div_ceil(MAX_POINTS)).max(1)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests;
