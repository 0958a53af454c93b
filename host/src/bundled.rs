//! The checks that ship inside the binary, built for wasm32-wasip2 by `build.rs` from
//! `plugins/<id>/` and embedded as bytes, so `cargo install --path host` gives a working tool.

use crate::runtime::PluginSource;

// `BUNDLED` and `CORE_MANIFEST` (the `pack.toml` of `plumbline-core`, read by `pack::core_manifest`).
include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// Name of the built-in pack the bundled checks form.
pub const CORE_PACK: &str = "plumbline-core";

/// Every bundled check as a plugin source (`bundled:<id>`).
pub fn plugins() -> Vec<PluginSource> {
    BUNDLED
        .iter()
        .map(|(id, sha256, bytes)| PluginSource::bundled(format!("bundled:{id}"), bytes, sha256, CORE_PACK.to_string()))
        .collect()
}

/// The example estate `plumbline audit` uses when no snapshot is given.
pub const EXAMPLE_NAME: &str = "examples/leaky-estate/snapshot.json";
pub const EXAMPLE: &[u8] = include_bytes!("../../examples/leaky-estate/snapshot.json");
