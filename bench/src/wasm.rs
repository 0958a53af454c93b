//! The bundled checks as Wasm components, run through the host's own runtime (`Runtime::audit`:
//! compile cache, `InstancePre`, one `Store` per check) on an in-memory snapshot.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plumbline::contract::types::Status;
use plumbline::outcome::CheckOutcome;
use plumbline::runtime::{CompileCache, Limits, Mode, PluginSource, Runtime};
use plumbline::snapshot::Snapshot;

use crate::native::Key;

/// The runtime of one benchmark, with a compile cache of its own.
pub struct WasmRunner {
    runtime: Runtime,
    plugins: Vec<PluginSource>,
}

impl WasmRunner {
    /// A runtime with the default limits whose compile cache lives in `cache_dir`.
    pub fn new(cache_dir: &Path) -> anyhow::Result<Self> {
        Self::with_limits(cache_dir, Limits::default())
    }

    /// A runtime with `limits` for every check.
    pub fn with_limits(cache_dir: &Path, limits: Limits) -> anyhow::Result<Self> {
        let runtime = Runtime::new(CompileCache::new(Some(cache_dir.to_path_buf())), limits)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok(WasmRunner { runtime, plugins: plumbline::bundled::plugins() })
    }

    /// Runs the checks `select` accepts; one outcome per selected check, in bundled order.
    pub fn audit(&self, snapshot: &Arc<Snapshot>, select: &(dyn Fn(&str) -> bool + Sync)) -> Vec<CheckOutcome> {
        let no_overrides = |_: &str| Vec::new();
        let mode = Mode::Run { select, overrides: &no_overrides };
        self.runtime.audit(&self.plugins, snapshot.clone(), &mode)
    }

    /// Runs check `id` alone; its outcome and the time the host spent on it (instantiate,
    /// describe, run — the sections read are copied into the instance's memory in there).
    pub fn time(&self, snapshot: &Arc<Snapshot>, id: &str) -> anyhow::Result<(CheckOutcome, Duration)> {
        let outcome = self
            .audit(snapshot, &|check: &str| check == id)
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no outcome for check {id}"))?;
        if outcome.status == Status::Error {
            anyhow::bail!("check {id} ended in error: {}", outcome.error.as_deref().unwrap_or("?"));
        }
        let duration = outcome.duration;
        Ok((outcome, duration))
    }
}

/// The sorted keys of an outcome's findings.
pub fn keys(outcome: &CheckOutcome) -> Vec<Key> {
    crate::native::sorted_keys(&outcome.findings, |f| (&f.rule, &f.subject.source, &f.subject.kind, &f.subject.id))
}
