//! The collection settings of `plumbline.toml`: `[collect]` ([`CollectSettings`]) and the
//! `[[sources.<kind>]]` tables ([`Sources`], one `…Source` struct per collector). Plain
//! configuration types, compiled with or without the `live` feature, so that configuration
//! parsing and validation (and the fuzz build) do not pull in the collectors' clients. Each
//! collector module re-exports its own settings struct (`collect::kafka::KafkaSource`, ...).
//! `Debug` shows no secret: passwords and tokens are redacted, URLs shown without credentials.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::display_url;
use crate::snapshot::REDACTED;

/// The `[[sources.*]]` tables of `plumbline.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sources {
    #[serde(default)]
    pub kafka: Vec<KafkaSource>,
    #[serde(default)]
    pub sqs: Vec<SqsSource>,
    #[serde(default)]
    pub prometheus: Vec<PrometheusSource>,
    #[serde(default)]
    pub rabbitmq: Vec<RabbitmqSource>,
    #[serde(default)]
    pub postgres: Vec<PostgresSource>,
    #[serde(default)]
    pub config_files: Vec<ConfigFilesSource>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.kafka.is_empty()
            && self.rabbitmq.is_empty()
            && self.sqs.is_empty()
            && self.postgres.is_empty()
            && self.prometheus.is_empty()
            && self.config_files.is_empty()
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        names.extend(self.kafka.iter().map(|s| s.name.as_str()));
        names.extend(self.sqs.iter().map(|s| s.name.as_str()));
        names.extend(self.prometheus.iter().map(|s| s.name.as_str()));
        names.extend(self.rabbitmq.iter().map(|s| s.name.as_str()));
        names.extend(self.postgres.iter().map(|s| s.name.as_str()));
        names.extend(self.config_files.iter().map(|s| s.name.as_str()));
        names
    }

    /// Source names must be unique: findings name their source.
    pub fn validate(&self) -> Result<(), String> {
        let names = self.names();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err("a source has an empty `name`".into());
            }
            if names[..i].contains(name) {
                return Err(format!("two sources are named `{name}`; names must be unique"));
            }
        }
        Ok(())
    }
}

/// Collection settings (`[collect]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CollectSettings {
    /// Per-source time limit.
    #[serde(default = "default_collect_timeout")]
    pub timeout_seconds: u64,
    /// Observation window for time series and histories.
    #[serde(default = "default_collect_window")]
    pub window_hours: u32,
}

fn default_collect_timeout() -> u64 {
    30
}
fn default_collect_window() -> u32 {
    24
}

impl Default for CollectSettings {
    fn default() -> Self {
        CollectSettings { timeout_seconds: default_collect_timeout(), window_hours: default_collect_window() }
    }
}

/// A `[[sources.kafka]]` table of `plumbline.toml`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KafkaSource {
    pub name: String,
    /// `host:port[,host:port…]`.
    pub bootstrap_servers: String,
    /// `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    #[serde(default = "default_kafka_protocol")]
    pub security_protocol: String,
    /// `PLAIN` (default with SASL), `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER`, ...
    #[serde(default)]
    pub sasl_mechanism: Option<String>,
    /// `${VAR}` references are expanded.
    #[serde(default)]
    pub sasl_username: Option<String>,
    /// `${VAR}` references are expanded; never shown anywhere.
    #[serde(default)]
    pub sasl_password: Option<String>,
    /// CA certificate(s) (PEM file) to verify the brokers with.
    #[serde(default)]
    pub ssl_ca_location: Option<String>,
    /// Name suffixes (case-insensitive) of dead-letter topics; a pattern with `*` is a glob over
    /// the whole name.
    #[serde(default = "default_kafka_dead_letter_patterns")]
    pub dead_letter_patterns: Vec<String>,
    /// Also read internal topics (names starting with `__`).
    #[serde(default)]
    pub include_internal_topics: bool,
    /// Topics to leave out; a trailing `*` matches any suffix.
    #[serde(default)]
    pub skip_topics: Vec<String>,
    /// Time limit of each request to the cluster (1–300).
    #[serde(default = "default_kafka_request_timeout")]
    pub request_timeout_seconds: u64,
    /// Consumer groups whose offsets are fetched at the same time (1–16).
    #[serde(default = "default_kafka_parallelism")]
    pub parallelism: usize,
    /// Extra librdkafka client properties (e.g. `ssl.endpoint.identification.algorithm`);
    /// `${VAR}` references are expanded. The read-only settings are applied after them.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

fn default_kafka_protocol() -> String {
    "PLAINTEXT".into()
}
pub(super) fn default_kafka_dead_letter_patterns() -> Vec<String> {
    [".DLT", "-dlt", "-dlq", ".dlq", "-dead-letter", ".dead-letter"].map(String::from).to_vec()
}
fn default_kafka_request_timeout() -> u64 {
    10
}
fn default_kafka_parallelism() -> usize {
    4
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), if is_secret_key(k) { REDACTED } else { v.as_str() }))
            .collect();
        f.debug_struct("KafkaSource")
            .field("name", &self.name)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("security_protocol", &self.security_protocol)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("sasl_username", &self.sasl_username)
            .field("sasl_password", &self.sasl_password.as_ref().map(|_| REDACTED))
            .field("ssl_ca_location", &self.ssl_ca_location)
            .field("dead_letter_patterns", &self.dead_letter_patterns)
            .field("include_internal_topics", &self.include_internal_topics)
            .field("skip_topics", &self.skip_topics)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("parallelism", &self.parallelism)
            .field("properties", &properties)
            .finish()
    }
}

/// True for a config or property whose value is a secret (`sasl.password`, `ssl.key.password`,
/// `sasl.jaas.config`, `sasl.oauthbearer.client.secret`, `ssl.keystore.key`, ...).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "jaas", "credential", "ssl.key.pem", "ssl.keystore.key", "private.key"]
        .iter()
        .any(|m| key.contains(m))
}

/// A `[[sources.prometheus]]` table of `plumbline.toml`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrometheusSource {
    pub name: String,
    /// Base URL of the server, e.g. `http://127.0.0.1:9090` (a path prefix is kept). `${VAR}`
    /// references are expanded; credentials in it are refused.
    pub url: String,
    /// HTTP basic auth, with `password`. `${VAR}` references are expanded.
    #[serde(default)]
    pub username: Option<String>,
    /// `${VAR}` references are expanded.
    #[serde(default)]
    pub password: Option<String>,
    /// Sent as `Authorization: Bearer …` (instead of basic auth). `${VAR}` references are expanded.
    #[serde(default)]
    pub bearer_token: Option<String>,
    /// Range-query resolution; default a 240th of the window, at least 15 s.
    #[serde(default)]
    pub step_seconds: Option<u64>,
    /// Signal queries in flight at once, 1–32.
    #[serde(default = "default_prometheus_concurrency")]
    pub concurrency: usize,
    /// Time for one HTTP request (and the queries' server-side `timeout`).
    #[serde(default = "default_prometheus_request_timeout")]
    pub request_timeout_seconds: u64,
    /// The queries that feed time-series signals.
    #[serde(default)]
    pub signals: Vec<SignalQuery>,
}

/// A `[[sources.prometheus.signals]]` table: a named PromQL query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignalQuery {
    /// The signal's name, e.g. `queue-depth` (see the contract's `signal` for well-known names).
    pub name: String,
    pub query: String,
    /// One sample at collection time instead of a range over the window.
    #[serde(default)]
    pub instant: bool,
}

fn default_prometheus_concurrency() -> usize {
    4
}
fn default_prometheus_request_timeout() -> u64 {
    20
}

impl std::fmt::Debug for PrometheusSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusSource")
            .field("name", &self.name)
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| REDACTED))
            .field("step_seconds", &self.step_seconds)
            .field("concurrency", &self.concurrency)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("signals", &self.signals)
            .finish()
    }
}

/// A `[[sources.sqs]]` table of `plumbline.toml`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqsSource {
    pub name: String,
    /// AWS region; default: the standard chain, else `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint override, e.g. `http://127.0.0.1:4566`; default: the region's SQS endpoint.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Profile of the shared AWS config files; its credentials only, and its region by default.
    #[serde(default)]
    pub profile: Option<String>,
    /// With `secret-access-key`; `${VAR}` references are expanded. Default: the standard chain.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// `${VAR}` references are expanded.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// For temporary credentials; `${VAR}` references are expanded.
    #[serde(default)]
    pub session_token: Option<String>,
    /// Only queues whose name starts with this.
    #[serde(default)]
    pub queue_name_prefix: Option<String>,
    /// Queue URLs per `ListQueues` page, 1–1000.
    #[serde(default = "default_sqs_page_size")]
    pub page_size: u32,
    /// `GetQueueAttributes` calls in flight at once, 1–64.
    #[serde(default = "default_sqs_concurrency")]
    pub concurrency: usize,
    /// Time limit of one API call, retries included, 1–300 s.
    #[serde(default = "default_sqs_request_timeout")]
    pub request_timeout_seconds: u64,
    /// Tries per API call (1 = no retry), 1–10.
    #[serde(default = "default_sqs_max_attempts")]
    pub max_attempts: u32,
}

fn default_sqs_page_size() -> u32 {
    1000
}
fn default_sqs_concurrency() -> usize {
    8
}
fn default_sqs_request_timeout() -> u64 {
    10
}
fn default_sqs_max_attempts() -> u32 {
    3
}

impl std::fmt::Debug for SqsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| REDACTED);
        f.debug_struct("SqsSource")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url.as_deref().map(display_url))
            .field("profile", &self.profile)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &hidden(&self.secret_access_key))
            .field("session_token", &hidden(&self.session_token))
            .field("queue_name_prefix", &self.queue_name_prefix)
            .field("page_size", &self.page_size)
            .field("concurrency", &self.concurrency)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// A `[[sources.rabbitmq]]` table of `plumbline.toml`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RabbitmqSource {
    pub name: String,
    /// Management API base URL, e.g. `http://127.0.0.1:15672` (credentials in it are ignored).
    pub management_url: String,
    /// AMQP listener to probe, e.g. `amqp://host:5672/%2f` or `amqps://host:5671/%2f`.
    #[serde(default)]
    pub amqp_url: Option<String>,
    /// `${VAR}` references are expanded.
    pub username: String,
    /// `${VAR}` references are expanded.
    pub password: String,
    /// Items per request for the paged endpoints (`/api/queues`, `/api/exchanges`), 1–500.
    #[serde(default = "default_rabbitmq_page_size")]
    pub page_size: u32,
}

fn default_rabbitmq_page_size() -> u32 {
    500
}

impl std::fmt::Debug for RabbitmqSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitmqSource")
            .field("name", &self.name)
            .field("management_url", &display_url(&self.management_url))
            .field("amqp_url", &self.amqp_url.as_deref().map(display_url))
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("page_size", &self.page_size)
            .finish()
    }
}

/// A `[[sources.postgres]]` table of `plumbline.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PostgresSource {
    pub name: String,
    /// `postgres://user:password@host:port/database?sslmode=...`; `${VAR}` references are expanded.
    pub url: String,
    /// Databases to read; default: every non-template database the user may connect to.
    #[serde(default)]
    pub databases: Option<Vec<String>>,
    /// Schemas to leave out, besides `pg_catalog`, `information_schema`, `pg_toast*` and
    /// `pg_temp*` (always left out). A trailing `*` matches any suffix.
    #[serde(default)]
    pub skip_schemas: Vec<String>,
}

/// A `[[sources.config-files]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFilesSource {
    pub name: String,
    /// Files or globs (`config/*.yml`, `services/**/application*.yml`).
    pub paths: Vec<String>,
    /// The service every file of this source configures; derived from each path when unset.
    #[serde(default)]
    pub service: Option<String>,
    /// Where relative `paths` start; the current directory when unset.
    #[serde(default)]
    pub base_dir: Option<PathBuf>,
}
