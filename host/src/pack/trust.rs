//! Which signing keys are trusted: the keys directory that `plumbline keys trust` fills (one
//! `<key-id>.pub` file per key) plus the public key files named by `[trust] keys` in
//! `plumbline.toml`. Also the `[trust]` table itself (`require-signed`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::sign::{KeyError, PublicKey};

/// `[trust]` in plumbline.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrustConfig {
    /// Public key files (relative to the config's directory) trusted in addition to the keys dir.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
    /// Refuse unsigned packs (same as `--require-signed`).
    #[serde(default)]
    pub require_signed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: {error}")]
    Key { path: PathBuf, error: KeyError },
    #[error("no trusted key `{0}` (see `plumbline keys list`)")]
    NotFound(String),
    #[error("`{name}` names {count} trusted keys; remove one by key id ({ids})")]
    Ambiguous { name: String, count: usize, ids: String },
    #[error("cannot write {path}: {error}")]
    Write { path: PathBuf, error: std::io::Error },
}

/// A trusted key and where the trust comes from (a file in the keys dir or in the config).
#[derive(Debug, Clone)]
pub struct Trusted {
    pub key: PublicKey,
    pub from: PathBuf,
}

/// The keys directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

/// Every key trusted for this run.
#[derive(Debug, Default, Clone)]
pub struct Trust {
    keys: Vec<Trusted>,
}

impl KeyStore {
    pub fn new(dir: PathBuf) -> KeyStore {
        KeyStore { dir }
    }

    /// `$XDG_DATA_HOME/plumbline/keys` (or the platform's data directory).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("plumbline").join("keys"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every key in the directory; a file that is not a valid public key is an error naming it.
    pub fn list(&self) -> Result<Vec<Trusted>, TrustError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(TrustError::Io { path: self.dir.clone(), error: source }),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| TrustError::Io { path: self.dir.clone(), error: source })?.path();
            if path.extension().is_some_and(|e| e == "pub") {
                keys.push(Trusted { key: read_public(&path)?, from: path });
            }
        }
        keys.sort_by(|a, b| (&a.key.name, &a.key.key_id).cmp(&(&b.key.name, &b.key.key_id)));
        Ok(keys)
    }

    /// Trusts `key` (replacing an earlier entry for the same key id, e.g. to rename it).
    pub fn add(&self, key: &PublicKey) -> Result<PathBuf, TrustError> {
        let path = self.dir.join(format!("{}.pub", key.key_id));
        write_atomic(&self.dir, &path, key.to_file_text().as_bytes())
            .map_err(|source| TrustError::Write { path: path.clone(), error: source })?;
        Ok(path)
    }

    /// Removes the key with this key id or name; a name shared by several keys must be given as an id.
    pub fn remove(&self, id_or_name: &str) -> Result<PublicKey, TrustError> {
        let keys = self.list()?;
        let matching: Vec<&Trusted> = keys
            .iter()
            .filter(|t| t.key.key_id == id_or_name.to_ascii_lowercase() || t.key.name == id_or_name)
            .collect();
        match matching.as_slice() {
            [] => Err(TrustError::NotFound(id_or_name.to_string())),
            [one] => {
                std::fs::remove_file(&one.from)
                    .map_err(|source| TrustError::Write { path: one.from.clone(), error: source })?;
                Ok(one.key.clone())
            }
            many => Err(TrustError::Ambiguous {
                name: id_or_name.to_string(),
                count: many.len(),
                ids: many.iter().map(|t| t.key.key_id.as_str()).collect::<Vec<_>>().join(", "),
            }),
        }
    }
}

impl Trust {
    /// The keys directory's keys plus `[trust] keys` (paths relative to `base_dir`).
    pub fn load(store: &KeyStore, config: &TrustConfig, base_dir: &Path) -> Result<Trust, TrustError> {
        let mut keys = store.list()?;
        for file in &config.keys {
            let path = base_dir.join(file);
            keys.push(Trusted { key: read_public(&path)?, from: path });
        }
        Ok(Trust { keys })
    }

    pub fn from_keys(keys: Vec<Trusted>) -> Trust {
        Trust { keys }
    }

    pub fn find(&self, key_id: &str) -> Option<&Trusted> {
        self.keys.iter().find(|t| t.key.key_id == key_id)
    }

    pub fn keys(&self) -> &[Trusted] {
        &self.keys
    }
}

/// Reads a public key file (at most 4 KiB).
pub fn read_public(path: &Path) -> Result<PublicKey, TrustError> {
    let bytes = super::archive::read_capped(path, 4096)
        .map_err(|source| TrustError::Io { path: path.into(), error: source })?;
    PublicKey::parse(&bytes).map_err(|source| TrustError::Key { path: path.into(), error: source })
}

/// Writes `bytes` to `path` through a temporary file in `dir` and a rename.
pub fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::sign::SecretKey;

    #[test]
    fn add_list_rename_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("keys"));
        assert!(store.list().unwrap().is_empty(), "a missing keys dir trusts nothing");
        let acme = SecretKey::generate("acme").unwrap().public();
        let other = SecretKey::generate("acme").unwrap().public();
        store.add(&acme).unwrap();
        store.add(&other).unwrap();
        assert_eq!(store.list().unwrap().len(), 2);
        assert!(matches!(store.remove("acme"), Err(TrustError::Ambiguous { count: 2, .. })));
        store.add(&acme.clone().renamed("acme-old").unwrap()).unwrap();
        assert_eq!(store.list().unwrap().len(), 2, "re-trusting a key id replaces its entry");
        assert_eq!(store.remove("acme-old").unwrap().key_id, acme.key_id);
        assert_eq!(store.remove(&other.key_id).unwrap().name, "acme");
        assert!(matches!(store.remove("acme"), Err(TrustError::NotFound(_))));
    }

    #[test]
    fn config_keys_are_trusted_and_bad_files_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("vendor").unwrap().public();
        std::fs::write(dir.path().join("vendor.pub"), key.to_file_text()).unwrap();
        let config = TrustConfig { keys: vec!["vendor.pub".into()], require_signed: false };
        let trust = Trust::load(&KeyStore::new(dir.path().join("none")), &config, dir.path()).unwrap();
        assert_eq!(trust.find(&key.key_id).unwrap().key.name, "vendor");
        std::fs::write(dir.path().join("vendor.pub"), "garbage").unwrap();
        let err = Trust::load(&KeyStore::new(dir.path().join("none")), &config, dir.path()).unwrap_err();
        assert!(err.to_string().contains("vendor.pub"), "{err}");
    }
}
