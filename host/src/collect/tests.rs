//! Tests of the collection runner: every source ends within the per-source timeout, however
//! silent its server, and a source that timed out is recorded as unavailable with the reason.

use std::time::{Duration, Instant};

use super::*;

/// A TCP listener on 127.0.0.1 that accepts connections and never answers.
fn silent_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test]
async fn silent_servers_end_at_the_source_timeout_and_are_unavailable() {
    let (_listener, port) = silent_listener();
    let sources: Sources = toml::from_str(&format!(
        r#"
[[postgres]]
name = "pg-silent"
url = "postgres://postgres@127.0.0.1:{port}/test"

[[rabbitmq]]
name = "rabbit-silent"
management-url = "http://127.0.0.1:{port}"
username = "guest"
password = "guest"
"#
    ))
    .unwrap();
    let settings = CollectSettings { timeout_seconds: 2, window_hours: 1 };
    let started = Instant::now();
    let snapshot = collect_all(&sources, None, &settings, &Progress::hidden()).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(6), "collection took {elapsed:?}");
    assert_eq!(snapshot.info.sources.len(), 2);
    for status in &snapshot.info.sources {
        assert!(!status.ok, "{status:?}");
        let reason = status.reason.as_deref().unwrap_or_default();
        assert!(reason.contains("timed out") || reason.contains("no answer"), "{}: {reason}", status.name);
    }
    // Sections of sources that were configured but not read are present (unavailable), not absent.
    assert_eq!(snapshot.postgres.as_ref().map(Vec::len), Some(0));
    assert_eq!(snapshot.rabbitmq.as_ref().map(Vec::len), Some(0));
    let collection = snapshot.collection.expect("timings recorded");
    assert!(collection.sources.iter().all(|s| s.outcome == "unavailable"), "{collection:?}");
}
