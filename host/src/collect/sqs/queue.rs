//! From `GetQueueAttributes` to an [`SqsQueue`]: typed fields, the parsed `RedrivePolicy`, and
//! the dead-letter sources computed across the account.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::contract::estate::SqsQueue;

/// SQS defaults, used when the service leaves an attribute out.
const DEFAULT_VISIBILITY_TIMEOUT: u32 = 30;
const DEFAULT_RETENTION: u32 = 345_600;

/// The queue's name: the last path segment of its URL.
pub(super) fn name_from_url(url: &str) -> String {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url).to_string()
}

/// Builds the record from the attributes as returned. Returns notes about attributes that were
/// present but could not be understood (the queue is still recorded, with defaults).
pub(super) fn from_attributes(name: &str, url: &str, attributes: BTreeMap<String, String>) -> (SqsQueue, Vec<String>) {
    let mut notes = Vec::new();
    let get = |key: &str| attributes.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut number = |key: &str| -> Option<u64> {
        let text = get(key)?;
        let parsed = text.parse::<u64>().ok();
        if parsed.is_none() {
            notes.push(format!("queue `{name}`: {key} `{text}` is not a number"));
        }
        parsed
    };
    let visibility = number("VisibilityTimeout");
    let retention = number("MessageRetentionPeriod");
    let visible = number("ApproximateNumberOfMessages");
    let in_flight = number("ApproximateNumberOfMessagesNotVisible");
    let delayed = number("ApproximateNumberOfMessagesDelayed");
    let flag = |key: &str| get(key).is_some_and(|v| v.eq_ignore_ascii_case("true"));

    let (dead_letter_target_arn, max_receive_count) = match get("RedrivePolicy") {
        Some(text) => match parse_redrive(text) {
            Ok(redrive) => redrive,
            Err(reason) => {
                notes.push(format!("queue `{name}`: RedrivePolicy not understood ({reason})"));
                (None, None)
            }
        },
        None => (None, None),
    };

    let queue = SqsQueue {
        name: name.to_string(),
        url: url.to_string(),
        arn: get("QueueArn").unwrap_or_default().to_string(),
        fifo: flag("FifoQueue") || name.ends_with(".fifo"),
        visibility_timeout_seconds: visibility.map_or(DEFAULT_VISIBILITY_TIMEOUT, saturate),
        message_retention_seconds: retention.map_or(DEFAULT_RETENTION, saturate),
        dead_letter_target_arn,
        max_receive_count,
        dead_letter_sources: Vec::new(),
        kms_master_key_id: get("KmsMasterKeyId").map(str::to_string),
        sqs_managed_sse: flag("SqsManagedSseEnabled"),
        policy: get("Policy").map(str::to_string),
        messages_visible: visible.unwrap_or(0),
        messages_in_flight: in_flight.unwrap_or(0),
        messages_delayed: delayed.unwrap_or(0),
        attributes: attributes.into_iter().collect(),
    };
    (queue, notes)
}

fn saturate(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// `{"deadLetterTargetArn": "...", "maxReceiveCount": 5}` (the count may be a string).
pub(super) fn parse_redrive(text: &str) -> Result<(Option<String>, Option<u32>), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let target = match object.get("deadLetterTargetArn") {
        None | Some(Value::Null) => None,
        Some(Value::String(arn)) if !arn.trim().is_empty() => Some(arn.trim().to_string()),
        Some(other) => return Err(format!("deadLetterTargetArn is {other}")),
    };
    let count = match object.get("maxReceiveCount") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or(format!("maxReceiveCount {n} is not a count"))?),
        Some(Value::String(s)) => {
            Some(s.trim().parse::<u64>().map_err(|_| format!("maxReceiveCount `{s}` is not a count"))?)
        }
        Some(other) => return Err(format!("maxReceiveCount is {other}")),
    };
    Ok((target, count.map(saturate)))
}

/// Fills every queue's `dead_letter_sources`: the names of the queues whose `RedrivePolicy`
/// targets its ARN, sorted.
pub(super) fn link_dead_letter_sources(queues: &mut [SqsQueue]) {
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for queue in queues.iter() {
        if let Some(target) = &queue.dead_letter_target_arn {
            sources.entry(target.clone()).or_default().push(queue.name.clone());
        }
    }
    for queue in queues.iter_mut() {
        if queue.arn.is_empty() {
            continue;
        }
        if let Some(names) = sources.get(&queue.arn) {
            let mut names = names.clone();
            names.sort();
            names.dedup();
            queue.dead_letter_sources = names;
        }
    }
}
