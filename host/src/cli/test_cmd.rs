//! `plumbline test PATH`: runs one check component against fixture snapshots with expected
//! answers (`fixtures/<case>/{snapshot.json, expected.toml, plumbline.toml}`, see `cases`) in the
//! same sandbox and compile cache as `audit`, and prints a diff for every case that differs.
//! No bundled check runs. Exit 0 every case passed · 1 a case failed · 2 bad input.

mod cases;
mod compare;
mod render;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use sha2::Digest;

use super::{CacheArgs, print};
use crate::contract::types::CheckInfo;
use crate::runtime::{LimitPolicy, Limits, Mode, PluginSource, Runtime};
use crate::snapshot::Snapshot;
use cases::{Case, Layout, LoadFailure};
use render::{CaseResult, CheckRef, TestReport};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// A check directory (holding fixtures/) or a fixtures directory; each fixtures/<case>/ has
    /// snapshot.json and expected.toml (and optionally plumbline.toml).
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// The check component to test [default: target/wasm32-wasip2/release/<crate>.wasm of the
    /// Cargo.toml in PATH, under $CARGO_TARGET_DIR when set].
    #[arg(long, short = 'p', value_name = "FILE.wasm")]
    pub plugin: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: TestFormat,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Text,
    Json,
}

pub fn run(args: TestArgs) -> Result<i32> {
    let layout = cases::layout(&args.path)?;
    let cases = cases::load_all(&layout.fixtures).map_err(|failure| match failure {
        LoadFailure::Fixtures(error) => anyhow!(error),
        LoadFailure::Cases(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            anyhow!("{} bad test case(s), nothing was run:\n  {}", errors.len(), lines.join("\n  "))
        }
    })?;
    let plugin = match &args.plugin {
        Some(path) => path.clone(),
        None => built_component(&layout)?,
    };
    let bytes = std::fs::read(&plugin).with_context(|| format!("cannot read plugin {}", plugin.display()))?;
    let source = PluginSource::new(plugin.display().to_string(), Arc::from(bytes), None);
    let cache = args.cache.cache();
    let runtime = Runtime::new(cache.clone(), Limits::default()).map_err(|e| anyhow!("{e:#}"))?;
    let info = describe(&runtime, &source)?;
    for case in &cases {
        if let Some(config) = &case.config
            && let Err(why) = config.check_ids(std::slice::from_ref(&info.id))
        {
            bail!("invalid {}: {why}", case.dir.join(cases::CONFIG).display());
        }
    }

    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        // The case's whole limits table, `[limits.checks.<id>]` included.
        let limits = case.config.as_ref().map(|c| c.limit_policy()).unwrap_or_default();
        let custom;
        let runtime = if limits == LimitPolicy::default() {
            &runtime
        } else {
            custom = Runtime::new(cache.clone(), limits).map_err(|e| anyhow!("{e:#}"))?;
            &custom
        };
        results.push(run_case(runtime, &source, case));
    }
    let report = TestReport::new(
        CheckRef {
            id: info.id,
            version: info.version,
            plugin: source.origin.clone(),
            sha256: hex::encode(sha2::Sha256::digest(&source.bytes)),
        },
        layout.fixtures.display().to_string(),
        results,
    );
    print(&match args.format {
        TestFormat::Text => render::text(&report),
        TestFormat::Json => render::json(&report),
    })?;
    Ok(report.exit_code())
}

/// Describes the component once: its id (for `[checks.<id>]` in case configs), and a clear
/// error when the file is not a check this plumbline can run.
fn describe(runtime: &Runtime, source: &PluginSource) -> Result<CheckInfo> {
    let outcome = runtime
        .audit(std::slice::from_ref(source), Arc::new(Snapshot::empty()), &Mode::DescribeOnly)
        .pop()
        .ok_or_else(|| anyhow!("{}: the runtime returned no outcome", source.origin))?;
    match (outcome.info, outcome.error) {
        (Some(info), None) => Ok(info),
        (_, error) => bail!("{} cannot be tested: {}", source.origin, error.as_deref().unwrap_or("describe() failed")),
    }
}

fn run_case(runtime: &Runtime, source: &PluginSource, case: Case) -> CaseResult {
    let span = tracing::info_span!("case", name = %case.name);
    let _guard = span.enter();
    let overrides = |id: &str| case.config.as_ref().map(|c| c.overrides(id)).unwrap_or_default();
    let outcome = runtime
        .audit(
            std::slice::from_ref(source),
            case.snapshot.snapshot,
            &Mode::Run { select: &|_| true, overrides: &overrides },
        )
        .pop();
    let Some(outcome) = outcome else {
        // Unreachable with `select` always true; still a failed case rather than a panic.
        let problem = compare::Problem::Status {
            expected: case.expected.status.name(),
            actual: "error",
            error: Some("the runtime returned no outcome".into()),
            notes: Vec::new(),
        };
        return CaseResult {
            name: case.name,
            ok: false,
            status: "error",
            evaluated: 0,
            findings: 0,
            problems: vec![problem],
        };
    };
    let problems = compare::compare(&case.expected, &outcome);
    CaseResult {
        name: case.name,
        ok: problems.is_empty(),
        status: crate::runtime::status_name(outcome.status),
        evaluated: outcome.evaluated,
        findings: outcome.findings.len(),
        problems,
    }
}

/// The component `cargo build --release --target wasm32-wasip2` writes for the crate in the
/// check directory: `<target>/wasm32-wasip2/release/<crate>.wasm`, where `<target>` is
/// `$CARGO_TARGET_DIR` or the crate's `target/`.
fn built_component(layout: &Layout) -> Result<PathBuf> {
    let dir = &layout.check_dir;
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "no --plugin given and {} has no Cargo.toml to find the component from; pass --plugin FILE.wasm",
            display_dir(dir)
        );
    }
    let crate_name = crate_name(&manifest)?;
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dir.join("target"),
    };
    let wasm = target.join("wasm32-wasip2").join("release").join(format!("{crate_name}.wasm"));
    if !wasm.is_file() {
        bail!(
            "{} not found: build the check first with `cargo build --release --target wasm32-wasip2` in {} \
             (rustup target add wasm32-wasip2 once), or pass --plugin FILE.wasm",
            wasm.display(),
            display_dir(dir)
        );
    }
    warn_if_stale(dir, &wasm);
    Ok(wasm)
}

/// `[lib] name`, else the package name with `-` as `_` (what cargo names the .wasm).
fn crate_name(manifest: &Path) -> Result<String> {
    let text = std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow!("invalid {}: {}", manifest.display(), e.message()))?;
    let lib = table.get("lib").and_then(|l| l.get("name")).and_then(|n| n.as_str());
    let package = table.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str());
    match lib.or(package) {
        Some(name) => Ok(name.replace('-', "_")),
        None => bail!("{} has no [package] name; pass --plugin FILE.wasm", manifest.display()),
    }
}

/// Warns when sources changed after the component was built (the test would run old code).
fn warn_if_stale(dir: &Path, wasm: &Path) {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(wasm) else { return };
    let mut newest = modified(&dir.join("Cargo.toml"));
    let mut stack = vec![dir.join("src")];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                newest = newest.max(modified(&path));
            }
        }
    }
    if newest.is_some_and(|newest| newest > built) {
        tracing::warn!(
            "{} is older than the sources in {}; rebuild with `cargo build --release --target wasm32-wasip2`",
            wasm.display(),
            display_dir(dir)
        );
    }
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() { ".".into() } else { dir.display().to_string() }
}

#[cfg(test)]
mod tests;
