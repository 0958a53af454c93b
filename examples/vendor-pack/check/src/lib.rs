//! `dlq-retention` — an example third-party check from the vendor "Acme Integrations", shipped
//! in a signed plugin pack (see ../README.md). It asks: **will a dead-lettered SQS message still
//! be there when someone looks at it?**
//!
//! Two rules:
//! - `dlq-retention/shorter-than-source`: a standard dead-letter queue keeps messages no longer
//!   than a queue that feeds it. SQS keeps a message's *original* enqueue timestamp when it moves
//!   it to a standard DLQ, so the message expires by the DLQ's retention counted from when it was
//!   first sent: a message that failed late in its life is deleted soon after it arrives. AWS
//!   recommends a DLQ retention longer than the source's. (A FIFO DLQ resets the timestamp.)
//! - `dlq-retention/shorter-than-review`: a dead-letter queue keeps messages for less than the
//!   review cadence (`min-retention-days`, default 7: the maintenance module's weekly DLQ
//!   review), so dead letters are deleted before anyone reviews them.
//!
//! A queue is a dead-letter queue when another queue's redrive policy targets it (by ARN in the
//! same account, or `dead_letter_sources`). An account without any is evaluated as nothing, so
//! the check ends in `skip`; an unreadable SQS section makes it `inconclusive`, never `pass`.

use plumbline_sdk::prelude::*;

pub struct DlqRetention;

pub const SHORTER_THAN_SOURCE: &str = "dlq-retention/shorter-than-source";
pub const SHORTER_THAN_REVIEW: &str = "dlq-retention/shorter-than-review";

const DAY: u32 = 86_400;

impl Check for DlqRetention {
    fn info() -> Info {
        Info::new(
            "dlq-retention",
            "Dead letters outlive their review",
            "Will a dead-lettered SQS message still be there when someone looks at it?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::Sqs)
        .rule(
            RuleSpec::new(SHORTER_THAN_SOURCE, Severity::High, "Standard DLQs keep messages longer than their sources")
                .description(
                    "SQS keeps a message's original enqueue timestamp when it moves it to a standard \
                     dead-letter queue, and deletes it once the DLQ's retention period has passed since \
                     that timestamp. With a DLQ retention no longer than the source queue's, a message \
                     that failed late in its life is deleted soon after it is dead-lettered, before \
                     anyone sees it.",
                )
                .remediation(
                    "Set the dead-letter queue's MessageRetentionPeriod longer than that of every queue \
                     that redrives into it; the maximum is 1209600 s (14 days): `aws sqs \
                     set-queue-attributes --queue-url <dlq> --attributes MessageRetentionPeriod=1209600`.",
                )
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"),
        )
        .rule(
            RuleSpec::new(SHORTER_THAN_REVIEW, Severity::Medium, "DLQs keep messages until the next review")
                .description(
                    "Dead letters are reviewed on a cadence (at least weekly, daily in production). A \
                     dead-letter queue that keeps messages for less than that cadence deletes failures \
                     before anyone has looked at them, and the root cause is lost with them.",
                )
                .remediation(
                    "Raise the DLQ's MessageRetentionPeriod to at least the review cadence (14 days is \
                     the SQS maximum and a safe default), and alert on DLQ depth so review does not \
                     depend on the cadence alone.",
                )
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html"),
        )
        .param(
            "min-retention-days",
            7_i64,
            "Shortest DLQ retention accepted, in days (seed: DLQs are reviewed at least weekly).",
        )
    }

    fn run(audit: &mut Audit<'_>) {
        let min_days = audit.params().i64("min-retention-days").max(0);
        let min_seconds = u32::try_from(min_days.saturating_mul(i64::from(DAY))).unwrap_or(u32::MAX);
        for account in audit.sqs() {
            for dlq in &account.queues {
                let sources = sources_of(&account, dlq);
                if sources.is_empty() {
                    continue;
                }
                audit.evaluated(1);
                if dlq.message_retention_seconds < min_seconds {
                    review(audit, &account, dlq, min_days);
                }
                if dlq.fifo {
                    continue;
                }
                for source in sources.iter().filter(|s| dlq.message_retention_seconds <= s.message_retention_seconds) {
                    shorter_than_source(audit, &account, dlq, source);
                }
            }
        }
    }
}

plumbline_sdk::export_check!(DlqRetention);

/// The queues of `account` whose redrive policy targets `dlq`.
fn sources_of<'a>(account: &'a SqsAccount, dlq: &SqsQueue) -> Vec<&'a SqsQueue> {
    account
        .queues
        .iter()
        .filter(|q| {
            q.dead_letter_target_arn.as_deref() == Some(dlq.arn.as_str()) || dlq.dead_letter_sources.contains(&q.url)
        })
        .collect()
}

fn days(seconds: u32) -> String {
    let days = f64::from(seconds) / f64::from(DAY);
    if days.fract() == 0.0 { format!("{days:.0} d") } else { format!("{days:.1} d") }
}

fn shorter_than_source(audit: &mut Audit<'_>, account: &SqsAccount, dlq: &SqsQueue, source: &SqsQueue) {
    audit.finding(
        SHORTER_THAN_SOURCE,
        Subject::new(&account.source, "queue", &dlq.name),
        format!(
            "Dead-letter queue `{}` keeps messages {} but its source `{}` keeps them {}: a message \
             dead-lettered late in its life is deleted from the DLQ soon after it arrives.",
            dlq.name,
            days(dlq.message_retention_seconds),
            source.name,
            days(source.message_retention_seconds)
        ),
        [
            ("dead_letter_queue", dlq.name.clone()),
            ("dlq_retention_seconds", dlq.message_retention_seconds.to_string()),
            ("source_queue", source.name.clone()),
            ("source_retention_seconds", source.message_retention_seconds.to_string()),
        ],
    );
}

fn review(audit: &mut Audit<'_>, account: &SqsAccount, dlq: &SqsQueue, min_days: i64) {
    audit.finding(
        SHORTER_THAN_REVIEW,
        Subject::new(&account.source, "queue", &dlq.name),
        format!(
            "Dead-letter queue `{}` keeps messages only {}, less than the {min_days}-day review cadence: \
             failures are deleted before anyone reviews them.",
            dlq.name,
            days(dlq.message_retention_seconds)
        ),
        [
            ("dead_letter_queue", dlq.name.clone()),
            ("dlq_retention_seconds", dlq.message_retention_seconds.to_string()),
            ("min_retention_days", min_days.to_string()),
        ],
    );
}

#[cfg(test)]
mod tests;
