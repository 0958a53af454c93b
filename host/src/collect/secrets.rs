//! Keeping credentials out of collector error texts: every message a collector builds from a
//! server's or a client library's words passes through [`scrub`] before it reaches a snapshot,
//! a report or a log, and HTTP client errors are described without their URL.

use crate::snapshot::REDACTED;

/// `text` with every non-empty secret replaced by the redaction marker.
pub fn scrub<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |text, secret| text.replace(secret, REDACTED))
}

/// A reqwest error as text: without its URL, with its causes, scrubbed.
pub fn describe_http_error<S: AsRef<str>>(err: reqwest::Error, secrets: &[S]) -> String {
    let timeout = err.is_timeout();
    let err = err.without_url();
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if timeout && !parts.iter().any(|p| p.contains("timed out")) {
        parts.push("timed out".into());
    }
    scrub(&parts.join(": "), secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_replaced_and_empty_ones_are_ignored() {
        let text = scrub("user alice:hunter2 said hunter2 twice", &["hunter2", ""]);
        assert_eq!(text, format!("user alice:{REDACTED} said {REDACTED} twice"));
        assert_eq!(scrub("nothing", &[String::new()]), "nothing");
    }
}
