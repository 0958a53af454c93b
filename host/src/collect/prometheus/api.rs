//! The HTTP side of the Prometheus collector: `GET` for the status, rules, metadata and targets
//! endpoints, `POST` (form-encoded, as Prometheus accepts for long queries; still read-only) for
//! `/api/v1/query` and `/api/v1/query_range`. Credentials go in the `Authorization` header, never
//! in the URL; redirects are not followed. Answers are unwrapped from Prometheus' envelope
//! (`{"status": "success", "data": ...}`); an `error` envelope becomes its `errorType: error` text.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, StatusCode, Url};
use serde_json::Value;

use crate::collect::display_url;
use crate::collect::secrets::{describe_http_error as describe, scrub};

/// Time to open a TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest server-supplied text kept in a message.
const MAX_REASON: usize = 300;

/// How requests authenticate.
pub(super) enum Auth {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

/// Why one request failed. Texts are already scrubbed of secrets and carry no URL.
#[derive(Debug)]
pub(super) enum Failure {
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    Unreachable(String),
    /// HTTP 401 or 403: the credentials were refused.
    Unauthorized(String),
    /// Any other failure: an error status, an `error` envelope, a body that is not the JSON expected.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(text) | Failure::Unauthorized(text) | Failure::Other(text) => f.write_str(text),
        }
    }
}

/// One Prometheus server's HTTP API.
pub(super) struct Api {
    client: Client,
    /// `scheme://host:port[/prefix]` without credentials and without a trailing `/`.
    base: String,
    auth: Auth,
    /// Sent as the queries' `timeout` so the server gives up when the collector does.
    timeout: Duration,
}

impl Api {
    /// Checks the URL (http or https, no credentials in it) and builds the client.
    pub fn new(url: &str, auth: Auth, timeout: Duration) -> Result<Api, String> {
        let mut parsed =
            Url::parse(url.trim()).map_err(|err| format!("url `{}` is not a URL: {err}", display_url(url)))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("url `{}` must be an http:// or https:// URL with a host", display_url(url)));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!(
                "url `{}` carries credentials; set `username`/`password` or `bearer-token` instead",
                display_url(url)
            ));
        }
        parsed.set_query(None);
        parsed.set_fragment(None);
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let client = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("plumbline/", env!("CARGO_PKG_VERSION"), " (read-only audit)"))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Api { client, base, auth, timeout })
    }

    /// The base URL, for messages.
    pub fn target(&self) -> &str {
        &self.base
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.auth {
            Auth::None => Vec::new(),
            Auth::Basic { password, .. } => vec![password.as_str()],
            Auth::Bearer(token) => vec![token.as_str()],
        }
    }

    /// `GET {base}{path}`, unwrapped to its `data`.
    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        tracing::debug!(path, "GET");
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    /// An instant query evaluated at `time` (Unix seconds).
    pub async fn query(&self, query: &str, time: i64) -> Result<Value, Failure> {
        let form = [("query", query.to_string()), ("time", time.to_string()), ("timeout", self.query_timeout())];
        tracing::debug!(query, time, "POST /api/v1/query");
        self.send(self.client.post(format!("{}/api/v1/query", self.base)).form(&form)).await
    }

    /// A range query from `start` to `end` (Unix seconds) every `step` seconds.
    pub async fn query_range(&self, query: &str, start: i64, end: i64, step: u64) -> Result<Value, Failure> {
        let form = [
            ("query", query.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
            ("timeout", self.query_timeout()),
        ];
        tracing::debug!(query, start, end, step, "POST /api/v1/query_range");
        self.send(self.client.post(format!("{}/api/v1/query_range", self.base)).form(&form)).await
    }

    fn query_timeout(&self) -> String {
        format!("{}s", self.timeout.as_secs().max(1))
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, Failure> {
        let request = match &self.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        let secrets = self.secrets();
        let response = request
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| Failure::Unreachable(describe(err, &secrets)))?;
        let status = response.status();
        let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
        let redirect = location.filter(|_| status.is_redirection()).map(|l| format!(" to {}", display_url(l)));
        let body = response.text().await.map_err(|err| {
            let text = format!("reading the answer: {}", describe(err, &secrets));
            // A body cut off by the request timeout is the server not answering in time.
            if text.contains("timed out") { Failure::Unreachable(text) } else { Failure::Other(text) }
        })?;
        let envelope = serde_json::from_str::<Value>(&body).ok();
        if let Some(envelope) = &envelope
            && envelope.get("status").and_then(Value::as_str) == Some("error")
        {
            let kind = envelope.get("errorType").and_then(Value::as_str).unwrap_or("error");
            let error = envelope.get("error").and_then(Value::as_str).unwrap_or("(no message)");
            let text = scrub(&format!("{kind}: {}", shorten(error)), &secrets);
            return Err(if status.is_success() { Failure::Other(text) } else { failure(status, text) });
        }
        if !status.is_success() {
            let mut text = format!("HTTP {status}");
            let first_line = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
            if !first_line.is_empty() && !first_line.starts_with('<') {
                text.push_str(&format!(" ({})", shorten(first_line)));
            }
            if let Some(redirect) = redirect {
                // Redirects are not followed (they would carry the credentials elsewhere).
                text.push_str(&redirect);
            }
            return Err(failure(status, scrub(&text, &secrets)));
        }
        match envelope {
            Some(mut envelope) if envelope.get("status").and_then(Value::as_str) == Some("success") => {
                if let Some(warnings) = envelope.get("warnings").and_then(Value::as_array).filter(|w| !w.is_empty()) {
                    let warnings = scrub(&Value::Array(warnings.clone()).to_string(), &secrets);
                    tracing::warn!("Prometheus warns: {warnings}");
                }
                Ok(envelope.get_mut("data").map(Value::take).unwrap_or(Value::Null))
            }
            Some(_) => Err(Failure::Other("the answer is not a Prometheus API envelope".into())),
            None => Err(Failure::Other("the answer is not JSON (is the URL a Prometheus server?)".into())),
        }
    }
}

/// The failure for an error status: 401/403 refuse the credentials.
fn failure(status: StatusCode, text: String) -> Failure {
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Failure::Unauthorized(text)
    } else {
        Failure::Other(text)
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_REASON).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_never_shown_with_credentials() {
        let timeout = Duration::from_secs(5);
        let api = Api::new("http://127.0.0.1:19090/prom/?x=1", Auth::None, timeout).unwrap();
        assert_eq!(api.target(), "http://127.0.0.1:19090/prom");
        let Err(err) = Api::new("http://u:hunter2@127.0.0.1:19090", Auth::None, timeout) else { panic!() };
        assert!(err.contains("carries credentials") && !err.contains("hunter2"), "{err}");
        assert!(Api::new("ftp://127.0.0.1", Auth::None, timeout).is_err());
        assert!(Api::new("127.0.0.1:19090", Auth::None, timeout).is_err());
    }

    #[test]
    fn forbidden_and_unauthorized_refuse_credentials() {
        assert!(matches!(failure(StatusCode::FORBIDDEN, String::new()), Failure::Unauthorized(_)));
        assert!(matches!(failure(StatusCode::UNAUTHORIZED, String::new()), Failure::Unauthorized(_)));
        assert!(matches!(failure(StatusCode::BAD_REQUEST, String::new()), Failure::Other(_)));
        assert_eq!(shorten(&"x".repeat(400)).chars().count(), MAX_REASON + 1);
    }
}
