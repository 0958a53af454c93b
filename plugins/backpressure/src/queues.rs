//! Queue backlogs: `backpressure/queue-growing` and `backpressure/queue-not-draining`.
//!
//! Depth comes from RabbitMQ's `depth_history` or, for queues without one, from the `queue-depth`
//! signal (series labelled `queue`, optionally `vhost`). A queue is judged once: a signal series
//! that matches a queue with a history is skipped.
//!
//! - Growing: the depth rose at every consecutive sample of the observed history, over at least
//!   `growth-minutes`, with at least `min-samples` samples, and ended higher than it started. The
//!   whole history is judged, like Burrow judges lag: with sparse samples a short rising run is
//!   just the daily peak.
//! - Not draining: the history spans at least `history-coverage` × `window-hours`, and its lowest
//!   depth stays above `drain-threshold`.
//!
//! Dead-letter queues are left to the `dead-letters` check: they are meant to accumulate.

use std::collections::HashSet;

use plumbline_sdk::index::{Index, dead_letter_bound};
use plumbline_sdk::prelude::*;

use crate::{QUEUE_DEPTH, QUEUE_GROWING, QUEUE_NOT_DRAINING, num};

/// One queue's depth over time, from wherever it came.
struct Depth<'a> {
    subject: Subject,
    name: String,
    origin: String,
    samples: &'a [Sample],
}

/// True for a queue that collects dead letters: named like one, or bound from an exchange that a
/// queue of the broker uses as its dead-letter exchange (`bound` = [`dead_letter_bound`] of the
/// queue's broker).
fn is_dead_letter(bound: &HashSet<(&str, &str)>, queue: &RabbitmqQueue) -> bool {
    looks_like_dead_letter(&queue.name) || bound.contains(&(queue.vhost.as_str(), queue.name.as_str()))
}

/// Collects every queue's depth series, once per queue, leaving dead-letter queues out.
fn collect<'a>(
    brokers: &'a [RabbitmqBroker],
    servers: &'a [PrometheusServer],
    skipped: &mut Vec<String>,
) -> Vec<Depth<'a>> {
    let bound: Vec<HashSet<(&str, &str)>> = brokers.iter().map(dead_letter_bound).collect();
    // Every queue, in broker and queue order, by name and by (vhost, name).
    let mut by_name: Index<&str, (usize, &RabbitmqQueue)> = Index::new();
    let mut by_path: Index<(&str, &str), (usize, &RabbitmqQueue)> = Index::new();
    for (at, broker) in brokers.iter().enumerate() {
        for queue in &broker.queues {
            by_name.insert(queue.name.as_str(), (at, queue));
            by_path.insert((queue.vhost.as_str(), queue.name.as_str()), (at, queue));
        }
    }
    let mut out = Vec::new();
    for (broker, bound) in brokers.iter().zip(&bound) {
        for queue in broker.queues.iter().filter(|q| !q.depth_history.is_empty()) {
            if is_dead_letter(bound, queue) {
                skipped.push(queue.path());
                continue;
            }
            out.push(Depth {
                subject: Subject::new(&broker.source, "queue", queue.path()),
                name: queue.path(),
                origin: "depth_history".into(),
                samples: &queue.depth_history,
            });
        }
    }
    for (server, s) in series(servers, QUEUE_DEPTH) {
        let Some(name) = s.label("queue") else { continue };
        let vhost = s.label("vhost");
        // The first queue of that name (and vhost, if labelled) across brokers.
        let matched = match vhost {
            None => by_name.first(name),
            Some(v) => by_path.first(&(v, name)),
        };
        let origin = format!("{QUEUE_DEPTH} signal ({})", crate::series_id(QUEUE_DEPTH, s));
        match matched {
            Some((_, queue)) if !queue.depth_history.is_empty() => continue,
            Some(&(at, queue)) => {
                let broker = &brokers[at];
                if is_dead_letter(&bound[at], queue) {
                    skipped.push(queue.path());
                    continue;
                }
                out.push(Depth {
                    subject: Subject::new(&broker.source, "queue", queue.path()),
                    name: queue.path(),
                    origin,
                    samples: &s.samples,
                });
            }
            None => {
                if looks_like_dead_letter(name) {
                    skipped.push(name.to_string());
                    continue;
                }
                let id = match vhost {
                    Some(v) => format!("{}/{name}", v.trim_end_matches('/')),
                    None => name.to_string(),
                };
                out.push(Depth {
                    subject: Subject::new(&server.source, "queue", &id),
                    name: id,
                    origin,
                    samples: &s.samples,
                });
            }
        }
    }
    // One judgement per queue, even if several servers or series report it.
    let mut seen = HashSet::new();
    out.retain(|d| seen.insert((d.subject.source.clone(), d.subject.id.clone())));
    out
}

fn rising_throughout(samples: &[Sample]) -> bool {
    samples.windows(2).all(|w| w[1].value > w[0].value)
}

pub fn audit_depth(audit: &mut Audit<'_>, brokers: &[RabbitmqBroker], servers: &[PrometheusServer]) {
    let params = audit.params();
    let growth_seconds = params.f64("growth-minutes") * 60.0;
    let min_samples = params.i64("min-samples").max(2) as usize;
    let window_seconds = params.f64("window-hours") * 3600.0;
    let coverage = params.f64("history-coverage");
    let drain = params.f64("drain-threshold");
    let mut skipped = Vec::new();
    let mut short = Vec::new();
    for depth in collect(brokers, servers, &mut skipped) {
        audit.evaluated(1);
        let samples = depth.samples;
        let span = match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => (b.at - a.at) as f64,
            _ => 0.0,
        };
        let (first, last) = (samples.first().map_or(0.0, |s| s.value), samples.last().map_or(0.0, |s| s.value));
        let min = samples.iter().map(|s| s.value).fold(f64::INFINITY, f64::min);
        if samples.len() >= min_samples && span >= growth_seconds && last > first && rising_throughout(samples) {
            audit.finding(
                QUEUE_GROWING,
                depth.subject.clone(),
                format!(
                    "Queue `{}` grew at every one of {} samples over {} min, from {} to {} messages: consumers are not keeping up and nothing slows the producers.",
                    depth.name,
                    samples.len(),
                    num(span / 60.0),
                    num(first),
                    num(last)
                ),
                [
                    ("source", depth.origin.clone()),
                    ("samples", samples.len().to_string()),
                    ("span_minutes", num(span / 60.0)),
                    ("depth_first", num(first)),
                    ("depth_last", num(last)),
                    ("growth_minutes", num(growth_seconds / 60.0)),
                ],
            );
        }
        if span < coverage * window_seconds {
            short.push(format!("`{}` ({} h)", depth.name, num(span / 3600.0)));
            continue;
        }
        if min > drain {
            audit.finding(
                QUEUE_NOT_DRAINING,
                depth.subject,
                format!(
                    "Queue `{}` never drained over {} h: its depth stayed at {} messages or more (threshold {}), ending at {}.",
                    depth.name,
                    num(span / 3600.0),
                    num(min),
                    num(drain),
                    num(last)
                ),
                [
                    ("source", depth.origin),
                    ("span_hours", num(span / 3600.0)),
                    ("depth_min", num(min)),
                    ("depth_last", num(last)),
                    ("drain_threshold", num(drain)),
                ],
            );
        }
    }
    if !skipped.is_empty() {
        skipped.sort();
        skipped.dedup();
        audit.note(format!(
            "queue depth: dead-letter queue(s) {} not judged for growth or draining (they are meant to accumulate; see the dead-letters check).",
            skipped.join(", ")
        ));
    }
    if !short.is_empty() {
        audit.note(format!(
            "queue-not-draining: depth history of {} spans less than {} % of the {} h window; not judged.",
            short.join(", "),
            num(coverage * 100.0),
            num(window_seconds / 3600.0)
        ));
    }
}
