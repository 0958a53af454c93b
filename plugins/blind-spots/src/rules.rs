//! What `blind-spots` says about itself: question, sections, rules (why each matters, how to fix
//! it, vendor references) and parameters, with the seed's numbers as defaults.

use plumbline_sdk::prelude::*;

use crate::alerts::{CAPACITY, HEALTH};
use crate::*;

const ALERTING_RULES: &str = "https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/";
const ALERTING_PRACTICES: &str = "https://prometheus.io/docs/practices/alerting/";
const FUNCTIONS: &str = "https://prometheus.io/docs/prometheus/latest/querying/functions/";

pub fn info() -> Info {
    let mut info = Info::new(
        "blind-spots",
        "Monitoring blind spots",
        "Are your monitoring dashboards actually telling you when something is wrong?",
    )
    .version(env!("CARGO_PKG_VERSION"))
    .reads(Section::Prometheus)
    .reads(Section::Registry)
    .reads(Section::Rabbitmq)
    .reads(Section::Kafka)
    .reads(Section::Sqs)
    .reads(Section::ConfigFiles)
    .rule(
        RuleSpec::new(MISSING_HEALTH_ALERT, Severity::Medium, "Every seed health metric has an alert")
            .description(
                "A dashboard only helps when somebody looks at it. Without an alerting rule on \
                 heartbeat/absence, throughput deviation, error rate, DLQ depth, latency, queue \
                 growth, event balance, unacknowledged messages and retry rate, an integration can \
                 stall or shed messages for hours before a customer notices.",
            )
            .remediation(
                "Add a Prometheus alerting rule per missing metric at the seed threshold: \
                 `absent()`/`time() - last_message_timestamp > window` for heartbeats, \
                 `abs(rate / baseline - 1) > 0.3` for throughput, error ratio > 0.01, DLQ depth > 0, \
                 p99 > 2 x baseline, `deriv(depth[10m]) > 0` for growth, |1 - consumed/produced| > \
                 0.01, unacked above a static limit and retry ratio > 0.01. Route them to the owning \
                 team.",
            )
            .reference(ALERTING_RULES)
            .reference(ALERTING_PRACTICES)
            .reference(FUNCTIONS),
    )
    .rule(
        RuleSpec::new(MISSING_CAPACITY_ALERT, Severity::Medium, "Every seed capacity metric has an alert")
            .description(
                "Capacity limits are reached gradually and then all at once: a full broker disk \
                 blocks every publisher, an exhausted connection pool stalls every consumer. \
                 Without an alert on CPU, memory, DB pool, broker disk and network the first sign \
                 is the outage.",
            )
            .remediation(
                "Alert on CPU > 80 % sustained, memory > 85 %, DB connection pool > 70 %, broker \
                 disk > 70 % and network > 60 % of provisioned bandwidth, with a `for` long enough \
                 to ignore spikes.",
            )
            .reference(ALERTING_RULES)
            .reference("https://www.rabbitmq.com/docs/disk-alarms")
            .reference("https://prometheus.io/docs/guides/node-exporter/"),
    )
    .rule(
        RuleSpec::new(LENIENT_ERROR_ALERT, Severity::Medium, "Error-rate alerts fire at 1 %")
            .description(
                "An error-rate alert with a high threshold stays quiet while a steady fraction of \
                 messages fails: at 10,000 events a second, 4 % is 400 lost or dead-lettered events \
                 every second without a page.",
            )
            .remediation(
                "Lower the threshold to the seed's 1 % (or add a second, stricter warning-level \
                 rule next to the paging one) and give it a `for` of a few minutes.",
            )
            .reference(ALERTING_RULES)
            .reference(ALERTING_PRACTICES),
    )
    .rule(
        RuleSpec::new(ERROR_RATE, Severity::High, "Integration error rates stay below 1 %")
            .description(
                "Failing messages are retried, dead-lettered or dropped. Above 1 % the failures are \
                 no longer noise: a downstream dependency, a data-quality issue or a code defect is \
                 hitting a real share of the traffic.",
            )
            .remediation(
                "Find the failing messages by correlation id, classify the cause (transient, data \
                 quality, configuration, code) and fix it at the source; then replay what was \
                 dead-lettered.",
            )
            .reference(ALERTING_PRACTICES)
            .reference("https://www.rabbitmq.com/docs/monitoring"),
    )
    .rule(
        RuleSpec::new(THROUGHPUT_DEVIATION, Severity::Medium, "Throughput stays within 30 % of its baseline")
            .description(
                "A drop of more than 30 % against the same time last week means messages are not \
                 arriving or not being processed; a jump means a retry storm or a runaway producer. \
                 Either way nothing is red on a dashboard that shows only the current rate.",
            )
            .remediation(
                "Compare producer and consumer rates for the integration, check for stopped \
                 consumers, blocked publishers or an upstream change, and add a throughput-vs-\
                 baseline alert.",
            )
            .reference(FUNCTIONS)
            .reference(ALERTING_PRACTICES),
    )
    .rule(
        RuleSpec::new(EVENT_IMBALANCE, Severity::High, "Events produced are events consumed")
            .description(
                "When the count of events consumed falls more than 1 % behind the count produced, \
                 events are being lost between producer and consumer (or duplicated when it is \
                 ahead). Aggregate success rates hide this.",
            )
            .remediation(
                "Trace a sample of the missing events end to end to find where they stop (broker, \
                 consumer filter, silent exception), fix it, and alert on |1 - consumed/produced| > \
                 1 %.",
            )
            .reference("https://opentelemetry.io/docs/concepts/signals/traces/")
            .reference(ALERTING_RULES),
    )
    .rule(
        RuleSpec::new(EVENT_BALANCE_UNMEASURED, Severity::Medium, "Event balance is measured")
            .description(
                "Without counters of events produced and events consumed per integration, data \
                 loss between the two ends is invisible: every component can look healthy while \
                 events disappear in between. Each active broker integration without the pair is \
                 reported (with `balance-per-integration = false`, only a server that measures \
                 no pair at all).",
            )
            .remediation(
                "Count events published and events processed to completion per integration (e.g. \
                 `integration_events_produced_total`, `integration_events_consumed_total`) and \
                 chart and alert on their ratio.",
            )
            .reference("https://prometheus.io/docs/concepts/metric_types/")
            .reference("https://prometheus.io/docs/practices/instrumentation/"),
    )
    .rule(
        RuleSpec::new(TARGET_DOWN, Severity::High, "Prometheus can scrape every target")
            .description(
                "When a target is down its series stop; alerts built on them evaluate to nothing \
                 and therefore never fire. The service may be failing or merely unobserved — either \
                 way nobody can tell.",
            )
            .remediation(
                "Fix the scrape (endpoint, network, timeout, credentials) or the service, and alert \
                 on `up == 0` so a silent target pages someone.",
            )
            .reference("https://prometheus.io/docs/concepts/jobs_instances/")
            .reference("https://prometheus.io/docs/prometheus/latest/querying/api/#targets"),
    )
    .rule(
        RuleSpec::new(NO_TRACING, Severity::Medium, "Events can be traced end to end")
            .description(
                "Metrics aggregate: a failure that hits one region, tenant or message type is \
                 buried in the average. Without distributed tracing there is no way to follow a \
                 single event from producer to the last consumer and see where it stopped.",
            )
            .remediation(
                "Instrument producers and consumers with OpenTelemetry, propagate the trace context \
                 in message headers, sample at least 1 % of events and export to a tracing backend \
                 (Jaeger, Zipkin, Tempo, X-Ray).",
            )
            .reference("https://opentelemetry.io/docs/concepts/signals/traces/")
            .reference("https://opentelemetry.io/docs/concepts/context-propagation/")
            .reference("https://docs.spring.io/spring-boot/reference/actuator/tracing.html"),
    )
    .rule(
        RuleSpec::new(UNUSED_INTEGRATION, Severity::Low, "Integrations idle for 90 days are retired")
            .description(
                "An integration that has carried no messages for months is either dead or broken. \
                 Left in place it keeps credentials, queues and consumers alive, and nobody will \
                 notice when it is needed and fails.",
            )
            .remediation(
                "Confirm with the owner whether it is still needed; if not, mark it deprecated, \
                 remove its queues, consumers and credentials and its registry entry; if it is, \
                 give it an owner and a heartbeat alert.",
            )
            .reference("https://www.rabbitmq.com/docs/queues")
            .reference(ALERTING_PRACTICES),
    )
    .rule(
        RuleSpec::new(HEARTBEAT_UNMEASURED, Severity::Low, "Every active integration has a heartbeat")
            .description(
                "The seed's first health metric is the heartbeat: is the integration running? An \
                 active integration without a last-activity series cannot be alerted on when it \
                 stops.",
            )
            .remediation(
                "Expose a last-message timestamp (e.g. `integration_last_message_timestamp_seconds`) \
                 per integration and alert when it is older than the expected window.",
            )
            .reference("https://prometheus.io/docs/practices/instrumentation/")
            .reference(FUNCTIONS),
    )
    .rule(
        RuleSpec::new(UNREGISTERED_RESOURCE, Severity::Medium, "Every live queue, topic and group is registered")
            .description(
                "A queue, topic or consumer group that no registry entry lists has no owner on \
                 record, no documented purpose and usually no monitoring; it is the integration \
                 most likely to be broken by an unrelated change.",
            )
            .remediation(
                "Add the integration that uses it to the registry (owner, transport, resources, \
                 delivery, SLA) or, if nothing uses it any more, delete it.",
            )
            .reference("https://www.rabbitmq.com/docs/queues")
            .reference("https://kafka.apache.org/documentation/#basic_ops_consumer_group")
            .reference(
                "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-tags.html",
            ),
    )
    .rule(
        RuleSpec::new(ORPHANED_REGISTRY_ENTRY, Severity::Low, "Registry resources exist")
            .description(
                "A registry entry pointing at a queue, topic, group or SQS queue that does not \
                 exist is stale: the integration was moved, renamed or never deployed, and the \
                 registry can no longer be trusted in an incident.",
            )
            .remediation(
                "Correct the resource names in the registry entry, or retire the entry if the \
                 integration is gone.",
            )
            .reference("https://www.rabbitmq.com/docs/queues")
            .reference("https://kafka.apache.org/documentation/#basic_ops_consumer_group"),
    );
    for metric in HEALTH.iter().chain(CAPACITY.iter()) {
        let description = format!(
            "Case-insensitive substrings of an alert's name or expression that show it watches {}; an empty list drops the requirement.",
            metric.what
        );
        info = info.param(metric.param, metric.defaults, &description);
    }
    info.param(
        "error-rate",
        0.01,
        "Highest acceptable error ratio (0..1), for the error-rate signal and error-rate alert thresholds.",
    )
    .param(
        "throughput-deviation",
        0.30,
        "Largest accepted deviation of throughput from its baseline, as a ratio (0.30 = 30 %).",
    )
    .param(
        "event-balance",
        0.01,
        "Largest accepted divergence of events consumed from events produced, relative to produced.",
    )
    .param(
        "balance-transports",
        ["kafka", "rabbitmq", "sqs"],
        "Registry transports whose integrations should have an events-produced/events-consumed pair.",
    )
    .param(
        "balance-per-integration",
        true,
        "Report every active broker integration without an events-produced/events-consumed pair (default); false reports only a server that measures no pair at all, and otherwise leaves a note.",
    )
    .param(
        "tracing-config-keys",
        [
            "otel.*",
            "otel_*",
            "management.tracing.*",
            "management.otlp.tracing.*",
            "opentelemetry*",
            "spring.sleuth.*",
            "*jaeger*",
            "*zipkin*",
        ],
        "Config keys (globs, `*` = anything) that show an application exports traces.",
    )
    .param("unused-days", 90_i64, "Days without any message after which an integration counts as unused.")
    .param(
        "ignore-resources",
        [] as [&str; 0],
        "Queue, topic, consumer group or SQS queue names (globs) that need no registry entry.",
    )
}
