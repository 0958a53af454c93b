//! Lookup tables a check builds once per run, so that matching one list of the estate against
//! another costs a hash lookup per item instead of a scan of the other list: [`Index`] (values
//! grouped by a key), [`RegistryIndex`] (integrations by the resources they list),
//! [`SeriesIndex`] (Prometheus series by signal and key) and [`dead_letter_bound`] (RabbitMQ
//! queues bound from a dead-letter exchange).
//!
//! They answer lookups only. Findings still come from iterating the estate's own lists, so their
//! order does not depend on a hash map's; every group keeps the order its values were inserted in.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use crate::estate::*;

/// Values grouped by key; each group keeps insertion order.
#[derive(Debug, Clone)]
pub struct Index<K, V> {
    groups: HashMap<K, Vec<V>>,
}

impl<K: Hash + Eq, V> Index<K, V> {
    pub fn new() -> Self {
        Index { groups: HashMap::new() }
    }

    /// Appends `value` to the group of `key`.
    pub fn insert(&mut self, key: K, value: V) {
        self.groups.entry(key).or_default().push(value);
    }

    /// The values inserted under `key`, oldest first; empty when there are none.
    pub fn get<Q>(&self, key: &Q) -> &[V]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.groups.get(key).map_or(&[], Vec::as_slice)
    }

    /// The first value inserted under `key`.
    pub fn first<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).first()
    }

    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.groups.contains_key(key)
    }
}

impl<K: Hash + Eq, V> Default for Index<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for Index<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut index = Index::new();
        for (key, value) in items {
            index.insert(key, value);
        }
        index
    }
}

/// Registry integrations by the resources (`kind:name`) they list.
pub struct RegistryIndex<'a> {
    by_resource: HashMap<&'a str, Vec<&'a Integration>>,
}

impl<'a> RegistryIndex<'a> {
    pub fn new(registry: &'a [Integration]) -> Self {
        let mut by_resource: HashMap<&str, Vec<&Integration>> = HashMap::new();
        for integration in registry {
            for resource in integration.resources.iter().filter(|r| r.contains(':')) {
                let users = by_resource.entry(resource.as_str()).or_default();
                // An integration that lists a resource twice is still one user of it.
                if !users.last().is_some_and(|last| std::ptr::eq(*last, integration)) {
                    users.push(integration);
                }
            }
        }
        RegistryIndex { by_resource }
    }

    /// The integrations for which [`Integration::uses`]`(kind, name)` holds, in registry order.
    pub fn using(&self, kind: &str, name: &str) -> &[&'a Integration] {
        if kind.contains(':') {
            return &[]; // `uses` splits at the first colon: such a kind never matches
        }
        self.by_resource.get(format!("{kind}:{name}").as_str()).map_or(&[], Vec::as_slice)
    }

    /// True when some integration lists `kind:name`.
    pub fn lists(&self, kind: &str, name: &str) -> bool {
        !self.using(kind, name).is_empty()
    }
}

/// Prometheus series by signal name and a key computed once per series (typically its
/// `integration` label). Like [`PrometheusServer::signal`], only the first signal of a name on a
/// server counts.
pub struct SeriesIndex<'a> {
    /// signal → key → the first series with that key on each server, in server order.
    by_signal: HashMap<&'a str, HashMap<String, Vec<Located<'a>>>>,
}

/// A series with the server it is on.
type Located<'a> = (&'a PrometheusServer, &'a Series);

impl<'a> SeriesIndex<'a> {
    /// Indexes every signal of every server by `key`.
    pub fn new(servers: &'a [PrometheusServer], key: impl Fn(&Series) -> String) -> Self {
        let mut by_signal: HashMap<&str, HashMap<String, Vec<Located<'_>>>> = HashMap::new();
        for server in servers {
            let mut seen = HashSet::new();
            for signal in &server.signals {
                if !seen.insert(signal.name.as_str()) {
                    continue; // a later signal of the same name, which `signal()` never returns
                }
                let keys = by_signal.entry(signal.name.as_str()).or_default();
                for series in &signal.series {
                    let found = keys.entry(key(series)).or_default();
                    // Servers are indexed one after the other: keep each server's first series.
                    if !found.last().is_some_and(|(s, _)| std::ptr::eq(*s, server)) {
                        found.push((server, series));
                    }
                }
            }
        }
        SeriesIndex { by_signal }
    }

    /// The first series of `signal` whose key is `key` on each server that has one, in server
    /// order.
    pub fn per_server(&self, signal: &str, key: &str) -> &[(&'a PrometheusServer, &'a Series)] {
        self.by_signal.get(signal).and_then(|keys| keys.get(key)).map_or(&[], Vec::as_slice)
    }

    /// The first series of `signal` whose key is `key`, with its server, in the order
    /// [`crate::helpers::series`] yields them.
    pub fn first(&self, signal: &str, key: &str) -> Option<(&'a PrometheusServer, &'a Series)> {
        self.per_server(signal, key).first().copied()
    }

    /// The first series of `signal` on `server` whose key is `key`. `server` must be one of the
    /// indexed servers (it is compared by address).
    pub fn on(&self, server: &PrometheusServer, signal: &str, key: &str) -> Option<&'a Series> {
        self.per_server(signal, key).iter().find(|(s, _)| std::ptr::eq(*s, server)).map(|(_, series)| *series)
    }
}

/// `(vhost, name)` of every queue of `broker` that a binding connects to an exchange some queue of
/// the same vhost uses as its dead-letter exchange (`x-dead-letter-exchange`, as an argument or
/// from its policy). Only direct exchange-to-queue bindings count.
pub fn dead_letter_bound(broker: &RabbitmqBroker) -> HashSet<(&str, &str)> {
    let exchanges: HashSet<(&str, &str)> = broker
        .queues
        .iter()
        .filter_map(|q| q.setting("x-dead-letter-exchange").map(|x| (q.vhost.as_str(), x)))
        .collect();
    broker
        .bindings
        .iter()
        .filter(|b| b.destination_kind == "queue" && exchanges.contains(&(b.vhost.as_str(), b.source.as_str())))
        .map(|b| (b.vhost.as_str(), b.destination.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn integration(id: &str, resources: &[&str]) -> Integration {
        serde_json::from_value(json!({
            "id": id, "name": id, "owner": null, "source_system": "a", "target_system": "b",
            "transport": "kafka", "lifecycle": "active", "resources": resources, "delivery": null,
            "idempotency_key": null, "dedup_store": null, "sla": null, "webhook": null, "schema": null
        }))
        .expect("integration")
    }

    fn server(source: &str, signals: serde_json::Value) -> PrometheusServer {
        serde_json::from_value(json!({
            "source": source, "version": null, "rule_groups": [], "metrics": [], "targets": [],
            "signals": signals, "tracing_detected": false
        }))
        .expect("server")
    }

    fn one(integration: &str, value: f64) -> serde_json::Value {
        json!({"labels": [["integration", integration]], "samples": [{"at": 0, "value": value}]})
    }

    #[test]
    fn index_keeps_insertion_order_per_key() {
        let index: Index<&str, u32> = [("a", 1), ("b", 2), ("a", 3)].into_iter().collect();
        assert_eq!(index.get("a"), [1, 3]);
        assert_eq!(index.first("b"), Some(&2));
        assert!(index.get("c").is_empty() && !index.contains("c"));
    }

    #[test]
    fn registry_index_agrees_with_uses() {
        let registry = [
            integration("one", &["queue:/v/orders", "queue:/v/orders", "topic:orders"]),
            integration("two", &["queue:orders", "queue:/v/orders", "a:b:c", "no-colon"]),
        ];
        let index = RegistryIndex::new(&registry);
        let ids = |kind, name| index.using(kind, name).iter().map(|i| i.id.as_str()).collect::<Vec<_>>();
        // Registry order, each integration once even when it lists the resource twice.
        assert_eq!(ids("queue", "/v/orders"), ["one", "two"]);
        assert_eq!(ids("queue", "orders"), ["two"]);
        assert_eq!(ids("a", "b:c"), ["two"]);
        assert!(ids("a:b", "c").is_empty() && ids("no-colon", "").is_empty() && !index.lists("topic", "x"));
        for (kind, name) in
            [("queue", "/v/orders"), ("queue", "orders"), ("a", "b:c"), ("a:b", "c"), ("topic", "orders")]
        {
            let scan: Vec<&str> = registry.iter().filter(|i| i.uses(kind, name)).map(|i| i.id.as_str()).collect();
            assert_eq!(ids(kind, name), scan, "{kind}:{name}");
        }
    }

    #[test]
    fn series_index_follows_server_and_series_order() {
        let servers = [
            server(
                "p1",
                json!([
                    {"name": "lat", "query": "", "series": [one("x", 1.0), one("x", 2.0)]},
                    {"name": "lat", "query": "", "series": [one("y", 3.0)]}
                ]),
            ),
            server("p2", json!([{"name": "lat", "query": "", "series": [one("y", 4.0), one("x", 5.0)]}])),
        ];
        let index = SeriesIndex::new(&servers, |s| s.label("integration").unwrap_or_default().to_string());
        let value = |found: Option<&Series>| found.and_then(Series::last);
        assert_eq!(index.first("lat", "x").map(|(s, x)| (s.source.as_str(), x.last())), Some(("p1", Some(1.0))));
        // Only the first `lat` signal of p1 counts, as with `PrometheusServer::signal`.
        assert_eq!(index.first("lat", "y").map(|(s, _)| s.source.as_str()), Some("p2"));
        assert_eq!(value(index.on(&servers[0], "lat", "y")), None);
        assert_eq!(value(index.on(&servers[1], "lat", "x")), Some(5.0));
        assert_eq!(index.per_server("lat", "x").len(), 2);
        assert!(index.first("other", "x").is_none());
        for key in ["x", "y", "z"] {
            let scan = crate::helpers::series(&servers, "lat").find(|(_, s)| s.label("integration") == Some(key));
            assert_eq!(index.first("lat", key).map(|(_, s)| s.last()), scan.map(|(_, s)| s.last()), "{key}");
        }
    }

    #[test]
    fn dead_letter_bound_stays_within_the_vhost() {
        let queue = |vhost: &str, name: &str, dlx: Option<&str>| {
            let arguments = dlx.map(|x| vec![("x-dead-letter-exchange", x)]).unwrap_or_default();
            json!({"vhost": vhost, "name": name, "queue_type": "classic", "durable": true, "arguments": arguments,
                   "policy": null, "effective_policy": [], "messages_ready": 0, "messages_unacknowledged": 0,
                   "consumers": 0, "publish_rate": null, "deliver_rate": null, "redeliver_rate": null,
                   "depth_history": []})
        };
        let binding = |vhost: &str, source: &str, destination: &str, kind: &str| {
            json!({"vhost": vhost, "source": source, "destination": destination, "destination_kind": kind,
                   "routing_key": "#"})
        };
        let broker: RabbitmqBroker = serde_json::from_value(json!({
            "source": "r", "cluster_name": null, "version": null, "listeners": [], "auth_mechanisms": [],
            "nodes": [], "policies": [], "users": [], "permissions": [], "exchanges": [], "consumers": [],
            "queues": [queue("/a", "work", Some("dlx")), queue("/a", "failed", None), queue("/b", "failed", None)],
            "bindings": [
                binding("/a", "dlx", "failed", "queue"),
                binding("/b", "dlx", "failed", "queue"),
                binding("/a", "dlx", "other", "exchange")
            ]
        }))
        .expect("broker");
        let bound = dead_letter_bound(&broker);
        assert_eq!(bound, HashSet::from([("/a", "failed")]));
    }
}
