//! plumbline — an audit engine for real-time integrations whose checks are sandboxed WebAssembly
//! components.
//!
//! Data flows one way:
//! `collect` (live, read-only sources) or a snapshot file → `snapshot` (the estate, redacted)
//! → `runtime` (wasmtime sandbox; the host side of the WIT contract in `contract`)
//! → `outcome` (plain per-check results) → `report` (merge, gate, render).
//! `history` records reports and compares them. `cli` is the only place that prints or decides
//! exit codes.
//! `scaffold` writes new check crates for `plumbline new check`. `pack` verifies, installs and
//! pins signed plugin packs.
//!
//! The `live` feature (default; see host/Cargo.toml) adds the live collectors, the history store
//! and `cli`. Without it the library still parses and validates configuration, loads and redacts
//! snapshots, verifies packs and runs checks: what the fuzz targets and library users need.

pub mod bundled;
#[cfg(feature = "live")]
pub mod cli;
pub mod collect;
pub mod config;
pub mod contract;
pub mod history;
pub mod outcome;
pub mod pack;
pub mod report;
pub mod runtime;
pub mod scaffold;
pub mod snapshot;
pub mod time;
