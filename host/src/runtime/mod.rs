//! The sandbox: one wasmtime `Engine` per run, the compile cache, loading plugins (inspected
//! before compiling), and running every check in its own `Store`, concurrently, bounded by the
//! number of cores. A check that traps, times out, runs out of memory or breaks the contract ends
//! in `error`; the others are unaffected.

mod cache;
mod check;
mod engine;
mod host;
mod inspect;
mod output;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{HasSelf, InstancePre, Linker};

pub use cache::{CacheStatus, CompileCache};
pub use check::{Mode, Overrides, status_name};
pub use engine::Limits;
pub use host::ReadState;
pub use inspect::{InspectError, inspect};

use crate::contract::Plugin as PluginWorld;
use crate::outcome::{CheckOutcome, PluginMeta};
use crate::snapshot::Snapshot;
use host::CheckState;

/// A plugin as given to the runtime: where it came from and its bytes.
#[derive(Debug, Clone)]
pub struct PluginSource {
    /// `bundled:<id>` or a file path.
    pub origin: String,
    pub bytes: Arc<[u8]>,
}

/// A plugin that compiled and linked, ready to instantiate.
struct Ready {
    meta: PluginMeta,
    pre: InstancePre<CheckState>,
}

/// The engine, linker and cache of one audit run.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CheckState>,
    cache: CompileCache,
    limits: Limits,
    _ticker: engine::EpochTicker,
}

impl Runtime {
    pub fn new(cache: CompileCache, limits: Limits) -> wasmtime::Result<Self> {
        let engine = engine::build_engine()?;
        let mut linker = Linker::new(&engine);
        // WASI 0.2 is linked so components built for wasm32-wasip2 instantiate; the context
        // grants nothing (see host::CheckState::new).
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        PluginWorld::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CheckState| state)?;
        let ticker = engine::EpochTicker::start(&engine);
        Ok(Runtime { engine, linker, cache, limits, _ticker: ticker })
    }

    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    /// Loads (inspects, compiles or fetches from cache, links) and runs every plugin against
    /// `snapshot`. The result has one outcome per plugin, in the order given.
    pub fn audit(&self, plugins: &[PluginSource], snapshot: Arc<Snapshot>, mode: &Mode<'_>) -> Vec<CheckOutcome> {
        let loaded = self.parallel(plugins, |source| self.load(source));
        let outcomes = self.parallel(&loaded, |item| match item {
            Ok(ready) => {
                let span = tracing::info_span!("check", plugin = %ready.meta.origin);
                let _guard = span.enter();
                check::run_one(&self.engine, &ready.pre, ready.meta.clone(), snapshot.clone(), &self.limits, mode)
            }
            Err(failed) => Some((**failed).clone()),
        });
        dedupe_ids(outcomes.into_iter().flatten().collect())
    }

    /// Inspects, compiles (or loads from cache) and links one plugin.
    fn load(&self, source: &PluginSource) -> Result<Ready, Box<CheckOutcome>> {
        let started = Instant::now();
        let mut meta = PluginMeta {
            origin: source.origin.clone(),
            sha256: hex::encode(Sha256::digest(&source.bytes)),
            size: source.bytes.len(),
            contract: None,
            cache: None,
        };
        let fail = |meta: &PluginMeta, reason: String| {
            Err(Box::new(CheckOutcome::failed(meta.clone(), reason, started.elapsed())))
        };
        if Engine::detect_precompiled(&source.bytes).is_some() {
            return fail(
                &meta,
                "is a precompiled native artifact; plumbline only runs Wasm components it compiled itself".into(),
            );
        }
        match inspect(&source.bytes) {
            Ok(declared) => meta.contract = Some(declared.contract_version),
            Err(err) => return fail(&meta, format!("refused: {err}")),
        }
        let (component, status) = match self.cache.load_or_compile(&self.engine, &source.bytes, &meta.sha256) {
            Ok(found) => found,
            Err(err) => return fail(&meta, format!("does not compile: {err:#}")),
        };
        meta.cache = Some(status);
        tracing::info!(plugin = %meta.origin, cache = ?status, elapsed_ms = started.elapsed().as_millis() as u64, "plugin loaded");
        match self.linker.instantiate_pre(&component) {
            Ok(pre) => Ok(Ready { meta, pre }),
            Err(err) => fail(&meta, format!("cannot be linked (contract mismatch?): {err:#}")),
        }
    }

    /// Maps `f` over `items` on up to one thread per core, keeping order.
    fn parallel<T: Sync, R: Send>(&self, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(items.len().max(1));
        let next = AtomicUsize::new(0);
        let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
        let slots: Vec<std::sync::Mutex<&mut Option<R>>> = results.iter_mut().map(std::sync::Mutex::new).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        let value = f(item);
                        if let Ok(mut slot) = slots[i].lock() {
                            **slot = Some(value);
                        }
                    }
                });
            }
        });
        drop(slots);
        results.into_iter().flatten().collect()
    }
}

/// A second plugin claiming an id already taken is an error (ids are API).
fn dedupe_ids(mut outcomes: Vec<CheckOutcome>) -> Vec<CheckOutcome> {
    let mut seen: Vec<String> = Vec::new();
    for outcome in &mut outcomes {
        let Some(info) = &outcome.info else { continue };
        if seen.contains(&info.id) {
            outcome.status = crate::contract::types::Status::Error;
            outcome.error = Some(format!("check id `{}` is already used by another plugin in this run", info.id));
            outcome.findings.clear();
        } else {
            seen.push(info.id.clone());
        }
    }
    outcomes
}
