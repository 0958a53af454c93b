//! The `processing-seconds-p99` series, indexed once per run by the labels `poll-interval-risk`
//! ([`crate::kafka`]) and `visibility-timeout` ([`crate::sqs`]) match them on: `group`,
//! `consumer_group`, `queue` and `integration` (an integration matched through the registry
//! resources it lists).
//!
//! A lookup returns the series' positions in the order [`series`] yields them, so the largest p99
//! is picked exactly as a scan over all series would pick it: the first of equal maxima wins.

use plumbline_sdk::index::{Index, RegistryIndex};
use plumbline_sdk::prelude::*;

use crate::{PROCESSING_P99, series_id};

pub struct Processing<'a> {
    /// Every series of the signal, across servers, in [`series`] order.
    all: Vec<&'a Series>,
    /// Positions in `all` by (label, value), for the labels below.
    by_label: Index<(&'static str, &'a str), usize>,
    /// Positions in `all` of series without a `queue` label, by their `integration` label.
    by_integration_without_queue: Index<&'a str, usize>,
    registry: RegistryIndex<'a>,
}

const LABELS: [&str; 4] = ["group", "consumer_group", "queue", "integration"];

impl<'a> Processing<'a> {
    pub fn new(servers: &'a [PrometheusServer], registry: &'a [Integration]) -> Self {
        let all: Vec<&Series> = series(servers, PROCESSING_P99).map(|(_, s)| s).collect();
        let mut by_label = Index::new();
        let mut by_integration_without_queue = Index::new();
        for (at, s) in all.iter().enumerate() {
            for label in LABELS {
                if let Some(value) = s.label(label) {
                    by_label.insert((label, value), at);
                }
            }
            if s.label("queue").is_none()
                && let Some(integration) = s.label("integration")
            {
                by_integration_without_queue.insert(integration, at);
            }
        }
        Processing { all, by_label, by_integration_without_queue, registry: RegistryIndex::new(registry) }
    }

    /// The largest p99 over the window (seconds) of consumer group `group`, and the series it
    /// came from: series labelled `group` or `consumer_group` = the group, or `integration` = an
    /// integration that lists `consumer-group:<group>`.
    pub fn for_group(&self, group: &str) -> Option<(f64, String)> {
        let mut positions: Vec<usize> = Vec::new();
        positions.extend(self.by_label.get(&("group", group)));
        positions.extend(self.by_label.get(&("consumer_group", group)));
        for integration in self.registry.using("consumer-group", group) {
            positions.extend(self.by_label.get(&("integration", integration.id.as_str())));
        }
        self.largest(positions)
    }

    /// The largest p99 over the window (seconds) for SQS queue `name`, and the series it came
    /// from: series labelled `queue` = the queue or, for series without a `queue` label and unless
    /// the queue is a dead-letter queue, `integration` = an integration that lists
    /// `sqs-queue:<name>`.
    pub fn for_sqs_queue(&self, name: &str, dead_letter: bool) -> Option<(f64, String)> {
        let mut positions: Vec<usize> = self.by_label.get(&("queue", name)).to_vec();
        if !dead_letter {
            for integration in self.registry.using("sqs-queue", name) {
                positions.extend(self.by_integration_without_queue.get(integration.id.as_str()));
            }
        }
        self.largest(positions)
    }

    /// The first of the largest maxima among the series at `positions`, in series order.
    fn largest(&self, mut positions: Vec<usize>) -> Option<(f64, String)> {
        positions.sort_unstable();
        positions.dedup();
        let best = positions.into_iter().filter_map(|at| self.all[at].max().map(|m| (m, at))).fold(
            None,
            |best: Option<(f64, usize)>, (m, at)| match best {
                Some((b, _)) if b >= m => best,
                _ => Some((m, at)),
            },
        );
        best.map(|(m, at)| (m, series_id(PROCESSING_P99, self.all[at])))
    }
}
