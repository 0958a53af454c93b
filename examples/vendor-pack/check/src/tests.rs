//! Native tests of `dlq-retention` on the pack's example estate (../estate.json): `orders` (4 d)
//! → `orders-dlq` (1 d, both rules), `payments` (4 d) → `payments-dlq` (14 d, fine),
//! `events.fifo` (14 d) → `events-dlq.fifo` (7 d: FIFO resets the timestamp, fine) and
//! `audit-log` (no redrive, not a DLQ).

use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Status};

use crate::*;

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../../estate.json")).expect("example estate parses")
}

fn queue<'a>(fixture: &'a mut Fixture, name: &str) -> &'a mut SqsQueue {
    fixture.sqs.as_mut().unwrap()[0].queues.iter_mut().find(|q| q.name == name).unwrap()
}

#[test]
fn the_short_dlq_fires_both_rules_and_nothing_else() {
    let verdict = testing::run::<DlqRetention>(&estate(), &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(verdict.evaluated, 3, "three dead-letter queues");
    assert_eq!(rules_fired(&verdict), [SHORTER_THAN_REVIEW, SHORTER_THAN_SOURCE]);
    assert!(verdict.findings.iter().all(|f| f.subject.id == "orders-dlq" && f.subject.source == "sqs-orders"));
    let source = verdict.findings.iter().find(|f| f.rule == SHORTER_THAN_SOURCE).unwrap();
    assert!(source.message.contains("keeps messages 1 d") && source.message.contains("`orders` keeps them 4 d"));
}

#[test]
fn equal_retention_is_still_too_short_for_a_standard_dlq_but_not_for_fifo() {
    let mut fixture = estate();
    queue(&mut fixture, "payments-dlq").message_retention_seconds = 4 * DAY;
    let verdict = testing::run::<DlqRetention>(&fixture, &[("min-retention-days", ParamValue::Integer(1))]);
    let subjects: Vec<&str> = verdict.findings.iter().map(|f| f.subject.id.as_str()).collect();
    assert_eq!(subjects, ["orders-dlq", "payments-dlq"]);

    let mut fixture = estate();
    queue(&mut fixture, "events-dlq.fifo").message_retention_seconds = 7 * DAY;
    queue(&mut fixture, "events.fifo").message_retention_seconds = 14 * DAY;
    let verdict = testing::run::<DlqRetention>(&fixture, &[]);
    assert!(verdict.findings.iter().all(|f| f.subject.id != "events-dlq.fifo"));
}

#[test]
fn the_review_cadence_is_a_parameter() {
    let verdict = testing::run::<DlqRetention>(&estate(), &[("min-retention-days", ParamValue::Integer(8))]);
    let mut review: Vec<&str> =
        verdict.findings.iter().filter(|f| f.rule == SHORTER_THAN_REVIEW).map(|f| f.subject.id.as_str()).collect();
    review.sort();
    assert_eq!(review, ["events-dlq.fifo", "orders-dlq"]);
}

#[test]
fn fixed_queues_pass_and_missing_data_is_never_green() {
    let mut fixture = estate();
    queue(&mut fixture, "orders-dlq").message_retention_seconds = 14 * DAY;
    assert_eq!(testing::run::<DlqRetention>(&fixture, &[]).status, Status::Pass);

    let unreadable = estate().unavailable(Section::Sqs, "AccessDenied");
    assert_eq!(testing::run::<DlqRetention>(&unreadable, &[]).status, Status::Inconclusive);
    let none = estate().without(Section::Sqs);
    assert_ne!(testing::run::<DlqRetention>(&none, &[]).status, Status::Pass);
}
