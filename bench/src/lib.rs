//! plumbline-bench: how fast plumbline is and what it costs, measured the way a user runs it.
//!
//! - [`synth`]: synthetic estates of 1k..1M resources with a controlled share of problems.
//! - [`native`]: the eight checks compiled into this binary, for the Wasm-vs-native comparison.
//! - [`rego`]: the `acks` and `dead-letters` rules written in Rego (bench/rego), run by regorus.
//! - [`wasm`]: the same checks as components through the host's runtime.
//! - [`measure`]: timing and peak memory of child processes.
//! - [`suites`]: the benchmarks behind `just bench`, each producing rows for the results table.
//! - [`results`]: the results table (Markdown) and the cost-vs-size plot (PNG).
//!
//! Nothing here runs in `cargo test` except quick correctness tests (generator, equivalence).

pub mod measure;
pub mod native;
pub mod rego;
pub mod results;
pub mod suites;
pub mod synth;
pub mod wasm;
