//! The on-disk compile cache. A component is compiled once per (component sha256, engine
//! compatibility hash); later runs deserialize the native artifact instead of compiling.
//!
//! Trust: only files this cache wrote are ever deserialized. Each entry is
//! `MAGIC ‖ sha256(artifact) ‖ artifact`, written to a temporary file and renamed into place; an
//! entry whose digest does not match (truncated, corrupted, tampered) is ignored and rewritten.
//! Precompiled artifacts supplied as plugins are refused elsewhere (see `runtime::load`).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"PLBCACH1";

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStatus {
    /// Loaded a compiled artifact from disk.
    Hit,
    /// Compiled now (and stored, if the cache is writable).
    Miss,
    /// Compiled now; caching is disabled.
    Disabled,
}

/// A compile cache rooted at one directory (or none).
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    pub fn new(dir: Option<PathBuf>) -> Self {
        CompileCache { dir }
    }

    /// `$PLUMBLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/plumbline`, else `~/.cache/plumbline`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("PLUMBLINE_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("plumbline"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("plumbline"))
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Returns the compiled component for `bytes` (whose hex sha256 is `sha256`).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<(Component, CacheStatus)> {
        let Some(dir) = &self.dir else {
            return Ok((Component::new(engine, bytes)?, CacheStatus::Disabled));
        };
        let path = dir.join(format!("{sha256}-{}.cwasm", engine_key(engine)));
        if let Some(component) = read_entry(engine, &path) {
            tracing::debug!(path = %path.display(), "compile cache hit");
            return Ok((component, CacheStatus::Hit));
        }
        let started = std::time::Instant::now();
        let artifact = engine.precompile_component(bytes)?;
        tracing::info!(sha256, elapsed_ms = started.elapsed().as_millis() as u64, "compiled component");
        if let Err(err) = write_entry(dir, &path, &artifact) {
            tracing::warn!(dir = %dir.display(), %err, "compile cache not writable; continuing without it");
        }
        // Deserialize what we just produced (we trust it: it never left this process).
        let component = unsafe { Component::deserialize(engine, &artifact)? };
        Ok((component, CacheStatus::Miss))
    }

    /// Deletes every cache entry; returns how many were removed.
    pub fn clear(&self) -> std::io::Result<usize> {
        let Some(dir) = &self.dir else { return Ok(0) };
        let mut removed = 0;
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    if entry.path().extension().is_some_and(|e| e == "cwasm") {
                        std::fs::remove_file(entry.path())?;
                        removed += 1;
                    }
                }
                Ok(removed)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(err) => Err(err),
        }
    }
}

/// A short, stable key for "artifacts this engine can load".
fn engine_key(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let data = std::fs::read(path).ok()?;
    let verified = data
        .strip_prefix(MAGIC.as_slice())
        .filter(|rest| rest.len() > 32)
        .map(|rest| rest.split_at(32))
        .filter(|(digest, artifact)| Sha256::digest(artifact).as_slice() == *digest)
        .map(|(_, artifact)| artifact);
    let Some(artifact) = verified else {
        tracing::warn!(path = %path.display(), "compile cache entry is corrupt; recompiling");
        return None;
    };
    // Safety: the digest proves these are the exact bytes this cache wrote from
    // `Engine::precompile_component` for an engine with the same compatibility hash.
    match unsafe { Component::deserialize(engine, artifact) } {
        Ok(component) => Some(component),
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "compile cache entry unusable; recompiling");
            None
        }
    }
}

fn write_entry(dir: &Path, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(MAGIC)?;
    file.write_all(&Sha256::digest(artifact))?;
    file.write_all(artifact)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
