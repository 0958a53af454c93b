//! Secret redaction: the last gate before estate data reaches a check, a report, a cache or a
//! log. Collectors redact at the source; this pass runs again on every loaded snapshot so a
//! hand-written or foreign file cannot smuggle a secret through.
//!
//! A secret value is replaced by [`REDACTED`]. Config entries also record what was removed
//! (`secret.kind`) and whether it was written in clear (`secret.plaintext`), so checks can still
//! say "a plaintext password sits in application.yml:12" without ever seeing it.

use crate::contract::estate::{ConfigEntry, Redaction};

use super::Snapshot;

/// The text that replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Key fragments that mark a value as secret (matched case-insensitively on the whole key).
const SECRET_KEY_MARKERS: [(&str, &str); 12] = [
    ("jaas", "jaas"),
    ("password", "password"),
    ("passwd", "password"),
    ("pwd", "password"),
    ("secret", "token"),
    ("token", "token"),
    ("api-key", "token"),
    ("api_key", "token"),
    ("apikey", "token"),
    ("credentials", "other"),
    ("private-key", "private-key"),
    ("private_key", "private-key"),
];

/// Redacts every secret in `snapshot` in place.
pub fn redact(snapshot: &mut Snapshot) {
    for file in snapshot.config_files.iter_mut().flatten() {
        for entry in &mut file.entries {
            redact_entry(entry);
        }
    }
    for cluster in snapshot.kafka.iter_mut().flatten() {
        for broker in &mut cluster.brokers {
            redact_pairs(&mut broker.configs);
        }
        for topic in &mut cluster.topics {
            redact_pairs(&mut topic.configs);
        }
    }
    for broker in snapshot.rabbitmq.iter_mut().flatten() {
        for queue in &mut broker.queues {
            redact_pairs(&mut queue.arguments);
        }
        for policy in &mut broker.policies {
            redact_pairs(&mut policy.definition);
        }
    }
    for broker in snapshot.rabbitmq.iter_mut().flatten() {
        for exchange in &mut broker.exchanges {
            redact_pairs(&mut exchange.arguments);
        }
    }
    for account in snapshot.sqs.iter_mut().flatten() {
        strip_in_place(&mut account.endpoint);
        for queue in &mut account.queues {
            strip_in_place(&mut queue.url);
            redact_pairs(&mut queue.attributes);
        }
    }
    for server in snapshot.prometheus.iter_mut().flatten() {
        for target in &mut server.targets {
            strip_in_place(&mut target.instance);
            if let Some(error) = &mut target.last_error {
                strip_in_place(error);
            }
        }
    }
    for integration in snapshot.registry.iter_mut().flatten() {
        if let Some(webhook) = &mut integration.webhook {
            strip_in_place(&mut webhook.url);
        }
        if let Some(registry) = integration.schema.as_mut().and_then(|s| s.registry.as_mut()) {
            strip_in_place(registry);
        }
    }
}

/// Removes URL credentials from `text` wherever they occur (it may be a URL or a sentence
/// containing one, such as an error message).
fn strip_in_place(text: &mut String) {
    if !text.contains("://") {
        return;
    }
    let cleaned: Vec<String> =
        text.split(' ').map(|word| strip_url_secrets(word).unwrap_or_else(|| word.to_string())).collect();
    *text = cleaned.join(" ");
}

fn redact_entry(entry: &mut ConfigEntry) {
    if entry.value == REDACTED {
        // Already redacted by a collector; make sure the marker says so.
        if entry.secret.is_none() {
            entry.secret = Some(Redaction { kind: "other".into(), plaintext: true });
        }
        return;
    }
    if let Some((value, redaction)) = classify(&entry.key, &entry.value) {
        entry.value = value;
        entry.secret = Some(redaction);
    } else if entry.secret.as_ref().is_some_and(|s| s.plaintext) {
        // A collector flagged it as a secret even though the key does not look like one.
        entry.value = REDACTED.into();
    }
}

fn redact_pairs(pairs: &mut [(String, String)]) {
    for (key, value) in pairs.iter_mut() {
        if let Some((clean, _)) = classify(key, value) {
            *value = clean;
        }
    }
}

impl ConfigEntry {
    /// A config entry as a collector read it, redacted on the way in: a secret value is replaced
    /// by [`REDACTED`] and described in `secret`; a reference such as `${DB_PASSWORD}` is kept
    /// and marked `plaintext: false`. (A constructor rather than a re-export because this module
    /// is private to `snapshot`.) Only the config-files collector (`live`) calls it.
    #[cfg(feature = "live")]
    pub(crate) fn redacted(key: String, value: String, line: u32) -> ConfigEntry {
        match classify(&key, &value) {
            Some((value, redaction)) => ConfigEntry { key, value, line, secret: Some(redaction) },
            None => ConfigEntry { key, value, line, secret: None },
        }
    }
}

/// Decides whether `value` under `key` is a secret; returns the value to keep and what was
/// removed. References (`${DB_PASSWORD}`, `vault:...`) are kept: they are not secrets.
pub fn classify(key: &str, value: &str) -> Option<(String, Redaction)> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.contains("-----BEGIN") {
        return Some((REDACTED.into(), Redaction { kind: "private-key".into(), plaintext: true }));
    }
    if let Some(clean) = strip_url_secrets(trimmed) {
        return Some((clean, Redaction { kind: "url-credentials".into(), plaintext: true }));
    }
    let lowered = key.to_ascii_lowercase();
    let kind = SECRET_KEY_MARKERS.iter().find(|(marker, _)| lowered.contains(marker)).map(|(_, kind)| *kind)?;
    if is_reference(trimmed) {
        // `${DB_PASSWORD:changeme}`: the default after the colon is a secret written in clear.
        if let Some((var, default)) =
            trimmed.strip_prefix("${").and_then(|r| r.strip_suffix('}')).and_then(|r| r.split_once(':'))
            && !default.is_empty()
        {
            return Some((format!("${{{var}:{REDACTED}}}"), Redaction { kind: kind.into(), plaintext: true }));
        }
        return Some((value.to_string(), Redaction { kind: kind.into(), plaintext: false }));
    }
    let kind = if trimmed.contains("LoginModule") { "jaas" } else { kind };
    Some((REDACTED.into(), Redaction { kind: kind.into(), plaintext: true }))
}

/// A URL with both kinds of credentials removed: the password of `user:pass@` and password
/// query parameters; `None` when it carried neither.
pub fn strip_url_secrets(value: &str) -> Option<String> {
    match strip_url_credentials(value) {
        Some(clean) => Some(strip_query_password(&clean).unwrap_or(clean)),
        None => strip_query_password(value),
    }
}

/// `…?user=u&password=p` (JDBC and libpq URLs) → the password parameter's value redacted.
fn strip_query_password(value: &str) -> Option<String> {
    let (base, query) = value.split_once('?')?;
    let mut changed = false;
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, v))
                if matches!(name.to_ascii_lowercase().as_str(), "password" | "pwd" | "passwd" | "sslpassword")
                    && !v.is_empty()
                    && v != REDACTED =>
            {
                changed = true;
                format!("{name}={REDACTED}")
            }
            _ => param.to_string(),
        })
        .collect();
    changed.then(|| format!("{base}?{}", params.join("&")))
}

/// `${VAR}`, `$VAR`, `{{ .Values.x }}`, `vault:`, `secret:`, `arn:aws:secretsmanager:` …
fn is_reference(value: &str) -> bool {
    (value.starts_with("${") && value.ends_with('}'))
        || (value.len() > 1
            && value.starts_with('$')
            && value[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || (value.starts_with("{{") && value.ends_with("}}"))
        || ["vault:", "secret:", "secretref:", "arn:aws:secretsmanager:", "env:", "file:"]
            .iter()
            .any(|p| value.to_ascii_lowercase().starts_with(p))
}

/// `scheme://user:pass@host/...` → `scheme://user:<redacted>@host/...`; `None` when the URL
/// carries no password.
pub fn strip_url_credentials(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    if password.is_empty() || password == REDACTED {
        return None;
    }
    Some(format!("{scheme}://{user}:{REDACTED}@{host}{}", &rest[authority_end..]))
}
