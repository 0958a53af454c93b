//! SQS side of `dead-letters`: queues without a redrive policy, dead-letter queues holding
//! messages, and redrive policies that let a failing message be received too many times.
//!
//! A queue is a dead-letter queue when another queue's `RedrivePolicy` targets it
//! (`dead_letter_sources`, or a `dead_letter_target_arn` naming its ARN) or when its name, without
//! a `.fifo` suffix, matches `dlq-patterns`.

use std::collections::HashSet;

use plumbline_sdk::prelude::*;

use crate::{EXCESSIVE_RETRIES, MESSAGES_IN_DLQ, SQS_NO_REDRIVE, is_dead_letter_name};

/// Audits every account's queues; returns the dead-letter queues found, as `source name`.
pub fn audit(audit: &mut Audit<'_>, patterns: &[String]) -> Vec<String> {
    let max_dead = audit.params().i64("max-dead-letters");
    let max_receive = audit.params().i64("max-receive-count");
    let mut found = Vec::new();
    for account in audit.sqs() {
        // ARNs that some queue's redrive policy targets.
        let targets: HashSet<&str> =
            account.queues.iter().filter_map(|q| q.dead_letter_target_arn.as_deref()).collect();
        for queue in &account.queues {
            audit.evaluated(1);
            if is_dead_letter_queue(&targets, queue, patterns) {
                found.push(format!("{} {}", account.source, queue.name));
                check_depth(audit, &account, queue, max_dead);
                continue;
            }
            match (&queue.dead_letter_target_arn, queue.max_receive_count) {
                (None, _) => report_no_redrive(audit, &account, queue),
                (Some(target), Some(count)) if i64::from(count) > max_receive => {
                    report_receive_count(audit, &account, queue, target, count, max_receive)
                }
                _ => {}
            }
        }
    }
    found
}

/// `targets`: the dead-letter target ARNs of the account's redrive policies.
fn is_dead_letter_queue(targets: &HashSet<&str>, queue: &SqsQueue, patterns: &[String]) -> bool {
    let base = queue.name.strip_suffix(".fifo").unwrap_or(&queue.name);
    !queue.dead_letter_sources.is_empty() || is_dead_letter_name(base, patterns) || targets.contains(queue.arn.as_str())
}

fn report_no_redrive(audit: &mut Audit<'_>, account: &SqsAccount, queue: &SqsQueue) {
    audit.finding(
        SQS_NO_REDRIVE,
        Subject::new(&account.source, "queue", &queue.name),
        format!(
            "SQS queue `{}` has no redrive policy: a message consumers keep failing on is received \
             again until its retention ({} s) runs out and is then deleted without a trace.",
            queue.name, queue.message_retention_seconds
        ),
        [
            ("queue", queue.name.clone()),
            ("arn", queue.arn.clone()),
            ("region", account.region.clone()),
            ("dead_letter_target_arn", "none".to_string()),
            ("message_retention_seconds", queue.message_retention_seconds.to_string()),
        ],
    );
}

fn report_receive_count(
    audit: &mut Audit<'_>,
    account: &SqsAccount,
    queue: &SqsQueue,
    target: &str,
    count: u32,
    max_receive: i64,
) {
    audit.finding(
        EXCESSIVE_RETRIES,
        Subject::new(&account.source, "queue", &queue.name),
        format!(
            "SQS queue `{}` moves a failing message to its DLQ only after {count} receives (more \
             than {max_receive}): a poison message cycles for {count} visibility timeouts ({} s each) \
             before anyone can see it.",
            queue.name, queue.visibility_timeout_seconds
        ),
        [
            ("queue", queue.name.clone()),
            ("max_receive_count", count.to_string()),
            ("threshold", max_receive.to_string()),
            ("visibility_timeout_seconds", queue.visibility_timeout_seconds.to_string()),
            ("dead_letter_target_arn", target.to_string()),
        ],
    );
}

fn check_depth(audit: &mut Audit<'_>, account: &SqsAccount, queue: &SqsQueue, max_dead: i64) {
    let held = queue.messages_visible + queue.messages_in_flight;
    if i128::from(held) <= i128::from(max_dead) {
        return;
    }
    let sources =
        if queue.dead_letter_sources.is_empty() { "unknown".to_string() } else { queue.dead_letter_sources.join(", ") };
    audit.finding(
        MESSAGES_IN_DLQ,
        Subject::new(&account.source, "queue", &queue.name),
        format!(
            "SQS dead-letter queue `{}` holds {held} message(s) ({} visible, {} in flight; \
             threshold {max_dead}): failed messages are waiting for a fix and a redrive.",
            queue.name, queue.messages_visible, queue.messages_in_flight
        ),
        [
            ("queue", queue.name.clone()),
            ("messages_visible", queue.messages_visible.to_string()),
            ("messages_in_flight", queue.messages_in_flight.to_string()),
            ("messages_delayed", queue.messages_delayed.to_string()),
            ("max_dead_letters", max_dead.to_string()),
            ("dead_letter_sources", sources),
        ],
    );
}
