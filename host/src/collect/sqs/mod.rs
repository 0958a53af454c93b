//! SQS collector: owns the `[[sources.sqs]]` settings and reads one account/region/endpoint into
//! an [`SqsAccount`] record with aws-sdk-sqs, read-only.
//!
//! Only two API calls are made: `ListQueues` (paged with `MaxResults`/`NextToken`, optionally
//! limited to `queue-name-prefix`) and `GetQueueAttributes` with `All` for each queue, at most
//! `concurrency` at a time. Nothing is received, deleted, purged or changed.
//!
//! What is recorded per queue: name, URL, ARN, FIFO, visibility timeout, retention, the
//! `RedrivePolicy` target and `maxReceiveCount` (a number or a string), the KMS key and SSE-SQS,
//! the access policy (JSON text), the approximate depths (visible, in flight, delayed) and every
//! attribute as returned, sorted by key. `dead-letter-sources` of a queue are the names of the
//! queues read whose `RedrivePolicy` targets its ARN (so, with `queue-name-prefix`, only sources
//! matching the prefix). The account's `endpoint` is the URL requests went to (the override, or
//! the region's SQS endpoint); `region` the resolved region.
//!
//! Settings ([`client`] builds the client):
//! - `region`: default from the standard chain (`AWS_REGION`, the profile, instance metadata),
//!   else `us-east-1`;
//! - `endpoint-url`: an override such as `http://127.0.0.1:4566`; default the region's endpoint
//!   (or `AWS_ENDPOINT_URL[_SQS]`);
//! - credentials: `access-key-id` + `secret-access-key` (+ `session-token`), `${VAR}` expanded;
//!   else those of `profile` (only that profile, as `aws --profile` does); else the standard AWS
//!   chain (environment, shared files with `AWS_PROFILE`, web identity, ECS, instance metadata).
//!   They are resolved once before the first request;
//! - `request-timeout-seconds` bounds one API call, retries included (connecting: at most 3 s);
//!   `max-attempts` is the number of tries of a call.
//!
//! Errors: nothing answering `ListQueues` (refused, DNS, TLS, no answer in time) is
//! [`CollectError::Connect`]; refused credentials (`InvalidClientTokenId`,
//! `SignatureDoesNotMatch`, `AccessDenied`, `UnrecognizedClientException`, …) or no credentials
//! at all are [`CollectError::Auth`]; any other `ListQueues` failure is [`CollectError::Read`].
//! A queue whose attributes cannot be read is a `problems` entry (queues failing for the same
//! reason share one entry); a queue deleted since it was listed is left out. No message, span or
//! log carries the secret key or the session token.

mod client;
mod queue;

use std::collections::{BTreeMap, HashSet};

use futures::StreamExt;
use tracing::Instrument;

use super::{CollectError, Collected};
use crate::collect::secrets::scrub;
use crate::contract::estate::{SqsAccount, SqsQueue};
use client::{Failure, Target};

pub use super::settings::SqsSource;

impl SqsSource {
    fn validate(&self) -> Result<(), CollectError> {
        let range = |key: &str, value: u64, low: u64, high: u64| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(CollectError::Settings(format!("sources.sqs.{key}: {value} is outside {low}–{high}")))
            }
        };
        range("page-size", u64::from(self.page_size), 1, 1000)?;
        range("concurrency", self.concurrency as u64, 1, 64)?;
        range("request-timeout-seconds", self.request_timeout_seconds, 1, 300)?;
        range("max-attempts", u64::from(self.max_attempts), 1, 10)
    }
}

/// Reads one account. See the module documentation for what is read and how failures count.
pub async fn collect(source: &SqsSource) -> Result<Collected<SqsAccount>, CollectError> {
    source.validate()?;
    let target = client::connect(source).await?;
    let span = tracing::info_span!("sqs", region = %target.region, endpoint = %target.expected_endpoint);
    read_account(source, &target).instrument(span).await
}

async fn read_account(source: &SqsSource, target: &Target) -> Result<Collected<SqsAccount>, CollectError> {
    let urls = list_queues(source, target).await?;
    tracing::debug!(queues = urls.len(), "queues listed");

    let mut read: Vec<(String, Result<SqsQueue, Failure>, Vec<String>)> =
        futures::stream::iter(urls.into_iter().map(|url| read_queue(target, url)))
            .buffer_unordered(source.concurrency)
            .collect()
            .await;
    read.sort_by(|a, b| a.0.cmp(&b.0));

    let mut queues = Vec::new();
    let mut notes = Vec::new();
    let mut failed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, result, queue_notes) in read {
        notes.extend(queue_notes);
        match result {
            Ok(queue) => queues.push(queue),
            Err(Failure::Gone) => tracing::debug!(queue = %name, "queue deleted since it was listed"),
            Err(failure) => failed.entry(target.scrub(&failure.to_string())).or_default().push(name),
        }
    }
    queue::link_dead_letter_sources(&mut queues);

    let mut problems: Vec<String> = failed.into_iter().map(|(reason, names)| unread(&names, &reason)).collect();
    problems.extend(notes.iter().map(|n| target.scrub(n)));
    tracing::info!(queues = queues.len(), problems = problems.len(), "sqs read");
    let account =
        SqsAccount { source: source.name.clone(), region: target.region.clone(), endpoint: target.endpoint(), queues };
    Ok(Collected { data: account, problems })
}

/// Every queue URL, page by page.
async fn list_queues(source: &SqsSource, target: &Target) -> Result<Vec<String>, CollectError> {
    let mut urls = Vec::new();
    let mut tokens = HashSet::new();
    let mut next: Option<String> = None;
    loop {
        let page = target
            .client
            .list_queues()
            .max_results(i32::try_from(source.page_size).unwrap_or(1000))
            .set_queue_name_prefix(source.queue_name_prefix.clone())
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|err| client::source_error(target, client::classify(&err, target.request_timeout)))?;
        urls.extend(page.queue_urls().iter().cloned());
        match page.next_token().filter(|t| !t.is_empty()) {
            Some(token) if !tokens.insert(token.to_string()) => {
                return Err(CollectError::Read(format!(
                    "ListQueues on {}: the service repeated a page token",
                    target.endpoint()
                )));
            }
            Some(token) => next = Some(token.to_string()),
            None => break,
        }
    }
    urls.sort();
    urls.dedup();
    Ok(urls)
}

/// One queue's attributes: (name, the queue or why not, notes on attributes not understood).
async fn read_queue(target: &Target, url: String) -> (String, Result<SqsQueue, Failure>, Vec<String>) {
    let name = queue::name_from_url(&url);
    let response = target
        .client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await;
    match response {
        Ok(output) => {
            let attributes: BTreeMap<String, String> = output
                .attributes()
                .into_iter()
                .flatten()
                .map(|(key, value)| (key.as_str().to_string(), value.clone()))
                .collect();
            let (queue, notes) = queue::from_attributes(&name, &url, attributes);
            (name, Ok(queue), notes)
        }
        Err(err) => {
            let failure = client::classify(&err, target.request_timeout);
            tracing::debug!(queue = %name, "GetQueueAttributes failed: {}", target.scrub(&failure.to_string()));
            (name, Err(failure), Vec::new())
        }
    }
}

/// One problem for the queues that failed for the same reason (the first few named).
fn unread(names: &[String], reason: &str) -> String {
    const SHOWN: usize = 5;
    let mut listed = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        listed.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    let noun = if names.len() == 1 { "queue" } else { "queues" };
    format!("GetQueueAttributes failed for {} {noun} ({listed}): {reason}", names.len())
}

#[cfg(test)]
mod tests;
