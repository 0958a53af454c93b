//! `plumbline new check NAME`: the command line around `crate::scaffold`: arguments, where the
//! SDK comes from, and what to do next.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::print;
use crate::scaffold::{self, SdkSource};

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Create a standalone check crate NAME/: a small working check, native tests, fixtures for
    /// `plumbline test`, and a README with the commands.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The check id, kebab-case (e.g. `queue-depth`); also the directory name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Create NAME/ inside this directory.
    #[arg(long, value_name = "PARENT", default_value = ".")]
    pub dir: PathBuf,
    /// Depend on plumbline-sdk in this local directory (e.g. <plumbline>/plugins/sdk).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["sdk_git", "sdk_rev"])]
    pub sdk_path: Option<PathBuf>,
    /// Depend on plumbline-sdk from this git repository [default: the plumbline repository].
    #[arg(long, value_name = "URL")]
    pub sdk_git: Option<String>,
    /// Pin the git dependency to this commit or tag.
    #[arg(long, value_name = "REV")]
    pub sdk_rev: Option<String>,
}

pub fn run(command: NewCommand) -> Result<i32> {
    let NewCommand::Check(args) = command;
    let sdk = match (&args.sdk_path, args.sdk_git) {
        (Some(path), _) => SdkSource::local(path)?,
        (None, Some(url)) => SdkSource::git(url, args.sdk_rev)?,
        (None, None) => SdkSource::default_git(args.sdk_rev)?,
    };
    let created = scaffold::new_check(&args.name, &args.dir, &sdk)?;
    let dir = created.dir.display();
    let mut out = format!("created check `{}` ({}) in {dir}/\n", args.name, created.package);
    for file in &created.files {
        out.push_str(&format!("  {file}\n"));
    }
    let sdk_line = match &sdk {
        SdkSource::Path(path) => format!("plumbline-sdk from {}", path.display()),
        SdkSource::Git { url, rev: Some(rev) } => format!("plumbline-sdk from git {url} at {rev}"),
        SdkSource::Git { url, rev: None } => {
            format!("plumbline-sdk from git {url} (default branch; --sdk-rev pins it, --sdk-path uses a checkout)")
        }
    };
    out.push_str(&format!(
        "{sdk_line}\n\nnext:\n  cd {dir}\n  cargo test\n  cargo build --release --target wasm32-wasip2\n  \
         plumbline test .\n  plumbline audit --plugin target/wasm32-wasip2/release/{}\n",
        created.wasm
    ));
    print(&out)?;
    Ok(0)
}
