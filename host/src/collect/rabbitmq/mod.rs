//! RabbitMQ collector: owns the `[[sources.rabbitmq]]` settings and reads one broker (cluster)
//! into a [`RabbitmqBroker`] record, read-only.
//!
//! Two sides:
//! - the management HTTP API ([`management`]), `GET` only, credentials as HTTP basic auth:
//!   `/api/overview` (cluster name, version, listeners), `/api/nodes` (memory and disk),
//!   `/api/queues` (paged, `page-size` per request), `/api/consumers` (with `/api/connections`
//!   for client-provided connection names), `/api/policies`, `/api/users`, `/api/permissions`,
//!   `/api/exchanges` (paged) and `/api/bindings`. For an `https` management URL the certificate
//!   it presented is attached to the matching listener.
//! - when `amqp-url` is set, the AMQP listener ([`amqp`]): what it offers (server version, SASL
//!   mechanisms, TLS and its certificate) and whether the configured credentials log in. No
//!   channel is opened: nothing is declared, consumed or published.
//!
//! Errors: the management API unreachable at `/api/overview` is [`CollectError::Connect`], HTTP
//! 401 there is [`CollectError::Auth`]; `/api/queues` failing fails the source
//! ([`CollectError::Read`]). Any other endpoint failing (e.g. 403 on `/api/users` for a
//! `monitoring` user), a node without statistics, or the AMQP probe or login failing is a
//! `problems` entry next to what was read. Messages show URLs through
//! [`display_url`](super::display_url) and are scrubbed of the password; the user's password hash
//! is only tested for emptiness.
//!
//! Not collected yet: `depth_history` (needs sampling across the observation window) and the
//! disk size of nodes (the management API does not report it).

mod amqp;
mod management;

use std::collections::BTreeMap;

use super::{CollectError, Collected, expand_env};
use crate::collect::secrets::scrub;
use crate::contract::estate::{Listener, RabbitmqBroker};
use management::{Api, Failure};

pub use super::settings::RabbitmqSource;

/// The management API refuses pages larger than this.
const MAX_PAGE_SIZE: u32 = 500;

/// Reads one broker. See the module documentation for what is read and how failures count.
pub async fn collect(source: &RabbitmqSource) -> Result<Collected<RabbitmqBroker>, CollectError> {
    let username = expand_env(&source.username, "sources.rabbitmq.username")?;
    let password = expand_env(&source.password, "sources.rabbitmq.password")?;
    let secrets = [password.as_str()];
    if !(1..=MAX_PAGE_SIZE).contains(&source.page_size) {
        return Err(CollectError::Settings(format!(
            "sources.rabbitmq.page-size: {} is outside 1–{MAX_PAGE_SIZE}",
            source.page_size
        )));
    }
    let api = Api::new(&source.management_url, &username, &password)
        .map_err(|err| CollectError::Settings(scrub(&format!("sources.rabbitmq: {err}"), &secrets)))?;
    let endpoint = source
        .amqp_url
        .as_deref()
        .map(amqp::Endpoint::parse)
        .transpose()
        .map_err(|err| CollectError::Settings(format!("sources.rabbitmq: {err}")))?;
    let target = api.target().to_string();

    tracing::debug!(%target, "reading the management API");
    let overview = api.overview().await.map_err(|failure| match failure {
        Failure::Unreachable(reason) => CollectError::Connect { target: target.clone(), reason },
        Failure::Unauthorized(reason) => CollectError::Auth { target: target.clone(), reason },
        Failure::Other(reason) => CollectError::Read(format!("GET /api/overview on {target}: {reason}")),
    })?;

    let page_size = source.page_size;
    let consumers = async {
        let names = api.connection_names().await.unwrap_or_else(|failure| {
            // Only enriches `client`; the consumers themselves are still complete.
            tracing::warn!("GET /api/connections: {failure}; consumers are named by connection");
            BTreeMap::new()
        });
        api.consumers(&names).await
    };
    let handshake = async {
        match &endpoint {
            Some(endpoint) => Some(amqp::handshake(endpoint, &username, &password).await),
            None => None,
        }
    };
    let (nodes, queues, consumers, policies, users, permissions, exchanges, bindings, handshake) = tokio::join!(
        api.nodes(),
        api.queues(page_size),
        consumers,
        api.policies(),
        api.users(),
        api.permissions(),
        api.exchanges(page_size),
        api.bindings(),
        handshake,
    );

    let queues = queues.map_err(|failure| CollectError::Read(format!("GET /api/queues on {target}: {failure}")))?;
    let mut problems = Vec::new();
    let consumers = partial("/api/consumers", consumers, &mut problems);
    let policies = partial("/api/policies", policies, &mut problems);
    let users = partial("/api/users", users, &mut problems);
    let permissions = partial("/api/permissions", permissions, &mut problems);
    let exchanges = partial("/api/exchanges", exchanges, &mut problems);
    let bindings = partial("/api/bindings", bindings, &mut problems);
    let nodes = match nodes {
        Ok((nodes, node_problems)) => {
            problems.extend(node_problems);
            nodes
        }
        Err(failure) => {
            problems.push(format!("GET /api/nodes: {failure}"));
            Vec::new()
        }
    };

    let mut broker = RabbitmqBroker {
        source: source.name.clone(),
        cluster_name: overview.cluster_name,
        version: overview.version,
        listeners: overview.listeners,
        auth_mechanisms: Vec::new(),
        nodes,
        queues,
        consumers,
        policies,
        users,
        permissions,
        exchanges,
        bindings,
    };
    if let Some((host, port, certificate)) = overview.endpoint_certificate {
        let seen = Listener {
            name: "https".into(),
            protocol: "https".into(),
            host,
            port,
            tls: true,
            certificate: Some(certificate),
        };
        merge_listener(&mut broker.listeners, seen);
    }
    match handshake {
        Some(Ok((handshake, login_problem))) => {
            problems.extend(login_problem);
            apply_handshake(&mut broker, handshake);
        }
        Some(Err(problem)) => problems.push(problem),
        None => {}
    }
    let problems: Vec<String> = problems.iter().map(|p| scrub(p, &secrets)).collect();
    for problem in &problems {
        // The runner reports the source as read in part (at warn level) with every problem.
        tracing::debug!(%target, "{problem}");
    }
    tracing::info!(
        queues = broker.queues.len(),
        consumers = broker.consumers.len(),
        listeners = broker.listeners.len(),
        problems = problems.len(),
        "rabbitmq read"
    );
    Ok(Collected { data: broker, problems })
}

/// The items an endpoint gave, or none and a problem naming it.
fn partial<T>(endpoint: &str, result: Result<Vec<T>, Failure>, problems: &mut Vec<String>) -> Vec<T> {
    result.unwrap_or_else(|failure| {
        problems.push(format!("GET {endpoint}: {failure}"));
        Vec::new()
    })
}

/// Adds what the AMQP handshake saw: mechanisms, version/cluster when the API did not say, and
/// the listener it reached.
fn apply_handshake(broker: &mut RabbitmqBroker, handshake: amqp::Handshake) {
    broker.auth_mechanisms = handshake.mechanisms;
    if broker.version.is_none() {
        broker.version = handshake.version;
    }
    if broker.cluster_name.is_none() {
        broker.cluster_name = handshake.cluster_name;
    }
    let protocol = if handshake.tls { "amqp/ssl" } else { "amqp" };
    let seen = Listener {
        name: protocol.into(),
        protocol: protocol.into(),
        host: handshake.host,
        port: handshake.port,
        tls: handshake.tls,
        certificate: handshake.certificate,
    };
    merge_listener(&mut broker.listeners, seen);
}

/// Records a listener the collector reached. When exactly one listener of the same family
/// (`amqp…`, `http…`), port and TLS is listed, it gains the certificate seen; when none is, the
/// endpoint is added as reached (e.g. through a load balancer). With several candidates (one per
/// cluster node) the endpoint is added only when it brings a certificate, since it is unknown
/// which node answered.
fn merge_listener(listeners: &mut Vec<Listener>, seen: Listener) {
    let family = |protocol: &str| {
        let protocol = protocol.to_ascii_lowercase();
        if protocol.starts_with("amqp") {
            "amqp".to_string()
        } else if protocol.starts_with("http") {
            "http".to_string()
        } else {
            protocol
        }
    };
    let wanted = family(&seen.protocol);
    let mut matches: Vec<&mut Listener> = listeners
        .iter_mut()
        .filter(|l| l.port == seen.port && l.tls == seen.tls && family(&l.protocol) == wanted)
        .collect();
    match matches.as_mut_slice() {
        [only] => {
            if only.certificate.is_none() {
                only.certificate = seen.certificate;
            }
        }
        [] => listeners.push(seen),
        _ => {
            if seen.certificate.is_some() {
                listeners.push(seen);
            }
        }
    }
}

#[cfg(test)]
mod tests;
