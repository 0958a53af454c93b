//! Unit tests for `security` on fixtures/estate.json (collected_at 1795600000):
//! - Kafka: broker 1 has a PLAINTEXT inter-broker listener and a SASL_SSL one valid 200 days;
//!   broker 2's SASL_SSL certificate expired 2 days ago.
//! - RabbitMQ: plain `amqp` and `http`, `amqp/ssl` valid 30 days, `https` 400 days, an ignored
//!   `clustering` listener; users guest (admin), app (`.*` everywhere), ops (admin, `.*`),
//!   reader (scoped).
//! - SQS: `open` (Allow * sqs:*, unencrypted, no transport deny), `scoped` (roles, a conditioned
//!   Principal *, KMS, transport deny), `managed` (SSE-SQS, no policy); account `sqs-local` on
//!   http://.
//! - PostgreSQL: pg-test ssl off, pg-ok on. Configs: a Spring client without security.protocol,
//!   sslmode=disable and a plaintext password; a SASL_SSL client; a SASL_PLAINTEXT client; a
//!   Spring file whose consumer overrides SSL with PLAINTEXT; PGSSLMODE=verify-full.
//! - Registry: webhook over http with auth none, one with hmac over https, one with empty auth.

use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Severity, Status, Verdict};

use crate::*;

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

fn run(fixture: &Fixture) -> Verdict {
    testing::run::<Security>(fixture, &[])
}

/// Subject ids (with severities) of `rule`'s findings, sorted.
fn found(verdict: &Verdict, rule: &str) -> Vec<(String, Severity)> {
    let mut found: Vec<(String, Severity)> =
        verdict.findings.iter().filter(|f| f.rule == rule).map(|f| (f.subject.id.clone(), f.severity)).collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    found(verdict, rule).into_iter().map(|(id, _)| id).collect()
}

fn entry<'a>(fixture: &'a mut Fixture, path: &str, key: &str) -> &'a mut plumbline_sdk::estate::ConfigEntry {
    fixture
        .config_files
        .as_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f.path == path)
        .unwrap()
        .entries
        .iter_mut()
        .find(|e| e.key == key)
        .unwrap()
}

#[test]
fn fires_every_rule_on_the_fixture() {
    let verdict = run(&estate());
    assert_eq!(verdict.status, Status::Fail);
    let mut all = vec![
        KAFKA_LISTENER,
        KAFKA_CLIENT,
        RABBIT_LISTENER,
        RABBIT_GUEST,
        RABBIT_BROAD,
        SQS_PUBLIC,
        SQS_WILDCARD,
        SQS_UNENCRYPTED,
        SQS_TRANSPORT,
        POSTGRES_TLS,
        CERT_EXPIRY,
        WEBHOOK_AUTH,
        WEBHOOK_HTTP,
        PLAINTEXT_SECRET,
    ];
    all.sort();
    assert_eq!(rules_fired(&verdict), all);
    // listeners 3 + 4 (clustering skipped), users 4, permissions 4, SQS accounts 2 + queues 3,
    // PostgreSQL servers 2, Kafka client files 4, PostgreSQL config entries 2, secrets 3,
    // webhooks 3.
    assert_eq!(verdict.evaluated, 34);
}

#[test]
fn kafka_plaintext_listener_fires_and_tls_passes() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, KAFKA_LISTENER), ["broker-1/PLAINTEXT"]);
    let finding = verdict.findings.iter().find(|f| f.rule == KAFKA_LISTENER).unwrap();
    assert!(finding.message.contains("inter-broker"), "{}", finding.message);
    let mut fixture = estate();
    fixture.kafka.as_mut().unwrap()[0].brokers[0].listeners.remove(0);
    assert_eq!(ids(&run(&fixture), KAFKA_LISTENER), Vec::<String>::new());
}

#[test]
fn kafka_clients_without_tls_fire_including_unset_and_spring_overrides() {
    let verdict = run(&estate());
    assert_eq!(
        ids(&verdict, KAFKA_CLIENT),
        ["security.protocol", "spring.kafka.consumer.security.protocol", "spring.kafka.security.protocol"]
    );
    let unset =
        verdict.findings.iter().find(|f| f.rule == KAFKA_CLIENT && f.subject.source == "app/application.yml").unwrap();
    assert!(unset.evidence.iter().any(|(k, v)| k == "value" && v.contains("client default")));

    let mut fixture = estate();
    entry(&mut fixture, "legacy/client.properties", "security.protocol").value = "SSL".into();
    entry(&mut fixture, "mixed/application.yml", "spring.kafka.consumer.security.protocol").value = "SASL_SSL".into();
    entry(&mut fixture, "app/application.yml", "spring.kafka.consumer.group-id").key =
        "spring.kafka.security.protocol".into();
    entry(&mut fixture, "app/application.yml", "spring.kafka.security.protocol").value = "SSL".into();
    assert_eq!(ids(&run(&fixture), KAFKA_CLIENT), Vec::<String>::new());
}

#[test]
fn rabbitmq_plain_listeners_fire_with_management_at_medium() {
    let verdict = run(&estate());
    assert_eq!(
        found(&verdict, RABBIT_LISTENER),
        [("amqp".to_string(), Severity::High), ("http".to_string(), Severity::Medium)]
    );
    let mut fixture = estate();
    fixture.rabbitmq.as_mut().unwrap()[0].listeners.retain(|l| l.tls || l.name == "clustering");
    assert_eq!(ids(&run(&fixture), RABBIT_LISTENER), Vec::<String>::new());
}

#[test]
fn guest_user_fires_until_deleted() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, RABBIT_GUEST), ["guest"]);
    let mut fixture = estate();
    let broker = &mut fixture.rabbitmq.as_mut().unwrap()[0];
    broker.users.retain(|u| u.name != "guest");
    broker.permissions.retain(|p| p.user != "guest");
    assert_eq!(ids(&run(&fixture), RABBIT_GUEST), Vec::<String>::new());
}

#[test]
fn broad_permissions_fire_for_applications_not_administrators() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, RABBIT_BROAD), ["app@/orders"]);
    let mut fixture = estate();
    let broker = &mut fixture.rabbitmq.as_mut().unwrap()[0];
    let app = broker.permissions.iter_mut().find(|p| p.user == "app").unwrap();
    app.configure = "^$".into();
    assert_eq!(ids(&run(&fixture), RABBIT_BROAD), Vec::<String>::new());
}

#[test]
fn public_and_wildcard_sqs_policies_fire_but_conditions_and_denies_do_not() {
    let verdict = run(&estate());
    assert_eq!(found(&verdict, SQS_PUBLIC), [("open".to_string(), Severity::Critical)]);
    assert_eq!(ids(&verdict, SQS_WILDCARD), ["open"]);
    let public = verdict.findings.iter().find(|f| f.rule == SQS_PUBLIC).unwrap();
    assert!(public.message.contains("AllowAll"), "{}", public.message);

    let mut fixture = estate();
    let queue = &mut fixture.sqs.as_mut().unwrap()[0].queues[0];
    queue.policy = Some(
        r#"{"Statement":{"Sid":"Send","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/producer"]},"Action":["sqs:SendMessage"]}}"#
            .into(),
    );
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, SQS_PUBLIC), Vec::<String>::new());
    assert_eq!(ids(&verdict, SQS_WILDCARD), Vec::<String>::new());
}

#[test]
fn unencrypted_sqs_queue_fires_and_sse_passes() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, SQS_UNENCRYPTED), ["open"]);
    let mut fixture = estate();
    fixture.sqs.as_mut().unwrap()[0].queues[0].sqs_managed_sse = true;
    assert_eq!(ids(&run(&fixture), SQS_UNENCRYPTED), Vec::<String>::new());
}

#[test]
fn sqs_without_secure_transport_deny_fires() {
    let verdict = run(&estate());
    assert_eq!(
        found(&verdict, SQS_TRANSPORT),
        [
            ("http://sqs.local:9324".to_string(), Severity::Low),
            ("managed".to_string(), Severity::Low),
            ("open".to_string(), Severity::Low)
        ]
    );
    let mut fixture = estate();
    let accounts = fixture.sqs.as_mut().unwrap();
    accounts[1].endpoint = "https://sqs.local:9324".into();
    let deny = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
    for queue in &mut accounts[0].queues {
        queue.policy = Some(deny.into());
    }
    assert_eq!(ids(&run(&fixture), SQS_TRANSPORT), Vec::<String>::new());
}

#[test]
fn postgres_without_tls_fires_for_server_and_sslmode_disable() {
    let verdict = run(&estate());
    assert_eq!(
        found(&verdict, POSTGRES_TLS),
        [("pg-test".to_string(), Severity::High), ("spring.datasource.url".to_string(), Severity::Medium)]
    );
    let mut fixture = estate();
    fixture.postgres.as_mut().unwrap()[0].ssl = true;
    entry(&mut fixture, "app/application.yml", "spring.datasource.url").value =
        "jdbc:postgresql://pg.test:5432/app?sslmode=verify-full".into();
    assert_eq!(ids(&run(&fixture), POSTGRES_TLS), Vec::<String>::new());
}

#[test]
fn certificates_expiring_within_the_window_fire_expired_ones_critical() {
    let verdict = run(&estate());
    assert_eq!(
        found(&verdict, CERT_EXPIRY),
        [("amqp/ssl".to_string(), Severity::High), ("broker-2/SASL_SSL".to_string(), Severity::Critical)]
    );
    let rabbit = verdict.findings.iter().find(|f| f.rule == CERT_EXPIRY && f.subject.id == "amqp/ssl").unwrap();
    assert!(rabbit.evidence.iter().any(|(k, v)| k == "days_left" && v == "30.0"));
    assert!(rabbit.message.contains("2026-12-25"), "{}", rabbit.message);
    let mut fixture = estate();
    for cluster in fixture.kafka.as_mut().unwrap() {
        for broker in &mut cluster.brokers {
            for listener in &mut broker.listeners {
                if let Some(cert) = &mut listener.certificate {
                    cert.not_after = 1795600000 + 365 * 86400;
                }
            }
        }
    }
    fixture.rabbitmq.as_mut().unwrap()[0].listeners[2].certificate.as_mut().unwrap().not_after =
        1795600000 + 91 * 86400;
    assert_eq!(ids(&run(&fixture), CERT_EXPIRY), Vec::<String>::new());
}

#[test]
fn cert_min_days_parameter_moves_the_threshold() {
    let verdict = testing::run::<Security>(&estate(), &[("cert-min-days", ParamValue::Integer(20))]);
    assert_eq!(ids(&verdict, CERT_EXPIRY), ["broker-2/SASL_SSL"]);
    let verdict = testing::run::<Security>(&estate(), &[("cert-min-days", ParamValue::Integer(300))]);
    assert_eq!(ids(&verdict, CERT_EXPIRY), ["amqp/ssl", "broker-1/SASL_SSL", "broker-2/SASL_SSL"]);
}

#[test]
fn webhooks_without_auth_or_over_http_fire() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, WEBHOOK_AUTH), ["hook-empty-auth", "hook-open"]);
    assert_eq!(ids(&verdict, WEBHOOK_HTTP), ["hook-open"]);
    let mut fixture = estate();
    for integration in fixture.registry.as_mut().unwrap() {
        if let Some(webhook) = &mut integration.webhook {
            webhook.auth = "hmac".into();
            webhook.url = webhook.url.replace("http://", "https://");
        }
    }
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, WEBHOOK_AUTH), Vec::<String>::new());
    assert_eq!(ids(&verdict, WEBHOOK_HTTP), Vec::<String>::new());
}

#[test]
fn plaintext_secret_fires_without_ever_showing_the_value() {
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, PLAINTEXT_SECRET), ["spring.datasource.password"]);
    let finding = verdict.findings.iter().find(|f| f.rule == PLAINTEXT_SECRET).unwrap();
    assert!(finding.evidence.iter().all(|(k, v)| k != "value" && !v.contains("redacted")));
    assert!(finding.evidence.contains(&("line".to_string(), "10".to_string())));
    assert!(finding.evidence.contains(&("secret_kind".to_string(), "password".to_string())));
    let mut fixture = estate();
    let password = entry(&mut fixture, "app/application.yml", "spring.datasource.password");
    password.value = "${DB_PASSWORD}".into();
    password.secret.as_mut().unwrap().plaintext = false;
    assert_eq!(ids(&run(&fixture), PLAINTEXT_SECRET), Vec::<String>::new());
}

#[test]
fn no_finding_anywhere_shows_a_redacted_value() {
    let verdict = run(&estate());
    for finding in &verdict.findings {
        assert!(!finding.message.contains("<redacted>"), "{}", finding.message);
        assert!(finding.evidence.iter().all(|(_, v)| !v.contains("<redacted>")), "{finding:?}");
    }
}

#[test]
fn unavailable_section_is_inconclusive_not_pass() {
    let fixture = Fixture::default().unavailable(Section::Sqs, "sqs-test: AccessDenied");
    let verdict = run(&fixture);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("AccessDenied")));
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = run(&Fixture::default());
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}
