//! One check instance's store data: the WASI context with nothing granted, the resource limiter,
//! capped output, and what the `estate` imports (in `estate.rs`) need: the shared snapshot, the
//! declared sections and the record of reads (one counter per section and outcome).
//!
//! Everything here that a guest can make the host allocate is bounded: see the table in
//! docs/security.md ("Host-side costs a check can drive").

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::contract::types::{self, Section};
use crate::outcome::{ReadState, SectionReads};
use crate::snapshot::{Availability, Snapshot};

use super::limits::Limits;
use super::output::CappedOutput;

/// Everything one check's `Store` holds.
pub struct CheckState {
    pub(super) snapshot: Arc<Snapshot>,
    /// `None` until `describe` has answered; reads before that are refused.
    pub(super) declared: Option<Vec<Section>>,
    pub reads: ReadLog,
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
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_WASI_RESOURCES);
        CheckState {
            snapshot,
            declared: None,
            reads: ReadLog::default(),
            wasi,
            table,
            limiter: MemoryLimiter::new(limits.memory_bytes),
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

/// Most bytes one `wasi:random` call may ask for (the host allocates them). Checks get a fixed
/// stream, not entropy; nothing legitimate needs more than a seed.
pub const MAX_RANDOM_BYTES: u64 = 64 << 10;

/// Most live WASI resources (streams, pollables, ...) one check may hold in the host's table
/// (wasmtime's default is 1,000,000). A Rust or Python check holds a handful.
pub const MAX_WASI_RESOURCES: usize = 10_000;

/// Most live component-model handles in one check's store (wasmtime's default is 100,000).
pub const MAX_COMPONENT_HANDLES: usize = 10_000;

/// Most table elements across all of one check's tables (8–16 bytes each in host memory).
pub const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Caps a check's linear memory — all of its memories together, since a component may define
/// several — and its tables; remembers whether the memory cap was hit so the error can say so.
pub struct MemoryLimiter {
    limit: usize,
    /// Bytes of linear memory the check's instances hold now, across memories.
    used: usize,
    /// Table elements the check's instances hold now, across tables.
    elements: usize,
    pub exceeded: bool,
}

impl MemoryLimiter {
    fn new(limit: usize) -> Self {
        MemoryLimiter { limit, used: 0, elements: 0, exceeded: false }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.used.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            self.exceeded = true;
            return Err(wasmtime::format_err!("memory limit of {} MiB exceeded", self.limit >> 20));
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.elements.saturating_sub(current).saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.elements = total;
        Ok(true)
    }
}

/// The record of a check's section reads: one [`SectionReads`] per section and outcome (at most
/// two per section: refused before `describe` answered, then as the snapshot has it), so a read
/// loop costs a counter. The outcome of a section is worked out on its first read only.
#[derive(Debug, Default)]
pub struct ReadLog {
    entries: Vec<SectionReads>,
}

impl ReadLog {
    /// Counts a read of `section` and returns how it went. `declared` says whether the check
    /// declared it; `snapshot` answers the first read of a declared section.
    pub(super) fn record(&mut self, section: Section, declared: bool, snapshot: &Snapshot) -> &ReadState {
        let found =
            self.entries.iter().position(|e| e.section == section && (e.state == ReadState::NotDeclared) != declared);
        let at = match found {
            Some(at) => {
                self.entries[at].count += 1;
                at
            }
            None => {
                let state = if !declared {
                    ReadState::NotDeclared
                } else {
                    match snapshot.availability(section) {
                        Availability::Full => ReadState::Available,
                        Availability::Partial(reason) => ReadState::Partial(reason),
                        Availability::Unavailable(reason) => ReadState::Unavailable(reason),
                        Availability::NotCollected => ReadState::NotCollected,
                    }
                };
                tracing::debug!(section = section.name(), state = ?state, "section read (later reads of it are counted)");
                self.entries.push(SectionReads { section, state, count: 1 });
                self.entries.len() - 1
            }
        };
        &self.entries[at].state
    }

    /// The entries, in the order first read.
    pub fn take(&mut self) -> Vec<SectionReads> {
        std::mem::take(&mut self.entries)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_limited_across_all_of_a_checks_memories() {
        let mut limiter = MemoryLimiter::new(100);
        assert!(limiter.memory_growing(0, 60, None).is_ok(), "first memory");
        assert!(limiter.memory_growing(60, 70, None).is_ok(), "it grows");
        assert!(limiter.memory_growing(0, 40, None).is_err(), "a second memory may not take the total past the limit");
        assert!(limiter.exceeded);
        assert!(limiter.memory_growing(0, 30, None).is_ok(), "up to the limit it may");
    }

    #[test]
    fn table_elements_are_limited_across_tables() {
        let mut limiter = MemoryLimiter::new(100);
        assert!(limiter.table_growing(0, MAX_TABLE_ELEMENTS / 2, None).unwrap());
        assert!(limiter.table_growing(0, MAX_TABLE_ELEMENTS / 2, None).unwrap());
        assert!(!limiter.table_growing(0, 1, None).unwrap());
    }

    #[test]
    fn a_read_loop_is_one_entry_with_a_count() {
        let snapshot = Snapshot::empty();
        let mut log = ReadLog::default();
        for _ in 0..10_000 {
            assert_eq!(*log.record(Section::Rabbitmq, true, &snapshot), ReadState::NotCollected);
        }
        log.record(Section::Rabbitmq, false, &snapshot);
        log.record(Section::Kafka, true, &snapshot);
        let entries = log.take();
        let summary: Vec<(Section, ReadState, u64)> =
            entries.into_iter().map(|e| (e.section, e.state, e.count)).collect();
        assert_eq!(
            summary,
            vec![
                (Section::Rabbitmq, ReadState::NotCollected, 10_000),
                (Section::Rabbitmq, ReadState::NotDeclared, 1),
                (Section::Kafka, ReadState::NotCollected, 1),
            ]
        );
    }
}
