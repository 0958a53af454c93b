//! `plumbline new check NAME`: writes a standalone check crate (Cargo manifest with its own
//! workspace, a small real check, native tests, `plumbline test` fixtures, README, .gitignore)
//! from the files in `templates/`.
//!
//! The templates are embedded with `include_str!` and filled by plain `{{placeholder}}`
//! substitution. A template engine would buy nothing: there are no loops or conditions, and a
//! unit test proves every placeholder of every file gets filled. Not in here: building or
//! testing the generated crate (`plumbline test`, in `cli/test_cmd`).

use std::path::{Path, PathBuf};

/// The plumbline repository (the workspace's `repository`): the default git source of the SDK.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Longest check id the host accepts (`runtime/check.rs`).
const MAX_ID_LEN: usize = 64;

/// Every generated file: its path in the new crate and its template.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("templates/Cargo.toml.tmpl")),
    (".gitignore", include_str!("templates/gitignore.tmpl")),
    ("rustfmt.toml", include_str!("templates/rustfmt.toml.tmpl")),
    ("README.md", include_str!("templates/README.md.tmpl")),
    ("src/lib.rs", include_str!("templates/lib.rs.tmpl")),
    ("src/tests.rs", include_str!("templates/tests.rs.tmpl")),
    ("fixtures/backlog/snapshot.json", include_str!("templates/fixtures/backlog/snapshot.json")),
    ("fixtures/backlog/expected.toml", include_str!("templates/fixtures/backlog/expected.toml.tmpl")),
    ("fixtures/draining/snapshot.json", include_str!("templates/fixtures/draining/snapshot.json")),
    ("fixtures/draining/expected.toml", include_str!("templates/fixtures/draining/expected.toml.tmpl")),
    (
        "fixtures/rabbitmq-unavailable/snapshot.json",
        include_str!("templates/fixtures/rabbitmq-unavailable/snapshot.json"),
    ),
    (
        "fixtures/rabbitmq-unavailable/expected.toml",
        include_str!("templates/fixtures/rabbitmq-unavailable/expected.toml.tmpl"),
    ),
    (
        "fixtures/rabbitmq-not-collected/snapshot.json",
        include_str!("templates/fixtures/rabbitmq-not-collected/snapshot.json"),
    ),
    (
        "fixtures/rabbitmq-not-collected/expected.toml",
        include_str!("templates/fixtures/rabbitmq-not-collected/expected.toml.tmpl"),
    ),
];

/// Where the generated crate gets `plumbline-sdk` from (it is not on crates.io).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// A local checkout's `plugins/sdk`, as an absolute path.
    Path(PathBuf),
    /// A git repository holding the plumbline workspace, at its default branch or `rev`.
    Git { url: String, rev: Option<String> },
}

/// What went wrong; nothing is left behind on any of these.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{name}` is not a valid check id: {why}. Use kebab-case: lowercase words of letters and digits \
         joined by single hyphens, starting with a letter, at most {MAX_ID_LEN} characters (e.g. `queue-depth`)"
    )]
    InvalidName { name: String, why: String },
    #[error("{} already exists; choose another name or --dir (nothing was written)", .0.display())]
    Exists(PathBuf),
    #[error("--sdk-path {}: {why}", .path.display())]
    Sdk { path: PathBuf, why: String },
    #[error("{what}: must not be empty")]
    Empty { what: &'static str },
    #[error("cannot write {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The crate that was written.
#[derive(Debug)]
pub struct Created {
    pub dir: PathBuf,
    /// Relative paths of the files written, in order.
    pub files: Vec<&'static str>,
    /// Cargo package name (`plumbline-check-<id>`).
    pub package: String,
    /// File name of the built component (`plumbline_check_<id>.wasm`).
    pub wasm: String,
}

impl SdkSource {
    /// The plumbline repository, optionally pinned to `rev`.
    pub fn default_git(rev: Option<String>) -> Result<Self, ScaffoldError> {
        SdkSource::git(REPOSITORY.to_string(), rev)
    }

    pub fn git(url: String, rev: Option<String>) -> Result<Self, ScaffoldError> {
        if url.trim().is_empty() {
            return Err(ScaffoldError::Empty { what: "--sdk-git" });
        }
        if rev.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(ScaffoldError::Empty { what: "--sdk-rev" });
        }
        Ok(SdkSource::Git { url, rev })
    }

    /// A local SDK directory: it must hold the `plumbline-sdk` crate. Stored absolute, so the
    /// generated manifest works wherever the crate is created.
    pub fn local(path: &Path) -> Result<Self, ScaffoldError> {
        let fail = |why: String| ScaffoldError::Sdk { path: path.to_owned(), why };
        let manifest = path.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).map_err(|e| {
            fail(format!(
                "cannot read {} ({e}); give the SDK directory, e.g. <plumbline>/plugins/sdk",
                manifest.display()
            ))
        })?;
        let table: toml::Table = toml::from_str(&text)
            .map_err(|e| fail(format!("{} is not valid TOML: {}", manifest.display(), e.message())))?;
        let name = table.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str());
        if name != Some("plumbline-sdk") {
            return Err(fail(format!(
                "{} is the manifest of {}, not of plumbline-sdk; give <plumbline>/plugins/sdk",
                manifest.display(),
                name.map_or("no package".to_string(), |n| format!("`{n}`"))
            )));
        }
        let absolute = std::fs::canonicalize(path).map_err(|e| fail(e.to_string()))?;
        Ok(SdkSource::Path(absolute))
    }

    /// The `[dependencies]` line of the generated manifest.
    fn dependency(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        match self {
            SdkSource::Path(path) => format!("plumbline-sdk = {{ path = {} }}", quote(&path.display().to_string())),
            SdkSource::Git { url, rev: None } => format!("plumbline-sdk = {{ git = {} }}", quote(url)),
            SdkSource::Git { url, rev: Some(rev) } => {
                format!("plumbline-sdk = {{ git = {}, rev = {} }}", quote(url), quote(rev))
            }
        }
    }

    /// The README paragraph saying where the SDK comes from and how to change it.
    fn readme(&self) -> String {
        let other_ways = format!(
            "The SDK is not on crates.io. To change where it comes from, edit the `plumbline-sdk` line in \
             `Cargo.toml`: a local checkout (`plumbline-sdk = {{ path = \"<plumbline>/plugins/sdk\" }}`), or \
             git (`plumbline-sdk = {{ git = \"{REPOSITORY}\", rev = \"<commit or tag>\" }}`). Build against \
             the SDK of the plumbline version you run, so the component's contract version \
             (`plumbline:audit@0.1.x`) is one that plumbline accepts."
        );
        let origin = match self {
            SdkSource::Path(path) => {
                format!("`plumbline-sdk` comes from the local checkout at `{}` (`--sdk-path`).", path.display())
            }
            SdkSource::Git { url, rev: None } => format!(
                "`plumbline-sdk` comes from git, `{url}`, at its default branch: that is the default of \
                 `plumbline new check` (the repository named in plumbline's own Cargo.toml). Cargo pins the \
                 commit it resolved in `Cargo.lock`; commit that file, or add `rev = \"...\"` to pin it \
                 explicitly (`--sdk-rev`)."
            ),
            SdkSource::Git { url, rev: Some(rev) } => {
                format!("`plumbline-sdk` comes from git, `{url}`, at revision `{rev}`.")
            }
        };
        format!("{origin}\n\n{other_ways}")
    }
}

/// Checks that `name` is a kebab-case check id the host will accept.
pub fn validate_id(name: &str) -> Result<(), ScaffoldError> {
    let invalid = |why: String| Err(ScaffoldError::InvalidName { name: name.to_string(), why });
    if name.is_empty() {
        return invalid("it is empty".into());
    }
    if name.len() > MAX_ID_LEN {
        return invalid(format!("it is {} characters long", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return invalid(format!("it contains {c:?}"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return invalid("it does not start with a lowercase letter".into());
    }
    if name.ends_with('-') || name.contains("--") {
        return invalid("hyphens only join words (no trailing or double `-`)".into());
    }
    Ok(())
}

/// Writes the crate `<parent>/<name>/`. Refuses an existing directory; removes what it wrote
/// if writing fails half-way.
pub fn new_check(name: &str, parent: &Path, sdk: &SdkSource) -> Result<Created, ScaffoldError> {
    validate_id(name)?;
    let dir = parent.join(name);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ScaffoldError::Io { path, source }
    };
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    match std::fs::create_dir(&dir) {
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Err(ScaffoldError::Exists(dir)),
        other => other.map_err(io(&dir))?,
    }
    let package = format!("plumbline-check-{name}");
    let crate_name = package.replace('-', "_");
    let vars = [
        ("id", name.to_string()),
        ("package", package.clone()),
        ("crate", crate_name.clone()),
        ("type", type_name(name)),
        ("title", title(name)),
        ("sdk_dependency", sdk.dependency()),
        ("sdk_readme", sdk.readme()),
        ("repository", REPOSITORY.to_string()),
        ("plumbline_version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    let written = (|| {
        for (relative, template) in FILES {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, render(template, &vars)).map_err(io(&path))?;
        }
        Ok(())
    })();
    if let Err(err) = written {
        // Only what this call created: the directory did not exist before.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(err);
    }
    Ok(Created { dir, files: FILES.iter().map(|(p, _)| *p).collect(), package, wasm: format!("{crate_name}.wasm") })
}

/// Replaces every `{{key}}` of `vars` in `template`.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    vars.iter().fold(template.to_string(), |text, (key, value)| text.replace(&format!("{{{{{key}}}}}"), value))
}

/// `queue-depth` → `QueueDepthCheck` (the suffix keeps clear of keywords and the SDK's names).
fn type_name(id: &str) -> String {
    let mut out: String = id
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    out.push_str("Check");
    out
}

/// `queue-depth` → `Queue depth`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
