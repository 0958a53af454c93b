//! All of the sandbox's engine-level promises in one place (as Spin does in `crates/core`):
//! the wasmtime `Config` and the epoch ticker that enforces deadlines. The per-check limits are
//! in `limits.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine};

/// How often the epoch advances; deadlines are measured in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Maximum wasm stack of a check; deep recursion traps instead of exhausting the host stack.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// Builds the one engine of a run. `fuel` makes it count instructions (only when a fuel limit is
/// configured: counting costs speed, and the compiled code differs, so the compile cache keys it).
pub fn build_engine(fuel: bool) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(fuel);
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    // Checks are compiled once and cached; spend the time to make them fast.
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config.parallel_compilation(true);
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped. The thread parks between
/// ticks, so dropping it wakes it at once instead of waiting out a tick (up to 10 ms at exit).
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.weak();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("plumbline-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    // Spurious wake-ups only make a tick early; deadlines have tick granularity.
                    std::thread::park_timeout(EPOCH_TICK);
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .ok();
        EpochTicker { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// Number of deadline ticks for `timeout` (at least one).
pub fn ticks(timeout: Duration) -> u64 {
    (timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}
