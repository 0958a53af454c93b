//! Collection: the whole `plumbline snapshot` process against the local servers — RabbitMQ with
//! 10,000 extra queues (scripts/bench-collect-rabbitmq.sh creates and removes them) and tansu
//! (Kafka, 127.0.0.1:19092) with 1,000 extra topics and 10 groups (created and deleted here).
//! Skipped, with a note, when a server is not running (`just services` starts them).

use std::time::Duration;

use anyhow::Context;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::{Env, Results, listening};
use crate::measure::{fmt_duration, run_process};

const KAFKA: &str = "127.0.0.1:19092";
const TARGET_SECS: f64 = 10.0;

pub fn run(env: &Env, results: &mut Results) -> anyhow::Result<()> {
    let queues = if env.quick { 1_000 } else { 10_000 };
    if listening(15672) {
        rabbitmq(env, queues, results)?;
    } else {
        results
            .notes
            .push("RabbitMQ collection skipped: nothing listens on 127.0.0.1:15672 (run `just services`).".into());
    }
    if listening(19092) {
        kafka(env, 1_000, results)?;
    } else {
        results
            .notes
            .push("Kafka collection skipped: nothing listens on 127.0.0.1:19092 (run `just services`).".into());
    }
    Ok(())
}

fn rabbitmq(env: &Env, queues: usize, results: &mut Results) -> anyhow::Result<()> {
    let output = std::process::Command::new("bash")
        .arg(env.root.join("scripts/bench-collect-rabbitmq.sh"))
        .arg(queues.to_string())
        .env("PLUMBLINE_BIN", &env.plumbline)
        .current_dir(&env.root)
        .output()
        .context("running scripts/bench-collect-rabbitmq.sh")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "bench-collect-rabbitmq.sh failed: {}{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    // "collected N queues in X s (whole process)"
    let line = stdout.lines().find(|l| l.starts_with("collected ")).context("no `collected` line from the script")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let collected: usize = words.get(1).and_then(|w| w.parse().ok()).context("queue count")?;
    let secs: f64 = words.get(4).and_then(|w| w.parse().ok()).context("seconds")?;
    anyhow::ensure!(collected >= queues, "collected only {collected} queues of {queues}");
    results.row(
        format!("Collection, RabbitMQ with {queues} queues"),
        format!("{secs:.2} s ({collected} queues read)"),
        "≤ 10 s",
        Some(secs <= TARGET_SECS),
    );
    Ok(())
}

fn kafka(env: &Env, topics: usize, results: &mut Results) -> anyhow::Result<()> {
    let suffix = format!("{:x}", std::process::id());
    let names: Vec<String> = (0..topics).map(|n| format!("plumbline-bench-{suffix}-{n:04}")).collect();
    let admin: AdminClient<DefaultClientContext> = client().create().context("Kafka admin client")?;
    let outcome = kafka_measure(env, &admin, &names, &suffix);
    for chunk in names.chunks(100) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        if let Err(err) = futures::executor::block_on(admin.delete_topics(&chunk, &AdminOptions::new())) {
            eprintln!("cleanup: DeleteTopics: {err}");
        }
    }
    let (secs, ours) = outcome?;
    results.row(
        format!("Collection, Kafka (tansu) with {topics} topics"),
        format!("{secs:.2} s ({ours} topics read)"),
        "≤ 10 s",
        Some(secs <= TARGET_SECS),
    );
    Ok(())
}

fn client() -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", KAFKA).set("socket.timeout.ms", "10000");
    config
}

/// Creates the topics (3 partitions each) and 10 groups with offsets on 50 topics each, then
/// times `plumbline snapshot`; returns its wall time and how many of our topics it read.
fn kafka_measure(
    env: &Env,
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
    suffix: &str,
) -> anyhow::Result<(f64, usize)> {
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for chunk in names.chunks(100) {
        let topics: Vec<NewTopic<'_>> = chunk.iter().map(|n| NewTopic::new(n, 3, TopicReplication::Fixed(1))).collect();
        for result in futures::executor::block_on(admin.create_topics(&topics, &options))? {
            result.map_err(|(topic, code)| anyhow::anyhow!("creating {topic}: {code}"))?;
        }
    }
    for g in 0..10.min(names.len() / 50) {
        let consumer: BaseConsumer = client()
            .set("group.id", format!("plumbline-bench-{suffix}-g{g}"))
            .set("enable.auto.commit", "false")
            .create()?;
        let mut offsets = TopicPartitionList::new();
        for name in &names[g * 50..(g + 1) * 50] {
            offsets.add_partition_offset(name, 0, Offset::Offset(0))?;
        }
        consumer.commit(&offsets, CommitMode::Sync)?;
    }
    let dir = env.work.join("kafka-collect");
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("plumbline.toml");
    std::fs::write(
        &config,
        format!(
            "[collect]\ntimeout-seconds = 120\n[[sources.kafka]]\nname = \"kafka-bench\"\nbootstrap-servers = \"{KAFKA}\"\n"
        ),
    )?;
    let out = dir.join("snapshot.json");
    let mut command = env.plumbline();
    command.arg("snapshot").arg("--config").arg(&config).arg("-o").arg(&out);
    let run = run_process(&mut command)?;
    anyhow::ensure!(run.exit_code == 0, "plumbline snapshot exited {}", run.exit_code);
    let snapshot = plumbline::snapshot::load(&out)?.snapshot;
    let ours = snapshot
        .kafka
        .iter()
        .flatten()
        .flat_map(|c| c.topics.iter())
        .filter(|t| t.name.starts_with(&format!("plumbline-bench-{suffix}-")))
        .count();
    anyhow::ensure!(ours == names.len(), "collected {ours} of our {} topics", names.len());
    eprintln!("kafka: collected {ours} topics in {}", fmt_duration(run.wall));
    Ok((run.wall.as_secs_f64(), ours))
}
