//! `plumbline pack …`: install, list, verify and remove plugin packs (users), sign and archive
//! them (vendors); and [`installed`], the verified, lock-checked packs an audit runs.
//!
//! Where things are: the pack store is `--pack-store`, `$PLUMBLINE_PACK_STORE`, `[packs] store`
//! or `$XDG_DATA_HOME/plumbline/packs`; trusted keys are the keys dir (`--keys-dir`,
//! `$PLUMBLINE_KEYS_DIR`, `$XDG_DATA_HOME/plumbline/keys`) plus `[trust] keys`; the lock file is
//! `--lockfile`, or `plumbline.lock` beside the config file, or in the current directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};

use super::keys::{KeysDirArg, read_secret};
use super::{CacheArgs, describe_with, print};
use crate::bundled::CORE_PACK;
use crate::config::Config;
use crate::pack::archive::MAX_FILE;
use crate::pack::manifest::{self, HostVersions, is_component_name};
use crate::pack::sign::SIG_FILE;
use crate::pack::trust::write_atomic;
use crate::pack::verify::sha256_hex;
use crate::pack::{
    self, LockedPack, Lockfile, Manifest, PackSource, Store, Trust, Unsigned, VerifiedPack, lock, verify,
};
use crate::report::PackRef;
use crate::runtime::{self, PluginSource, Runtime};

#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Verify a pack (directory or .tar.gz) and install it into the pack store; pins it in
    /// plumbline.lock.
    Install(InstallArgs),
    /// The built-in pack and the installed packs.
    List(ContextArgs),
    /// Verify the installed packs (signature, hashes, plumbline.lock), one of them by NAME, or a
    /// pack directory or archive at PATH before installing it.
    Verify {
        #[arg(value_name = "NAME|PATH")]
        target: Option<String>,
        #[command(flatten)]
        ctx: ContextArgs,
    },
    /// Remove an installed pack from the store and from plumbline.lock.
    Remove {
        name: String,
        #[command(flatten)]
        ctx: ContextArgs,
    },
    /// Vendor: sign DIR/pack.toml with a secret key (writes DIR/pack.toml.sig).
    Sign(SignArgs),
    /// Vendor: write DIR as a .tar.gz with only its manifest, signature and components.
    Archive {
        dir: PathBuf,
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
}

/// Where the pack store, trusted keys and lock file are, and whether unsigned packs are refused.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Pack store directory [default: [packs] store in plumbline.toml, else $XDG_DATA_HOME/plumbline/packs].
    #[arg(long, value_name = "DIR", env = "PLUMBLINE_PACK_STORE")]
    pub pack_store: Option<PathBuf>,
    #[command(flatten)]
    pub keys: KeysDirArg,
    /// Lock file [default: plumbline.lock beside the config file, else in the current directory].
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// Refuse unsigned packs (also `[trust] require-signed = true`).
    #[arg(long)]
    pub require_signed: bool,
}

/// Installed packs in an audit or `checks list`.
#[derive(Debug, Args)]
pub struct PackRunArgs {
    /// Leave out the installed packs (run the built-in checks and --plugin files only).
    #[arg(long)]
    pub no_packs: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ContextArgs {
    /// Configuration file ([packs], [trust]). Default: ./plumbline.toml if present.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A pack directory or .tar.gz archive.
    pub path: PathBuf,
    /// Install the pack even though it is not signed (never with --require-signed).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Install only what plumbline.lock already pins, byte for byte, and leave the lock as it is (CI).
    #[arg(long, conflicts_with = "no_lock")]
    pub locked: bool,
    /// Do not write plumbline.lock.
    #[arg(long)]
    pub no_lock: bool,
    #[command(flatten)]
    pub ctx: ContextArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The pack directory: pack.toml and the components it lists.
    pub dir: PathBuf,
    /// The secret key file written by `plumbline keys generate`.
    #[arg(long, value_name = "SECRET_KEY_FILE")]
    pub key: PathBuf,
    /// First write each component's sha256 into pack.toml (comments and layout are kept).
    #[arg(long)]
    pub update_hashes: bool,
}

/// The resolved locations and trust of one command.
struct Context {
    store: Store,
    trust: Trust,
    lock_path: PathBuf,
    require_signed: bool,
}

/// The config at `path`, or ./plumbline.toml if present, or the defaults; with the file used.
pub fn load_config_or_default(path: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
    let path = path.map(Path::to_path_buf).or_else(|| Some(PathBuf::from("plumbline.toml")).filter(|p| p.is_file()));
    match path {
        Some(path) => Ok((Config::load(&path)?, Some(path))),
        None => Ok((Config::default(), None)),
    }
}

impl StoreArgs {
    fn context(&self, config: &Config, config_path: Option<&Path>) -> Result<Context> {
        let base = config_path.and_then(Path::parent).unwrap_or(Path::new(""));
        let store = match (&self.pack_store, &config.packs.store) {
            (Some(dir), _) => dir.clone(),
            (None, Some(dir)) => base.join(dir),
            (None, None) => Store::default_dir()
                .context("no data directory for the pack store; set PLUMBLINE_PACK_STORE or pass --pack-store")?,
        };
        let trust = Trust::load(&self.keys.store()?, &config.trust, base)?;
        let lock_path = self.lockfile.clone().unwrap_or_else(|| base.join(lock::FILE));
        Ok(Context {
            store: Store::new(store),
            trust,
            lock_path,
            require_signed: self.require_signed || config.trust.require_signed,
        })
    }
}

/// The installed packs' plugins and report entries for an audit (none with --no-packs). A lock
/// file that no longer matches the store is an error (exit 2).
pub fn installed(
    args: &PackRunArgs,
    config: &Config,
    config_path: Option<&Path>,
) -> Result<(Vec<PluginSource>, Vec<PackRef>)> {
    let nowhere = args.store.pack_store.is_none() && config.packs.store.is_none() && Store::default_dir().is_none();
    let lock_named =
        args.store.lockfile.is_some() || config_path.is_some_and(|p| p.with_file_name(lock::FILE).is_file());
    if args.no_packs || (nowhere && !lock_named && !Path::new(lock::FILE).is_file()) {
        // No store was named and there is no home directory for the default one: nothing installed.
        return Ok((Vec::new(), Vec::new()));
    }
    let ctx = args.store.context(config, config_path)?;
    let lock = Lockfile::read(&ctx.lock_path)?;
    let unsigned = if ctx.require_signed { Unsigned::Required } else { Unsigned::Allow };
    let packs =
        pack::load_installed(&ctx.store, lock.as_ref().map(|l| (ctx.lock_path.as_path(), l)), &ctx.trust, unsigned)?;
    Ok((packs.iter().flat_map(pack::plugin_sources).collect(), packs.iter().map(pack::pack_ref).collect()))
}

pub fn run(command: PackCommand) -> Result<i32> {
    match command {
        PackCommand::Install(args) => install(args),
        PackCommand::List(args) => list(&args),
        PackCommand::Verify { target, ctx } => verify_command(target.as_deref(), &ctx),
        PackCommand::Remove { name, ctx } => remove(&name, &ctx),
        PackCommand::Sign(args) => sign(&args),
        PackCommand::Archive { dir, output } => archive(&dir, &output),
    }
}

fn context(args: &ContextArgs) -> Result<Context> {
    let (config, config_path) = load_config_or_default(args.config.as_deref())?;
    args.store.context(&config, config_path.as_deref())
}

fn install(args: InstallArgs) -> Result<i32> {
    let ctx = context(&args.ctx)?;
    if args.allow_unsigned && ctx.require_signed {
        bail!("--allow-unsigned conflicts with --require-signed / [trust] require-signed");
    }
    let unsigned = match (ctx.require_signed, args.allow_unsigned) {
        (true, _) => Unsigned::Required,
        (false, true) => Unsigned::Allow,
        (false, false) => Unsigned::Refuse,
    };
    let source = PackSource::open(&args.path)?;
    let pack = verify(&source, &ctx.trust, unsigned)?;
    let name = &pack.manifest.name;
    if name == CORE_PACK {
        bail!("{}: the name `{CORE_PACK}` is reserved for the built-in pack", args.path.display());
    }
    check_components(&pack, &args.cache)?;
    let mut lock = Lockfile::read(&ctx.lock_path)?;
    let pin = LockedPack::of(&pack);
    if args.locked {
        let pinned = lock.as_ref().and_then(|l| l.get(name)).with_context(|| {
            format!(
                "--locked: {} does not pin pack `{name}`; install without --locked to add it",
                ctx.lock_path.display()
            )
        })?;
        let differences = pinned.differences(&pin);
        if !differences.is_empty() {
            bail!(
                "--locked: {} is not the pack {} pins:\n  - {}",
                args.path.display(),
                ctx.lock_path.display(),
                differences.join("\n  - ")
            );
        }
    }
    let replaced = ctx.store.install(&pack)?;
    let mut out = format!(
        "installed {name} {} ({}) into {}{}\n",
        pack.manifest.version,
        signed_by(&pack),
        ctx.store.dir().display(),
        replaced.map(|v| format!(", replacing {v}")).unwrap_or_default()
    );
    if !args.locked && !args.no_lock {
        let lock = lock.get_or_insert_with(Lockfile::default);
        let old = lock.pin(pin);
        lock.write(&ctx.lock_path).with_context(|| format!("{name} is installed, but the lock was not updated"))?;
        out.push_str(&match old {
            Some(old) if old.version != pack.manifest.version => {
                format!("updated {}: {name} {} → {}\n", ctx.lock_path.display(), old.version, pack.manifest.version)
            }
            _ => format!("pinned in {}\n", ctx.lock_path.display()),
        });
    }
    print(&out)?;
    Ok(0)
}

/// Describes every component of a pack before it is installed: each must load (contract,
/// imports, compile) and declare the check id its manifest entry names.
fn check_components(pack: &VerifiedPack, cache: &CacheArgs) -> Result<()> {
    let runtime = Runtime::new(cache.cache(), runtime::Limits::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let sources = pack::plugin_sources(pack);
    for (outcome, component) in describe_with(&runtime, &sources).iter().zip(&pack.components) {
        let file = &component.entry.component;
        match (&outcome.info, &outcome.error) {
            (Some(info), None) if info.id == component.entry.id => {}
            (Some(info), None) => bail!(
                "{}: {file} describes itself as check `{}`, but {} says `{}`",
                pack.origin.display(),
                info.id,
                manifest::FILE,
                component.entry.id
            ),
            (_, error) => bail!(
                "{}: {file} is not a usable check: {}",
                pack.origin.display(),
                error.as_deref().unwrap_or("it did not describe itself")
            ),
        }
    }
    Ok(())
}

fn signed_by(pack: &VerifiedPack) -> String {
    match pack.signer() {
        Some(s) => format!("signed by {}, key {}", s.name, s.key_id),
        None => "UNSIGNED".into(),
    }
}

fn list(args: &ContextArgs) -> Result<i32> {
    let ctx = context(args)?;
    let lock = Lockfile::read(&ctx.lock_path)?;
    let core = pack::core_ref();
    let mut out = format!("{}  {}  built-in  checks: {}\n", core.name, core.version, core.checks.join(", "));
    for name in ctx.store.names()? {
        let source = ctx.store.source(&name)?;
        let manifest = source.read(manifest::FILE, 64 << 10)?.and_then(|b| Manifest::parse(&b).ok());
        let signer = source
            .read(SIG_FILE, 4 << 10)?
            .and_then(|b| pack::sign::Signature::parse(&b).ok())
            .map(|s| match ctx.trust.find(&s.key_id) {
                Some(t) => format!("signed by {} ({})", t.key.name, s.key_id),
                None => format!("signed by UNTRUSTED key {}", s.key_id),
            })
            .unwrap_or_else(|| "unsigned".into());
        let locked = match lock.as_ref().and_then(|l| l.get(&name)) {
            Some(pinned) if pinned.check(&source).is_empty() => "locked",
            Some(_) => "DIFFERS FROM LOCK",
            None if lock.is_some() => "not in lock: not run here",
            None => "no lock file",
        };
        match manifest {
            Some(m) => out.push_str(&format!(
                "{name}  {}  {}  {signer}  {locked}  checks: {}\n",
                m.version,
                m.vendor,
                m.checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
            None => out.push_str(&format!("{name}  (unreadable pack.toml: run `plumbline pack verify {name}`)\n")),
        }
    }
    out.push_str(&format!("store: {}\n", ctx.store.dir().display()));
    print(&out)?;
    Ok(0)
}

fn verify_command(target: Option<&str>, args: &ContextArgs) -> Result<i32> {
    let ctx = context(args)?;
    let unsigned = if ctx.require_signed { Unsigned::Required } else { Unsigned::Allow };
    let as_path = target.map(Path::new).filter(|p| p.exists() && (p.is_file() || p.join(manifest::FILE).is_file()));
    if let Some(path) = as_path {
        let unsigned = if ctx.require_signed { Unsigned::Required } else { Unsigned::Refuse };
        let pack = verify(&PackSource::open(path)?, &ctx.trust, unsigned)?;
        print(&format!(
            "ok: {} {} ({}), {}\n",
            pack.manifest.name,
            pack.manifest.version,
            signed_by(&pack),
            path.display()
        ))?;
        return Ok(0);
    }
    let lock = Lockfile::read(&ctx.lock_path)?;
    let names = match target {
        Some(name) => vec![name.to_string()],
        None => ctx.store.names()?,
    };
    let mut out = String::new();
    for name in &names {
        let source = ctx.store.source(name)?;
        if let Some(pinned) = lock.as_ref().and_then(|l| l.get(name)) {
            let differences = pinned.check(&source);
            if !differences.is_empty() {
                return Err(pack::LockError::Mismatch {
                    name: name.clone(),
                    lockfile: ctx.lock_path.clone(),
                    differences,
                }
                .into());
            }
        }
        let pack = verify(&source, &ctx.trust, unsigned)?;
        out.push_str(&format!("ok: {name} {} ({})\n", pack.manifest.version, signed_by(&pack)));
    }
    if target.is_none() {
        // Packs pinned but missing are an audit error too.
        if let Some(pinned) = lock.iter().flat_map(|l| &l.packs).find(|p| !names.contains(&p.name)) {
            return Err(pack::LockError::Missing {
                name: pinned.name.clone(),
                version: pinned.version.clone(),
                lockfile: ctx.lock_path.clone(),
                store: ctx.store.dir().to_path_buf(),
            }
            .into());
        }
    }
    if out.is_empty() {
        out.push_str("no installed packs\n");
    }
    print(&out)?;
    Ok(0)
}

fn remove(name: &str, args: &ContextArgs) -> Result<i32> {
    let ctx = context(args)?;
    let mut lock = Lockfile::read(&ctx.lock_path)?;
    let pinned = lock.as_mut().and_then(|l| l.unpin(name));
    let installed = match ctx.store.remove(name) {
        Ok(version) => Some(version),
        Err(pack::StoreError::NotInstalled { .. }) if pinned.is_some() => None,
        Err(e) => return Err(e.into()),
    };
    let mut out = match installed {
        Some(version) => format!("removed {name} {} from {}\n", version.unwrap_or_default(), ctx.store.dir().display()),
        None => format!("{name} was not installed in {}\n", ctx.store.dir().display()),
    };
    if let (Some(lock), Some(_)) = (lock.as_mut(), pinned) {
        lock.write(&ctx.lock_path)?;
        out.push_str(&format!("unpinned from {}\n", ctx.lock_path.display()));
    }
    print(&out)?;
    Ok(0)
}

fn sign(args: &SignArgs) -> Result<i32> {
    let secret = read_secret(&args.key)?;
    let manifest_path = args.dir.join(manifest::FILE);
    let source = PackSource::open(&args.dir)?;
    if args.update_hashes {
        update_hashes(&manifest_path, &source)?;
    }
    let bytes = source.read(manifest::FILE, 64 << 10)?.with_context(|| format!("no {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&bytes).with_context(|| args.dir.display().to_string())?;
    let mut stale = Vec::new();
    for check in &manifest.checks {
        let component = source
            .read(&check.component, MAX_FILE)?
            .with_context(|| format!("{}: component {} is missing", args.dir.display(), check.component))?;
        let actual = sha256_hex(&component);
        if actual != check.sha256 {
            stale.push(format!("{}: sha256 is {actual}, pack.toml says {}", check.component, check.sha256));
        }
    }
    if !stale.is_empty() {
        bail!(
            "{}: pack.toml does not match the components (pass --update-hashes to write the new hashes):\n  - {}",
            args.dir.display(),
            stale.join("\n  - ")
        );
    }
    if let Err(why) = manifest.fits(HostVersions::current()) {
        tracing::warn!("this plumbline could not run the pack: {why}");
    }
    let signature = secret.sign(&bytes);
    let sig_path = args.dir.join(SIG_FILE);
    write_atomic(&args.dir, &sig_path, signature.to_file_text().as_bytes())
        .with_context(|| format!("cannot write {}", sig_path.display()))?;
    print(&format!(
        "signed {} ({} {}, {} check(s)) with key {} (`{}`) → {}\n",
        manifest_path.display(),
        manifest.name,
        manifest.version,
        manifest.checks.len(),
        signature.key_id,
        secret.name,
        sig_path.display()
    ))?;
    Ok(0)
}

/// Rewrites each `[[checks]]` `sha256` in pack.toml to its component's hash, keeping the rest.
fn update_hashes(path: &Path, source: &PackSource) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml_edit::DocumentMut =
        text.parse().with_context(|| format!("{}: not valid TOML", path.display()))?;
    let checks = doc
        .get_mut("checks")
        .and_then(|c| c.as_array_of_tables_mut())
        .with_context(|| format!("{}: no [[checks]] tables", path.display()))?;
    for (i, table) in checks.iter_mut().enumerate() {
        let component = table.get("component").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if !is_component_name(&component) {
            bail!("{}: checks[{i}].component must be a plain file name ending in .wasm", path.display());
        }
        let bytes = source.read(&component, MAX_FILE)?.with_context(|| format!("component {component} is missing"))?;
        table["sha256"] = toml_edit::value(sha256_hex(&bytes));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    write_atomic(dir, path, doc.to_string().as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `<name>-<version>/{pack.toml, pack.toml.sig, components}` as a reproducible .tar.gz.
fn archive(dir: &Path, output: &Path) -> Result<i32> {
    let source = PackSource::open(dir)?;
    let bytes = source.read(manifest::FILE, 64 << 10)?.with_context(|| format!("{}: no pack.toml", dir.display()))?;
    let manifest = Manifest::parse(&bytes).with_context(|| dir.display().to_string())?;
    let mut files = vec![(manifest::FILE.to_string(), bytes)];
    match source.read(SIG_FILE, 4 << 10)? {
        Some(sig) => files.push((SIG_FILE.to_string(), sig)),
        None => tracing::warn!("{}: no {SIG_FILE}; the archive is unsigned (run `plumbline pack sign`)", dir.display()),
    }
    for check in &manifest.checks {
        let bytes =
            source.read(&check.component, MAX_FILE)?.with_context(|| format!("{} is missing", check.component))?;
        files.push((check.component.clone(), bytes));
    }
    let out_dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp =
        tempfile::NamedTempFile::new_in(out_dir).with_context(|| format!("cannot write into {}", out_dir.display()))?;
    let gz = flate2::write::GzEncoder::new(tmp.as_file(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    let top = format!("{}-{}", manifest.name, manifest.version);
    for (name, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        tar.append_data(&mut header, format!("{top}/{name}"), bytes.as_slice())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()?.sync_all()?;
    tmp.persist(output).with_context(|| format!("cannot write {}", output.display()))?;
    print(&format!("wrote {} ({} files under {top}/)\n", output.display(), files.len()))?;
    Ok(0)
}
