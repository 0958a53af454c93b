//! One integration unit at a time: the records a service brings into each section, healthy by
//! default, with at most one problem. Units are sharded: a Kafka cluster holds 500 units' topics,
//! a RabbitMQ broker 1,000 units' queues (100 per vhost), an SQS account 500 queues, a PostgreSQL
//! server 1,000 tables, a Prometheus server 2,000 units' rules and series.

use plumbline::contract::estate::*;
use plumbline::contract::types::Section;
use plumbline::snapshot::Snapshot;

use super::Injected;

const KAFKA_SHARD: usize = 500;
const RABBIT_SHARD: usize = 1000;
const VHOST_SHARD: usize = 100;
const SQS_SHARD: usize = 500;
const PG_SHARD: usize = 1000;
const PROM_SHARD: usize = 2000;
const RULES_PER_GROUP: usize = 50;
/// The signals every Prometheus server has, one series per unit each.
const SIGNALS: [(&str, &str); 4] = [
    ("queue-depth", "sum by (queue) (rabbitmq_queue_messages)"),
    ("latency-p99-seconds", "histogram_quantile(0.99, sum by (integration, le) (rate(processing_seconds_bucket[5m])))"),
    ("events-produced", "sum by (integration) (increase(events_produced_total[1h]))"),
    ("events-consumed", "sum by (integration) (increase(events_consumed_total[1h]))"),
];

/// Samples per time series (one every two hours over a day).
const SAMPLES: i64 = 12;
const COLLECTED_AT: i64 = 1_795_600_000;

const ACK_MODE: &str = "spring.rabbitmq.listener.simple.acknowledge-mode";
const REQUEUE: &str = "spring.rabbitmq.listener.simple.default-requeue-rejected";
const MAX_ATTEMPTS: &str = "spring.rabbitmq.listener.simple.retry.max-attempts";
const AUTO_COMMIT: &str = "spring.kafka.consumer.enable-auto-commit";

/// The problems a unit can carry (one at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    AutoAckConsumer,
    SpringAckNone,
    KafkaAutoCommit,
    WebhookEarly,
    QueueNoDlx,
    QuorumNoDeliveryLimit,
    KafkaNoDlt,
    KafkaDltMessages,
    SqsNoRedrive,
    SqsReceiveCount,
    RequeueRejected,
    RetryUnbounded,
    RetryExcessive,
    /// A password in clear in a config file (for `security`; not in the manifest).
    PlaintextSecret,
}

impl Problem {
    /// The problems unit `unit` can carry (webhooks only on every tenth unit, delivery limits
    /// only on quorum queues).
    pub fn applicable(unit: usize) -> Vec<Problem> {
        use Problem::*;
        let mut all = vec![
            AutoAckConsumer,
            SpringAckNone,
            KafkaAutoCommit,
            QueueNoDlx,
            KafkaNoDlt,
            KafkaDltMessages,
            SqsNoRedrive,
            SqsReceiveCount,
            RequeueRejected,
            RetryUnbounded,
            RetryExcessive,
            PlaintextSecret,
        ];
        if has_webhook(unit) {
            all.push(WebhookEarly);
        }
        if is_quorum(unit) {
            all.push(QuorumNoDeliveryLimit);
        }
        all
    }
}

fn has_webhook(unit: usize) -> bool {
    unit.is_multiple_of(10)
}

fn is_quorum(unit: usize) -> bool {
    unit.is_multiple_of(3)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn samples(mut value: impl FnMut(i64) -> f64) -> Vec<Sample> {
    (0..SAMPLES).map(|i| Sample { at: COLLECTED_AT - (SAMPLES - 1 - i) * 7200, value: value(i) }).collect()
}

/// The estate under construction.
pub struct Estate {
    kafka: Vec<KafkaCluster>,
    rabbitmq: Vec<RabbitmqBroker>,
    sqs: Vec<SqsAccount>,
    postgres: Vec<PostgresServer>,
    prometheus: Vec<PrometheusServer>,
    config_files: Vec<ConfigFile>,
    registry: Vec<Integration>,
    injected: Vec<Injected>,
}

impl Estate {
    pub fn new(units: usize) -> Self {
        Estate {
            kafka: Vec::new(),
            rabbitmq: Vec::new(),
            sqs: Vec::new(),
            postgres: Vec::new(),
            prometheus: Vec::new(),
            config_files: Vec::with_capacity(units),
            registry: Vec::with_capacity(units),
            injected: Vec::new(),
        }
    }

    fn inject(&mut self, rule: &'static str, source: &str, kind: &'static str, id: String) {
        self.injected.push(Injected { rule, source: source.to_string(), kind, id });
    }

    pub fn add_unit(&mut self, unit: usize, problem: Option<Problem>, rng: &mut fastrand::Rng) {
        let is = |p: Problem| problem == Some(p);
        let svc = format!("svc{unit:06}");
        self.add_kafka(unit, &svc, problem, rng);
        self.add_rabbitmq(unit, &svc, problem, rng);
        self.add_sqs(unit, &svc, problem, rng);
        self.add_postgres(unit, &svc);
        self.add_prometheus(unit, &svc, rng);
        self.add_config(unit, &svc, problem);
        let webhook = has_webhook(unit).then(|| Webhook {
            url: format!("https://{svc}.apps.example/hooks/events"),
            auth: "hmac".into(),
            responds: if is(Problem::WebhookEarly) { "before-processing" } else { "after-processing" }.into(),
        });
        if is(Problem::WebhookEarly) {
            self.inject("acks/webhook-ack-before-processing", "registry", "integration", svc.clone());
        }
        let vhost = vhost(unit);
        self.registry.push(Integration {
            id: svc.clone(),
            name: format!("{svc} events"),
            owner: Some(format!("team-{}", unit % 40)),
            source_system: format!("{svc}-producer"),
            target_system: svc.clone(),
            transport: ["rabbitmq", "kafka", "sqs"][unit % 3].into(),
            lifecycle: "active".into(),
            resources: vec![
                format!("queue:{vhost}/{svc}.in"),
                format!("topic:{svc}.events"),
                format!("consumer-group:{svc}-consumer"),
                format!("sqs-queue:{svc}-jobs"),
                format!("table:{}", table(&svc)),
            ],
            delivery: Some("at-least-once".into()),
            idempotency_key: Some("event_id".into()),
            dedup_store: Some(format!("table:{}", table(&svc))),
            sla: Some(Sla {
                latency_target_ms: 2000,
                percentile: 99.0,
                definition: Some("producer send → consumer commit".into()),
                measured_by: Some("latency-p99-seconds".into()),
            }),
            webhook,
            schema: Some(SchemaContract {
                format: "avro".into(),
                registry: Some("https://schema-registry.example:8081".into()),
                compatibility: Some("BACKWARD".into()),
                contract_tests: true,
            }),
        });
    }

    fn add_kafka(&mut self, unit: usize, svc: &str, problem: Option<Problem>, rng: &mut fastrand::Rng) {
        if unit.is_multiple_of(KAFKA_SHARD) {
            let source = format!("kafka-{:03}", unit / KAFKA_SHARD);
            let brokers = (0..3)
                .map(|id| KafkaBroker {
                    id,
                    host: format!("{source}-b{id}.example"),
                    port: 9093,
                    rack: Some(format!("az{id}")),
                    listeners: vec![Listener {
                        name: "SASL_SSL".into(),
                        protocol: "SASL_SSL".into(),
                        host: format!("{source}-b{id}.example"),
                        port: 9093,
                        tls: true,
                        certificate: None,
                    }],
                    configs: pairs(&[("min.insync.replicas", "2"), ("auto.create.topics.enable", "false")]),
                })
                .collect();
            self.kafka.push(KafkaCluster {
                source,
                cluster_id: Some(format!("cluster-{unit}")),
                brokers,
                topics: Vec::new(),
                consumer_groups: Vec::new(),
            });
        }
        let partitions = 2 + (unit % 5) as u32;
        let topic = format!("{svc}.events");
        let dlt = format!("{topic}.DLT");
        let group_id = format!("{svc}-consumer");
        let cluster = self.kafka.last_mut().expect("a cluster was pushed for the first unit");
        let source = cluster.source.clone();
        let kafka_topic = |name: &str, messages: u64, dead_letter: bool| KafkaTopic {
            name: name.to_string(),
            partitions,
            replication_factor: 3,
            under_replicated_partitions: 0,
            configs: pairs(&[("retention.ms", "604800000"), ("min.insync.replicas", "2")]),
            messages,
            dead_letter,
        };
        cluster.topics.push(kafka_topic(&topic, rng.u64(1_000..1_000_000), false));
        let dlt_messages = if problem == Some(Problem::KafkaDltMessages) { rng.u64(1..500) } else { 0 };
        if problem != Some(Problem::KafkaNoDlt) {
            cluster.topics.push(kafka_topic(&dlt, dlt_messages, true));
        }
        let offsets: Vec<KafkaPartitionOffset> = (0..partitions)
            .map(|partition| {
                let high = rng.i64(10_000..1_000_000);
                let lag = rng.i64(0..20);
                KafkaPartitionOffset {
                    topic: topic.clone(),
                    partition,
                    committed: high - lag,
                    high_watermark: high,
                    lag,
                }
            })
            .collect();
        let committed: i64 = offsets.iter().map(|o| o.committed).sum();
        let history = (0..SAMPLES)
            .map(|i| KafkaLagSample {
                at: COLLECTED_AT - (SAMPLES - 1 - i) * 7200,
                committed: committed - (SAMPLES - 1 - i) * 5_000,
                lag: rng.i64(0..40),
            })
            .collect();
        cluster.consumer_groups.push(KafkaConsumerGroup {
            group_id: group_id.clone(),
            state: "Stable".into(),
            members: vec![KafkaGroupMember {
                client_id: format!("{svc}-1"),
                host: "/10.0.0.1".into(),
                assignments: (0..partitions).map(|p| format!("{topic}:{p}")).collect(),
            }],
            offsets,
            history,
        });
        match problem {
            Some(Problem::KafkaNoDlt) => {
                self.inject("dead-letters/kafka-no-dead-letter-topic", &source, "consumer-group", group_id)
            }
            Some(Problem::KafkaDltMessages) => {
                self.inject("dead-letters/messages-in-dead-letter-queue", &source, "topic", dlt)
            }
            _ => {}
        }
    }

    fn add_rabbitmq(&mut self, unit: usize, svc: &str, problem: Option<Problem>, rng: &mut fastrand::Rng) {
        if unit.is_multiple_of(RABBIT_SHARD) {
            let source = format!("rabbit-{:03}", unit / RABBIT_SHARD);
            let host = format!("{source}.example");
            self.rabbitmq.push(RabbitmqBroker {
                source: source.clone(),
                cluster_name: Some(format!("rabbit@{host}")),
                version: Some("3.13.7".into()),
                listeners: vec![Listener {
                    name: "amqp/ssl".into(),
                    protocol: "amqp/ssl".into(),
                    host: host.clone(),
                    port: 5671,
                    tls: true,
                    certificate: None,
                }],
                auth_mechanisms: vec!["PLAIN".into()],
                nodes: (1..=3)
                    .map(|n| RabbitmqNode {
                        name: format!("rabbit@{source}-{n}"),
                        memory_used_bytes: 2 << 30,
                        memory_limit_bytes: 8 << 30,
                        disk_free_bytes: 150 << 30,
                        disk_free_limit_bytes: 1 << 30,
                        disk_total_bytes: Some(200 << 30),
                    })
                    .collect(),
                queues: Vec::new(),
                consumers: Vec::new(),
                policies: Vec::new(),
                users: vec![RabbitmqUser { name: "app".into(), tags: Vec::new(), has_password: true }],
                permissions: Vec::new(),
                exchanges: Vec::new(),
                bindings: Vec::new(),
            });
        }
        let vhost = vhost(unit);
        let broker = self.rabbitmq.last_mut().expect("a broker was pushed for the first unit");
        if unit.is_multiple_of(VHOST_SHARD) {
            for (name, kind) in [("work", "direct"), ("dlx", "fanout")] {
                broker.exchanges.push(RabbitmqExchange {
                    vhost: vhost.clone(),
                    name: name.into(),
                    kind: kind.into(),
                    durable: true,
                    arguments: Vec::new(),
                });
            }
            broker.permissions.push(RabbitmqPermission {
                vhost: vhost.clone(),
                user: "app".into(),
                configure: "^$".into(),
                write: "^(work|dlx)$".into(),
                read: "^svc.*".into(),
            });
            broker.queues.push(queue(&vhost, "dead.dlq", "classic", Vec::new(), 0, 0.0));
            broker.bindings.push(binding(&vhost, "dlx", "dead.dlq", "#"));
        }
        let name = format!("{svc}.in");
        let quorum = is_quorum(unit);
        let mut arguments = Vec::new();
        if problem != Some(Problem::QueueNoDlx) {
            arguments.push(("x-dead-letter-exchange".to_string(), "dlx".to_string()));
        }
        if quorum && problem != Some(Problem::QuorumNoDeliveryLimit) {
            arguments.push(("x-delivery-limit".to_string(), "5".to_string()));
        }
        let depth = rng.u64(0..8);
        let queue_type = if quorum { "quorum" } else { "classic" };
        // Two decimals, as the management API reports rates (and exact through a JSON round trip).
        let rate = (rng.f64() * 5_000.0).round() / 100.0;
        broker.queues.push(queue(&vhost, &name, queue_type, arguments, depth, rate));
        broker.bindings.push(binding(&vhost, "work", &name, &name));
        let tag = format!("amq.ctag-{unit:08}");
        broker.consumers.push(RabbitmqConsumer {
            vhost: vhost.clone(),
            queue: name.clone(),
            consumer_tag: tag.clone(),
            client: format!("{svc} {svc}-7c9d8f"),
            ack_required: problem != Some(Problem::AutoAckConsumer),
            prefetch_count: 50,
        });
        let source = broker.source.clone();
        let path = format!("{}/{name}", vhost.trim_end_matches('/'));
        match problem {
            Some(Problem::AutoAckConsumer) => {
                self.inject("acks/rabbitmq-auto-ack", &source, "consumer", format!("{vhost}/{name}/{tag}"))
            }
            Some(Problem::QueueNoDlx) => self.inject("dead-letters/rabbitmq-no-dead-letter", &source, "queue", path),
            Some(Problem::QuorumNoDeliveryLimit) => {
                self.inject("dead-letters/unbounded-redelivery", &source, "queue", path)
            }
            _ => {}
        }
    }

    fn add_sqs(&mut self, unit: usize, svc: &str, problem: Option<Problem>, rng: &mut fastrand::Rng) {
        let account_no = unit / SQS_SHARD;
        let arn = |name: &str| format!("arn:aws:sqs:eu-west-1:{:012}:{name}", 100_000 + account_no);
        let url = |name: &str| format!("https://sqs.eu-west-1.amazonaws.com/{:012}/{name}", 100_000 + account_no);
        let dlq = format!("acct{account_no:03}-jobs-dlq");
        if unit.is_multiple_of(SQS_SHARD) {
            let mut queue = sqs_queue(&dlq, url(&dlq), arn(&dlq));
            queue.message_retention_seconds = 1_209_600;
            self.sqs.push(SqsAccount {
                source: format!("sqs-{account_no:03}"),
                region: "eu-west-1".into(),
                endpoint: "https://sqs.eu-west-1.amazonaws.com".into(),
                queues: vec![queue],
            });
        }
        let account = self.sqs.last_mut().expect("an account was pushed for the first unit");
        let name = format!("{svc}-jobs");
        let mut queue = sqs_queue(&name, url(&name), arn(&name));
        queue.messages_visible = rng.u64(0..20);
        if problem != Some(Problem::SqsNoRedrive) {
            queue.dead_letter_target_arn = Some(arn(&dlq));
            queue.max_receive_count = Some(if problem == Some(Problem::SqsReceiveCount) { 50 } else { 5 });
        }
        account.queues.push(queue);
        let source = account.source.clone();
        match problem {
            Some(Problem::SqsNoRedrive) => self.inject("dead-letters/sqs-no-redrive", &source, "queue", name),
            Some(Problem::SqsReceiveCount) => self.inject("dead-letters/excessive-retries", &source, "queue", name),
            _ => {}
        }
    }

    fn add_postgres(&mut self, unit: usize, svc: &str) {
        if unit.is_multiple_of(PG_SHARD) {
            self.postgres.push(PostgresServer {
                source: format!("pg-{:03}", unit / PG_SHARD),
                version: "16.4".into(),
                ssl: true,
                max_connections: 500,
                connections: vec![PostgresConnectionUsage { database: "app".into(), user: "app".into(), count: 40 }],
                extensions: vec!["pg_stat_statements".into()],
                tables: Vec::new(),
            });
        }
        let column = |name: &str, data_type: &str| PostgresColumn {
            name: name.into(),
            data_type: data_type.into(),
            nullable: false,
        };
        let key = |name: String, kind: &str, column: &str| PostgresUniqueKey {
            name,
            kind: kind.into(),
            columns: vec![column.into()],
            partial: false,
        };
        let table = table(svc);
        let server = self.postgres.last_mut().expect("a server was pushed for the first unit");
        server.tables.push(PostgresTable {
            database: "app".into(),
            schema: "public".into(),
            columns: vec![
                column("id", "bigint"),
                column("event_id", "uuid"),
                column("payload", "jsonb"),
                column("created_at", "timestamptz"),
            ],
            unique_keys: vec![
                key(format!("{table}_pkey"), "primary-key", "id"),
                key(format!("{table}_event_id_key"), "unique-constraint", "event_id"),
            ],
            estimated_rows: Some((unit as i64 % 1000) * 1_000),
            name: table,
        });
    }

    fn add_prometheus(&mut self, unit: usize, svc: &str, rng: &mut fastrand::Rng) {
        if unit.is_multiple_of(PROM_SHARD) {
            let source = format!("prom-{:03}", unit / PROM_SHARD);
            self.prometheus.push(PrometheusServer {
                source,
                version: Some("2.53.0".into()),
                rule_groups: vec![PrometheusRuleGroup {
                    name: "dead-letters".into(),
                    file: "/etc/prometheus/rules/dead-letters.yml".into(),
                    rules: vec![alert("DeadLetterQueueNotEmpty", "rabbitmq_queue_messages{queue=~\".+[.]dlq\"} > 0")],
                }],
                metrics: vec![PrometheusMetric {
                    name: "rabbitmq_queue_messages".into(),
                    metric_type: MetricType::Gauge,
                    help: "Messages in a queue".into(),
                }],
                targets: vec![PrometheusTarget {
                    job: "rabbitmq".into(),
                    instance: "rabbit:15692".into(),
                    health: "up".into(),
                    last_error: None,
                }],
                signals: SIGNALS
                    .iter()
                    .map(|(name, query)| Signal {
                        name: name.to_string(),
                        query: query.to_string(),
                        series: Vec::new(),
                    })
                    .collect(),
                tracing_detected: true,
            });
        }
        let server = self.prometheus.last_mut().expect("a server was pushed for the first unit");
        if unit.is_multiple_of(RULES_PER_GROUP) {
            server.rule_groups.push(PrometheusRuleGroup {
                name: format!("services-{}", unit / RULES_PER_GROUP),
                file: format!("/etc/prometheus/rules/services-{}.yml", unit / RULES_PER_GROUP),
                rules: Vec::new(),
            });
        }
        let name = format!("{svc}.in");
        if let Some(group) = server.rule_groups.last_mut() {
            group.rules.push(alert(
                &format!("{}QueueBacklog", svc.replace('-', "_")),
                &format!("rabbitmq_queue_messages{{queue=\"{name}\"}} > 1000"),
            ));
        }
        let depth = rng.u64(0..8) as f64;
        let rate = rng.u64(10..500) as f64;
        let values: [Box<dyn Fn(i64) -> f64>; 4] = [
            Box::new(move |i| if i % 2 == 0 { depth } else { 0.0 }),
            Box::new(|i| 0.25 + (i % 3) as f64 * 0.05),
            Box::new(move |_| rate),
            Box::new(move |_| rate),
        ];
        for (signal, value) in server.signals.iter_mut().zip(values) {
            let labels = if signal.name == "queue-depth" {
                pairs(&[("queue", &name), ("integration", svc)])
            } else {
                pairs(&[("integration", svc)])
            };
            signal.series.push(Series { labels, samples: samples(value) });
        }
    }

    fn add_config(&mut self, unit: usize, svc: &str, problem: Option<Problem>) {
        let is = |p: Problem| problem == Some(p);
        let path = format!("services/{svc}/application.yml");
        let mut line = 0;
        let mut entry = |key: &str, value: &str| {
            line += 1;
            ConfigEntry { key: key.into(), value: value.into(), line, secret: None }
        };
        let entries = vec![
            entry("spring.application.name", svc),
            entry(ACK_MODE, if is(Problem::SpringAckNone) { "none" } else { "auto" }),
            entry(REQUEUE, if is(Problem::RequeueRejected) { "true" } else { "false" }),
            entry(
                MAX_ATTEMPTS,
                match problem {
                    Some(Problem::RetryUnbounded) => "0",
                    Some(Problem::RetryExcessive) => "50",
                    _ => "3",
                },
            ),
            entry(AUTO_COMMIT, if is(Problem::KafkaAutoCommit) { "true" } else { "false" }),
            entry("spring.kafka.consumer.group-id", &format!("{svc}-consumer")),
            entry(
                "spring.datasource.password",
                if is(Problem::PlaintextSecret) { "s3cr3t-in-clear" } else { "${DB_PASSWORD}" },
            ),
        ];
        let _ = unit;
        self.config_files.push(ConfigFile {
            path: path.clone(),
            format: "spring-yaml".into(),
            service: Some(svc.to_string()),
            entries,
        });
        let (rule, key) = match problem {
            Some(Problem::SpringAckNone) => ("acks/rabbitmq-auto-ack", ACK_MODE),
            Some(Problem::KafkaAutoCommit) => ("acks/kafka-auto-commit", AUTO_COMMIT),
            Some(Problem::RequeueRejected) => ("dead-letters/unbounded-redelivery", REQUEUE),
            Some(Problem::RetryUnbounded) => ("dead-letters/unbounded-redelivery", MAX_ATTEMPTS),
            Some(Problem::RetryExcessive) => ("dead-letters/excessive-retries", MAX_ATTEMPTS),
            _ => return,
        };
        self.inject(rule, &path, "config-key", key.to_string());
    }

    /// The snapshot (without `format`, set by the caller) and the manifest.
    pub fn finish(self) -> (Snapshot, Vec<Injected>) {
        let mut sources = Vec::new();
        sources.extend(self.kafka.iter().map(|c| (c.source.clone(), Section::Kafka)));
        sources.extend(self.rabbitmq.iter().map(|b| (b.source.clone(), Section::Rabbitmq)));
        sources.extend(self.sqs.iter().map(|a| (a.source.clone(), Section::Sqs)));
        sources.extend(self.postgres.iter().map(|p| (p.source.clone(), Section::Postgres)));
        sources.extend(self.prometheus.iter().map(|p| (p.source.clone(), Section::Prometheus)));
        sources.push(("app-configs".into(), Section::ConfigFiles));
        sources.push(("registry".into(), Section::Registry));
        let mut snapshot = Snapshot::empty();
        snapshot.info = super::info(COLLECTED_AT, sources);
        snapshot.kafka = Some(self.kafka);
        snapshot.rabbitmq = Some(self.rabbitmq);
        snapshot.sqs = Some(self.sqs);
        snapshot.postgres = Some(self.postgres);
        snapshot.prometheus = Some(self.prometheus);
        snapshot.config_files = Some(self.config_files);
        snapshot.registry = Some(self.registry);
        (snapshot, self.injected)
    }
}

fn vhost(unit: usize) -> String {
    format!("/app{:04}", unit / VHOST_SHARD)
}

fn table(svc: &str) -> String {
    format!("{svc}_events")
}

fn queue(
    vhost: &str,
    name: &str,
    queue_type: &str,
    arguments: Vec<(String, String)>,
    depth: u64,
    rate: f64,
) -> RabbitmqQueue {
    RabbitmqQueue {
        vhost: vhost.into(),
        name: name.into(),
        queue_type: queue_type.into(),
        durable: true,
        arguments,
        policy: None,
        effective_policy: Vec::new(),
        messages_ready: depth,
        messages_unacknowledged: 0,
        consumers: u32::from(rate > 0.0),
        publish_rate: Some(rate),
        deliver_rate: Some(rate),
        redeliver_rate: Some(0.0),
        depth_history: samples(|i| if i % 2 == 0 { depth as f64 } else { 0.0 }),
    }
}

fn binding(vhost: &str, source: &str, destination: &str, routing_key: &str) -> RabbitmqBinding {
    RabbitmqBinding {
        vhost: vhost.into(),
        source: source.into(),
        destination: destination.into(),
        destination_kind: "queue".into(),
        routing_key: routing_key.into(),
    }
}

fn sqs_queue(name: &str, url: String, arn: String) -> SqsQueue {
    // Refuses plain-HTTP clients, as `security` asks.
    let policy = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\
             \"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"{arn}\",\
             \"Condition\":{{\"Bool\":{{\"aws:SecureTransport\":\"false\"}}}}}}]}}"
    );
    SqsQueue {
        name: name.into(),
        url,
        arn,
        fifo: false,
        visibility_timeout_seconds: 60,
        message_retention_seconds: 345_600,
        dead_letter_target_arn: None,
        max_receive_count: None,
        dead_letter_sources: Vec::new(),
        kms_master_key_id: None,
        sqs_managed_sse: true,
        policy: Some(policy),
        messages_visible: 0,
        messages_in_flight: 0,
        messages_delayed: 0,
        attributes: pairs(&[("SqsManagedSseEnabled", "true"), ("VisibilityTimeout", "60")]),
    }
}

fn alert(name: &str, expr: &str) -> PrometheusRule {
    PrometheusRule {
        kind: RuleKind::Alerting,
        name: name.into(),
        expr: expr.into(),
        for_seconds: 300,
        labels: pairs(&[("severity", "page")]),
        health: "ok".into(),
    }
}
