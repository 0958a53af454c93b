//! SQS side of `backpressure/visibility-timeout`: queues whose visibility timeout is shorter than
//! the p99 processing time observed over the window (signal `processing-seconds-p99`, series
//! labelled `queue` = the queue, or `integration` = an integration listing `sqs-queue:<name>`).
//!
//! An integration's processing time is not applied to its dead-letter queue (a queue that other
//! queues' redrive policies point to, or named like one): nobody processes those at that pace.

use plumbline_sdk::prelude::*;

use crate::processing::Processing;
use crate::{PROCESSING_P99, VISIBILITY_TIMEOUT, num};

fn is_dead_letter(queue: &SqsQueue) -> bool {
    !queue.dead_letter_sources.is_empty() || looks_like_dead_letter(&queue.name)
}

pub fn audit_visibility(audit: &mut Audit<'_>, accounts: &[SqsAccount], processing: &Processing<'_>) {
    let mut unknown = Vec::new();
    for account in accounts {
        for queue in &account.queues {
            audit.evaluated(1);
            let Some((p99, series)) = processing.for_sqs_queue(&queue.name, is_dead_letter(queue)) else {
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
