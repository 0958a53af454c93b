//! plumbline.toml from anywhere: parsing and validation never panic, and whatever validates turns
//! into limits inside the ranges the runtime relies on.
#![no_main]

use std::path::Path;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use plumbline::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = Config::parse(text, Path::new("plumbline.toml")) else { return };
    let policy = config.limit_policy();
    let packs: Vec<Option<&str>> =
        std::iter::once(None).chain(config.limits.packs.keys().map(|k| Some(k.as_str()))).collect();
    let ids: Vec<&str> = std::iter::once("acks").chain(config.limits.checks.keys().map(String::as_str)).collect();
    for pack in &packs {
        for id in &ids {
            let limits = policy.for_check(*pack, id);
            assert!(limits.timeout > Duration::ZERO && limits.timeout <= Duration::from_secs(3600));
            assert!((1 << 20..=16_384 << 20).contains(&limits.memory_bytes), "{limits:?}");
            assert!(limits.output_bytes >= 1 << 10 && limits.result_bytes >= 1 << 20, "{limits:?}");
            assert!(limits.max_findings >= 1 && limits.max_notes >= 1 && limits.max_string_bytes >= 1 << 10);
            assert!(limits.fuel != Some(0));
        }
    }
    for id in config.checks.keys() {
        let _ = config.overrides(id);
    }
    let _ = config.check_ids(&["acks".to_string()]);
});
