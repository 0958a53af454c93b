//! Plugin packs: checks from a vendor, shipped as a signed bundle, installed into a pack store,
//! pinned by `plumbline.lock`, and run beside the built-in `plumbline-core` pack.
//!
//! - `manifest` — `pack.toml`, parsed strictly;
//! - `sign` — Ed25519 key files and `pack.toml.sig`;
//! - `trust` — which keys are trusted (keys directory and `[trust] keys`);
//! - `archive` — reading a pack from a directory or an untrusted `.tar.gz`, safely;
//! - `verify` — signature first, then manifest, host requirements and component hashes;
//! - `store` — atomic installs into the pack store;
//! - `lock` — `plumbline.lock`.
//!
//! This module hands the runtime plain [`PluginSource`]s and the report plain [`PackRef`]s; it
//! knows nothing of wasmtime or rendering. The CLI (`cli/pack.rs`, `cli/keys.rs`) wires it up.

pub mod archive;
pub mod lock;
pub mod manifest;
pub mod sign;
pub mod store;
pub mod trust;
pub mod verify;

use std::path::Path;
use std::sync::Arc;

pub use archive::PackSource;
pub use lock::{LockError, LockedPack, Lockfile};
pub use manifest::Manifest;
pub use store::{PacksConfig, Store, StoreError};
pub use trust::{KeyStore, Trust, TrustConfig};
pub use verify::{Unsigned, VerifiedPack, VerifyError, verify};

use crate::bundled;
use crate::report::{PackRef, SignerRef};
use crate::runtime::PluginSource;

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
}

/// The installed packs an audit runs, each verified. With a lock file, exactly the pinned packs:
/// a pinned pack that is missing or whose files differ from the pin is an error, and installed
/// packs that are not pinned are left out (with a warning). Without one, every installed pack.
pub fn load_installed(
    store: &Store,
    lock: Option<(&Path, &Lockfile)>,
    trust: &Trust,
    unsigned: Unsigned,
) -> Result<Vec<VerifiedPack>, PackError> {
    let installed = store.names()?;
    let Some((lock_path, lock)) = lock else {
        return installed
            .iter()
            .map(|name| -> Result<VerifiedPack, PackError> { Ok(verify(&store.source(name)?, trust, unsigned)?) })
            .collect();
    };
    let mut packs = Vec::with_capacity(lock.packs.len());
    for pinned in &lock.packs {
        if !installed.contains(&pinned.name) {
            return Err(LockError::Missing {
                name: pinned.name.clone(),
                version: pinned.version.clone(),
                lockfile: lock_path.to_path_buf(),
                store: store.dir().to_path_buf(),
            }
            .into());
        }
        let source = store.source(&pinned.name)?;
        // Verification reads and hashes every file once; the pin is then a comparison. Only when
        // that fails are the raw files compared one by one, to say what differs.
        match verify(&source, trust, unsigned) {
            Ok(pack) if LockedPack::of(&pack) == *pinned => packs.push(pack),
            verified => {
                let mut differences = pinned.check(&source);
                if differences.is_empty() {
                    // The files are as pinned, so a verification error is the reason itself.
                    let pack = verified?;
                    differences = pinned.differences(&LockedPack::of(&pack));
                    if differences.is_empty() {
                        differences.push("the components the lock lists differ from the pack's manifest".into());
                    }
                }
                return Err(LockError::Mismatch {
                    name: pinned.name.clone(),
                    lockfile: lock_path.to_path_buf(),
                    differences,
                }
                .into());
            }
        }
    }
    for name in installed.iter().filter(|name| lock.get(name).is_none()) {
        tracing::warn!(
            "pack `{name}` is installed in {} but not pinned in {}, so it is not run; run `plumbline pack \
             install` from this directory to use it here",
            store.dir().display(),
            lock_path.display()
        );
    }
    Ok(packs)
}

/// The pack's components as plugins (`pack:<name>/<file>`), in manifest order.
pub fn plugin_sources(pack: &VerifiedPack) -> Vec<PluginSource> {
    pack.components
        .iter()
        .map(|c| {
            PluginSource::new(
                format!("pack:{}/{}", pack.manifest.name, c.entry.component),
                Arc::from(c.bytes.as_slice()),
                Some(pack.manifest.name.clone()),
            )
        })
        .collect()
}

/// How the report names an installed pack.
pub fn pack_ref(pack: &VerifiedPack) -> PackRef {
    PackRef {
        name: pack.manifest.name.clone(),
        version: pack.manifest.version.clone(),
        vendor: pack.manifest.vendor.clone(),
        manifest_sha256: pack.manifest_sha256.clone(),
        trust: if pack.signature.is_some() { "signed" } else { "unsigned" },
        signer: pack.signer().map(|s| SignerRef { key_id: s.key_id.clone(), name: s.name.clone() }),
        checks: pack.manifest.checks.iter().map(|c| c.id.clone()).collect(),
    }
}

/// The built-in pack's manifest, generated by build.rs from the components it embeds.
pub fn core_manifest() -> Result<Manifest, manifest::ManifestError> {
    Manifest::parse(bundled::CORE_MANIFEST.as_bytes())
}

/// How the report names the built-in pack.
pub fn core_ref() -> PackRef {
    let manifest = core_manifest().ok();
    PackRef {
        name: bundled::CORE_PACK.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        vendor: manifest.as_ref().map_or_else(|| "plumbline".into(), |m| m.vendor.clone()),
        manifest_sha256: verify::sha256_hex(bundled::CORE_MANIFEST.as_bytes()),
        trust: "built-in",
        signer: None,
        checks: manifest.map(|m| m.checks.into_iter().map(|c| c.id).collect()).unwrap_or_default(),
    }
}

/// A TOML parse error as one line: its message and line number, never the source snippet
/// `toml`'s Display adds (a key file's snippet would be its secret seed).
pub(crate) fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().split_whitespace().collect::<Vec<_>>().join(" ");
    match error.span() {
        Some(span) => format!("line {}: {message}", text[..span.start.min(text.len())].matches('\n').count() + 1),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::sign::SecretKey;
    use crate::pack::verify::tests::write_pack;

    #[test]
    fn the_core_manifest_describes_the_bundled_components() {
        let manifest = core_manifest().expect("the generated manifest is valid");
        assert_eq!(manifest.name, bundled::CORE_PACK);
        assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
        assert!(manifest.fits(manifest::HostVersions::current()).is_ok());
        assert_eq!(manifest.checks.len(), bundled::BUNDLED.len());
        for ((id, sha256, bytes), entry) in bundled::BUNDLED.iter().zip(&manifest.checks) {
            assert_eq!(*id, entry.id);
            assert_eq!(verify::sha256_hex(bytes), entry.sha256, "{id}");
            assert_eq!(*sha256, entry.sha256, "{id}: the digest embedded beside the bytes");
        }
        assert_eq!(core_ref().checks.len(), bundled::BUNDLED.len());
    }

    #[test]
    fn the_lock_selects_and_pins_installed_packs() {
        let src = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path().join("packs"));
        let key = SecretKey::generate("acme").unwrap();
        let trust = write_pack(src.path(), Some(&key), b"one");
        let pack = verify(&PackSource::open(src.path()).unwrap(), &trust, Unsigned::Refuse).unwrap();
        store.install(&pack).unwrap();
        let lock_path = root.path().join(lock::FILE);

        // Without a lock every installed pack runs; an empty lock runs none.
        assert_eq!(load_installed(&store, None, &trust, Unsigned::Allow).unwrap().len(), 1);
        let empty = Lockfile::default();
        assert!(load_installed(&store, Some((&lock_path, &empty)), &trust, Unsigned::Allow).unwrap().is_empty());

        let mut lock = Lockfile::default();
        lock.pin(LockedPack::of(&pack));
        let loaded = load_installed(&store, Some((&lock_path, &lock)), &trust, Unsigned::Allow).unwrap();
        assert_eq!(plugin_sources(&loaded[0])[0].origin, "pack:demo/c.wasm");
        assert_eq!(pack_ref(&loaded[0]).signer.unwrap().name, "acme");

        std::fs::write(store.dir().join("demo/c.wasm"), b"two").unwrap();
        let err = load_installed(&store, Some((&lock_path, &lock)), &trust, Unsigned::Allow).unwrap_err();
        assert!(matches!(err, PackError::Lock(LockError::Mismatch { .. })), "{err}");
        assert!(err.to_string().contains("component c.wasm"), "{err}");

        store.remove("demo").unwrap();
        let err = load_installed(&store, Some((&lock_path, &lock)), &trust, Unsigned::Allow).unwrap_err();
        assert!(matches!(err, PackError::Lock(LockError::Missing { .. })), "{err}");
    }
}
