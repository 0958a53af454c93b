//! Live collection end to end: a small leaky estate is set up on the real servers of this
//! machine — PostgreSQL, RabbitMQ, Kafka (tansu), SQS (moto), Prometheus — plus config files on
//! disk, then `plumbline audit --config` (a subprocess) must find its problems, change nothing on
//! the servers, and let no secret out.

use std::time::Duration;

use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};

use crate::live_setup::{KAFKA, KafkaEstate, PROMETHEUS, PrometheusRules, SQS, SqsEstate};
use crate::support::*;

const CANARY: &str = "pw-canary-7f3a9c";

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// Messages in `queue` of vhost `/`, as the management API reports them once its stats settle.
fn queue_depth(queue: &str) -> Option<u64> {
    let out = std::process::Command::new("curl")
        .args(["-fsS", "-u", "guest:guest", &format!("http://127.0.0.1:15672/api/queues/%2F/{queue}")])
        .output()
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    value["messages"].as_u64()
}

/// Waits (up to 15 s) until the management API lists a consumer on `queue`: its consumer list is
/// built from stats events, which lag behind the AMQP connection on a busy machine.
fn await_listed_consumer(queue: &str) {
    for _ in 0..30 {
        let out = std::process::Command::new("curl")
            .args(["-fsS", "-u", "guest:guest", "http://127.0.0.1:15672/api/consumers"])
            .output()
            .expect("curl");
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if listed.as_array().into_iter().flatten().any(|c| c["queue"]["name"] == queue) {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("the management API never listed the consumer on {queue}");
}

fn settled_depth(queue: &str, expected: u64) -> u64 {
    for _ in 0..30 {
        if queue_depth(queue) == Some(expected) {
            return expected;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    queue_depth(queue).unwrap_or(u64::MAX)
}

#[test]
fn a_live_leaky_estate_is_collected_read_only_and_audited() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let auto_ack_queue = unique("e2e.auto-ack");
    let parked_queue = unique("e2e.parked");

    // PostgreSQL: a table that receives events without a unique key on event_id, in a schema
    // dropped however the test ends.
    let pg = TestSchema::new("plumbline_e2e");
    let schema = pg.name.clone();
    pg.execute(&format!(
        "CREATE TABLE {schema}.charges (id bigserial PRIMARY KEY, event_id text NOT NULL, amount numeric)"
    ));

    // RabbitMQ: an auto-ack consumer held open, and a queue with messages nobody consumes.
    let (connection, _channel, _consumer) = runtime.block_on(async {
        let connection = Connection::connect("amqp://guest:guest@127.0.0.1:5672/%2f", ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        // Exclusive: the broker deletes them when this connection closes, even if the test fails.
        let temp = QueueDeclareOptions { exclusive: true, ..Default::default() };
        channel.queue_declare(&auto_ack_queue, temp, FieldTable::default()).await.unwrap();
        channel.queue_declare(&parked_queue, temp, FieldTable::default()).await.unwrap();
        for _ in 0..2 {
            channel
                .basic_publish("", &parked_queue, BasicPublishOptions::default(), b"{}", BasicProperties::default())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        let consumer = channel
            .basic_consume(
                &auto_ack_queue,
                "e2e-auto-ack",
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        (connection, channel, consumer)
    });
    await_listed_consumer(&auto_ack_queue);
    let depth_before = settled_depth(&parked_queue, 2);
    assert_eq!(depth_before, 2);

    // Kafka: a group with committed offsets and lag, no dead-letter topic. SQS: a public queue
    // without redrive, a DLQ holding a message. Prometheus: rules without a dead-letter alert.
    let suffix = unique("x").replace('_', "-");
    let kafka = KafkaEstate::create(&suffix);
    let kafka_before = kafka.state();
    assert_eq!(kafka_before, (5, 2), "tansu set-up");
    let sqs = SqsEstate::create(&suffix);
    let sqs_before = sqs.state();
    let rules = PrometheusRules::create(&suffix);

    // Config files: Kafka auto-commit and a plaintext password (the canary).
    let dir = temp();
    let app = dir.path().join("billing").join("config");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("application.yml"),
        format!(
            "spring:\n  kafka:\n    consumer:\n      group-id: billing\n      enable-auto-commit: true\n  datasource:\n    password: {CANARY}\n"
        ),
    )
    .unwrap();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[collect]
timeout-seconds = 20

[[sources.postgres]]
name = "pg-live"
url = "postgres://postgres:${{PLUMBLINE_E2E_PG_PASSWORD}}@127.0.0.1:5432/test"

[[sources.postgres]]
name = "pg-nowhere"
url = "postgres://postgres@127.0.0.1:1/test"

[[sources.rabbitmq]]
name = "rabbit-live"
management-url = "http://127.0.0.1:15672"
amqp-url = "amqp://127.0.0.1:5672/%2f"
username = "guest"
password = "${{PLUMBLINE_E2E_RABBIT_PASSWORD}}"

[[sources.kafka]]
name = "kafka-live"
bootstrap-servers = "{KAFKA}"

[[sources.sqs]]
name = "sqs-live"
region = "us-east-1"
endpoint-url = "{SQS}"
access-key-id = "test"
secret-access-key = "${{PLUMBLINE_E2E_SQS_SECRET}}"
queue-name-prefix = "{sqs_prefix}"

[[sources.prometheus]]
name = "prom-live"
url = "{PROMETHEUS}"

[[sources.prometheus.signals]]
name = "queue-depth"
query = "sum by (queue) (rabbitmq_queue_messages)"

[[sources.config-files]]
name = "configs"
paths = ["billing/config/*.yml"]

[[registry.integrations]]
id = "e2e-events"
name = "e2e events"
source_system = "shop"
target_system = "billing"
transport = "rabbitmq"
lifecycle = "active"
resources = ["queue:/{auto_ack_queue}", "table:charges"]
delivery = "at-least-once"
idempotency_key = "event_id"
"#,
            sqs_prefix = sqs.prefix
        ),
    )
    .unwrap();

    let cache = temp();
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_plumbline"));
        command.args(args);
        if args[0] == "audit" {
            command.arg("--cache-dir").arg(cache.path());
        }
        let output = command
            .env("PLUMBLINE_E2E_PG_PASSWORD", CANARY) // trust auth ignores it
            .env("PLUMBLINE_E2E_SQS_SECRET", CANARY) // moto accepts any secret
            .env("PLUMBLINE_E2E_RABBIT_PASSWORD", "guest")
            .env("PLUMBLINE_LOG", "trace")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&["audit", "--format", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();

    let findings: Vec<(String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().iter())
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["subject"]["id"].as_str().unwrap().to_string()))
        .collect();
    let has = |rule: &str, id_part: &str| findings.iter().any(|(r, id)| r == rule && id.contains(id_part));
    assert!(has("acks/rabbitmq-auto-ack", &auto_ack_queue), "{findings:#?}");
    assert!(has("acks/kafka-auto-commit", "spring.kafka.consumer.enable-auto-commit"), "{findings:#?}");
    assert!(has("security/plaintext-secret", "spring.datasource.password"), "{findings:#?}");
    assert!(has("idempotency/no-unique-event-key", &format!("{schema}.charges")), "{findings:#?}");
    assert!(has("dead-letters/rabbitmq-no-dead-letter", &parked_queue), "{findings:#?}");
    assert!(has("dead-letters/kafka-no-dead-letter-topic", &kafka.group), "{findings:#?}");
    assert!(has("security/kafka-plaintext-listener", "PLAINTEXT"), "{findings:#?}");
    assert!(has("security/sqs-public-policy", &sqs.public_queue), "{findings:#?}");
    assert!(has("dead-letters/sqs-no-redrive", &sqs.public_queue), "{findings:#?}");
    assert!(has("dead-letters/messages-in-dead-letter-queue", &sqs.dead_letter_queue), "{findings:#?}");
    assert!(has("dead-letters/no-dead-letter-alert", "dead-letter-queues"), "{findings:#?}");
    assert!(has("blind-spots/missing-health-alert", "dlq-depth"), "{findings:#?}");

    // The idempotency check saw the live server despite the unreachable one, and says so.
    let idempotency = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "idempotency").unwrap();
    let postgres_read =
        idempotency["sections_read"].as_array().unwrap().iter().find(|r| r["section"] == "postgres").unwrap();
    assert_eq!(postgres_read["state"], "partial", "{postgres_read}");
    // The unreachable source is recorded, not silently dropped.
    let sources = report["snapshot"]["sources"].as_array().unwrap();
    let nowhere = sources.iter().find(|s| s["name"] == "pg-nowhere").unwrap();
    assert_eq!(nowhere["ok"], false);
    assert!(nowhere["reason"].as_str().unwrap().contains("127.0.0.1:1"), "{nowhere}");

    // Every source was read.
    for source in sources.iter().filter(|s| s["name"] != "pg-nowhere") {
        assert_eq!(source["ok"], true, "{source}");
    }

    // No secret anywhere: reports in every format, trace logs, snapshot file, compile cache.
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (sarif, junit, markdown) = (file("report.sarif"), file("junit.xml"), file("report.md"));
    let (_, text_report, text_err) = run(&[
        "audit",
        "--format",
        "text",
        "--format",
        &format!("sarif={sarif}"),
        "--format",
        &format!("junit={junit}"),
        "--format",
        &format!("markdown={markdown}"),
        "--config",
        config.to_str().unwrap(),
    ]);
    let [sarif, junit, markdown] = [sarif, junit, markdown].map(|path| std::fs::read_to_string(path).unwrap());
    let snapshot_path = dir.path().join("snapshot.json");
    let (code, _, snap_err) =
        run(&["snapshot", "--config", config.to_str().unwrap(), "-o", snapshot_path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{snap_err}");
    let snapshot = std::fs::read_to_string(&snapshot_path).unwrap();
    let outputs = [
        ("json report", &stdout),
        ("log", &stderr),
        ("text report", &text_report),
        ("text log", &text_err),
        ("sarif report", &sarif),
        ("junit report", &junit),
        ("markdown report", &markdown),
        ("snapshot", &snapshot),
        ("snapshot log", &snap_err),
    ];
    for (what, text) in outputs {
        assert!(!text.contains(CANARY), "the canary secret leaked into the {what}");
    }
    for entry in std::fs::read_dir(cache.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        assert!(!bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()), "canary in cache file");
    }
    // The snapshot file audits to the same findings.
    let (code, again, _) = run(&["audit", "--format", "json", "--snapshot", snapshot_path.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["summary"]["findings"], report["summary"]["findings"]);
    let collected: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    eprintln!("live estate collection: {}", collected["collection"]);
    // The group's committed offset and lag as Kafka has them: 5 messages, committed 2.
    let group = collected["kafka"][0]["consumer_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_id"] == kafka.group.as_str())
        .expect("the e2e consumer group was collected");
    let offset = &group["offsets"][0];
    assert_eq!((&offset["committed"], &offset["high_watermark"], &offset["lag"]), (&2.into(), &5.into(), &3.into()));

    // Read-only: queue depths, offsets, watermarks and SQS message counts are unchanged.
    assert_eq!(settled_depth(&parked_queue, 2), depth_before, "the audits changed a RabbitMQ queue");
    assert_eq!(kafka.state(), kafka_before, "the audits changed a Kafka offset or watermark");
    assert_eq!(sqs.state(), sqs_before, "the audits changed an SQS queue");

    runtime.block_on(connection.close(0, "done")).unwrap();
    drop((rules, sqs, kafka));
}
