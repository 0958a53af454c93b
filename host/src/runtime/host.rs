//! One check instance's store data: the WASI context with nothing granted, the resource limiter,
//! capped output, and what the `estate` imports (in `estate.rs`) need: the shared snapshot, the
//! declared sections and the record of every read.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::contract::types::{self, Section};
use crate::snapshot::Snapshot;

use super::limits::Limits;
use super::output::CappedOutput;

/// How a check's read of a section went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum ReadState {
    Available,
    /// Served the data of the sources that could be read; others of this kind failed.
    Partial(String),
    NotCollected,
    Unavailable(String),
    NotDeclared,
}

/// Everything one check's `Store` holds.
pub struct CheckState {
    pub(super) snapshot: Arc<Snapshot>,
    /// `None` until `describe` has answered; reads before that are refused.
    pub(super) declared: Option<Vec<Section>>,
    pub reads: Vec<(Section, ReadState)>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub stdout: CappedOutput,
    pub stderr: CappedOutput,
}

impl CheckState {
    pub fn new(snapshot: Arc<Snapshot>, limits: &Limits) -> Self {
        let stdout = CappedOutput::new(limits.output_bytes);
        let stderr = CappedOutput::new(limits.output_bytes);
        let collected_at = Duration::from_secs(snapshot.info.collected_at.max(0) as u64);
        // No preopened directories, no environment, no arguments, no network (the builder's
        // defaults deny TCP, UDP and name lookup), a clock frozen at collection time and
        // deterministic "randomness", so the same snapshot always gives the same verdict.
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock(collected_at))
            .monotonic_clock(FrozenClock(collected_at))
            .secure_random(Deterministic::new(b"plumbline: checks get no entropy".to_vec()))
            .insecure_random(Deterministic::new(b"plumbline: checks get no entropy".to_vec()))
            .insecure_random_seed(0)
            .build();
        CheckState {
            snapshot,
            declared: None,
            reads: Vec::new(),
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter { limit: limits.memory_bytes, exceeded: false },
            stdout,
            stderr,
        }
    }

    /// Puts a check's limits in force: memory growth and output caps (the deadline and fuel live
    /// on the `Store`).
    pub fn set_limits(&mut self, limits: &Limits) {
        self.limiter.limit = limits.memory_bytes;
        self.stdout.set_cap(limits.output_bytes);
        self.stderr.set_cap(limits.output_bytes);
    }

    /// Called with the sections from `describe`; reads of anything else are refused.
    pub fn declare(&mut self, sections: &[Section]) {
        self.declared = Some(sections.to_vec());
    }
}

impl WasiView for CheckState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for CheckState {}

/// Caps a check's linear memory; remembers whether the cap was hit so the error can say so.
pub struct MemoryLimiter {
    limit: usize,
    pub exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Err(wasmtime::format_err!("memory limit of {} MiB exceeded", self.limit >> 20));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// A clock that always reads the snapshot's collection time: checks see "now" as the moment the
/// estate was read, which keeps verdicts reproducible.
struct FrozenClock(Duration);

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        self.0.as_nanos() as u64
    }
}
