//! What running one check produced — the hand-off from the runtime to the report. Plain data: no
//! wasmtime handles, so renderers never depend on the sandbox.

use std::time::Duration;

use serde::Serialize;

use crate::contract::types::{CheckInfo, Finding, Section, Status};
use crate::runtime::CacheStatus;

/// How a check's read of a section went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum ReadState {
    Available,
    /// Served the data of the sources that could be read; others of this kind failed.
    Partial(String),
    NotCollected,
    Unavailable(String),
    NotDeclared,
}

/// Every read of one section that went one way: the state (and reason) once, and how many read
/// calls it answered. A check that reads in a loop costs the host one counter, not one entry per
/// call (a read loop once grew the host to 6.8 GB and the report to 2.5 GB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionReads {
    pub section: Section,
    pub state: ReadState,
    pub count: u64,
}

/// Identity of the component a check came from.
#[derive(Debug, Clone, Serialize)]
pub struct PluginMeta {
    /// `bundled:acks` or the file path given on the command line.
    pub origin: String,
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Contract version the component was built for, when it could be read.
    pub contract: Option<String>,
    pub cache: Option<CacheStatus>,
}

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub plugin: PluginMeta,
    /// What `describe` returned; `None` when the check failed before that.
    pub info: Option<CheckInfo>,
    pub status: Status,
    pub evaluated: u32,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
    /// Why the status is `error` (or why the host changed the check's own status).
    pub error: Option<String>,
    /// How the check's reads went: one entry per section and outcome, in the order first read.
    pub reads: Vec<SectionReads>,
    pub duration: Duration,
}

impl CheckOutcome {
    /// The check id, or a name derived from its origin when `describe` never answered.
    pub fn id(&self) -> String {
        match &self.info {
            Some(info) => info.id.clone(),
            None => self.plugin.origin.rsplit(['/', ':']).next().unwrap_or("?").trim_end_matches(".wasm").to_string(),
        }
    }

    /// An outcome for a plugin that could not even be loaded.
    pub fn failed(plugin: PluginMeta, reason: String, duration: Duration) -> Self {
        CheckOutcome {
            plugin,
            info: None,
            status: Status::Error,
            evaluated: 0,
            findings: Vec::new(),
            notes: Vec::new(),
            error: Some(reason),
            reads: Vec::new(),
            duration,
        }
    }
}
