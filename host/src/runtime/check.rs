//! Runs one check in its own `Store`: instantiate, `describe`, merge parameters, `run` under the
//! deadline and memory limit, then hold the verdict to the contract (never `pass` on data the
//! check could not read, only declared rule ids, findings mean `fail`).

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, Trap};

use crate::contract::types::{CheckInfo, Param, ParamSpec, ParamValue, Status, Verdict};
use crate::contract::{PluginPre, VERSION};
use crate::outcome::{CheckOutcome, PluginMeta};
use crate::snapshot::Snapshot;

use super::engine::{Limits, ticks};
use super::host::{CheckState, ReadState};

/// Configuration overrides for one check's parameters (name → value), already parsed.
pub type Overrides = Vec<(String, ParamValue)>;

/// What to do with a check once `describe` has answered.
pub enum Mode<'a> {
    /// Run it with these parameter overrides, or leave it out when `select` says no.
    Run { select: &'a (dyn Fn(&str) -> bool + Sync), overrides: &'a (dyn Fn(&str) -> Overrides + Sync) },
    /// Stop after `describe` (for `plumbline checks`).
    DescribeOnly,
}

/// Runs (or only describes) one check. `None` when the check was not selected.
pub fn run_one(
    engine: &Engine,
    pre: &InstancePre<CheckState>,
    meta: PluginMeta,
    snapshot: Arc<Snapshot>,
    limits: &Limits,
    mode: &Mode<'_>,
) -> Option<CheckOutcome> {
    let started = Instant::now();
    let mut store = Store::new(engine, CheckState::new(snapshot, limits));
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(ticks(limits.timeout));
    store.epoch_deadline_trap();

    let mut info: Option<CheckInfo> = None;
    let mut selected = true;
    let result = (|| -> Result<Verdict, String> {
        let plugin = PluginPre::new(pre.clone())
            .and_then(|pre| pre.instantiate(&mut store))
            .map_err(|e| explain(&store, e, limits))?;
        let check = plugin.plumbline_audit_check();
        let described = check.call_describe(&mut store).map_err(|e| explain(&store, e, limits))?;
        validate_info(&described)?;
        store.data_mut().declare(&described.sections);
        let (select, overrides) = match mode {
            Mode::Run { select, overrides } => (select, overrides),
            Mode::DescribeOnly => {
                info = Some(described);
                return Ok(Verdict { status: Status::Skip, evaluated: 0, findings: Vec::new(), notes: Vec::new() });
            }
        };
        if !select(&described.id) {
            selected = false;
            return Err(String::new());
        }
        let params = merge_params(&described.params, overrides(&described.id));
        info = Some(described);
        check.call_run(&mut store, &params?).map_err(|e| explain(&store, e, limits))
    })();
    if !selected {
        return None;
    }
    forward_output(&store, &meta.origin);

    let reads = std::mem::take(&mut store.data_mut().reads);
    let duration = started.elapsed();
    Some(match (result, info) {
        (Ok(verdict), Some(info)) => enforce(meta, info, verdict, reads, duration),
        (Err(reason), info) => {
            let mut outcome = CheckOutcome::failed(meta, reason, duration);
            outcome.info = info;
            outcome.reads = reads;
            outcome
        }
        (Ok(_), None) => CheckOutcome::failed(meta, "run() answered before describe()".into(), duration),
    })
}

/// Holds a verdict to the contract. The check's own status is kept unless it contradicts what
/// the host saw; every change is explained in `error`.
fn enforce(
    meta: PluginMeta,
    info: CheckInfo,
    verdict: Verdict,
    reads: Vec<(crate::contract::types::Section, ReadState)>,
    duration: std::time::Duration,
) -> CheckOutcome {
    let mut status = verdict.status;
    let mut error = None;
    let unavailable: Vec<String> = reads
        .iter()
        .filter_map(|(s, r)| match r {
            ReadState::Unavailable(reason) | ReadState::Partial(reason) => Some(format!("{} ({reason})", s.name())),
            _ => None,
        })
        .collect();
    let undeclared: Vec<&str> =
        reads.iter().filter(|(_, r)| *r == ReadState::NotDeclared).map(|(s, _)| s.name()).collect();
    let unknown_rules: Vec<&str> = verdict
        .findings
        .iter()
        .filter(|f| !info.rules.iter().any(|r| r.id == f.rule))
        .map(|f| f.rule.as_str())
        .collect();

    if !undeclared.is_empty() {
        status = Status::Error;
        error = Some(format!(
            "read section(s) {} without declaring them in describe(); the host refused the read",
            undeclared.join(", ")
        ));
    } else if !unknown_rules.is_empty() {
        status = Status::Error;
        error = Some(format!("returned findings for undeclared rule(s): {}", unknown_rules.join(", ")));
    } else if status != Status::Error && !verdict.findings.is_empty() {
        status = Status::Fail;
    } else if matches!(status, Status::Pass | Status::Skip) && !unavailable.is_empty() {
        error = Some(format!(
            "reported {} but could not read: {}; the host made it inconclusive",
            status_name(status),
            unavailable.join("; ")
        ));
        status = Status::Inconclusive;
    } else if status == Status::Fail && verdict.findings.is_empty() {
        status = Status::Error;
        error = Some("reported fail without any finding".into());
    } else if status == Status::Pass && verdict.evaluated == 0 {
        status = Status::Skip;
    }
    // A check that broke the contract is not trusted for findings either.
    let findings =
        if status == Status::Error && verdict.status != Status::Error { Vec::new() } else { verdict.findings };
    CheckOutcome {
        plugin: meta,
        info: Some(info),
        status,
        evaluated: verdict.evaluated,
        findings,
        notes: verdict.notes,
        error,
        reads,
        duration,
    }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Inconclusive => "inconclusive",
        Status::Error => "error",
        Status::Skip => "skip",
    }
}

fn validate_info(info: &CheckInfo) -> Result<(), String> {
    let id_ok = !info.id.is_empty()
        && info.id.len() <= 64
        && info.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(format!("describe() returned an invalid check id {:?} (kebab-case, at most 64 chars)", info.id));
    }
    let prefix = format!("{}/", info.id);
    if let Some(rule) = info.rules.iter().find(|r| !r.id.starts_with(&prefix)) {
        return Err(format!("rule id `{}` does not start with `{prefix}`", rule.id));
    }
    Ok(())
}

/// Declared defaults with configuration overrides applied, type-checked.
fn merge_params(specs: &[ParamSpec], overrides: Overrides) -> Result<Vec<Param>, String> {
    let mut params: Vec<Param> =
        specs.iter().map(|s| Param { name: s.name.clone(), value: s.default.clone() }).collect();
    for (name, value) in overrides {
        let Some(slot) = params.iter_mut().find(|p| p.name == name) else {
            let known: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            return Err(format!("configuration sets unknown parameter `{name}` (known: {})", known.join(", ")));
        };
        slot.value = match (&slot.value, value) {
            (ParamValue::Float(_), ParamValue::Integer(i)) => ParamValue::Float(i as f64),
            (ParamValue::Integer(_), v @ ParamValue::Integer(_))
            | (ParamValue::Float(_), v @ ParamValue::Float(_))
            | (ParamValue::Boolean(_), v @ ParamValue::Boolean(_))
            | (ParamValue::Text(_), v @ ParamValue::Text(_))
            | (ParamValue::TextList(_), v @ ParamValue::TextList(_)) => v,
            (expected, got) => {
                return Err(format!(
                    "configuration sets parameter `{name}` to {}, but it takes {}",
                    kind(&got),
                    kind(expected)
                ));
            }
        };
    }
    Ok(params)
}

fn kind(value: &ParamValue) -> &'static str {
    match value {
        ParamValue::Integer(_) => "an integer",
        ParamValue::Float(_) => "a number",
        ParamValue::Boolean(_) => "a boolean",
        ParamValue::Text(_) => "a string",
        ParamValue::TextList(_) => "a list of strings",
    }
}

/// Turns a wasmtime error into one sentence a user can act on.
fn explain(store: &Store<CheckState>, err: wasmtime::Error, limits: &Limits) -> String {
    if store.data().limiter.exceeded {
        return format!("stopped: memory limit of {} MiB exceeded", limits.memory_bytes >> 20);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => format!("stopped: ran longer than the {} s deadline", limits.timeout.as_secs_f64()),
        Some(Trap::StackOverflow) => "stopped: wasm stack exhausted (unbounded recursion?)".to_string(),
        Some(trap) => {
            let (stderr, _) = store.data().stderr.contents();
            let panic = stderr.lines().find(|l| l.contains("panicked at")).map(|l| l.trim().to_string());
            match panic {
                Some(line) => format!("trapped ({trap}): {line} {}", next_line(&stderr, &line)),
                None => format!("trapped: {trap}"),
            }
        }
        None => {
            let text = format!("{err:#}");
            if text.contains("import") || text.contains("type mismatch") {
                format!("contract mismatch (host implements {}): {text}", VERSION)
            } else {
                text
            }
        }
    }
}

fn next_line(text: &str, after: &str) -> String {
    text.lines().skip_while(|l| !l.contains(after)).nth(1).map(|l| l.trim().to_string()).unwrap_or_default()
}

/// Sends what the check printed to the log, line by line, marked with the plugin it came from.
fn forward_output(store: &Store<CheckState>, origin: &str) {
    for (stream, pipe) in [("stdout", &store.data().stdout), ("stderr", &store.data().stderr)] {
        let (text, dropped) = pipe.contents();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            tracing::debug!(plugin = origin, stream, "{line}");
        }
        if dropped > 0 {
            tracing::debug!(plugin = origin, stream, dropped, "output beyond the cap was dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::types::{Finding, Rule, Section, Severity, Subject};

    fn info() -> CheckInfo {
        CheckInfo {
            id: "demo".into(),
            version: "1.0.0".into(),
            title: "t".into(),
            question: "q?".into(),
            sections: vec![Section::Rabbitmq],
            rules: vec![Rule {
                id: "demo/rule".into(),
                title: "t".into(),
                default_severity: Severity::High,
                description: String::new(),
                remediation: String::new(),
                references: Vec::new(),
            }],
            params: vec![ParamSpec {
                name: "limit".into(),
                description: String::new(),
                default: ParamValue::Float(0.7),
            }],
        }
    }

    fn meta() -> PluginMeta {
        PluginMeta { origin: "test".into(), sha256: String::new(), size: 0, contract: None, cache: None }
    }

    fn verdict(status: Status, evaluated: u32, findings: Vec<Finding>) -> Verdict {
        Verdict { status, evaluated, findings, notes: Vec::new() }
    }

    fn finding(rule: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::High,
            subject: Subject { source: "s".into(), kind: "queue".into(), id: "q".into() },
            message: "m".into(),
            evidence: Vec::new(),
        }
    }

    fn outcome(v: Verdict, reads: Vec<(Section, ReadState)>) -> CheckOutcome {
        enforce(meta(), info(), v, reads, std::time::Duration::ZERO)
    }

    #[test]
    fn a_pass_on_unavailable_data_becomes_inconclusive() {
        let reads = vec![(Section::Rabbitmq, ReadState::Unavailable("timeout".into()))];
        let o = outcome(verdict(Status::Pass, 3, vec![]), reads.clone());
        assert_eq!(o.status, Status::Inconclusive);
        assert!(o.error.unwrap().contains("rabbitmq (timeout)"));
        let o = outcome(verdict(Status::Skip, 0, vec![]), reads);
        assert_eq!(o.status, Status::Inconclusive);
    }

    #[test]
    fn a_pass_on_partial_data_becomes_inconclusive() {
        let reads = vec![(Section::Rabbitmq, ReadState::Partial("rabbit-b: refused".into()))];
        let o = outcome(verdict(Status::Pass, 3, vec![]), reads);
        assert_eq!(o.status, Status::Inconclusive);
        assert!(o.error.unwrap().contains("rabbit-b: refused"));
    }

    #[test]
    fn findings_mean_fail_whatever_the_check_claims() {
        let o = outcome(verdict(Status::Pass, 1, vec![finding("demo/rule")]), vec![]);
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn a_pass_with_nothing_evaluated_is_a_skip() {
        let o = outcome(verdict(Status::Pass, 0, vec![]), vec![(Section::Rabbitmq, ReadState::Available)]);
        assert_eq!(o.status, Status::Skip);
    }

    #[test]
    fn undeclared_rules_and_sections_are_errors_and_drop_findings() {
        let o = outcome(verdict(Status::Fail, 1, vec![finding("other/rule")]), vec![]);
        assert_eq!(o.status, Status::Error);
        assert!(o.findings.is_empty());
        let o = outcome(
            verdict(Status::Fail, 1, vec![finding("demo/rule")]),
            vec![(Section::Kafka, ReadState::NotDeclared)],
        );
        assert_eq!(o.status, Status::Error);
        assert!(o.error.unwrap().contains("kafka"));
    }

    #[test]
    fn fail_without_findings_is_an_error() {
        let o = outcome(verdict(Status::Fail, 1, vec![]), vec![]);
        assert_eq!(o.status, Status::Error);
    }

    #[test]
    fn an_honest_pass_stays_a_pass() {
        let o = outcome(verdict(Status::Pass, 4, vec![]), vec![(Section::Rabbitmq, ReadState::Available)]);
        assert_eq!((o.status, o.error), (Status::Pass, None));
    }

    #[test]
    fn parameters_merge_with_type_checks() {
        let specs = info().params;
        let merged = merge_params(&specs, vec![("limit".into(), ParamValue::Integer(1))]).unwrap();
        assert_eq!(merged[0].value, ParamValue::Float(1.0));
        let err = merge_params(&specs, vec![("limit".into(), ParamValue::Text("x".into()))]).unwrap_err();
        assert!(err.contains("takes a number"), "{err}");
        let err = merge_params(&specs, vec![("nope".into(), ParamValue::Boolean(true))]).unwrap_err();
        assert!(err.contains("unknown parameter `nope`") && err.contains("limit"), "{err}");
    }

    #[test]
    fn check_ids_and_rule_prefixes_are_validated() {
        let mut bad = info();
        bad.id = "Bad Id".into();
        assert!(validate_info(&bad).is_err());
        let mut bad = info();
        bad.rules[0].id = "other/rule".into();
        assert!(validate_info(&bad).unwrap_err().contains("demo/"));
        assert!(validate_info(&info()).is_ok());
    }
}
