//! Small conveniences on the contract's records that most checks need: config lookups, label
//! and sample access on Prometheus series, registry resource matching, name patterns. Pure
//! functions over the data; nothing here talks to the host.

use crate::estate::*;

/// Value of `key` in a key/value list (`arguments`, `configs`, `definition`, `labels`).
pub fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Case-insensitive glob match where `*` stands for any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// True when `text` matches any of `patterns` (see [`glob`]).
pub fn glob_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob(p, text))
}

/// Up to `max` of `items` joined with `, `, then `and N more`: names for a message or evidence
/// that stay readable (and under the host's string limits) when an estate has thousands.
pub fn sample<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    match items.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Default name patterns of dead-letter queues and topics.
pub const DEAD_LETTER_PATTERNS: [&str; 8] =
    ["*.dlq", "*-dlq", "*_dlq", "*.dlt", "*-dlt", "*dead-letter*", "*deadletter*", "*.dead"];

/// True when `name` looks like a dead-letter queue or topic by convention.
pub fn looks_like_dead_letter(name: &str) -> bool {
    DEAD_LETTER_PATTERNS.iter().any(|p| glob(p, name))
}

/// `YYYY-MM-DD` (UTC) of a Unix time, for messages (Howard Hinnant's civil-from-days).
pub fn utc_date(unix: i64) -> String {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

impl ConfigFile {
    /// The entry for exactly `key`.
    pub fn get(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The first of `keys` that is present.
    pub fn get_any(&self, keys: &[&str]) -> Option<&ConfigEntry> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// True when some key starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.entries.iter().any(|e| e.key.starts_with(prefix))
    }

    /// The service name, or the path when unknown.
    pub fn owner(&self) -> &str {
        self.service.as_deref().unwrap_or(&self.path)
    }
}

impl ConfigEntry {
    /// The value as a boolean (`true`/`false`, any case), if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        self.value.trim().parse().ok()
    }

    /// Evidence pairs naming where the entry is: file, line, key and value.
    pub fn evidence(&self, file: &ConfigFile) -> Vec<(String, String)> {
        vec![
            ("file".into(), file.path.clone()),
            ("line".into(), self.line.to_string()),
            ("key".into(), self.key.clone()),
            ("value".into(), self.value.clone()),
        ]
    }
}

impl Series {
    pub fn label(&self, key: &str) -> Option<&str> {
        pair(&self.labels, key)
    }

    /// The newest sample's value.
    pub fn last(&self) -> Option<f64> {
        self.samples.last().map(|s| s.value)
    }

    pub fn first(&self) -> Option<f64> {
        self.samples.first().map(|s| s.value)
    }

    pub fn max(&self) -> Option<f64> {
        self.samples.iter().map(|s| s.value).reduce(f64::max)
    }

    pub fn min(&self) -> Option<f64> {
        self.samples.iter().map(|s| s.value).reduce(f64::min)
    }

    /// Seconds between the oldest and the newest sample.
    pub fn span_seconds(&self) -> i64 {
        match (self.samples.first(), self.samples.last()) {
            (Some(a), Some(b)) => b.at - a.at,
            _ => 0,
        }
    }

    /// `key=value` pairs joined with commas, for messages and ids.
    pub fn label_text(&self) -> String {
        self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }
}

impl PrometheusServer {
    /// The configured query called `name`, if it was collected.
    pub fn signal(&self, name: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.name == name)
    }
}

/// Every series of signal `name` across servers, with the server it came from.
pub fn series<'a>(
    servers: &'a [PrometheusServer],
    name: &'a str,
) -> impl Iterator<Item = (&'a PrometheusServer, &'a Series)> {
    servers.iter().flat_map(move |server| {
        server.signal(name).into_iter().flat_map(move |s| s.series.iter().map(move |x| (server, x)))
    })
}

impl Integration {
    /// True when the integration lists resource `kind:name` (e.g. `queue`, `/orders/payments.in`).
    pub fn uses(&self, kind: &str, name: &str) -> bool {
        self.resources.iter().any(|r| r.split_once(':').is_some_and(|(k, n)| k == kind && n == name))
    }

    /// Names of the resources of `kind` it lists.
    pub fn resources_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.resources.iter().filter_map(move |r| r.split_once(':').filter(|(k, _)| *k == kind).map(|(_, n)| n))
    }

    pub fn is_active(&self) -> bool {
        self.lifecycle != "deprecated"
    }

    /// Declares at-least-once (or exactly-once) delivery.
    pub fn at_least_once(&self) -> bool {
        matches!(self.delivery.as_deref(), Some("at-least-once" | "exactly-once"))
    }
}

impl RabbitmqQueue {
    /// `vhost/name` with a single slash, e.g. `/orders/payments.in`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.vhost.trim_end_matches('/'), self.name)
    }

    /// An `x-` argument, or the same setting from the effective policy (`x-dead-letter-exchange`
    /// ↔ `dead-letter-exchange`).
    pub fn setting(&self, argument: &str) -> Option<&str> {
        pair(&self.arguments, argument).or_else(|| pair(&self.effective_policy, argument.trim_start_matches("x-")))
    }

    pub fn depth(&self) -> u64 {
        self.messages_ready + self.messages_unacknowledged
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sample_names_the_first_items_and_counts_the_rest() {
        use super::sample;
        assert_eq!(sample(&["a", "b"], 3), "a, b");
        assert_eq!(sample(&["a", "b", "c"], 3), "a, b, c");
        assert_eq!(sample(&["a", "b", "c", "d", "e"], 3), "a, b, c and 2 more");
        assert_eq!(sample::<&str>(&[], 3), "");
    }

    use super::*;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("*.dlq", "orders.DLQ"));
        assert!(glob("orders.*", "orders.created"));
        assert!(glob("*dead-letter*", "x.dead-letter.y"));
        assert!(!glob("*.dlq", "orders.dlq.archive"));
        assert!(glob("exact", "EXACT"));
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_798_192_000), "2026-12-25");
    }

    #[test]
    fn dead_letter_names() {
        for name in ["orders.dlq", "payments.DLT", "invoices-dlq", "x.dead"] {
            assert!(looks_like_dead_letter(name), "{name}");
        }
        assert!(!looks_like_dead_letter("orders.created"));
    }
}
