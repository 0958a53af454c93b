//! What `backpressure` says about itself: the question, the sections it reads, its rules (title,
//! why it matters, how to fix, vendor references) and its parameters with the seeds' numbers as
//! defaults.

use plumbline_sdk::prelude::*;

use crate::*;

pub fn info() -> Info {
    let info = Info::new(
        "backpressure",
        "Bounded parallelism and backpressure",
        "Is your parallelism unbounded and likely to overwhelm downstream systems?",
    )
    .version(env!("CARGO_PKG_VERSION"))
    .reads(Section::Rabbitmq)
    .reads(Section::Kafka)
    .reads(Section::Sqs)
    .reads(Section::Postgres)
    .reads(Section::Prometheus)
    .reads(Section::ConfigFiles)
    .reads(Section::Registry);
    params(capacity_rules(flow_rules(info)))
}

fn flow_rules(info: Info) -> Info {
    info.rule(
        RuleSpec::new(UNBOUNDED_PREFETCH, Severity::High, "RabbitMQ consumers bound their prefetch")
            .description(
                "A manual-ack consumer with prefetch 0 (basic.qos unlimited) receives every ready \
                 message the broker has, as fast as the socket allows. During a spike the whole \
                 backlog moves into the consumer's memory as unacknowledged messages: the process \
                 swells or dies, every in-flight message is redelivered, and no other consumer can \
                 take a share of the work.",
            )
            .remediation(
                "Set a per-consumer prefetch (basic.qos, or Spring `spring.rabbitmq.listener.simple.prefetch` \
                 / `...direct.prefetch`) to a small number sized to the processing time, typically \
                 10-300; start around 20-50 and tune with the queue's deliver/ack rates.",
            )
            .reference("https://www.rabbitmq.com/docs/consumer-prefetch")
            .reference("https://www.rabbitmq.com/docs/confirms")
            .reference("https://docs.spring.io/spring-amqp/reference/amqp/containerAttributes.html"),
    )
    .rule(
        RuleSpec::new(UNBOUNDED_CONCURRENCY, Severity::Medium, "Listener and worker concurrency is bounded")
            .description(
                "A listener or worker pool whose size is unlimited (0, negative, `unlimited`) or very \
                 large turns a traffic spike straight into the same multiple of calls on the database \
                 or downstream API. That is the unbounded fan-out the audit warns about: the \
                 dependency slows down, timeouts and retries add more load, and messages end up \
                 dead-lettered.",
            )
            .remediation(
                "Cap concurrency at what the slowest downstream can absorb (its connection pool or \
                 rate limit divided by the number of instances), e.g. Spring `max-concurrency: 10`; \
                 scale out with more instances behind a limiter instead of more threads per instance.",
            )
            .reference("https://docs.spring.io/spring-amqp/reference/amqp/listener-concurrency.html")
            .reference("https://docs.spring.io/spring-kafka/reference/kafka/receiving-messages/message-listener-container.html"),
    )
    .rule(
        RuleSpec::new(POLL_INTERVAL_RISK, Severity::High, "A Kafka poll batch finishes within max.poll.interval.ms")
            .description(
                "A consumer must call poll() again within max.poll.interval.ms. When max.poll.records \
                 times the observed per-record processing time exceeds it, a slow batch makes the \
                 group evict the consumer: its partitions are rebalanced, the uncommitted batch is \
                 processed again by another member, which is just as slow, and the group can \
                 rebalance in a loop while lag grows.",
            )
            .remediation(
                "Lower max.poll.records so that records × p99 processing time stays well inside \
                 max.poll.interval.ms, or raise max.poll.interval.ms; move slow work off the poll \
                 loop only with manual commits after processing.",
            )
            .reference("https://kafka.apache.org/documentation/#consumerconfigs_max.poll.records")
            .reference("https://kafka.apache.org/documentation/#consumerconfigs_max.poll.interval.ms"),
    )
    .rule(
        RuleSpec::new(VISIBILITY_TIMEOUT, Severity::High, "SQS visibility timeout exceeds processing time")
            .description(
                "An SQS message becomes visible again when its visibility timeout runs out, whether or \
                 not the consumer is still working on it. If processing takes longer than the timeout, \
                 a second consumer receives the same message, work is duplicated, the receive count \
                 climbs and healthy messages are moved to the dead-letter queue after maxReceiveCount.",
            )
            .remediation(
                "Set the queue's VisibilityTimeout above the p99 processing time with headroom \
                 (AWS suggests about six times the processing time for Lambda triggers), or extend \
                 it per message with ChangeMessageVisibility while work is in progress.",
            )
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html")
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"),
    )
    .rule(
        RuleSpec::new(QUEUE_GROWING, Severity::High, "Queues do not grow without pause")
            .description(
                "A queue whose depth rises at every sample for longer than the growth window is \
                 receiving more than its consumers can handle. Nothing throttles the producers, so the \
                 backlog keeps growing until broker memory or disk alarms block every publisher on \
                 the broker, not just this flow.",
            )
            .remediation(
                "Scale the consumers or speed them up, and add backpressure on the producer side \
                 (rate limiter, publisher confirms with bounded in-flight, a max-length with \
                 reject-publish overflow); alert on sustained growth (e.g. deriv() over 10 minutes).",
            )
            .reference("https://www.rabbitmq.com/docs/monitoring")
            .reference("https://www.rabbitmq.com/docs/maxlength")
            .reference("https://prometheus.io/docs/prometheus/latest/querying/functions/#deriv"),
    )
    .rule(
        RuleSpec::new(QUEUE_NOT_DRAINING, Severity::Medium, "Queues drain at least once a day")
            .description(
                "A queue that never empties over a whole day, not even off-peak, means consumers only \
                 just keep up at best: every message waits behind a standing backlog, and the next \
                 spike starts from a higher level.",
            )
            .remediation(
                "Add consumer capacity until the queue drains off-peak, or throttle the producers; \
                 bound the queue (max-length, reject-publish) so overload is visible to the producer \
                 instead of piling up.",
            )
            .reference("https://www.rabbitmq.com/docs/monitoring")
            .reference("https://www.rabbitmq.com/docs/flow-control"),
    )
    .rule(
        RuleSpec::new(DOWNSTREAM_THROTTLING, Severity::High, "Downstream calls are not throttled")
            .description(
                "429 Too Many Requests and 503 Service Unavailable answers say the integration is \
                 sending more than its dependency accepts. Without client-side limiting, retries \
                 multiply the load, the dependency stays overloaded and messages run out of retries.",
            )
            .remediation(
                "Limit the call rate on the client (token bucket sized to the dependency's quota), \
                 honour Retry-After with exponential backoff and jitter, and open a circuit breaker \
                 that pauses consumption while the error rate is high.",
            )
            .reference("https://www.rfc-editor.org/rfc/rfc6585#section-4")
            .reference("https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4"),
    )
    .rule(
        RuleSpec::new(LAG_STALLED, Severity::High, "Kafka consumer groups make progress")
            .description(
                "Burrow's STALL state: the group's committed offset did not move over the whole window \
                 while lag was above zero. The consumers are stuck (blocked call, poison record, \
                 endless rebalance) and everything produced since is waiting.",
            )
            .remediation(
                "Find why the members stopped committing (thread dumps, rebalance logs, the record at \
                 the committed offset); dead-letter poison records, and alert on Burrow-style status \
                 rather than on a fixed lag number.",
            )
            .reference("https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules")
            .reference("https://kafka.apache.org/documentation/#basic_ops_consumer_lag"),
    )
    .rule(
        RuleSpec::new(LAG_RISING, Severity::Medium, "Kafka consumer lag does not keep rising")
            .description(
                "Burrow's WARN state: the group commits, but lag rose between every pair of samples in \
                 the window, so producers outpace the consumers. Records get older and older until \
                 retention deletes them unread.",
            )
            .remediation(
                "Add consumers (up to the partition count) or partitions, speed up per-record \
                 processing or batch it, and throttle producers if the consumers cannot catch up.",
            )
            .reference("https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules")
            .reference("https://kafka.apache.org/documentation/#basic_ops_consumer_lag"),
    )
}

fn capacity_rules(info: Info) -> Info {
    info.rule(
        RuleSpec::new(CPU_SATURATION, Severity::High, "Integration services have CPU headroom")
            .description(
                "An integration service running above its CPU threshold over consecutive samples has \
                 no room for the next spike: processing time per message rises, queues and lag grow, \
                 and timeouts turn into retries.",
            )
            .remediation(
                "Scale the service out (or autoscale on queue depth or CPU), raise its CPU limit, or \
                 reduce the work per message; alert on CPU above 80 % sustained.",
            )
            .reference("https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/")
            .reference("https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/"),
    )
    .rule(
        RuleSpec::new(MEMORY_PRESSURE, Severity::High, "Integration services have memory headroom")
            .description(
                "Above the memory threshold a service is close to its limit: the next burst of \
                 prefetched messages or a larger batch gets it OOM-killed, and every unacknowledged \
                 message it held is redelivered.",
            )
            .remediation(
                "Bound in-memory work (prefetch, batch size, concurrency), raise the memory limit, or \
                 scale out; alert on memory above 85 %.",
            )
            .reference("https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
    )
    .rule(
        RuleSpec::new(DB_POOL_EXHAUSTION, Severity::High, "Database connection pools have headroom")
            .description(
                "A connection pool this busy is about to run dry: consumer threads then block waiting \
                 for a connection, processing time jumps and timeouts surface as failed messages.",
            )
            .remediation(
                "Keep listener concurrency below the pool size, shorten transactions, or size the pool \
                 (and the database's max_connections) for the peak; alert on pool use above 70 %.",
            )
            .reference("https://github.com/brettwooldridge/HikariCP/wiki/About-Pool-Sizing")
            .reference("https://docs.spring.io/spring-boot/reference/data/sql.html"),
    )
    .rule(
        RuleSpec::new(BROKER_DISK, Severity::High, "Message broker disks have headroom")
            .description(
                "A broker disk this full leaves little room for a backlog. When RabbitMQ reaches its \
                 free-disk limit it blocks every publishing connection cluster-wide; Kafka brokers \
                 that fill their log directory go offline.",
            )
            .remediation(
                "Drain or bound the backlogs that fill the disk, grow the volume, and alert on broker \
                 disk use above 70 %; set the RabbitMQ disk_free_limit relative to memory.",
            )
            .reference("https://www.rabbitmq.com/docs/disk-alarms")
            .reference("https://kafka.apache.org/documentation/#brokerconfigs_log.retention.bytes"),
    )
    .rule(
        RuleSpec::new(NETWORK_SATURATION, Severity::Medium, "Network links have headroom")
            .description(
                "Past this share of provisioned bandwidth, bursts queue in the network: latency and \
                 timeouts rise for every flow on the link, and replication or redeliveries add more \
                 traffic on top.",
            )
            .remediation(
                "Enable compression for large payloads, spread traffic over more instances or links, \
                 or provision more bandwidth; alert on use above 60 % of capacity.",
            )
            .reference("https://prometheus.io/docs/guides/node-exporter/"),
    )
    .rule(
        RuleSpec::new(DB_CONNECTIONS, Severity::High, "PostgreSQL has free connections")
            .description(
                "When the connections in use approach max_connections, the next pool to grow or the \
                 next instance to start is refused (`too many clients already`), and every integration \
                 writing to that server fails at once.",
            )
            .remediation(
                "Reduce pool sizes so their sum stays below max_connections with headroom, put a \
                 connection pooler (PgBouncer) in front, or raise max_connections with the memory to \
                 match; alert on use above 70 %.",
            )
            .reference("https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS")
            .reference(
                "https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW",
            ),
    )
}

fn params(info: Info) -> Info {
    info.param(
        "max-concurrency",
        64_i64,
        "Largest accepted listener/worker concurrency or pool size; 0, negative and `unbounded`/`unlimited` always fail.",
    )
    .param(
        "concurrency-key-suffixes",
        ["max-concurrency", "max.concurrency", "maxconcurrency", "max-pool-size", "max-threads", "concurrency"],
        "Endings of config keys (case-insensitive; `.`, `_` and `-` are treated alike) that set listener or worker concurrency.",
    )
    .param(
        "growth-minutes",
        10_i64,
        "Minutes a queue's depth must rise at every sample before it counts as growing (seed: sustained growth over 10 minutes).",
    )
    .param(
        "min-samples",
        3_i64,
        "Fewest samples needed to judge a depth history or a consumer group's lag history; fewer gives a note.",
    )
    .param(
        "window-hours",
        24_i64,
        "Observation window, in hours, over which a queue must drain at least once (seed: the last 24 hours).",
    )
    .param(
        "history-coverage",
        0.9_f64,
        "Share of `window-hours` a depth history must span before `queue-not-draining` judges it (0..1).",
    )
    .param(
        "drain-threshold",
        10_i64,
        "Depth (messages) at or below which a queue counts as drained; a busy queue sampled at an instant still holds a few in-flight messages.",
    )
    .param(
        "throttle-rate",
        0.01_f64,
        "Highest accepted share of downstream calls answered 429 or 503 (max over the window; seed error threshold 1 %).",
    )
    .param(
        "sustain-samples",
        2_i64,
        "Number of most recent samples that must all exceed the CPU threshold for it to count as sustained.",
    )
    .param("max-cpu-utilisation", 0.80_f64, "CPU utilisation (0..1) above which a service is saturated (module: > 80 % sustained).")
    .param("max-memory-utilisation", 0.85_f64, "Memory utilisation (0..1) above which a service is under pressure (module: > 85 %).")
    .param("max-db-pool-utilisation", 0.70_f64, "Database connection pool utilisation (0..1) above which it is near exhaustion (module: > 70 %).")
    .param("max-broker-disk-utilisation", 0.70_f64, "Message broker disk use (0..1) above which it is flagged (module: > 70 %).")
    .param("max-network-utilisation", 0.60_f64, "Share (0..1) of provisioned network bandwidth above which a link is saturated (module: > 60 %).")
    .param(
        "max-db-connections-utilisation",
        0.70_f64,
        "Share (0..1) of PostgreSQL max_connections in use above which it is flagged (module's DB pool threshold, 70 %).",
    )
}
