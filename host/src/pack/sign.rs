//! Ed25519 keys and manifest signatures: generating a key pair, the key files
//! (`plumbline-secret-key/1`, `plumbline-public-key/1`) and the signature file `pack.toml.sig`
//! (`plumbline-signature/1`). All three are small TOML documents, parsed strictly.
//!
//! A signature covers the exact bytes of `pack.toml`, prefixed with [`CONTEXT`] so that a
//! plumbline key can never be tricked into signing something that verifies as another kind of
//! message. Verification uses `verify_strict` (no malleable signatures, no weak keys). A key is
//! named by its key id: the first 16 hex digits of the sha256 of the 32-byte public key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Signature file name inside a pack.
pub const SIG_FILE: &str = "pack.toml.sig";
/// Prefix of every signed message.
pub const CONTEXT: &[u8] = b"plumbline pack manifest v1\n";

const PUBLIC_FORMAT: &str = "plumbline-public-key/1";
const SECRET_FORMAT: &str = "plumbline-secret-key/1";
const SIGNATURE_FORMAT: &str = "plumbline-signature/1";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyError {
    #[error("not a {expected} file: {why}")]
    Malformed { expected: &'static str, why: String },
    #[error("`{field}` is not valid: {why}")]
    Value { field: &'static str, why: String },
    #[error("key-id says {stated} but the key's id is {actual}: the file is damaged or was edited")]
    KeyIdMismatch { stated: String, actual: String },
    #[error("key name `{0}` must be 1-64 characters of a-z, A-Z, 0-9, `.`, `_` or `-`")]
    BadName(String),
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
}

/// A public key someone may trust: its name (the vendor), its id and the key itself.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub name: String,
    pub key_id: String,
    key: VerifyingKey,
}

/// A secret signing key (zeroized on drop by ed25519-dalek).
pub struct SecretKey {
    pub name: String,
    key: SigningKey,
}

/// The contents of `pack.toml.sig`.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub key_id: String,
    signature: ed25519_dalek::Signature,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PublicKeyToml {
    format: String,
    name: String,
    key_id: String,
    ed25519: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SecretKeyToml {
    format: String,
    name: String,
    key_id: String,
    ed25519_seed: Zeroizing<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SignatureToml {
    format: String,
    key_id: String,
    signature: String,
}

/// The key id of a public key: first 16 hex digits of its sha256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Names that are safe as file names and readable in reports.
pub fn is_key_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn parse_toml<'a, T: Deserialize<'a>>(bytes: &'a [u8], expected: &'static str) -> Result<T, KeyError> {
    let malformed = |why: String| KeyError::Malformed { expected, why };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8 text".into()))?;
    toml::from_str(text).map_err(|e| malformed(super::toml_error(text, &e)))
}

fn check_format(found: &str, expected: &'static str) -> Result<(), KeyError> {
    if found == expected { Ok(()) } else { Err(KeyError::Malformed { expected, why: format!("format is `{found}`") }) }
}

fn decode<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], KeyError> {
    let bytes = Zeroizing::new(
        // The decoder's own message quotes a byte of the text: for a secret seed, that is a secret.
        BASE64.decode(text.trim()).map_err(|_| KeyError::Value { field, why: "not valid base64".into() })?,
    );
    bytes[..].try_into().map_err(|_| KeyError::Value { field, why: format!("{} bytes, expected {N}", bytes.len()) })
}

impl PublicKey {
    pub fn parse(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let file: PublicKeyToml = parse_toml(bytes, PUBLIC_FORMAT)?;
        check_format(&file.format, PUBLIC_FORMAT)?;
        if !is_key_name(&file.name) {
            return Err(KeyError::BadName(file.name));
        }
        let raw = decode::<32>("ed25519", &file.ed25519)?;
        let key = VerifyingKey::from_bytes(&raw)
            .map_err(|e| KeyError::Value { field: "ed25519", why: format!("not an Ed25519 public key: {e}") })?;
        if key.is_weak() {
            return Err(KeyError::Value { field: "ed25519", why: "a weak (small-order) key".into() });
        }
        let actual = key_id(&key);
        if file.key_id != actual {
            return Err(KeyError::KeyIdMismatch { stated: file.key_id, actual });
        }
        Ok(PublicKey { name: file.name, key_id: actual, key })
    }

    /// The same key under another name (`keys trust --name`).
    pub fn renamed(mut self, name: &str) -> Result<PublicKey, KeyError> {
        if !is_key_name(name) {
            return Err(KeyError::BadName(name.to_string()));
        }
        self.name = name.to_string();
        Ok(self)
    }

    pub fn to_file_text(&self) -> String {
        let file = PublicKeyToml {
            format: PUBLIC_FORMAT.into(),
            name: self.name.clone(),
            key_id: self.key_id.clone(),
            ed25519: BASE64.encode(self.key.as_bytes()),
        };
        format!(
            "# plumbline public key of `{}`. Users trust it with `plumbline keys trust FILE`.\n{}",
            self.name,
            toml::to_string(&file).unwrap_or_default()
        )
    }

    /// Whether `signature` is this key's signature of `manifest` (the exact bytes).
    pub fn verifies(&self, manifest: &[u8], signature: &Signature) -> bool {
        signature.key_id == self.key_id && self.key.verify_strict(&message(manifest), &signature.signature).is_ok()
    }
}

impl SecretKey {
    /// A new key pair from the operating system's random number generator.
    pub fn generate(name: &str) -> Result<SecretKey, KeyError> {
        if !is_key_name(name) {
            return Err(KeyError::BadName(name.to_string()));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut seed[..]).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey { name: name.to_string(), key: SigningKey::from_bytes(&seed) })
    }

    pub fn parse(bytes: &[u8]) -> Result<SecretKey, KeyError> {
        let file: SecretKeyToml = parse_toml(bytes, SECRET_FORMAT)?;
        check_format(&file.format, SECRET_FORMAT)?;
        if !is_key_name(&file.name) {
            return Err(KeyError::BadName(file.name));
        }
        let seed = Zeroizing::new(decode::<32>("ed25519-seed", &file.ed25519_seed)?);
        let key = SigningKey::from_bytes(&seed);
        let actual = key_id(&key.verifying_key());
        if file.key_id != actual {
            return Err(KeyError::KeyIdMismatch { stated: file.key_id, actual });
        }
        Ok(SecretKey { name: file.name, key })
    }

    pub fn public(&self) -> PublicKey {
        let key = self.key.verifying_key();
        PublicKey { name: self.name.clone(), key_id: key_id(&key), key }
    }

    /// The secret key file's text (zeroized when dropped).
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let file = SecretKeyToml {
            format: SECRET_FORMAT.into(),
            name: self.name.clone(),
            key_id: key_id(&self.key.verifying_key()),
            ed25519_seed: Zeroizing::new(BASE64.encode(self.key.as_bytes())),
        };
        let body = Zeroizing::new(toml::to_string(&file).unwrap_or_default());
        Zeroizing::new(format!(
            "# plumbline SECRET key of `{}`: it signs packs in your name. Keep it private, never commit it.\n{}",
            self.name, *body
        ))
    }

    /// Signs the exact bytes of a manifest.
    pub fn sign(&self, manifest: &[u8]) -> Signature {
        Signature { key_id: key_id(&self.key.verifying_key()), signature: self.key.sign(&message(manifest)) }
    }
}

impl Signature {
    pub fn parse(bytes: &[u8]) -> Result<Signature, KeyError> {
        let file: SignatureToml = parse_toml(bytes, SIGNATURE_FORMAT)?;
        check_format(&file.format, SIGNATURE_FORMAT)?;
        if file.key_id.len() != 16 || !file.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyError::Value { field: "key-id", why: "must be 16 hexadecimal digits".into() });
        }
        let raw = decode::<64>("signature", &file.signature)?;
        Ok(Signature {
            key_id: file.key_id.to_ascii_lowercase(),
            signature: ed25519_dalek::Signature::from_bytes(&raw),
        })
    }

    pub fn to_file_text(&self) -> String {
        let file = SignatureToml {
            format: SIGNATURE_FORMAT.into(),
            key_id: self.key_id.clone(),
            signature: BASE64.encode(self.signature.to_bytes()),
        };
        format!(
            "# Ed25519 signature of pack.toml by key {}; made by `plumbline pack sign`.\n{}",
            self.key_id,
            toml::to_string(&file).unwrap_or_default()
        )
    }
}

fn message(manifest: &[u8]) -> Vec<u8> {
    [CONTEXT, manifest].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_through_files() {
        let secret = SecretKey::generate("acme").unwrap();
        let secret = SecretKey::parse(secret.to_file_text().as_bytes()).unwrap();
        let public = PublicKey::parse(secret.public().to_file_text().as_bytes()).unwrap();
        assert_eq!(public, secret.public());
        assert_eq!(public.key_id.len(), 16);
        let signature = Signature::parse(secret.sign(b"name = \"x\"\n").to_file_text().as_bytes()).unwrap();
        assert!(public.verifies(b"name = \"x\"\n", &signature));
        assert!(!public.verifies(b"name = \"y\"\n", &signature), "an edited manifest must not verify");
        assert!(!public.verifies(b"name = \"x\"\n ", &signature), "one byte more must not verify");
    }

    #[test]
    fn another_key_does_not_verify() {
        let a = SecretKey::generate("a").unwrap();
        let b = SecretKey::generate("b").unwrap();
        assert_ne!(a.public().key_id, b.public().key_id);
        let signature = a.sign(b"m");
        assert!(!b.public().verifies(b"m", &signature));
        // Even with a forged key id the signature does not verify under the other key.
        let forged = Signature { key_id: b.public().key_id.clone(), ..signature };
        assert!(!b.public().verifies(b"m", &forged));
    }

    #[test]
    fn damaged_files_are_refused() {
        let secret = SecretKey::generate("acme").unwrap();
        let public = secret.public().to_file_text();
        let edited = public.replace(&secret.public().key_id, "0123456789abcdef");
        assert!(matches!(PublicKey::parse(edited.as_bytes()), Err(KeyError::KeyIdMismatch { .. })));
        // A secret key is not a public key, and the reverse.
        let secret_text = secret.to_file_text();
        let Err(err @ KeyError::Malformed { .. }) = PublicKey::parse(secret_text.as_bytes()) else { panic!() };
        let seed = secret_text.lines().find_map(|l| l.strip_prefix("ed25519-seed = ")).unwrap().trim_matches('"');
        assert!(!err.to_string().contains(seed), "the error quotes the secret seed: {err}");
        let broken = secret_text.replace("ed25519-seed = \"", "ed25519-seed = \"!");
        let Err(err) = SecretKey::parse(broken.as_bytes()) else { panic!() };
        assert!(!err.to_string().contains(&seed[1..]), "the error quotes the secret seed: {err}");
        assert!(matches!(SecretKey::parse(public.as_bytes()), Err(KeyError::Malformed { .. })));
        let unknown = format!("{public}extra = 1\n");
        assert!(matches!(PublicKey::parse(unknown.as_bytes()), Err(KeyError::Malformed { .. })));
        let short = "format = \"plumbline-signature/1\"\nkey-id = \"0123456789abcdef\"\nsignature = \"AAAA\"\n";
        assert!(matches!(Signature::parse(short.as_bytes()), Err(KeyError::Value { field: "signature", .. })));
    }

    #[test]
    fn key_names_are_file_safe() {
        assert!(SecretKey::generate("../etc").is_err());
        assert!(SecretKey::generate("").is_err());
        assert!(secret_named("Acme_Integrations-2.0"));
    }

    fn secret_named(name: &str) -> bool {
        SecretKey::generate(name).is_ok()
    }
}
