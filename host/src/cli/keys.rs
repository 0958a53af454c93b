//! `plumbline keys …`: generate a vendor's key pair, and trust, list or remove the public keys
//! that pack signatures are checked against.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use super::print;
use crate::pack::sign::SecretKey;
use crate::pack::trust::read_public;
use crate::pack::{KeyStore, Trust};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Vendor: create a key pair, NAME.key (secret, mode 0600; keep it private) and NAME.pub (give
    /// it to your users).
    Generate {
        /// The name users will see for the key (e.g. your company), a-z A-Z 0-9 . _ -
        name: String,
        /// Directory to write the two files into.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Trust a vendor's public key file (NAME.pub) for pack signatures.
    Trust {
        file: PathBuf,
        /// Trust the key under this name instead of the one in the file.
        #[arg(long, value_name = "VENDOR")]
        name: Option<String>,
        #[command(flatten)]
        keys: KeysDirArg,
    },
    /// The trusted keys: the keys directory and `[trust] keys` of plumbline.toml.
    List {
        /// Configuration file with [trust] keys. Default: ./plumbline.toml if present.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        keys: KeysDirArg,
    },
    /// Stop trusting a key (by key id, or by name when only one key has it).
    Remove {
        key: String,
        #[command(flatten)]
        keys: KeysDirArg,
    },
}

#[derive(Debug, Args)]
pub struct KeysDirArg {
    /// Directory of trusted public keys [default: $XDG_DATA_HOME/plumbline/keys].
    #[arg(long, value_name = "DIR", env = "PLUMBLINE_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
}

impl KeysDirArg {
    pub fn store(&self) -> Result<KeyStore> {
        match self.keys_dir.clone().or_else(KeyStore::default_dir) {
            Some(dir) => Ok(KeyStore::new(dir)),
            None => bail!("no data directory for trusted keys; set PLUMBLINE_KEYS_DIR or pass --keys-dir"),
        }
    }
}

pub fn run(command: KeysCommand) -> Result<i32> {
    match command {
        KeysCommand::Generate { name, dir, force } => generate(&name, &dir, force),
        KeysCommand::Trust { file, name, keys } => {
            let text = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            if String::from_utf8_lossy(&text).contains("plumbline-secret-key/1") {
                bail!(
                    "{} is a SECRET key file: trust the vendor's public key (the .pub file) instead, and keep \
                     the secret key private",
                    file.display()
                );
            }
            let mut key = read_public(&file)?;
            if let Some(name) = name {
                key = key.renamed(&name)?;
            }
            let path = keys.store()?.add(&key)?;
            print(&format!("trusted key {} as `{}` ({})\n", key.key_id, key.name, path.display()))?;
            Ok(0)
        }
        KeysCommand::List { config, keys } => {
            let (config, config_path) = super::pack::load_config_or_default(config.as_deref())?;
            let base = config_path.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
            let trust = Trust::load(&keys.store()?, &config.trust, base)?;
            let mut out = String::new();
            for trusted in trust.keys() {
                out.push_str(&format!("{}  {}  ({})\n", trusted.key.key_id, trusted.key.name, trusted.from.display()));
            }
            if out.is_empty() {
                out.push_str("no trusted keys (trust a vendor's key with `plumbline keys trust FILE`)\n");
            }
            print(&out)?;
            Ok(0)
        }
        KeysCommand::Remove { key, keys } => {
            let removed = keys.store()?.remove(&key)?;
            print(&format!("no longer trusting key {} (`{}`)\n", removed.key_id, removed.name))?;
            Ok(0)
        }
    }
}

fn generate(name: &str, dir: &Path, force: bool) -> Result<i32> {
    let secret = SecretKey::generate(name)?;
    let public = secret.public();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let secret_path = dir.join(format!("{name}.key"));
    let public_path = dir.join(format!("{name}.pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() && !force {
            bail!("{} exists; pass --force to replace it (the old key can then no longer sign)", path.display());
        }
    }
    write_secret(&secret_path, secret.to_file_text().as_bytes(), force)
        .with_context(|| format!("cannot write {}", secret_path.display()))?;
    std::fs::write(&public_path, public.to_file_text())
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    print(&format!(
        "key {} (`{name}`)\n  secret: {} (mode 0600: keep it private, never commit it)\n  public: {} (publish it; \
         users run `plumbline keys trust {}`)\n",
        public.key_id,
        secret_path.display(),
        public_path.display(),
        public_path.display()
    ))?;
    Ok(0)
}

/// Creates the secret key file readable by its owner only (0600 on Unix), never following or
/// reusing an existing file's permissions.
fn write_secret(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    if force {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Reads a secret key file, warning when others may read it.
pub fn read_secret(path: &Path) -> Result<SecretKey> {
    let bytes = zeroize::Zeroizing::new(
        crate::pack::archive::read_capped(path, 4096).with_context(|| format!("cannot read {}", path.display()))?,
    );
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!("{} can be read by other users; run `chmod 600 {}`", path.display(), path.display());
        }
    }
    SecretKey::parse(&bytes).with_context(|| format!("{}: not a usable secret key", path.display()))
}
