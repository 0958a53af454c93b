//! The pack store: one directory per installed pack, `<store>/<name>/` holding `pack.toml`,
//! `pack.toml.sig` and the components, exactly as verified. Also the `[packs]` table.
//!
//! Installs are atomic: the pack is written into a temporary directory inside the store, synced,
//! and renamed into place, so a reader sees the old pack or the new one, never half of one.
//! Replacing an installed pack moves the old directory aside first and back if the rename
//! fails. Only a [`VerifiedPack`] can be installed, and only its verified bytes are written.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::archive::PackSource;
use super::manifest::{self, is_kebab};
use super::sign::SIG_FILE;
use super::verify::VerifiedPack;

/// `[packs]` in plumbline.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PacksConfig {
    /// The pack store directory (relative to the config's directory).
    pub store: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("pack store {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("no pack `{name}` in the pack store {store} (see `plumbline pack list`)")]
    NotInstalled { name: String, store: PathBuf },
}

/// The directory packs are installed into.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Store {
        Store { dir }
    }

    /// `$XDG_DATA_HOME/plumbline/packs` (or the platform's data directory).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("plumbline").join("packs"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Names of the installed packs, sorted; temporary and foreign directories are skipped.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(self.io(source)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| self.io(source))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_kebab(&name) && entry.path().join(manifest::FILE).is_file() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// The installed pack `name`, as a source to verify.
    pub fn source(&self, name: &str) -> Result<PackSource, StoreError> {
        let dir = self.dir.join(name);
        if !is_kebab(name) || !dir.join(manifest::FILE).is_file() {
            return Err(StoreError::NotInstalled { name: name.to_string(), store: self.dir.clone() });
        }
        Ok(PackSource::Dir(dir))
    }

    /// Installs (or replaces) a verified pack; returns the version it replaced, if any.
    pub fn install(&self, pack: &VerifiedPack) -> Result<Option<String>, StoreError> {
        let io = |source| self.io(source);
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let staging = tempfile::Builder::new().prefix(".install-").tempdir_in(&self.dir).map_err(io)?;
        write_synced(&staging.path().join(manifest::FILE), &pack.manifest_bytes).map_err(io)?;
        if let Some((sig, _)) = &pack.signature {
            write_synced(&staging.path().join(SIG_FILE), sig).map_err(io)?;
        }
        for component in &pack.components {
            write_synced(&staging.path().join(&component.entry.component), &component.bytes).map_err(io)?;
        }
        let target = self.dir.join(&pack.manifest.name);
        let previous = installed_version(&target);
        let aside = if target.exists() {
            // An empty directory to rename the old pack onto (rename replaces an empty directory).
            let aside = tempfile::Builder::new().prefix(".old-").tempdir_in(&self.dir).map_err(io)?;
            std::fs::rename(&target, aside.path()).map_err(io)?;
            Some(aside)
        } else {
            None
        };
        if let Err(source) = std::fs::rename(staging.path(), &target) {
            if let Some(aside) = &aside {
                let _ = std::fs::rename(aside.path(), &target);
            }
            return Err(io(source));
        }
        // The staging directory now is the pack: keep it. The old pack (if any) is removed on drop.
        let _ = staging.keep();
        sync_dir(&self.dir);
        Ok(previous)
    }

    /// Removes an installed pack; returns its version.
    pub fn remove(&self, name: &str) -> Result<Option<String>, StoreError> {
        let source = self.source(name)?;
        let version = installed_version(source.path());
        // Rename away first so the pack disappears at once, then delete it.
        let aside = tempfile::Builder::new().prefix(".remove-").tempdir_in(&self.dir).map_err(|s| self.io(s))?;
        std::fs::rename(source.path(), aside.path()).map_err(|s| self.io(s))?;
        Ok(version)
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io { path: self.dir.clone(), error: source }
    }
}

/// The version in an installed pack's manifest, when it can be read (for messages only).
pub fn installed_version(dir: &Path) -> Option<String> {
    let bytes = std::fs::read(dir.join(manifest::FILE)).ok()?;
    let value: toml::Value = toml::from_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    value.get("version")?.as_str().map(str::to_string)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::sign::SecretKey;
    use crate::pack::verify::{Unsigned, tests::write_pack, verify};

    fn verified(dir: &Path, key: &SecretKey, component: &[u8]) -> VerifiedPack {
        let trust = write_pack(dir, Some(key), component);
        verify(&PackSource::open(dir).unwrap(), &trust, Unsigned::Refuse).unwrap()
    }

    #[test]
    fn install_replace_list_remove() {
        let src = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path().join("packs"));
        assert!(store.names().unwrap().is_empty());
        let key = SecretKey::generate("acme").unwrap();
        let pack = verified(src.path(), &key, b"one");
        assert_eq!(store.install(&pack).unwrap(), None);
        assert_eq!(store.names().unwrap(), ["demo"]);
        assert_eq!(std::fs::read(store.dir().join("demo/c.wasm")).unwrap(), b"one");
        assert!(store.dir().join("demo").join(SIG_FILE).is_file());

        let pack = verified(src.path(), &key, b"two");
        assert_eq!(store.install(&pack).unwrap().as_deref(), Some("1.0.0"));
        assert_eq!(std::fs::read(store.dir().join("demo/c.wasm")).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(store.dir()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, ["demo"], "no staging or old directories are left behind");

        assert_eq!(store.remove("demo").unwrap().as_deref(), Some("1.0.0"));
        assert!(store.names().unwrap().is_empty());
        assert!(matches!(store.remove("demo"), Err(StoreError::NotInstalled { .. })));
        assert!(matches!(store.source("../etc"), Err(StoreError::NotInstalled { .. })));
    }
}
