//! The eight checks compiled natively into this binary (the plugin crates are rlibs), run against
//! an estate held by `plumbline_sdk::testing::Fixture` — the SDK's native stand-in for the host,
//! which serves (clones) a section per read just as the host does before lowering it into Wasm.

use std::time::{Duration, Instant};

use plumbline_sdk::testing::Fixture;
use plumbline_sdk::{Check, Verdict};

/// A finding reduced to what identifies it: rule and subject (source, kind, id).
pub type Key = (String, String, String, String);

/// One native check: its id and a function that runs it on a fixture.
pub struct NativeCheck {
    pub id: &'static str,
    run: fn(&Fixture) -> Verdict,
}

fn run<C: Check>(fixture: &Fixture) -> Verdict {
    // `run_check` directly (not `testing::run`, which clones the whole fixture first): the
    // fixture already serves only what is asked, section by section.
    plumbline_sdk::run_check::<C>(fixture, Vec::new())
}

/// The bundled checks, in the order of the audit's questions (as `plumbline checks list`).
pub fn checks() -> Vec<NativeCheck> {
    vec![
        NativeCheck { id: "acks", run: run::<plumbline_check_acks::Acks> },
        NativeCheck { id: "backpressure", run: run::<plumbline_check_backpressure::Backpressure> },
        NativeCheck { id: "schema-drift", run: run::<plumbline_check_schema_drift::SchemaDrift> },
        NativeCheck { id: "dead-letters", run: run::<plumbline_check_dead_letters::DeadLetters> },
        NativeCheck { id: "blind-spots", run: run::<plumbline_check_blind_spots::BlindSpots> },
        NativeCheck { id: "sla", run: run::<plumbline_check_sla::Sla> },
        NativeCheck { id: "idempotency", run: run::<plumbline_check_idempotency::Idempotency> },
        NativeCheck { id: "security", run: run::<plumbline_check_security::Security> },
    ]
}

impl NativeCheck {
    /// Runs the check once; returns its verdict and wall time.
    pub fn time(&self, fixture: &Fixture) -> (Verdict, Duration) {
        let started = Instant::now();
        let verdict = (self.run)(fixture);
        (verdict, started.elapsed())
    }
}

/// Parses snapshot JSON into the SDK's fixture.
pub fn fixture(json: &[u8]) -> anyhow::Result<Fixture> {
    Ok(serde_json::from_slice(json)?)
}

/// The sorted keys of a native verdict's findings.
pub fn keys(verdict: &Verdict) -> Vec<Key> {
    sorted_keys(&verdict.findings, |f| (&f.rule, &f.subject.source, &f.subject.kind, &f.subject.id))
}

/// The sorted (rule, source, kind, id) keys of `findings` (native or Wasm: their finding types
/// differ, `parts` reads the four fields).
pub fn sorted_keys<F>(findings: &[F], parts: impl Fn(&F) -> (&String, &String, &String, &String)) -> Vec<Key> {
    let mut keys: Vec<Key> = findings
        .iter()
        .map(|f| {
            let (rule, source, kind, id) = parts(f);
            (rule.clone(), source.clone(), kind.clone(), id.clone())
        })
        .collect();
    keys.sort();
    keys
}
