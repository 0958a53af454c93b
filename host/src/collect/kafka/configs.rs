//! Broker and topic configs (`DescribeConfigs` through an admin client) and the listeners they
//! declare.

use std::collections::HashMap;

use futures::future::join_all;
use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigResource, ConfigSource, OwnedResourceSpecifier, ResourceSpecifier,
};

use super::client::{Ctx, Layout};
use super::{Settings, blocking, is_secret_key};
use crate::contract::estate::Listener;
use crate::snapshot::REDACTED;

/// Topics per `DescribeConfigs` request.
const TOPICS_PER_REQUEST: usize = 250;

/// A broker that describes a topic lists every topic config (dozens). One that lists fewer, all
/// sourced `DEFAULT_CONFIG`, lists only the configs set on the topic (tansu does): all are kept.
const FULL_TOPIC_ANSWER: usize = 10;

/// What `DescribeConfigs` gave.
#[derive(Default)]
pub(super) struct Configs {
    /// Broker id → every config with a value (secrets redacted).
    pub brokers: HashMap<i32, Vec<(String, String)>>,
    /// Topic → the configs set on the topic itself.
    pub topics: HashMap<String, Vec<(String, String)>>,
    pub problems: Vec<String>,
}

/// Describes every broker (one request each: librdkafka sends a broker resource to that broker)
/// and every topic of `layout` (batched).
pub(super) async fn describe(settings: &Settings, layout: &Layout) -> Configs {
    let mut out = Configs::default();
    let admin: AdminClient<Ctx> = match settings.common.create_with_context(Ctx::new(settings)) {
        Ok(admin) => admin,
        Err(err) => {
            out.problems.push(settings.scrub(&format!("DescribeConfigs: admin client not created: {err}")));
            return out;
        }
    };
    let options = AdminOptions::new().request_timeout(Some(settings.timeout));
    let broker_specs: Vec<[ResourceSpecifier<'_>; 1]> =
        layout.brokers.iter().map(|b| [ResourceSpecifier::Broker(b.id)]).collect();
    let topic_specs: Vec<ResourceSpecifier<'_>> =
        layout.topics.iter().map(|t| ResourceSpecifier::Topic(t.name.as_str())).collect();
    let requests = broker_specs
        .iter()
        .map(|spec| (format!("broker {}", spec_name(&spec[0])), admin.describe_configs(spec.iter(), &options)))
        .map(|(what, future)| async move { (what, future.await) })
        .collect::<Vec<_>>();
    let topic_requests = topic_specs
        .chunks(TOPICS_PER_REQUEST)
        .map(|chunk| admin.describe_configs(chunk.iter(), &options))
        .map(|future| async move { ("topics".to_string(), future.await) })
        .collect::<Vec<_>>();
    let (brokers, topics) = futures::join!(join_all(requests), join_all(topic_requests));

    let mut topic_failures: Vec<String> = Vec::new();
    for (what, answer) in brokers.into_iter().chain(topics) {
        let resources = match answer {
            Ok(resources) => resources,
            Err(err) => {
                out.problems.push(format!("DescribeConfigs {what}: {err}"));
                continue;
            }
        };
        for resource in resources {
            match resource {
                Ok(resource) => out.add(resource),
                Err(code) if what == "topics" => topic_failures.push(code.to_string()),
                Err(code) => out.problems.push(format!("DescribeConfigs {what}: {code}")),
            }
        }
    }
    if let Some(first) = topic_failures.first() {
        out.problems.push(format!("DescribeConfigs: {} topic(s) not described ({first})", topic_failures.len()));
    }
    out.problems = out.problems.iter().map(|p| settings.scrub(p)).collect();
    // Dropping the admin client joins its polling thread.
    let _ = blocking(move || drop(admin)).await;
    out
}

fn spec_name(spec: &ResourceSpecifier<'_>) -> String {
    match spec {
        ResourceSpecifier::Broker(id) => id.to_string(),
        ResourceSpecifier::Topic(name) | ResourceSpecifier::Group(name) => name.to_string(),
    }
}

impl Configs {
    fn add(&mut self, resource: ConfigResource) {
        match resource.specifier {
            OwnedResourceSpecifier::Broker(id) => {
                let entries = resource
                    .entries
                    .into_iter()
                    .filter_map(|e| {
                        let secret = e.is_sensitive || is_secret_key(&e.name);
                        let value = if secret { Some(REDACTED.to_string()) } else { e.value };
                        value.map(|v| (e.name, v))
                    })
                    .collect();
                self.brokers.insert(id, entries);
            }
            OwnedResourceSpecifier::Topic(name) => {
                let lists_only_set = resource.entries.len() < FULL_TOPIC_ANSWER
                    && resource.entries.iter().all(|e| e.source == ConfigSource::Default);
                let entries = resource
                    .entries
                    .into_iter()
                    .filter(|e| match e.source {
                        _ if lists_only_set => true,
                        ConfigSource::DynamicTopic => true,
                        ConfigSource::Unknown => !e.is_default,
                        _ => false,
                    })
                    .filter_map(|e| {
                        let secret = e.is_sensitive || is_secret_key(&e.name);
                        let value = if secret { Some(REDACTED.to_string()) } else { e.value };
                        value.map(|v| (e.name, v))
                    })
                    .collect();
                self.topics.insert(name, entries);
            }
            OwnedResourceSpecifier::Group(_) => {}
        }
    }
}

/// The listeners a broker declares (`advertised.listeners` first — what clients reach — then the
/// `listeners` not advertised, such as a controller listener), with their security protocol from
/// `listener.security.protocol.map`. When the configs name none: one listener at the metadata's
/// host and port with the protocol the collector connected with.
pub(super) fn listeners(configs: &[(String, String)], host: &str, port: u16, connected_with: &str) -> Vec<Listener> {
    let get = |key: &str| configs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("");
    let map: HashMap<String, String> = get("listener.security.protocol.map")
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(name, protocol)| (name.trim().to_ascii_uppercase(), protocol.trim().to_ascii_uppercase()))
        .collect();
    let mut found: Vec<Listener> = Vec::new();
    for (name, listener_host, listener_port) in
        parse_listeners(get("advertised.listeners")).into_iter().chain(parse_listeners(get("listeners")))
    {
        if found.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let protocol = map.get(&name.to_ascii_uppercase()).cloned().unwrap_or_else(|| name.to_ascii_uppercase());
        let unbound = listener_host.is_empty() || listener_host == "0.0.0.0" || listener_host == "::";
        found.push(Listener {
            tls: protocol == "SSL" || protocol == "SASL_SSL",
            name,
            protocol,
            host: if unbound { host.to_string() } else { listener_host },
            port: listener_port,
            certificate: None,
        });
    }
    if found.is_empty() {
        found.push(Listener {
            name: connected_with.to_string(),
            protocol: connected_with.to_string(),
            host: host.to_string(),
            port,
            tls: connected_with == "SSL" || connected_with == "SASL_SSL",
            certificate: None,
        });
    }
    found
}

/// `NAME://host:port,NAME2://[::1]:port` → `(name, host, port)`; malformed items are skipped.
fn parse_listeners(text: &str) -> Vec<(String, String, u16)> {
    text.split(',')
        .filter_map(|item| {
            let (name, address) = item.trim().split_once("://")?;
            let (host, port) = address.rsplit_once(':')?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            Some((name.to_string(), host.to_string(), port.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn listeners_from_configs() {
        let configs = vec![
            ("listeners".to_string(), "INTERNAL://:9092,EXTERNAL://0.0.0.0:9093,CONTROLLER://:9094".to_string()),
            ("advertised.listeners".to_string(), "INTERNAL://kafka-1:9092,EXTERNAL://kafka.example.com:9093".into()),
            (
                "listener.security.protocol.map".to_string(),
                "INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL,CONTROLLER:PLAINTEXT".to_string(),
            ),
        ];
        let found = listeners(&configs, "10.0.0.1", 9092, "PLAINTEXT");
        let brief: Vec<(&str, &str, &str, u16, bool)> =
            found.iter().map(|l| (l.name.as_str(), l.protocol.as_str(), l.host.as_str(), l.port, l.tls)).collect();
        assert_eq!(
            brief,
            [
                ("INTERNAL", "PLAINTEXT", "kafka-1", 9092, false),
                ("EXTERNAL", "SASL_SSL", "kafka.example.com", 9093, true),
                ("CONTROLLER", "PLAINTEXT", "10.0.0.1", 9094, false),
            ]
        );
    }

    #[test]
    fn listeners_fallback_and_plain_names() {
        let found = listeners(&[], "127.0.0.1", 19092, "SASL_SSL");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].name.as_str(), found[0].port, found[0].tls), ("SASL_SSL", 19092, true));
        let configs = vec![("listeners".to_string(), "SSL://[::1]:9093,garbage,PLAINTEXT://h:x".to_string())];
        let found = listeners(&configs, "h", 1, "PLAINTEXT");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].protocol.as_str(), found[0].host.as_str(), found[0].tls), ("SSL", "::1", true));
    }
}
