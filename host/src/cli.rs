//! The command line: argument parsing (clap), wiring snapshot → runtime → report, printing, and
//! exit codes. The only module that writes to stdout.
//!
//! Exit codes: 0 gate passed · 1 gate failed (findings at/above `--fail-on`, or inconclusive
//! checks unless `--allow-inconclusive`) · 2 bad usage or bad input · 3 a check ended in `error`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sha2::Digest;

use crate::config::Config;
use crate::contract::types::{CheckInfo, ParamValue, Severity};
use crate::outcome::CheckOutcome;
use crate::report::untrusted::{self, Line};
use crate::report::{
    Catalog, Date, PackRef, Policy, Report, SarifOptions, Trend, render_html, render_json, render_junit,
    render_markdown, render_sarif, render_text,
};
use crate::runtime::{CompileCache, Mode, PluginSource, Runtime};
use crate::snapshot;
use crate::{bundled, runtime};

mod history;
mod keys;
mod new;
mod pack;
mod test_cmd;

/// Exit code for bad usage or bad input.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(name = "plumbline", version, about = "Audit real-time integrations with sandboxed Wasm checks.")]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). PLUMBLINE_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks against a snapshot (a file, the sources of --config, or the bundled
    /// example) and print a report.
    Audit(AuditArgs),
    /// Collect the sources of --config (read-only) and write the snapshot as JSON.
    Snapshot(SnapshotArgs),
    /// List or describe the available checks.
    Checks {
        #[command(subcommand)]
        command: ChecksCommand,
    },
    /// Manage the compile cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// List the audit runs recorded with `audit --record`.
    History(history::ListArgs),
    /// Compare two recorded runs: new, resolved and unchanged findings, check-status changes.
    Diff(history::DiffArgs),
    /// Create a new check crate to write your own check (`plumbline new check NAME`).
    New {
        #[command(subcommand)]
        command: new::NewCommand,
    },
    /// Run a check component against fixture snapshots with expected results (fixtures/<case>/).
    Test(test_cmd::TestArgs),
    /// Install, list, verify and remove plugin packs; sign and archive your own (docs/security.md).
    Pack {
        #[command(subcommand)]
        command: pack::PackCommand,
    },
    /// Generate a signing key pair; trust, list and remove the keys pack signatures are checked with.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// One line per check: id, version, question.
    List(PluginArgs),
    /// Rules, parameters and sections of one check.
    Show {
        id: String,
        #[command(flatten)]
        plugins: PluginArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Delete every compiled artifact.
    Clear(CacheArgs),
    /// Print the cache directory.
    Dir(CacheArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Snapshot file to audit. Without it, the bundled example estate is audited.
    #[arg(long, short = 's', value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Report format: text, json, sarif, junit, markdown or html. Repeatable: `FORMAT=PATH` writes that
    /// format to PATH (`--format sarif=out.sarif --format junit=junit.xml`); at most one plain
    /// `FORMAT` goes to stdout or --output. When every format has a path, stdout gets the text
    /// report. [default: text]
    #[arg(long, short = 'f', value_name = "FORMAT[=PATH]", value_parser = parse_format_target)]
    pub format: Vec<FormatTarget>,
    /// Write the report in the plain --format (text by default) to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only run these checks (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub checks: Vec<String>,
    /// Lowest severity that fails the run: critical, high, medium, low, info, or none.
    #[arg(long, default_value = "high", value_name = "SEVERITY", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Do not fail the run because a check was inconclusive (a source could not be read).
    #[arg(long)]
    pub allow_inconclusive: bool,
    /// Configuration file (parameters, limits, suppressions, severity overrides). Default:
    /// ./plumbline.toml if present. Suppressions are also read from .plumblineignore.toml beside it.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Per-check time limit in seconds (overrides the config).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Record this run in the history (see `plumbline history` and `plumbline diff`).
    #[arg(long)]
    pub record: bool,
    #[command(flatten)]
    pub history: history::StoreArg,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Configuration naming the sources to read.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// Write the snapshot to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Also run this check component (.wasm); repeatable.
    #[arg(long = "plugin", short = 'p', value_name = "FILE")]
    pub plugins: Vec<PathBuf>,
    /// Leave out the bundled checks.
    #[arg(long)]
    pub no_bundled: bool,
    #[command(flatten)]
    pub packs: pack::PackRunArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Compile cache directory [default: $PLUMBLINE_CACHE_DIR, $XDG_CACHE_HOME/plumbline or ~/.cache/plumbline].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every component afresh and store nothing.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

/// One `--format` value: a format, and the file it goes to (`None`: stdout or --output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatTarget {
    pub format: Format,
    pub path: Option<PathBuf>,
}

fn parse_format_target(text: &str) -> Result<FormatTarget, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, path)) => (name, Some(path)),
        None => (text, None),
    };
    let format = Format::from_str(name.trim(), true).map_err(|_| {
        let known: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("`{name}` is not a report format ({}); write FORMAT or FORMAT=PATH", known.join(", "))
    })?;
    match path {
        Some("") => Err(format!("`{text}` names no file; write {name}=PATH, or just {name} for stdout")),
        Some(path) => Ok(FormatTarget { format, path: Some(PathBuf::from(path)) }),
        None => Ok(FormatTarget { format, path: None }),
    }
}

/// Checks the `--format`/`--output` combination and settles what goes to stdout (or --output):
/// the one plain format, or text when every format names a file.
fn plan_outputs(targets: &[FormatTarget], output: Option<&Path>) -> Result<(Format, Vec<(Format, PathBuf)>)> {
    let plain: Vec<Format> = targets.iter().filter(|t| t.path.is_none()).map(|t| t.format).collect();
    if plain.len() > 1 {
        bail!(
            "--format: only one format can go to {}; give the others a file, e.g. --format sarif=report.sarif",
            if output.is_some() { "--output" } else { "stdout" }
        );
    }
    let files: Vec<(Format, PathBuf)> =
        targets.iter().filter_map(|t| t.path.clone().map(|path| (t.format, path))).collect();
    let mut seen: Vec<&Path> = output.into_iter().collect();
    for (_, path) in &files {
        if seen.contains(&path.as_path()) {
            bail!("--format: {} is named twice; each report needs its own file", path.display());
        }
        seen.push(path);
    }
    Ok((plain.first().copied().unwrap_or(Format::Text), files))
}

/// Renders one format; `base_dir` anchors relative file URIs in SARIF; `trend` is HTML's.
fn render(
    format: Format,
    report: &Report,
    catalog: &Catalog,
    base_dir: Option<&Path>,
    trend: Option<&Trend>,
) -> Result<String> {
    Ok(match format {
        Format::Text => render_text(report),
        Format::Json => render_json(report),
        Format::Sarif => render_sarif(report, catalog, &SarifOptions { base_dir })?,
        Format::Junit => render_junit(report, catalog),
        Format::Markdown => render_markdown(report),
        Format::Html => render_html(report, catalog, trend),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct FailOn(pub Option<Severity>);

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(FailOn(None));
    }
    Severity::parse(text)
        .map(|s| FailOn(Some(s)))
        .ok_or_else(|| format!("`{text}` is not a severity (critical, high, medium, low, info, none)"))
}

impl CacheArgs {
    fn cache(&self) -> CompileCache {
        if self.no_cache {
            CompileCache::new(None)
        } else {
            CompileCache::new(self.cache_dir.clone().or_else(CompileCache::default_dir))
        }
    }
}

impl PluginArgs {
    /// The bundled checks (unless `--no-bundled`), the installed packs' checks (unless
    /// `--no-packs`; verified and held to plumbline.lock), then the given component files; with
    /// the packs they came from, for the report.
    fn sources(&self, config: &Config, config_path: Option<&Path>) -> Result<(Vec<PluginSource>, Vec<PackRef>)> {
        let mut sources = if self.no_bundled { Vec::new() } else { bundled::plugins() };
        let mut packs = if self.no_bundled { Vec::new() } else { vec![crate::pack::core_ref()] };
        let (installed, installed_packs) = pack::installed(&self.packs, config, config_path)?;
        sources.extend(installed);
        packs.extend(installed_packs);
        for path in &self.plugins {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read plugin {}", path.display()))?;
            sources.push(PluginSource::new(path.display().to_string(), Arc::from(bytes), None));
        }
        if sources.is_empty() {
            bail!("no checks to run: --no-bundled was given, no pack is installed and no --plugin");
        }
        Ok((sources, packs))
    }
}

/// Runs the CLI; returns the process exit code. Errors are usage/input errors (exit 2).
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Audit(args) => audit(args),
        Command::Snapshot(args) => {
            let config = Config::load(&args.config)?;
            if config.sources.is_empty() && config.registry.is_none() {
                bail!("{}: no [[sources.*]] and no [registry] to collect", args.config.display());
            }
            let loaded = collect(&config, &args.config)?;
            let text = serde_json::to_string_pretty(&*loaded.snapshot).context("cannot serialise the snapshot")? + "\n";
            match &args.output {
                Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
                None => print(&text)?,
            }
            let failed = loaded.snapshot.info.sources.iter().filter(|s| !s.ok).count();
            if failed > 0 {
                tracing::warn!("{failed} source(s) could not be read completely; see info.sources");
            }
            Ok(0)
        }
        Command::Checks { command: ChecksCommand::List(plugins) } => {
            let described = describe(&plugins)?;
            let mut out = String::new();
            let width = described.iter().map(|(_, i)| untrusted::line(&i.id).chars().count()).max().unwrap_or(2);
            for (origin, info) in &described {
                out.push_str(&format!(
                    "{:width$}  {:8}  {}  ({})\n",
                    Line(&info.id),
                    Line(&info.version),
                    Line(&info.question),
                    Line(origin)
                ));
            }
            print(&out)?;
            Ok(0)
        }
        Command::Checks { command: ChecksCommand::Show { id, plugins } } => {
            let described = describe(&plugins)?;
            let Some((origin, info)) = described.iter().find(|(_, i)| i.id == id) else {
                let known: Vec<&str> = described.iter().map(|(_, i)| i.id.as_str()).collect();
                bail!("no check `{id}` (available: {})", known.join(", "));
            };
            print(&show(origin, info))?;
            Ok(0)
        }
        Command::Cache { command: CacheCommand::Clear(args) } => {
            let cache = args.cache();
            let removed = cache.clear().context("cannot clear the compile cache")?;
            print(&format!("removed {removed} compiled component(s)\n"))?;
            Ok(0)
        }
        Command::Cache { command: CacheCommand::Dir(args) } => {
            let cache = args.cache();
            print(&format!("{}\n", cache.dir().map_or("(disabled)".into(), |d| d.display().to_string())))?;
            Ok(0)
        }
        Command::History(args) => history::list(args),
        Command::Diff(args) => history::diff(args),
        Command::New { command } => new::run(command),
        Command::Test(args) => test_cmd::run(args),
        Command::Pack { command } => pack::run(command),
        Command::Keys { command } => keys::run(command),
    }
}

fn audit(args: AuditArgs) -> Result<i32> {
    let started = std::time::SystemTime::now();
    let (stdout_format, files) = plan_outputs(&args.format, args.output.as_deref())?;
    let config = load_config(args.config.as_ref())?;
    let config_file = args.config.clone().or_else(|| Some(PathBuf::from("plumbline.toml")).filter(|p| p.is_file()));
    let policy = Policy::load(&config, config_file.as_deref())?;
    let mut limits = config.limit_policy();
    if let Some(t) = args.timeout {
        if !(t > 0.0 && t <= 3600.0) {
            bail!("--timeout {t}: must be in (0, 3600] seconds");
        }
        limits.force_timeout(std::time::Duration::from_secs_f64(t));
    }
    let loaded = match &args.snapshot {
        Some(path) => snapshot::load(path)?,
        None if !config.sources.is_empty() || config.registry.is_some() => {
            collect(&config, args.config.as_deref().unwrap_or(std::path::Path::new("plumbline.toml")))?
        }
        None => {
            let mut loaded = snapshot::parse(bundled::EXAMPLE, std::path::Path::new(bundled::EXAMPLE_NAME))?;
            loaded.origin = format!("bundled:{}", bundled::EXAMPLE_NAME);
            loaded
        }
    };
    let (sources, packs) = args.plugins.sources(&config, config_file.as_deref())?;
    let runtime = Runtime::new(args.plugins.cache.cache(), limits).map_err(|e| anyhow::anyhow!("{e:#}"))?;

    let pack_names: Vec<String> = sources.iter().filter_map(|s| s.pack.clone()).collect();
    if let Err(why) = config.check_packs(&pack_names) {
        bail!("invalid config: {why}");
    }
    if !args.checks.is_empty()
        || !config.checks.is_empty()
        || !config.limits.checks.is_empty()
        || !policy.overrides.is_empty()
    {
        let described = describe_with(&runtime, &sources);
        let known: Vec<String> = described.iter().filter_map(|o| o.info.as_ref().map(|i| i.id.clone())).collect();
        if let Some(unknown) = args.checks.iter().find(|id| !known.contains(id)) {
            bail!("--checks: no check `{unknown}` (available: {})", known.join(", "));
        }
        if let Err(why) = config.check_ids(&known) {
            bail!("invalid config: {why}");
        }
        let rules: Vec<&str> = described
            .iter()
            .filter_map(|o| o.info.as_ref())
            .flat_map(|i| i.rules.iter().map(|r| r.id.as_str()))
            .collect();
        if let Err(why) = policy.check_rules(&rules) {
            bail!("invalid config: {why}");
        }
    }
    let selected = |id: &str| args.checks.is_empty() || args.checks.iter().any(|c| c == id);
    let overrides = |id: &str| config.overrides(id);
    let outcomes =
        runtime.audit(&sources, loaded.snapshot.clone(), &Mode::Run { select: &selected, overrides: &overrides });
    let catalog = Catalog::from_outcomes(&outcomes);
    let mut report = Report::build(&loaded, outcomes, args.fail_on.0, !args.allow_inconclusive);
    report.packs = packs;
    report.apply_policy(&policy, Date::today());
    let recorded = if args.record { Some(history::record(&args.history, &config, &report, started)?) } else { None };
    let trend = (stdout_format == Format::Html || files.iter().any(|(f, _)| *f == Format::Html))
        .then(|| history::trend(&args.history, &config, recorded, &report, started))
        .flatten();
    let base_dir = std::env::current_dir().ok();
    // Files first, so a file that cannot be written is reported (exit 2) before stdout is used.
    // Files never get colour codes, nor any other control; stdout keeps colour only on a terminal.
    for (format, path) in &files {
        let rendered = render(*format, &report, &catalog, base_dir.as_deref(), trend.as_ref())?;
        std::fs::write(path, file_safe(*format, &rendered).as_bytes())
            .with_context(|| format!("cannot write report to {}", path.display()))?;
    }
    let rendered = render(stdout_format, &report, &catalog, base_dir.as_deref(), trend.as_ref())?;
    match &args.output {
        Some(path) => std::fs::write(path, file_safe(stdout_format, &rendered).as_bytes())
            .with_context(|| format!("cannot write report to {}", path.display()))?,
        None => print(&rendered)?,
    }
    Ok(report.summary.gate.exit_code)
}

/// Collects the configured sources into a snapshot (on a tokio runtime of its own).
fn collect(config: &Config, config_path: &std::path::Path) -> Result<snapshot::Loaded> {
    let registry = config.registry()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the collection runtime")?;
    let snapshot = runtime.block_on(crate::collect::collect_all(
        &config.sources,
        registry,
        &config.collect,
        &crate::collect::Progress::on_terminal(),
    ));
    let bytes = serde_json::to_vec(&snapshot).context("cannot serialise the snapshot")?;
    Ok(snapshot::Loaded {
        snapshot: Arc::new(snapshot),
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        origin: format!("collected:{}", config_path.display()),
    })
}

fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    match path {
        Some(path) => Ok(Config::load(path)?),
        None => {
            let default = PathBuf::from("plumbline.toml");
            if default.is_file() { Ok(Config::load(&default)?) } else { Ok(Config::default()) }
        }
    }
}

/// Describes every plugin; plugins that fail to load are reported on stderr and left out.
fn describe(args: &PluginArgs) -> Result<Vec<(String, CheckInfo)>> {
    let (config, config_path) = pack::load_config_or_default(None)?;
    let (sources, _) = args.sources(&config, config_path.as_deref())?;
    let runtime = Runtime::new(args.cache.cache(), runtime::Limits::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let mut described = Vec::new();
    for outcome in describe_with(&runtime, &sources) {
        match outcome.info {
            Some(info) if outcome.error.is_none() => described.push((outcome.plugin.origin, info)),
            _ => tracing::error!(
                plugin = %outcome.plugin.origin,
                "cannot describe: {}",
                outcome.error.as_deref().unwrap_or("unknown error")
            ),
        }
    }
    Ok(described)
}

fn describe_with(runtime: &Runtime, sources: &[PluginSource]) -> Vec<CheckOutcome> {
    runtime.audit(sources, Arc::new(crate::snapshot::Snapshot::empty()), &Mode::DescribeOnly)
}

/// `checks show`: every text the check wrote about itself, neutralised (one line each).
fn show(origin: &str, info: &CheckInfo) -> String {
    let mut out = format!(
        "{} {} — {}\n{}\nfrom: {}\n",
        Line(&info.id),
        Line(&info.version),
        Line(&info.title),
        Line(&info.question),
        Line(origin)
    );
    let sections: Vec<&str> = info.sections.iter().map(|s| s.name()).collect();
    out.push_str(&format!("reads: {}\n\nrules:\n", sections.join(", ")));
    for rule in &info.rules {
        out.push_str(&format!("  {} [{}] {}\n", Line(&rule.id), rule.default_severity.name(), Line(&rule.title)));
        if !rule.description.is_empty() {
            out.push_str(&format!("    why: {}\n", Line(&rule.description)));
        }
        if !rule.remediation.is_empty() {
            out.push_str(&format!("    fix: {}\n", Line(&rule.remediation)));
        }
        for reference in &rule.references {
            out.push_str(&format!("    see: {}\n", Line(reference)));
        }
    }
    if !info.params.is_empty() {
        out.push_str("\nparameters (override in plumbline.toml under [checks.<id>.params]):\n");
        for param in &info.params {
            out.push_str(&format!(
                "  {} = {}\n    {}\n",
                Line(&param.name),
                Line(&param_text(&param.default)),
                Line(&param.description)
            ));
        }
    }
    out
}

fn param_text(value: &ParamValue) -> String {
    match value {
        ParamValue::Integer(i) => i.to_string(),
        ParamValue::Float(f) => f.to_string(),
        ParamValue::Boolean(b) => b.to_string(),
        ParamValue::Text(s) => format!("{s:?}"),
        ParamValue::TextList(items) => format!("{items:?}"),
    }
}

/// Writes `text` to stdout in one piece, through the output filter (`untrusted::output`): SGR
/// colour codes are kept only where anstream would keep them (a terminal, unless NO_COLOR), and
/// every other control or escape sequence is escaped visibly, whoever wrote it. A closed pipe is
/// not an error worth a panic.
fn print(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let colour = matches!(
        anstream::AutoStream::choice(&stdout),
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi
    );
    let text = untrusted::output(text, colour);
    let mut out = stdout.lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A rendered report as it goes into a file: no colour and no raw control for the human-readable
/// formats (`untrusted::output`); JSON and SARIF as written (their strings are exact, and escaped).
fn file_safe(format: Format, rendered: &str) -> std::borrow::Cow<'_, str> {
    match format {
        Format::Json | Format::Sarif => std::borrow::Cow::Borrowed(rendered),
        Format::Text | Format::Markdown | Format::Junit | Format::Html => untrusted::output(rendered, false),
    }
}
