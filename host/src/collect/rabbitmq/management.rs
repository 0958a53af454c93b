//! The management HTTP API side of the RabbitMQ collector: `GET` requests only, with the
//! credentials sent as HTTP basic auth (never in the URL), JSON read leniently (a field missing or
//! of an unexpected type takes a neutral value rather than failing the whole endpoint).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Client, StatusCode, Url};
use serde_json::{Map, Value};

use crate::collect::display_url;
use crate::collect::secrets::{describe_http_error as describe, scrub};
use crate::contract::estate::{
    Certificate, Listener, RabbitmqBinding, RabbitmqConsumer, RabbitmqExchange, RabbitmqNode, RabbitmqPermission,
    RabbitmqPolicy, RabbitmqQueue, RabbitmqUser,
};

/// Time to open a TCP (and TLS) connection to the management listener.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for one request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest server-supplied text kept in a message.
const MAX_REASON: usize = 200;

/// Why one request failed. Texts are already scrubbed of the password and carry no URL.
#[derive(Debug)]
pub(super) enum Failure {
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    Unreachable(String),
    /// HTTP 401: the credentials were refused.
    Unauthorized(String),
    /// Any other non-success status, or a body that is not the JSON expected.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(text) | Failure::Unauthorized(text) | Failure::Other(text) => f.write_str(text),
        }
    }
}

/// A management API endpoint with its credentials.
pub(super) struct Api {
    client: Client,
    /// `scheme://host:port[/prefix]` without credentials and without a trailing `/`.
    base: String,
    username: String,
    password: String,
}

/// What `/api/overview` said, plus the certificate the management listener presented (https).
pub(super) struct Overview {
    pub cluster_name: Option<String>,
    pub version: Option<String>,
    pub listeners: Vec<Listener>,
    /// The management endpoint as the collector reached it, when it is TLS and its certificate
    /// could be read: `(host, port, certificate)`.
    pub endpoint_certificate: Option<(String, u16, Certificate)>,
}

impl Api {
    /// Checks the URL (http or https) and builds the client. Credentials written into the URL are
    /// dropped: the configured `username`/`password` are what is sent.
    pub fn new(management_url: &str, username: &str, password: &str) -> Result<Api, String> {
        let mut url = Url::parse(management_url.trim())
            .map_err(|err| format!("management-url `{}` is not a URL: {err}", display_url(management_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "management-url `{}` must be an http:// or https:// URL with a host",
                display_url(management_url)
            ));
        }
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        let base = url.as_str().trim_end_matches('/').to_string();
        let client = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .tls_info(true)
            .user_agent(concat!("plumbline/", env!("CARGO_PKG_VERSION"), " (read-only audit)"))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {}", describe(err, &[password])))?;
        Ok(Api { client, base, username: username.to_string(), password: password.to_string() })
    }

    /// The management URL without credentials, for messages.
    pub fn target(&self) -> &str {
        &self.base
    }

    /// `GET {base}{path}` as JSON, plus the DER certificate the server presented (https only).
    async fn get_with_certificate(&self, path: &str) -> Result<(Value, Option<Vec<u8>>), Failure> {
        let url = format!("{}{path}", self.base);
        tracing::debug!(path, "GET");
        let response = self
            .client
            .get(&url)
            .basic_auth(&self.username, Some(&self.password))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| Failure::Unreachable(describe(err, &[&self.password])))?;
        let status = response.status();
        let certificate = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .map(<[u8]>::to_vec);
        if !status.is_success() {
            let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
            let redirect = location.map(|l| format!(" to {}", display_url(l)));
            let body = response.text().await.unwrap_or_default();
            let mut text = status_text(status, &body, &self.password);
            if let Some(redirect) = redirect.filter(|_| status.is_redirection()) {
                // Redirects are not followed (they would carry the credentials elsewhere).
                text.push_str(&scrub(&redirect, &[&self.password]));
            }
            return Err(if status == StatusCode::UNAUTHORIZED {
                Failure::Unauthorized(text)
            } else {
                Failure::Other(text)
            });
        }
        let value = response
            .json::<Value>()
            .await
            .map_err(|err| Failure::Other(format!("unreadable response: {}", describe(err, &[&self.password]))))?;
        Ok((value, certificate))
    }

    async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.get_with_certificate(path).await.map(|(value, _)| value)
    }

    /// A list endpoint read whole: the answer must be a JSON array.
    async fn list(&self, path: &str) -> Result<Vec<Value>, Failure> {
        match self.get(path).await? {
            Value::Array(items) => Ok(items),
            other => Err(Failure::Other(format!("expected a JSON list, got {}", kind(&other)))),
        }
    }

    /// A list endpoint read page by page (`?page=N&page_size=M&pagination=true`) until the last
    /// page the server announces.
    async fn paged(&self, path: &str, page_size: u32) -> Result<Vec<Value>, Failure> {
        let mut items = Vec::new();
        let mut page: u64 = 1;
        loop {
            let value = self.get(&format!("{path}?page={page}&page_size={page_size}&pagination=true")).await?;
            let Value::Object(mut object) = value else {
                return Err(Failure::Other(format!("expected a page object, got {}", kind(&value))));
            };
            let page_count = object.get("page_count").and_then(Value::as_u64).unwrap_or(0);
            let batch = match object.remove("items") {
                Some(Value::Array(batch)) => batch,
                _ => return Err(Failure::Other("page without `items`".into())),
            };
            let empty = batch.is_empty();
            items.extend(batch);
            tracing::trace!(path, page, page_count, "page read");
            if empty || page >= page_count {
                break;
            }
            page += 1;
        }
        Ok(items)
    }

    pub async fn overview(&self) -> Result<Overview, Failure> {
        let (value, der) = self.get_with_certificate("/api/overview").await?;
        let version = text(&value, "rabbitmq_version").or_else(|| text(&value, "product_version"));
        let listeners = array(&value, "listeners").iter().filter_map(listener).collect();
        let endpoint_certificate = der.and_then(|der| {
            let url = Url::parse(&self.base).ok()?;
            let host = url.host_str()?.to_string();
            let port = url.port_or_known_default()?;
            let certificate = super::amqp::parse_certificate(&der);
            if certificate.is_none() {
                tracing::warn!("the management listener's certificate could not be parsed");
            }
            Some((host, port, certificate?))
        });
        Ok(Overview { cluster_name: text(&value, "cluster_name"), version, listeners, endpoint_certificate })
    }

    /// Nodes with their memory and disk figures; a node without them (not running, or its
    /// statistics not in yet) is left out and named in the returned problems.
    pub async fn nodes(&self) -> Result<(Vec<RabbitmqNode>, Vec<String>), Failure> {
        let mut nodes = Vec::new();
        let mut problems = Vec::new();
        for item in self.list("/api/nodes").await? {
            let name = text(&item, "name").unwrap_or_default();
            if item.get("running").and_then(Value::as_bool) == Some(false) {
                problems.push(format!("node {name} is not running"));
                continue;
            }
            let figures = (number(&item, "mem_used"), number(&item, "mem_limit"), number(&item, "disk_free"));
            let (Some(memory_used_bytes), Some(memory_limit_bytes), Some(disk_free_bytes)) = figures else {
                problems.push(format!("node {name}: no memory/disk statistics yet"));
                continue;
            };
            nodes.push(RabbitmqNode {
                name,
                memory_used_bytes,
                memory_limit_bytes,
                disk_free_bytes,
                disk_free_limit_bytes: number(&item, "disk_free_limit").unwrap_or(0),
                // The management API does not report the disk size.
                disk_total_bytes: None,
            });
        }
        Ok((nodes, problems))
    }

    pub async fn queues(&self, page_size: u32) -> Result<Vec<RabbitmqQueue>, Failure> {
        let mut seen = BTreeMap::new();
        for item in self.paged("/api/queues", page_size).await? {
            let queue = queue(&item);
            // A queue created or deleted between two pages can shift another onto the next page.
            seen.entry((queue.vhost.clone(), queue.name.clone())).or_insert(queue);
        }
        Ok(seen.into_values().collect())
    }

    /// Consumers; `client` is the connection's client-provided name when `/api/connections`
    /// gives one (`connection_names`), else the connection name, else the peer host.
    pub async fn consumers(
        &self,
        connection_names: &BTreeMap<String, String>,
    ) -> Result<Vec<RabbitmqConsumer>, Failure> {
        Ok(self.list("/api/consumers").await?.iter().map(|item| consumer(item, connection_names)).collect())
    }

    /// Connection name → client-provided name (`connection_name` client property), for the
    /// connections that set one.
    pub async fn connection_names(&self) -> Result<BTreeMap<String, String>, Failure> {
        let items = self.list("/api/connections?columns=name,user_provided_name,client_properties").await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let name = text(item, "name")?;
                let provided = text(item, "user_provided_name")
                    .or_else(|| item.get("client_properties").and_then(|p| text(p, "connection_name")))?;
                (!provided.is_empty()).then_some((name, provided))
            })
            .collect())
    }

    pub async fn policies(&self) -> Result<Vec<RabbitmqPolicy>, Failure> {
        Ok(self
            .list("/api/policies")
            .await?
            .iter()
            .map(|item| RabbitmqPolicy {
                vhost: text(item, "vhost").unwrap_or_default(),
                name: text(item, "name").unwrap_or_default(),
                pattern: text(item, "pattern").unwrap_or_default(),
                apply_to: text(item, "apply-to").unwrap_or_else(|| "all".into()),
                priority: item
                    .get("priority")
                    .and_then(Value::as_i64)
                    .map(|p| p.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
                    .unwrap_or(0),
                definition: pairs(item.get("definition")),
            })
            .collect())
    }

    /// Users with their tags and whether they have a password; the hash itself is looked at for
    /// emptiness only and never kept.
    pub async fn users(&self) -> Result<Vec<RabbitmqUser>, Failure> {
        Ok(self
            .list("/api/users")
            .await?
            .iter()
            .map(|item| RabbitmqUser {
                name: text(item, "name").unwrap_or_default(),
                tags: tags(item.get("tags")),
                has_password: item.get("password_hash").and_then(Value::as_str).is_some_and(|hash| !hash.is_empty()),
            })
            .collect())
    }

    pub async fn permissions(&self) -> Result<Vec<RabbitmqPermission>, Failure> {
        Ok(self
            .list("/api/permissions")
            .await?
            .iter()
            .map(|item| RabbitmqPermission {
                vhost: text(item, "vhost").unwrap_or_default(),
                user: text(item, "user").unwrap_or_default(),
                configure: text(item, "configure").unwrap_or_default(),
                write: text(item, "write").unwrap_or_default(),
                read: text(item, "read").unwrap_or_default(),
            })
            .collect())
    }

    pub async fn exchanges(&self, page_size: u32) -> Result<Vec<RabbitmqExchange>, Failure> {
        let mut seen = BTreeMap::new();
        for item in self.paged("/api/exchanges", page_size).await? {
            let exchange = RabbitmqExchange {
                vhost: text(&item, "vhost").unwrap_or_default(),
                name: text(&item, "name").unwrap_or_default(),
                kind: text(&item, "type").unwrap_or_default(),
                durable: flag(&item, "durable"),
                arguments: pairs(item.get("arguments")),
            };
            seen.entry((exchange.vhost.clone(), exchange.name.clone())).or_insert(exchange);
        }
        Ok(seen.into_values().collect())
    }

    pub async fn bindings(&self) -> Result<Vec<RabbitmqBinding>, Failure> {
        Ok(self
            .list("/api/bindings")
            .await?
            .iter()
            .map(|item| RabbitmqBinding {
                vhost: text(item, "vhost").unwrap_or_default(),
                source: text(item, "source").unwrap_or_default(),
                destination: text(item, "destination").unwrap_or_default(),
                destination_kind: text(item, "destination_type").unwrap_or_default(),
                routing_key: text(item, "routing_key").unwrap_or_default(),
            })
            .collect())
    }
}

fn listener(item: &Value) -> Option<Listener> {
    let protocol = text(item, "protocol")?;
    let port = number(item, "port").and_then(|p| u16::try_from(p).ok())?;
    Some(Listener {
        name: protocol.clone(),
        tls: is_tls(&protocol),
        protocol,
        host: text(item, "ip_address").unwrap_or_default(),
        port,
        certificate: None,
    })
}

/// `amqp/ssl`, `mqtt/ssl`, `https`, `https/web-stomp`, ... are encrypted.
pub(super) fn is_tls(protocol: &str) -> bool {
    let protocol = protocol.to_ascii_lowercase();
    protocol == "https" || protocol.starts_with("https/") || protocol.ends_with("/ssl") || protocol.ends_with("/tls")
}

fn queue(item: &Value) -> RabbitmqQueue {
    let rate = |stat: &str| item.get("message_stats")?.get(stat)?.get("rate")?.as_f64();
    RabbitmqQueue {
        vhost: text(item, "vhost").unwrap_or_default(),
        name: text(item, "name").unwrap_or_default(),
        queue_type: text(item, "type").unwrap_or_else(|| "classic".into()),
        durable: flag(item, "durable"),
        arguments: pairs(item.get("arguments")),
        policy: text(item, "policy").filter(|p| !p.is_empty()),
        effective_policy: pairs(item.get("effective_policy_definition")),
        messages_ready: number(item, "messages_ready").unwrap_or(0),
        messages_unacknowledged: number(item, "messages_unacknowledged").unwrap_or(0),
        consumers: number(item, "consumers").map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        publish_rate: rate("publish_details"),
        deliver_rate: rate("deliver_get_details"),
        redeliver_rate: rate("redeliver_details"),
        // Depth over the window needs sampling across the window (or the management API's
        // `lengths_age`/`lengths_incr` samples); that is later work, so it stays empty.
        depth_history: Vec::new(),
    }
}

fn consumer(item: &Value, connection_names: &BTreeMap<String, String>) -> RabbitmqConsumer {
    let queue = item.get("queue");
    let channel = item.get("channel_details");
    let connection = channel.and_then(|c| text(c, "connection_name"));
    let client = connection
        .as_ref()
        .and_then(|name| connection_names.get(name).cloned())
        .or(connection)
        .or_else(|| channel.and_then(|c| text(c, "peer_host")))
        .unwrap_or_default();
    RabbitmqConsumer {
        vhost: queue.and_then(|q| text(q, "vhost")).unwrap_or_default(),
        queue: queue.and_then(|q| text(q, "name")).unwrap_or_default(),
        consumer_tag: text(item, "consumer_tag").unwrap_or_default(),
        client,
        ack_required: flag(item, "ack_required"),
        prefetch_count: number(item, "prefetch_count").map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

/// Tags as a list (RabbitMQ 3.9+) or as one comma-separated string (older).
fn tags(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(text)) => {
            text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
        }
        _ => Vec::new(),
    }
}

/// A JSON object as key/value text pairs. The API writes an empty map as `{}` or `[]`; anything
/// that is not an object is empty.
pub(super) fn pairs(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), render(v))).collect(),
        _ => Vec::new(),
    }
}

/// A JSON value as text: strings without quotes, numbers in decimal, `true`/`false`, lists and
/// maps as compact JSON.
pub(super) fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(item: &Value, key: &str) -> Option<u64> {
    let value = item.get(key)?;
    value.as_u64().or_else(|| value.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
}

fn flag(item: &Value, key: &str) -> bool {
    item.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn array<'a>(item: &'a Value, key: &str) -> &'a [Value] {
    item.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `HTTP 403 Forbidden (reason)`, with the server's `reason` (or `error`) when it sent JSON.
fn status_text(status: StatusCode, body: &str, password: &str) -> String {
    let reason = serde_json::from_str::<Map<String, Value>>(body)
        .ok()
        .and_then(|map| map.get("reason").or_else(|| map.get("error")).map(render))
        .filter(|r| !r.is_empty());
    let mut text = format!("HTTP {status}");
    if let Some(reason) = reason {
        let short: String = reason.chars().take(MAX_REASON).collect();
        text.push_str(&format!(" ({short})"));
    }
    scrub(&text, &[password])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_render_as_text() {
        let args = json!({"x-dead-letter-exchange": "orders.dlx", "x-delivery-limit": 5, "x-ratio": 0.5,
            "x-single-active-consumer": true, "x-list": [1, "a"]});
        let rendered = pairs(Some(&args));
        let get = |k: &str| rendered.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("x-dead-letter-exchange"), Some("orders.dlx"));
        assert_eq!(get("x-delivery-limit"), Some("5"));
        assert_eq!(get("x-ratio"), Some("0.5"));
        assert_eq!(get("x-single-active-consumer"), Some("true"));
        assert_eq!(get("x-list"), Some(r#"[1,"a"]"#));
        assert!(pairs(Some(&json!([]))).is_empty(), "the API writes an empty map as []");
        assert!(pairs(None).is_empty());
    }

    #[test]
    fn tls_protocols() {
        for tls in ["amqp/ssl", "https", "https/web-stomp", "mqtt/ssl", "stomp/ssl"] {
            assert!(is_tls(tls), "{tls}");
        }
        for plain in ["amqp", "http", "clustering", "http/prometheus", "mqtt"] {
            assert!(!is_tls(plain), "{plain}");
        }
    }

    #[test]
    fn tags_in_both_shapes() {
        assert_eq!(tags(Some(&json!(["administrator", "monitoring"]))), ["administrator", "monitoring"]);
        assert_eq!(tags(Some(&json!("administrator, monitoring"))), ["administrator", "monitoring"]);
        assert!(tags(Some(&json!(""))).is_empty());
    }

    #[test]
    fn queue_without_stats_reads_as_neutral_values() {
        let q = queue(&json!({"vhost": "/", "name": "q", "durable": true, "arguments": {}, "policy": null,
            "effective_policy_definition": []}));
        assert_eq!(q.queue_type, "classic");
        assert_eq!((q.messages_ready, q.consumers), (0, 0));
        assert_eq!((q.publish_rate, q.policy), (None, None));
        assert!(q.effective_policy.is_empty());
    }

    #[test]
    fn status_text_keeps_the_reason_and_drops_the_password() {
        let text = status_text(
            StatusCode::UNAUTHORIZED,
            r#"{"error":"not_authorized","reason":"Login failed for hunter2"}"#,
            "hunter2",
        );
        assert_eq!(text, "HTTP 401 Unauthorized (Login failed for <redacted>)");
        assert_eq!(status_text(StatusCode::BAD_GATEWAY, "<html>", "x"), "HTTP 502 Bad Gateway");
    }
}
