//! RabbitMQ side of `security`: listeners without TLS (`rabbitmq-plaintext-listener`: messaging
//! protocols high, the `http` management listener medium), their certificates
//! (`certificate-expiry`), the default `guest` user (`rabbitmq-guest-user`) and non-administrator
//! users with `.*` on configure, write and read (`rabbitmq-broad-permissions`).
//!
//! `clustering` (inter-node) and `http/prometheus` (metrics) listeners carry no client messages
//! and are not judged for TLS.

use std::collections::HashSet;

use plumbline_sdk::prelude::*;

use crate::{RABBIT_BROAD, RABBIT_GUEST, RABBIT_LISTENER, certs};

const NOT_JUDGED: [&str; 2] = ["clustering", "http/prometheus"];

pub fn audit(audit: &mut Audit<'_>, brokers: &[RabbitmqBroker], now: i64, min_days: i64) {
    for broker in brokers {
        listeners(audit, broker, now, min_days);
        guest(audit, broker);
        permissions(audit, broker);
    }
}

/// `name`, or `name@host:port` when the broker reports several listeners of that name.
fn listener_id(broker: &RabbitmqBroker, listener: &Listener) -> String {
    let same = broker.listeners.iter().filter(|l| l.name == listener.name).count();
    if same > 1 { format!("{}@{}:{}", listener.name, listener.host, listener.port) } else { listener.name.clone() }
}

fn listeners(audit: &mut Audit<'_>, broker: &RabbitmqBroker, now: i64, min_days: i64) {
    for listener in &broker.listeners {
        let protocol = listener.protocol.to_ascii_lowercase();
        if NOT_JUDGED.contains(&protocol.as_str()) && listener.certificate.is_none() {
            continue;
        }
        audit.evaluated(1);
        let id = listener_id(broker, listener);
        let what = format!("RabbitMQ listener `{}` of `{}`", listener.name, broker.source);
        certs::check(audit, Subject::new(&broker.source, "listener", &id), &what, listener, now, min_days);
        if listener.tls || NOT_JUDGED.contains(&protocol.as_str()) {
            continue;
        }
        let evidence = [
            ("listener", listener.name.clone()),
            ("protocol", listener.protocol.clone()),
            ("endpoint", format!("{}:{}", listener.host, listener.port)),
            ("tls", "false".to_string()),
        ];
        let subject = Subject::new(&broker.source, "listener", &id);
        if protocol == "http" {
            audit.finding_with_severity(
                RABBIT_LISTENER,
                Severity::Medium,
                subject,
                format!(
                    "The management API of `{}` listens on {}:{} over plain HTTP: operator credentials and any message fetched through the UI cross the network unencrypted (medium: management traffic, not the message flow).",
                    broker.source, listener.host, listener.port
                ),
                evidence,
            );
        } else {
            let mechanisms = if broker.auth_mechanisms.is_empty() {
                String::new()
            } else {
                format!(" and {} credentials", broker.auth_mechanisms.join("/"))
            };
            audit.finding(
                RABBIT_LISTENER,
                subject,
                format!(
                    "`{}` accepts {} connections without TLS on {}:{}: messages{mechanisms} cross the network in clear text.",
                    broker.source, listener.protocol, listener.host, listener.port
                ),
                evidence,
            );
        }
    }
}

fn guest(audit: &mut Audit<'_>, broker: &RabbitmqBroker) {
    audit.evaluated(broker.users.len());
    let Some(user) = broker.users.iter().find(|u| u.name == "guest") else {
        return;
    };
    let grants: Vec<String> = broker
        .permissions
        .iter()
        .filter(|p| p.user == "guest")
        .map(|p| format!("{} configure={} write={} read={}", p.vhost, p.configure, p.write, p.read))
        .collect();
    let vhosts: Vec<&str> = broker.permissions.iter().filter(|p| p.user == "guest").map(|p| p.vhost.as_str()).collect();
    let tags = if user.tags.is_empty() { "none".to_string() } else { user.tags.join(", ") };
    audit.finding(
        RABBIT_GUEST,
        Subject::new(&broker.source, "user", &user.name),
        format!(
            "`{}` still has the default `guest` user (tags: {tags}){}: its password is public knowledge, and only loopback_users keeps it to localhost. Delete it.",
            broker.source,
            if vhosts.is_empty() {
                String::new()
            } else {
                format!(", with permissions on vhost `{}`", vhosts.join("`, `"))
            }
        ),
        [
            ("user", user.name.clone()),
            ("tags", tags.clone()),
            ("has_password", user.has_password.to_string()),
            ("permissions", if grants.is_empty() { "none".into() } else { grants.join("; ") }),
        ],
    );
}

fn permissions(audit: &mut Audit<'_>, broker: &RabbitmqBroker) {
    let administrators: HashSet<&str> =
        broker.users.iter().filter(|u| u.tags.iter().any(|t| t == "administrator")).map(|u| u.name.as_str()).collect();
    for permission in &broker.permissions {
        audit.evaluated(1);
        let admin = administrators.contains(permission.user.as_str());
        let everything = |p: &str| p.trim() == ".*";
        // guest is reported by `rabbitmq-guest-user`; administrators are meant to have everything.
        if admin
            || permission.user == "guest"
            || !(everything(&permission.configure) && everything(&permission.write) && everything(&permission.read))
        {
            continue;
        }
        audit.finding(
            RABBIT_BROAD,
            Subject::new(
                &broker.source,
                "permission",
                format!("{}@{}", permission.user, permission.vhost),
            ),
            format!(
                "User `{}` may configure, write and read everything (`.*`) in vhost `{}`: a leaked credential of this application exposes every queue and exchange there. Scope each permission to the resources it uses.",
                permission.user, permission.vhost
            ),
            [
                ("user", permission.user.clone()),
                ("vhost", permission.vhost.clone()),
                ("configure", permission.configure.clone()),
                ("write", permission.write.clone()),
                ("read", permission.read.clone()),
            ],
        );
    }
}
