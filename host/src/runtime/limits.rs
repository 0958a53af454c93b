//! Every limit a check runs under, its default, and how configuration picks the one in force:
//! `[limits]` for the run, `[limits.packs.<pack>]` for the plugins of one pack and
//! `[limits.checks.<id>]` for one check, the most specific value winning field by field.
//!
//! `describe` runs under the run's and the pack's limits (the check id is not known before it
//! answers); `run` runs under the check's. Names of the configuration keys live here too, so an
//! error can say which key raises the limit that stopped a check.

use std::collections::BTreeMap;
use std::time::Duration;

/// The limits one check runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of each call into the check (`describe`, then `run`).
    pub timeout: Duration,
    /// Maximum linear memory of one check instance, in bytes.
    pub memory_bytes: usize,
    /// Maximum bytes kept of each of a check's stdout and stderr (the rest is dropped).
    pub output_bytes: usize,
    /// Maximum bytes the host copies out of the check in one call (its whole `verdict` or
    /// `check-info`), counted by wasmtime as it lifts the value, before allocating it.
    pub result_bytes: usize,
    /// Maximum number of findings in a verdict.
    pub max_findings: usize,
    /// Maximum number of notes kept from a verdict.
    pub max_notes: usize,
    /// Maximum length in bytes of any one string a check returns.
    pub max_string_bytes: usize,
    /// Instruction budget of each call (wasmtime fuel), off when `None`.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            memory_bytes: 256 << 20,
            output_bytes: 64 << 10,
            result_bytes: 64 << 20,
            max_findings: 10_000,
            max_notes: 1_000,
            max_string_bytes: 64 << 10,
            fuel: None,
        }
    }
}

/// Configuration keys (in `[limits]`, `[limits.packs.<pack>]` and `[limits.checks.<id>]`).
pub mod key {
    pub const TIMEOUT: &str = "timeout-seconds";
    pub const MEMORY: &str = "memory-mib";
    pub const OUTPUT: &str = "output-kib";
    pub const RESULT: &str = "result-mib";
    pub const MAX_FINDINGS: &str = "max-findings";
    pub const MAX_NOTES: &str = "max-notes";
    pub const MAX_STRING: &str = "max-string-kib";
    pub const FUEL: &str = "fuel";
}

/// Where to raise a limit, as a user reads it: "`max-findings` under [limits] or
/// [limits.checks.acks] in plumbline.toml".
pub fn raise_hint(key: &str, check: Option<&str>) -> String {
    match check {
        Some(id) => format!("raise `{key}` under [limits] or [limits.checks.{id}] in plumbline.toml"),
        None => format!("raise `{key}` under [limits] in plumbline.toml"),
    }
}

/// Values one `[limits…]` table sets; `None` leaves the less specific value in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitOverride {
    pub timeout: Option<Duration>,
    pub memory_bytes: Option<usize>,
    pub output_bytes: Option<usize>,
    pub result_bytes: Option<usize>,
    pub max_findings: Option<usize>,
    pub max_notes: Option<usize>,
    pub max_string_bytes: Option<usize>,
    pub fuel: Option<u64>,
}

impl LimitOverride {
    pub fn apply(&self, limits: &mut Limits) {
        let LimitOverride {
            timeout,
            memory_bytes,
            output_bytes,
            result_bytes,
            max_findings,
            max_notes,
            max_string_bytes,
            fuel,
        } = self;
        limits.timeout = timeout.unwrap_or(limits.timeout);
        limits.memory_bytes = memory_bytes.unwrap_or(limits.memory_bytes);
        limits.output_bytes = output_bytes.unwrap_or(limits.output_bytes);
        limits.result_bytes = result_bytes.unwrap_or(limits.result_bytes);
        limits.max_findings = max_findings.unwrap_or(limits.max_findings);
        limits.max_notes = max_notes.unwrap_or(limits.max_notes);
        limits.max_string_bytes = max_string_bytes.unwrap_or(limits.max_string_bytes);
        limits.fuel = fuel.or(limits.fuel);
    }
}

/// The run's limits and their per-pack and per-check overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitPolicy {
    pub base: Limits,
    pub packs: BTreeMap<String, LimitOverride>,
    pub checks: BTreeMap<String, LimitOverride>,
}

impl From<Limits> for LimitPolicy {
    fn from(base: Limits) -> Self {
        LimitPolicy { base, ..LimitPolicy::default() }
    }
}

impl LimitPolicy {
    /// Limits of a plugin before its id is known (for `describe`): run, then pack.
    pub fn for_plugin(&self, pack: Option<&str>) -> Limits {
        let mut limits = self.base;
        if let Some(over) = pack.and_then(|p| self.packs.get(p)) {
            over.apply(&mut limits);
        }
        limits
    }

    /// Limits of check `id` from `pack` (for `run`): run, then pack, then check.
    pub fn for_check(&self, pack: Option<&str>, id: &str) -> Limits {
        let mut limits = self.for_plugin(pack);
        if let Some(over) = self.checks.get(id) {
            over.apply(&mut limits);
        }
        limits
    }

    /// True when any table sets `fuel`: the engine must then count instructions.
    pub fn uses_fuel(&self) -> bool {
        self.base.fuel.is_some() || self.packs.values().chain(self.checks.values()).any(|o| o.fuel.is_some())
    }

    /// One timeout for every check, whatever the tables say (`audit --timeout`).
    pub fn force_timeout(&mut self, timeout: Duration) {
        self.base.timeout = timeout;
        for over in self.packs.values_mut().chain(self.checks.values_mut()) {
            over.timeout = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_table_wins_field_by_field() {
        let mut policy = LimitPolicy::from(Limits::default());
        policy.base.max_findings = 50;
        policy.packs.insert(
            "core".into(),
            LimitOverride { memory_bytes: Some(32 << 20), timeout: Some(Duration::from_secs(3)), ..Default::default() },
        );
        policy.checks.insert("acks".into(), LimitOverride { memory_bytes: Some(8 << 20), ..Default::default() });

        let loose = policy.for_check(None, "acks");
        assert_eq!((loose.memory_bytes, loose.timeout, loose.max_findings), (8 << 20, Duration::from_secs(10), 50));
        let packed = policy.for_check(Some("core"), "acks");
        assert_eq!((packed.memory_bytes, packed.timeout, packed.max_findings), (8 << 20, Duration::from_secs(3), 50));
        let other = policy.for_check(Some("core"), "sla");
        assert_eq!(other.memory_bytes, 32 << 20);
        assert_eq!(policy.for_plugin(Some("elsewhere")), policy.base);
    }

    #[test]
    fn fuel_is_off_unless_some_table_sets_it() {
        let mut policy = LimitPolicy::default();
        assert!(!policy.uses_fuel());
        policy.checks.insert("x".into(), LimitOverride { fuel: Some(5), ..Default::default() });
        assert!(policy.uses_fuel());
        assert_eq!(policy.for_check(None, "x").fuel, Some(5));
        assert_eq!(policy.for_check(None, "y").fuel, None);
    }

    #[test]
    fn a_forced_timeout_beats_every_table() {
        let mut policy = LimitPolicy::default();
        policy
            .checks
            .insert("x".into(), LimitOverride { timeout: Some(Duration::from_secs(99)), ..Default::default() });
        policy.force_timeout(Duration::from_secs(2));
        assert_eq!(policy.for_check(None, "x").timeout, Duration::from_secs(2));
    }
}
