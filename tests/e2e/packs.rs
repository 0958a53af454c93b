//! Plugin packs end to end, with the real binary: the example vendor pack (examples/vendor-pack)
//! is built into a pack directory and a .tar.gz, signed with a key generated here, trusted,
//! installed, pinned in plumbline.lock and audited with; then every way it can go wrong is
//! refused with a message that names the problem, exit code 2, and nothing half-installed.
//!
//! Each test has its own pack store, keys directory, compile cache and project directory (where
//! plumbline.lock is written), all in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Run, repo_root, run, temp};

struct Env {
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env { root: temp() };
        for dir in ["project", "vendor"] {
            std::fs::create_dir_all(env.root.path().join(dir)).unwrap();
        }
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn store(&self) -> PathBuf {
        self.path("store")
    }

    fn lock(&self) -> PathBuf {
        self.path("project/plumbline.lock")
    }

    /// Runs plumbline in `project/` with this test's store, keys and cache.
    fn run_in(&self, dir: &str, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
        command
            .args(args)
            .current_dir(self.path(dir))
            .env("PLUMBLINE_PACK_STORE", self.store())
            .env("PLUMBLINE_KEYS_DIR", self.path("trusted"))
            .env("PLUMBLINE_CACHE_DIR", self.path("cache"))
            .env_remove("PLUMBLINE_LOG");
        run(command)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in("project", args)
    }

    /// Runs plumbline in `project/` with no store or keys directory from the environment (the
    /// user's data directory is a fresh temporary one), so plumbline.toml decides.
    fn run_configured(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
        command
            .args(args)
            .current_dir(self.path("project"))
            .env_remove("PLUMBLINE_PACK_STORE")
            .env_remove("PLUMBLINE_KEYS_DIR")
            .env("XDG_DATA_HOME", self.path("data-home"))
            .env("PLUMBLINE_CACHE_DIR", self.path("cache"))
            .env_remove("PLUMBLINE_LOG");
        run(command)
    }

    /// `plumbline keys generate NAME` into vendor/; returns the key id.
    fn generate_key(&self, name: &str) -> String {
        let out = self.run_in("vendor", &["keys", "generate", name]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let public = std::fs::read_to_string(self.path(&format!("vendor/{name}.pub"))).unwrap();
        let line = public.lines().find(|l| l.starts_with("key-id = ")).expect("key-id line");
        line.trim_start_matches("key-id = ").trim_matches('"').to_string()
    }

    fn trust(&self, name: &str) {
        let key = self.path(&format!("vendor/{name}.pub"));
        let out = self.run(&["keys", "trust", key.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }

    /// The vendor's build: the pack.toml template and the built component in vendor/<dir>/,
    /// signed with vendor/<key>.key (hashes written by --update-hashes).
    fn build_pack(&self, dir: &str, key: &str) -> PathBuf {
        let pack = self.path(&format!("vendor/{dir}"));
        std::fs::create_dir_all(&pack).unwrap();
        std::fs::copy(repo_root().join("examples/vendor-pack/pack.toml"), pack.join("pack.toml")).unwrap();
        std::fs::copy(env!("PLUMBLINE_VENDOR_PACK_COMPONENT"), pack.join("dlq-retention.wasm")).unwrap();
        self.sign(&pack, key);
        pack
    }

    fn sign(&self, pack: &Path, key: &str) {
        let key = self.path(&format!("vendor/{key}.key"));
        let out = self.run_in(
            "vendor",
            &["pack", "sign", pack.to_str().unwrap(), "--key", key.to_str().unwrap(), "--update-hashes"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
    }

    fn archive(&self, pack: &Path, name: &str) -> PathBuf {
        let output = self.path(&format!("vendor/{name}"));
        let out = self.run_in("vendor", &["pack", "archive", pack.to_str().unwrap(), "-o", output.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        output
    }

    fn install(&self, pack: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["pack", "install", pack.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn audit_json(&self, extra: &[&str]) -> Run {
        let estate = repo_root().join("examples/vendor-pack/estate.json");
        let mut args = vec!["audit", "--snapshot", estate.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Nothing was installed and no lock was written.
    fn assert_nothing_installed(&self) {
        let entries: Vec<String> = std::fs::read_dir(self.store())
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        assert!(entries.is_empty(), "the store holds {entries:?} after a refused install");
        assert!(!self.lock().exists(), "a refused install wrote plumbline.lock");
    }
}

fn refused(out: &Run, needles: &[&str]) {
    assert_eq!(out.code, 2, "expected exit 2\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    for needle in needles {
        assert!(out.stderr.contains(needle), "stderr lacks `{needle}`:\n{}", out.stderr);
    }
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn report_pack<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["packs"].as_array().and_then(|p| p.iter().find(|p| p["name"] == name)).unwrap_or_else(|| {
        panic!("no pack {name} in the report's packs: {}", report["packs"]);
    })
}

#[test]
fn the_vendor_and_user_workflow_from_key_to_report() {
    let env = Env::new();
    let key_id = env.generate_key("acme");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("vendor/acme.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key file must be private");
    }
    let pack = env.build_pack("acme-dlq", "acme");
    let manifest = std::fs::read_to_string(pack.join("pack.toml")).unwrap();
    assert!(manifest.contains(&sha256(&pack.join("dlq-retention.wasm"))), "--update-hashes wrote the hash");
    assert!(manifest.starts_with("# The manifest of Acme's example pack"), "comments are kept");
    let archive = env.archive(&pack, "acme-dlq-1.0.0.tar.gz");

    env.trust("acme");
    let install = env.install(&archive, &[]);
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(
        install.stdout.contains(&format!("installed acme-dlq 1.0.0 (signed by acme, key {key_id})")),
        "{}",
        install.stdout
    );

    let lock = std::fs::read_to_string(env.lock()).expect("pack install writes plumbline.lock");
    for pinned in [
        "name = \"acme-dlq\"".to_string(),
        "version = \"1.0.0\"".to_string(),
        format!("manifest-sha256 = \"{}\"", sha256(&pack.join("pack.toml"))),
        format!("signer = \"{key_id}\""),
        "file = \"dlq-retention.wasm\"".to_string(),
        format!("sha256 = \"{}\"", sha256(&pack.join("dlq-retention.wasm"))),
    ] {
        assert!(lock.contains(&pinned), "plumbline.lock lacks {pinned}:\n{lock}");
    }

    let list = env.run(&["pack", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("plumbline-core"), "{}", list.stdout);
    assert!(list.stdout.contains("acme-dlq  1.0.0  Acme Integrations  signed by acme"), "{}", list.stdout);
    assert!(list.stdout.contains("locked  checks: dlq-retention"), "{}", list.stdout);
    let verify = env.run(&["pack", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.contains("ok: acme-dlq 1.0.0"), "{}", verify.stdout);

    // The pack's check runs beside the built-in ones, and the report names both packs.
    let audit = env.audit_json(&[]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let report = audit.json();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("docs/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json:\n{}", errors.join("\n"));
    let check = crate::support::check(&report, "dlq-retention");
    assert_eq!(check["status"], "fail");
    assert_eq!(check["plugin"]["origin"], "pack:acme-dlq/dlq-retention.wasm");
    let rules: Vec<&str> = check["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["dlq-retention/shorter-than-source", "dlq-retention/shorter-than-review"]);
    let acme = report_pack(&report, "acme-dlq");
    assert_eq!(acme["version"], "1.0.0");
    assert_eq!(acme["vendor"], "Acme Integrations");
    assert_eq!(acme["manifest_sha256"], sha256(&pack.join("pack.toml")));
    assert_eq!(acme["trust"], "signed");
    assert_eq!(acme["signer"]["key_id"], key_id);
    assert_eq!(acme["signer"]["name"], "acme");
    assert_eq!(report_pack(&report, "plumbline-core")["trust"], "built-in");

    let estate = repo_root().join("examples/vendor-pack/estate.json");
    let text = env.run(&["audit", "--snapshot", estate.to_str().unwrap()]);
    let hash = &sha256(&pack.join("pack.toml"))[..12];
    let header = format!("acme-dlq 1.0.0 sha256 {hash} signed by acme (key {key_id})");
    let line = text.stdout.lines().find(|l| l.starts_with("packs: ")).unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(line.contains("plumbline-core") && line.contains(&header), "{line}");

    let without = env.audit_json(&["--no-packs"]);
    assert!(without.json()["checks"].as_array().unwrap().iter().all(|c| c["id"] != "dlq-retention"));
}

#[test]
fn a_component_changed_after_signing_is_refused() {
    let env = Env::new();
    env.generate_key("acme");
    env.trust("acme");
    let pack = env.build_pack("acme-dlq", "acme");
    let component = pack.join("dlq-retention.wasm");
    let mut bytes = std::fs::read(&component).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&component, bytes).unwrap();
    refused(&env.install(&pack, &[]), &["component dlq-retention.wasm does not match pack.toml", "sha256"]);
    env.assert_nothing_installed();
}

#[test]
fn a_manifest_edited_after_signing_is_refused() {
    let env = Env::new();
    env.generate_key("acme");
    env.trust("acme");
    let pack = env.build_pack("acme-dlq", "acme");
    let manifest = std::fs::read_to_string(pack.join("pack.toml")).unwrap();
    std::fs::write(pack.join("pack.toml"), manifest.replace("^0.1", ">=0.1")).unwrap();
    refused(&env.install(&pack, &[]), &["bad signature", "changed after it was signed"]);
    env.assert_nothing_installed();
}

#[test]
fn a_pack_signed_by_an_untrusted_key_is_refused_until_the_key_is_trusted() {
    let env = Env::new();
    env.generate_key("acme");
    let mallory = env.generate_key("mallory");
    env.trust("acme");
    let pack = env.build_pack("acme-dlq", "mallory");
    let archive = env.archive(&pack, "acme-dlq.tar.gz");
    refused(
        &env.install(&archive, &[]),
        &[&format!("signed by key {mallory}, which is not trusted"), "plumbline keys trust"],
    );
    env.assert_nothing_installed();
    // `--allow-unsigned` does not admit a signature by an unknown key.
    refused(&env.install(&archive, &["--allow-unsigned"]), &[&mallory]);
    env.assert_nothing_installed();

    env.trust("mallory");
    let install = env.install(&archive, &[]);
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(install.stdout.contains(&format!("signed by mallory, key {mallory}")), "{}", install.stdout);
    // Trust withdrawn: the installed pack is refused at the next audit.
    assert_eq!(env.run(&["keys", "remove", &mallory]).code, 0);
    refused(&env.audit_json(&[]), &[&format!("signed by key {mallory}, which is not trusted")]);
}

#[test]
fn unsigned_packs_need_allow_unsigned_and_never_pass_require_signed() {
    let env = Env::new();
    env.generate_key("acme");
    let pack = env.build_pack("acme-dlq", "acme");
    std::fs::remove_file(pack.join("pack.toml.sig")).unwrap();
    refused(&env.install(&pack, &[]), &["not signed", "--allow-unsigned"]);
    refused(&env.install(&pack, &["--require-signed"]), &["not signed", "--require-signed"]);
    env.assert_nothing_installed();

    let install = env.install(&pack, &["--allow-unsigned"]);
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(install.stdout.contains("UNSIGNED"), "{}", install.stdout);
    let report = env.audit_json(&[]).json();
    assert_eq!(report_pack(&report, "acme-dlq")["trust"], "unsigned");
    assert!(report_pack(&report, "acme-dlq")["signer"].is_null());

    refused(&env.audit_json(&["--require-signed"]), &["not signed"]);
    std::fs::write(env.path("project/plumbline.toml"), "[trust]\nrequire-signed = true\n").unwrap();
    refused(&env.audit_json(&[]), &["not signed", "[trust] require-signed"]);
}

#[test]
fn the_lock_catches_a_store_changed_behind_its_back() {
    let env = Env::new();
    env.generate_key("acme");
    env.trust("acme");
    std::fs::create_dir_all(env.path("other-project")).unwrap();
    let v1 = env.build_pack("v1", "acme");
    let v2 = env.build_pack("v2", "acme");
    let manifest = std::fs::read_to_string(v2.join("pack.toml")).unwrap();
    std::fs::write(v2.join("pack.toml"), manifest.replace("version = \"1.0.0\"", "version = \"1.1.0\"")).unwrap();
    env.sign(&v2, "acme");

    assert_eq!(env.install(&v1, &[]).code, 0);
    assert_eq!(env.audit_json(&[]).code, 1, "the locked pack audits");

    // Another project installs 1.1.0 into the same store.
    let other = env.run_in("other-project", &["pack", "install", v2.to_str().unwrap()]);
    assert_eq!(other.code, 0, "{}", other.stderr);
    refused(
        &env.audit_json(&[]),
        &[
            "installed pack `acme-dlq` no longer matches",
            "version: the lock pins 1.0.0, the store has 1.1.0",
            "pack.toml sha256",
        ],
    );
    refused(&env.run(&["pack", "verify", "acme-dlq"]), &["no longer matches"]);
    // --locked refuses to install anything but the pinned pack, and restores it.
    refused(&env.install(&v2, &["--locked"]), &["--locked", "version: the lock pins 1.0.0, this is 1.1.0"]);
    assert_eq!(env.install(&v1, &["--locked"]).code, 0);
    assert_eq!(env.audit_json(&[]).code, 1);

    // One byte of the installed component changes.
    let installed = env.store().join("acme-dlq/dlq-retention.wasm");
    let mut bytes = std::fs::read(&installed).unwrap();
    bytes[100] ^= 0x80;
    std::fs::write(&installed, bytes).unwrap();
    refused(&env.audit_json(&[]), &["acme-dlq", "component dlq-retention.wasm: sha256 is"]);

    // The pack disappears from the store.
    let removed = env.run_in("other-project", &["pack", "remove", "acme-dlq"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    refused(&env.audit_json(&[]), &["pack `acme-dlq` 1.0.0 is pinned in", "but not installed"]);
    assert_eq!(env.audit_json(&["--no-packs"]).code, 1, "--no-packs audits without the packs");
}

#[test]
fn an_archive_that_escapes_the_pack_is_refused() {
    let env = Env::new();
    env.generate_key("acme");
    env.trust("acme");
    let pack = env.build_pack("acme-dlq", "acme");
    for (evil, kind, why) in [
        ("../evil.wasm", tar::EntryType::Regular, "`..`"),
        ("acme/../../evil.wasm", tar::EntryType::Regular, "`..`"),
        ("/tmp/evil.wasm", tar::EntryType::Regular, "absolute"),
        ("link.wasm", tar::EntryType::Symlink, "symbolic link"),
    ] {
        let archive = env.path("vendor/evil.tar.gz");
        let gz = flate2::write::GzEncoder::new(std::fs::File::create(&archive).unwrap(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for name in ["pack.toml", "pack.toml.sig", "dlq-retention.wasm"] {
            builder.append_path_with_name(pack.join(name), name).unwrap();
        }
        // Written raw: tar's own `set_path` refuses `..`, an attacker's tool does not.
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..evil.len()].copy_from_slice(evil.as_bytes());
        header.set_entry_type(kind);
        if kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_size(if kind == tar::EntryType::Regular { 4 } else { 0 });
        header.set_mode(0o644);
        header.set_cksum();
        let data: &[u8] = if kind == tar::EntryType::Regular { b"evil" } else { b"" };
        builder.append(&header, data).unwrap();
        builder.into_inner().unwrap().finish().unwrap();

        refused(&env.install(&archive, &[]), &[&format!("refused entry `{evil}`"), why, "nothing was installed"]);
        env.assert_nothing_installed();
        assert!(!env.path("evil.wasm").exists() && !env.path("vendor/evil.wasm").exists());
    }
}

#[test]
fn plumbline_toml_names_the_store_and_the_trusted_keys() {
    let env = Env::new();
    let key_id = env.generate_key("acme");
    let archive = env.archive(&env.build_pack("acme-dlq", "acme"), "acme-dlq.tar.gz");
    std::fs::create_dir_all(env.path("project/keys")).unwrap();
    std::fs::copy(env.path("vendor/acme.pub"), env.path("project/keys/acme.pub")).unwrap();
    std::fs::write(
        env.path("project/plumbline.toml"),
        "[packs]\nstore = \"packs\"\n\n[trust]\nkeys = [\"keys/acme.pub\"]\nrequire-signed = true\n",
    )
    .unwrap();

    let keys = env.run_configured(&["keys", "list"]);
    assert!(keys.stdout.contains(&format!("{key_id}  acme")), "{}", keys.stdout);
    let install = env.run_configured(&["pack", "install", archive.to_str().unwrap()]);
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(env.path("project/packs/acme-dlq/pack.toml").is_file(), "[packs] store is relative to plumbline.toml");
    assert!(!env.store().exists() && !env.path("data-home/plumbline/packs").exists());

    let estate = repo_root().join("examples/vendor-pack/estate.json");
    let audit = env.run_configured(&["audit", "--snapshot", estate.to_str().unwrap(), "--format", "json"]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    assert_eq!(report_pack(&audit.json(), "acme-dlq")["signer"]["key_id"], key_id);

    // Without the key in [trust] keys, the same store is refused.
    std::fs::write(env.path("project/plumbline.toml"), "[packs]\nstore = \"packs\"\n").unwrap();
    let audit = env.run_configured(&["audit", "--snapshot", estate.to_str().unwrap()]);
    refused(&audit, &[&format!("signed by key {key_id}, which is not trusted")]);
}
