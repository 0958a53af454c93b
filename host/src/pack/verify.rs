//! Verifying a pack, in the order that keeps untrusted bytes from being trusted early:
//!
//! 1. read `pack.toml` and `pack.toml.sig` as bytes (size-capped);
//! 2. check the signature over the exact manifest bytes with a trusted key — or, for an
//!    unsigned pack, apply the policy (`--require-signed` refuses, `--allow-unsigned` admits);
//! 3. only then parse the manifest strictly and check it fits this host (contract range,
//!    minimum plumbline version);
//! 4. read each component and check its sha256 against the manifest.
//!
//! A [`VerifiedPack`] can only be made here, so the store never holds anything unverified.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::archive::{ArchiveError, MAX_FILE, PackSource};
use super::manifest::{self, CheckEntry, HostVersions, Manifest, ManifestError};
use super::sign::{KeyError, SIG_FILE, Signature};
use super::trust::Trust;

const MAX_MANIFEST: u64 = 64 << 10;
const MAX_SIGNATURE: u64 = 4 << 10;

/// What to do with a pack that has no signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsigned {
    /// Refuse it, and say how to admit it (`--allow-unsigned`).
    Refuse,
    /// Refuse it because signatures are required (`--require-signed`, `[trust] require-signed`).
    Required,
    /// Accept it (`--allow-unsigned` at install; packs already in the store at audit time).
    Allow,
}

/// Who signed a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Signer {
    pub key_id: String,
    /// The name the key is trusted under.
    pub name: String,
}

/// One component of a verified pack.
#[derive(Debug, Clone)]
pub struct Component {
    pub entry: CheckEntry,
    pub bytes: Vec<u8>,
}

/// A pack whose signature (or admitted absence of one), manifest and components all checked out.
#[derive(Debug, Clone)]
pub struct VerifiedPack {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub manifest_sha256: String,
    /// The bytes of `pack.toml.sig` and its signer; `None` for an unsigned pack.
    pub signature: Option<(Vec<u8>, Signer)>,
    pub components: Vec<Component>,
    /// Where it was read from.
    pub origin: PathBuf,
    _sealed: Sealed,
}

/// Only `verify` can make a `VerifiedPack` (this field's type is private to the module).
#[derive(Debug, Clone)]
struct Sealed;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{origin}: no pack.toml in the pack")]
    NoManifest { origin: PathBuf },
    #[error("{origin}: {error}")]
    Manifest { origin: PathBuf, error: ManifestError },
    #[error("{origin}: pack.toml.sig: {error}")]
    SignatureFile { origin: PathBuf, error: KeyError },
    #[error(
        "{origin}: the pack is not signed (no pack.toml.sig), and unsigned packs are refused \
         (--require-signed or [trust] require-signed)"
    )]
    UnsignedRequired { origin: PathBuf },
    #[error(
        "{origin}: the pack is not signed (no pack.toml.sig). Ask its vendor for a signed pack, or, if you \
         trust where it came from, install it with --allow-unsigned"
    )]
    Unsigned { origin: PathBuf },
    #[error(
        "{origin}: pack.toml is signed by key {key_id}, which is not trusted. If that is the vendor's key, \
         get their public key file, check that its key-id is {key_id}, and run `plumbline keys trust FILE` \
         (or list the file under [trust] keys in plumbline.toml)"
    )]
    UntrustedKey { origin: PathBuf, key_id: String },
    #[error(
        "{origin}: bad signature: pack.toml.sig does not match pack.toml for key {key_id} ({signer}); the manifest \
         was changed after it was signed, or the signature is damaged"
    )]
    BadSignature { origin: PathBuf, key_id: String, signer: String },
    #[error("{origin}: component {file} is listed in pack.toml but missing from the pack")]
    MissingComponent { origin: PathBuf, file: String },
    #[error(
        "{origin}: component {file} does not match pack.toml: its sha256 is {actual}, the manifest says \
         {expected}; the file was changed after the pack was signed"
    )]
    HashMismatch { origin: PathBuf, file: String, expected: String, actual: String },
    #[error("{origin}: pack {name} {version} cannot run here: {why}")]
    Incompatible { origin: PathBuf, name: String, version: String, why: String },
}

/// Verifies the pack in `source` against the trusted keys and the unsigned-pack policy.
pub fn verify(source: &PackSource, trust: &Trust, unsigned: Unsigned) -> Result<VerifiedPack, VerifyError> {
    verify_for(source, trust, unsigned, HostVersions::current())
}

pub(crate) fn verify_for(
    source: &PackSource,
    trust: &Trust,
    unsigned: Unsigned,
    host: HostVersions<'_>,
) -> Result<VerifiedPack, VerifyError> {
    let origin = source.path().to_path_buf();
    let manifest_bytes =
        source.read(manifest::FILE, MAX_MANIFEST)?.ok_or_else(|| VerifyError::NoManifest { origin: origin.clone() })?;
    let signature = match source.read(SIG_FILE, MAX_SIGNATURE)? {
        Some(sig_bytes) => {
            let signature = Signature::parse(&sig_bytes)
                .map_err(|source| VerifyError::SignatureFile { origin: origin.clone(), error: source })?;
            let trusted = trust.find(&signature.key_id).ok_or_else(|| VerifyError::UntrustedKey {
                origin: origin.clone(),
                key_id: signature.key_id.clone(),
            })?;
            if !trusted.key.verifies(&manifest_bytes, &signature) {
                return Err(VerifyError::BadSignature {
                    origin,
                    key_id: signature.key_id,
                    signer: trusted.key.name.clone(),
                });
            }
            Some((sig_bytes, Signer { key_id: signature.key_id, name: trusted.key.name.clone() }))
        }
        None => match unsigned {
            Unsigned::Allow => None,
            Unsigned::Refuse => return Err(VerifyError::Unsigned { origin }),
            Unsigned::Required => return Err(VerifyError::UnsignedRequired { origin }),
        },
    };
    let manifest = Manifest::parse(&manifest_bytes)
        .map_err(|source| VerifyError::Manifest { origin: origin.clone(), error: source })?;
    manifest.fits(host).map_err(|why| VerifyError::Incompatible {
        origin: origin.clone(),
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        why,
    })?;
    let mut components = Vec::with_capacity(manifest.checks.len());
    for entry in &manifest.checks {
        let bytes = source
            .read(&entry.component, MAX_FILE)?
            .ok_or_else(|| VerifyError::MissingComponent { origin: origin.clone(), file: entry.component.clone() })?;
        let actual = sha256_hex(&bytes);
        if actual != entry.sha256 {
            return Err(VerifyError::HashMismatch {
                origin,
                file: entry.component.clone(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
        components.push(Component { entry: entry.clone(), bytes });
    }
    Ok(VerifiedPack {
        manifest_sha256: sha256_hex(&manifest_bytes),
        manifest,
        manifest_bytes,
        signature,
        components,
        origin,
        _sealed: Sealed,
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl VerifiedPack {
    pub fn signer(&self) -> Option<&Signer> {
        self.signature.as_ref().map(|(_, signer)| signer)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pack::sign::SecretKey;
    use crate::pack::trust::Trusted;

    /// Writes a one-check pack into `dir`; returns the trust that holds `key`'s public half.
    pub fn write_pack(dir: &std::path::Path, key: Option<&SecretKey>, component: &[u8]) -> Trust {
        std::fs::write(dir.join("c.wasm"), component).unwrap();
        let manifest = format!(
            "format = \"plumbline-pack/1\"\nname = \"demo\"\nvendor = \"Demo\"\nversion = \"1.0.0\"\n\
             contract = \"^0.1\"\nmin-plumbline = \"0.1.0\"\n\n[[checks]]\nid = \"c\"\ncomponent = \"c.wasm\"\n\
             sha256 = \"{}\"\n",
            sha256_hex(component)
        );
        std::fs::write(dir.join("pack.toml"), &manifest).unwrap();
        match key {
            Some(key) => {
                std::fs::write(dir.join(SIG_FILE), key.sign(manifest.as_bytes()).to_file_text()).unwrap();
                Trust::from_keys(vec![Trusted { key: key.public(), from: "test".into() }])
            }
            None => Trust::default(),
        }
    }

    fn check(dir: &std::path::Path, trust: &Trust, unsigned: Unsigned) -> Result<VerifiedPack, VerifyError> {
        verify(&PackSource::open(dir).unwrap(), trust, unsigned)
    }

    #[test]
    fn a_signed_pack_verifies_and_names_its_signer() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("acme").unwrap();
        let trust = write_pack(dir.path(), Some(&key), b"\0asm component");
        let pack = check(dir.path(), &trust, Unsigned::Required).unwrap();
        assert_eq!(pack.signer().unwrap().name, "acme");
        assert_eq!(pack.components[0].bytes, b"\0asm component");
        assert_eq!(pack.manifest_sha256, sha256_hex(&std::fs::read(dir.path().join("pack.toml")).unwrap()));
    }

    #[test]
    fn tampering_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("acme").unwrap();
        let trust = write_pack(dir.path(), Some(&key), b"component");
        std::fs::write(dir.path().join("c.wasm"), b"componenT").unwrap();
        let err = check(dir.path(), &trust, Unsigned::Refuse).unwrap_err();
        assert!(matches!(&err, VerifyError::HashMismatch { file, .. } if file == "c.wasm"), "{err}");

        let trust = write_pack(dir.path(), Some(&key), b"component");
        let manifest = std::fs::read_to_string(dir.path().join("pack.toml")).unwrap();
        std::fs::write(dir.path().join("pack.toml"), manifest.replace("1.0.0", "1.0.1")).unwrap();
        let err = check(dir.path(), &trust, Unsigned::Refuse).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn untrusted_keys_and_unsigned_packs() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("acme").unwrap();
        write_pack(dir.path(), Some(&key), b"component");
        let err = check(dir.path(), &Trust::default(), Unsigned::Allow).unwrap_err();
        assert!(err.to_string().contains(&key.public().key_id) && err.to_string().contains("keys trust"), "{err}");

        write_pack(dir.path(), None, b"component");
        std::fs::remove_file(dir.path().join(SIG_FILE)).unwrap();
        let err = check(dir.path(), &Trust::default(), Unsigned::Refuse).unwrap_err();
        assert!(err.to_string().contains("--allow-unsigned"), "{err}");
        let err = check(dir.path(), &Trust::default(), Unsigned::Required).unwrap_err();
        assert!(matches!(err, VerifyError::UnsignedRequired { .. }), "{err}");
        assert!(check(dir.path(), &Trust::default(), Unsigned::Allow).unwrap().signer().is_none());
    }

    #[test]
    fn host_requirements_and_missing_parts() {
        let dir = tempfile::tempdir().unwrap();
        write_pack(dir.path(), None, b"component");
        let source = PackSource::open(dir.path()).unwrap();
        let future = HostVersions { plumbline: "0.1.0", contract: "0.2.0" };
        let err = verify_for(&source, &Trust::default(), Unsigned::Allow, future).unwrap_err();
        assert!(matches!(err, VerifyError::Incompatible { .. }), "{err}");
        std::fs::remove_file(dir.path().join("c.wasm")).unwrap();
        let err = check(dir.path(), &Trust::default(), Unsigned::Allow).unwrap_err();
        assert!(matches!(err, VerifyError::MissingComponent { .. }), "{err}");
        std::fs::remove_file(dir.path().join("pack.toml")).unwrap();
        let err = check(dir.path(), &Trust::default(), Unsigned::Allow).unwrap_err();
        assert!(matches!(err, VerifyError::NoManifest { .. }), "{err}");
    }
}
