//! The host side of the contract: whatever `describe()` and `run()` hand back, validation and
//! settling never panic, and a settled verdict keeps the promises the report relies on — within
//! the output limits, never `pass` on unreadable data, never findings on a check the host put in
//! `error`, and only whole characters kept when text is cut.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use plumbline::contract::types::{
    CheckInfo, Finding, ParamSpec, ParamValue, Rule, Section, Severity, Status, Subject, Verdict,
};
use plumbline::runtime::{Limits, ReadState, settle, validate_info};

/// Room the host's own marks and notes may take beyond `max-string` (cut marks, "dropped" notes).
const HOST_TEXT: usize = 256;

fn pick<T: Copy>(u: &mut Unstructured<'_>, items: &[T]) -> Result<T> {
    Ok(*u.choose(items)?)
}

fn status(u: &mut Unstructured<'_>) -> Result<Status> {
    pick(u, &[Status::Pass, Status::Fail, Status::Inconclusive, Status::Error, Status::Skip])
}

fn section(u: &mut Unstructured<'_>) -> Result<Section> {
    pick(
        u,
        &[
            Section::Kafka,
            Section::Rabbitmq,
            Section::Sqs,
            Section::Postgres,
            Section::Prometheus,
            Section::ConfigFiles,
            Section::Registry,
        ],
    )
}

fn severity(u: &mut Unstructured<'_>) -> Result<Severity> {
    pick(u, &[Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info])
}

/// A rule id: usually one the check declared, sometimes anything.
fn rule_id(u: &mut Unstructured<'_>, id: &str, declared: &[Rule]) -> Result<String> {
    if !declared.is_empty() && u.ratio(7, 8)? {
        return Ok(u.choose(declared)?.id.clone());
    }
    Ok(format!("{}{}", if u.arbitrary()? { format!("{id}/") } else { String::new() }, String::arbitrary(u)?))
}

fn info(u: &mut Unstructured<'_>) -> Result<CheckInfo> {
    let id = if u.ratio(7, 8)? { "demo".to_string() } else { String::arbitrary(u)? };
    let rules = (0..u.int_in_range(0..=3)?)
        .map(|_| {
            Ok(Rule {
                id: format!("{id}/{}", String::arbitrary(u)?),
                title: String::arbitrary(u)?,
                default_severity: severity(u)?,
                description: String::arbitrary(u)?,
                remediation: String::arbitrary(u)?,
                references: Vec::arbitrary(u)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let params = (0..u.int_in_range(0..=2)?)
        .map(|_| {
            let default = match u.int_in_range(0..=4)? {
                0 => ParamValue::Integer(u.arbitrary()?),
                1 => ParamValue::Float(u.arbitrary()?),
                2 => ParamValue::Boolean(u.arbitrary()?),
                3 => ParamValue::Text(u.arbitrary()?),
                _ => ParamValue::TextList(u.arbitrary()?),
            };
            Ok(ParamSpec { name: String::arbitrary(u)?, description: String::arbitrary(u)?, default })
        })
        .collect::<Result<Vec<_>>>()?;
    let sections = (0..u.int_in_range(0..=3)?).map(|_| section(u)).collect::<Result<Vec<_>>>()?;
    Ok(CheckInfo {
        id,
        version: String::arbitrary(u)?,
        title: String::arbitrary(u)?,
        question: String::arbitrary(u)?,
        sections,
        rules,
        params,
    })
}

fn finding(u: &mut Unstructured<'_>, info: &CheckInfo) -> Result<Finding> {
    Ok(Finding {
        rule: rule_id(u, &info.id, &info.rules)?,
        severity: severity(u)?,
        subject: Subject { source: u.arbitrary()?, kind: u.arbitrary()?, id: u.arbitrary()? },
        message: u.arbitrary()?,
        evidence: u.arbitrary()?,
    })
}

fn read(u: &mut Unstructured<'_>) -> Result<(Section, ReadState)> {
    let state = match u.int_in_range(0..=4)? {
        0 => ReadState::Available,
        1 => ReadState::Partial(u.arbitrary()?),
        2 => ReadState::NotCollected,
        3 => ReadState::Unavailable(u.arbitrary()?),
        _ => ReadState::NotDeclared,
    };
    Ok((section(u)?, state))
}

fn case(u: &mut Unstructured<'_>) -> Result<(CheckInfo, Verdict, Vec<(Section, ReadState)>, Limits)> {
    let limits = Limits {
        max_findings: u.int_in_range(0..=12)?,
        max_notes: u.int_in_range(0..=6)?,
        max_string_bytes: u.int_in_range(0..=48)?,
        ..Limits::default()
    };
    let info = info(u)?;
    let findings = (0..u.int_in_range(0..=16)?).map(|_| finding(u, &info)).collect::<Result<Vec<_>>>()?;
    let verdict = Verdict { status: status(u)?, evaluated: u.arbitrary()?, findings, notes: u.arbitrary()? };
    let reads = (0..u.int_in_range(0..=4)?).map(|_| read(u)).collect::<Result<Vec<_>>>()?;
    Ok((info, verdict, reads, limits))
}

fuzz_target!(|data: &[u8]| {
    let Ok((info, verdict, reads, limits)) = case(&mut Unstructured::new(data)) else { return };
    let _ = validate_info(&info, &limits);
    // The host only runs (and settles) checks whose describe() passed validation, under the
    // limits `describe` ran with (which may be wider than the check's own).
    if validate_info(&info, &Limits::default()).is_err() {
        return;
    }
    let claimed = verdict.status;
    let originals: Vec<String> = verdict.findings.iter().map(|f| f.message.clone()).collect();
    let settled = settle(&info, verdict.clone(), &reads, &limits);

    let max = limits.max_string_bytes;
    assert!(settled.findings.len() <= limits.max_findings, "{} findings kept", settled.findings.len());
    assert!(settled.notes.len() <= limits.max_notes + 3, "{} notes kept", settled.notes.len());
    for note in &settled.notes {
        assert!(note.len() <= max + HOST_TEXT, "a note of {} bytes", note.len());
    }
    for (kept, original) in settled.findings.iter().zip(&originals) {
        for id in [&kept.rule, &kept.subject.source, &kept.subject.kind, &kept.subject.id] {
            assert!(id.len() <= max, "an identifier of {} bytes", id.len());
        }
        assert!(kept.message.len() <= max + HOST_TEXT);
        let prefix = kept.message.split(" […cut by plumbline").next().unwrap_or_default();
        assert!(original.starts_with(prefix), "a cut message is not a prefix of the original");
        for (key, value) in &kept.evidence {
            assert!(key.len() <= max && value.len() <= max + HOST_TEXT);
        }
        assert!(info.rules.iter().any(|r| r.id == kept.rule), "a finding under an undeclared rule survived");
    }
    let unreadable = reads.iter().any(|(_, r)| matches!(r, ReadState::Unavailable(_) | ReadState::Partial(_)));
    let undeclared = reads.iter().any(|(_, r)| *r == ReadState::NotDeclared);
    match settled.status {
        Status::Pass => {
            assert!(!unreadable && !undeclared, "pass on data the check could not read");
            assert!(settled.findings.is_empty() && settled.evaluated > 0);
        }
        Status::Fail => assert!(!settled.findings.is_empty(), "fail without findings"),
        Status::Error if claimed != Status::Error => assert!(settled.findings.is_empty()),
        _ => {}
    }
    if undeclared {
        assert_eq!(settled.status, Status::Error, "an undeclared read did not end in error");
    }
    if settled.status != claimed && !(claimed == Status::Pass && settled.status == Status::Skip) {
        assert!(
            settled.error.is_some() || settled.status == Status::Fail,
            "the host changed {claimed:?} to {:?} without saying why",
            settled.status
        );
    }
});
