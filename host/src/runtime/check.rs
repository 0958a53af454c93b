//! Runs one check in its own `Store`, in two steps: `describe` (under the run's and the pack's
//! limits), then, once the host knows the check's id, `run` under that check's limits in the same
//! instance — merging parameters, turning traps into sentences a user can act on, and handing the
//! verdict to `verdict::settle`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, Trap};

use crate::contract::types::{CheckInfo, Param, ParamSpec, ParamValue, Status};
use crate::contract::{Plugin, PluginPre, VERSION};
use crate::outcome::{CheckOutcome, PluginMeta};
use crate::snapshot::Snapshot;

use super::engine::ticks;
use super::host::CheckState;
use super::limits::{Limits, key, raise_hint};
use super::verdict::{settle, validate_info};

/// Configuration overrides for one check's parameters (name → value), already parsed.
pub type Overrides = Vec<(String, ParamValue)>;

/// What to do with the checks once `describe` has answered.
pub enum Mode<'a> {
    /// Run them with these parameter overrides, leaving out those `select` says no to.
    Run { select: &'a (dyn Fn(&str) -> bool + Sync), overrides: &'a (dyn Fn(&str) -> Overrides + Sync) },
    /// Stop after `describe` (for `plumbline checks`).
    DescribeOnly,
}

/// A check that answered `describe`, its instance kept for `run`.
pub struct Described {
    store: Store<CheckState>,
    plugin: Plugin,
    pub info: CheckInfo,
    pub meta: PluginMeta,
    /// Time spent in this check so far.
    elapsed: Duration,
}

/// Instantiates a check and calls `describe` under `limits`.
pub fn describe(
    engine: &Engine,
    pre: &InstancePre<CheckState>,
    meta: PluginMeta,
    snapshot: Arc<Snapshot>,
    limits: &Limits,
) -> Result<Described, Box<CheckOutcome>> {
    let started = Instant::now();
    let mut store = Store::new(engine, CheckState::new(snapshot, limits));
    store.limiter(|state| &mut state.limiter);
    store.set_max_component_handles(super::host::MAX_COMPONENT_HANDLES);
    store.epoch_deadline_trap();
    let result = (|| -> Result<(Plugin, CheckInfo), String> {
        apply(&mut store, limits)?;
        let plugin = PluginPre::new(pre.clone())
            .and_then(|pre| pre.instantiate(&mut store))
            .map_err(|e| explain(&store, e, limits, None))?;
        let info =
            plugin.plumbline_audit_check().call_describe(&mut store).map_err(|e| explain(&store, e, limits, None))?;
        validate_info(&info, limits)?;
        Ok((plugin, info))
    })();
    match result {
        Ok((plugin, info)) => {
            store.data_mut().declare(&info.sections);
            Ok(Described { store, plugin, info, meta, elapsed: started.elapsed() })
        }
        Err(reason) => {
            forward_output(&store, &meta.origin);
            Err(Box::new(CheckOutcome::failed(meta, reason, started.elapsed())))
        }
    }
}

impl Described {
    /// The outcome of a check that was only described (`plumbline checks`).
    pub fn described_only(self) -> CheckOutcome {
        let mut outcome = CheckOutcome::failed(self.meta, String::new(), self.elapsed);
        outcome.status = Status::Skip;
        outcome.error = None;
        outcome.info = Some(self.info);
        outcome
    }

    /// An outcome in `error` without running the check (e.g. its id is taken).
    pub fn refuse(self, reason: String) -> CheckOutcome {
        let mut outcome = CheckOutcome::failed(self.meta, reason, self.elapsed);
        outcome.info = Some(self.info);
        outcome
    }

    /// Calls `run` under `limits` with the declared parameters and `overrides`, then settles
    /// the verdict.
    pub fn run(self, limits: &Limits, overrides: Overrides) -> CheckOutcome {
        let Described { mut store, plugin, info, meta, elapsed } = self;
        let started = Instant::now();
        let result = (|| -> Result<_, String> {
            apply(&mut store, limits)?;
            let params = merge_params(&info.params, overrides)?;
            plugin
                .plumbline_audit_check()
                .call_run(&mut store, &params)
                .map_err(|e| explain(&store, e, limits, Some(&info.id)))
        })();
        forward_output(&store, &meta.origin);
        let reads = store.data_mut().reads.take();
        let duration = elapsed + started.elapsed();
        match result {
            Ok(verdict) => {
                let states: Vec<_> = reads.iter().map(|r| (r.section, r.state.clone())).collect();
                let settled = settle(&info, verdict, &states, limits);
                CheckOutcome {
                    plugin: meta,
                    info: Some(info),
                    status: settled.status,
                    evaluated: settled.evaluated,
                    findings: settled.findings,
                    notes: settled.notes,
                    error: settled.error,
                    reads,
                    duration,
                }
            }
            Err(reason) => {
                let mut outcome = CheckOutcome::failed(meta, reason, duration);
                outcome.info = Some(info);
                outcome.reads = reads;
                outcome
            }
        }
    }
}

/// Puts `limits` in force for the next call into the store: memory, output caps, deadline, how
/// much the host may copy out of one call, and fuel (when the engine counts it).
fn apply(store: &mut Store<CheckState>, limits: &Limits) -> Result<(), String> {
    store.data_mut().set_limits(limits);
    store.set_epoch_deadline(ticks(limits.timeout));
    store.set_hostcall_fuel(limits.result_bytes);
    match (limits.fuel, store.get_fuel().is_ok()) {
        (Some(fuel), true) => store.set_fuel(fuel).map_err(|e| format!("cannot set fuel: {e}")),
        (None, true) => store.set_fuel(u64::MAX).map_err(|e| format!("cannot set fuel: {e}")),
        (Some(_), false) => Err("a fuel limit is set but the engine does not count fuel (a plumbline bug)".into()),
        (None, false) => Ok(()),
    }
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

/// Turns a wasmtime error into one sentence a user can act on, naming the limit that stopped the
/// check and the configuration key that raises it. `check` is the id once `describe` answered.
fn explain(store: &Store<CheckState>, err: wasmtime::Error, limits: &Limits, check: Option<&str>) -> String {
    if store.data().limiter.exceeded {
        return format!(
            "stopped: memory limit of {} MiB exceeded ({})",
            limits.memory_bytes >> 20,
            raise_hint(key::MEMORY, check)
        );
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => format!(
            "stopped: ran longer than the {} s deadline ({})",
            limits.timeout.as_secs_f64(),
            raise_hint(key::TIMEOUT, check)
        ),
        Some(Trap::OutOfFuel) => {
            format!("stopped: ran out of fuel ({}) ({})", limits.fuel.unwrap_or_default(), raise_hint(key::FUEL, check))
        }
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
            // wasmtime's "hostcall fuel": the bytes the host may copy out of one call.
            if text.contains("fuel allocated for hostcalls has been exhausted") {
                format!(
                    "stopped: handed the host more than {} MiB in one call (findings, notes, strings); {}",
                    limits.result_bytes >> 20,
                    raise_hint(key::RESULT, check)
                )
            } else if text.contains("import") || text.contains("type mismatch") {
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
            tracing::debug!(
                plugin = origin,
                stream,
                dropped,
                "output beyond the cap was dropped (raise `{}` under [limits] to keep more)",
                key::OUTPUT
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_merge_with_type_checks() {
        let specs =
            vec![ParamSpec { name: "limit".into(), description: String::new(), default: ParamValue::Float(0.7) }];
        let merged = merge_params(&specs, vec![("limit".into(), ParamValue::Integer(1))]).unwrap();
        assert_eq!(merged[0].value, ParamValue::Float(1.0));
        let err = merge_params(&specs, vec![("limit".into(), ParamValue::Text("x".into()))]).unwrap_err();
        assert!(err.contains("takes a number"), "{err}");
        let err = merge_params(&specs, vec![("nope".into(), ParamValue::Boolean(true))]).unwrap_err();
        assert!(err.contains("unknown parameter `nope`") && err.contains("limit"), "{err}");
    }
}
