//! SQS side of `security`: queue access policies open to everyone (`sqs-public-policy`) or
//! granting every action (`sqs-wildcard-action`), queues without server-side encryption
//! (`sqs-unencrypted`), and queues that do not refuse plain-HTTP requests
//! (`sqs-insecure-transport`, also raised for an account whose endpoint is `http://`).
//!
//! Only `Allow` statements grant access: a `Deny` to `Principal: "*"` (such as the usual
//! "deny unless aws:SecureTransport") is a restriction, never an opening. A queue without any
//! policy has no Deny on insecure transport either.

use plumbline_sdk::prelude::*;
use serde_json::Value;

use crate::{SQS_PUBLIC, SQS_TRANSPORT, SQS_UNENCRYPTED, SQS_WILDCARD};

pub fn audit(audit: &mut Audit<'_>, accounts: &[SqsAccount]) {
    for account in accounts {
        audit.evaluated(1);
        if account.endpoint.trim().to_ascii_lowercase().starts_with("http://") {
            audit.finding(
                SQS_TRANSPORT,
                Subject::new(&account.source, "endpoint", &account.endpoint),
                format!(
                    "SQS account `{}` ({}) is reached over `{}`: requests and message bodies travel unencrypted. Use the https:// endpoint.",
                    account.source, account.region, account.endpoint
                ),
                [
                    ("endpoint", account.endpoint.clone()),
                    ("region", account.region.clone()),
                ],
            );
        }
        for queue in &account.queues {
            audit.evaluated(1);
            encryption(audit, account, queue);
            policy(audit, account, queue);
        }
    }
}

fn subject(account: &SqsAccount, queue: &SqsQueue) -> Subject {
    Subject::new(&account.source, "sqs-queue", &queue.name)
}

fn encryption(audit: &mut Audit<'_>, account: &SqsAccount, queue: &SqsQueue) {
    let kms = queue.kms_master_key_id.as_deref().is_some_and(|k| !k.trim().is_empty());
    if kms || queue.sqs_managed_sse {
        return;
    }
    audit.finding(
        SQS_UNENCRYPTED,
        subject(account, queue),
        format!(
            "SQS queue `{}` has no server-side encryption (no KMS key, SSE-SQS off): its messages are stored without queue-level encryption. Enable SSE-SQS or SSE-KMS.",
            queue.name
        ),
        [
            ("queue", queue.name.clone()),
            ("arn", queue.arn.clone()),
            ("kms_master_key_id", "none".to_string()),
            ("sqs_managed_sse", "false".to_string()),
        ],
    );
}

/// A JSON value that is a string or a list of strings, as strings.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// True when a `Principal` is everyone: `"*"`, `{"AWS": "*"}` or a list containing `"*"`.
fn everyone(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::Object(map)) => map.values().any(|v| strings(Some(v)).iter().any(|s| s == "*")),
        other => strings(other).iter().any(|s| s == "*"),
    }
}

fn has_condition(statement: &Value) -> bool {
    statement.get("Condition").and_then(Value::as_object).is_some_and(|c| !c.is_empty())
}

fn field<'a>(statement: &'a Value, key: &str) -> Option<&'a Value> {
    statement.get(key)
}

fn effect(statement: &Value) -> String {
    field(statement, "Effect").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase()
}

fn sid(statement: &Value, index: usize) -> String {
    field(statement, "Sid").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("#{}", index + 1))
}

/// A Deny whose Condition refuses requests with `aws:SecureTransport` false.
fn denies_insecure_transport(statement: &Value) -> bool {
    if effect(statement) != "deny" {
        return false;
    }
    let Some(condition) = statement.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    condition
        .iter()
        .filter(|(operator, _)| operator.to_ascii_lowercase().starts_with("bool"))
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter())
        .any(|(key, value)| {
            key.eq_ignore_ascii_case("aws:SecureTransport")
                && match value {
                    Value::Bool(b) => !b,
                    other => strings(Some(other)).iter().any(|s| s.eq_ignore_ascii_case("false")),
                }
        })
}

/// An Allow statement, as the messages and evidence show it.
#[derive(Clone)]
struct Grant {
    sid: String,
    principal: String,
    actions: String,
}

/// "`sqs:*` to Principal "*" (statement `AllowAll`)", joined with "; ".
fn describe(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("`{}` to Principal {} (statement `{}`)", g.actions, g.principal, g.sid))
        .collect::<Vec<_>>()
        .join("; ")
}

fn evidence(queue: &SqsQueue, grants: &[Grant]) -> Vec<(String, String)> {
    let mut evidence = vec![("queue".to_string(), queue.name.clone()), ("arn".to_string(), queue.arn.clone())];
    for g in grants {
        evidence.push(("statement".to_string(), format!("{}: Allow {} to {}", g.sid, g.actions, g.principal)));
    }
    evidence
}

fn policy(audit: &mut Audit<'_>, account: &SqsAccount, queue: &SqsQueue) {
    let text = queue.policy.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let statements: Vec<Value> = match text.map(serde_json::from_str::<Value>) {
        None => Vec::new(),
        Some(Ok(doc)) => match doc.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(single @ Value::Object(_)) => vec![single.clone()],
            _ => Vec::new(),
        },
        Some(Err(err)) => {
            audit.note(format!(
                "sqs: policy of queue `{}` in `{}` is not valid JSON ({err}); not judged",
                queue.name, account.source
            ));
            return;
        }
    };

    // One finding per rule and queue, naming every offending statement.
    let mut public: Vec<Grant> = Vec::new();
    let mut wildcard: Vec<Grant> = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        if effect(statement) != "allow" {
            continue;
        }
        let actions = strings(field(statement, "Action"));
        let not_actions = strings(field(statement, "NotAction"));
        let grant = Grant {
            sid: sid(statement, index),
            principal: field(statement, "Principal")
                .or_else(|| field(statement, "NotPrincipal"))
                .map(Value::to_string)
                .unwrap_or_else(|| "none".into()),
            actions: if not_actions.is_empty() {
                actions.join(", ")
            } else {
                format!("all except {}", not_actions.join(", "))
            },
        };
        let open_principal = everyone(field(statement, "Principal")) || field(statement, "NotPrincipal").is_some();
        if open_principal && !has_condition(statement) {
            public.push(grant.clone());
        }
        if actions.iter().any(|a| a == "*" || a.eq_ignore_ascii_case("sqs:*")) || !not_actions.is_empty() {
            wildcard.push(grant);
        }
    }
    if !public.is_empty() {
        audit.finding(
            SQS_PUBLIC,
            subject(account, queue),
            format!(
                "The policy of SQS queue `{}` allows {} with no Condition: any AWS account can use the queue. Name the producer and consumer roles instead.",
                queue.name,
                describe(&public)
            ),
            evidence(queue, &public),
        );
    }
    if !wildcard.is_empty() {
        audit.finding(
            SQS_WILDCARD,
            subject(account, queue),
            format!(
                "The policy of SQS queue `{}` allows {}: that includes purging, deleting and re-permissioning the queue. Grant only the actions each principal needs.",
                queue.name,
                describe(&wildcard)
            ),
            evidence(queue, &wildcard),
        );
    }

    if !statements.iter().any(denies_insecure_transport) {
        audit.finding(
            SQS_TRANSPORT,
            subject(account, queue),
            format!(
                "SQS queue `{}` {}: a client on an http:// endpoint can send and receive messages unencrypted. Add a Deny for aws:SecureTransport = false.",
                queue.name,
                if text.is_none() {
                    "has no access policy, so nothing denies plain-HTTP requests"
                } else {
                    "has a policy without a Deny on aws:SecureTransport = false"
                }
            ),
            [
                ("queue", queue.name.clone()),
                ("arn", queue.arn.clone()),
                (
                    "policy",
                    if text.is_none() { "none" } else { "no SecureTransport deny" }.to_string(),
                ),
            ],
        );
    }
}
