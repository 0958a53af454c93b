//! Live tests of the RabbitMQ collector: what it reads, that it changes nothing, how it fails.
//! Against the local broker: AMQP on 127.0.0.1:5672 and the management API on :15672, both
//! with guest/guest (`rabbitmq-plugins enable rabbitmq_management`). Each test that changes
//! the broker works in its own vhost and deletes it afterwards.

use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::{Value, json};

use super::*;
use crate::contract::estate::Certificate;

const MANAGEMENT: &str = "http://127.0.0.1:15672";
const AMQP: &str = "amqp://127.0.0.1:5672";
const CANARY: &str = "s3cret-canary";

/// Fails the test, naming the recipe that starts it, unless the local RabbitMQ answers on AMQP
/// (:5672) and its management API (:15672).
fn require_rabbitmq() {
    for address in ["127.0.0.1:5672", "127.0.0.1:15672"] {
        let socket: std::net::SocketAddr = address.parse().expect("socket address");
        if let Err(err) = std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(3)) {
            panic!("no RabbitMQ on {address} ({err}): start the test servers with `just services`");
        }
    }
}

fn source(amqp_url: Option<&str>) -> RabbitmqSource {
    RabbitmqSource {
        name: "rabbit-test".into(),
        management_url: MANAGEMENT.into(),
        amqp_url: amqp_url.map(str::to_string),
        username: "guest".into(),
        password: "guest".into(),
        page_size: 500,
    }
}

fn random_suffix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:012x}", hasher.finish() & 0xFFFF_FFFF_FFFF)
}

/// Management API calls for the test's own setup (the collector never writes).
struct Admin {
    http: reqwest::Client,
}

impl Admin {
    fn new() -> Admin {
        Admin { http: reqwest::Client::new() }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request =
            self.http.request(method.clone(), format!("{MANAGEMENT}{path}")).basic_auth("guest", Some("guest"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("management API reachable");
        assert!(response.status().is_success(), "{method} {path}: {}", response.status());
        response
    }

    async fn put(&self, path: &str, body: Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await;
    }

    async fn post(&self, path: &str, body: Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await;
    }

    async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None).await.json().await.expect("JSON")
    }

    async fn delete(&self, path: &str) {
        let response = self.http.delete(format!("{MANAGEMENT}{path}")).basic_auth("guest", Some("guest")).send().await;
        if let Err(err) = response {
            eprintln!("cleanup DELETE {path}: {err}");
        }
    }
}

/// Queue → (messages ready, consumers), exact, from passive declares (which change nothing).
async fn depths(connection: &Connection, queues: &[&str]) -> Vec<(String, u32, u32)> {
    let channel = connection.create_channel().await.expect("channel");
    let mut out = Vec::new();
    for queue in queues {
        let declared = channel
            .queue_declare(queue, QueueDeclareOptions { passive: true, ..Default::default() }, FieldTable::default())
            .await
            .expect("passive declare");
        out.push((queue.to_string(), declared.message_count(), declared.consumer_count()));
    }
    let _ = channel.close(200, "done").await;
    out
}

fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn reads_a_live_vhost_without_changing_it() {
    require_rabbitmq();
    let admin = Admin::new();
    let suffix = random_suffix();
    let vhost = format!("plumbline-t-{suffix}");
    let user = format!("plumbline-t-{suffix}-app");
    let body = AssertUnwindSafe(live_vhost(&admin, &vhost, &user)).catch_unwind().await;
    admin.delete(&format!("/api/vhosts/{vhost}")).await;
    admin.delete(&format!("/api/users/{user}")).await;
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

async fn live_vhost(admin: &Admin, vhost: &str, user: &str) {
    let all = json!({"configure": ".*", "write": ".*", "read": ".*"});
    admin.put(&format!("/api/vhosts/{vhost}"), json!({})).await;
    admin.put(&format!("/api/permissions/{vhost}/guest"), all.clone()).await;
    admin.put(&format!("/api/users/{user}"), json!({"password": "test-only", "tags": "monitoring"})).await;
    admin.put(&format!("/api/permissions/{vhost}/{user}"), all).await;
    admin.put(&format!("/api/exchanges/{vhost}/orders.dlx"), json!({"type": "fanout", "durable": true})).await;
    admin
        .put(
            &format!("/api/queues/{vhost}/orders.created"),
            json!({"durable": true, "arguments": {"x-dead-letter-exchange": "orders.dlx"}}),
        )
        .await;
    admin
        .put(
            &format!("/api/queues/{vhost}/payments.in"),
            json!({"durable": true, "arguments": {"x-queue-type": "quorum"}}),
        )
        .await;
    admin.put(&format!("/api/queues/{vhost}/parked.orders"), json!({"durable": true, "arguments": {}})).await;
    admin.post(&format!("/api/bindings/{vhost}/e/orders.dlx/q/parked.orders"), json!({"routing_key": "dead"})).await;
    admin
        .put(
            &format!("/api/policies/{vhost}/parked-limits"),
            json!({"pattern": "^parked\\.", "apply-to": "queues", "priority": 1,
                "definition": {"max-length": 10000, "overflow": "reject-publish"}}),
        )
        .await;

    // An application: an auto-ack consumer, two manual-ack consumers (prefetch 0 and 20) and
    // three messages on a queue nobody consumes.
    let app = Connection::connect(
        &format!("amqp://guest:guest@127.0.0.1:5672/{vhost}"),
        ConnectionProperties::default().with_connection_name("plumbline-test-app".into()),
    )
    .await
    .expect("AMQP connection");
    let auto = app.create_channel().await.expect("channel");
    let _auto_consumer = auto
        .basic_consume(
            "orders.created",
            "auto-ack",
            BasicConsumeOptions { no_ack: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .expect("consume");
    let manual = app.create_channel().await.expect("channel");
    manual.basic_qos(0, BasicQosOptions::default()).await.expect("qos");
    let _manual_consumer = manual
        .basic_consume("payments.in", "manual-ack", BasicConsumeOptions::default(), FieldTable::default())
        .await
        .expect("consume");
    let bounded = app.create_channel().await.expect("channel");
    bounded.basic_qos(20, BasicQosOptions::default()).await.expect("qos");
    let _bounded_consumer = bounded
        .basic_consume("payments.in", "manual-ack-20", BasicConsumeOptions::default(), FieldTable::default())
        .await
        .expect("consume");
    let publisher = app.create_channel().await.expect("channel");
    publisher.confirm_select(ConfirmSelectOptions::default()).await.expect("confirms");
    for n in 0..3 {
        publisher
            .basic_publish(
                "",
                "parked.orders",
                BasicPublishOptions::default(),
                format!("order {n}").as_bytes(),
                BasicProperties::default(),
            )
            .await
            .expect("publish")
            .await
            .expect("confirmed");
    }

    let queues = ["orders.created", "payments.in", "parked.orders"];
    let before = depths(&app, &queues).await;
    assert_eq!(before.iter().find(|(q, ..)| q == "parked.orders").map(|d| d.1), Some(3));
    let names_before = admin.get(&format!("/api/queues/{vhost}?columns=name,arguments,durable")).await;

    // The management API refreshes its statistics every few seconds: collect until they show.
    let mut settings = source(Some(&format!("{AMQP}/%2f")));
    settings.page_size = 1; // every queue on its own page
    let deadline = Instant::now() + Duration::from_secs(20);
    let collected = loop {
        let collected = collect(&settings).await.expect("collects");
        let broker = &collected.data;
        let parked = broker.queues.iter().find(|q| q.vhost == vhost && q.name == "parked.orders");
        let consumers = broker.consumers.iter().filter(|c| c.vhost == vhost).count();
        let settled = parked.is_some_and(|q| q.messages_ready == 3 && q.policy.is_some())
            && consumers == 3
            && collected.problems.is_empty();
        if settled || Instant::now() > deadline {
            break collected;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let after = depths(&app, &queues).await;
    assert_eq!(before, after, "collecting changed queue depths or consumers");
    let names_after = admin.get(&format!("/api/queues/{vhost}?columns=name,arguments,durable")).await;
    assert_eq!(names_before, names_after, "collecting changed the vhost's queues");

    assert!(collected.problems.is_empty(), "{:?}", collected.problems);
    let broker = collected.data;
    assert_eq!(broker.source, "rabbit-test");
    assert!(broker.version.as_deref().is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit())));
    assert!(broker.cluster_name.as_deref().is_some_and(|c| !c.is_empty()));
    assert!(
        broker.listeners.iter().any(|l| l.protocol == "amqp" && l.port == 5672 && !l.tls),
        "{:?}",
        broker.listeners
    );
    assert!(
        broker.listeners.iter().any(|l| l.protocol == "http" && l.port == 15672 && !l.tls),
        "{:?}",
        broker.listeners
    );
    assert!(broker.auth_mechanisms.iter().any(|m| m == "PLAIN"), "{:?}", broker.auth_mechanisms);
    assert!(!broker.nodes.is_empty() && broker.nodes.iter().all(|n| n.memory_limit_bytes > 0), "{:?}", broker.nodes);

    let queue = |name: &str| {
        broker.queues.iter().find(|q| q.vhost == vhost && q.name == name).unwrap_or_else(|| panic!("queue {name}"))
    };
    let created = queue("orders.created");
    assert_eq!((created.queue_type.as_str(), created.durable), ("classic", true));
    assert_eq!(pair(&created.arguments, "x-dead-letter-exchange"), Some("orders.dlx"));
    assert_eq!(created.policy, None);
    let payments = queue("payments.in");
    assert_eq!(payments.queue_type, "quorum");
    assert_eq!(pair(&payments.arguments, "x-queue-type"), Some("quorum"));
    assert_eq!(pair(&payments.arguments, "x-delivery-limit"), None);
    assert_eq!(pair(&payments.effective_policy, "delivery-limit"), None);
    let parked = queue("parked.orders");
    assert_eq!(parked.policy.as_deref(), Some("parked-limits"));
    assert_eq!(pair(&parked.effective_policy, "max-length"), Some("10000"));
    assert_eq!(pair(&parked.effective_policy, "overflow"), Some("reject-publish"));
    assert_eq!((parked.messages_ready, parked.messages_unacknowledged, parked.consumers), (3, 0, 0));
    assert!(parked.depth_history.is_empty());

    let consumer = |tag: &str| {
        broker
            .consumers
            .iter()
            .find(|c| c.vhost == vhost && c.consumer_tag == tag)
            .unwrap_or_else(|| panic!("consumer {tag} in {:?}", broker.consumers))
    };
    let auto_ack = consumer("auto-ack");
    assert_eq!((auto_ack.queue.as_str(), auto_ack.ack_required), ("orders.created", false));
    assert_eq!(auto_ack.client, "plumbline-test-app");
    let manual_ack = consumer("manual-ack");
    assert_eq!(
        (manual_ack.queue.as_str(), manual_ack.ack_required, manual_ack.prefetch_count),
        ("payments.in", true, 0)
    );
    let bounded_ack = consumer("manual-ack-20");
    assert_eq!((bounded_ack.ack_required, bounded_ack.prefetch_count), (true, 20));

    let policy = broker.policies.iter().find(|p| p.vhost == vhost && p.name == "parked-limits").expect("policy");
    assert_eq!((policy.pattern.as_str(), policy.apply_to.as_str(), policy.priority), ("^parked\\.", "queues", 1));
    assert_eq!(pair(&policy.definition, "max-length"), Some("10000"));
    let app_user = broker.users.iter().find(|u| u.name == user).expect("user");
    assert_eq!((app_user.tags.clone(), app_user.has_password), (vec!["monitoring".to_string()], true));
    let permission = broker.permissions.iter().find(|p| p.vhost == vhost && p.user == user).expect("permission");
    assert_eq!(
        (permission.configure.as_str(), permission.write.as_str(), permission.read.as_str()),
        (".*", ".*", ".*")
    );
    let dlx = broker.exchanges.iter().find(|e| e.vhost == vhost && e.name == "orders.dlx").expect("exchange");
    assert_eq!((dlx.kind.as_str(), dlx.durable), ("fanout", true));
    assert!(
        broker.bindings.iter().any(|b| b.vhost == vhost
            && b.source == "orders.dlx"
            && b.destination == "parked.orders"
            && b.destination_kind == "queue"
            && b.routing_key == "dead"),
        "{:?}",
        broker.bindings
    );

    // Password hashes are never collected.
    let hashes: Vec<String> = admin
        .get("/api/users")
        .await
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u.get("password_hash").and_then(Value::as_str).filter(|h| !h.is_empty()).map(str::to_string))
        .collect();
    let serialized = serde_json::to_string(&broker).expect("serializes");
    assert!(!hashes.is_empty());
    assert!(hashes.iter().all(|hash| !serialized.contains(hash.as_str())), "a password hash was collected");

    let _ = app.close(200, "test done").await;
}

#[tokio::test]
async fn unreachable_management_api_is_a_connect_error() {
    let mut settings = source(None);
    settings.management_url = "http://127.0.0.1:1".into();
    match collect(&settings).await {
        Err(CollectError::Connect { target, reason }) => {
            assert_eq!(target, "http://127.0.0.1:1");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() {
    require_rabbitmq();
    let mut settings = source(Some(&format!("{AMQP}/%2f")));
    settings.password = CANARY.into();
    settings.management_url = format!("http://guest:{CANARY}@127.0.0.1:15672");
    let err = collect(&settings).await.expect_err("refused");
    assert!(matches!(err, CollectError::Auth { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}"), format!("{settings:?}")] {
        assert!(!text.contains(CANARY), "{text}");
    }
}

#[tokio::test]
async fn amqp_failures_are_problems_next_to_the_management_data() {
    require_rabbitmq();
    // Nothing listens on port 1; 5672 speaks plain AMQP, not TLS; the vhost does not exist.
    let vhost = format!("plumbline-t-{}-missing", random_suffix());
    for (url, expected) in [
        ("amqp://127.0.0.1:1/%2f".to_string(), "cannot connect"),
        ("amqps://127.0.0.1:5672/%2f".to_string(), "TLS handshake"),
        (format!("{AMQP}/{vhost}"), "AMQP login"),
    ] {
        let collected = collect(&source(Some(&url))).await.expect("management data still read");
        assert!(!collected.data.listeners.is_empty());
        assert_eq!(collected.problems.len(), 1, "{url}: {:?}", collected.problems);
        assert!(collected.problems[0].contains(expected), "{url}: {:?}", collected.problems);
    }
}

#[tokio::test]
async fn amqp_login_problem_never_shows_the_password() {
    require_rabbitmq();
    let endpoint = amqp::Endpoint::parse(&format!("amqp://guest:{CANARY}@127.0.0.1:5672/%2f")).expect("valid");
    let (handshake, login) = amqp::handshake(&endpoint, "guest", CANARY).await.expect("probed");
    assert!(!handshake.tls && handshake.version.is_some() && handshake.mechanisms.iter().any(|m| m == "PLAIN"));
    let login = login.expect("login refused");
    assert!(login.contains("AMQP login") && !login.contains(CANARY), "{login}");
}

#[tokio::test]
async fn bad_settings_are_settings_errors() {
    let mut settings = source(None);
    settings.password = "${PLUMBLINE_TEST_SURELY_UNSET_RMQ_PASSWORD}".into();
    let err = collect(&settings).await.expect_err("unset variable");
    assert!(matches!(&err, CollectError::Settings(m) if m.contains("sources.rabbitmq.password")), "{err:?}");

    let mut settings = source(None);
    settings.page_size = 501;
    assert!(matches!(collect(&settings).await, Err(CollectError::Settings(_))));

    let mut settings = source(Some(&format!("amqp://guest:{CANARY}@host:port/%2f")));
    settings.password = CANARY.into();
    match collect(&settings).await {
        Err(CollectError::Settings(message)) => assert!(!message.contains(CANARY), "{message}"),
        other => panic!("expected a settings error, got {other:?}"),
    }
}

#[test]
fn settings_from_toml() {
    let text = r#"
        name = "rabbit-prod"
        management-url = "https://rmq.example:15671"
        amqp-url = "amqps://rmq.example:5671/%2f"
        username = "audit"
        password = "${RMQ_PASSWORD}"
    "#;
    let settings: RabbitmqSource = toml::from_str(text).expect("parses");
    assert_eq!(settings.page_size, 500);
    assert_eq!(settings.amqp_url.as_deref(), Some("amqps://rmq.example:5671/%2f"));
    assert!(toml::from_str::<RabbitmqSource>(&format!("{text}\nvhost = \"/\"")).is_err(), "unknown keys refused");
    let shown = format!("{:?}", RabbitmqSource { password: CANARY.into(), ..settings });
    assert!(!shown.contains(CANARY), "{shown}");
}

#[test]
fn listeners_merge_with_what_was_reached() {
    let listener = |protocol: &str, host: &str, port: u16, certificate: Option<Certificate>| Listener {
        name: protocol.into(),
        protocol: protocol.into(),
        host: host.into(),
        port,
        tls: management::is_tls(protocol),
        certificate,
    };
    let cert = Certificate { subject: "CN=rmq".into(), issuer: "CN=ca".into(), not_after: 1 };
    // Listed once: marked with the certificate.
    let mut listeners = vec![listener("amqp/ssl", "::", 5671, None), listener("http", "::", 15672, None)];
    merge_listener(&mut listeners, listener("amqp/ssl", "rmq.example", 5671, Some(cert.clone())));
    assert_eq!(listeners.len(), 2);
    assert_eq!(listeners[0].certificate.as_ref(), Some(&cert));
    // Not listed (a load balancer terminating TLS): added as reached.
    merge_listener(&mut listeners, listener("amqp/ssl", "lb.example", 443, Some(cert.clone())));
    assert_eq!(listeners.len(), 3);
    // Plain AMQP on a listed port: nothing new.
    let mut plain = vec![listener("amqp", "127.0.0.1", 5672, None)];
    merge_listener(&mut plain, listener("amqp", "localhost", 5672, None));
    assert_eq!(plain.len(), 1);
    // One per node: only a certificate is worth a new entry.
    let mut cluster = vec![listener("amqp/ssl", "10.0.0.1", 5671, None), listener("amqp/ssl", "10.0.0.2", 5671, None)];
    merge_listener(&mut cluster, listener("amqp/ssl", "rmq.example", 5671, None));
    assert_eq!(cluster.len(), 2);
    merge_listener(&mut cluster, listener("amqp/ssl", "rmq.example", 5671, Some(cert)));
    assert_eq!(cluster.len(), 3);
}

#[test]
fn scrub_replaces_every_secret() {
    assert_eq!(scrub("a hunter2 b hunter2", &["hunter2", ""]), "a <redacted> b <redacted>");
}
