//! The Rego peer: the rules of `acks` and `dead-letters` written in Rego (bench/rego/*.rego) and
//! evaluated in-process by regorus on the snapshot JSON. Its findings must equal the checks'
//! (rule and subject) before anything is timed.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::native::Key;

/// The checks that have a Rego twin, with their policy text and the rule holding their findings.
pub const POLICIES: [(&str, &str, &str); 2] = [
    ("acks", include_str!("../rego/acks.rego"), "data.plumbline.acks.findings"),
    ("dead-letters", include_str!("../rego/dead_letters.rego"), "data.plumbline.dead_letters.findings"),
];

/// A regorus engine with both policies loaded and a snapshot as input.
pub struct RegoPeer {
    engine: regorus::Engine,
}

#[derive(serde::Deserialize)]
struct RegoFinding {
    rule: String,
    source: String,
    kind: String,
    id: String,
}

impl RegoPeer {
    /// Loads the policies and the snapshot JSON as `input`.
    pub fn new(snapshot_json: &str) -> anyhow::Result<Self> {
        let mut engine = regorus::Engine::new();
        for (check, text, _) in POLICIES {
            engine.add_policy(format!("bench/rego/{check}.rego"), text.to_string()).with_context(|| check)?;
        }
        engine.set_input_json(snapshot_json).context("snapshot JSON as Rego input")?;
        Ok(RegoPeer { engine })
    }

    /// Evaluates one check's `findings` rule; returns the sorted keys and the evaluation time.
    pub fn eval(&mut self, check: &str) -> anyhow::Result<(Vec<Key>, Duration)> {
        let (_, _, rule) = POLICIES.iter().find(|(id, _, _)| *id == check).context("no Rego policy for check")?;
        let started = Instant::now();
        let value = self.engine.eval_rule(rule.to_string()).with_context(|| format!("evaluating {rule}"))?;
        let elapsed = started.elapsed();
        let found: Vec<RegoFinding> = match value {
            regorus::Value::Undefined => Vec::new(),
            value => serde_json::from_str(&value.to_json_str()?)
                .with_context(|| format!("{rule} is not a set of findings"))?,
        };
        let mut keys: Vec<Key> = found.into_iter().map(|f| (f.rule, f.source, f.kind, f.id)).collect();
        keys.sort();
        Ok((keys, elapsed))
    }
}
