//! `plumbline.lock` (`plumbline-lock/1`): the packs a project audits with, pinned by name,
//! version, manifest sha256, each component's sha256 and the signer's key id. `pack install`
//! writes it; `audit` compares the store's raw files with it before verifying them, and refuses
//! a pack that differs or is missing, naming what differs.
//!
//! ```toml
//! format = "plumbline-lock/1"
//!
//! [[pack]]
//! name = "acme-dlq"
//! version = "1.0.0"
//! manifest-sha256 = "…"
//! signer = "3f9c0a1b2c3d4e5f"       # absent for an unsigned pack
//!
//! [[pack.component]]
//! file = "dlq-retention.wasm"
//! sha256 = "…"
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::archive::{MAX_FILE, PackSource, read_capped};
use super::manifest;
use super::sign::{SIG_FILE, Signature};
use super::verify::{VerifiedPack, sha256_hex};

pub const FILE: &str = "plumbline.lock";
const FORMAT: &str = "plumbline-lock/1";
const HEADER: &str = "# Written by `plumbline pack install`. Commit it: `plumbline audit` refuses installed packs that\n\
                      # differ from what is pinned here. Do not edit by hand.\n";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Lockfile {
    pub format: String,
    #[serde(default, rename = "pack", skip_serializing_if = "Vec::is_empty")]
    pub packs: Vec<LockedPack>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedPack {
    pub name: String,
    pub version: String,
    pub manifest_sha256: String,
    /// Key id of the signer; `None` for an unsigned pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    #[serde(rename = "component")]
    pub components: Vec<LockedComponent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedComponent {
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: not a valid plumbline-lock/1 file: {why}")]
    Invalid { path: PathBuf, why: String },
    #[error("cannot write {path}: {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error(
        "pack `{name}` {version} is pinned in {lockfile} but not installed in {store}; install it with \
         `plumbline pack install PACK --locked`, or remove it from the lock with `plumbline pack remove {name}`"
    )]
    Missing { name: String, version: String, lockfile: PathBuf, store: PathBuf },
    #[error(
        "installed pack `{name}` no longer matches {lockfile}:\n  - {}\nRe-install the pinned pack \
         (`plumbline pack install PACK --locked`), or, if the change is intended, install the new pack with \
         `plumbline pack install PACK` to update the lock", differences.join("\n  - ")
    )]
    Mismatch { name: String, lockfile: PathBuf, differences: Vec<String> },
}

impl Default for Lockfile {
    fn default() -> Self {
        Lockfile { format: FORMAT.to_string(), packs: Vec::new() }
    }
}

impl Lockfile {
    /// Reads the lock file; `None` when there is none.
    pub fn read(path: &Path) -> Result<Option<Lockfile>, LockError> {
        let bytes = match read_capped(path, 1 << 20) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LockError::Io { path: path.into(), error: source }),
        };
        let invalid = |why: String| LockError::Invalid { path: path.into(), why };
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid("not UTF-8 text".into()))?;
        let lock: Lockfile = toml::from_str(text).map_err(|e| invalid(super::toml_error(text, &e)))?;
        if lock.format != FORMAT {
            return Err(invalid(format!("format is `{}`", lock.format)));
        }
        // The lock is input like any other: its names become paths in the store.
        for (i, pack) in lock.packs.iter().enumerate() {
            if !manifest::is_kebab(&pack.name) {
                return Err(invalid(format!("pack[{i}].name `{}` is not a pack name", pack.name)));
            }
            if !manifest::is_sha256(&pack.manifest_sha256) {
                return Err(invalid(format!("pack[{i}].manifest-sha256 is not a sha256 in lowercase hex")));
            }
            for (j, component) in pack.components.iter().enumerate() {
                if !manifest::is_component_name(&component.file) {
                    return Err(invalid(format!(
                        "pack[{i}].component[{j}].file `{}` is not a component file name",
                        component.file
                    )));
                }
                if !manifest::is_sha256(&component.sha256) {
                    return Err(invalid(format!("pack[{i}].component[{j}].sha256 is not a sha256 in lowercase hex")));
                }
            }
        }
        Ok(Some(lock))
    }

    /// Writes the lock file atomically, packs sorted by name.
    pub fn write(&mut self, path: &Path) -> Result<(), LockError> {
        self.packs.sort_by(|a, b| a.name.cmp(&b.name));
        let body = toml::to_string(self)
            .map_err(|e| LockError::Write { path: path.into(), error: std::io::Error::other(e) })?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        super::trust::write_atomic(dir, path, format!("{HEADER}{body}").as_bytes())
            .map_err(|source| LockError::Write { path: path.into(), error: source })
    }

    pub fn get(&self, name: &str) -> Option<&LockedPack> {
        self.packs.iter().find(|p| p.name == name)
    }

    /// Pins `pack`, replacing an earlier pin of the same name; returns that earlier pin.
    pub fn pin(&mut self, pack: LockedPack) -> Option<LockedPack> {
        let old = self.unpin(&pack.name);
        self.packs.push(pack);
        old
    }

    pub fn unpin(&mut self, name: &str) -> Option<LockedPack> {
        let index = self.packs.iter().position(|p| p.name == name)?;
        Some(self.packs.remove(index))
    }
}

impl LockedPack {
    pub fn of(pack: &VerifiedPack) -> LockedPack {
        LockedPack {
            name: pack.manifest.name.clone(),
            version: pack.manifest.version.clone(),
            manifest_sha256: pack.manifest_sha256.clone(),
            signer: pack.signer().map(|s| s.key_id.clone()),
            components: pack
                .components
                .iter()
                .map(|c| LockedComponent { file: c.entry.component.clone(), sha256: c.entry.sha256.clone() })
                .collect(),
        }
    }

    /// What differs between this pin and `other` (a pack about to be installed), for messages.
    pub fn differences(&self, other: &LockedPack) -> Vec<String> {
        let mut out = Vec::new();
        if self.version != other.version {
            out.push(format!("version: the lock pins {}, this is {}", self.version, other.version));
        }
        if self.manifest_sha256 != other.manifest_sha256 {
            out.push(format!(
                "pack.toml sha256: the lock pins {}, this is {}",
                self.manifest_sha256, other.manifest_sha256
            ));
        }
        if self.signer != other.signer {
            out.push(format!("signer: the lock pins {}, this is {}", signer(&self.signer), signer(&other.signer)));
        }
        out
    }

    /// Compares the raw files of an installed pack with this pin; every difference, or none.
    pub fn check(&self, installed: &PackSource) -> Vec<String> {
        let mut out = Vec::new();
        match installed.read(manifest::FILE, 64 << 10) {
            Ok(Some(bytes)) => {
                let actual = sha256_hex(&bytes);
                if actual != self.manifest_sha256 {
                    let version = std::str::from_utf8(&bytes)
                        .ok()
                        .and_then(|t| toml::from_str::<toml::Value>(t).ok())
                        .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_string));
                    if let Some(version) = version.filter(|v| *v != self.version) {
                        out.push(format!("version: the lock pins {}, the store has {version}", self.version));
                    }
                    out.push(format!(
                        "pack.toml sha256: the lock pins {}, the store has {actual}",
                        self.manifest_sha256
                    ));
                }
            }
            Ok(None) => out.push("pack.toml is missing from the store".into()),
            Err(e) => out.push(format!("pack.toml cannot be read: {e}")),
        }
        let stored_signer = match installed.read(SIG_FILE, 4 << 10) {
            Ok(Some(bytes)) => {
                Signature::parse(&bytes).ok().map(|s| s.key_id).or(Some("(unreadable signature)".into()))
            }
            _ => None,
        };
        if stored_signer != self.signer {
            out.push(format!(
                "signer: the lock pins {}, the store's pack has {}",
                signer(&self.signer),
                signer(&stored_signer)
            ));
        }
        for component in &self.components {
            match installed.read(&component.file, MAX_FILE) {
                Ok(Some(bytes)) => {
                    let actual = sha256_hex(&bytes);
                    if actual != component.sha256 {
                        out.push(format!(
                            "component {}: sha256 is {actual}, the lock pins {}",
                            component.file, component.sha256
                        ));
                    }
                }
                Ok(None) => out.push(format!("component {} is missing from the store", component.file)),
                Err(e) => out.push(format!("component {} cannot be read: {e}", component.file)),
            }
        }
        out
    }
}

fn signer(key: &Option<String>) -> String {
    match key {
        Some(id) => format!("key {id}"),
        None => "no signature".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::sign::SecretKey;
    use crate::pack::verify::{Unsigned, tests::write_pack, verify};

    #[test]
    fn round_trip_and_store_comparison() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("acme").unwrap();
        let trust = write_pack(dir.path(), Some(&key), b"one");
        let source = PackSource::open(dir.path()).unwrap();
        let pinned = LockedPack::of(&verify(&source, &trust, Unsigned::Refuse).unwrap());
        let path = dir.path().join("sub").join(FILE);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut lock = Lockfile::default();
        assert!(lock.pin(pinned.clone()).is_none());
        lock.write(&path).unwrap();
        let read = Lockfile::read(&path).unwrap().unwrap();
        assert_eq!(read.get("demo"), Some(&pinned));
        assert!(pinned.check(&source).is_empty());

        std::fs::write(dir.path().join("c.wasm"), b"two").unwrap();
        let diffs = pinned.check(&source);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert!(diffs[0].starts_with("component c.wasm: sha256"), "{diffs:?}");

        let other = SecretKey::generate("acme").unwrap();
        write_pack(dir.path(), Some(&other), b"one");
        let manifest = std::fs::read_to_string(dir.path().join("pack.toml")).unwrap();
        std::fs::write(dir.path().join("pack.toml"), manifest.replace("1.0.0", "1.1.0")).unwrap();
        let diffs = pinned.check(&source).join("\n");
        assert!(diffs.contains("version: the lock pins 1.0.0, the store has 1.1.0"), "{diffs}");
        assert!(diffs.contains("signer: the lock pins key"), "{diffs}");
    }

    #[test]
    fn missing_and_invalid_lock_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Lockfile::read(&dir.path().join(FILE)).unwrap(), None);
        std::fs::write(dir.path().join(FILE), "format = \"plumbline-lock/1\"\nextra = 1\n").unwrap();
        let err = Lockfile::read(&dir.path().join(FILE)).unwrap_err().to_string();
        assert!(err.contains("extra"), "{err}");
        // Names in the lock become paths in the store: a path-like one is refused, never read.
        let sha = "0".repeat(64);
        let escape = format!(
            "format = \"plumbline-lock/1\"\n[[pack]]\nname = \"demo\"\nversion = \"1.0.0\"\nmanifest-sha256 = \"{sha}\"\n\
             [[pack.component]]\nfile = \"../../etc/shadow\"\nsha256 = \"{sha}\"\n"
        );
        std::fs::write(dir.path().join(FILE), escape).unwrap();
        let err = Lockfile::read(&dir.path().join(FILE)).unwrap_err().to_string();
        assert!(err.contains("pack[0].component[0].file"), "{err}");
    }
}
