//! Builds the Wasm guests — the bundled checks in `plugins/<id>/` and the hostile test guests in
//! `plugins/test-guests/<name>/` — for `wasm32-wasip2`, the way wasmtime's `test-programs`
//! artifacts crate does: one nested `cargo build` into `target/guests` (a separate target dir, so
//! it never waits on the outer build's lock).
//!
//! Outputs: `$OUT_DIR/bundled.rs` (`BUNDLED: &[(&str, &[u8])]`, embedded with `include_bytes!`,
//! and `CORE_MANIFEST`, the `pack.toml` of the built-in `plumbline-core` pack with each built
//! component's sha256), the `PLUMBLINE_TEST_GUESTS` env var (directory of the built test guests)
//! and `PLUMBLINE_VENDOR_PACK_COMPONENT` (the example vendor pack's check, examples/vendor-pack/)
//! for tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host/ lives in the workspace root").to_path_buf();
    let plugins = root.join("plugins");
    println!("cargo:rerun-if-changed={}", plugins.display());
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!("cargo:rerun-if-changed={}", root.join("examples").join("vendor-pack").join("check").display());
    println!("cargo:rerun-if-changed={}", manifest_dir.join("src").join("contract.rs").display());
    println!("cargo:rerun-if-changed={}", root.join("Cargo.lock").display());

    let mut bundled = crates_in(&plugins, &["sdk", "test-guests"]);
    // Reports list checks in the order of the audit's eight questions; others follow by name.
    const QUESTION_ORDER: [&str; 8] =
        ["acks", "backpressure", "schema-drift", "dead-letters", "blind-spots", "sla", "idempotency", "security"];
    bundled.sort_by_key(|(dir, _)| (QUESTION_ORDER.iter().position(|id| id == dir).unwrap_or(usize::MAX), dir.clone()));
    let test_guests = crates_in(&plugins.join("test-guests"), &[]);
    // The example vendor pack's check (examples/vendor-pack/check), built like the guests.
    let vendor_checks = crates_in(&root.join("examples").join("vendor-pack"), &[]);
    let target_dir = root.join("target").join("guests");

    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(&root).args(["build", "--release", "--target", "wasm32-wasip2", "--target-dir"]).arg(&target_dir);
    for (_, package) in bundled.iter().chain(&test_guests).chain(&vendor_checks) {
        cargo.args(["-p", package]);
    }
    // Checks ship inside the binary, but optimise them for speed, not size: their run time is what
    // the Wasm-vs-native benchmark measures (this applies to the nested guest build only; the
    // host keeps the workspace's release profile).
    cargo.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3").env("CARGO_PROFILE_RELEASE_STRIP", "true");
    // The outer build's flags are for the host target; the nested build picks its own.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        // Under `cargo clippy` the wrapper would re-lint (and rebuild) the guests.
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cargo.env_remove(var);
    }
    let status = cargo.status().expect("cannot run cargo to build the Wasm guests");
    if !status.success() {
        panic!(
            "building the Wasm checks failed (see above). If the error says the target may not be \
             installed, run: rustup target add wasm32-wasip2"
        );
    }

    let wasm_dir = target_dir.join("wasm32-wasip2").join("release");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::from(
        "/// (check id, hex sha256, component bytes) of every bundled check.\npub const BUNDLED: &[(&str, &str, &[u8])] = &[\n",
    );
    for (id, package) in &bundled {
        let wasm = wasm_dir.join(format!("{}.wasm", package.replace('-', "_")));
        assert!(wasm.is_file(), "expected {} after building {package}", wasm.display());
        let bytes = std::fs::read(&wasm).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm.display()));
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        code.push_str(&format!("    ({id:?}, {sha256:?}, include_bytes!({:?})),\n", wasm.display().to_string()));
    }
    code.push_str("];\n");
    code.push_str(&format!(
        "/// `pack.toml` of the built-in pack, generated from the built components.\npub const CORE_MANIFEST: &str = {:?};\n",
        core_manifest(&root, &wasm_dir, &bundled)
    ));
    std::fs::write(out_dir.join("bundled.rs"), code).expect("cannot write bundled.rs");
    println!("cargo:rustc-env=PLUMBLINE_TEST_GUESTS={}", wasm_dir.display());
    if let Some((_, package)) = vendor_checks.first() {
        let wasm = wasm_dir.join(format!("{}.wasm", package.replace('-', "_")));
        println!("cargo:rustc-env=PLUMBLINE_VENDOR_PACK_COMPONENT={}", wasm.display());
    }
}

/// The `plumbline-pack/1` manifest of the bundled checks: this plumbline's version, the contract
/// version of host/src/contract.rs, and `<id>.wasm` with the sha256 of each built component.
fn core_manifest(root: &Path, wasm_dir: &Path, bundled: &[(String, String)]) -> String {
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let contract_rs = std::fs::read_to_string(root.join("host/src/contract.rs")).expect("read host/src/contract.rs");
    let contract = contract_rs
        .lines()
        .find_map(|l| l.trim().strip_prefix("pub const VERSION: &str = \"")?.strip_suffix("\";"))
        .expect("host/src/contract.rs declares `pub const VERSION: &str = \"x.y.z\";`");
    let mut manifest = format!(
        "format = \"plumbline-pack/1\"\nname = \"plumbline-core\"\nvendor = \"plumbline\"\nversion = \"{version}\"\n\
         description = \"The checks built into plumbline\"\ncontract = \"^{contract}\"\nmin-plumbline = \"{version}\"\n"
    );
    for (id, package) in bundled {
        let wasm = wasm_dir.join(format!("{}.wasm", package.replace('-', "_")));
        let bytes = std::fs::read(&wasm).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm.display()));
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        manifest.push_str(&format!("\n[[checks]]\nid = \"{id}\"\ncomponent = \"{id}.wasm\"\nsha256 = \"{sha256}\"\n"));
    }
    manifest
}

/// (directory name, package name) of every crate directly under `dir`, except `skip`.
fn crates_in(dir: &Path, skip: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let manifest = entry.path().join("Cargo.toml");
        if skip.contains(&name.as_str()) || !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        let package = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = ").map(|v| v.trim_matches('"').to_string()))
            .unwrap_or_else(|| panic!("no package name in {}", manifest.display()));
        found.push((name, package));
    }
    found.sort();
    found
}
