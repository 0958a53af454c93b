//! The Kafka, SQS and Prometheus parts of the live leaky estate, set up on the machine's real
//! servers (tansu on :19092, moto on :15000, Prometheus on :19090, see scripts/services.sh) by
//! the test itself, each with a guard that removes it however the test ends, and a reading of
//! the state the audit must not change.

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const KAFKA: &str = "127.0.0.1:19092";
pub const SQS: &str = "http://127.0.0.1:15000";
pub const PROMETHEUS: &str = "http://127.0.0.1:19090";
const TIMEOUT: Duration = Duration::from_secs(10);

fn kafka_config() -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", KAFKA).set("log_level", "3");
    config
}

/// A topic with 5 messages and a consumer group that committed offset 2: lag 3, and no
/// dead-letter topic.
pub struct KafkaEstate {
    pub topic: String,
    pub group: String,
    runtime: tokio::runtime::Runtime,
}

impl KafkaEstate {
    pub fn create(suffix: &str) -> KafkaEstate {
        let estate = KafkaEstate {
            topic: format!("e2e-orders-{suffix}"),
            group: format!("e2e-billing-{suffix}"),
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        };
        let admin: AdminClient<DefaultClientContext> = kafka_config().create().expect("Kafka admin client");
        let created = estate
            .runtime
            .block_on(admin.create_topics(
                &[NewTopic::new(&estate.topic, 1, TopicReplication::Fixed(1))],
                &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
            ))
            .expect("tansu on 127.0.0.1:19092 (scripts/services.sh)");
        assert!(created.iter().all(Result::is_ok), "{created:?}");

        // One message per flush: tansu reports a wrong high watermark for multi-record batches.
        let producer: FutureProducer = kafka_config().set("linger.ms", "0").create().unwrap();
        for i in 0..5 {
            let payload = format!("{{\"n\":{i}}}");
            let record = FutureRecord::to(&estate.topic).key("k").payload(&payload).partition(0);
            estate.runtime.block_on(producer.send(record, TIMEOUT)).map_err(|(e, _)| e).unwrap();
        }

        // The group commits offset 2 on its own (no subscription): the state a stalled consumer leaves.
        let consumer: BaseConsumer =
            kafka_config().set("group.id", &estate.group).set("enable.auto.commit", "false").create().unwrap();
        let mut offsets = TopicPartitionList::new();
        offsets.add_partition_offset(&estate.topic, 0, Offset::Offset(2)).unwrap();
        consumer.commit(&offsets, CommitMode::Sync).unwrap();
        estate
    }

    /// (high watermark, committed offset) of partition 0.
    pub fn state(&self) -> (i64, i64) {
        let consumer: BaseConsumer =
            kafka_config().set("group.id", &self.group).set("enable.auto.commit", "false").create().unwrap();
        let (_, high) = consumer.fetch_watermarks(&self.topic, 0, TIMEOUT).unwrap();
        let mut partitions = TopicPartitionList::new();
        partitions.add_partition(&self.topic, 0);
        let committed = consumer.committed_offsets(partitions, TIMEOUT).unwrap();
        let offset = committed.find_partition(&self.topic, 0).unwrap().offset().to_raw().unwrap_or(-1);
        (high, offset)
    }
}

impl Drop for KafkaEstate {
    fn drop(&mut self) {
        if let Ok(admin) = kafka_config().create::<AdminClient<DefaultClientContext>>() {
            let _ = self.runtime.block_on(admin.delete_topics(&[&self.topic], &AdminOptions::new()));
        }
    }
}

/// SQS queues: one with a public policy and no redrive, one DLQ holding a message, and a work
/// queue that redrives into it.
pub struct SqsEstate {
    pub prefix: String,
    pub public_queue: String,
    pub dead_letter_queue: String,
    client: aws_sdk_sqs::Client,
    urls: Vec<String>,
    runtime: tokio::runtime::Runtime,
}

impl SqsEstate {
    pub fn create(suffix: &str) -> SqsEstate {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            // plumbline builds the SDK without its default (aws-lc-rs) client: bring one on ring.
            .http_client({
                use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
                aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
            })
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .endpoint_url(SQS)
            .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "e2e"))
            .build();
        let prefix = format!("e2e-{suffix}");
        let mut estate = SqsEstate {
            public_queue: format!("{prefix}-public"),
            dead_letter_queue: format!("{prefix}-work-dlq"),
            prefix,
            client: aws_sdk_sqs::Client::from_conf(config),
            urls: Vec::new(),
            runtime,
        };
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#;
        let public = estate.create_queue(&estate.public_queue.clone(), &[("Policy", policy)]);
        let dlq = estate.create_queue(&estate.dead_letter_queue.clone(), &[]);
        let dlq_arn = estate.runtime.block_on(async {
            let attributes = estate
                .client
                .get_queue_attributes()
                .queue_url(&dlq)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap();
            attributes.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone()
        });
        let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}"#);
        estate.create_queue(&format!("{}-work", estate.prefix), &[("RedrivePolicy", &redrive)]);
        for (url, body) in [(&public, "order"), (&dlq, "poison")] {
            estate.runtime.block_on(estate.client.send_message().queue_url(url).message_body(body).send()).unwrap();
        }
        estate
    }

    fn create_queue(&mut self, name: &str, attributes: &[(&str, &str)]) -> String {
        let mut request = self.client.create_queue().queue_name(name);
        for (key, value) in attributes {
            request = request.attributes(aws_sdk_sqs::types::QueueAttributeName::from(*key), *value);
        }
        let url = self
            .runtime
            .block_on(request.send())
            .expect("moto on 127.0.0.1:15000 (scripts/services.sh)")
            .queue_url()
            .unwrap()
            .to_string();
        self.urls.push(url.clone());
        url
    }

    /// (queue url, visible + in-flight messages) of every queue, in creation order.
    pub fn state(&self) -> Vec<(String, String)> {
        self.urls
            .iter()
            .map(|url| {
                let attributes = self
                    .runtime
                    .block_on(
                        self.client
                            .get_queue_attributes()
                            .queue_url(url)
                            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                            .attribute_names(
                                aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                            )
                            .send(),
                    )
                    .unwrap();
                let mut counts: Vec<String> =
                    attributes.attributes().unwrap().iter().map(|(k, v)| format!("{}={v}", k.as_str())).collect();
                counts.sort();
                (url.clone(), counts.join(","))
            })
            .collect()
    }
}

impl Drop for SqsEstate {
    fn drop(&mut self) {
        for url in &self.urls {
            let _ = self.runtime.block_on(self.client.delete_queue().queue_url(url).send());
        }
    }
}

/// A Prometheus rule file with an error-rate alert and nothing that watches dead letters.
pub struct PrometheusRules {
    pub group: String,
    path: PathBuf,
}

impl PrometheusRules {
    pub fn create(suffix: &str) -> PrometheusRules {
        let dir = std::env::var_os("PLUMBLINE_SERVICES_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/plumbline-services"))
            .join("prometheus/rules");
        let group = format!("e2e-{suffix}");
        let rules = PrometheusRules { path: dir.join(format!("{group}.yml")), group };
        std::fs::write(
            &rules.path,
            format!(
                "groups:\n  - name: {}\n    rules:\n      - alert: E2eErrorRateHigh\n        expr: \
                 sum(rate(http_requests_total{{status=~\"5..\"}}[5m])) / sum(rate(http_requests_total[5m])) > 0.01\n        \
                 for: 5m\n        labels:\n          severity: page\n",
                rules.group
            ),
        )
        .expect("Prometheus rules directory (scripts/services.sh)");
        reload();
        // Wait until Prometheus serves the group.
        for _ in 0..60 {
            if rule_groups().contains(&rules.group) {
                return rules;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("Prometheus did not load rule group {}", rules.group);
    }
}

impl Drop for PrometheusRules {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        reload();
    }
}

fn reload() {
    let status = std::process::Command::new("curl")
        .args(["-fsS", "-X", "POST", &format!("{PROMETHEUS}/-/reload")])
        .status()
        .expect("curl");
    assert!(status.success(), "Prometheus reload failed");
}

fn rule_groups() -> String {
    let out = std::process::Command::new("curl").args(["-fsS", &format!("{PROMETHEUS}/api/v1/rules")]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}
