//! The sandbox: one wasmtime `Engine` per run, the compile cache, loading plugins (inspected
//! before compiling), and running every check in its own `Store`, concurrently, bounded by the
//! number of cores: all are described first, so ids are settled and each check's own limits are
//! known before any of them runs. A check that traps, times out, runs out of memory or fuel,
//! exceeds an output limit or breaks the contract ends in `error`; the others are unaffected.

mod cache;
mod check;
mod engine;
mod estate;
mod host;
mod inspect;
mod limits;
mod output;
mod verdict;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{HasSelf, InstancePre, Linker};

pub use crate::outcome::{ReadState, SectionReads};
pub use cache::{CacheStatus, CompileCache};
pub use check::{Mode, Overrides};
pub use inspect::{InspectError, inspect};
pub use limits::{LimitOverride, LimitPolicy, Limits};
pub use verdict::{Settled, cut_text, settle, status_name, validate_info};

use crate::outcome::{CheckOutcome, PluginMeta};
use crate::snapshot::Snapshot;
use check::Described;
use host::CheckState;

/// A plugin as given to the runtime: where it came from, its bytes and their digest.
#[derive(Debug, Clone)]
pub struct PluginSource {
    /// `bundled:<id>` or a file path.
    pub origin: String,
    pub bytes: Arc<[u8]>,
    /// Hex sha256 of `bytes`: the compile cache's key and the report's record of what ran.
    sha256: String,
    /// Name of the pack the plugin came from (`plumbline-core` for the bundled checks); `None`
    /// for a loose `--plugin FILE`. Selects per-pack limits.
    pub pack: Option<String>,
}

impl PluginSource {
    pub fn new(origin: String, bytes: Arc<[u8]>, pack: Option<String>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        PluginSource { origin, bytes, sha256, pack }
    }

    /// A bundled check, whose digest `build.rs` computed from the same embedded bytes (hashing
    /// them again would be most of a warm start's work).
    pub(crate) fn bundled(origin: String, bytes: &'static [u8], sha256: &str, pack: String) -> Self {
        PluginSource { origin, bytes: Arc::from(bytes), sha256: sha256.to_string(), pack: Some(pack) }
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }
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
    limits: LimitPolicy,
    /// Components already compiled (or fetched) and linked in this run, by sha256, with how the
    /// first load went: a second pass over the same plugins (the CLI describes before it runs)
    /// neither compiles again nor reports the entry it just wrote as a cache hit.
    linked: Mutex<HashMap<String, (InstancePre<CheckState>, CacheStatus)>>,
    _ticker: engine::EpochTicker,
}

impl Runtime {
    pub fn new(cache: CompileCache, limits: impl Into<LimitPolicy>) -> wasmtime::Result<Self> {
        let limits = limits.into();
        let engine = engine::build_engine(limits.uses_fuel())?;
        let mut linker = Linker::new(&engine);
        // WASI 0.2 is linked so components built for wasm32-wasip2 instantiate; the context
        // grants nothing (see host::CheckState::new).
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        // The contract: `types` from the bindings, `estate` by hand (it lowers the snapshot in place).
        crate::contract::types::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut CheckState| state)?;
        estate::add_to_linker(&mut linker)?;
        let ticker = engine::EpochTicker::start(&engine);
        Ok(Runtime { engine, linker, cache, limits, linked: Mutex::default(), _ticker: ticker })
    }

    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    /// Loads (inspects, compiles or fetches from cache, links), describes and runs every plugin
    /// against `snapshot`. The result has one outcome per plugin, in the order given, except
    /// those `mode` leaves out.
    pub fn audit(&self, plugins: &[PluginSource], snapshot: Arc<Snapshot>, mode: &Mode<'_>) -> Vec<CheckOutcome> {
        let described = parallel(plugins.iter().collect(), |source: &PluginSource| {
            let span = tracing::info_span!("check", plugin = %source.origin);
            let _guard = span.enter();
            let pack = source.pack.clone();
            let ready = self.load(source)?;
            let limits = self.limits.for_plugin(pack.as_deref());
            check::describe(&self.engine, &ready.pre, ready.meta, snapshot.clone(), &limits).map(|d| (pack, d))
        });
        let described = settle_ids(described);
        let (select, overrides) = match mode {
            Mode::Run { select, overrides } => (select, overrides),
            Mode::DescribeOnly => {
                return described
                    .into_iter()
                    .map(|d| d.map_or_else(|failed| *failed, |(_, d)| d.described_only()))
                    .collect();
            }
        };
        let selected: Vec<_> =
            described.into_iter().filter(|d| d.as_ref().map_or(true, |(_, d)| select(&d.info.id))).collect();
        parallel(selected, |item| match item {
            Ok((pack, described)) => {
                let span = tracing::info_span!("check", plugin = %described.meta.origin);
                let _guard = span.enter();
                let limits = self.limits.for_check(pack.as_deref(), &described.info.id);
                let overrides = overrides(&described.info.id);
                described.run(&limits, overrides)
            }
            Err(failed) => *failed,
        })
    }

    /// Inspects, compiles (or loads from cache) and links one plugin.
    fn load(&self, source: &PluginSource) -> Result<Ready, Box<CheckOutcome>> {
        let started = Instant::now();
        let mut meta = PluginMeta {
            origin: source.origin.clone(),
            sha256: source.sha256.clone(),
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
        let linked = self.linked.lock().ok().and_then(|linked| linked.get(&meta.sha256).cloned());
        if let Some((pre, status)) = linked {
            meta.cache = Some(status);
            return Ok(Ready { meta, pre });
        }
        let (component, status) = match self.cache.load_or_compile(&self.engine, &source.bytes, &meta.sha256) {
            Ok(found) => found,
            Err(err) => return fail(&meta, format!("does not compile: {err:#}")),
        };
        meta.cache = Some(status);
        tracing::info!(plugin = %meta.origin, cache = ?status, elapsed_ms = started.elapsed().as_millis() as u64, "plugin loaded");
        match self.linker.instantiate_pre(&component) {
            Ok(pre) => {
                if let Ok(mut linked) = self.linked.lock() {
                    linked.insert(meta.sha256.clone(), (pre.clone(), status));
                }
                Ok(Ready { meta, pre })
            }
            Err(err) => fail(&meta, format!("cannot be linked (contract mismatch?): {err:#}")),
        }
    }
}

/// Maps `f` over `items` on up to one thread per core, keeping order.
fn parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let inputs: Vec<Mutex<Option<T>>> = items.into_iter().map(|item| Mutex::new(Some(item))).collect();
    let outputs: Vec<Mutex<Option<R>>> = inputs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let Some(item) = input.lock().ok().and_then(|mut slot| slot.take()) else { continue };
                    let value = f(item);
                    if let Ok(mut slot) = outputs[i].lock() {
                        *slot = Some(value);
                    }
                }
            });
        }
    });
    outputs.into_iter().filter_map(|slot| slot.into_inner().ok().flatten()).collect()
}

type Loaded = Result<(Option<String>, Described), Box<CheckOutcome>>;

/// A second plugin claiming an id already taken is an error and never runs (ids are API, and
/// `[limits.checks.<id>]` must reach only the first).
fn settle_ids(described: Vec<Loaded>) -> Vec<Loaded> {
    let mut seen: Vec<String> = Vec::new();
    described
        .into_iter()
        .map(|item| match item {
            Ok((_, d)) if seen.contains(&d.info.id) => {
                let reason = format!("check id `{}` is already used by another plugin in this run", d.info.id);
                Err(Box::new(d.refuse(reason)))
            }
            Ok((pack, d)) => {
                seen.push(d.info.id.clone());
                Ok((pack, d))
            }
            Err(failed) => Err(failed),
        })
        .collect()
}
