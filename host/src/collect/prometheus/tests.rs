//! Live tests of the Prometheus collector against the local server on 127.0.0.1:19090 (scraping
//! itself, job `prometheus`, and RabbitMQ's `rabbitmq_prometheus` endpoint, job `rabbitmq`;
//! rule files in `$PLUMBLINE_SERVICES_DIR/prometheus/rules/*.yml`, reloaded by `POST /-/reload`).
//! The rule test writes its own uniquely named rule file and removes it afterwards; the auth test
//! starts a second, password-protected Prometheus on a free port and stops it at the end.

use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::FutureExt;
use serde_json::Value;

use super::*;
use crate::contract::estate::{MetricType, RuleKind, Series};

const PROMETHEUS: &str = "http://127.0.0.1:19090";
const CANARY: &str = "s3cret-canary";
/// bcrypt (cost 10) of `plumbline-test-pass`, for the password-protected server.
const TEST_HASH: &str = "$2b$10$HXfdQ0r2PTohdphIEI4dX.I9SeAuWuAUkL.siYAwdb12A85tSlTe2";
const TEST_PASSWORD: &str = "plumbline-test-pass";

fn source(signals: &[(&str, &str, bool)]) -> PrometheusSource {
    PrometheusSource {
        name: "prom-test".into(),
        url: PROMETHEUS.into(),
        username: None,
        password: None,
        bearer_token: None,
        step_seconds: None,
        concurrency: 4,
        request_timeout_seconds: 20,
        signals: signals
            .iter()
            .map(|(name, query, instant)| SignalQuery {
                name: name.to_string(),
                query: query.to_string(),
                instant: *instant,
            })
            .collect(),
    }
}

fn random_suffix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:012x}", hasher.finish() & 0xFFFF_FFFF_FFFF)
}

/// Fails the test, naming the recipe that starts it, unless the local Prometheus answers on
/// [`PROMETHEUS`].
fn require_prometheus() {
    let address: std::net::SocketAddr = "127.0.0.1:19090".parse().expect("socket address");
    if let Err(err) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
        panic!("no Prometheus on {PROMETHEUS} ({err}): start the test servers with `just services`");
    }
}

fn rules_dir() -> PathBuf {
    let services = std::env::var("PLUMBLINE_SERVICES_DIR").unwrap_or_else(|_| "/tmp/plumbline-services".into());
    Path::new(&services).join("prometheus/rules")
}

async fn reload(http: &reqwest::Client) {
    match http.post(format!("{PROMETHEUS}/-/reload")).send().await {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => eprintln!("reload: HTTP {}", response.status()),
        Err(err) => eprintln!("reload: {err}"),
    }
}

/// Waits until the alerting rule `alert` is loaded and has been evaluated (health `ok`).
async fn wait_for_rule(http: &reqwest::Client, alert: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rules: Value = http.get(format!("{PROMETHEUS}/api/v1/rules")).send().await.unwrap().json().await.unwrap();
        let health = rules["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .find(|r| r["name"] == alert)
            .and_then(|r| r["health"].as_str().map(str::to_string));
        if health.as_deref() == Some("ok") {
            return;
        }
        assert!(Instant::now() < deadline, "rule {alert} not loaded and evaluated in time (health {health:?})");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn reads_rules_metadata_targets_and_signals() {
    require_prometheus();
    let suffix = random_suffix();
    let file = rules_dir().join(format!("plumbline-test-{suffix}.yml"));
    let http = reqwest::Client::new();
    let body = AssertUnwindSafe(live_server(&http, &file, &suffix)).catch_unwind().await;
    if let Err(err) = std::fs::remove_file(&file) {
        eprintln!("cleanup {}: {err}", file.display());
    }
    reload(&http).await;
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

async fn live_server(http: &reqwest::Client, file: &Path, suffix: &str) {
    let group = format!("plumbline-test-{suffix}");
    let alert = format!("PlumblineTestBacklog{suffix}");
    let record = format!("plumbline_test_{suffix}:queues:sum");
    std::fs::write(
        file,
        format!(
            "groups:\n  - name: {group}\n    rules:\n      - alert: {alert}\n        expr: rabbitmq_queues > 100000000\n        for: 90s\n        labels: {{team: integrations, severity: warning}}\n        annotations: {{summary: test}}\n      - record: {record}\n        expr: sum(rabbitmq_queues)\n"
        ),
    )
    .expect("rule file written");
    reload(http).await;
    wait_for_rule(http, &alert).await;

    let settings = source(&[
        ("queue-messages", "sum(rabbitmq_queue_messages)", false),
        ("scrape-up", "up", false),
        ("queues", "rabbitmq_queues", true),
        ("no-traffic", "0/0", true),
        ("broken", "sum(rate(rabbitmq_queues[5m])", false),
    ]);
    let window = Duration::from_secs(600);
    let before = now_unix();
    let started = Instant::now();
    let collected = collect(&settings, window).await.expect("server read");
    eprintln!("prometheus collected in {} ms", started.elapsed().as_millis());
    let after = now_unix();
    let server = &collected.data;

    // Build info.
    assert_eq!(server.source, "prom-test");
    assert!(server.version.as_deref().is_some_and(|v| v.contains('.')), "{:?}", server.version);

    // Rules: ours, whatever other files are loaded.
    let ours = server.rule_groups.iter().find(|g| g.name == group).expect("our rule group");
    assert_eq!(Path::new(&ours.file), file);
    assert_eq!(ours.rules.len(), 2);
    let (alerting, recording) = (&ours.rules[0], &ours.rules[1]);
    assert_eq!((alerting.kind, alerting.name.as_str()), (RuleKind::Alerting, alert.as_str()));
    assert!(alerting.expr.starts_with("rabbitmq_queues >"), "{}", alerting.expr);
    assert_eq!(alerting.for_seconds, 90);
    let labels: Vec<(&str, &str)> = alerting.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(labels, [("severity", "warning"), ("team", "integrations")]);
    assert_eq!(alerting.health, "ok");
    assert_eq!((recording.kind, recording.name.as_str()), (RuleKind::Recording, record.as_str()));
    assert_eq!((recording.expr.as_str(), recording.for_seconds), ("sum(rabbitmq_queues)", 0));
    assert!(recording.labels.is_empty());
    assert!(["ok", "unknown"].contains(&recording.health.as_str()), "{}", recording.health);

    // Metric metadata.
    let metric = |name: &str| server.metrics.iter().find(|m| m.name == name).map(|m| m.metric_type);
    assert_eq!(metric("prometheus_http_requests_total"), Some(MetricType::Counter));
    assert_eq!(metric("prometheus_http_request_duration_seconds"), Some(MetricType::Histogram));
    assert_eq!(metric("rabbitmq_queues"), Some(MetricType::Gauge));
    assert!(server.metrics.windows(2).all(|w| w[0].name < w[1].name), "metrics sorted by name");
    assert!(server.metrics.iter().any(|m| !m.help.is_empty()));

    // Targets.
    for (job, instance) in [("prometheus", "127.0.0.1:19090"), ("rabbitmq", "127.0.0.1:15692")] {
        let target = server.targets.iter().find(|t| t.job == job).unwrap_or_else(|| panic!("target {job}"));
        assert_eq!((target.instance.as_str(), target.health.as_str()), (instance, "up"));
        assert_eq!(target.last_error, None);
    }
    assert!(!server.tracing_detected, "nothing here exports traces");

    // Signals: the broken one is a problem, the rest are read.
    let names: Vec<&str> = server.signals.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["queue-messages", "scrape-up", "queues", "no-traffic"]);
    assert_eq!(collected.problems.len(), 1, "{:?}", collected.problems);
    let problem = &collected.problems[0];
    assert!(problem.contains("signal `broken`") && problem.contains("parse error"), "{problem}");

    let in_window = |s: &Series| {
        s.samples.windows(2).all(|w| w[0].at < w[1].at)
            && s.samples.iter().all(|x| x.at >= before - 600 - 1 && x.at <= after + 1 && x.value.is_finite())
    };
    let signal = |name: &str| server.signals.iter().find(|s| s.name == name).expect(name);
    let messages = signal("queue-messages");
    assert_eq!(messages.query, "sum(rabbitmq_queue_messages)");
    assert_eq!(messages.series.len(), 1);
    assert!(messages.series[0].labels.is_empty());
    assert!(!messages.series[0].samples.is_empty() && in_window(&messages.series[0]));
    assert!(messages.series[0].samples.iter().all(|s| s.value >= 0.0));

    let up = &signal("scrape-up").series;
    let label_sets: Vec<Vec<(&str, &str)>> =
        up.iter().map(|s| s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()).collect();
    assert_eq!(
        label_sets,
        [
            vec![("instance", "127.0.0.1:15692"), ("job", "rabbitmq")],
            vec![("instance", "127.0.0.1:19090"), ("job", "prometheus")],
        ],
        "sorted labels without __name__, series ordered"
    );
    for series in up {
        assert!(in_window(series));
        assert_eq!(series.samples.last().map(|s| s.value), Some(1.0));
        let span = series.samples.last().unwrap().at - series.samples.first().unwrap().at;
        assert!(span % 15 == 0, "default step is 15 s for a 10-minute window");
    }

    let queues = &signal("queues").series;
    assert_eq!(queues.len(), 1);
    assert_eq!(label(&queues[0], "job"), Some("rabbitmq"));
    assert_eq!(queues[0].samples.len(), 1, "an instant query has one sample");
    assert!((before..=after).contains(&queues[0].samples[0].at));
    assert!(queues[0].samples[0].value >= 0.0);

    assert!(signal("no-traffic").series.is_empty(), "NaN is dropped, not written as null");

    // What was read survives a snapshot round trip.
    let json = serde_json::to_string(server).expect("serializes");
    let back: PrometheusServer = serde_json::from_str(&json).expect("loads back");
    assert_eq!(&back, server);
}

fn label<'a>(series: &'a Series, key: &str) -> Option<&'a str> {
    series.labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error() {
    let mut settings = source(&[]);
    settings.url = "http://127.0.0.1:1".into();
    settings.username = Some("auditor".into());
    settings.password = Some(CANARY.into());
    match collect(&settings, Duration::from_secs(3600)).await {
        Err(CollectError::Connect { target, reason }) => {
            assert_eq!(target, "http://127.0.0.1:1");
            assert!(!reason.is_empty() && !reason.contains(CANARY), "{reason}");
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn silent_server_ends_within_the_request_timeout() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mut settings = source(&[]);
    settings.url = format!("http://127.0.0.1:{port}");
    settings.request_timeout_seconds = 2;
    let started = Instant::now();
    let result = collect(&settings, Duration::from_secs(3600)).await;
    let elapsed = started.elapsed();
    match result {
        Err(CollectError::Connect { reason, .. }) => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// A second Prometheus with basic auth, on a free port; stopped when dropped.
struct ProtectedServer {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ProtectedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn protected_server() -> ProtectedServer {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("prometheus.yml"), "global: {}\n").unwrap();
    std::fs::write(dir.path().join("web.yml"), format!("basic_auth_users:\n  auditor: {TEST_HASH}\n")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let child = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.config.file={}", dir.path().join("web.yml").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot start `prometheus` ({err}): install it with `scripts/dev test` (scripts/setup.sh servers)")
        });
    let server = ProtectedServer { child, url: format!("http://127.0.0.1:{port}"), _dir: dir };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http.get(format!("{}/-/ready", server.url)).basic_auth("auditor", Some(TEST_PASSWORD)).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        assert!(Instant::now() < deadline, "protected prometheus not ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_without_the_secret() {
    let server = protected_server().await;
    let mut settings = source(&[("up", "up", true)]);
    settings.url = server.url.clone();
    settings.username = Some("auditor".into());
    settings.password = Some(TEST_PASSWORD.into());
    let collected = collect(&settings, Duration::from_secs(3600)).await.expect("right password");
    assert!(collected.data.version.is_some() && collected.problems.is_empty(), "{:?}", collected.problems);
    assert_eq!(collected.data.signals.len(), 1);

    settings.password = Some(CANARY.into());
    let mut bearer = source(&[]);
    bearer.url = server.url.clone();
    bearer.bearer_token = Some(CANARY.into());
    let mut anonymous = source(&[]);
    anonymous.url = server.url.clone();
    for settings in [settings, bearer, anonymous] {
        let err = collect(&settings, Duration::from_secs(3600)).await.expect_err("refused");
        assert!(matches!(err, CollectError::Auth { .. }), "{err:?}");
        for text in [err.to_string(), format!("{err:?}"), format!("{settings:?}")] {
            assert!(!text.contains(CANARY), "{text}");
        }
    }
}

#[tokio::test]
async fn bad_settings_are_settings_errors() {
    let window = Duration::from_secs(3600);
    let mut settings = source(&[]);
    settings.username = Some("auditor".into());
    settings.password = Some("${PLUMBLINE_TEST_SURELY_UNSET_PROM_PASSWORD}".into());
    let err = collect(&settings, window).await.expect_err("unset variable");
    assert!(matches!(&err, CollectError::Settings(m) if m.contains("sources.prometheus.password")), "{err:?}");

    let mut settings = source(&[]);
    settings.url = format!("http://auditor:{CANARY}@127.0.0.1:19090");
    match collect(&settings, window).await {
        Err(CollectError::Settings(message)) => assert!(!message.contains(CANARY), "{message}"),
        other => panic!("expected a settings error, got {other:?}"),
    }

    let mut both = source(&[]);
    both.username = Some("auditor".into());
    both.password = Some(CANARY.into());
    both.bearer_token = Some(CANARY.into());
    let mut half = source(&[]);
    half.username = Some("auditor".into());
    let mut zero = source(&[]);
    zero.concurrency = 0;
    let twice = source(&[("a", "up", false), ("a", "up", true)]);
    let empty = source(&[("a", " ", false)]);
    for settings in [both, half, zero, twice, empty] {
        match collect(&settings, window).await {
            Err(CollectError::Settings(message)) => assert!(!message.contains(CANARY), "{message}"),
            other => panic!("expected a settings error for {settings:?}, got {other:?}"),
        }
    }
}

#[test]
fn settings_from_toml() {
    let text = r#"
        name = "prom-main"
        url = "https://prometheus.example:9090"
        username = "auditor"
        password = "${PROM_PASSWORD}"

        [[signals]]
        name = "queue-depth"
        query = "sum by (vhost, queue) (rabbitmq_queue_messages_ready)"

        [[signals]]
        name = "events-produced"
        query = "sum by (integration) (increase(integration_events_produced_total[24h]))"
        instant = true
    "#;
    let settings: PrometheusSource = toml::from_str(text).expect("parses");
    assert_eq!((settings.concurrency, settings.request_timeout_seconds, settings.step_seconds), (4, 20, None));
    assert_eq!(settings.signals.len(), 2);
    assert!(!settings.signals[0].instant && settings.signals[1].instant);
    assert!(toml::from_str::<PrometheusSource>(&format!("step = 5\n{text}")).is_err(), "unknown keys refused");
    let shown = format!("{:?}", PrometheusSource { password: Some(CANARY.into()), ..settings });
    assert!(!shown.contains(CANARY), "{shown}");
}

#[test]
fn step_follows_the_window() {
    let hours = |h: u64| Duration::from_secs(h * 3600);
    assert_eq!(step_seconds(None, hours(24)), 360);
    assert_eq!(step_seconds(None, hours(1)), 15);
    assert_eq!(step_seconds(None, Duration::ZERO), 15);
    assert_eq!(step_seconds(Some(60), hours(24)), 60);
    assert_eq!(step_seconds(Some(1), hours(24)), 8, "at most 11,000 points per series");
}

#[test]
fn scrub_replaces_every_secret() {
    assert_eq!(scrub("a hunter2 b hunter2", &["hunter2", ""]), "a <redacted> b <redacted>");
}
