//! Snapshot loading: good files load, bad files name the file and field, secrets never survive.

use std::path::Path;

use super::*;

fn minimal(extra: &str) -> String {
    format!(
        r#"{{"format":"plumbline-snapshot/1","info":{{"collected_at":1,"window_seconds":60,"collector_version":"t","sources":[]}}{extra}}}"#
    )
}

#[test]
fn loads_a_minimal_snapshot_and_reports_missing_sections_as_not_collected() {
    let loaded = parse(minimal("").as_bytes(), Path::new("x.json")).unwrap();
    assert_eq!(loaded.sha256.len(), 64);
    assert_eq!(loaded.snapshot.availability(Section::Kafka), Availability::NotCollected);
}

#[test]
fn a_failed_source_makes_its_section_unavailable_when_nothing_else_was_read() {
    let text = r#"{"format":"plumbline-snapshot/1","info":{"collected_at":1,"window_seconds":60,"collector_version":"t",
        "sources":[{"name":"rabbit-prod","kind":"Rabbitmq","ok":false,"reason":"401 Unauthorized"}]},"rabbitmq":[]}"#;
    let loaded = parse(text.as_bytes(), Path::new("x.json")).unwrap();
    match loaded.snapshot.availability(Section::Rabbitmq) {
        Availability::Unavailable(reason) => assert!(reason.contains("rabbit-prod: 401"), "{reason}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[test]
fn a_failed_source_beside_a_read_one_makes_its_section_partial() {
    let mut loaded = crate::snapshot::parse(crate::bundled::EXAMPLE, Path::new("x.json")).unwrap();
    assert_eq!(loaded.snapshot.availability(Section::Postgres), Availability::Full);
    std::sync::Arc::get_mut(&mut loaded.snapshot).unwrap().info.sources.push(crate::contract::estate::SourceStatus {
        name: "pg-other".into(),
        kind: Section::Postgres,
        ok: false,
        reason: Some("timed out after 30 s".into()),
    });
    assert_eq!(
        loaded.snapshot.availability(Section::Postgres),
        Availability::Partial("pg-other: timed out after 30 s".into())
    );
}

#[test]
fn a_wrong_type_names_the_field_path_and_line() {
    let text = minimal(r#","registry":[{"id":7}]"#);
    let err = parse(text.as_bytes(), Path::new("estate.json")).unwrap_err().to_string();
    assert!(err.contains("estate.json"), "{err}");
    assert!(err.contains("registry[0].id"), "{err}");
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn a_missing_field_is_named() {
    let text = minimal(r#","registry":[{"id":"x"}]"#);
    let err = parse(text.as_bytes(), Path::new("estate.json")).unwrap_err().to_string();
    assert!(err.contains("missing field `name`"), "{err}");
}

#[test]
fn an_unknown_format_is_refused_with_both_versions() {
    let text = minimal("").replace("plumbline-snapshot/1", "plumbline-snapshot/9");
    let err = parse(text.as_bytes(), Path::new("s.json")).unwrap_err().to_string();
    assert!(err.contains("plumbline-snapshot/9") && err.contains("plumbline-snapshot/1"), "{err}");
}

#[test]
fn not_json_at_all_is_a_clear_error() {
    let err = parse(b"\x00\x01garbage", Path::new("s.json")).unwrap_err().to_string();
    assert!(err.starts_with("invalid snapshot s.json"), "{err}");
}

#[test]
fn secrets_in_config_entries_are_redacted_on_load() {
    let text = minimal(
        r#","config_files":[{"path":"app.yml","format":"spring-yaml","service":null,"entries":[
        {"key":"spring.datasource.password","value":"hunter2-canary","line":3,"secret":null},
        {"key":"spring.datasource.url","value":"postgresql://app:s3cr3t-canary@db:5432/x","line":4,"secret":null},
        {"key":"sasl.jaas.config","value":"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"jaas-canary\";","line":5,"secret":null},
        {"key":"spring.rabbitmq.password","value":"${RABBIT_PASSWORD}","line":6,"secret":null},
        {"key":"server.port","value":"8080","line":7,"secret":null}]}]"#,
    );
    let loaded = parse(text.as_bytes(), Path::new("s.json")).unwrap();
    let dump = serde_json::to_string(&*loaded.snapshot).unwrap();
    for canary in ["hunter2-canary", "s3cr3t-canary", "jaas-canary"] {
        assert!(!dump.contains(canary), "{canary} leaked: {dump}");
    }
    let entries = &loaded.snapshot.config_files.as_ref().unwrap()[0].entries;
    assert_eq!(entries[0].secret.as_ref().map(|s| (s.kind.as_str(), s.plaintext)), Some(("password", true)));
    assert_eq!(entries[1].value, "postgresql://app:<redacted>@db:5432/x");
    assert_eq!(entries[2].secret.as_ref().unwrap().kind, "jaas");
    assert_eq!(entries[3].value, "${RABBIT_PASSWORD}");
    assert_eq!(entries[3].secret.as_ref().map(|s| s.plaintext), Some(false));
    assert_eq!(entries[4].secret, None);
}

#[test]
fn credentials_in_urls_anywhere_are_removed() {
    let text = minimal(
        r#","registry":[{"id":"i","name":"n","owner":null,"source_system":"a","target_system":"b","transport":"http-webhook",
        "lifecycle":"active","resources":[],"delivery":null,"idempotency_key":null,"dedup_store":null,"sla":null,
        "webhook":{"url":"https://hook:w3bh00k-canary@api.example/x","auth":"basic","responds":"after-processing"},
        "schema":{"format":"avro","registry":"https://sr:r3g-canary@registry:8081","compatibility":"BACKWARD","contract_tests":true}}],
        "config_files":[{"path":"a.env","format":"env","service":null,"entries":[
        {"key":"db.pass","value":"flagged-canary","line":1,"secret":{"kind":"password","plaintext":true}},
        {"key":"ref","value":"$","line":2,"secret":null}]}]"#,
    );
    let loaded = parse(text.as_bytes(), Path::new("s.json")).unwrap();
    let dump = serde_json::to_string(&*loaded.snapshot).unwrap();
    for canary in ["w3bh00k-canary", "r3g-canary", "flagged-canary"] {
        assert!(!dump.contains(canary), "{canary} leaked: {dump}");
    }
    assert!(dump.contains("https://hook:<redacted>@api.example/x"));
}

#[test]
fn query_passwords_and_reference_defaults_are_secrets_too() {
    let (value, r) =
        redact::classify("spring.datasource.url", "jdbc:postgresql://db/app?user=u&password=q-canary&ssl=true")
            .unwrap();
    assert_eq!(value, "jdbc:postgresql://db/app?user=u&password=<redacted>&ssl=true");
    assert!(r.plaintext);
    let (value, r) = redact::classify("spring.datasource.password", "${DB_PASSWORD:changeme-canary}").unwrap();
    assert_eq!(value, "${DB_PASSWORD:<redacted>}");
    assert!(r.plaintext);
    let (value, r) = redact::classify("spring.datasource.password", "${DB_PASSWORD}").unwrap();
    assert_eq!((value.as_str(), r.plaintext), ("${DB_PASSWORD}", false));
}

#[test]
fn urls_shown_anywhere_lose_both_kinds_of_password() {
    let shown =
        crate::collect::display_url("postgres://u:pw-canary@db:5432/x?sslpassword=ssl-canary&password=q-canary");
    assert_eq!(shown, "postgres://u:<redacted>@db:5432/x?sslpassword=<redacted>&password=<redacted>");
    assert_eq!(crate::collect::display_url("postgres://db/x?password=q-canary"), "postgres://db/x?password=<redacted>");
    assert_eq!(crate::collect::display_url("postgres://db/x"), "postgres://db/x");
}
