//! Check logic: the eight checks as Wasm components vs the same code compiled natively, and the
//! `acks`/`dead-letters` rules in Rego (regorus) vs the components, on the same estate.

use std::time::Duration;

use anyhow::Context;

use super::{Env, Results, size_label};
use crate::measure::{fmt_duration, median_of};
use crate::native;
use crate::rego::{POLICIES, RegoPeer};
use crate::wasm::{self, WasmRunner};

const WASM_TARGET: f64 = 1.5;
const REGO_TARGET: f64 = 20.0;

fn runs(resources: usize) -> usize {
    if resources <= 10_000 { 7 } else { 3 }
}

/// Wasm vs native, per check and in total, at each size.
pub fn wasm_vs_native(env: &Env, sizes: &[usize], results: &mut Results) -> anyhow::Result<()> {
    let runner = WasmRunner::new(&env.cache)?;
    let mut table =
        String::from("| estate | check | findings | native | Wasm | Wasm / native |\n|---|---|---:|---:|---:|---:|\n");
    for &n in sizes {
        let path = env.estate(n)?;
        let json = std::fs::read(&path)?;
        let snapshot = plumbline::snapshot::parse(&json, &path)?.snapshot;
        let fixture = native::fixture(&json).context("the SDK fixture reads the snapshot")?;
        drop(json);
        let (mut native_total, mut wasm_total) = (Duration::ZERO, Duration::ZERO);
        for check in native::checks() {
            // Same findings first: a speed-up that changes the answer is no speed-up.
            let native_keys = native::keys(&check.time(&fixture).0);
            let wasm_keys = match runner.time(&snapshot, check.id) {
                Ok((outcome, _)) => wasm::keys(&outcome),
                Err(err) => {
                    // A check that hits its limits at this size is a result too, not a crash.
                    results.notes.push(format!("Wasm vs native at {}: {err:#}", size_label(n)));
                    table.push_str(&format!("| {} | {} | | | error (see notes) | |\n", size_label(n), check.id));
                    continue;
                }
            };
            anyhow::ensure!(
                native_keys == wasm_keys,
                "{}: native and Wasm findings differ at {} resources ({} vs {})",
                check.id,
                n,
                native_keys.len(),
                wasm_keys.len()
            );
            let (_, native_time) = median_of(runs(n), || Ok(check.time(&fixture)))?;
            let (_, wasm_time) = median_of(runs(n), || runner.time(&snapshot, check.id))?;
            native_total += native_time;
            wasm_total += wasm_time;
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.2}× |\n",
                size_label(n),
                check.id,
                native_keys.len(),
                fmt_duration(native_time),
                fmt_duration(wasm_time),
                ratio(wasm_time, native_time)
            ));
        }
        let total = ratio(wasm_total, native_total);
        table.push_str(&format!(
            "| {} | **all eight** | | **{}** | **{}** | **{total:.2}×** |\n",
            size_label(n),
            fmt_duration(native_total),
            fmt_duration(wasm_total)
        ));
        results.row(
            format!("Wasm vs native, eight checks, {} resources", size_label(n)),
            format!("{total:.2}× ({} vs {})", fmt_duration(wasm_total), fmt_duration(native_total)),
            "≤ 1.5×",
            Some(total <= WASM_TARGET),
        );
    }
    results.details.push(("Wasm vs native (per check)".into(), table));
    Ok(())
}

/// Rego peer: identical findings asserted, then regorus evaluation vs the components.
pub fn rego_peer(env: &Env, sizes: &[usize], results: &mut Results) -> anyhow::Result<()> {
    let runner = WasmRunner::new(&env.cache)?;
    let mut table = String::from(
        "| estate | check | findings (identical) | Rego input load | Rego eval | plumbline (Wasm) | Rego / plumbline |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for &n in sizes {
        let path = env.estate(n)?;
        let json = std::fs::read_to_string(&path)?;
        let snapshot = plumbline::snapshot::parse(json.as_bytes(), &path)?.snapshot;
        let started = std::time::Instant::now();
        let mut peer = RegoPeer::new(&json)?;
        let load = started.elapsed();
        drop(json);
        let (mut rego_total, mut wasm_total) = (Duration::ZERO, Duration::ZERO);
        for (id, _, _) in POLICIES {
            let (outcome, _) = runner.time(&snapshot, id)?;
            let expected = wasm::keys(&outcome);
            let (found, first) = peer.eval(id)?;
            anyhow::ensure!(
                found == expected,
                "{id}: Rego and plumbline findings differ at {n} resources ({} vs {}); first difference: {:?}",
                found.len(),
                expected.len(),
                found.iter().zip(&expected).find(|(a, b)| a != b).or(None)
            );
            // The Rego side is slow at scale: the first evaluation counts as one run.
            let mut rego_times = vec![first];
            for _ in 1..if n <= 3_000 { 3 } else { 1 } {
                rego_times.push(peer.eval(id)?.1);
            }
            let rego_time = crate::measure::median(&mut rego_times);
            let (_, wasm_time) = median_of(runs(n), || runner.time(&snapshot, id))?;
            rego_total += rego_time;
            wasm_total += wasm_time;
            table.push_str(&format!(
                "| {} | {id} | {} | {} | {} | {} | {:.0}× |\n",
                size_label(n),
                found.len(),
                fmt_duration(load),
                fmt_duration(rego_time),
                fmt_duration(wasm_time),
                ratio(rego_time, wasm_time)
            ));
        }
        let total = ratio(rego_total, wasm_total);
        results.row(
            format!("Rego peer (acks + dead-letters), {} resources", size_label(n)),
            format!("plumbline {total:.0}× faster ({} vs {})", fmt_duration(wasm_total), fmt_duration(rego_total)),
            "≥ 20×",
            Some(total >= REGO_TARGET),
        );
    }
    results.details.push(("Rego peer (identical findings asserted first)".into(), table));
    Ok(())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
