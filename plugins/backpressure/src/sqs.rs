//! SQS side of `backpressure/visibility-timeout`: queues whose visibility timeout is shorter than
//! the p99 processing time observed over the window (signal `processing-seconds-p99`, series
//! labelled `queue` = the queue, or `integration` = an integration listing `sqs-queue:<name>`).
//!
//! An integration's processing time is not applied to its dead-letter queue (a queue that other
//! queues' redrive policies point to, or named like one): nobody processes those at that pace.

use plumbline_sdk::prelude::*;

use crate::{PROCESSING_P99, VISIBILITY_TIMEOUT, integrations_using, num, series_id};

fn is_dead_letter(queue: &SqsQueue) -> bool {
    !queue.dead_letter_sources.is_empty() || looks_like_dead_letter(&queue.name)
}

/// Largest p99 over the window for `queue`, with the series id it came from.
fn processing_seconds(
    queue: &SqsQueue,
    servers: &[PrometheusServer],
    registry: &[Integration],
) -> Option<(f64, String)> {
    let integrations: Vec<&str> = if is_dead_letter(queue) {
        Vec::new()
    } else {
        integrations_using(registry, "sqs-queue", &queue.name).map(|i| i.id.as_str()).collect()
    };
    series(servers, PROCESSING_P99)
        .filter(|(_, s)| match s.label("queue") {
            Some(name) => name == queue.name,
            None => s.label("integration").is_some_and(|i| integrations.contains(&i)),
        })
        .filter_map(|(_, s)| s.max().map(|m| (m, series_id(PROCESSING_P99, s))))
        .fold(None, |best: Option<(f64, String)>, (m, id)| match best {
            Some((b, _)) if b >= m => best,
            _ => Some((m, id)),
        })
}

pub fn audit_visibility(
    audit: &mut Audit<'_>,
    accounts: &[SqsAccount],
    servers: &[PrometheusServer],
    registry: &[Integration],
) {
    let mut unknown = Vec::new();
    for account in accounts {
        for queue in &account.queues {
            audit.evaluated(1);
            let Some((p99, series)) = processing_seconds(queue, servers, registry) else {
                if !is_dead_letter(queue) {
                    unknown.push(format!("`{}`", queue.name));
                }
                continue;
            };
            let timeout = f64::from(queue.visibility_timeout_seconds);
            if timeout >= p99 {
                continue;
            }
            let mut evidence = vec![
                ("queue".to_string(), queue.name.clone()),
                ("visibility_timeout_seconds".to_string(), queue.visibility_timeout_seconds.to_string()),
                ("processing_seconds_p99_max".to_string(), num(p99)),
                ("signal_series".to_string(), series),
            ];
            if let Some(count) = queue.max_receive_count {
                evidence.push(("max_receive_count".into(), count.to_string()));
            }
            audit.finding(
                VISIBILITY_TIMEOUT,
                Subject::new(&account.source, "queue", &queue.name),
                format!(
                    "SQS queue `{}` hides a received message for {} s, but processing takes up to {} s (p99, max over the window): slow messages reappear and are processed twice, or dead-lettered after maxReceiveCount.",
                    queue.name,
                    queue.visibility_timeout_seconds,
                    num(p99)
                ),
                evidence,
            );
        }
    }
    if !unknown.is_empty() {
        audit.note(format!(
            "visibility-timeout: no `{PROCESSING_P99}` series for SQS queue(s) {} (by label queue or a registry integration listing the queue); not judged.",
            unknown.join(", ")
        ));
    }
}
