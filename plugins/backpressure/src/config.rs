//! Config-file side of `backpressure/unbounded-concurrency`: keys that size a listener or worker
//! pool (`...max-concurrency`, `...concurrency`, `...max-threads`, ...; the endings are the
//! `concurrency-key-suffixes` parameter) set to an unbounded value or above `max-concurrency`.
//!
//! Values are read as a number, as a Spring range `min-max` (the upper bound counts), or as the
//! words `unbounded`/`unlimited`. Anything else (a placeholder such as `${WORKERS}`) cannot be
//! judged and is mentioned in a note.

use plumbline_sdk::prelude::*;

use crate::UNBOUNDED_CONCURRENCY;

/// How a concurrency value reads.
#[derive(Debug, PartialEq)]
enum Limit {
    /// 0, negative, `unbounded`, `unlimited`: no limit at all.
    Unbounded,
    Bounded(f64),
}

fn parse_limit(value: &str) -> Option<Limit> {
    let text = value.trim().to_ascii_lowercase();
    if matches!(text.as_str(), "unbounded" | "unlimited" | "infinite" | "inf") {
        return Some(Limit::Unbounded);
    }
    // Spring's `concurrency = "3-10"`: the upper bound is what can run at once.
    let upper = match text.split_once('-') {
        Some((lower, upper)) if !lower.is_empty() => upper,
        _ => text.as_str(),
    };
    let number: f64 = upper.trim().parse().ok()?;
    Some(if number <= 0.0 { Limit::Unbounded } else { Limit::Bounded(number) })
}

/// Lower-cases a key or suffix and treats `.`, `_` and `-` alike.
fn normalise(text: &str) -> String {
    text.to_ascii_lowercase().replace(['.', '_'], "-")
}

pub fn audit_concurrency(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    let max = audit.params().f64("max-concurrency");
    let suffixes: Vec<String> = audit.params().list("concurrency-key-suffixes").iter().map(|s| normalise(s)).collect();
    let mut unreadable = Vec::new();
    for file in files {
        for entry in &file.entries {
            let key = normalise(&entry.key);
            if !suffixes.iter().any(|s| key.ends_with(s.as_str())) {
                continue;
            }
            audit.evaluated(1);
            let problem = match parse_limit(&entry.value) {
                None => {
                    unreadable.push(format!("{}:{} `{}`", file.path, entry.line, entry.key));
                    continue;
                }
                Some(Limit::Bounded(n)) if n <= max => continue,
                Some(Limit::Bounded(n)) => {
                    format!("allows {} concurrent workers, above the limit of {}", crate::num(n), crate::num(max))
                }
                Some(Limit::Unbounded) => "leaves concurrency unbounded".to_string(),
            };
            let mut evidence = entry.evidence(file);
            evidence.push(("max_concurrency".into(), crate::num(max)));
            audit.finding(
                UNBOUNDED_CONCURRENCY,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} sets `{}: {}`, which {problem}: `{}` can fan a spike out to its downstreams unchecked.",
                    file.path,
                    entry.line,
                    entry.key,
                    entry.value,
                    file.owner()
                ),
                evidence,
            );
        }
    }
    if !unreadable.is_empty() {
        audit.note(format!(
            "unbounded-concurrency: could not read a number from {} (placeholder or expression); not judged.",
            unreadable.join(", ")
        ));
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_numbers_ranges_and_words() {
        assert_eq!(parse_limit("10"), Some(Limit::Bounded(10.0)));
        assert_eq!(parse_limit(" 3-10 "), Some(Limit::Bounded(10.0)));
        assert_eq!(parse_limit("0"), Some(Limit::Unbounded));
        assert_eq!(parse_limit("-1"), Some(Limit::Unbounded));
        assert_eq!(parse_limit("Unlimited"), Some(Limit::Unbounded));
        assert_eq!(parse_limit("${WORKERS}"), None);
    }

    #[test]
    fn separators_are_alike() {
        assert!(normalise("WORKER_MAX_THREADS").ends_with(&normalise("max-threads")));
        assert!(normalise("spring.rabbitmq.listener.simple.maxConcurrency").ends_with("maxconcurrency"));
    }
}
