//! The on-disk compile cache. A component is compiled once per (component sha256, engine
//! compatibility hash); later runs deserialize the native artifact instead of compiling.
//!
//! Trust: only files this cache wrote are ever deserialized. Each entry is
//! `MAGIC ‖ length (u64 LE) ‖ crc32(artifact) (u32 LE) ‖ artifact`, written to a temporary file
//! and renamed into place; an entry whose length or checksum does not match (truncated,
//! corrupted) is ignored and rewritten. The checksum guards against accidents, not attackers: a
//! digest stored beside the artifact could be recomputed by anyone able to write the cache
//! directory — who could as well replace the plumbline binary — so the directory is as trusted
//! as the binary (as wasmtime's own cache assumes). CRC-32 rather than sha256 because checking it
//! costs a fraction of a millisecond per entry, where sha256 was most of a warm start.
//! Precompiled artifacts supplied as plugins are refused elsewhere (see `runtime::load`).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"PLBCACH2";
/// MAGIC, the artifact's length and its CRC-32.
const HEADER: usize = 8 + 8 + 4;

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

/// The artifact in `entry`, if its header is this format's and its length and checksum match.
fn verified(entry: &[u8]) -> Option<&[u8]> {
    let rest = entry.strip_prefix(MAGIC.as_slice())?;
    let (length, rest) = rest.split_first_chunk::<8>()?;
    let (crc, artifact) = rest.split_first_chunk::<4>()?;
    let whole = u64::from_le_bytes(*length) == artifact.len() as u64 && !artifact.is_empty();
    (whole && u32::from_le_bytes(*crc) == crc32fast::hash(artifact)).then_some(artifact)
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let data = std::fs::read(path).ok()?;
    let Some(artifact) = verified(&data) else {
        tracing::warn!(path = %path.display(), "compile cache entry is corrupt, truncated or from another plumbline; recompiling");
        return None;
    };
    // Safety: the length and checksum show these are the bytes this cache wrote from
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
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    header.extend_from_slice(&crc32fast::hash(artifact).to_le_bytes());
    file.write_all(&header)?;
    file.write_all(artifact)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(artifact: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cwasm");
        write_entry(dir.path(), &path, artifact).unwrap();
        std::fs::read(path).unwrap()
    }

    #[test]
    fn an_entry_is_trusted_only_whole_and_unchanged() {
        let artifact: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
        let good = entry(&artifact);
        assert_eq!(verified(&good), Some(artifact.as_slice()));
        // Truncated anywhere, one bit flipped anywhere, another format, or empty: refused.
        for cut in [0, 4, HEADER - 1, HEADER, good.len() / 2, good.len() - 1] {
            assert_eq!(verified(&good[..cut]), None, "cut at {cut}");
        }
        for at in [0, 9, 17, HEADER, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert_eq!(verified(&bad), None, "bit flipped at {at}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(verified(&longer), None, "trailing byte");
        let mut old = good.clone();
        old[..8].copy_from_slice(b"PLBCACH1");
        assert_eq!(verified(&old), None, "the previous format");
        assert_eq!(verified(&entry(&[])), None, "empty artifact");
    }
}
