//! Live tests of the Kafka collector: what it reads, that it changes nothing, how it fails.
//! Against the local tansu broker on 127.0.0.1:19092 (`scripts/services.sh`). Each test works on
//! its own topics and group (a random suffix) and deletes its topics afterwards.
//!
//! tansu reports a wrong high watermark for multi-record batches, so the setup produces one
//! record per flush.

use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::*;

const BROKER: &str = "127.0.0.1:19092";
const CANARY: &str = "s3cret-kafka-canary";

fn source(servers: &str) -> KafkaSource {
    toml::from_str(&format!("name = \"kafka-test\"\nbootstrap-servers = \"{servers}\"")).expect("settings")
}

fn random_suffix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:012x}", hasher.finish() & 0xFFFF_FFFF_FFFF)
}

/// Fails the test, naming the recipe that starts it, unless the local tansu answers on [`BROKER`].
fn require_broker() {
    let address: std::net::SocketAddr = BROKER.parse().expect("socket address");
    if let Err(err) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
        panic!("no Kafka broker (tansu) on {BROKER} ({err}): start the test servers with `just services`");
    }
}

fn client_config() -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", BROKER).set("socket.timeout.ms", "10000");
    config
}

fn admin() -> AdminClient<DefaultClientContext> {
    client_config().create().expect("admin client")
}

async fn create_topics(admin: &AdminClient<DefaultClientContext>, topics: &[NewTopic<'_>]) {
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(topics, &options).await.expect("CreateTopics") {
        result.unwrap_or_else(|(topic, code)| panic!("creating `{topic}`: {code}"));
    }
}

async fn delete_topics(admin: &AdminClient<DefaultClientContext>, topics: &[&str]) {
    match admin.delete_topics(topics, &AdminOptions::new()).await {
        Ok(results) => {
            for result in results {
                if let Err((topic, code)) = result {
                    eprintln!("cleanup: deleting `{topic}`: {code}");
                }
            }
        }
        Err(err) => eprintln!("cleanup: DeleteTopics: {err}"),
    }
}

/// Produces `count` records to `topic`/`partition`, one per flush.
fn produce(topic: &str, partition: i32, count: usize) {
    let producer: BaseProducer = client_config().create().expect("producer");
    for n in 0..count {
        let payload = format!("record {n}");
        producer
            .send(BaseRecord::<(), _>::to(topic).partition(partition).payload(&payload))
            .map_err(|(err, _)| err)
            .expect("send");
        producer.flush(Duration::from_secs(10)).expect("flush");
    }
}

/// Commits `offsets` for `group` the way a client that manages its own offsets does: no
/// subscription, no assignment.
fn commit(group: &str, offsets: &[(&str, i32, i64)]) {
    let consumer: BaseConsumer =
        client_config().set("group.id", group).set("enable.auto.commit", "false").create().expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (topic, partition, offset) in offsets {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset)).expect("offset");
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// The group's committed offsets on `partitions` and the high watermarks, read independently of
/// the collector.
fn observe(group: &str, partitions: &[(&str, i32)]) -> Vec<(String, i32, Offset, i64)> {
    let consumer: BaseConsumer =
        client_config().set("group.id", group).set("enable.auto.commit", "false").create().expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in partitions {
        tpl.add_partition(topic, *partition);
    }
    let committed = consumer.committed_offsets(tpl, Duration::from_secs(10)).expect("committed");
    partitions
        .iter()
        .map(|(topic, partition)| {
            let offset = committed.find_partition(topic, *partition).map_or(Offset::Invalid, |e| e.offset());
            let (_, high) = consumer.fetch_watermarks(topic, *partition, Duration::from_secs(10)).expect("watermarks");
            (topic.to_string(), *partition, offset, high)
        })
        .collect()
}

#[tokio::test]
async fn reads_topics_groups_and_dead_letters_without_changing_anything() {
    require_broker();
    let suffix = random_suffix();
    let orders = format!("plumbline-t-{suffix}-orders");
    let dlt = format!("{orders}.DLT");
    let dlq = format!("plumbline-t-{suffix}-payments-dlq");
    let group = format!("plumbline-t-{suffix}-billing");
    let admin = admin();
    let topics = [orders.as_str(), dlt.as_str(), dlq.as_str()];
    let body = AssertUnwindSafe(live_cluster(&admin, &orders, &dlt, &dlq, &group)).catch_unwind().await;
    delete_topics(&admin, &topics).await;
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

async fn live_cluster(admin: &AdminClient<DefaultClientContext>, orders: &str, dlt: &str, dlq: &str, group: &str) {
    create_topics(
        admin,
        &[
            NewTopic::new(orders, 3, TopicReplication::Fixed(1))
                .set("retention.ms", "3600000")
                .set("cleanup.policy", "delete"),
            NewTopic::new(dlt, 1, TopicReplication::Fixed(1)),
            NewTopic::new(dlq, 2, TopicReplication::Fixed(1)),
        ],
    )
    .await;
    let (orders_, dlt_, dlq_, group_) = (orders.to_string(), dlt.to_string(), dlq.to_string(), group.to_string());
    tokio::task::spawn_blocking(move || {
        produce(&orders_, 0, 4);
        produce(&orders_, 1, 1);
        produce(&dlt_, 0, 2);
        produce(&dlq_, 1, 3);
        commit(&group_, &[(&orders_, 0, 1), (&orders_, 1, 1)]);
    })
    .await
    .expect("setup");

    let partitions = [(orders, 0), (orders, 1), (orders, 2), (dlt, 0), (dlq, 0), (dlq, 1)];
    let (group_, parts) = (group.to_string(), partitions.map(|(t, p)| (t.to_string(), p)));
    let watch = move || {
        let parts: Vec<(&str, i32)> = parts.iter().map(|(t, p)| (t.as_str(), *p)).collect();
        observe(&group_, &parts)
    };
    let before = tokio::task::spawn_blocking(watch.clone()).await.expect("observe");

    let started = Instant::now();
    let collected = collect(&source(BROKER)).await.expect("collected");
    let elapsed = started.elapsed();
    eprintln!("collected in {elapsed:?}; problems: {:?}", collected.problems);
    let cluster = collected.data;

    let after = tokio::task::spawn_blocking(watch).await.expect("observe");
    assert_eq!(before, after, "collection changed committed offsets or watermarks");

    // Brokers and listeners.
    assert!(!cluster.brokers.is_empty());
    let broker = &cluster.brokers[0];
    assert_eq!((broker.host.as_str(), broker.port), ("127.0.0.1", 19092));
    assert!(
        broker.listeners.iter().any(|l| l.port == 19092 && l.protocol == "PLAINTEXT" && !l.tls),
        "listeners: {:?}",
        broker.listeners
    );

    // Topics.
    let topic = |name: &str| cluster.topics.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("topic {name}"));
    let t = topic(orders);
    assert_eq!((t.partitions, t.replication_factor, t.under_replicated_partitions), (3, 1, 0));
    assert_eq!(t.messages, 5);
    assert!(!t.dead_letter);
    let config = |t: &KafkaTopic, key: &str| t.configs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    if collected.problems.iter().all(|p| !p.contains("DescribeConfigs")) {
        assert_eq!(config(t, "retention.ms").as_deref(), Some("3600000"), "configs: {:?}", t.configs);
        assert_eq!(config(t, "cleanup.policy").as_deref(), Some("delete"));
    }
    let t = topic(dlt);
    assert!(t.dead_letter);
    assert_eq!((t.partitions, t.messages), (1, 2));
    let t = topic(dlq);
    assert!(t.dead_letter);
    assert_eq!((t.partitions, t.messages), (2, 3));
    assert!(cluster.topics.iter().all(|t| !t.name.starts_with("__")), "internal topics are left out");

    // The group: committed offsets with lag against the high watermark.
    let g = cluster.consumer_groups.iter().find(|g| g.group_id == group);
    let g = g.unwrap_or_else(|| panic!("group {group} in {:?}", cluster.consumer_groups));
    let offsets: Vec<(&str, u32, i64, i64, i64)> =
        g.offsets.iter().map(|o| (o.topic.as_str(), o.partition, o.committed, o.high_watermark, o.lag)).collect();
    assert_eq!(offsets, [(orders, 0, 1, 4, 3), (orders, 1, 1, 1, 0)]);
    assert!(g.members.is_empty(), "nobody joined: {:?}", g.members);
    assert_eq!(g.state, "Empty", "a group with offsets and no members");
    assert!(g.history.is_empty());
}

#[tokio::test]
async fn reads_an_active_group_without_joining_it() {
    require_broker();
    let suffix = random_suffix();
    let topic = format!("plumbline-t-{suffix}-events");
    let group = format!("plumbline-t-{suffix}-live");
    let admin = admin();
    let body = AssertUnwindSafe(active_group(&admin, &topic, &group)).catch_unwind().await;
    delete_topics(&admin, &[topic.as_str()]).await;
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

/// Group id → (state, member ids), as the broker describes it.
fn describe_group(group: &str) -> (String, Vec<String>) {
    let consumer: BaseConsumer = client_config().create().expect("consumer");
    let list = consumer.fetch_group_list(None, Duration::from_secs(10)).expect("groups");
    let g = list.groups().iter().find(|g| g.name() == group).expect("the group");
    (g.state().to_string(), g.members().iter().map(|m| m.id().to_string()).collect())
}

/// The `topic:partition`s the broker itself reports as assigned to the group's members
/// (librdkafka's DescribeGroups), sorted; empty when it sends no assignment.
fn broker_assignments(group: &str) -> Vec<String> {
    let consumer: BaseConsumer = client_config().create().expect("consumer");
    let list = consumer.fetch_group_list(Some(group), Duration::from_secs(10)).expect("groups");
    let g = list.groups().iter().find(|g| g.name() == group).expect("the group");
    let mut assigned: Vec<String> = g
        .members()
        .iter()
        .filter_map(|m| m.assignment().filter(|bytes| !bytes.is_empty()))
        .flat_map(|bytes| super::groups::decode_assignment(bytes).expect("a MemberAssignment"))
        .collect();
    assigned.sort();
    assigned
}

async fn active_group(admin: &AdminClient<DefaultClientContext>, topic: &str, group: &str) {
    create_topics(admin, &[NewTopic::new(topic, 2, TopicReplication::Fixed(1))]).await;
    // An application's consumer: subscribed, polling, until told to stop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let member = {
        let (topic, group, stop) = (topic.to_string(), group.to_string(), stop.clone());
        std::thread::spawn(move || {
            let consumer: BaseConsumer = client_config()
                .set("group.id", &group)
                .set("client.id", "plumbline-test-member")
                .set("enable.auto.commit", "false")
                .create()
                .expect("consumer");
            consumer.subscribe(&[&topic]).expect("subscribe");
            let mut told = false;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = consumer.poll(Duration::from_millis(100));
                if !told && consumer.assignment().is_ok_and(|a| a.count() == 2) {
                    told = true;
                    // tansu lists only groups that have committed offsets.
                    let mut tpl = TopicPartitionList::new();
                    for partition in 0..2 {
                        tpl.add_partition_offset(&topic, partition, Offset::Offset(0)).expect("offset");
                    }
                    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
                    let _ = ready_tx.send(());
                }
            }
        })
    };
    let ready = tokio::task::spawn_blocking(move || ready_rx.recv_timeout(Duration::from_secs(30))).await;
    assert!(matches!(ready, Ok(Ok(()))), "the test consumer got no assignment");

    let name = group.to_string();
    let before = tokio::task::spawn_blocking(move || describe_group(&name)).await.expect("describe");
    let collected = collect(&source(BROKER)).await.expect("collected");
    let name = group.to_string();
    let after = tokio::task::spawn_blocking(move || describe_group(&name)).await.expect("describe");
    let name = group.to_string();
    let from_broker = tokio::task::spawn_blocking(move || broker_assignments(&name)).await.expect("describe");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || member.join()).await;
    eprintln!("problems: {:?}; group before {before:?}, after {after:?}", collected.problems);
    assert_eq!(before, after, "the collector changed the group's membership");
    assert_eq!(before.1.len(), 1);

    let g = collected.data.consumer_groups.iter().find(|g| g.group_id == group).expect("the group");
    assert_eq!(g.state, "Stable");
    assert_eq!(g.members.len(), 1, "{:?}", g.members);
    // tansu's DescribeGroups leaves client id, host and assignment empty; the client id then
    // comes from the member id (`<client.id>-<UUID>`).
    assert_eq!(g.members[0].client_id, "plumbline-test-member");
    // The collector reports the assignment the broker gives (tansu gives none today; its decoding
    // is tested on real bytes in groups.rs), and a given one is this group's two partitions.
    let mut assigned = g.members[0].assignments.clone();
    assigned.sort();
    assert_eq!(assigned, from_broker, "the collector's assignment differs from the broker's");
    assert!(
        assigned.is_empty() || assigned == [format!("{topic}:0"), format!("{topic}:1")],
        "assigned {assigned:?}, not {topic}'s two partitions"
    );
    let committed: Vec<(u32, i64)> = g.offsets.iter().map(|o| (o.partition, o.committed)).collect();
    assert_eq!(committed, [(0, 0), (1, 0)]);
}

#[tokio::test]
async fn refused_port_is_a_connect_error() {
    let mut settings = source("127.0.0.1:1");
    settings.request_timeout_seconds = 3;
    let started = Instant::now();
    let err = collect(&settings).await.expect_err("nothing listens on port 1");
    let elapsed = started.elapsed();
    eprintln!("{err} ({elapsed:?})");
    assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(text.to_ascii_lowercase().contains("refused"), "{text}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");

    // With SASL configured, a refused connection is still a connection failure.
    let mut settings = source("127.0.0.1:1");
    settings.request_timeout_seconds = 1;
    settings.security_protocol = "SASL_PLAINTEXT".into();
    settings.sasl_username = Some("auditor".into());
    settings.sasl_password = Some(CANARY.into());
    let err = collect(&settings).await.expect_err("nothing listens on port 1");
    assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains(CANARY));
}

#[tokio::test]
async fn silent_listener_ends_within_the_request_timeout() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mut settings = source(&format!("127.0.0.1:{port}"));
    settings.request_timeout_seconds = 2;
    let started = Instant::now();
    let err = collect(&settings).await.expect_err("the listener never answers");
    let elapsed = started.elapsed();
    eprintln!("{err} ({elapsed:?})");
    assert!(matches!(err, CollectError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("no metadata answer within 2 s"), "{err}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test]
async fn no_secret_in_errors() {
    // tansu has no SASL: whatever the failure, the password must not show.
    let settings: KafkaSource = toml::from_str(&format!(
        "name = \"kafka-sasl\"\nbootstrap-servers = \"{BROKER}\"\nsecurity-protocol = \"SASL_PLAINTEXT\"\n\
         sasl-username = \"auditor\"\nsasl-password = \"{CANARY}\"\nrequest-timeout-seconds = 3\n\
         properties = {{ \"ssl.key.password\" = \"{CANARY}-2\" }}"
    ))
    .expect("settings");
    assert!(!format!("{settings:?}").contains(CANARY));
    let result = collect(&settings).await;
    let text = match &result {
        Ok(collected) => format!("{:?} {:?}", collected.problems, collected.data),
        Err(err) => format!("{err} {err:?}"),
    };
    eprintln!("{text}");
    assert!(!text.contains(CANARY), "{text}");
}

#[test]
fn settings_defaults_and_validation() {
    let s = source(BROKER);
    assert_eq!(s.security_protocol, "PLAINTEXT");
    assert_eq!(s.request_timeout_seconds, 10);
    assert_eq!(s.parallelism, 4);
    assert!(!s.include_internal_topics);
    assert!(toml::from_str::<KafkaSource>("name = \"k\"\nbootstrap-servers = \"h:1\"\nbogus = 1").is_err());

    let with = |extra: &str| {
        let s: KafkaSource = toml::from_str(&format!("name = \"k\"\nbootstrap-servers = \"h:1\"\n{extra}")).unwrap();
        Settings::new(&s).err().map(|e| e.to_string())
    };
    assert!(with("security-protocol = \"TLS\"").unwrap().contains("security-protocol"));
    assert!(with("request-timeout-seconds = 0").unwrap().contains("request-timeout-seconds"));
    assert!(with("properties = { \"group.id\" = \"x\" }").unwrap().contains("group.id"));
    assert!(with("sasl-password = \"${PLUMBLINE_UNSET_VARIABLE_FOR_TEST}\"").unwrap().contains("sasl-password"));
    assert_eq!(with("security-protocol = \"sasl_ssl\"\nsasl-mechanism = \"SCRAM-SHA-512\""), None);

    // The read-only settings win over `properties`.
    let s: KafkaSource =
        toml::from_str("name = \"k\"\nbootstrap-servers = \"h:1\"\nproperties = { \"enable.auto.commit\" = \"true\" }")
            .unwrap();
    let settings = Settings::new(&s).unwrap();
    let config = settings.consumer_config(Some("g"));
    assert_eq!(config.get("enable.auto.commit"), Some("false"));
    assert_eq!(config.get("enable.auto.offset.store"), Some("false"));
    assert_eq!(config.get("group.id"), Some("g"));
    assert_eq!(settings.consumer_config(None).get("group.id"), None);
}

#[test]
fn dead_letter_names_and_topic_filters() {
    let patterns = crate::collect::settings::default_kafka_dead_letter_patterns();
    for name in ["orders.DLT", "orders.dlt", "orders-retry-dlt", "payments-dlq", "payments-DLQ", "x.dead-letter"] {
        assert!(is_dead_letter(name, &patterns), "{name}");
    }
    for name in ["orders", "dlt-orders", "orders_DLTx"] {
        assert!(!is_dead_letter(name, &patterns), "{name}");
    }
    assert!(is_dead_letter("parked.orders", &["parked.*".to_string()]));

    let mut s = source(BROKER);
    s.skip_topics = vec!["tmp-*".into(), "exact".into()];
    assert!(!included(&s, "__consumer_offsets"));
    assert!(!included(&s, "tmp-1") && !included(&s, "exact") && included(&s, "exactly"));
    s.include_internal_topics = true;
    assert!(included(&s, "__consumer_offsets"));
}

/// A tansu with `--authentication` and no users, on a free port; killed on drop.
struct AuthBroker {
    child: std::process::Child,
    address: String,
}

impl AuthBroker {
    /// Fails the test, naming the recipe that installs it, when `tansu` is not on the PATH.
    fn start() -> AuthBroker {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free local port").port();
        let address = format!("127.0.0.1:{port}");
        let url = format!("tcp://{address}");
        let child = std::process::Command::new("tansu")
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/", "--authentication", "--silent"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start `tansu` ({err}): install it with `scripts/dev test` (scripts/setup.sh servers)")
            });
        let broker = AuthBroker { child, address };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&broker.address).is_err() {
            assert!(Instant::now() < deadline, "tansu --authentication did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }
}

impl Drop for AuthBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error() {
    let broker = AuthBroker::start();
    let settings: KafkaSource = toml::from_str(&format!(
        "name = \"kafka-auth\"\nbootstrap-servers = \"{}\"\nsecurity-protocol = \"SASL_PLAINTEXT\"\n\
         sasl-mechanism = \"SCRAM-SHA-256\"\nsasl-username = \"auditor\"\nsasl-password = \"{CANARY}\"\n\
         request-timeout-seconds = 5",
        broker.address
    ))
    .expect("settings");
    let started = Instant::now();
    let err = collect(&settings).await.expect_err("no such user");
    eprintln!("{err} ({:?})", started.elapsed());
    assert!(matches!(err, CollectError::Auth { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(CANARY));
    assert!(started.elapsed() < Duration::from_secs(7));
}

/// Scale: 1,000 topics (and 10 groups with offsets on 50 topics each) are all collected — the
/// batched DescribeConfigs and ListOffsets paths. Creates and deletes them on the local tansu
/// (about 3 s). The time is printed, not asserted: speed targets live in the benchmarks.
#[tokio::test]
async fn collects_a_thousand_topics_and_their_groups() {
    require_broker();
    let suffix = random_suffix();
    let names: Vec<String> = (0..1000).map(|n| format!("plumbline-b-{suffix}-{n:04}")).collect();
    let admin = admin();
    let body = AssertUnwindSafe(thousand_topics(&admin, &names, &suffix)).catch_unwind().await;
    for chunk in names.chunks(100) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        delete_topics(&admin, &chunk).await;
    }
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

async fn thousand_topics(admin: &AdminClient<DefaultClientContext>, names: &[String], suffix: &str) {
    let started = Instant::now();
    for chunk in names.chunks(100) {
        let topics: Vec<NewTopic<'_>> = chunk
            .iter()
            .map(|n| NewTopic::new(n, 3, TopicReplication::Fixed(1)).set("retention.ms", "86400000"))
            .collect();
        create_topics(admin, &topics).await;
    }
    let (names_, suffix_) = (names.to_vec(), suffix.to_string());
    tokio::task::spawn_blocking(move || {
        for g in 0..10 {
            let offsets: Vec<(&str, i32, i64)> =
                names_[g * 50..(g + 1) * 50].iter().map(|n| (n.as_str(), 0, 0)).collect();
            commit(&format!("plumbline-b-{suffix_}-g{g}"), &offsets);
        }
    })
    .await
    .expect("commits");
    eprintln!("setup in {:?}", started.elapsed());

    let started = Instant::now();
    let collected = collect(&source(BROKER)).await.expect("collected");
    let elapsed = started.elapsed();
    let ours = collected.data.topics.iter().filter(|t| t.name.contains(suffix)).count();
    let groups = collected.data.consumer_groups.iter().filter(|g| g.group_id.contains(suffix)).count();
    eprintln!(
        "collected {} topics ({ours} ours), {} groups ({groups} ours) in {elapsed:?}; problems: {:?}",
        collected.data.topics.len(),
        collected.data.consumer_groups.len(),
        collected.problems
    );
    assert_eq!((ours, groups), (1000, 10));
    assert!(collected.problems.is_empty(), "{:?}", collected.problems);
}
